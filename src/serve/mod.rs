//! `kbc serve` and `kbc watch`: build, then rebuild whenever the content, the theme or `book.toml`
//! changes, and (for `serve`) serve the build directory with live reload.
//!
//! A [`Session`] keeps what one build leaves for the next in memory (the parsed articles, see
//! [`crate::build::ParseCache`], and the last published book) and on disk (the render cache, see
//! [`crate::incremental`]), so a one-file edit parses one file and renders the articles whose
//! outputs it changes. Every rebuild publishes like `kbc build` does: the served folder is a
//! complete build, byte-identical to `kbc build`'s; live reload is added to HTML responses by the
//! server, never to the files.
//!
//! Before that rebuild, [`Session::preview`] puts the edited article's page in place within
//! milliseconds at any size of knowledge base: it parses the file, resolves its links against the
//! last book and renders that one page, exactly as the rebuild will. The rebuild then checks the
//! whole book and brings every other output up to date; when it cannot publish (the edit broke
//! something), the previewed pages are put back, so the folder is again the last good build.
//!
//! [`Watch`] turns file system events (notify, debounced) into rebuilds; [`server`] is the HTTP side.

pub mod server;

use crate::Book;
use crate::build::ParseCache;
use crate::config::Config;
use crate::diag::Severity;
use crate::diag::render::{self, Format, RenderOptions};
use crate::incremental::Cache;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One book folder being rebuilt again and again.
pub struct Session {
    /// The book folder, absolute.
    pub dir: PathBuf,
    /// `--dest`, absolute.
    dest: Option<PathBuf>,
    parse: ParseCache,
    /// The last published book, for previews, and what its outputs share.
    last: Option<Book>,
    parts: Option<crate::render::Parts>,
    /// Pages a preview replaced since the last rebuild: path and previous bytes (`None`: the page
    /// did not exist).
    previewed: Vec<(PathBuf, Option<Vec<u8>>)>,
    /// What the previews since the last rebuild changed in `last`, when the next quick rebuild
    /// can update the published build in place (see [`Session::rebuild`]).
    in_place: Option<InPlace>,
    /// Articles whose files in the build folder are older than `last`: an update in place found
    /// errors and published nothing, so the next one that publishes writes them too.
    unpublished: std::collections::BTreeSet<usize>,
    /// Raised by [`Watch`] when a relevant file changes: a `rebuild(false)` running then stops
    /// (see [`Outcome::interrupted`]).
    interrupt: Arc<AtomicBool>,
}

/// Articles that previews edited without changing the book's shape: no path, title, locale,
/// assetid or include changed, so every other article parses, resolves and renders as before,
/// but those that link to an article whose sections or anchors changed.
#[derive(Default)]
struct InPlace {
    edited: std::collections::BTreeSet<usize>,
    /// Edited articles whose sections or anchors changed.
    reshaped: std::collections::BTreeSet<usize>,
}

/// What a preview did.
pub struct Preview {
    /// The pages written: path relative to the build directory, and the HTML.
    pub pages: Vec<(String, String)>,
    pub elapsed: Duration,
}

impl Preview {
    /// Whether `build_dir` holds exactly the previewed pages (after the rebuild that followed):
    /// then open pages show the rebuilt site already and need not reload.
    pub fn holds(&self, build_dir: &Path) -> bool {
        self.pages
            .iter()
            .all(|(rel, html)| std::fs::read(build_dir.join(rel)).is_ok_and(|b| b == html.as_bytes()))
    }
}

/// Previews take at most this many changed files; more (a `git checkout`) wait for the rebuild.
const MAX_PREVIEW: usize = 8;

/// What one rebuild did.
#[derive(Default)]
pub struct Outcome {
    /// The checked book; `None` when `book.toml` or the content root could not be read.
    pub book: Option<Book>,
    /// Why there is no book, or why the build could not be written (as one line of text).
    pub error: Option<String>,
    /// Whether the build directory now holds this build.
    pub published: bool,
    /// Articles parsed and rendered (the rest were reused).
    pub parsed: usize,
    pub rendered: usize,
    /// Whether files made from every article (the search index; after an update in place, also
    /// the JSON indexes and `llms` files) predate this build: a `rebuild(false)` should follow when
    /// the writer pauses (see [`Session::rebuild`]).
    pub pending: bool,
    /// Whether this rebuild worked in place on the last book: it updated the build folder in place
    /// when `published`, else it found errors and wrote nothing.
    pub in_place: bool,
    /// Whether a `rebuild(false)` stopped because a file changed while it ran: nothing was
    /// published, and it is still to do.
    pub interrupted: bool,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn errors(&self) -> usize {
        self.book.as_ref().map_or(0, |b| b.count(Severity::Error)) + usize::from(self.error.is_some())
    }
}

