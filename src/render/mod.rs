//! Renderers: pure functions from the resolved model to files. They never parse Markdown
//! themselves: they take each article's content from [`Book::article`], which in a low-memory build
//! reads the article's text back and parses it again.
//!
//! Each output format is one module with one entry point, `write(book, out)`, called by
//! [`write_all`] in a fixed order. Paths and URLs come from [`urls`] only.

pub mod checklist;
pub mod html;
pub mod json;
pub mod markdown;
pub mod model;
pub mod urls;

use crate::Book;
use crate::model::ArticleId;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Digest;
use std::path::{Path, PathBuf};

/// A renderer failed to write its output.
#[derive(Debug)]
pub struct RenderError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for RenderError {}

impl RenderError {
    pub fn io(path: &Path, error: std::io::Error) -> RenderError {
        RenderError { path: path.to_path_buf(), message: error.to_string() }
    }

    /// The build stopped because its memo asked it to (see [`Memo::interrupted`]).
    pub fn interrupted() -> RenderError {
        RenderError { path: PathBuf::new(), message: INTERRUPTED.to_string() }
    }

    pub fn is_interrupted(&self) -> bool {
        self.path.as_os_str().is_empty() && self.message == INTERRUPTED
    }
}

/// An article's text could not be read again to render it (a low-memory build).
impl From<crate::source::ReadAgainError> for RenderError {
    fn from(e: crate::source::ReadAgainError) -> RenderError {
        RenderError { path: e.path, message: e.reason }
    }
}

const INTERRUPTED: &str = "interrupted by a newer change";

/// Writes `text` to `out/rel`, creating folders as needed; a file identical to the previous
/// build's is hard-linked from it instead (see [`crate::output::link_identical`]).
///
/// A file that exists already (written twice, or a published build updated in place by a watch
/// loop) is left alone when it holds these bytes, else replaced through a temporary file and a
/// rename: it may be a hard link to the previous build's file, which must never be written
/// through, and a reader of a served folder never sees half a file.
pub fn write_file(out: &Path, rel: &str, text: impl AsRef<[u8]>) -> Result<(), RenderError> {
    use std::io::Write;
    let path = out.join(rel);
    let bytes = text.as_ref();
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| RenderError::io(parent, e))?;
    }
    if crate::output::link_identical(out, rel, bytes) {
        return Ok(());
    }
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(mut file) => file.write_all(bytes).map_err(|e| RenderError::io(&path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => replace_file(&path, bytes),
        Err(e) => Err(RenderError::io(&path, e)),
    }
}

/// A file written piece by piece: a whole-book file too large to hold in memory (the JSONL files
/// are the size of every article's text). It is written under a temporary name and renamed into
/// place by [`StreamedFile::finish`], so a reader never sees half of it and a hard link to the
/// previous build's file is never written through; dropped unfinished, it leaves nothing.
pub struct StreamedFile {
    path: PathBuf,
    tmp: PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl StreamedFile {
    pub fn create(out: &Path, rel: &str) -> Result<StreamedFile, RenderError> {
        StreamedFile::create_as(out, rel, "kbc-tmp")
    }

    /// Written as `.<name>.<suffix>` beside `out/rel` (and readable too, for a [`Spool`]).
    fn create_as(out: &Path, rel: &str, suffix: &str) -> Result<StreamedFile, RenderError> {
        let path = out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| RenderError::io(parent, e))?;
        }
        let tmp = hidden_beside(&path, suffix);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| RenderError::io(&tmp, e))?;
        Ok(StreamedFile { path, tmp, file: Some(std::io::BufWriter::with_capacity(256 * 1024, file)) })
    }

    pub fn write(&mut self, bytes: &[u8]) -> Result<(), RenderError> {
        use std::io::Write;
        match &mut self.file {
            Some(w) => w.write_all(bytes).map_err(|e| RenderError::io(&self.path, e)),
            None => Ok(()),
        }
    }

    /// Appends exactly the next `len` bytes of `from`; fails when `from` ends before.
    pub fn copy_from(&mut self, from: &mut impl std::io::Read, len: u64) -> Result<(), RenderError> {
        let copied = match &mut self.file {
            Some(w) => std::io::copy(&mut std::io::Read::take(&mut *from, len), w)
                .map_err(|e| RenderError::io(&self.path, e))?,
            None => return Ok(()),
        };
        if copied < len {
            let message = format!("{} bytes expected, {copied} found", len);
            return Err(RenderError { path: self.path.clone(), message });
        }
        Ok(())
    }

    /// Completes the file and moves it into place.
    pub fn finish(mut self) -> Result<(), RenderError> {
        use std::io::Write;
        let flushed = match self.file.take() {
            Some(mut w) => w.flush(),
            None => Ok(()),
        };
        let done = flushed.and_then(|()| std::fs::rename(&self.tmp, &self.path));
        if done.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        }
        done.map_err(|e| RenderError::io(&self.path, e))
    }
}

