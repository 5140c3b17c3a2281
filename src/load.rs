//! Reading the content folder: which files exist, what each one is, and their text.
//!
//! **Invariant:** this is the only module that reads content from disk during a build (besides
//! copying assets at render time, and reading back, through [`read_markdown`], the text of an
//! article a low-memory build released). Everything after it works on the [`SourceMap`].

use crate::config::LowMemory;
use crate::diag::{Code, Diagnostic};
use crate::nav;
use crate::parse::link::is_markdown;
use crate::source::{FileId, SourceFile, SourceMap, Span, slash_path};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What a Markdown file is to the knowledge base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Article,
    /// Only ever included (under an `includes/` folder, or named by an `[!INCLUDE]`).
    Fragment,
    /// `TOC.md` or `toc.yml`.
    Navigation,
}

/// Every file under the content root, read and classified.
#[derive(Debug, Default)]
pub struct Content {
    pub root: PathBuf,
    pub sources: SourceMap,
    /// Markdown and navigation files, in path order, with their role.
    pub files: Vec<(FileId, Role)>,
    /// Every file and folder under the root, by content-relative path (for link and image checks).
    pub paths: BTreeSet<String>,
    /// Lower-cased path → paths as written, for case-insensitive fallback.
    pub paths_by_lowercase: BTreeMap<String, Vec<String>>,
    /// Which paths are folders.
    pub dirs: BTreeSet<String>,
    /// Paths that exist but are never read: symbolic links (not followed) and special files (named
    /// pipes, sockets, devices), so that a link to one can say why it is missing.
    pub not_read: BTreeMap<String, NotRead>,
    /// Index from relative path to file id, for includes.
    pub by_path: BTreeMap<String, FileId>,
    /// The same index by lower-cased path, for the case-insensitive fallback.
    pub by_lower_path: BTreeMap<String, FileId>,
    /// The locale named by a DocFX publish config (`.openpublishing.publish.config.json`), if any.
    pub publish_locale: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the articles' texts were released as they were read (`[build] low-memory`): each
    /// is read again from disk when it is parsed or shown. Fragments and navigation files, which
    /// other files' parses read, are always held.
    pub released: bool,
}

/// Why a path that exists is not part of the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotRead {
    Symlink,
    /// A named pipe, socket or device: reading one could block forever or never end.
    Special,
}

/// An error that stops loading altogether (the root cannot be read).
#[derive(Debug)]
pub struct LoadError {
    pub path: PathBuf,
    pub error: std::io::Error,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot read `{}`: {}", self.path.display(), self.error)
    }
}

impl std::error::Error for LoadError {}

/// Folders never read: version control, the build output, dependencies.
fn skip_dir(name: &str) -> bool {
    name.starts_with('.') || name == "node_modules" || name == "_site" || name == "obj"
}

/// Walks `root` (sorted, not following symlinks) and reads every Markdown and navigation file.
/// `exclude` is a folder (the build dir) never to descend into.
pub fn load(root: &Path, exclude: Option<&Path>) -> Result<Content, LoadError> {
    match load_until(root, exclude, LowMemory::Off, &|| false)? {
        Some(content) => Ok(content),
        None => unreachable!("a load that is never stopped finishes"),
    }
}

