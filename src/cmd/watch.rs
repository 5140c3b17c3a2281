//! `kbc watch`: rebuild on every change and print the diagnostics of each rebuild: every error,
//! and the warnings and notes that are new since the last rebuild.

use super::{Exit, Ui};
use kbc::Book;
use kbc::diag::render::{self, Format};
use kbc::diag::{Code, Diagnostic, Severity};
use kbc::serve::{Outcome, Session};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub fn run(ui: &Ui, dir: &Path, dest: Option<&Path>) -> Exit {
    let Some((mut session, watcher)) = start(dir, dest) else { return Exit::Failure };
    let outcome = session.rebuild(false);
    let mut printed = Printed::default();
    report(ui, &outcome, &mut printed);
    session.keep(outcome);
    eprintln!("watching `{}` for changes (Ctrl-C to stop)", session.dir.display());
    let error = watcher.run(&mut session, |s, changed| {
        if changed.is_empty() {
            // The writer paused: bring the files made from every article up to date.
            let outcome = s.rebuild(false);
            search_note(ui, &outcome);
            let again = outcome.pending;
            s.keep(outcome);
            return again;
        }
        changed_note(ui, changed);
        if let Some(p) = s.preview(changed) {
            preview_note(ui, &p);
        }
        let outcome = s.rebuild(true);
        report(ui, &outcome, &mut printed);
        let stale = outcome.pending;
        s.keep(outcome);
        stale
    });
    eprintln!("error: {error}");
    Exit::Failure
}

/// A session over `dir`, paths made absolute.
/// The session and its file watcher, started before the first build so that no edit made during
/// it is lost; `None` after saying why.
pub fn start(dir: &Path, dest: Option<&Path>) -> Option<(Session, kbc::serve::Watch)> {
    let session = session(dir, dest)?;
    match kbc::serve::Watch::start(&session) {
        Ok(watcher) => Some((session, watcher)),
        Err(e) => {
            eprintln!("error: {e}");
            None
        }
    }
}

fn session(dir: &Path, dest: Option<&Path>) -> Option<Session> {
    let abs = |p: &Path| match std::path::absolute(p) {
        Ok(p) => Some(p),
        Err(e) => {
            eprintln!("error: cannot use `{}`: {e}", p.display());
            None
        }
    };
    let dir = abs(dir)?;
    let dest: Option<PathBuf> = match dest {
        Some(d) => Some(abs(d)?),
        None => None,
    };
    Some(Session::new(dir, dest))
}

/// What waits for the writer's next pause.
fn pending_note(outcome: &Outcome) -> String {
    if outcome.in_place {
        format!(
            "updated in place in {:.2?}; the search index, JSON indexes and llms files follow at the next pause",
            outcome.elapsed
        )
    } else {
        "the search index is the previous build's until the next pause".to_string()
    }
}

/// Reports the follow-up build that refreshed the search index.
pub fn search_note(ui: &Ui, outcome: &kbc::serve::Outcome) {
    if let Some(e) = &outcome.error {
        eprintln!("error: {e}");
    } else if ui.verbose && outcome.interrupted {
        eprintln!("a file changed: the whole-book files wait for the next pause");
    } else if ui.verbose && outcome.published {
        eprintln!("search index and whole-book files updated ({:.2?})", outcome.elapsed);
    }
}

/// Says which pages a preview put in place (with `--verbose`).
pub fn preview_note(ui: &Ui, preview: &kbc::serve::Preview) {
    if ui.verbose {
        for (page, _) in &preview.pages {
            eprintln!("previewed {page} ({:.2?}); rebuilding", preview.elapsed);
        }
    }
}

/// Says what triggered a rebuild (with `--verbose`).
pub fn changed_note(ui: &Ui, changed: &[PathBuf]) {
    if ui.verbose
        && let Some(first) = changed.first()
    {
        let more = if changed.len() > 1 { format!(" and {} more", changed.len() - 1) } else { String::new() };
        eprintln!("changed: {}{more}", first.display());
    }
}

/// What the last rebuild's report printed, so the next prints only what changed. A large book
/// has tens of thousands of warnings, and one edit changes a few: printing them all after every
/// save buries the writer's own in a scroll of old ones.
#[derive(Default)]
pub struct Printed {
    /// How many warnings and notes each (file, code, message) had (none before the first report,
    /// which so prints them all).
    last: HashMap<Key, usize>,
}

/// A warning's identity across rebuilds: positions move when lines are added above it.
type Key = (String, Code, String);

impl Printed {
    /// The diagnostics of `book` to print: every error; the warnings and notes that are new since
    /// the last call (all of them the first time); and how many unchanged warnings and notes are
    /// left out.
    fn select<'b>(&mut self, ui: &Ui, book: &'b Book) -> (Vec<&'b Diagnostic>, [usize; 2]) {
        let key = |d: &Diagnostic| -> Key {
            let file = d.span.map(|s| book.content.sources.get(s.file).rel_path.clone()).unwrap_or_default();
            (file, d.code, d.message.clone())
        };
        let mut now: HashMap<Key, usize> = HashMap::new();
        let (mut shown, mut unchanged) = (Vec::new(), [0, 0]);
        for d in book.diagnostics.iter().filter(|d| ui.shows(d)) {
            if d.severity == Severity::Error {
                shown.push(d);
                continue;
            }
            let k = key(d);
            let before = self.last.get(&k).copied().unwrap_or(0);
            let seen = now.entry(k).or_default();
            *seen += 1;
            if *seen > before {
                shown.push(d);
            } else {
                unchanged[usize::from(d.severity == Severity::Note)] += 1;
            }
        }
        self.last = now;
        (shown, unchanged)
    }
}

/// Prints a rebuild's diagnostics (every error, and the warnings and notes `printed` did not print
/// last time) and one line about what it did.
pub fn report(ui: &Ui, outcome: &Outcome, printed: &mut Printed) {
    if let Some(book) = &outcome.book {
        let (shown, [warnings, notes]) = printed.select(ui, book);
        eprint!("{}", ui.render(book, &shown, Format::Human));
        let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        let left_out = match (warnings, notes) {
            (0, 0) => None,
            (w, 0) => Some(plural(w, "warning")),
            (0, n) => Some(plural(n, "note")),
            (w, n) => Some(format!("{} and {}", plural(w, "warning"), plural(n, "note"))),
        };
        if let Some(left_out) = left_out {
            eprintln!(
                "note: {left_out} unchanged since the last rebuild not repeated (`kbc check` lists every one)"
            );
        }
    }
    if let Some(e) = &outcome.error {
        eprintln!("error: {e}");
    }
    let articles = outcome.book.as_ref().map_or(0, |b| b.articles.len());
    let warnings = outcome.book.as_ref().map_or(0, |b| b.count(Severity::Warning));
    let notes = outcome.book.as_ref().map_or(0, |b| b.count(Severity::Note));
    if !ui.quiet && !outcome.interrupted {
        eprintln!("{}", render::summary(outcome.errors(), warnings, notes, articles, outcome.elapsed));
    }
    if outcome.published {
        if ui.verbose {
            eprintln!("parsed {} and rendered {} of {articles} articles", outcome.parsed, outcome.rendered);
            if outcome.pending {
                eprintln!("{}", pending_note(outcome));
            }
        }
    } else if outcome.interrupted {
        eprintln!("note: a file changed during the build; building again");
    } else if outcome.book.is_some() && outcome.error.is_none() {
        eprintln!("note: the content has errors; the last good build is kept");
    }
}