impl Drop for StreamedFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Bytes put aside while a whole-book file is made and read back in order: `llms-full.txt` is
/// the size of every article's text, and its head says how many parts it splits into, which is
/// known only at the end. The spool sits beside the file, hidden, and is removed when dropped.
pub struct Spool(StreamedFile);

impl Spool {
    /// A spool for the file `out/rel`.
    pub fn create(out: &Path, rel: &str) -> Result<Spool, RenderError> {
        StreamedFile::create_as(out, rel, "kbc-spool").map(Spool)
    }

    pub fn write(&mut self, bytes: &[u8]) -> Result<(), RenderError> {
        self.0.write(bytes)
    }

    /// Everything written, from the start. (Dropped instead, the spool is removed.)
    pub fn into_reader(mut self) -> Result<SpoolReader, RenderError> {
        use std::io::Seek;
        let tmp = self.0.tmp.clone();
        let mut reader = SpoolReader { path: tmp.clone(), file: None };
        if let Some(w) = self.0.file.take() {
            let mut file = w.into_inner().map_err(|e| RenderError::io(&tmp, e.into_error()))?;
            file.rewind().map_err(|e| RenderError::io(&tmp, e))?;
            reader.file = Some(std::io::BufReader::with_capacity(256 * 1024, file));
        }
        Ok(reader)
    }
}

/// A [`Spool`] being read back; removed when dropped.
pub struct SpoolReader {
    path: PathBuf,
    file: Option<std::io::BufReader<std::fs::File>>,
}

impl std::io::Read for SpoolReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match &mut self.file {
            Some(f) => f.read(buf),
            None => Ok(0),
        }
    }
}

impl Drop for SpoolReader {
    fn drop(&mut self) {
        self.file = None;
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Where a file is written before it is renamed to `path`: beside it, hidden.
fn temporary_name(path: &Path) -> PathBuf {
    hidden_beside(path, "kbc-tmp")
}

/// `.<name>.<suffix>` in the folder of `path`.
fn hidden_beside(path: &Path, suffix: &str) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{suffix}"))
}

/// Replaces the file at `path` with `bytes` unless it holds them already (see [`write_file`]).
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), RenderError> {
    let same = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
        && std::fs::read(path).is_ok_and(|old| old == bytes);
    if same {
        return Ok(());
    }
    let tmp = temporary_name(path);
    std::fs::write(&tmp, bytes).map_err(|e| RenderError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        RenderError::io(path, e)
    })
}

/// Whether an article gets a printable checklist page that other pages may link to: the rule
/// [`checklist::write`] follows, so a page never links to a file the build does not write.
pub fn has_checklist(book: &Book, article: &crate::model::Article) -> bool {
    checklist::applies(book, article)
}

/// One output format: a name (also its namespace in the incremental cache) and its entry point.
pub struct Renderer {
    pub name: &'static str,
    pub write: WriteFn,
}