/// [`load`], giving up (`Ok(None)`) as soon as `stop` returns true: it is asked before each file
/// is read (reading 10,000 articles takes a few tenths of a second). Under `low_memory` the
/// texts of possible articles (Markdown outside `includes/` folders) are released as they are
/// read, once their size says so: see [`Content::released`].
pub fn load_until(
    root: &Path,
    exclude: Option<&Path>,
    low_memory: LowMemory,
    stop: crate::build::Stop<'_>,
) -> Result<Option<Content>, LoadError> {
    let mut content = Content { root: root.to_path_buf(), ..Content::default() };
    std::fs::read_dir(root).map_err(|error| LoadError { path: root.to_path_buf(), error })?;
    let walker =
        walkdir::WalkDir::new(root).follow_links(false).sort_by_file_name().into_iter().filter_entry(|e| {
            e.depth() == 0
                || !(e.file_type().is_dir()
                    && (skip_dir(&e.file_name().to_string_lossy()) || exclude.is_some_and(|x| e.path() == x)))
        });
    let mut markdown = Vec::new();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            // A vanished or unreadable entry: note it and go on with the rest.
            Err(err) => {
                let path = err.path().map(Path::to_path_buf).unwrap_or_else(|| root.to_path_buf());
                content.diagnostics.push(io_diagnostic(&mut content.sources, root, &path, &err.to_string()));
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        let rel = match entry.path().strip_prefix(root) {
            Ok(r) => slash_path(r),
            Err(_) => continue,
        };
        let ft = entry.file_type();
        if ft.is_symlink() {
            // Symlinks are not followed: they could leave the content root or loop. Only a link to
            // one is reported (it says why the target is missing); an unused symlink is harmless.
            content.not_read.insert(rel, NotRead::Symlink);
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if !ft.is_dir() && !ft.is_file() {
            // A named pipe would block the read (or the copy of an asset) forever; a device could be
            // endless. Such a path is not content, not even as an asset.
            if nav::is_nav_file(&name) || is_markdown(&name) {
                let message = "not a regular file (a named pipe, socket or device); it is not read";
                let d = io_diagnostic(&mut content.sources, root, entry.path(), message);
                content.diagnostics.push(d.with_note("the rest of the build goes on"));
            }
            content.not_read.insert(rel, NotRead::Special);
            continue;
        }
        add_path(&mut content, &rel);
        if ft.is_dir() {
            content.dirs.insert(rel);
            continue;
        }
        if entry.depth() == 1 && name == ".openpublishing.publish.config.json" {
            content.publish_locale = publish_locale(entry.path());
        }
        if nav::is_nav_file(&name) || is_markdown(&name) {
            markdown.push((rel, entry.path().to_path_buf(), nav::is_nav_file(&name)));
        }
    }

    let mut texts = Vec::with_capacity(markdown.len());
    // Include targets (content-relative) of every file read, scanned as it is read.
    let mut includes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // Possible articles whose text is still held, and their size in bytes.
    let (mut held, mut held_bytes) = (Vec::new(), 0u64);
    for (rel, disk, is_nav) in markdown {
        if stop() {
            return Ok(None);
        }
        let Some(id) = read_text(&mut content, &rel, &disk) else { continue };
        content.by_lower_path.entry(rel.to_lowercase()).or_insert(id);
        let text = content.sources.get(id).text().unwrap_or("");
        let targets =
            include_targets(text).iter().filter_map(|t| join_link(&content.paths, &rel, t)).collect();
        includes.insert(rel.clone(), targets);
        if !is_nav && !in_includes_folder(&rel) {
            held.push(id);
            held_bytes += text.len() as u64;
        }
        content.by_path.insert(rel, id);
        texts.push((id, is_nav));
        // Released as soon as the possible articles read so far are past the threshold: a large
        // book never holds all its text at once.
        if !content.released && low_memory.applies(held_bytes) {
            content.released = true;
        }
        if content.released {
            for id in held.drain(..) {
                content.sources.release_text(id);
            }
        }
    }
    let markdown: Vec<&str> = texts
        .iter()
        .filter(|(_, nav)| !nav)
        .map(|&(id, _)| content.sources.get(id).rel_path.as_str())
        .collect();
    let (fragments, named) = fragment_paths(&includes, &markdown);
    // What another file includes is read by that file's parse: its text is held again.
    for path in &named {
        let Some(&id) = content.by_path.get(path) else { continue };
        if let Err(e) = content.sources.hold_again(id) {
            let d = io_diagnostic(&mut content.sources, &content.root, &e.path, &e.reason);
            content.diagnostics.push(d);
        }
    }
    for (id, is_nav) in texts {
        let rel = &content.sources.get(id).rel_path;
        let role = if is_nav {
            Role::Navigation
        } else if fragments.contains(rel) {
            Role::Fragment
        } else {
            Role::Article
        };
        content.files.push((id, role));
    }
    Ok(Some(content))
}

impl Content {
    /// The article files, in path order.
    pub fn articles(&self) -> impl Iterator<Item = FileId> + '_ {
        self.files.iter().filter(|(_, r)| *r == Role::Article).map(|&(f, _)| f)
    }

    /// Where include paths are looked up.
    pub fn include_context(&self) -> crate::parse::IncludeContext<'_> {
        crate::parse::IncludeContext {
            by_path: &self.by_path,
            by_lower_path: &self.by_lower_path,
            not_read: &self.not_read,
            paths: &self.paths,
        }
    }

    /// The locale of a file whose front matter names none: the book's `language`, else a
    /// locale-named top folder (`zh-cn/`), else the DocFX publish config's, else `en-US`.
    pub fn default_locale(&self, language: Option<&str>, file: FileId) -> String {
        let rel = &self.sources.get(file).rel_path;
        language
            .map(normalize_locale)
            .or_else(|| locale_folder(rel))
            .or_else(|| self.publish_locale.clone())
            .unwrap_or_else(|| "en-US".to_string())
    }
}

