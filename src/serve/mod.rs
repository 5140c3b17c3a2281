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
use std::time::{Duration, Instant};

/// One book folder being rebuilt again and again.
pub struct Session {
    /// The book folder, absolute.
    pub dir: PathBuf,
    /// `--dest`, absolute.
    dest: Option<PathBuf>,
    parse: ParseCache,
    /// The last published book, for previews, and what its pages share.
    last: Option<Book>,
    pages: Option<crate::render::html::Pages>,
    /// Pages a preview replaced since the last rebuild: path and previous bytes (`None`: the page
    /// did not exist).
    previewed: Vec<(PathBuf, Option<Vec<u8>>)>,
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
    /// Whether the published search index predates this build (see [`Session::rebuild`]).
    pub stale_search: bool,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn errors(&self) -> usize {
        self.book.as_ref().map_or(0, |b| b.count(Severity::Error)) + usize::from(self.error.is_some())
    }
}

impl Session {
    pub fn new(dir: PathBuf, dest: Option<PathBuf>) -> Session {
        Session { dir, dest, parse: ParseCache::default(), last: None, pages: None, previewed: Vec::new() }
    }

    /// Keeps a rebuild's book for the next [`Session::preview`] when it was published, and
    /// computes what its pages share now, while the writer is not waiting.
    pub fn keep(&mut self, outcome: Outcome) {
        if outcome.published {
            self.pages = outcome.book.as_ref().map(crate::render::html::Pages::new);
            self.last = outcome.book;
        }
    }

    /// Writes the page of each changed article into the build directory, rendered from the last
    /// published book with the new text: the writer sees the edit before the whole book is
    /// checked and rebuilt. `None` when there is nothing to preview: no published build yet, a
    /// path that is not an article of it (a new file, a fragment, the theme, `book.toml`), a file
    /// that cannot be read as text, or unchanged text. The next [`Session::rebuild`] must follow.
    pub fn preview(&mut self, changed: &[PathBuf]) -> Option<Preview> {
        let started = Instant::now();
        if changed.is_empty() || changed.len() > MAX_PREVIEW {
            return None;
        }
        let book = self.last.as_mut()?;
        // The watcher reports real paths; the content root may be written `docs/../content`.
        let root = std::fs::canonicalize(&book.content.root).ok()?;
        let mut edited = Vec::new();
        for path in changed {
            let real = std::fs::canonicalize(path).ok()?;
            let rel = crate::source::slash_path(real.strip_prefix(&root).ok()?);
            let i = book.articles.iter().position(|a| a.rel_path == rel)?;
            let file = book.articles[i].file;
            let (text, had_bom) = crate::load::read_markdown(path)?;
            if text != book.content.sources.get(file).text {
                edited.push((i, text, had_bom));
            }
        }
        if edited.is_empty() {
            return None;
        }
        let mut same_shape = true;
        for (i, text, had_bom) in edited.iter_mut() {
            let file = book.articles[*i].file;
            let before = &book.articles[*i];
            let shape = (before.title.clone(), before.locale.clone(), before.meta.assetid.clone());
            book.content.sources.replace_text(file, std::mem::take(text), *had_bom);
            let locale = book.content.default_locale(book.config.book.language.as_deref(), file);
            let includes = book.content.include_context();
            let input = crate::parse::ParseInput {
                sources: &book.content.sources,
                includes: &includes,
                default_locale: &locale,
            };
            let after = crate::parse::parse_article(&input, file).0;
            same_shape &= shape == (after.title.clone(), after.locale.clone(), after.meta.assetid.clone());
            book.articles[*i] = after;
        }
        // The navigation and translations come from every article's title, locale and assetid:
        // when an edit changes those, they are computed again.
        if !same_shape || self.pages.is_none() {
            self.pages = Some(crate::render::html::Pages::new(book));
        }
        let pages_parts = self.pages.as_ref()?;
        let absolute = book.config.check.absolute_links;
        let resolved: Vec<_> = {
            let index = crate::resolve::Index::new(&book.content, &book.articles);
            edited
                .iter()
                .map(|(i, ..)| {
                    let id = crate::model::ArticleId(*i as u32);
                    crate::resolve::resolve_links(&index, id, &book.articles[*i], absolute).0
                })
                .collect()
        };
        for ((i, ..), links) in edited.iter().zip(resolved) {
            crate::resolve::fill_procedures(&mut book.articles[*i], &links);
            if let Some(slot) = book.resolution.links.get_mut(*i) {
                *slot = links;
            }
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
    /// With `quick`, a changed search index is not rebuilt: the previous one is published and
    /// [`Outcome::stale_search`] says a `rebuild(false)` should follow when the writer pauses.
    pub fn rebuild(&mut self, quick: bool) -> Outcome {
        let outcome = self.build(quick);
        // When this build was not published, the build directory must be the last good build
        // again: put back the pages that previews replaced.
        for (path, before) in std::mem::take(&mut self.previewed) {
            if !outcome.published {
                let _ = match before {
                    Some(bytes) => replace_file(&path, &bytes),
                    None => std::fs::remove_file(&path),
                };
            }
        }
        outcome
    }

    fn build(&mut self, quick: bool) -> Outcome {
        let started = Instant::now();
        let mut outcome = Outcome {
            book: None,
            error: None,
            published: false,
            parsed: 0,
            rendered: 0,
            stale_search: false,
            elapsed: Duration::ZERO,
        };
        let config = match self.config() {
            Ok(c) => c,
            Err(e) => {
                outcome.error = Some(e);
                outcome.elapsed = started.elapsed();
                return outcome;
            }
        };
        let book = match Book::load_cached(config, &mut self.parse) {
            Ok(b) => b,
            Err(e) => {
                outcome.error = Some(e.to_string());
                outcome.elapsed = started.elapsed();
                return outcome;
            }
        };
        outcome.parsed = self.parse.parsed;
        if !book.has_errors() {
            let dest = book.config.build.build_dir.clone();
            let cache = Cache::new(&book, &dest).stale(quick);
            let result = crate::output::publish(&dest, |out| {
                crate::render::write_all_with(&book, out, &cache)?;
                cache
                    .persist(out)
                    .map_err(|e| crate::render::RenderError::io(&out.join(crate::incremental::CACHE_DIR), e))
            });
            match result {
                Ok(Ok(())) => outcome.published = true,
                Ok(Err(e)) => outcome.error = Some(format!("writing the build failed: {e}")),
                Err(e) => outcome.error = Some(e.to_string()),
            }
            outcome.rendered = cache.rendered();
            outcome.stale_search = outcome.published && cache.used_stale();
        }
        outcome.book = Some(book);
        outcome.elapsed = started.elapsed();
        outcome
    }
}

/// Replaces `path` with `bytes` through a temporary file beside it and a rename, so a reader never
/// sees half a page (and a page hard-linked into the render cache is never written through).
fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.kbc-preview"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

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
                book.diagnostics.iter().filter(|d| d.severity != Severity::Note).cloned().collect();
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
}

impl Watch {
    pub fn start(session: &Session) -> Result<Watch, String> {
        let (tx, events) = std::sync::mpsc::channel();
        let watcher =
            notify::recommended_watcher(tx).map_err(|e| format!("cannot watch for changes: {e}"))?;
        let mut watch = Watch { watcher, events, targets: None };
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
