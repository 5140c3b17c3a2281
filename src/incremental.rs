//! Incremental builds: renderers reuse what a previous build rendered for an article whose inputs
//! did not change.
//!
//! Every article gets a key: a SHA-256 of everything its outputs depend on. Rendering stays a pure
//! function of the model, and the model of the texts it was parsed from, so the key is computed
//! from those and from the model's links, not from a list of output files:
//!
//! - kbc's version and a hash of its source (`build.rs`), the resolved configuration, the theme
//!   (every file of a user theme, and the built-in one), and the shape of the whole book (every
//!   article's path, locale, title and `ms.assetid`, every navigation file's text): a change to
//!   any of these re-renders everything;
//! - the texts the article was parsed from (its own and every included file's), its path, locale
//!   and where its includes resolved, and how each of its links resolved;
//! - the sections and anchors of every article it links to, its place in the navigation and its
//!   translations.
//!
//! Checking is not cached: load, parse, resolve and check always run over the whole knowledge
//! base, so a removed anchor is reported in every article that links to it, and those articles
//! (whose resolved links changed) are rendered again.
//!
//! The cache lives in the build directory, `.kbc-cache/render/<renderer>/<key>.msgpack`
//! (MessagePack), and is written into each new build beside the outputs (unchanged entries
//! hard-linked from the previous build), so it survives [`crate::output::publish`]'s swap and keeps
//! only what the current build used.

use crate::Book;
use crate::model::{Article, ArticleId};
use crate::render::html::{site, theme};
use crate::render::{Memo, hash_json, hex};
use crate::resolve::Resolved;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The cache folder inside a build directory.
pub const CACHE_DIR: &str = ".kbc-cache/render";