fn add_path(content: &mut Content, rel: &str) {
    content.paths.insert(rel.to_string());
    content.paths_by_lowercase.entry(rel.to_lowercase()).or_default().push(rel.to_string());
}

/// The largest Markdown or navigation file kbc reads: 8 MiB, sixty times the largest article of the
/// dev corpus. The model takes up to a few hundred bytes of memory per byte of hostile Markdown (a
/// file of list items, of `#` lines), so this bounds what one file can cost.
pub const MAX_FILE_SIZE: u64 = 8 * 1024 * 1024;

/// Reads one Markdown file's text as [`load`] does (at most [`MAX_FILE_SIZE`], byte order mark
/// stripped): the text and whether it had a mark, or `None` when [`load`] would skip the file.
pub fn read_markdown(disk: &Path) -> Option<(String, bool)> {
    let mut bytes = read_at_most(disk, MAX_FILE_SIZE).ok()?.ok()?;
    let had_bom = bytes.starts_with(b"\xEF\xBB\xBF");
    if had_bom {
        bytes.drain(..3);
    }
    Some((String::from_utf8(bytes).ok()?, had_bom))
}

/// A file's bytes without a leading UTF-8 byte order mark, and whether it had one.
pub fn split_bom(bytes: &[u8]) -> (&[u8], bool) {
    match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, true),
        None => (bytes, false),
    }
}

/// Reads one file as UTF-8 text. Invalid UTF-8 gives a diagnostic at the first bad byte and the file
/// is skipped (it is added to the source map lossily, only so the diagnostic can show it). A file
/// over [`MAX_FILE_SIZE`] is skipped without being read.
fn read_text(content: &mut Content, rel: &str, disk: &Path) -> Option<FileId> {
    let bytes = match read_at_most(disk, MAX_FILE_SIZE) {
        Ok(Ok(b)) => b,
        Ok(Err(size)) => {
            let id = content.sources.add(SourceFile::new(
                rel.to_string(),
                disk.to_path_buf(),
                String::new(),
                false,
            ));
            let d = Diagnostic::new(
                Code::FileTooLarge,
                Span::new(id, 0..0),
                format!("file is too large to read ({}; the limit is {})", human_size(size), human_size(MAX_FILE_SIZE)),
            )
            .with_label("not read")
            .with_note("the file is skipped; the rest of the build goes on")
            .with_help("split it into several articles; a Markdown file this large is usually generated output or a binary file named `.md`");
            content.diagnostics.push(d);
            return None;
        }
        Err(err) => {
            let d = io_diagnostic(&mut content.sources, &content.root, disk, &err.to_string());
            content.diagnostics.push(d);
            return None;
        }
    };
    let (body, had_bom) = split_bom(&bytes);
    match std::str::from_utf8(body) {
        Ok(text) => {
            let file = SourceFile::new(rel.to_string(), disk.to_path_buf(), text.to_string(), had_bom);
            Some(content.sources.add(file))
        }
        Err(err) => {
            let at = err.valid_up_to();
            let lossy = String::from_utf8_lossy(body).into_owned();
            let file = SourceFile::new(rel.to_string(), disk.to_path_buf(), lossy, had_bom);
            let id = content.sources.add(file);
            let offset = at + if had_bom { 3 } else { 0 };
            let d = Diagnostic::new(
                Code::InvalidUtf8,
                Span::new(id, at..at + 1),
                format!("file is not valid UTF-8 (first bad byte at offset {offset})"),
            )
            .with_label("invalid byte sequence here")
            .with_note(match binary_kind(body) {
                Some(kind) => {
                    format!("the file looks like {kind}; it is skipped and the rest of the build goes on")
                }
                None => "the file is skipped; the rest of the build goes on".to_string(),
            })
            .with_help("save the file as UTF-8");
            content.diagnostics.push(d);
            None
        }
    }
}