impl Session {
    pub fn new(dir: PathBuf, dest: Option<PathBuf>) -> Session {
        Session {
            dir,
            dest,
            parse: ParseCache::default(),
            last: None,
            parts: None,
            previewed: Vec::new(),
            in_place: None,
            unpublished: std::collections::BTreeSet::new(),
            interrupt: Arc::default(),
        }
    }

    /// Keeps a rebuild's book for the next [`Session::preview`] and update in place, and computes
    /// what its outputs share now, while the writer is not waiting (an update in place changed
    /// nothing they share). A whole rebuild that published nothing leaves no book to work on: the
    /// content may differ from the published build in any way, so the next change rebuilds whole.
    pub fn keep(&mut self, outcome: Outcome) {
        if outcome.interrupted {
            return;
        }
        if outcome.published || outcome.in_place {
            if !outcome.in_place || self.parts.is_none() {
                self.parts = outcome.book.as_ref().map(crate::render::Parts::new);
            }
            self.last = outcome.book;
        } else {
            self.last = None;
        }
    }

    /// Writes the page of each changed article into the build directory, rendered from the last
    /// published book with the new text: the writer sees the edit before the whole book is
    /// checked and rebuilt. `None` when there is nothing to preview: no published build yet, a
    /// path that is not an article of it (a new file, a fragment, the theme, `book.toml`), a file
    /// that cannot be read as text, or unchanged text. The next [`Session::rebuild`] must follow.
    pub fn preview(&mut self, changed: &[PathBuf]) -> Option<Preview> {
        let started = Instant::now();
        // Set again below when every change is an edit that keeps the book's shape.
        let mut in_place = self.in_place.take().unwrap_or_default();
        if changed.is_empty() || changed.len() > MAX_PREVIEW {
            return None;
        }
        let book = self.last.as_mut()?;
        // The watcher reports real paths; the content root may be written `docs/../content`.
        let root = std::fs::canonicalize(&book.content.root).ok()?;
        let mut edited = Vec::new();
        for path in changed {
            let Ok(real) = std::fs::canonicalize(path) else {
                // Gone. An editor's temporary file (vim's `4913`, a backup `x.md~`) that the last
                // build never saw changes nothing; a file or folder it had was deleted.
                let under = path.strip_prefix(&root).or_else(|_| path.strip_prefix(&book.content.root));
                let rel = crate::source::slash_path(under.ok()?);
                if book.content.paths.contains(&rel) || book.content.dirs.contains(&rel) {
                    return None;
                }
                continue;
            };
            let rel = crate::source::slash_path(real.strip_prefix(&root).ok()?);
            let i = book.articles.iter().position(|a| a.rel_path == rel)?;
            let file = book.articles[i].file;
            let (text, had_bom) = crate::load::read_markdown(path)?;
            if book.content.sources.get(file).text() != Some(text.as_str()) {
                edited.push((i, text, had_bom));
            }
        }
        if edited.is_empty() {
            self.in_place = Some(in_place);
            return None;
        }
        let mut same_shape = true;
        let hosts = book.config.output.html.iframe_hosts.clone();
        for (i, text, had_bom) in edited.iter_mut() {
            let file = book.articles[*i].file;
            let before = &book.articles[*i];
            let shape = |a: &crate::model::Article| {
                let includes: Vec<_> = a.includes.iter().map(|inc| (inc.path.clone(), inc.file)).collect();
                (a.title.clone(), a.locale.clone(), a.meta.assetid.clone(), includes)
            };
            let (shape_before, facts_before) = (shape(before), crate::incremental::facts(before));
            book.content.sources.replace_text(file, std::mem::take(text), *had_bom);
            let locale = book.content.default_locale(book.config.book.language.as_deref(), file);
            let includes = book.content.include_context();
            let input = crate::parse::ParseInput {
                sources: &book.content.sources,
                includes: &includes,
                default_locale: &locale,
            };
            let (after, mut diagnostics) = crate::parse::parse_article(&input, file);
            same_shape &= shape_before == shape(&after);
            in_place.edited.insert(*i);
            if facts_before != crate::incremental::facts(&after) {
                in_place.reshaped.insert(*i);
            }
            diagnostics
                .extend(crate::check::check_text(file, book.content.sources.get(file).text().unwrap_or("")));
            diagnostics.extend(crate::check::check_article(&after, &hosts));
            if let Some(slot) = book.findings.articles.get_mut(*i) {
                *slot = diagnostics;
            }
            book.articles[*i] = after;
        }
        if same_shape {
            self.in_place = Some(in_place);
        }
        // The navigation and translations come from every article's title, locale and assetid:
        // when an edit changes those, they are computed again.
        // (The JSON parts are renewed by `keep` after the full rebuild such an edit gets.)
        match &mut self.parts {
            Some(parts) if !same_shape => parts.pages = crate::render::html::Pages::new(book),
            Some(_) => {}
            None => self.parts = Some(crate::render::Parts::new(book)),
        }
        let pages_parts = &self.parts.as_ref()?.pages;
        let absolute = book.config.check.absolute_links;
        let resolved: Vec<_> = {
            let index = crate::resolve::Index::new(&book.content, &book.articles);
            edited
                .iter()
                .map(|(i, ..)| {
                    let id = crate::model::ArticleId(*i as u32);
                    crate::resolve::resolve_links(&index, id, &book.articles[*i], absolute)
                })
                .collect()
        };
        for ((i, ..), links) in edited.iter().zip(resolved) {
            crate::resolve::fill_procedures(&mut book.articles[*i], &links.links);
            book.resolution.replace(crate::model::ArticleId(*i as u32), links);
        }
        let dest = book.config.build.build_dir.clone();
        let mut pages = Vec::new();
        for (i, ..) in &edited {
            let Ok(Some((rel, html))) = pages_parts.page(book, crate::model::ArticleId(*i as u32)) else {
                continue;
            };
            let path = dest.join(&rel);
            let before = std::fs::read(&path).ok();
            if replace_file(&path, html.as_bytes()).is_ok() {
                if !self.previewed.iter().any(|(p, _)| *p == path) {
                    self.previewed.push((path, before));
                }
                pages.push((rel, html));
            }
        }
        // No page written (the site is off, or the build folder is not writable): nothing to show.
        (!pages.is_empty()).then(|| Preview { pages, elapsed: started.elapsed() })
    }

