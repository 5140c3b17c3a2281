//! Output formats for diagnostics.
//!
//! [`render`] turns a list of [`Diagnostic`]s into the text kbc prints, in one of four [`Format`]s:
//!
//! - **human**: rustc-style snippets drawn by annotate-snippets:
//!   `error[missing-anchor]: message`, `--> path:line:col`, the source line with the span underlined,
//!   secondary spans (one snippet per file, or per stretch of a file when spans lie far apart), then
//!   `note:` and `help:` footers. Every diagnostic is followed by a blank line. A snippet shows at
//!   most a few KB of source (a span on a very long line is cut out of it with some context), so a
//!   diagnostic costs the same to draw whatever the size of its file.
//! - **json**: JSON Lines, one object per diagnostic, keys always present and in this order:
//!
//!   ```text
//!   {"code": "missing-anchor", "severity": "error" | "warning" | "note", "message": "…",
//!    "file": "docs/a.md" | null, "line": 3 | null, "column": 7 | null,
//!    "end_line": 3 | null, "end_column": 12 | null,
//!    "label": "…" | null, "help": "…" | null, "note": "…" | null,
//!    "secondary": [{"file": "…", "line": 1, "column": 1, "end_line": 1, "end_column": 5,
//!                   "message": "…"}]}
//!   ```
//!
//!   Lines and columns are 1-based; a column counts Unicode scalar values (not bytes, not UTF-16
//!   units), and `end_line`/`end_column` is the position just past the span (exclusive end).
//!   `file` is the [`display_path`]. Position fields are `null` only for a diagnostic without a span.
//! - **github**: GitHub Actions workflow commands
//!   (`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=kbc CODE::message`), one per line,
//!   with note and help appended to the message on lines of their own.
//! - **sarif**: one SARIF 2.1.0 log (pretty-printed JSON) with one rule per [`Code`] and one result
//!   per diagnostic. Columns are Unicode scalar values (`columnKind: unicodeCodePoints`). No
//!   timestamps or machine-specific data, so the same input gives byte-identical output.
//!
//! Everything here is total: out-of-range or mid-character spans are clamped, never a panic.

use super::{Code, Diagnostic, Severity};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use serde::Serialize;
use std::borrow::Borrow;
use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Component, Path};
use std::time::Duration;

/// Output format of diagnostics (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
    Sarif,
}

/// How to render.
#[derive(Clone, Copy, Debug)]
pub struct RenderOptions<'a> {
    pub format: Format,
    /// ANSI colours; used by the human format only.
    pub color: bool,
    /// Paths are shown relative to this directory.
    pub cwd: &'a Path,
}

/// Renders all diagnostics in the given order (the caller sorts them). Returns the full text to print.
pub fn render(diags: &[impl Borrow<Diagnostic>], sources: &SourceMap, opts: &RenderOptions) -> String {
    let mut out = Vec::new();
    // Writing into memory does not fail, and every piece written is a `str`.
    let _ = write(diags, sources, opts, &mut out);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// [`render`] into `out`, one diagnostic at a time (SARIF, one JSON document, at once): a large
/// knowledge base has hundreds of thousands of findings, and their text is never held whole.
pub fn write(
    diags: &[impl Borrow<Diagnostic>],
    sources: &SourceMap,
    opts: &RenderOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut files = Shown::new(sources);
    match opts.format {
        Format::Human => {
            let renderer = renderer(opts.color);
            for d in diags.iter().map(Borrow::borrow) {
                files.prepare(d);
                out.write_all(human(d, &files, opts.cwd, &renderer).as_bytes())?;
                out.write_all(b"\n\n")?;
            }
        }
        Format::Json => {
            for d in diags.iter().map(Borrow::borrow) {
                files.prepare(d);
                out.write_all(json_line(d, &files, opts.cwd).as_bytes())?;
                out.write_all(b"\n")?;
            }
        }
        Format::Github => {
            for d in diags.iter().map(Borrow::borrow) {
                files.prepare(d);
                out.write_all(github_line(d, &files, opts.cwd).as_bytes())?;
                out.write_all(b"\n")?;
            }
        }
        Format::Sarif => out.write_all(sarif(diags, &mut files, opts.cwd).as_bytes())?,
    }
    Ok(())
}

/// The files diagnostics point into, with the text of each released file (a low-memory build lets
/// article texts go once parsed) read back before a diagnostic in it is shown. Diagnostics come
/// sorted by file, so only the last few files read back are kept.
struct Shown<'s> {
    sources: &'s SourceMap,
    read: Vec<(FileId, SourceFile)>,
    /// Released files that could not be read back as they were: shown by line, without text.
    changed: Vec<FileId>,
}

/// How many files read back [`Shown`] keeps.
const FILES_READ_BACK: usize = 8;