/// Reads a whole file, unless it holds more than `limit` bytes: then `Err(size)` without reading
/// more than `limit + 1` bytes (the size on disk may change under us, or lie, as `/proc` files do).
fn read_at_most(path: &Path, limit: u64) -> std::io::Result<Result<Vec<u8>, u64>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > limit {
        return Ok(Err(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Ok(Err(bytes.len() as u64));
    }
    Ok(Ok(bytes))
}

/// `8.0 MiB`, `512 KiB`, `12 bytes`.
fn human_size(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    if n >= MIB {
        format!("{:.1} MiB", n as f64 / MIB as f64)
    } else if n >= KIB {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// What a file that is not UTF-8 probably is, to say so: UTF-16 text (a byte order mark, or NUL
/// bytes in every other position), or a binary file (NUL bytes among the first 8000, as git decides).
fn binary_kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Some("UTF-16 text");
    }
    let head = &bytes[..bytes.len().min(8000)];
    let nuls = head.iter().filter(|&&b| b == 0).count();
    if nuls == 0 {
        return None;
    }
    let odd_nuls = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    let on_one_side = odd_nuls.max(nuls - odd_nuls);
    if nuls * 10 >= head.len() * 4 && on_one_side * 10 >= nuls * 9 {
        return Some("UTF-16 text");
    }
    Some("a binary file")
}

/// A diagnostic for a file system error, on a placeholder empty file so it has a position.
fn io_diagnostic(sources: &mut SourceMap, root: &Path, path: &Path, message: &str) -> Diagnostic {
    let rel = path.strip_prefix(root).map(slash_path).unwrap_or_else(|_| path.display().to_string());
    let id = sources.add(SourceFile::new(rel, path.to_path_buf(), String::new(), false));
    Diagnostic::new(Code::Io, Span::new(id, 0..0), format!("cannot read file: {message}"))
}

/// The `locale` of a DocFX publish config, normalised (`zh-cn` → `zh-CN`).
fn publish_locale(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let docsets = value.get("docsets_to_publish")?.as_array()?;
    docsets.iter().find_map(|d| d.get("locale")?.as_str().map(normalize_locale))
}

/// BCP-47 casing: language lower case, a two-letter region upper case, a four-letter script title case.
pub fn normalize_locale(tag: &str) -> String {
    let mut out = String::new();
    for (i, part) in tag.trim().split(['-', '_']).enumerate() {
        if i > 0 {
            out.push('-');
        }
        if i == 0 {
            out.push_str(&part.to_ascii_lowercase());
        } else if part.len() == 2 {
            out.push_str(&part.to_ascii_uppercase());
        } else if part.len() == 4 {
            let mut cs = part.chars();
            if let Some(c) = cs.next() {
                out.push(c.to_ascii_uppercase());
                out.push_str(&cs.as_str().to_ascii_lowercase());
            }
        } else {
            out.push_str(&part.to_ascii_lowercase());
        }
    }
    out
}

/// A folder name that is a locale (`zh-cn`, `en-us`, `zh-Hans`), as DocFX localized repos lay them out.
pub fn locale_folder(rel_path: &str) -> Option<String> {
    let (first, _) = rel_path.split_once('/')?;
    let mut parts = first.split('-');
    let lang = parts.next()?;
    let region = parts.next()?;
    let ok = (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_alphabetic())
        && (region.len() == 2 || region.len() == 4)
        && region.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.next().is_none();
    ok.then(|| normalize_locale(first))
}

fn in_includes_folder(rel: &str) -> bool {
    rel.split('/').any(|c| c.eq_ignore_ascii_case("includes"))
}

/// Which of the `markdown` files (content-relative paths) are fragments: those under an `includes/`
/// folder, and those another file names in an `[!INCLUDE[..](path)]` (a cheap text scan: it only
/// decides roles; `parse` expands includes properly).
///
/// A file named only by includes that no article reaches would never be parsed, so its problems
/// (the include cycle first of all) would never be reported: an article that includes itself, two
/// articles that include each other. The first such file in path order stays an article, and so on
/// until every fragment outside `includes/` is reached from an article.
///
/// `includes` holds each Markdown file's include targets. Returns the fragments and every path an
/// include names.
fn fragment_paths(
    includes: &BTreeMap<String, Vec<String>>,
    markdown: &[&str],
) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut edges: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut named = BTreeSet::new();
    for (rel, targets) in includes {
        for t in targets {
            if t != rel {
                named.insert(t.clone());
            }
        }
        edges.entry(rel.as_str()).or_default().extend(targets.iter().cloned());
    }
    let mut fragments: BTreeSet<String> = markdown
        .iter()
        .filter(|r| in_includes_folder(r) || named.contains(**r))
        .map(|r| r.to_string())
        .collect();
    fn reach(edges: &BTreeMap<&str, Vec<String>>, from: &str, reached: &mut BTreeSet<String>) {
        let mut stack = vec![from.to_string()];
        while let Some(f) = stack.pop() {
            for t in edges.get(f.as_str()).into_iter().flatten() {
                if reached.insert(t.clone()) {
                    stack.push(t.clone());
                }
            }
        }
    }
    let mut reached = BTreeSet::new();
    for r in markdown.iter().filter(|r| !fragments.contains(**r)) {
        reach(&edges, r, &mut reached);
    }
    for r in markdown {
        if fragments.contains(*r) && !in_includes_folder(r) && !reached.contains(*r) {
            fragments.remove(*r);
            reach(&edges, r, &mut reached);
        }
    }
    (fragments, named)
}

