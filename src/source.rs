//! Source files and positions.
//!
//! A [`SourceMap`] owns every file kbc reads (Markdown, TOC, `book.toml`) as text. Model nodes carry a
//! [`Span`]: a file id plus a byte range. Lines and columns are computed only when a position is shown
//! to a person, as rust-analyzer does, so the hot path stores two integers and a file id.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Opaque handle of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, range: Range<usize>) -> Span {
        Span { file, start: clamp_u32(range.start), end: clamp_u32(range.end.max(range.start)) }
    }

    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The smallest span covering both (they must be in the same file; otherwise `self`).
    pub fn cover(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// Serialised compactly as `"file:start..end"`: the model dump is for people and snapshots.
impl serde::Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}:{}..{}", self.file.0, self.start, self.end))
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}..{}]", self.file.0, self.start, self.end)
    }
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// 1-based line and column. The column counts Unicode scalar values, as rustc does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// One file's text and where it came from.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the knowledge base root, with `/` separators. Stable across machines.
    pub rel_path: String,
    /// Absolute (or as-given) path on disk, for reading assets next to it and for messages.
    pub disk_path: PathBuf,
    /// The decoded text, without a UTF-8 byte order mark (line endings kept as written), or what
    /// is left of it once released.
    text: Text,
    /// Whether a UTF-8 byte order mark was stripped (columns are unaffected: editors do not count it).
    pub had_bom: bool,
    line_starts: OnceLock<Vec<u32>>,
    /// `char_marks[k]`: characters before the char boundary at or below `k * CHAR_MARK_STRIDE`; only
    /// built when a column on a very long line is asked for.
    char_marks: OnceLock<Vec<u32>>,
}

/// A file's text, or, once a low-memory build has parsed it and let it go, what is needed to
/// read it again and to know it is the same: its length and digest. The line index is built
/// before the text goes, so lines stay known.
#[derive(Debug, Clone)]
enum Text {
    Held(String),
    Released { len: usize, digest: Digest },
}

/// The SHA-256 digest of a text.
pub type Digest = [u8; 32];

/// The digest [`SourceFile::release`] keeps and [`SourceFile::read_again`] compares.
pub fn digest(text: &str) -> Digest {
    use sha2::Digest as _;
    sha2::Sha256::digest(text.as_bytes()).into()
}

/// A released file could not be read back as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadAgainError {
    pub path: PathBuf,
    pub reason: String,
}

impl fmt::Display for ReadAgainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

impl std::error::Error for ReadAgainError {}

/// A column is counted character by character over at most about this many bytes; longer line
/// prefixes (a 100 MB file on one line) start from a checkpoint, so a column costs the same anywhere.
const CHAR_MARK_STRIDE: usize = 4096;

impl SourceFile {
    pub fn new(rel_path: String, disk_path: PathBuf, text: String, had_bom: bool) -> SourceFile {
        SourceFile {
            rel_path,
            disk_path,
            text: Text::Held(text),
            had_bom,
            line_starts: OnceLock::new(),
            char_marks: OnceLock::new(),
        }
    }

    /// The text, unless it was released ([`SourceFile::release`]).
    pub fn text(&self) -> Option<&str> {
        match &self.text {
            Text::Held(text) => Some(text),
            Text::Released { .. } => None,
        }
    }