/// The note on a diagnostic in a file [`Shown`] could not read back.
const CHANGED: &str = "the file changed during the build, so its text is not shown; build again";

impl<'s> Shown<'s> {
    fn new(sources: &'s SourceMap) -> Shown<'s> {
        Shown { sources, read: Vec::new(), changed: Vec::new() }
    }

    /// Reads back the released files `d` points into.
    fn prepare(&mut self, d: &Diagnostic) {
        let spans = d.span.into_iter().chain(d.secondary.iter().map(|l| l.span));
        for file in spans.map(|s| s.file) {
            if (file.0 as usize) >= self.sources.len()
                || self.sources.get(file).text().is_some()
                || self.read.iter().any(|(f, _)| *f == file)
                || self.changed.contains(&file)
            {
                continue;
            }
            match self.sources.get(file).with_text() {
                Ok(held) => {
                    if self.read.len() >= FILES_READ_BACK {
                        self.read.remove(0);
                    }
                    self.read.push((file, held.into_owned()));
                }
                Err(_) => self.changed.push(file),
            }
        }
    }

    fn get(&self, file: FileId) -> &SourceFile {
        match self.read.iter().find(|(f, _)| *f == file) {
            Some((_, held)) => held,
            None => self.sources.get(file),
        }
    }

    /// Whether `d` points into a file that changed since it was read.
    fn changed(&self, d: &Diagnostic) -> bool {
        let mut spans = d.span.into_iter().chain(d.secondary.iter().map(|l| l.span));
        !self.changed.is_empty() && spans.any(|s| self.changed.contains(&s.file))
    }
}

/// Path shown for a file: `disk_path` relative to `cwd` (with `../` where needed, `/` separators),
/// falling back to `rel_path` when the two share no prefix (e.g. different drives).
///
/// A relative `disk_path` is taken to be relative to `cwd` already and is shown as is (without `./`).
pub fn display_path(file: &SourceFile, cwd: &Path) -> String {
    relative_to(&file.disk_path, cwd).unwrap_or_else(|| file.rel_path.clone())
}

fn relative_to(path: &Path, base: &Path) -> Option<String> {
    if path.is_relative() && base.is_absolute() {
        let parts: Vec<String> = path
            .components()
            .filter(|c| !matches!(c, Component::CurDir))
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        return (!parts.is_empty()).then(|| parts.join("/"));
    }
    if path.is_absolute() != base.is_absolute() {
        return None;
    }
    let p: Vec<Component> = path.components().filter(|c| !matches!(c, Component::CurDir)).collect();
    let b: Vec<Component> = base.components().filter(|c| !matches!(c, Component::CurDir)).collect();
    // Absolute paths must agree on their prefix (drive) and root to be comparable at all.
    let anchor = |c: &Component| matches!(c, Component::Prefix(_) | Component::RootDir);
    let p_anchor: Vec<&Component> = p.iter().take_while(|c| anchor(c)).collect();
    let b_anchor: Vec<&Component> = b.iter().take_while(|c| anchor(c)).collect();
    if p_anchor.len() != b_anchor.len() || !p_anchor.iter().zip(&b_anchor).all(|(x, y)| same_component(x, y))
    {
        return None;
    }
    let common = p.iter().zip(&b).take_while(|(x, y)| same_component(x, y)).count();
    let rest_base = &b[common..];
    // `..` in what remains of the base cannot be inverted without touching the file system.
    if rest_base.iter().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let mut parts: Vec<String> = rest_base.iter().map(|_| "..".to_owned()).collect();
    parts.extend(p[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn same_component(a: &Component, b: &Component) -> bool {
    if cfg!(windows) { a.as_os_str().eq_ignore_ascii_case(b.as_os_str()) } else { a == b }
}

/// The closing summary line, e.g. `2 errors, 17 warnings in 262 articles (0.41 s)`; "1 error",
/// "no problems" etc. Zero counts are left out.
pub fn summary(errors: usize, warnings: usize, notes: usize, articles: usize, elapsed: Duration) -> String {
    let mut parts = Vec::new();
    for (n, word) in [(errors, "error"), (warnings, "warning"), (notes, "note")] {
        if n > 0 {
            parts.push(plural(n, word));
        }
    }
    let problems = if parts.is_empty() { "no problems".to_owned() } else { parts.join(", ") };
    format!("{problems} in {} ({:.2} s)", plural(articles, "article"), elapsed.as_secs_f64())
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

/// A one-off snippet for errors that are not content diagnostics (a bad book.toml).
///
/// `range` is a byte range into `text`; without one only the title and ` --> path` are shown.
/// An empty `label` shows no label text. The result ends without a newline.
pub fn render_standalone(
    severity: Severity,
    message: &str,
    path: &str,
    text: &str,
    range: Option<Range<usize>>,
    label: &str,
    color: bool,
) -> String {
    let title = level(severity).primary_title(message);
    let label = (!label.is_empty()).then_some(label);
    let group = match range {
        Some(range) => {
            let w = window(text, &[range]);
            let ann = w.spans.into_iter().next().map(|r| AnnotationKind::Primary.span(r).label(label));
            let snippet = Snippet::source(w.source).line_start(w.line_start).path(path).annotations(ann);
            title.element(snippet)
        }
        None => title.element(Origin::path(path)),
    };
    renderer(color).render(&[group])
}

// ---------------------------------------------------------------------------------------------
// human

fn renderer(color: bool) -> Renderer {
    if color { Renderer::styled() } else { Renderer::plain() }
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    }
}

/// The lines of a file that some spans touch, with the spans rebased into them.
struct Window<'t> {
    source: &'t str,
    /// 1-based number of the first line of `source`.
    line_start: usize,
    /// The input spans, rebased to `source` and clamped to it and to character boundaries.
    spans: Vec<Range<usize>>,
}

/// Cuts the lines from the first to the last line touched by `ranges` out of `text` (line
/// terminators inside are kept: annotate-snippets understands `\r\n`; the final one is dropped).
fn window<'t>(text: &'t str, ranges: &[Range<usize>]) -> Window<'t> {
    let clamped: Vec<Range<usize>> = ranges
        .iter()
        .map(|r| {
            let start = floor_char(text, r.start);
            let end = ceil_char(text, r.end.max(r.start)).max(start);
            start..end
        })
        .collect();
    let first = clamped.iter().map(|r| r.start).min().unwrap_or(0);
    // A non-empty span ends on the line of its last byte (not on the next line when it ends with `\n`).
    let last = clamped.iter().map(|r| if r.end > r.start { r.end - 1 } else { r.start }).max().unwrap_or(0);
    let ws = line_start_of(text, first);
    let we = line_content_end(text, last);
    let line_start = text.as_bytes()[..ws].iter().filter(|&&b| b == b'\n').count() + 1;
    let spans = clamped
        .into_iter()
        .map(|r| {
            let s = r.start.clamp(ws, we);
            let e = r.end.clamp(s, we);
            s - ws..e - ws
        })
        .collect();
    Window { source: text.get(ws..we).unwrap_or(""), line_start, spans }
}

fn floor_char(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Byte offset of the start of the line containing `i`.
fn line_start_of(text: &str, i: usize) -> usize {
    text.as_bytes()[..i].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1)
}

/// Byte offset of the end of the line containing `i`, before its `\n` or `\r\n`.
fn line_content_end(text: &str, i: usize) -> usize {
    let bytes = text.as_bytes();
    let start = line_start_of(text, i);
    let mut end = bytes[start..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| start + p);
    if end > start && bytes[end - 1] == b'\r' {
        end -= 1;
    }
    end
}

/// One file's part of a human diagnostic: its spans, primary first if it has it.
struct FileSpans<'d> {
    file: crate::source::FileId,
    spans: Vec<(Range<usize>, AnnotationKind, Option<&'d str>)>,
}

fn human(d: &Diagnostic, sources: &Shown<'_>, cwd: &Path, renderer: &Renderer) -> String {
    let all = d
        .span
        .map(|s| (s, AnnotationKind::Primary, d.label.as_deref()))
        .into_iter()
        .chain(d.secondary.iter().map(|l| (l.span, AnnotationKind::Context, Some(l.message.as_str()))));
    let mut files: Vec<FileSpans> = Vec::new();
    for (span, kind, label) in all {
        let entry = (span.range(), kind, label);
        match files.iter_mut().find(|f| f.file == span.file) {
            Some(f) => f.spans.push(entry),
            None => files.push(FileSpans { file: span.file, spans: vec![entry] }),
        }
    }

    // Owned pieces first, so the snippets can borrow them.
    let parts: Vec<(String, Vec<Piece>)> = files
        .iter()
        .map(|f| {
            let file = sources.get(f.file);
            let ranges: Vec<Range<usize>> = f.spans.iter().map(|s| s.0.clone()).collect();
            (display_path(file, cwd), pieces(file, &ranges))
        })
        .collect();

    let title = level(d.severity).primary_title(d.message.as_str()).id(d.code.name());
    if parts.is_empty() && d.note.is_none() && d.help.is_none() {
        // No position and nothing to add: the title line only.
        return renderer.render(&[Group::with_title(title)]);
    }
    let mut elements: Vec<annotate_snippets::Element> = Vec::new();
    let mut fixes: Vec<(String, String)> = Vec::new();
    for (f, (path, pieces)) in files.iter().zip(&parts) {
        for piece in pieces {
            let anns = piece.spans.iter().map(|(r, i)| {
                let (_, kind, label) = &f.spans[*i];
                kind.span(r.clone()).label(*label)
            });
            elements.push(
                Snippet::source(piece.source)
                    .line_start(piece.line_start)
                    .path(path.as_str())
                    .annotations(anns)
                    .into(),
            );
            if let Some((shown, real)) = piece.column {
                let line = piece.line_start;
                fixes.push((format!("{path}:{line}:{shown}"), format!("{path}:{line}:{real}")));
            }
        }
    }
    if let Some(note) = &d.note {
        elements.push(Level::NOTE.message(note.as_str()).into());
    }
    if let Some(help) = &d.help {
        elements.push(Level::HELP.message(help.as_str()).into());
    }
    if sources.changed(d) {
        elements.push(Level::NOTE.message(CHANGED).into());
    }
    let mut out = renderer.render(&[title.elements(elements)]);
    // A snippet cut out of a long line shows a column counted from the cut; put the real one back
    // into its `--> path:line:col` (snippets are drawn in order, so search on from the last fix).
    let mut from = 0;
    for (shown, real) in fixes {
        if let Some(at) = out.get(from..).and_then(|rest| rest.find(&shown)) {
            out.replace_range(from + at..from + at + shown.len(), &real);
            from += at + real.len();
        }
    }
    out
}

/// The most source text one snippet shows. Spans farther apart get snippets of their own, a span on
/// a longer line is shown with some context around it, and of a longer span only the start is shown:
/// drawing a diagnostic costs the same in a 100 MB file, or on a 100 MB line, as in a small one.
const MAX_WINDOW: usize = 4096;
/// Bytes kept on each side of a span cut out of a long line: more than a terminal line, so the
/// snippet still shows `...` where the line goes on.
const CUT_CONTEXT: usize = 512;

/// One snippet: a piece of a file and the spans in it.
struct Piece<'t> {
    source: &'t str,
    /// 1-based number of the first line of `source`.
    line_start: usize,
    /// Spans rebased to `source`, with their index in the file's list.
    spans: Vec<(Range<usize>, usize)>,
    /// For a piece cut out of a long line: the column annotate-snippets counts from the cut, and
    /// the real one.
    column: Option<(usize, u32)>,
}