    fn config(&self) -> Result<Config, String> {
        let mut config = Config::load(&self.dir).map_err(|e| {
            let path = e.path.display();
            match (&e.text, &e.range) {
                (Some(text), Some(range)) => {
                    let file =
                        crate::source::SourceFile::new(String::new(), e.path.clone(), text.clone(), false);
                    let at = file.line_col(range.start);
                    format!("{path}:{}:{}: {}", at.line, at.col, e.message)
                }
                _ => format!("{path}: {}", e.message),
            }
        })?;
        if let Some(dest) = &self.dest {
            config.build.build_dir = dest.clone();
        }
        Ok(config)
    }

    /// Where the build is written (also when `book.toml` is broken: then `--dest`, else `book/`).
    pub fn build_dir(&self) -> PathBuf {
        match self.config() {
            Ok(c) => c.build.build_dir,
            Err(_) => self.dest.clone().unwrap_or_else(|| self.dir.join("book")),
        }
    }

    /// What to watch now (`book.toml` may move the content root or the theme).
    pub fn targets(&self) -> Targets {
        let mut trees = Vec::new();
        if let Ok(c) = self.config() {
            trees.push(c.book.src.clone());
            if let Some(t) = &c.output.html.theme {
                trees.push(t.clone());
            }
        }
        Targets { dir: self.dir.clone(), trees, build_dir: self.build_dir() }
    }

