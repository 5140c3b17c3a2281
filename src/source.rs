//! Source files and positions.
//!
//! A [`SourceMap`] owns every file kbc reads (Markdown, TOC, `book.toml`) as text. Model nodes carry a
//! [`Span`]: a file id plus a byte range. Lines and columns are computed only when a position is shown
//! to a person, as rust-analyzer does, so the hot path stores two integers and a file id.

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
#[derive(Debug)]
pub struct SourceFile {
    /// Path relative to the knowledge base root, with `/` separators. Stable across machines.
    pub rel_path: String,
    /// Absolute (or as-given) path on disk, for reading assets next to it and for messages.
    pub disk_path: PathBuf,
    /// The decoded text, without a UTF-8 byte order mark. Line endings are kept as written.
    pub text: String,
    /// Whether a UTF-8 byte order mark was stripped (columns are unaffected: editors do not count it).
    pub had_bom: bool,
    line_starts: OnceLock<Vec<u32>>,
    /// `char_marks[k]`: characters before the char boundary at or below `k * CHAR_MARK_STRIDE`; only
    /// built when a column on a very long line is asked for.
    char_marks: OnceLock<Vec<u32>>,
}

/// A column is counted character by character over at most about this many bytes; longer line
/// prefixes (a 100 MB file on one line) start from a checkpoint, so a column costs the same anywhere.
const CHAR_MARK_STRIDE: usize = 4096;

impl SourceFile {
    pub fn new(rel_path: String, disk_path: PathBuf, text: String, had_bom: bool) -> SourceFile {
        SourceFile {
            rel_path,
            disk_path,
            text,
            had_bom,
            line_starts: OnceLock::new(),
            char_marks: OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0u32];
            for (i, b) in self.text.bytes().enumerate() {
                if b == b'\n' {
                    starts.push(clamp_u32(i + 1));
                }
            }
            starts
        })
    }

    /// The 1-based line of a byte offset (clamped to the text), without counting its column.
    pub fn line_of(&self, offset: usize) -> u32 {
        let starts = self.line_starts();
        let line_idx = match starts.binary_search(&clamp_u32(offset.min(self.text.len()))) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        clamp_u32(line_idx + 1)
    }

    /// Line and column of a byte offset. Offsets past the end or inside a UTF-8 sequence are clamped.
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = offset.min(self.text.len());
        let starts = self.line_starts();
        let line_idx = match starts.binary_search(&clamp_u32(offset)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line_start = starts[line_idx] as usize;
        let mut end = offset;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col = if end - line_start <= CHAR_MARK_STRIDE {
            self.text[line_start..end].chars().count() + 1
        } else {
            self.chars_before(end) - self.chars_before(line_start) + 1
        };
        LineCol { line: clamp_u32(line_idx + 1), col: clamp_u32(col) }
    }

    /// The number of characters before byte `offset` (a char boundary), from the nearest checkpoint.
    fn chars_before(&self, offset: usize) -> usize {
        let marks = self.char_marks.get_or_init(|| {
            let mut marks = Vec::with_capacity(self.text.len() / CHAR_MARK_STRIDE + 1);
            let (mut count, mut at) = (0usize, 0usize);
            for k in 0..=self.text.len() / CHAR_MARK_STRIDE {
                let mark = floor_boundary(&self.text, k * CHAR_MARK_STRIDE);
                count += self.text[at..mark].chars().count();
                at = mark;
                marks.push(clamp_u32(count));
            }
            marks
        });
        let k = (offset / CHAR_MARK_STRIDE).min(marks.len().saturating_sub(1));
        let mark = floor_boundary(&self.text, k * CHAR_MARK_STRIDE);
        marks.get(k).map_or(0, |&m| m as usize) + self.text[mark..offset].chars().count()
    }

    /// The byte range of the 1-based line `line`, without its line terminator.
    pub fn line_range(&self, line: u32) -> Range<usize> {
        let starts = self.line_starts();
        let idx = (line.max(1) - 1) as usize;
        let Some(&start) = starts.get(idx) else {
            return self.text.len()..self.text.len();
        };
        let mut end = starts.get(idx + 1).map_or(self.text.len(), |&e| e as usize);
        let bytes = self.text.as_bytes();
        while end > start as usize && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        start as usize..end
    }

    pub fn slice(&self, span: Span) -> &str {
        let r = span.range();
        self.text.get(r).unwrap_or("")
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