/// Splits the spans of one file into snippets of at most about [`MAX_WINDOW`] bytes each. The piece
/// holding the first span comes first (the primary span, when it is in this file); the others follow
/// in file order. Whole lines are shown unless a line is too long.
fn pieces<'t>(file: &'t SourceFile, ranges: &[Range<usize>]) -> Vec<Piece<'t>> {
    /// A window of the file (byte offsets), before it becomes a [`Piece`].
    struct Cut {
        start: usize,
        end: usize,
        first_line: u32,
        spans: Vec<(Range<usize>, usize)>,
        column: Option<(usize, u32)>,
    }
    let text = file.text().unwrap_or("");
    let mut singles: Vec<Cut> = Vec::new();
    for (i, r) in ranges.iter().enumerate() {
        let start = floor_char(text, r.start);
        let mut end = ceil_char(text, r.end.max(r.start)).max(start);
        let first = file.line_of(start);
        // A non-empty span ends on the line of its last byte (not on the next line when it ends with `\n`).
        let last = file.line_of(if end > start { end - 1 } else { start });
        let mut ws = file.line_range(first).start;
        let mut we = file.line_range(last).end.max(ws);
        let mut column = None;
        if we - ws > MAX_WINDOW {
            // A span over many lines: its first line stands for it.
            we = file.line_range(first).end.max(ws);
            end = end.min(we).max(start);
        }
        if we - ws > MAX_WINDOW {
            // A long line: the span (or its start) with context on both sides.
            end = ceil_char(text, end.min(start.saturating_add(MAX_WINDOW / 2))).max(start);
            let cut_start = floor_char(text, start.saturating_sub(CUT_CONTEXT).max(ws));
            we = ceil_char(text, end.saturating_add(CUT_CONTEXT).min(we));
            if cut_start > ws {
                let shown = text[cut_start..start.clamp(cut_start, we)].chars().count() + 1;
                column = Some((shown, file.line_col(start).col));
            }
            ws = cut_start;
        }
        singles.push(Cut { start: ws, end: we, first_line: first, spans: vec![(start..end, i)], column });
    }
    singles.sort_by_key(|c| (c.start, c.end, c.spans[0].1));
    let mut cuts: Vec<Cut> = Vec::new();
    for cut in singles {
        if let Some(last) = cuts.last_mut()
            && cut.column.is_none()
            && last.column.is_none()
            && cut.end.max(last.end) - last.start <= MAX_WINDOW
        {
            last.end = last.end.max(cut.end);
            last.spans.extend(cut.spans);
            continue;
        }
        cuts.push(cut);
    }
    let mut pieces: Vec<Piece> = cuts
        .into_iter()
        .map(|c| Piece {
            source: text.get(c.start..c.end).unwrap_or(""),
            line_start: c.first_line as usize,
            spans: c
                .spans
                .into_iter()
                .map(|(r, i)| {
                    let s = r.start.clamp(c.start, c.end);
                    let e = r.end.clamp(s, c.end);
                    (s - c.start..e - c.start, i)
                })
                .collect(),
            column: c.column,
        })
        .collect();
    if let Some(p) = pieces.iter().position(|p| p.spans.iter().any(|(_, i)| *i == 0)) {
        let first = pieces.remove(p);
        pieces.insert(0, first);
    }
    pieces
}