    /// Loads, checks and, when there are no errors, renders and publishes (reusing what it can).
    ///
    /// With `quick`, the writer is waiting. A changed search index is not rebuilt: the previous
    /// one is published. When the previews since the last rebuild were edits that keep the book's
    /// shape, the published build is updated in place instead: the edited articles (and those
    /// whose links were checked against anchors that changed) are resolved and checked again, the
    /// whole book's diagnostics recomputed from the parts that did not change, and only those
    /// articles' own files written. Either way [`Outcome::pending`] says a `rebuild(false)`
    /// should follow when the writer pauses, to bring the files made from every article up to date
    /// and make the folder again exactly what `kbc build` writes.
    ///
    /// Without `quick`, the build stops when a relevant file changes while it runs (the writer
    /// edited again): [`Outcome::interrupted`], nothing published.
    pub fn rebuild(&mut self, quick: bool) -> Outcome {
        // This rebuild sees every change made so far.
        self.interrupt.store(false, Ordering::Relaxed);
        let in_place = self.in_place.take();
        let outcome = match in_place {
            Some(edits) if quick && self.last.is_some() => self.update_in_place(edits),
            _ => self.build(quick),
        };
        // When this build was not published, the build directory must be the last good build
        // again: put back the pages that previews replaced.
        for (path, before) in std::mem::take(&mut self.previewed) {
            if !outcome.published {
                match before {
                    Some(bytes) => drop(replace_file(&path, &bytes)),
                    None => drop(std::fs::remove_file(&path)),
                }
            }
        }
        outcome
    }

    /// The in-place update of [`Session::rebuild`], on the book the previews edited.
    fn update_in_place(&mut self, edits: InPlace) -> Outcome {
        let started = Instant::now();
        let mut outcome = Outcome::default();
        let Some(mut book) = self.last.take() else { return self.build(true) };
        let Some(parts) = self.parts.as_ref() else {
            self.last = Some(book);
            return self.build(true);
        };
        let mut affected = vec![false; book.articles.len()];
        for &i in edits.edited.iter().chain(&self.unpublished) {
            affected[i] = true;
        }
        // Articles whose links were checked against sections or anchors that changed resolve
        // and render again; nothing else depends on an edit that keeps the book's shape.
        let mut dependents = std::collections::BTreeSet::new();
        for &i in &edits.reshaped {
            let id = crate::model::ArticleId(i as u32);
            dependents.extend(
                book.resolution
                    .dependents(id)
                    .into_iter()
                    .filter(|d| !edits.edited.contains(&(d.0 as usize))),
            );
        }
        if !dependents.is_empty() {
            let absolute = book.config.check.absolute_links;
            let index = crate::resolve::Index::new(&book.content, &book.articles);
            let resolved: Vec<_> = dependents
                .iter()
                .map(|&id| crate::resolve::resolve_links(&index, id, &book.articles[id.0 as usize], absolute))
                .collect();
            drop(index);
            for (&id, links) in dependents.iter().zip(resolved) {
                crate::resolve::fill_procedures(&mut book.articles[id.0 as usize], &links.links);
                book.resolution.replace(id, links);
                affected[id.0 as usize] = true;
            }
        }
        book.diagnose();
        outcome.parsed = edits.edited.len();
        outcome.in_place = true;
        if book.has_errors() {
            // Nothing is written; the book is kept (see `keep`) and these articles wait.
            self.unpublished = (0..affected.len()).filter(|&i| affected[i]).collect();
        } else {
            let only = crate::render::Only { articles: affected, parts };
            let dest = book.config.build.build_dir.clone();
            if crate::render::write_all_with(&book, &dest, &only).is_err() {
                // Some files may be new and others not: publish a whole build instead (which
                // reports the error if writing fails again).
                return self.build(true);
            }
            self.unpublished.clear();
            outcome.published = true;
            outcome.rendered = only.articles.iter().filter(|&&a| a).count();
            outcome.pending = outcome.rendered > 0;
        }
        outcome.book = Some(book);
        outcome.elapsed = started.elapsed();
        outcome
    }