/// Destinations of `[!INCLUDE[..](dest)]` in a text, as written.
///
/// Linear in the text: the `](` and `)` found for one marker are reused by the markers before them
/// (`[!include[` repeated a million times before one `](` must not rescan the rest a million times).
pub fn include_targets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    // The next `](` and `)` at or after some position: valid while that position has not passed them.
    let mut next_open: Option<usize> = None;
    let mut next_close: Option<usize> = None;
    while let Some(pos) = lower[from..].find("[!include[") {
        let start = from + pos;
        from = start + 10;
        let open = match next_open {
            Some(o) if o >= from => o,
            _ => match lower[from..].find("](") {
                Some(o) => from + o,
                None => break,
            },
        };
        next_open = Some(open);
        let dest_start = open + 2;
        let close = match next_close {
            Some(c) if c >= dest_start => c,
            _ => match lower[dest_start..].find(')') {
                Some(c) => dest_start + c,
                None => break,
            },
        };
        next_close = Some(close);
        let dest = text[dest_start..close].trim();
        let dest = dest.split_once([' ', '\t']).map_or(dest, |(d, _)| d);
        out.push(crate::parse::link::percent_decode(dest.trim_matches(['<', '>'])));
    }
    out
}

/// Why `path` (content-relative) is missing when it, or a folder on its way, exists but is not read:
/// a note for the diagnostic of a link or include that names it.
pub fn why_not_read(not_read: &BTreeMap<String, NotRead>, path: &str) -> Option<String> {
    if not_read.is_empty() {
        return None;
    }
    let mut end = 0;
    for part in path.split('/') {
        end += part.len();
        if let Some((p, why)) = not_read.get_key_value(&path[..end]) {
            return Some(match why {
                NotRead::Symlink => {
                    format!("`{p}` is a symbolic link, and kbc does not follow symbolic links")
                }
                NotRead::Special => {
                    format!(
                        "`{p}` is not a regular file (a named pipe, socket or device), and kbc does not read it"
                    )
                }
            });
        }
        end += 1;
    }
    None
}

