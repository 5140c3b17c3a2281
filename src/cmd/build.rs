//! `kbc build` and `kbc check`.

use super::{CheckArgs, Exit, Ui};
use kbc::Book;
use kbc::config::Config;
use kbc::diag::Severity;
use kbc::diag::render::{self, Format};
use std::path::Path;
use std::time::Instant;

pub fn run(ui: &Ui, dir: &Path, dest: Option<&Path>, args: &CheckArgs, write: bool) -> Exit {
    let started = Instant::now();
    let dir = match std::path::absolute(dir) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: cannot use `{}`: {e}", dir.display());
            return Exit::Failure;
        }
    };
    let mut config = match Config::load(&dir) {
        Ok(c) => c,
        Err(e) => {
            let text = e.text.as_deref().unwrap_or("");
            let path = e.path.display().to_string();
            // The snippet ends without a newline.
            eprintln!(
                "{}",
                render::render_standalone(
                    Severity::Error,
                    &e.message,
                    &path,
                    text,
                    e.range.clone(),
                    "",
                    ui.color
                )
            );
            return Exit::Failure;
        }
    };
    if args.deny_warnings {
        config.check.deny_warnings = true;
    }
    if args.external {
        config.check.external.enable = true;
    }
    if let Some(dest) = dest {
        config.build.build_dir = std::path::absolute(dest).unwrap_or_else(|_| dest.to_path_buf());
    }
    let mut book = match Book::load(config) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Failure;
        }
    };
    if book.config.check.external.enable {
        check_external(ui, &mut book);
    }
    ui.print_diagnostics(&book, args.format);
    let (errors, warnings, notes) =
        (book.count(Severity::Error), book.count(Severity::Warning), book.count(Severity::Note));
    // Shown and counted: the renderers never read them, and a large book's findings are a tenth
    // of its memory (231,872 of them, 114 MB, at 50,000 articles).
    book.diagnostics = Vec::new();
    let articles = book.articles.len();
    let dest = book.config.build.build_dir.clone();
    let mut failed = false;
    if write && errors == 0 {
        let existed = dest.exists();
        let cache = kbc::incremental::Cache::new(&book, &dest);
        let result = kbc::output::publish(&dest, |out| {
            // The book is let go as soon as the renderers no longer need it (a low-memory
            // build's search index is built without it).
            kbc::render::write_all_consuming(book, out, &cache)?;
            cache
                .persist(out)
                .map_err(|e| kbc::render::RenderError::io(&out.join(kbc::incremental::CACHE_DIR), e))
        });
        match result {
            Ok(Ok(())) => {
                if ui.verbose {
                    eprintln!("rendered {} of {articles} articles", cache.rendered());
                }
            }
            Ok(Err(e)) => {
                eprintln!("error: writing the build failed, `{}` is unchanged: {e}", dest.display());
                failed = true;
            }
            Err(e) => {
                eprintln!("error: {e}");
                if existed {
                    eprintln!("note: `{}` is unchanged", dest.display());
                }
                failed = true;
            }
        }
    } else if write {
        eprintln!("note: the content has errors; `{}` was left unchanged", dest.display());
    }
    if !ui.quiet && args.format == Format::Human {
        let summary = render::summary(errors, warnings, notes, articles, started.elapsed());
        eprintln!("{summary}");
    }
    if failed {
        Exit::Failure
    } else if errors > 0 {
        Exit::ContentErrors
    } else {
        Exit::Success
    }
}

/// Checks http(s) links and merges the diagnostics into the book's.
fn check_external(ui: &Ui, book: &mut Book) {
    let started = Instant::now();
    let options = kbc::external::Options::from_config(&book.config);
    let report = kbc::external::apply(book, &options);
    if let Some(e) = &report.cache_error {
        eprintln!("warning: external link cache: {e}");
    }
    if ui.verbose {
        eprintln!(
            "checked {} external links ({} unique URLs, {} from the cache, {} requests, {} excluded) in {:.2?}",
            report.links,
            report.urls,
            report.from_cache,
            report.requests,
            report.excluded,
            started.elapsed()
        );
    }
}