    fn build(&mut self, quick: bool) -> Outcome {
        let started = Instant::now();
        let mut outcome = Outcome::default();
        let config = match self.config() {
            Ok(c) => c,
            Err(e) => {
                outcome.error = Some(e);
                outcome.elapsed = started.elapsed();
                return outcome;
            }
        };
        let interruptible = (!quick).then(|| self.interrupt.clone());
        let flag = interruptible.clone();
        let stop = move || flag.as_ref().is_some_and(|f| f.load(Ordering::Relaxed));
        let interrupted = |mut outcome: Outcome| {
            outcome.interrupted = true;
            outcome.pending = true;
            outcome.elapsed = started.elapsed();
            outcome
        };
        let book = match Book::load_until(config, &mut self.parse, &stop) {
            Ok(Some(b)) => b,
            Ok(None) => return interrupted(outcome),
            Err(e) => {
                outcome.error = Some(e.to_string());
                outcome.elapsed = started.elapsed();
                return outcome;
            }
        };
        outcome.parsed = self.parse.parsed;
        if !book.has_errors() {
            let dest = book.config.build.build_dir.clone();
            let Some(cache) = Cache::new_until(&book, &dest, &stop) else { return interrupted(outcome) };
            let cache = cache.stale(quick).interruptible(interruptible);
            // The replaced build, or this one when it stopped, is deleted on another thread: the
            // writer's next edit need not wait for 80,000 files to go.
            let discard = |trash: PathBuf| {
                std::thread::spawn(move || {
                    let _ = std::fs::remove_dir_all(trash);
                });
            };
            let write = |out: &Path| {
                crate::render::write_all_with(&book, out, &cache)?;
                cache
                    .persist(out)
                    .map_err(|e| crate::render::RenderError::io(&out.join(crate::incremental::CACHE_DIR), e))
            };
            let result = crate::output::publish_with(&dest, write, &discard);
            match result {
                Ok(Ok(())) => {
                    outcome.published = true;
                    self.unpublished.clear();
                }
                Ok(Err(e)) if e.is_interrupted() => {
                    outcome.interrupted = true;
                    outcome.pending = true;
                }
                Ok(Err(e)) => outcome.error = Some(format!("writing the build failed: {e}")),
                Err(e) => outcome.error = Some(e.to_string()),
            }
            outcome.rendered = cache.rendered();
            outcome.pending |= outcome.published && cache.used_stale();
        }
        outcome.book = Some(book);
        outcome.elapsed = started.elapsed();
        outcome
    }
}

use crate::render::replace_file;

/// What the overlay and `/__kbc/status` show about the last rebuild.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Status {
    /// Counts rebuilds; a page reloads when it changes.
    pub generation: u64,
    pub errors: usize,
    pub warnings: usize,
    /// Errors, then warnings, as `kbc check --format json` writes them (`file`, `line`, `column`,
    /// `code`, `message`...), paths relative to the book folder.
    pub diagnostics: Vec<serde_json::Value>,
    /// A problem that is not a content diagnostic (`book.toml`, the build directory).
    pub error: Option<String>,
    /// Whether the served build is this rebuild's (false: the last good one is shown).
    pub published: bool,
    pub articles: usize,
    pub parsed: usize,
    pub rendered: usize,
}

impl Status {
    pub fn new(generation: u64, dir: &Path, outcome: &Outcome) -> Status {
        let mut status = Status {
            generation,
            error: outcome.error.clone(),
            published: outcome.published,
            parsed: outcome.parsed,
            rendered: outcome.rendered,
            ..Status::default()
        };
        if let Some(book) = &outcome.book {
            status.errors = book.count(Severity::Error);
            status.warnings = book.count(Severity::Warning);
            status.articles = book.articles.len();
            let mut shown: Vec<_> =
                book.diagnostics.iter().filter(|d| d.severity != Severity::Note).collect();
            shown.sort_by_key(|d| d.severity != Severity::Error);
            let opts = RenderOptions { format: Format::Json, color: false, cwd: dir };
            status.diagnostics = render::render(&shown, &book.content.sources, &opts)
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect();
        }
        status
    }
}

/// Folders and files whose changes trigger a rebuild.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets {
    /// The book folder: watched on its own, for `book.toml` (editors save by renaming, so the
    /// file itself cannot be watched).
    dir: PathBuf,
    /// The content root and the theme, watched recursively.
    trees: Vec<PathBuf>,
    build_dir: PathBuf,
}

impl Targets {
    /// Whether a changed path matters: `book.toml`, or a path in the content root or the theme,
    /// but not in the build directory nor in kbc's own temporary and cache folders.
    pub fn is_relevant(&self, path: &Path) -> bool {
        if path.starts_with(&self.build_dir)
            || path.components().any(|c| c.as_os_str().to_string_lossy().contains(".kbc-"))
        {
            return false;
        }
        path == self.dir.join("book.toml") || self.trees.iter().any(|t| path.starts_with(t))
    }
}

/// How long the file system must stay quiet before a rebuild starts: an editor's save (write,
/// rename, touch) or a `git checkout` arrives as a burst of events.
pub const DEBOUNCE: Duration = Duration::from_millis(100);

/// A file watcher over a session's [`Targets`]. Start it before the first build, so edits made
/// while that build runs are not lost.
pub struct Watch {
    watcher: notify::RecommendedWatcher,
    events: std::sync::mpsc::Receiver<notify::Result<notify::Event>>,
    targets: Option<Targets>,
    /// The same, for the watcher's own thread.
    shared_targets: Arc<Mutex<Option<Targets>>>,
}