/// Whole-book results a watch loop may publish from an older build (see [`Cache::stale`]): only
/// the search indexes (`search-0`, `search-1`...), which are slow to build and only find pages.
fn stale_allowed(name: &str) -> bool {
    name.strip_prefix("search-").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A cache entry: `folder/file`, its folder (the renderer, no `/` in it) and file name (the key),
/// in one allocation: a build records one per article and renderer.
#[derive(PartialEq, Eq, Hash)]
struct Entry(Box<str>);

impl Entry {
    fn new(folder: &str, file: &str) -> Entry {
        Entry(format!("{folder}/{file}").into_boxed_str())
    }

    fn folder(&self) -> &str {
        self.0.split_once('/').map_or(&*self.0, |(folder, _)| folder)
    }

    fn file(&self) -> &str {
        self.0.split_once('/').map_or("", |(_, file)| file)
    }
}

/// What this build did with a cache entry.
enum Used {
    /// Taken from the previous build: [`Cache::persist`] links it into the new one.
    Reused,
    /// Rendered by this build and already written into the new build folder.
    Written,
    /// Rendered before the new build folder was known, or writing it there failed:
    /// [`Cache::persist`] writes it (and reports the error).
    Held(Box<[u8]>),
}

/// The render cache of one build: keys of the current articles, and where the previous build
/// kept its entries. New entries are written into the new build as they are stored (see
/// [`Memo::begin`]), so a build never holds every rendered output in memory.
pub struct Cache {
    keys: Vec<String>,
    /// The hash of every article's key, in order.
    book_key: String,
    /// `<build dir>/.kbc-cache/render` of the previous build (read only).
    previous: PathBuf,
    /// The new build folder, once the renderers start writing it.
    out: OnceLock<PathBuf>,
    /// Entries used by this build, by `(folder, file name)`.
    used: Mutex<HashMap<Entry, Used>>,
    rendered: Vec<AtomicBool>,
    reused_globals: AtomicUsize,
    /// Whether a whole-book result may come from a build with other inputs (see [`Cache::stale`]).
    allow_stale: bool,
    used_stale: AtomicBool,
    /// When raised, the renderers stop (see [`Cache::interruptible`]).
    interrupt: Option<Arc<AtomicBool>>,
}

impl Cache {
    /// Keys every article of `book`; entries are looked up under `build_dir`.
    pub fn new(book: &Book, build_dir: &Path) -> Cache {
        match Cache::new_until(book, build_dir, &|| false) {
            Some(cache) => cache,
            None => unreachable!("keying that is never stopped finishes"),
        }
    }

    /// [`Cache::new`], giving up (`None`) when `stop` returns true before an article is keyed.
    pub fn new_until(book: &Book, build_dir: &Path, stop: crate::build::Stop<'_>) -> Option<Cache> {
        let keys = article_keys(book, stop)?;
        let mut h = Sha256::new();
        for key in &keys {
            h.update(key.as_bytes());
            h.update([0]);
        }
        Some(Cache {
            book_key: hex(&h.finalize()),
            rendered: keys.iter().map(|_| AtomicBool::new(false)).collect(),
            keys,
            previous: build_dir.join(CACHE_DIR),
            out: OnceLock::new(),
            used: Mutex::new(HashMap::new()),
            reused_globals: AtomicUsize::new(0),
            allow_stale: false,
            used_stale: AtomicBool::new(false),
            interrupt: None,
        })
    }

    /// Stops the build (the renderers return [`crate::render::RenderError::interrupted`]) once
    /// `flag` is raised: a watch loop's follow-up build gives way to a newer edit.
    pub fn interruptible(mut self, flag: Option<Arc<AtomicBool>>) -> Cache {
        self.interrupt = flag;
        self
    }

    /// Lets whole-book results (the search index) come from the previous build when their inputs
    /// changed, so a watch loop publishes an edit without waiting for a full re-index; a later
    /// build without this brings them up to date. [`Cache::used_stale`] tells whether it happened.
    pub fn stale(mut self, allow: bool) -> Cache {
        self.allow_stale = allow;
        self
    }

    /// Whether this build published a whole-book result made from older inputs.
    pub fn used_stale(&self) -> bool {
        self.used_stale.load(Ordering::Relaxed)
    }

    /// Articles that at least one renderer rendered (the rest came from the cache).
    pub fn rendered(&self) -> usize {
        self.rendered.iter().filter(|r| r.load(Ordering::Relaxed)).count()
    }

    /// Completes the entries this build used in `out` (the new build folder): reused ones are
    /// hard-linked from the previous build (copied where links are not possible), new ones not
    /// yet written are written.
    pub fn persist(&self, out: &Path) -> std::io::Result<()> {
        let used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        let folders: BTreeSet<&str> = used.keys().map(Entry::folder).collect();
        for folder in folders {
            std::fs::create_dir_all(out.join(CACHE_DIR).join(folder))?;
        }
        let written_here = self.out.get().is_some_and(|o| o == out);
        used.par_iter().try_for_each(|(entry, state)| {
            let (folder, file) = (entry.folder(), entry.file());
            let to = out.join(CACHE_DIR).join(folder).join(file);
            match state {
                Used::Held(b) => std::fs::write(&to, b),
                Used::Written if written_here => Ok(()),
                Used::Written => std::fs::copy(self.entry_in(folder, file), &to).map(|_| ()),
                Used::Reused => {
                    let from = self.previous.join(folder).join(file);
                    if std::fs::hard_link(&from, &to).is_err() {
                        std::fs::copy(&from, &to)?;
                    }
                    Ok(())
                }
            }
        })
    }

    /// Where a written entry is in the build folder it was written into.
    fn entry_in(&self, folder: &str, file: &str) -> PathBuf {
        self.out.get().map(|o| o.join(CACHE_DIR).join(folder).join(file)).unwrap_or_default()
    }

    fn lookup(&self, folder: &str, file: String) -> Option<Vec<u8>> {
        let bytes = std::fs::read(self.previous.join(folder).join(&file)).ok()?;
        self.used.lock().unwrap_or_else(|e| e.into_inner()).insert(Entry::new(folder, &file), Used::Reused);
        Some(bytes)
    }

    fn store(&self, folder: &str, file: String, value: Vec<u8>) {
        self.store_with(folder, file, |w| w.write_all(&value));
    }

    /// Stores the entry `encode` writes: straight into the new build folder when it is known,
    /// else held in memory until [`Cache::persist`].
    fn store_with(&self, folder: &str, file: String, encode: impl Fn(&mut dyn Write) -> std::io::Result<()>) {
        let written = self.out.get().is_some_and(|out| {
            let dir = out.join(CACHE_DIR).join(folder);
            let write = || -> std::io::Result<()> {
                std::fs::create_dir_all(&dir)?;
                let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join(&file))?);
                encode(&mut w)?;
                w.flush()
            };
            write().is_ok()
        });
        let state = if written {
            Used::Written
        } else {
            let mut held = Vec::new();
            match encode(&mut held) {
                Ok(()) => Used::Held(held.into_boxed_slice()),
                Err(_) => return,
            }
        };
        self.used.lock().unwrap_or_else(|e| e.into_inner()).insert(Entry::new(folder, &file), state);
    }
}