/// A renderer's entry point: writes its files into the build folder, and may hand back work to
/// finish beside the renderers after it. The work does not borrow the book, so a book that is
/// not needed afterwards can be dropped before it runs ([`write_all_consuming`]).
pub type WriteFn =
    for<'b, 'a> fn(&'b Book, &'a Path, &'a dyn Memo) -> Result<Option<Deferred<'a>>, RenderError>;

/// Work a renderer hands back to run on a thread of its own while the renderers after it run: the
/// search index, a long job that pagefind runs mostly on one thread, would otherwise leave a core
/// idle for most of a build.
pub type Deferred<'a> = Box<dyn FnOnce() -> Result<(), RenderError> + Send + 'a>;

/// Every output, in the order they are written. A renderer checks its own `enable` setting.
pub const RENDERERS: &[Renderer] = &[
    Renderer {
        name: "model",
        // The dump is not split by article; a watch loop's in-place update skips it.
        write: |book, out, memo| {
            if memo.whole_book() { model::write(book, out).map(|()| None) } else { Ok(None) }
        },
    },
    Renderer { name: "html", write: html::write_with },
    Renderer { name: "json", write: |book, out, memo| json::write_with(book, out, memo).map(|()| None) },
    Renderer {
        name: "checklist",
        write: |book, out, memo| checklist::write_with(book, out, memo).map(|()| None),
    },
];

/// Every enabled output, into `out` (a fresh folder that [`crate::output::publish`] swaps in).
pub fn write_all(book: &Book, out: &Path) -> Result<(), RenderError> {
    write_all_with(book, out, &NoMemo)
}

/// [`write_all`], reusing what `memo` kept of a previous build (see [`crate::incremental`]).
/// Deferred work runs beside the later renderers and is waited for before this returns, whether
/// or not a renderer failed; the first error is returned.
pub fn write_all_with(book: &Book, out: &Path, memo: &dyn Memo) -> Result<(), RenderError> {
    memo.begin(out);
    std::thread::scope(|scope| {
        let mut background = Vec::new();
        let mut result = Ok(());
        for r in RENDERERS {
            match (r.write)(book, out, memo) {
                Ok(Some(job)) => background.push((r.name, scope.spawn(job))),
                Ok(None) => {}
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        for (name, handle) in background {
            let done = handle.join().unwrap_or_else(|_| {
                Err(RenderError { path: out.to_path_buf(), message: format!("the {name} renderer panicked") })
            });
            result = result.and(done);
        }
        result
    })
}

/// [`write_all_with`] for a book that is not needed once its files are written. A low-memory book
/// ([`Book::is_lean`]) is dropped before the deferred work (the search index) runs, after every
/// renderer: at 50,000 articles its outlines and the renderers' buffers are most of a gigabyte,
/// which the index's memory would otherwise come on top of. Other books render as
/// [`write_all_with`] renders them. The files written are the same either way.
pub fn write_all_consuming(book: Book, out: &Path, memo: &dyn Memo) -> Result<(), RenderError> {
    if !book.is_lean() {
        return write_all_with(&book, out, memo);
    }
    memo.begin(out);
    let mut deferred = Vec::new();
    for r in RENDERERS {
        if let Some(job) = (r.write)(&book, out, memo)? {
            deferred.push(job);
        }
    }
    drop(book);
    // What the renderers kept for themselves (each thread's remembered token counts), and the
    // pages the allocator keeps for the threads that freed them, are given back before the index
    // is built: 320 MB resident after the book was dropped, 120 MB after this, at 10,000 articles.
    crate::memory::release(json::text::forget_counts);
    deferred.into_iter().try_for_each(|job| job())
}

/// What a renderer may reuse from a previous build: per-article results (keyed by everything the
/// article's output depends on, which the memo knows) and whole-book results keyed by a hash of
/// their inputs. Per-article values are opaque bytes ([`memoized`] encodes them); whole-book
/// results are files ([`write_memoized_files`]).
pub trait Memo: Sync {
    /// The build folder the renderers are about to write (so results can be stored there as they
    /// come instead of held in memory).
    fn begin(&self, _out: &Path) {}
    /// A key that changes whenever any article's key does, for whole-book results that depend on
    /// every article (the `llms-full.txt` files); `None` when this memo keys nothing.
    fn book_key(&self) -> Option<&str> {
        None
    }
    /// Whether storing results is worth encoding them (by default not: nothing is kept).
    fn enabled(&self) -> bool {
        false
    }
    /// Whether the build should stop now: a watch loop's follow-up build gives way to a newer
    /// edit. Renderers ask before each article and while building the search index.
    fn interrupted(&self) -> bool {
        false
    }
    /// Whether article `id`'s own files are to be written. A watch loop updates a published
    /// build in place by writing only the articles an edit changed (see [`Only`]).
    fn in_scope(&self, _id: ArticleId) -> bool {
        true
    }
    /// What every article's outputs share, computed for a book of the same shape (see
    /// [`Parts`]); `None`: the renderers compute it.
    fn parts(&self) -> Option<&Parts> {
        None
    }
    /// Whether the files made from every article (indexes, JSONL, `llms` files, the search index,
    /// the theme's files) are to be written.
    fn whole_book(&self) -> bool {
        true
    }
    /// What `renderer` stored for article `id` in a build whose inputs for it were the same (by
    /// default nothing: every article is rendered).
    fn get(&self, _renderer: &str, _id: ArticleId) -> Option<Vec<u8>> {
        None
    }
    fn put(&self, _renderer: &str, _id: ArticleId, _value: Vec<u8>) {}
    /// Writes into `out/dir` (with [`write_file_from`]) the files of whole-book result `name`
    /// whose inputs hashed to `key` in a previous build; how many, or `None` when there is none
    /// (or it cannot be read, and the result is to be made again).
    fn copy_global(&self, _name: &str, _key: &str, _out: &Path, _dir: &str) -> Option<usize> {
        None
    }
    /// Keeps the files `names` just written into `out/dir` as whole-book result `name` of inputs
    /// that hash to `key`.
    fn put_global(&self, _name: &str, _key: &str, _out: &Path, _dir: &str, _names: &[String]) {}
}

/// No reuse: every article is rendered.
pub struct NoMemo;

impl Memo for NoMemo {}

/// What every article's outputs share that depends only on the book's shape (every article's
/// path, title, locale and assetid, the navigation, the configuration and theme): the site's
/// navigation, translations and theme, the JSON ids and breadcrumbs. Computing them is most of
/// the cost of rendering one article in a large book, so a watch loop keeps them.
pub struct Parts {
    pub pages: html::Pages,
    pub json: json::Parts,
}

impl Parts {
    pub fn new(book: &Book) -> Parts {
        Parts { pages: html::Pages::new(book), json: json::Parts::new(book) }
    }
}

/// Renders only some articles' own files, nothing made from the whole book, and reuses no
/// rendered output: a watch loop's update of a published build in place, for an edit that changes
/// no path, title, locale, assetid or include (so every other file of the build stays as it is,
/// or is refreshed later).
pub struct Only<'p> {
    /// Whether each article is to be rendered.
    pub articles: Vec<bool>,
    /// What the outputs share, from a book of the same shape.
    pub parts: &'p Parts,
}

impl Memo for Only<'_> {
    fn in_scope(&self, id: ArticleId) -> bool {
        self.articles.get(id.0 as usize).copied().unwrap_or(false)
    }
    fn parts(&self) -> Option<&Parts> {
        Some(self.parts)
    }
    fn whole_book(&self) -> bool {
        false
    }
}

/// `render()`'s result for article `id`, from the memo when its inputs are unchanged. A stored
/// value that no longer decodes (written by another kbc) is rendered again.
pub fn memoized<T: Serialize + DeserializeOwned>(
    memo: &dyn Memo,
    renderer: &str,
    id: ArticleId,
    render: impl FnOnce() -> Result<T, RenderError>,
) -> Result<T, RenderError> {
    if memo.interrupted() {
        return Err(RenderError::interrupted());
    }
    // MessagePack, not JSON: the values are mostly pages and JSON documents, which JSON would
    // escape all over again (4-7 % of a build's instructions) and unescape on every reuse.
    if let Some(value) = memo.get(renderer, id).and_then(|b| rmp_serde::from_slice(&b).ok()) {
        return Ok(value);
    }
    let value = render()?;
    if memo.enabled()
        && let Ok(bytes) = rmp_serde::to_vec_named(&value)
    {
        memo.put(renderer, id, bytes);
    }
    Ok(value)
}

/// Files made from the whole book: (path, bytes).
pub type Files = Vec<(String, Vec<u8>)>;

/// Writes the whole-book files under `out/dir` that `render(inputs)` writes (it returns their
/// names, relative to that folder), or copies those a previous build made from `inputs` that hash
/// the same; returns how many there are. Nothing here holds the files: an `llms-full.txt` is the
/// size of every article's text.
pub fn write_memoized_files<T: Serialize>(
    memo: &dyn Memo,
    out: &Path,
    dir: &str,
    name: &str,
    inputs: T,
    render: impl FnOnce(T) -> Result<Vec<String>, RenderError>,
) -> Result<usize, RenderError> {
    if memo.interrupted() {
        return Err(RenderError::interrupted());
    }
    // Hashed as serialised, without holding the serialisation (the search documents are the
    // size of every page's body).
    let key = if memo.enabled() {
        let mut h = sha2::Sha256::new();
        if hash_json(&mut h, &inputs) { hex(&h.finalize()) } else { String::new() }
    } else {
        String::new()
    };
    if key.is_empty() {
        return render(inputs).map(|names| names.len());
    }
    // A reused result may be older than `key` (see `Cache::stale`): it is never stored under it.
    if let Some(n) = memo.copy_global(name, &key, out, dir) {
        return Ok(n);
    }
    let names = render(inputs)?;
    memo.put_global(name, &key, out, dir, &names);
    Ok(names.len())
}

/// Writes `files` under `out/dir`; returns their names.
pub fn write_files(out: &Path, dir: &str, files: Files) -> Result<Vec<String>, RenderError> {
    let mut names = Vec::with_capacity(files.len());
    for (file, bytes) in files {
        write_file(out, &format!("{dir}{file}"), &bytes)?;
        names.push(file);
    }
    Ok(names)
}

/// Writes the next `len` bytes of `from` to `out/rel`, as [`write_file`] writes bytes it holds
/// (hard-linked to the previous build's file when that holds the same bytes).
pub fn write_file_from(
    out: &Path,
    rel: &str,
    from: &mut (impl std::io::Read + std::io::Seek),
    len: u64,
) -> Result<(), RenderError> {
    let path = out.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| RenderError::io(parent, e))?;
    }
    if crate::output::link_identical_from(out, rel, from, len) {
        return Ok(());
    }
    let mut file = StreamedFile::create(out, rel)?;
    file.copy_from(from, len)?;
    file.finish()
}