// ---------------------------------------------------------------------------------------------
// positions shared by json, github and sarif

struct Pos {
    file: String,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
}

fn pos(span: Span, sources: &Shown<'_>, cwd: &Path) -> Pos {
    let file = sources.get(span.file);
    let start = file.line_col(span.start as usize);
    let end = file.line_col((span.end as usize).max(span.start as usize));
    Pos {
        file: display_path(file, cwd),
        line: start.line,
        column: start.col,
        end_line: end.line,
        end_column: end.col,
    }
}

// ---------------------------------------------------------------------------------------------
// json

#[derive(Serialize)]
struct JsonDiag<'a> {
    code: &'static str,
    severity: Severity,
    message: &'a str,
    file: Option<String>,
    line: Option<u32>,
    column: Option<u32>,
    end_line: Option<u32>,
    end_column: Option<u32>,
    label: Option<&'a str>,
    help: Option<&'a str>,
    note: Option<&'a str>,
    secondary: Vec<JsonLabel<'a>>,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: String,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    message: &'a str,
}

fn json_line(d: &Diagnostic, sources: &Shown<'_>, cwd: &Path) -> String {
    let p = d.span.map(|s| pos(s, sources, cwd));
    let value = JsonDiag {
        code: d.code.name(),
        severity: d.severity,
        message: &d.message,
        line: p.as_ref().map(|p| p.line),
        column: p.as_ref().map(|p| p.column),
        end_line: p.as_ref().map(|p| p.end_line),
        end_column: p.as_ref().map(|p| p.end_column),
        file: p.map(|p| p.file),
        label: d.label.as_deref(),
        help: d.help.as_deref(),
        note: d.note.as_deref(),
        secondary: d
            .secondary
            .iter()
            .map(|l| {
                let p = pos(l.span, sources, cwd);
                JsonLabel {
                    file: p.file,
                    line: p.line,
                    column: p.column,
                    end_line: p.end_line,
                    end_column: p.end_column,
                    message: &l.message,
                }
            })
            .collect(),
    };
    // Serializing a struct of strings and integers cannot fail.
    serde_json::to_string(&value).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// github

/// Escapes the data (message) part of a workflow command.
fn gh_escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
fn gh_escape_property(s: &str) -> String {
    gh_escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn github_line(d: &Diagnostic, sources: &Shown<'_>, cwd: &Path) -> String {
    let command = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let mut props = String::new();
    if let Some(span) = d.span {
        let p = pos(span, sources, cwd);
        let _ = write!(
            props,
            "file={},line={},col={},endLine={},endColumn={},",
            gh_escape_property(&p.file),
            p.line,
            p.column,
            p.end_line,
            p.end_column
        );
    }
    let _ = write!(props, "title={}", gh_escape_property(&format!("kbc {}", d.code.name())));
    format!("::{command} {props}::{}", gh_escape_data(&message_with_footers(d)))
}

/// The message with note and help appended on lines of their own (github and sarif).
fn message_with_footers(d: &Diagnostic) -> String {
    let mut text = d.message.clone();
    if let Some(note) = &d.note {
        text.push_str("\nnote: ");
        text.push_str(note);
    }
    if let Some(help) = &d.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    text
}

// ---------------------------------------------------------------------------------------------
// sarif

const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

#[derive(Serialize)]
struct SarifLog {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<SarifRun>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRun {
    tool: SarifTool,
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct SarifTool {
    driver: SarifDriver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifDriver {
    name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    version: &'static str,
    rules: Vec<SarifRule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRule {
    id: &'static str,
    short_description: SarifText,
    default_configuration: SarifConfiguration,
}

#[derive(Serialize)]
struct SarifConfiguration {
    level: &'static str,
}

#[derive(Serialize)]
struct SarifText {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: SarifText,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<SarifLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: SarifPhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<SarifText>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifPhysicalLocation {
    artifact_location: SarifArtifactLocation,
    region: SarifRegion,
}

#[derive(Serialize)]
struct SarifArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRegion {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// The project's web address, from `repository` or `homepage` in Cargo.toml (omitted while unset).
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")].into_iter().find(|s| !s.is_empty())
}

fn sarif_location(
    span: Span,
    sources: &Shown<'_>,
    cwd: &Path,
    id: Option<usize>,
    message: Option<&str>,
) -> SarifLocation {
    let p = pos(span, sources, cwd);
    SarifLocation {
        id,
        physical_location: SarifPhysicalLocation {
            artifact_location: SarifArtifactLocation { uri: uri_encode_path(&p.file) },
            region: SarifRegion {
                start_line: p.line,
                start_column: p.column,
                end_line: p.end_line,
                end_column: p.end_column,
            },
        },
        message: message.map(|m| SarifText { text: m.to_owned() }),
    }
}

fn sarif(diags: &[impl Borrow<Diagnostic>], sources: &mut Shown<'_>, cwd: &Path) -> String {
    let rules = Code::ALL
        .iter()
        .map(|&code| SarifRule {
            id: code.name(),
            short_description: SarifText { text: code.description().to_owned() },
            default_configuration: SarifConfiguration { level: sarif_level(code.default_severity()) },
        })
        .collect();
    let results = diags
        .iter()
        .map(Borrow::borrow)
        .map(|d| {
            sources.prepare(d);
            let sources = &*sources;
            SarifResult {
                rule_id: d.code.name(),
                rule_index: Code::ALL.iter().position(|&c| c == d.code).unwrap_or(0),
                level: sarif_level(d.severity),
                message: SarifText { text: message_with_footers(d) },
                locations: d.span.map(|s| sarif_location(s, sources, cwd, None, None)).into_iter().collect(),
                related_locations: d
                    .secondary
                    .iter()
                    .enumerate()
                    .map(|(i, l)| sarif_location(l.span, sources, cwd, Some(i), Some(&l.message)))
                    .collect(),
            }
        })
        .collect();
    let log = SarifLog {
        schema: SARIF_SCHEMA,
        version: "2.1.0",
        runs: vec![SarifRun {
            tool: SarifTool {
                driver: SarifDriver {
                    name: "kbc",
                    information_uri: information_uri(),
                    version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    // Serializing plain structs cannot fail.
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}

/// Percent-encodes a `/`-separated relative path for a URI reference (RFC 3986): unreserved
/// characters, sub-delimiters, `@` and `/` are kept; everything else (spaces, non-ASCII as UTF-8
/// bytes, `%`, `?`, `#`, `:`) is encoded. `:` is encoded so that a first segment never looks like
/// a scheme.
fn uri_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
                    | b'/'
            );
        if keep {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, SourceFile};
    use std::path::PathBuf;

    const A: &str = "# 故障排除\r\n\r\n参见[设置](指南 one.md#缺失)。\r\n\t- 项目：[x](#y)\r\n";
    const B: &str = "# 指南\n\n## 设置\n\nText.\n";

    fn span_of(file: FileId, text: &str, needle: &str) -> Span {
        let start = text.find(needle).unwrap_or(0);
        Span::new(file, start..start + needle.len())
    }

    fn fixture() -> (SourceMap, Vec<Diagnostic>) {
        let mut sources = SourceMap::new();
        let a =
            sources.add(SourceFile::new("docs/a.md".into(), PathBuf::from("/kb/docs/a.md"), A.into(), false));
        let b = sources.add(SourceFile::new(
            "docs/指南 one.md".into(),
            PathBuf::from("/kb/docs/指南 one.md"),
            B.into(),
            false,
        ));
        let diags = vec![
            Diagnostic::new(Code::MissingAnchor, span_of(a, A, "#缺失"), "no anchor `缺失` in `指南 one.md`")
                .with_label("no such anchor")
                .with_secondary(span_of(b, B, "## 设置"), "the closest heading is here")
                .with_help("did you mean `#设置`?"),
            Diagnostic::new(Code::MissingAnchor, span_of(a, A, "#y"), "no anchor `y` in this article")
                .with_label("not found")
                .with_secondary(span_of(a, A, "# 故障排除"), "this article's only heading")
                .with_note("anchors are generated from headings"),
            Diagnostic {
                code: Code::Orphan,
                severity: Severity::Note,
                message: "no navigation reaches `docs/a.md`".into(),
                span: None,
                label: None,
                secondary: Vec::new(),
                help: None,
                note: None,
            },
        ];
        (sources, diags)
    }

    fn render_fmt(format: Format) -> String {
        let (sources, diags) = fixture();
        let opts = RenderOptions { format, color: false, cwd: Path::new("/kb") };
        render(&diags, &sources, &opts)
    }

    #[test]
    fn human_snapshot() {
        insta::assert_snapshot!(render_fmt(Format::Human));
    }

    #[test]
    fn json_snapshot() {
        let out = render_fmt(Format::Json);
        for line in out.lines() {
            assert!(serde_json::from_str::<serde_json::Value>(line).is_ok());
        }
        insta::assert_snapshot!(out);
    }

    #[test]
    fn github_snapshot() {
        insta::assert_snapshot!(render_fmt(Format::Github));
    }

    #[test]
    fn sarif_snapshot() {
        let out = render_fmt(Format::Sarif);
        assert_eq!(out, render_fmt(Format::Sarif), "deterministic");
        insta::assert_snapshot!(out);
    }

    fn one_file(text: String) -> (SourceMap, FileId) {
        let mut sources = SourceMap::new();
        let a = sources.add(SourceFile::new("a.md".into(), PathBuf::from("/kb/a.md"), text, false));
        (sources, a)
    }

    fn human_of(d: &Diagnostic, sources: &SourceMap) -> String {
        let opts = RenderOptions { format: Format::Human, color: false, cwd: Path::new("/kb") };
        render(std::slice::from_ref(d), sources, &opts)
    }

    #[test]
    fn a_span_on_a_huge_line_is_cut_out_with_its_real_column() {
        let text =
            format!("# A\n\n{}[x](nope.md) 中文{}\n", "word ".repeat(200_000), " tail".repeat(200_000));
        let at = text.find("nope.md").unwrap();
        let (sources, a) = one_file(text);
        let d = Diagnostic::new(Code::MissingFile, Span::new(a, at..at + 7), "file `nope.md` does not exist")
            .with_label("no such file");
        let out = human_of(&d, &sources);
        assert!(out.contains(" --> a.md:3:1000005\n"), "{out}");
        assert!(out.contains("[x](nope.md) 中文"), "{out}");
        assert!(out.contains("^^^^^^^ no such file"), "{out}");
        assert!(out.len() < 2_000, "the snippet is cut, not the whole line: {} bytes", out.len());
        // Every other format counts the same column.
        let opts = RenderOptions { format: Format::Json, color: false, cwd: Path::new("/kb") };
        assert!(render(&[d], &sources, &opts).contains("\"line\":3,\"column\":1000005,"));
    }

    #[test]
    fn spans_far_apart_get_snippets_of_their_own() {
        let text = format!("<a name=\"x\"></a>\n{}<a name=\"x\"></a>\n", "filler line\n".repeat(50_000));
        let second = text.rfind("x\"").unwrap();
        let (sources, a) = one_file(text);
        let d = Diagnostic::new(
            Code::DuplicateAnchor,
            Span::new(a, second..second + 1),
            "anchor `#x` is defined more than once",
        )
        .with_label("defined again here")
        .with_secondary(Span::new(a, 9..10), "first defined here");
        let out = human_of(&d, &sources);
        assert!(out.contains(" --> a.md:50002:10\n"), "{out}");
        assert!(out.contains(" ::: a.md:1:10\n"), "{out}");
        assert!(!out.contains("filler"), "{out}");
        // Spans close together still share one snippet.
        let (sources, a) = one_file("# A\n\n[x](a.md#b) [y](a.md#b)\n".into());
        let d = Diagnostic::new(Code::MissingAnchor, Span::new(a, 11..12), "no anchor")
            .with_secondary(Span::new(a, 25..26), "again");
        let out = human_of(&d, &sources);
        assert!(!out.contains(":::"), "{out}");
    }

    #[test]
    fn a_span_over_a_huge_paragraph_shows_its_first_line() {
        let text = format!(":::nope\n{}\n", "line of the paragraph\n".repeat(100_000));
        let (sources, a) = one_file(text.clone());
        let d = Diagnostic::new(
            Code::UnknownExtension,
            Span::new(a, 0..text.len() - 2),
            "unknown DocFX extension `:::nope`",
        );
        let out = human_of(&d, &sources);
        assert!(out.contains(" --> a.md:1:1\n"), "{out}");
        assert!(out.len() < 2_000, "{} bytes", out.len());
    }

    #[test]
    fn color_adds_ansi_only_when_asked() {
        let (sources, diags) = fixture();
        let mut opts = RenderOptions { format: Format::Human, color: true, cwd: Path::new("/kb") };
        assert!(render(&diags, &sources, &opts).contains('\x1b'));
        opts.color = false;
        assert!(!render(&diags, &sources, &opts).contains('\x1b'));
    }

    #[test]
    fn standalone_snippet() {
        let text = "[book]\ntitle = 3\n";
        let start = text.find('3').unwrap_or(0);
        insta::assert_snapshot!(render_standalone(
            Severity::Error,
            "invalid type: integer `3`, expected a string",
            "book.toml",
            text,
            Some(start..start + 1),
            "expected a string",
            false,
        ));
        let no_range = render_standalone(Severity::Error, "cannot read", "book.toml", "", None, "", false);
        assert_eq!(no_range, "error: cannot read\n--> book.toml");
    }

    #[test]
    fn hostile_spans_do_not_panic() {
        let mut sources = SourceMap::new();
        let f = sources.add(SourceFile::new("x.md".into(), PathBuf::from("x.md"), "中文\r\n".into(), false));
        let diags = [
            // inside a multi-byte character, past the end, and on the `\n` of a CRLF
            Diagnostic::new(Code::NoTitle, Span::new(f, 1..2), "m"),
            Diagnostic::new(Code::NoTitle, Span::new(f, 50..90), "m"),
            Diagnostic::new(Code::NoTitle, Span::new(f, 7..8), "m").with_secondary(Span::new(f, 0..8), "all"),
        ];
        for format in [Format::Human, Format::Json, Format::Github, Format::Sarif] {
            let opts = RenderOptions { format, color: false, cwd: Path::new("/") };
            assert!(!render(&diags, &sources, &opts).is_empty());
        }
    }

    fn file_at(disk: &str) -> SourceFile {
        SourceFile::new("fallback/a.md".into(), PathBuf::from(disk), String::new(), false)
    }

    #[test]
    fn display_path_is_relative_to_cwd() {
        let cwd = Path::new("/kb/site");
        assert_eq!(display_path(&file_at("/kb/site/docs/a.md"), cwd), "docs/a.md");
        assert_eq!(display_path(&file_at("/kb/other/a.md"), cwd), "../other/a.md");
        assert_eq!(display_path(&file_at("/x/a.md"), cwd), "../../x/a.md");
        assert_eq!(display_path(&file_at("/kb/site/./a.md"), cwd), "a.md");
        // relative disk paths are already relative to the working directory
        assert_eq!(display_path(&file_at("./docs/a.md"), cwd), "docs/a.md");
        // not comparable: fall back to the path relative to the root
        assert_eq!(display_path(&file_at("/kb/a.md"), Path::new("rel")), "fallback/a.md");
        assert_eq!(display_path(&file_at("/kb/site"), cwd), "fallback/a.md");
        assert_eq!(display_path(&file_at("/kb/a.md"), Path::new("/kb/x/../y")), "fallback/a.md");
    }

    #[cfg(windows)]
    #[test]
    fn display_path_other_drive_falls_back() {
        let cwd = Path::new(r"C:\kb");
        assert_eq!(display_path(&file_at(r"D:\kb\a.md"), cwd), "fallback/a.md");
        assert_eq!(display_path(&file_at(r"c:\KB\docs\a.md"), cwd), "docs/a.md");
    }

    #[test]
    fn summary_wording() {
        let t = Duration::from_millis(410);
        assert_eq!(summary(2, 17, 0, 262, t), "2 errors, 17 warnings in 262 articles (0.41 s)");
        assert_eq!(summary(1, 0, 0, 1, t), "1 error in 1 article (0.41 s)");
        assert_eq!(summary(0, 1, 3, 5, t), "1 warning, 3 notes in 5 articles (0.41 s)");
        assert_eq!(summary(0, 0, 0, 0, Duration::ZERO), "no problems in 0 articles (0.00 s)");
    }

    #[test]
    fn github_escaping() {
        assert_eq!(gh_escape_data("100% a,b: c\r\nd"), "100%25 a,b: c%0D%0Ad");
        assert_eq!(gh_escape_property("a%b,c:d\ne"), "a%25b%2Cc%3Ad%0Ae");

        let mut sources = SourceMap::new();
        let f = sources.add(SourceFile::new(
            "a,b:c%.md".into(),
            PathBuf::from("/kb/a,b:c%.md"),
            "x\n".into(),
            false,
        ));
        let d = Diagnostic::new(Code::EmptyLink, Span::new(f, 0..1), "50% done: a, b\nnext")
            .with_help("use `[a](b.md)`, or: remove");
        let opts = RenderOptions { format: Format::Github, color: false, cwd: Path::new("/kb") };
        assert_eq!(
            render(&[d], &sources, &opts),
            "::warning file=a%2Cb%3Ac%25.md,line=1,col=1,endLine=1,endColumn=2,title=kbc empty-link\
             ::50%25 done: a, b%0Anext%0Ahelp: use `[a](b.md)`, or: remove\n"
        );
    }

    #[test]
    fn uri_encoding() {
        assert_eq!(uri_encode_path("docs/指南 one.md"), "docs/%E6%8C%87%E5%8D%97%20one.md");
        assert_eq!(uri_encode_path("../a%#?:b.md"), "../a%25%23%3F%3Ab.md");
    }
}