    /// The length of the text in bytes, held or not.
    pub fn len(&self) -> usize {
        match &self.text {
            Text::Held(text) => text.len(),
            Text::Released { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lets the text go, keeping its length and its digest. A low-memory load releases each
    /// article's text once it is read; [`SourceFile::read_again`] and [`SourceFile::with_text`]
    /// give it back. Positions in a released file are not known until then: its line index goes
    /// too (four bytes a line, 23 MB at 50,000 articles).
    pub fn release(&mut self) {
        if let Text::Held(text) = &self.text {
            let (len, digest) = (text.len(), digest(text));
            self.line_starts = OnceLock::new();
            self.char_marks = OnceLock::new();
            self.text = Text::Released { len, digest };
        }
    }

    /// This file with its text: itself when the text is held, else a copy with the text read back
    /// from disk, which must be what was released (same digest).
    pub fn with_text(&self) -> Result<Cow<'_, SourceFile>, ReadAgainError> {
        match &self.text {
            Text::Held(_) => Ok(Cow::Borrowed(self)),
            Text::Released { .. } => {
                let text = self.read_again()?;
                Ok(Cow::Owned(SourceFile::new(
                    self.rel_path.clone(),
                    self.disk_path.clone(),
                    text,
                    self.had_bom,
                )))
            }
        }
    }

    /// The released text, read back from disk as [`crate::load`] read it. An error when the file
    /// cannot be read or now holds another text: it changed during the build.
    pub fn read_again(&self) -> Result<String, ReadAgainError> {
        let error =
            |reason: &str| ReadAgainError { path: self.disk_path.clone(), reason: reason.to_string() };
        let expected = match &self.text {
            Text::Held(text) => return Ok(text.clone()),
            Text::Released { digest, .. } => digest,
        };
        let (text, _) = crate::load::read_markdown(&self.disk_path)
            .ok_or_else(|| error("cannot be read any more: it changed during the build; build again"))?;
        if digest(&text) != *expected {
            return Err(error("changed during the build; build again"));
        }
        Ok(text)
    }

    fn held(&self) -> &str {
        self.text().unwrap_or("")
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0u32];
            for (i, b) in self.held().bytes().enumerate() {
                if b == b'\n' {
                    starts.push(clamp_u32(i + 1));
                }
            }
            starts
        })
    }

    /// The 1-based line of a byte offset (clamped to the text), without counting its column (1 in
    /// a released file: see [`SourceFile::release`]).
    pub fn line_of(&self, offset: usize) -> u32 {
        let starts = self.line_starts();
        let line_idx = match starts.binary_search(&clamp_u32(offset.min(self.len()))) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        clamp_u32(line_idx + 1)
    }

    /// Line and column of a byte offset. Offsets past the end or inside a UTF-8 sequence are clamped.
    /// A released file's positions are not known (1:1): take it [`SourceFile::with_text`] first.
    pub fn line_col(&self, offset: usize) -> LineCol {
        let Some(text) = self.text() else {
            return LineCol { line: 1, col: 1 };
        };
        let offset = offset.min(text.len());
        let starts = self.line_starts();
        let line_idx = match starts.binary_search(&clamp_u32(offset)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line_start = starts[line_idx] as usize;
        let mut end = offset;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let col = if end - line_start <= CHAR_MARK_STRIDE {
            text[line_start..end].chars().count() + 1
        } else {
            self.chars_before(end) - self.chars_before(line_start) + 1
        };
        LineCol { line: clamp_u32(line_idx + 1), col: clamp_u32(col) }
    }

    /// The number of characters before byte `offset` (a char boundary), from the nearest checkpoint.
    fn chars_before(&self, offset: usize) -> usize {
        let text = self.held();
        let marks = self.char_marks.get_or_init(|| {
            let mut marks = Vec::with_capacity(text.len() / CHAR_MARK_STRIDE + 1);
            let (mut count, mut at) = (0usize, 0usize);
            for k in 0..=text.len() / CHAR_MARK_STRIDE {
                let mark = floor_boundary(text, k * CHAR_MARK_STRIDE);
                count += text[at..mark].chars().count();
                at = mark;
                marks.push(clamp_u32(count));
            }
            marks
        });
        let k = (offset / CHAR_MARK_STRIDE).min(marks.len().saturating_sub(1));
        let mark = floor_boundary(text, k * CHAR_MARK_STRIDE);
        marks.get(k).map_or(0, |&m| m as usize) + text.get(mark..offset).map_or(0, |t| t.chars().count())
    }

    /// The byte range of the 1-based line `line`, without its line terminator (an empty range on a
    /// released file).
    pub fn line_range(&self, line: u32) -> Range<usize> {
        let text = self.held();
        let starts = self.line_starts();
        let idx = (line.max(1) - 1) as usize;
        let Some(&start) = starts.get(idx).filter(|&&s| s as usize <= text.len()) else {
            return text.len()..text.len();
        };
        let mut end = starts.get(idx + 1).map_or(text.len(), |&e| (e as usize).min(text.len()));
        let bytes = text.as_bytes();
        while end > start as usize && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        start as usize..end
    }

    /// The text of `span` ("" out of range or on a released file).
    pub fn slice(&self, span: Span) -> &str {
        self.held().get(span.range()).unwrap_or("")
    }
}

