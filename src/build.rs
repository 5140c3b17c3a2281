//! The pipeline, one step per line: load, parse, resolve, check. Rendering is the caller's choice
//! (`kbc check` stops here; `kbc build` goes on to `render`).

use crate::check;
use crate::config::Config;
use crate::diag::{Diagnostic, Severity};
use crate::load::{self, Content, LoadError, Role};
use crate::model::Article;
use crate::nav::{self, Nav};
use crate::parse::{self, ParseInput};
use crate::resolve::{self, Resolution};
use rayon::prelude::*;

/// A loaded, parsed, resolved and checked knowledge base.
pub struct Book {
    pub config: Config,
    pub content: Content,
    /// Articles in content-path order; [`crate::model::ArticleId`] indexes this.
    pub articles: Vec<Article>,
    pub navs: Vec<Nav>,
    pub resolution: Resolution,
    /// Every diagnostic, sorted, with the configured severities applied.
    pub diagnostics: Vec<Diagnostic>,
}

impl Book {
    /// Runs the pipeline up to and including the checks. Content problems are diagnostics; only a
    /// content root that cannot be read is an error.
    pub fn load(config: Config) -> Result<Book, LoadError> {
        let content = load::load(&config.book.src, Some(&config.build.build_dir))?;
        let mut diagnostics = content.diagnostics.clone();

        let (mut articles, navs, parse_diags) = parse_all(&config, &content);
        diagnostics.extend(parse_diags);

        let resolution = resolve::resolve(&mut articles, &navs, &content, config.check.absolute_links);
        diagnostics.extend(resolution.diagnostics.iter().cloned());

        diagnostics.extend(check::check(
            &articles,
            &navs,
            &resolution,
            &content,
            &config.output.html.iframe_hosts,
        ));
        let diagnostics = check::finalize(diagnostics, &config.check);
        Ok(Book { config, content, articles, navs, resolution, diagnostics })
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == severity).count()
    }

    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }
}

/// Parses every article (in parallel) and navigation file. Output order is content-path order,
/// whatever the thread count.
fn parse_all(config: &Config, content: &Content) -> (Vec<Article>, Vec<Nav>, Vec<Diagnostic>) {
    let includes = content.include_context();
    let language = config.book.language.as_deref();
    let article_files: Vec<_> = content.articles().collect();
    let parsed: Vec<(Article, Vec<Diagnostic>)> = article_files
        .par_iter()
        .map(|&file| {
            let default_locale = content.default_locale(language, file);
            let input = ParseInput {
                sources: &content.sources,
                includes: &includes,
                default_locale: &default_locale,
            };
            parse::parse_article(&input, file)
        })
        .collect();
    let mut diagnostics = Vec::new();
    let mut articles = Vec::with_capacity(parsed.len());
    for (a, d) in parsed {
        articles.push(a);
        diagnostics.extend(d);
    }
    let mut navs = Vec::new();
    for &(file, role) in &content.files {
        if role != Role::Navigation {
            continue;
        }
        let src = content.sources.get(file);
        let is_md = src.rel_path.to_ascii_lowercase().ends_with(".md");
        let (nav, d) =
            if is_md { nav::parse_toc_md(file, &src.text) } else { nav::parse_toc_yml(file, &src.text) };
        navs.push(nav);
        diagnostics.extend(d);
    }
    (articles, navs, diagnostics)
}