impl Watch {
    /// Watches `session`'s targets. A relevant change also raises the session's interrupt flag
    /// at once (from the watcher's thread), so a follow-up build gives way to the writer.
    pub fn start(session: &Session) -> Result<Watch, String> {
        let (tx, events) = std::sync::mpsc::channel();
        let shared_targets: Arc<Mutex<Option<Targets>>> = Arc::default();
        let (targets, interrupt) = (shared_targets.clone(), session.interrupt.clone());
        let handler = move |event: notify::Result<notify::Event>| {
            if let Ok(e) = &event
                && !matches!(e.kind, notify::EventKind::Access(_))
            {
                let targets = targets.lock().unwrap_or_else(|e| e.into_inner());
                if targets.as_ref().is_some_and(|t| e.paths.iter().any(|p| t.is_relevant(p))) {
                    interrupt.store(true, Ordering::Relaxed);
                }
            }
            let _ = tx.send(event);
        };
        let watcher =
            notify::recommended_watcher(handler).map_err(|e| format!("cannot watch for changes: {e}"))?;
        let mut watch = Watch { watcher, events, targets: None, shared_targets };
        watch.update(session);
        Ok(watch)
    }

    /// Watches what the session's configuration names now.
    fn update(&mut self, session: &Session) {
        use notify::{RecursiveMode, Watcher};
        let wanted = session.targets();
        if self.targets.as_ref() == Some(&wanted) {
            return;
        }
        if let Some(old) = self.targets.take() {
            let _ = self.watcher.unwatch(&old.dir);
            for t in &old.trees {
                let _ = self.watcher.unwatch(t);
            }
        }
        let all = std::iter::once((&wanted.dir, RecursiveMode::NonRecursive))
            .chain(wanted.trees.iter().map(|t| (t, RecursiveMode::Recursive)));
        for (path, mode) in all {
            if let Err(e) = self.watcher.watch(path, mode) {
                eprintln!("warning: cannot watch `{}`: {e}", path.display());
            }
        }
        *self.shared_targets.lock().unwrap_or_else(|e| e.into_inner()) = Some(wanted.clone());
        self.targets = Some(wanted);
    }

    /// Runs `on_change` with the changed paths after each burst of relevant changes (debounced),
    /// until the watcher fails. When `on_change` returns true (work was left for later, such as a
    /// stale search index), it is called again with no paths once the file system has been quiet
    /// for [`DEBOUNCE`]. Returns the error that ended the watch.
    pub fn run(
        mut self,
        session: &mut Session,
        mut on_change: impl FnMut(&mut Session, &[PathBuf]) -> bool,
    ) -> String {
        use notify::EventKind;
        use std::sync::mpsc::RecvTimeoutError;
        let mut pending = false;
        // Relevant paths seen since the last rebuild, and when the last of them (or the rebuild) came.
        let mut changed: Vec<PathBuf> = Vec::new();
        let mut last = Instant::now();
        loop {
            let event = if changed.is_empty() && !pending {
                match self.events.recv() {
                    Ok(event) => Some(event),
                    Err(_) => return "the file watcher stopped".to_string(),
                }
            } else {
                // Debounce: wait until no relevant change came for DEBOUNCE. Other events (kbc
                // reading the content, writing the build) do not restart the wait.
                match self.events.recv_timeout(DEBOUNCE.saturating_sub(last.elapsed())) {
                    Ok(event) => Some(event),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return "the file watcher stopped".to_string(),
                }
            };
            match event {
                // Reading files is not a change.
                Some(Ok(e)) if matches!(e.kind, EventKind::Access(_)) => {}
                Some(Ok(e)) => {
                    let before = changed.len();
                    if let Some(targets) = &self.targets {
                        changed.extend(e.paths.into_iter().filter(|p| targets.is_relevant(p)));
                    }
                    if changed.len() > before {
                        last = Instant::now();
                    }
                }
                Some(Err(e)) => eprintln!("warning: watching for changes: {e}"),
                None if !changed.is_empty() => {
                    changed.sort();
                    changed.dedup();
                    pending = on_change(session, &changed);
                    changed.clear();
                    last = Instant::now();
                    self.update(session);
                }
                None => pending = on_change(session, &[]),
            }
        }
    }
}