/// Joins a relative link path to the folder of `from` (a content-relative file path) and normalises
/// `.` and `..`. `None` when the result would climb above the root.
/// Joins a link's `path` to the file `from` it is written in, as DocFX does: relative to `from`'s
/// folder, or for `~/path` to the docset root, the nearest folder above `from` that holds a
/// `docfx.json` (the content root when none does). `None` when it climbs out of the content root.
/// `paths` are every path under the content root.
pub fn join_link(paths: &BTreeSet<String>, from: &str, path: &str) -> Option<String> {
    let Some(rest) = path.strip_prefix("~/") else { return join_relative(from, path) };
    let mut dir = from;
    let root = loop {
        dir = dir.rsplit_once('/').map_or("", |(parent, _)| parent);
        if dir.is_empty() {
            break "";
        }
        if paths.contains(&format!("{dir}/docfx.json")) {
            break dir;
        }
    };
    // `join_relative` starts from the folder of a file: one in the root's folder.
    match root {
        "" => join_relative("docfx.json", rest),
        root => join_relative(&format!("{root}/docfx.json"), rest),
    }
}

pub fn join_relative(from: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = match from.rsplit_once('/') {
        Some((dir, _)) => dir.split('/').collect(),
        None => Vec::new(),
    };
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_refuses_to_climb_out() {
        assert_eq!(join_relative("a/b/c.md", "../d.md").as_deref(), Some("a/d.md"));
        assert_eq!(join_relative("c.md", "./x/y.png").as_deref(), Some("x/y.png"));
        assert_eq!(join_relative("a/c.md", "../../x.md"), None);
    }

    #[test]
    fn tilde_paths_start_at_the_docset_root() {
        let paths: BTreeSet<String> =
            ["docs/docfx.json", "docs/a/b/c.md", "docs/x.md", "y.md"].into_iter().map(String::from).collect();
        assert_eq!(join_link(&paths, "docs/a/b/c.md", "~/x.md").as_deref(), Some("docs/x.md"));
        assert_eq!(join_link(&paths, "docs/a/b/c.md", "~/../y.md").as_deref(), Some("y.md"));
        assert_eq!(join_link(&paths, "docs/a/b/c.md", "../../x.md").as_deref(), Some("docs/x.md"));
        // No `docfx.json` above: the content root.
        assert_eq!(join_link(&paths, "other/c.md", "~/y.md").as_deref(), Some("y.md"));
        assert_eq!(join_link(&paths, "c.md", "~/a/y.md").as_deref(), Some("a/y.md"));
        assert_eq!(join_link(&paths, "other/c.md", "~/../y.md"), None);
    }

    #[test]
    fn locales() {
        assert_eq!(normalize_locale("zh-cn"), "zh-CN");
        assert_eq!(normalize_locale("zh_hans"), "zh-Hans");
        assert_eq!(locale_folder("zh-cn/a.md").as_deref(), Some("zh-CN"));
        assert_eq!(locale_folder("Skype/a.md"), None);
        assert_eq!(locale_folder("a.md"), None);
    }

    #[test]
    fn tells_utf16_from_binary() {
        let utf16le: Vec<u8> = "# Title\n".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let utf16be: Vec<u8> = "# Title\n".encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        assert_eq!(binary_kind(&utf16le), Some("UTF-16 text"));
        assert_eq!(binary_kind(&utf16be), Some("UTF-16 text"));
        assert_eq!(binary_kind(b"\xFF\xFE#\x00"), Some("UTF-16 text"));
        assert_eq!(binary_kind(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), Some("a binary file"));
        assert_eq!(binary_kind(b"caf\xe9"), None);
        assert_eq!(human_size(100 * 1024 * 1024), "100.0 MiB");
        assert_eq!(human_size(MAX_FILE_SIZE), "8.0 MiB");
    }

    #[test]
    fn include_targets_stay_linear_on_markers_without_links() {
        // Quadratic rescanning made this take minutes; it must be instant.
        let text = "[!include[".repeat(200_000) + "](a.md)";
        assert_eq!(include_targets(&text).len(), 200_000);
    }

    #[test]
    fn finds_include_targets() {
        let t = "x [!INCLUDE[t](../includes/a.md)] y\n[!include[u](<b%20c.md>)]";
        assert_eq!(include_targets(t), vec!["../includes/a.md".to_string(), "b c.md".to_string()]);
    }
}