/// Renderer names become folder names: keep them plain.
fn folder(renderer: &str) -> Option<&str> {
    (!renderer.is_empty() && renderer.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .then_some(renderer)
}

impl Memo for Cache {
    fn enabled(&self) -> bool {
        true
    }

    /// A cache serves one build: the first folder it is given is where its new entries go.
    fn interrupted(&self) -> bool {
        self.interrupt.as_ref().is_some_and(|f| f.load(Ordering::Relaxed))
    }

    fn begin(&self, out: &Path) {
        let _ = self.out.set(out.to_path_buf());
    }

    fn book_key(&self) -> Option<&str> {
        Some(&self.book_key)
    }

    fn get(&self, renderer: &str, id: ArticleId) -> Option<Vec<u8>> {
        let key = self.keys.get(id.0 as usize)?;
        self.lookup(folder(renderer)?, format!("{key}.msgpack"))
    }

    fn put(&self, renderer: &str, id: ArticleId, value: Vec<u8>) {
        if let Some(r) = self.rendered.get(id.0 as usize) {
            r.store(true, Ordering::Relaxed);
        }
        if let (Some(key), Some(folder)) = (self.keys.get(id.0 as usize), folder(renderer)) {
            self.store(folder, format!("{key}.msgpack"), value);
        }
    }

    fn copy_global(&self, name: &str, key: &str, out: &Path, dir: &str) -> Option<usize> {
        let name = folder(name)?;
        let exact = format!("{name}-{key}.bin");
        let copy = |file: &str| copy_files(&self.previous.join("global").join(file), out, dir);
        let (file, n) = match copy(&exact) {
            Some(n) => (exact, n),
            None if self.allow_stale && stale_allowed(name) => {
                // The previous build kept only the entry it used: at most one per name.
                let prefix = format!("{name}-");
                let older = std::fs::read_dir(self.previous.join("global"))
                    .ok()?
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|f| f.starts_with(&prefix) && f.ends_with(".bin"))
                    .min()?;
                let n = copy(&older)?;
                self.used_stale.store(true, Ordering::Relaxed);
                (older, n)
            }
            None => return None,
        };
        self.used.lock().unwrap_or_else(|e| e.into_inner()).insert(Entry::new("global", &file), Used::Reused);
        self.reused_globals.fetch_add(1, Ordering::Relaxed);
        Some(n)
    }

    fn put_global(&self, name: &str, key: &str, out: &Path, dir: &str, names: &[String]) {
        if let Some(name) = folder(name) {
            let folder = out.join(dir);
            self.store_with("global", format!("{name}-{key}.bin"), |w| encode_files(w, &folder, names));
        }
    }
}