/// Feeds `value`'s JSON serialisation to `h` through a buffer, without holding it whole; false
/// when it cannot be serialised.
pub(crate) fn hash_json(h: &mut sha2::Sha256, value: &impl Serialize) -> bool {
    let mut w = std::io::BufWriter::with_capacity(8 * 1024, HashWriter(h));
    serde_json::to_writer(&mut w, value).is_ok() && std::io::Write::flush(&mut w).is_ok()
}

/// Writes serialised values straight into a hasher.
struct HashWriter<'a>(&'a mut sha2::Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Lowercase hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_streamed_file_appears_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let listing = || {
            let mut names: Vec<String> = walkdir::WalkDir::new(out)
                .into_iter()
                .flatten()
                .filter(|e| e.file_type().is_file())
                .map(|e| e.path().strip_prefix(out).unwrap().to_string_lossy().replace('\\', "/"))
                .collect();
            names.sort();
            names
        };

        let mut unfinished = StreamedFile::create(out, "api/a.jsonl").unwrap();
        unfinished.write(b"{}\n").unwrap();
        assert_eq!(listing(), ["api/.a.jsonl.kbc-tmp"], "written beside its name until finished");
        drop(unfinished);
        assert!(listing().is_empty(), "an unfinished file leaves nothing behind");

        // A previous build's file, hard-linked into this one: finishing replaces the link and
        // leaves the previous build's file as it was.
        let previous = dir.path().join("previous.jsonl");
        std::fs::write(&previous, "old\n").unwrap();
        std::fs::hard_link(&previous, out.join("api/a.jsonl")).unwrap();
        let mut file = StreamedFile::create(out, "api/a.jsonl").unwrap();
        for line in ["{\"a\":1}\n", "{\"b\":2}\n"] {
            file.write(line.as_bytes()).unwrap();
        }
        file.finish().unwrap();
        assert_eq!(std::fs::read_to_string(out.join("api/a.jsonl")).unwrap(), "{\"a\":1}\n{\"b\":2}\n");
        assert_eq!(std::fs::read_to_string(&previous).unwrap(), "old\n");
        assert_eq!(listing(), ["api/a.jsonl", "previous.jsonl"]);
    }
}