/// The largest char boundary of `text` at or below `i`.
fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Every source file of one build. Files are only added, never removed, so a [`FileId`] stays valid.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, file: SourceFile) -> FileId {
        let id = FileId(clamp_u32(self.files.len()));
        self.files.push(file);
        id
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// Releases the text of file `id` (see [`SourceFile::release`]).
    pub fn release_text(&mut self, id: FileId) {
        if let Some(file) = self.files.get_mut(id.0 as usize) {
            file.release();
        }
    }

    /// Reads the released text of file `id` back and holds it again.
    pub fn hold_again(&mut self, id: FileId) -> Result<(), ReadAgainError> {
        let Some(file) = self.files.get_mut(id.0 as usize) else { return Ok(()) };
        if file.text().is_none() {
            let text = file.read_again()?;
            file.text = Text::Held(text);
        }
        Ok(())
    }

    /// Gives file `id` new text (a watch loop's edit), keeping its paths; spans into the old text
    /// must not be used afterwards. Returns false for an unknown id.
    pub fn replace_text(&mut self, id: FileId, text: String, had_bom: bool) -> bool {
        let Some(file) = self.files.get_mut(id.0 as usize) else { return false };
        let (rel_path, disk_path) = (std::mem::take(&mut file.rel_path), std::mem::take(&mut file.disk_path));
        *file = SourceFile::new(rel_path, disk_path, text, had_bom);
        true
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(clamp_u32(i)), f))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn find(&self, rel_path: &str) -> Option<FileId> {
        self.iter().find(|(_, f)| f.rel_path == rel_path).map(|(id, _)| id)
    }

    pub fn line_col(&self, span: Span) -> LineCol {
        self.get(span.file).line_col(span.start as usize)
    }

    /// `path:line:col` for messages, with the path as given by `display_path`.
    pub fn location(&self, span: Span) -> String {
        let lc = self.line_col(span);
        format!("{}:{}:{}", self.get(span.file).rel_path, lc.line, lc.col)
    }
}

/// Turns a path on disk into the `/`-separated form used in spans and output.
pub fn slash_path(path: &Path) -> String {
    let mut out = String::new();
    for comp in path.components() {
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(&comp.as_os_str().to_string_lossy());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("a.md".into(), PathBuf::from("a.md"), text.into(), false)
    }

    #[test]
    fn a_released_text_keeps_its_lines_and_reads_back_only_while_unchanged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.md");
        let text = "# A\n\n中文 [x](b.md)\n";
        std::fs::write(&path, format!("\u{feff}{text}")).expect("write");
        let mut f = SourceFile::new("a.md".into(), path.clone(), text.into(), true);
        let before = f.line_col(9);
        f.release();
        assert_eq!((f.text(), f.len()), (None, text.len()));
        assert_eq!(f.slice(Span::new(FileId(0), 0..3)), "");
        assert_eq!(f.read_again().as_deref(), Ok(text));
        assert_eq!(f.with_text().expect("same text").line_col(9), before);

        std::fs::write(&path, "# A, edited\n").expect("write");
        let e = f.read_again().expect_err("the text changed");
        assert!(e.reason.contains("changed during the build"), "{e}");
        std::fs::remove_file(&path).expect("remove");
        assert!(f.read_again().is_err());
    }

    #[test]
    fn line_col_counts_chars_and_survives_crlf() {
        let f = file("ab\r\n中文x\r\n");
        assert_eq!(f.line_col(0), LineCol { line: 1, col: 1 });
        assert_eq!(f.line_col(4), LineCol { line: 2, col: 1 });
        // byte 10 is `x`, after two 3-byte characters
        assert_eq!(f.line_col(10), LineCol { line: 2, col: 3 });
        assert_eq!(f.line_range(2), 4..11);
        // inside a multi-byte character: clamped back to its start
        assert_eq!(f.line_col(5), LineCol { line: 2, col: 1 });
        assert_eq!(f.line_col(999), LineCol { line: 3, col: 1 });
    }

    #[test]
    fn columns_on_very_long_lines_use_checkpoints_and_agree_with_counting() {
        // Mixed widths so that checkpoints fall inside multi-byte characters.
        let line: String = (0..5_000).map(|i| ["a", "中", "😀", "é"][i % 4]).collect();
        let text = format!("x\n{line}{line}\nend");
        let f = file(&text);
        for offset in [2, 3, 4_097, 9_000, 12_345, 20_002, 20_003, text.len() - 4, text.len() - 1] {
            let mut at = offset;
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let line_start = text[..at].rfind('\n').map_or(0, |p| p + 1);
            let want = text[line_start..at].chars().count() as u32 + 1;
            assert_eq!(f.line_col(offset).col, want, "offset {offset}");
        }
    }
}