/// A whole-book entry: the files `names` of `dir` as length-prefixed records (JSON would
/// quadruple binary index files), streamed: the files are as large as the book.
fn encode_files(w: &mut dyn Write, dir: &Path, names: &[String]) -> std::io::Result<()> {
    for name in names {
        let mut file = std::fs::File::open(dir.join(name))?;
        let len = file.metadata()?.len();
        w.write_all(&(name.len() as u64).to_le_bytes())?;
        w.write_all(name.as_bytes())?;
        w.write_all(&len.to_le_bytes())?;
        if std::io::copy(&mut (&mut file).take(len), w)? != len {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(())
}

/// Writes the files of the entry [`encode_files`] wrote at `path` into `out/dir`, streamed; how
/// many, or `None` when it is missing, cut short or names a file outside `dir` (a file already
/// copied stays: the result is made again over it).
fn copy_files(path: &Path, out: &Path, dir: &str) -> Option<usize> {
    let file = std::fs::File::open(path).ok()?;
    let mut left = file.metadata().ok()?.len();
    let mut from = std::io::BufReader::with_capacity(256 * 1024, file);
    let mut n = 0;
    while left > 0 {
        let name_len = read_len(&mut from, &mut left)?;
        let mut name = vec![0; usize::try_from(name_len).ok()?];
        from.read_exact(&mut name).ok()?;
        left -= name_len;
        let name = String::from_utf8(name).ok().filter(|n| plain_relative(n))?;
        let len = read_len(&mut from, &mut left)?;
        crate::render::write_file_from(out, &format!("{dir}{name}"), &mut from, len).ok()?;
        left -= len;
        n += 1;
    }
    Some(n)
}

/// Reads a record's length prefix and checks that the entry has that many bytes left after it.
fn read_len(from: &mut impl Read, left: &mut u64) -> Option<u64> {
    let mut bytes = [0; 8];
    from.read_exact(&mut bytes).ok()?;
    *left = left.checked_sub(8)?;
    let len = u64::from_le_bytes(bytes);
    (len <= *left).then_some(len)
}

/// A relative path that stays below its folder.
fn plain_relative(name: &str) -> bool {
    !name.is_empty() && Path::new(name).components().all(|c| matches!(c, std::path::Component::Normal(_)))
}

fn feed(h: &mut Sha256, value: &impl Serialize) {
    // Serialising these types does not fail (string keys only); a failure would only cost reuse.
    hash_json(h, value);
    h.update([0xff]);
}

/// What other articles see of an article: its path, title, locale, sections and anchors (no spans,
/// so an edit elsewhere in the article does not change it).
pub(crate) fn facts(a: &Article) -> [u8; 32] {
    let mut h = Sha256::new();
    feed(&mut h, &(&a.rel_path, &a.title, &a.locale, &a.meta.assetid, &a.id));
    for s in &a.sections {
        feed(&mut h, &(s.level, &s.title, &s.id, &s.anchors, s.parent));
    }
    for an in &a.anchors {
        feed(&mut h, &(&an.id, &an.kind, an.section, an.heading));
    }
    h.finalize().into()
}

/// The hash of kbc's version and source, the configuration and the theme.
pub fn settings_key(book: &Book) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update([0]);
    // Every commit of kbc renders as it does, whatever the version says (see `build.rs`).
    h.update(env!("KBC_SOURCE_HASH").as_bytes());
    h.update([0]);
    // Everything but `[check]`: rules and `--external` change diagnostics, never outputs (what
    // resolution decides is in each article's key).
    let c = &book.config;
    h.update(format!("{:?}\0{:?}\0{:?}\0{:?}", c.root, c.book, c.build, c.output).as_bytes());
    h.update([0]);
    for (name, text) in theme::default_files() {
        feed(&mut h, &(name, text));
    }
    if let Some(dir) = &book.config.output.html.theme {
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name().into_iter().flatten() {
            if entry.file_type().is_file() {
                let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
                feed(&mut h, &rel.to_string_lossy());
                // An unreadable theme file fails the render itself; here it only changes the key.
                h.update(std::fs::read(entry.path()).unwrap_or_default());
                h.update([0xff]);
            }
        }
    }
    h.finalize().into()
}

/// The key of every article, in article order; `None` when `stop` said so.
pub fn article_keys(book: &Book, stop: crate::build::Stop<'_>) -> Option<Vec<String>> {
    let mut h = Sha256::new();
    h.update(settings_key(book));
    for a in &book.articles {
        feed(&mut h, &(&a.rel_path, &a.locale, &a.title, &a.meta.assetid));
    }
    for nav in &book.navs {
        let src = book.content.sources.get(nav.file);
        feed(&mut h, &(&src.rel_path, src.text()));
    }
    let global: [u8; 32] = h.finalize().into();

    let facts: Vec<[u8; 32]> = book.articles.par_iter().map(facts).collect();
    let strings = crate::render::html::strings::for_lang(
        book.config
            .book
            .language
            .as_deref()
            .or(book.articles.first().map(|a| a.locale.as_str()))
            .unwrap_or(""),
    );
    let nav = site::SiteNav::build(book, strings.other_articles);
    let translations = site::translations(book);
    (0..book.articles.len())
        .into_par_iter()
        .map(|i| {
            if stop() {
                return None;
            }
            let mut h = Sha256::new();
            h.update(global);
            let article = &book.articles[i];
            let links = book.resolution.links.get(i).map_or(&[][..], Vec::as_slice);
            // The model is what parsing the article's text and the texts it included gives, at its
            // path and locale, with its includes found where they were (the parse cache reuses a
            // parse on the same terms): hashing those, not the model, is a fraction of the cost
            // (serialising the model was 7 % of a build without search), and a low-memory build,
            // which holds outlines, keys its articles the same way. Resolution decides the rest.
            h.update(book.text_key(crate::model::ArticleId(i as u32)));
            let includes: Vec<_> = article.includes.iter().map(|inc| (&inc.path, inc.file)).collect();
            feed(&mut h, &(article.file, &article.rel_path, &article.locale, includes, links));
            let mut others = BTreeSet::new();
            for r in links {
                if let Resolved::Article { article, .. } = r {
                    others.insert(article.0);
                }
            }
            // Titles, paths and locales of every article are in `global`: the place in the
            // navigation (previous, next) and the translations need only their ids.
            h.update(format!("{:?}", nav.place(crate::model::ArticleId(i as u32))).as_bytes());
            feed(&mut h, &translations.get(i).map(|t| t.iter().map(|a| a.0).collect::<Vec<_>>()));
            for j in others {
                if let Some(f) = facts.get(j as usize) {
                    h.update(j.to_le_bytes());
                    h.update(f);
                }
            }
            Some(hex(&h.finalize()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file under `dir`, by relative path.
    fn files_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<_> = walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
                (rel, std::fs::read(e.path()).unwrap())
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn whole_book_entries_copy_back_the_files_encoded() {
        let tmp = tempfile::tempdir().unwrap();
        let built = tmp.path().join("built");
        let files = [("llms.txt", "# KB\n"), ("zh-cn/llms-full.txt", "登录\n"), ("empty", "")];
        for (name, text) in files {
            crate::render::write_file(&built, name, text).unwrap();
        }
        let names: Vec<String> = files.iter().map(|(n, _)| n.to_string()).collect();
        let mut entry = Vec::new();
        encode_files(&mut entry, &built, &names).unwrap();
        let path = tmp.path().join("entry.bin");
        std::fs::write(&path, &entry).unwrap();

        let copy = tmp.path().join("copy");
        assert_eq!(copy_files(&path, &copy, "sub/"), Some(3));
        assert_eq!(files_in(&copy.join("sub")), files_in(&built));
        std::fs::write(&path, []).unwrap();
        assert_eq!(copy_files(&path, &copy, ""), Some(0));

        // A cut entry is refused, and leaves no file half-written.
        for cut in [1, 8, 12, entry.len() - 1] {
            let out = tmp.path().join(format!("cut-{cut}"));
            std::fs::write(&path, &entry[..cut]).unwrap();
            assert_eq!(copy_files(&path, &out, ""), None, "cut at {cut}");
            let whole =
                files_in(&out).into_iter().all(|(name, bytes)| files_in(&built).contains(&(name, bytes)));
            assert!(whole, "cut at {cut}: {:?}", files_in(&out));
        }

        // An entry naming a file outside its folder is refused before anything is written.
        let mut hostile = Vec::new();
        std::fs::write(tmp.path().join("x"), "x").unwrap();
        encode_files(&mut hostile, &built, &["../x".to_string()]).unwrap();
        std::fs::write(&path, &hostile).unwrap();
        assert_eq!(copy_files(&path, &tmp.path().join("h/inner"), ""), None);
        assert!(!tmp.path().join("h").exists());
    }
}
