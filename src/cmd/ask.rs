//! `kbc ask`: the error-message lookup for a person at a terminal, as a short checklist.

use super::{Exit, Ui};
use kbc::Book;
use kbc::config::Config;
use kbc::diag::Severity;
use kbc::kb::{self, Kb};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

/// Loads the knowledge base: the published JSON of `site` when given, else `dir` built in memory.
/// Problems are printed; the error is the exit code.
pub fn load(ui: &Ui, dir: &Path, site: Option<&Path>) -> Result<Kb, Exit> {
    if let Some(site) = site {
        return Kb::from_site(site).map_err(|e| {
            eprintln!("error: cannot read the build `{}`: {e}", site.display());
            eprintln!("help: `--site` takes a folder written by `kbc build` (with `api/v1/manifest.json`)");
            Exit::Failure
        });
    }
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let config = Config::load(&dir).map_err(|e| {
        eprintln!("error: {}: {}", e.path.display(), e.message);
        Exit::Failure
    })?;
    let book = Book::load(config).map_err(|e| {
        eprintln!("error: {e}");
        Exit::Failure
    })?;
    let errors = book.count(Severity::Error);
    if errors > 0 && !ui.quiet {
        eprintln!("warning: the content has {errors} errors (see `kbc check`); answering from it anyway");
    }
    Kb::from_book(&book).map_err(|e| {
        eprintln!("error: {e}");
        Exit::Failure
    })
}

pub fn run(ui: &Ui, text: &str, dir: &Path, site: Option<&Path>, json: bool, limit: usize) -> Exit {
    let kb = match load(ui, dir, site) {
        Ok(kb) => kb,
        Err(code) => return code,
    };
    let mut out = match kb::lookup::lookup(&kb, text, None, limit) {
        Ok(out) => out,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Failure;
        }
    };
    if !json {
        // A person wants the answer, not its weak neighbours: after an exact match, only entries
        // that extend it.
        let best = out.results.first().map(|h| h.match_kind);
        if best.is_some_and(|k| k <= kb::MatchKind::Normalized) {
            out.results.retain(|h| h.match_kind <= kb::MatchKind::Prefix);
        }
    }
    let found = !out.results.is_empty();
    if json {
        match kbc::render::json::pretty(&out) {
            Ok(s) => print!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return Exit::Failure;
            }
        }
    } else if found {
        print!("{}", checklist(&out, site));
    } else {
        println!("No troubleshooting entry matches “{}”.", text.trim());
        if let Ok(s) = kb::search::search(&kb, text, None, None, limit)
            && !s.results.is_empty()
        {
            println!("Closest passages:");
            for h in &s.results {
                let url = link(str_at(&h.chunk, "/url"), site);
                println!("{}. {}\n   {url}", h.rank, str_at(&h.chunk, "/context"));
            }
        }
    }
    // Like grep: 1 when nothing matched, so scripts can tell.
    if found { Exit::Success } else { Exit::ContentErrors }
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// A deep link as printed: relative URLs of a local build become paths under it.
fn link(url: &str, site: Option<&Path>) -> String {
    match site {
        Some(site) if !url.contains("://") => site.join(url).display().to_string(),
        _ => url.to_string(),
    }
}

/// The entries as a numbered checklist: message, where it is documented, then for each cause
/// its resolution and steps, and the deep link.
pub fn checklist(out: &kb::LookupOutput, site: Option<&Path>) -> String {
    let mut s = String::new();
    for hit in &out.results {
        let e = &hit.entry;
        let _ = writeln!(s, "{}. {}", hit.rank, str_at(e, "/text"));
        let _ = writeln!(s, "   in: {}", str_at(e, "/article_title"));
        for cause in e.get("causes").and_then(Value::as_array).into_iter().flatten() {
            if let Some(c) = cause.pointer("/text").and_then(Value::as_str) {
                let _ = writeln!(s, "   cause: {}", one_line(c));
            }
            if let Some(r) = cause.pointer("/resolution/text").and_then(Value::as_str) {
                let _ = writeln!(s, "   fix: {}", one_line(r));
            }
            if let Some(p) = cause.pointer("/resolution/procedure").filter(|p| p.is_object()) {
                let steps: Vec<&Value> = p
                    .get("procedures")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .flat_map(|proc| proc.get("steps").and_then(Value::as_array).into_iter().flatten())
                    .collect();
                let title = str_at(p, "/title");
                if steps.is_empty() {
                    let _ = writeln!(s, "   see: {title}");
                } else {
                    let _ = writeln!(s, "   steps ({title}):");
                }
                for step in steps {
                    let n = step.get("number").and_then(Value::as_u64).unwrap_or(0);
                    let _ = writeln!(s, "     [ ] {n}. {}", one_line(str_at(step, "/text")));
                }
                let _ = writeln!(s, "   → {}", link(str_at(p, "/url"), site));
            }
        }
        let _ = writeln!(s, "   → {}", link(str_at(e, "/url"), site));
    }
    s
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
