//! The event stream of one article: pulldown-cmark events with spans, DocFX includes expanded.
//!
//! Includes are expanded here, at the event level, so that headings, anchors and links inside an
//! include file become part of the including article exactly as DocFX renders them, while every
//! event's span still points into the file it came from.

use super::Texts;
use super::front_matter;
use crate::diag::{Code, Diagnostic, Sink};
use crate::load::join_link;
use crate::model::IncludeRef;
use crate::parse::link::percent_decode;
use crate::source::{FileId, Span};
use pulldown_cmark::{BrokenLink, CowStr, Event, LinkType, Parser, Tag, TagEnd};
use std::collections::BTreeMap;
use std::ops::Range;

/// How deep includes may nest before kbc stops following them.
pub const MAX_INCLUDE_DEPTH: usize = 10;

/// One event with its source span.
#[derive(Debug, Clone)]
pub struct Ev<'a> {
    pub kind: EvKind<'a>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum EvKind<'a> {
    Md(Event<'a>),
    /// A block `[!INCLUDE]` stood here (index into [`Stream::includes`]); its content follows.
    Include(usize),
}

/// Where include paths are looked up.
pub struct IncludeContext<'a> {
    pub by_path: &'a BTreeMap<String, FileId>,
    /// Lower-cased path → file, for the case-insensitive fallback.
    pub by_lower_path: &'a BTreeMap<String, FileId>,
    /// Paths that exist but are not read (symbolic links, special files), to explain a missing include.
    pub not_read: &'a BTreeMap<String, crate::load::NotRead>,
    /// Every path under the content root, to find the docset root of a `~/` path.
    pub paths: &'a std::collections::BTreeSet<String>,
}

/// The expanded event stream of one article.
#[derive(Debug, Default)]
pub struct Stream<'a> {
    pub events: Vec<Ev<'a>>,
    pub includes: Vec<IncludeRef>,
    /// Reference definitions (`[label]: dest`) of every file read, by label as written.
    pub references: BTreeMap<String, String>,
    pub diagnostics: Sink,
}

/// Builds the stream of `file`, body starting at `body_start`.
pub(super) fn stream<'a>(
    texts: Texts<'a>,
    ctx: &IncludeContext<'_>,
    file: FileId,
    body_start: usize,
) -> Stream<'a> {
    let mut x = Expander { texts, ctx, stack: vec![file], out: Stream::default() };
    x.file_events(file, body_start, false);
    x.out
}

/// Walks a file's events and, recursively, the files it includes.
struct Expander<'a, 'c> {
    texts: Texts<'a>,
    ctx: &'c IncludeContext<'c>,
    /// The files being expanded, outermost first (for cycle detection and relative paths).
    stack: Vec<FileId>,
    out: Stream<'a>,
}

impl<'a> Expander<'a, '_> {
    fn file_events(&mut self, file: FileId, body_start: usize, inline_only: bool) {
        let text = self.texts.text(file);
        let body = text.get(body_start..).unwrap_or("");
        let mut broken: Vec<(Range<usize>, String, LinkType)> = Vec::new();
        // The common case: nothing to expand, so the events go straight into the stream; otherwise
        // they are collected first, for the include patterns to look ahead.
        let direct = !inline_only && !has_include_marker(body);
        let has_nul = body.contains('\0');
        let at = (file, body_start);
        let raw = match protect_code_pipes(body) {
            None => {
                self.parse_events(body, at, direct, &mut broken, |e| if has_nul { replace_nul(e) } else { e })
            }
            Some(protected) => self.parse_events(&protected, at, direct, &mut broken, |e| {
                let e = restore_pipes(e.into_static());
                if has_nul { replace_nul(e) } else { e }
            }),
        };
        for (range, label, link_type) in broken {
            let range = range.start + body_start..range.end + body_start;
            if let Some(d) = undefined_reference(file, text, range, &label, link_type) {
                self.out.diagnostics.push(d);
            }
        }
        if direct {
            return;
        }

        let raw = if inline_only { inline_events(raw) } else { raw };
        if !has_include_marker(body) {
            self.out.events.extend(raw.into_iter().map(|(event, span)| Ev { kind: EvKind::Md(event), span }));
            return;
        }
        let mut i = 0;
        while i < raw.len() {
            if let Some(consumed) = self.block_include(&raw, i) {
                i += consumed;
                continue;
            }
            if let Some(consumed) = self.inline_include(&raw, i) {
                i += consumed;
                continue;
            }
            let (event, span) = &raw[i];
            self.out.events.push(Ev { kind: EvKind::Md(event.clone()), span: *span });
            i += 1;
        }
    }
    /// Parses `body` (a file's text from `body_start`, or a copy of it with the same offsets),
    /// passing each event through `convert`: into the stream when `direct`, else into the events
    /// returned. Records its reference definitions, and collects its broken references.
    fn parse_events<'x>(
        &mut self,
        body: &'x str,
        (file, body_start): (FileId, usize),
        direct: bool,
        broken: &mut Vec<(Range<usize>, String, LinkType)>,
        convert: impl Fn(Event<'x>) -> Event<'a>,
    ) -> Vec<(Event<'a>, Span)> {
        let mut callback = |link: BrokenLink<'_>| {
            if matches!(link.link_type, LinkType::Shortcut | LinkType::Reference | LinkType::Collapsed) {
                broken.push((link.span.clone(), link.reference.to_string(), link.link_type));
            }
            None
        };
        let parser = Parser::new_with_broken_link_callback(body, super::options(), Some(&mut callback));
        let iter = parser.into_offset_iter();
        let defs = iter.reference_definitions().iter().map(|(k, d)| (k.to_string(), d.dest.to_string()));
        self.out.references.extend(defs);
        let mut raw: Vec<(Event<'a>, Span)> = Vec::new();
        let mut merge = TextMerge::default();
        if direct {
            self.out.events.reserve(body.len() / 10);
        } else {
            raw.reserve(body.len() / 10);
        }
        for (event, range) in iter {
            let span = Span::new(file, range.start + body_start..range.end + body_start);
            let event = convert(event);
            if direct {
                merge.push(&mut self.out.events, event, span, ev_md, ev_text);
            } else {
                merge.push(&mut raw, event, span, |e, s| (e, s), |(e, s)| text_mut(e, s));
            }
        }
        if direct {
            merge.finish(&mut self.out.events, ev_text);
        } else {
            merge.finish(&mut raw, |(e, s)| text_mut(e, s));
        }
        raw
    }

    /// A paragraph made only of includes (and line breaks between them): each becomes a block include.
    fn block_include(&mut self, raw: &[(Event<'a>, Span)], i: usize) -> Option<usize> {
        let (Event::Start(Tag::Paragraph), _) = raw.get(i)? else { return None };
        // Find the paragraph's end and check that it holds only includes.
        let mut found = Vec::new();
        let mut k = i + 1;
        loop {
            match raw.get(k)? {
                (Event::End(TagEnd::Paragraph), _) => break,
                (Event::SoftBreak | Event::HardBreak, _) => k += 1,
                (Event::Text(t), _) if t.trim().is_empty() => k += 1,
                _ => {
                    let (end, dest, prefix, suffix) = match_include(raw, k)?;
                    if !prefix.trim().is_empty() || !suffix.trim().is_empty() {
                        return None;
                    }
                    found.push((k, end, dest));
                    k = end + 2;
                }
            }
        }
        if found.is_empty() {
            return None;
        }
        for (start, end, dest) in found {
            let (first, last) = (raw[start].1, raw[end + 1].1);
            let span = Span::new(first.file, first.start as usize..last.start as usize + 1);
            self.expand(span, raw[start + 1].1, dest, false);
        }
        Some(k + 1 - i)
    }

    /// `text [!INCLUDE[t](x.md)] more`: the include's inline content replaces the marker.
    fn inline_include(&mut self, raw: &[(Event<'a>, Span)], i: usize) -> Option<usize> {
        let (end, dest, prefix, suffix) = match_include(raw, i)?;
        let (text_span, link_span, after_span) = (raw[i].1, raw[i + 1].1, raw[end + 1].1);
        let marker_start =
            (link_span.start as usize).saturating_sub("[!INCLUDE".len()).max(text_span.start as usize);
        if !prefix.is_empty() {
            let span = Span::new(text_span.file, text_span.start as usize..marker_start);
            self.out
                .events
                .push(Ev { kind: EvKind::Md(Event::Text(CowStr::from(prefix.to_string()))), span });
        }
        let span = Span::new(text_span.file, marker_start..after_span.start as usize + 1);
        if !self.expand(span, link_span, dest, true) {
            // Not expanded: keep the marker as written, so no text is lost.
            let raw = self.texts.slice(span).to_string();
            self.out.events.push(Ev { kind: EvKind::Md(Event::Text(CowStr::from(raw))), span });
        }
        if !suffix.is_empty() {
            let span = Span { start: (after_span.start + 1).min(after_span.end), ..after_span };
            self.out
                .events
                .push(Ev { kind: EvKind::Md(Event::Text(CowStr::from(suffix.to_string()))), span });
        }
        Some(end + 2 - i)
    }

    /// Resolves one include and appends its events (or a diagnostic).
    fn expand(&mut self, span: Span, link_span: Span, dest: &str, inline: bool) -> bool {
        let sources = self.texts;
        let including = self.stack.last().copied().unwrap_or(span.file);
        let from = &sources.get(including).rel_path;
        let dest_span = dest_span_in(sources, link_span);
        let path = dest.split(['#', '?']).next().unwrap_or("");
        let path = percent_decode(&path.replace('\\', "/"));
        let index = self.out.includes.len();
        let title = title_of(sources, link_span);
        let Some(rel) = join_link(self.ctx.paths, from, &path) else {
            self.out.diagnostics.push(
                Diagnostic::new(
                    Code::LinkOutsideRoot,
                    dest_span,
                    format!("include `{dest}` points outside the content root"),
                )
                .with_label("not read")
                .with_note("kbc never reads files outside the content root"),
            );
            self.out.includes.push(IncludeRef { title, path, file: None, span });
            self.mark(index, span, inline);
            return false;
        };
        let target =
            self.ctx.by_path.get(&rel).or_else(|| self.ctx.by_lower_path.get(&rel.to_lowercase())).copied();
        self.out.includes.push(IncludeRef { title, path: rel.clone(), file: target, span });
        self.mark(index, span, inline);
        let Some(target) = target else {
            let mut d = Diagnostic::new(
                Code::MissingInclude,
                dest_span,
                format!("included file `{rel}` does not exist"),
            )
            .with_label("no such file");
            if let Some(why) = crate::load::why_not_read(self.ctx.not_read, &rel) {
                d = d.with_note(why);
            }
            self.out.diagnostics.push(d);
            return false;
        };
        if let Some(pos) = self.stack.iter().position(|&f| f == target) {
            let chain: Vec<&str> = self.stack[pos..]
                .iter()
                .chain([&target])
                .map(|&f| sources.get(f).rel_path.as_str())
                .collect();
            self.out.diagnostics.push(
                Diagnostic::new(
                    Code::IncludeCycle,
                    dest_span,
                    format!("include cycle: `{}`", chain.join("` → `")),
                )
                .with_label("includes a file that is already being included"),
            );
            return false;
        }
        if self.stack.len() > MAX_INCLUDE_DEPTH {
            self.out.diagnostics.push(Diagnostic::new(
                Code::IncludeDepth,
                dest_span,
                format!("includes nest deeper than {MAX_INCLUDE_DEPTH} levels; `{rel}` is not expanded"),
            ));
            return false;
        }
        let fm = front_matter::parse(target, sources.text(target));
        self.stack.push(target);
        self.file_events(target, fm.body_start, inline);
        self.stack.pop();
        true
    }

    /// A block include leaves a marker in the stream, expanded or not, so the model keeps it.
    fn mark(&mut self, index: usize, span: Span, inline: bool) {
        if !inline {
            self.out.events.push(Ev { kind: EvKind::Include(index), span });
        }
    }
}

/// Merges consecutive text events in place, exactly as pulldown-cmark's `TextMergeWithOffset` does (a
/// run of texts becomes one event spanning them all; a run of two or more that is all empty is
/// dropped), but pushing into the output vector: the adaptor moved every event through two `Option`s
/// and cost a fifth of the event stream's time.
#[derive(Default)]
struct TextMerge {
    /// Texts in the current run (the run's event is the vector's last).
    count: usize,
    /// The run's text so far, once it has two pieces.
    joined: Option<String>,
}

impl TextMerge {
    fn push<'a, T>(
        &mut self,
        out: &mut Vec<T>,
        event: Event<'a>,
        span: Span,
        wrap: impl FnOnce(Event<'a>, Span) -> T,
        text: impl Fn(&mut T) -> Option<(&mut CowStr<'a>, &mut Span)>,
    ) {
        let Event::Text(piece) = event else {
            self.finish(out, &text);
            out.push(wrap(event, span));
            return;
        };
        if self.count == 0 {
            self.count = 1;
            out.push(wrap(Event::Text(piece), span));
            return;
        }
        let Some((first, run_span)) = out.last_mut().and_then(&text) else { return };
        let joined =
            self.joined.get_or_insert_with(|| std::mem::replace(first, CowStr::Borrowed("")).into_string());
        joined.push_str(&piece);
        run_span.end = span.end;
        self.count += 1;
    }

    /// Ends the current run, writing its joined text back (or dropping an empty merged run).
    fn finish<'a, T>(
        &mut self,
        out: &mut Vec<T>,
        text: impl Fn(&mut T) -> Option<(&mut CowStr<'a>, &mut Span)>,
    ) {
        if let Some(joined) = self.joined.take() {
            if joined.is_empty() {
                out.pop();
            } else if let Some((first, _)) = out.last_mut().and_then(text) {
                *first = CowStr::from(joined);
            }
        }
        self.count = 0;
    }
}

fn ev_md<'a>(event: Event<'a>, span: Span) -> Ev<'a> {
    Ev { kind: EvKind::Md(event), span }
}

fn ev_text<'a, 'e>(ev: &'e mut Ev<'a>) -> Option<(&'e mut CowStr<'a>, &'e mut Span)> {
    match &mut ev.kind {
        EvKind::Md(Event::Text(t)) => Some((t, &mut ev.span)),
        _ => None,
    }
}

fn text_mut<'a, 'e>(
    event: &'e mut Event<'a>,
    span: &'e mut Span,
) -> Option<(&'e mut CowStr<'a>, &'e mut Span)> {
    match event {
        Event::Text(t) => Some((t, span)),
        _ => None,
    }
}

/// The diagnostic for an undefined reference label, unless the brackets are plainly literal text.
fn undefined_reference(
    file: FileId,
    text: &str,
    range: Range<usize>,
    label: &str,
    link_type: LinkType,
) -> Option<Diagnostic> {
    let after = text.get(range.end..).unwrap_or("");
    let looks_like_link = after.starts_with('(') || after.starts_with(" (") || after.starts_with(".(");
    // `[text][label]` is always meant as a link; a lone `[text]` often is not.
    if link_type == LinkType::Shortcut && !looks_like_link && is_literal_brackets(label) {
        return None;
    }
    let d = Diagnostic::new(
        Code::UndefinedReference,
        Span::new(file, range),
        format!("no link reference definition for `[{label}]`"),
    )
    .with_label("renders as literal brackets");
    Some(if looks_like_link {
        d.with_help("this looks like a link whose destination did not parse: write `[text](url)` with no space before `(`, and write spaces in the URL as `%20` or wrap it in `<...>`")
    } else {
        d.with_help(format!(
            "add a definition such as `[{label}]: target.md`, or escape the brackets as `\\[{label}\\]`"
        ))
    })
}

/// CommonMark requires U+0000 to become U+FFFD, "for security reasons"; pulldown-cmark passes it
/// through, and a NUL in a title or an attribute would reach every output. (`check` reports it.)
fn replace_nul(event: Event<'_>) -> Event<'_> {
    map_strings(event, |s| if s.contains('\0') { CowStr::from(s.replace('\0', "\u{FFFD}")) } else { s })
}

/// What stands for a `|` inside a code span of a table row while pulldown-cmark reads it (see
/// [`protect_code_pipes`]): one byte, as the pipe, so every offset stays.
const PROTECTED_PIPE: char = '\u{1f}';

/// Table rows as DocFX (Markdig) reads them: a `|` inside a code span is text, not a cell border.
/// GFM, which pulldown-cmark follows, splits the cell there unless the pipe is escaped, and the
/// row then loses its last cells. A copy of `body` with such pipes replaced by
/// [`PROTECTED_PIPE`], or `None` when no row has one (or the text holds that character already).
/// Rows are lines that start with `|` outside fenced and indented code; code spans are paired on
/// their line; an escaped pipe (`\|`) is left as GFM reads it.
fn protect_code_pipes(body: &str) -> Option<String> {
    if !body.contains('`') || body.contains(PROTECTED_PIPE) {
        return None;
    }
    let mut out: Option<Vec<u8>> = None;
    let mut fence: Option<(u8, usize)> = None;
    let mut line_start = 0;
    for line in body.split_inclusive('\n') {
        let start = line_start;
        line_start += line.len();
        let trimmed = line.trim_start_matches(' ');
        let indented = line.len() - trimmed.len() >= 4;
        let run = |at: &[u8], c: u8| at.iter().take_while(|&&b| b == c).count();
        if !indented && let Some(&c @ (b'`' | b'~')) = trimmed.as_bytes().first() {
            let n = run(trimmed.as_bytes(), c);
            if n >= 3 {
                match fence {
                    None => fence = Some((c, n)),
                    Some((open, len)) if open == c && n >= len && trimmed[n..].trim().is_empty() => {
                        fence = None
                    }
                    Some(_) => {}
                }
                continue;
            }
        }
        if fence.is_some() || indented || !trimmed.starts_with('|') || !trimmed.contains('`') {
            continue;
        }
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'`' => {
                    let n = run(&bytes[i..], b'`');
                    let mut j = i + n;
                    let mut close = None;
                    while j < bytes.len() {
                        if bytes[j] == b'`' {
                            let m = run(&bytes[j..], b'`');
                            if m == n {
                                close = Some(j);
                                break;
                            }
                            j += m;
                        } else {
                            j += 1;
                        }
                    }
                    let Some(end) = close else {
                        i += n;
                        continue;
                    };
                    for k in i + n..end {
                        if bytes[k] == b'|' && bytes[k - 1] != b'\\' {
                            out.get_or_insert_with(|| body.as_bytes().to_vec())[start + k] =
                                PROTECTED_PIPE as u8;
                        }
                    }
                    i = end + n;
                }
                _ => i += 1,
            }
        }
    }
    // One ASCII byte for another: still UTF-8.
    out.and_then(|bytes| String::from_utf8(bytes).ok())
}

/// The pipes [`protect_code_pipes`] replaced, back in the text of `event`.
fn restore_pipes(event: Event<'_>) -> Event<'_> {
    map_strings(event, |s| {
        if s.contains(PROTECTED_PIPE) { CowStr::from(s.replace(PROTECTED_PIPE, "|")) } else { s }
    })
}

/// `event` with `r` applied to every string it carries from the text.
fn map_strings<'a>(event: Event<'a>, r: impl Fn(CowStr<'a>) -> CowStr<'a> + Copy) -> Event<'a> {
    match event {
        Event::Text(s) => Event::Text(r(s)),
        Event::Code(s) => Event::Code(r(s)),
        Event::InlineMath(s) => Event::InlineMath(r(s)),
        Event::DisplayMath(s) => Event::DisplayMath(r(s)),
        Event::Html(s) => Event::Html(r(s)),
        Event::InlineHtml(s) => Event::InlineHtml(r(s)),
        Event::FootnoteReference(s) => Event::FootnoteReference(r(s)),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
            Event::Start(Tag::Link { link_type, dest_url: r(dest_url), title: r(title), id: r(id) })
        }
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
            Event::Start(Tag::Image { link_type, dest_url: r(dest_url), title: r(title), id: r(id) })
        }
        Event::Start(Tag::Heading { level, id, classes, attrs }) => Event::Start(Tag::Heading {
            level,
            id: id.map(r),
            classes: classes.into_iter().map(r).collect(),
            attrs: attrs.into_iter().map(|(k, v)| (r(k), v.map(r))).collect(),
        }),
        Event::Start(Tag::CodeBlock(pulldown_cmark::CodeBlockKind::Fenced(info))) => {
            Event::Start(Tag::CodeBlock(pulldown_cmark::CodeBlockKind::Fenced(r(info))))
        }
        Event::Start(Tag::FootnoteDefinition(label)) => Event::Start(Tag::FootnoteDefinition(r(label))),
        other => other,
    }
}

/// Whether `text` contains `[!INCLUDE`, in any case.
fn has_include_marker(text: &str) -> bool {
    // `find(char)` is a vectorised memchr; substring and byte-window scans cost far more per file.
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(pos) = text[from..].find('[') {
        let at = from + pos;
        if bytes.get(at + 1) == Some(&b'!')
            && bytes.get(at + 2..at + 9).is_some_and(|w| w.eq_ignore_ascii_case(b"INCLUDE"))
        {
            return true;
        }
        from = at + 1;
    }
    false
}

/// Bracketed text that is plainly not meant as a link: DocFX markers (`[!div]`), task boxes, code-like
/// text (`[HKEY_CURRENT_USER\\...]`, `["Name"]`, `[0-99]`), and single ASCII placeholders
/// (`[Common]`, `[listener_install_location]`). Anything else in brackets was probably meant to link.
fn is_literal_brackets(label: &str) -> bool {
    let label = label.trim();
    label.is_empty()
        || label.starts_with('!')
        || label.eq_ignore_ascii_case("x")
        || label.contains(['\\', '"', '\'', '=', '/', '$', '<', '>', '{', '}'])
        || label.chars().all(|c| !c.is_alphabetic())
        || (label.is_ascii() && !label.contains(char::is_whitespace))
}

/// Only the inline events of a file (its paragraphs' content, joined by soft breaks), for an include
/// used in the middle of a line.
fn inline_events<'a>(raw: Vec<(Event<'a>, Span)>) -> Vec<(Event<'a>, Span)> {
    let mut out = Vec::new();
    let mut depth_in_para = false;
    for (event, span) in raw {
        match event {
            Event::Start(Tag::Paragraph) => {
                if !out.is_empty() {
                    out.push((Event::SoftBreak, span));
                }
                depth_in_para = true;
            }
            Event::End(TagEnd::Paragraph) => depth_in_para = false,
            e if depth_in_para => out.push((e, span)),
            _ => {}
        }
    }
    out
}

/// The marker text before an include's link: `[!INCLUDE`, any case.
fn strip_include_marker(text: &str) -> Option<&str> {
    let t = text.trim_end();
    let cut = t.len().checked_sub("[!INCLUDE".len())?;
    let tail = t.get(cut..)?;
    tail.eq_ignore_ascii_case("[!INCLUDE").then(|| &t[..cut])
}

/// At `raw[i]`: `Text("…[!INCLUDE") Start(Link) … End(Link) Text("]…")`? Returns the index of the
/// `End(Link)`, the link's destination and the prefix text.
fn match_include<'b>(raw: &'b [(Event<'_>, Span)], i: usize) -> Option<(usize, &'b str, &'b str, &'b str)> {
    // (index of End(Link), destination, text before the marker, text after the closing bracket)
    let (Event::Text(t), _) = raw.get(i)? else { return None };
    let prefix = strip_include_marker(t)?;
    let (Event::Start(Tag::Link { dest_url, .. }), _) = raw.get(i + 1)? else { return None };
    let mut depth = 0usize;
    let mut j = i + 1;
    loop {
        match raw.get(j)? {
            (Event::Start(Tag::Link { .. }), _) => depth += 1,
            (Event::End(TagEnd::Link), _) => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
        j += 1;
    }
    let (Event::Text(after), _) = raw.get(j + 1)? else { return None };
    let suffix = after.strip_prefix(']')?;
    Some((j, dest_url.as_ref(), prefix, suffix))
}

/// The text between the brackets of `[title](dest)`.
fn title_of(texts: Texts<'_>, link: Span) -> String {
    let src = texts.slice(link);
    let end = src.rfind("](").unwrap_or(src.len());
    src.get(1..end).unwrap_or("").to_string()
}

/// The destination's bytes inside a `[text](dest)` link span (the whole link when not found).
pub(super) fn dest_span_in(texts: Texts<'_>, link: Span) -> Span {
    let src = texts.slice(link);
    dest_range(src)
        .map_or(link, |r| Span::new(link.file, link.start as usize + r.start..link.start as usize + r.end))
}

/// Finds the destination inside the source of an inline link or image, `[..](dest "title")`.
pub fn dest_range(src: &str) -> Option<Range<usize>> {
    if !src.ends_with(')') {
        return None;
    }
    // A byte search: `rfind` with a two-byte pattern sets up a two-way searcher on every link.
    let open = src.as_bytes().windows(2).rposition(|w| w == b"](")? + 2;
    let rest = &src[open..];
    let lead = rest.len() - rest.trim_start().len();
    let start = open + lead;
    let rest = &src[start..];
    if let Some(inner) = rest.strip_prefix('<') {
        let end = inner.find('>')?;
        return Some(start + 1..start + 1 + end);
    }
    let mut depth = 0i32;
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => {
                end = i;
                break;
            }
            ')' => depth -= 1,
            c if c.is_whitespace() => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    Some(start..start + end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_becomes_the_replacement_character() {
        let (article, _, _) = crate::parse::parse_text(
            "a.md",
            "# A\0B {#x\0y}\n\n`c\0` [l\0](d\0.md \"t\0\")\n\n```p\0\nq\0\n```\n",
        );
        let text = article.full_text();
        assert!(!text.contains('\0'), "{text:?}");
        assert_eq!(article.title, "A\u{fffd}B");
        assert_eq!(article.anchors[0].id, "x\u{fffd}y");
        // A NUL ends a link destination, so this one is text; a link title keeps it.
        assert!(article.links.is_empty());
        let (article, _, _) = crate::parse::parse_text("a.md", "[l](d.md \"t\0\")\n");
        assert_eq!(article.links[0].title.as_deref(), Some("t\u{fffd}"));
    }

    /// The cells of every table row of `text`, as plain text, and the codes of its diagnostics.
    fn table_rows(text: &str) -> (Vec<Vec<String>>, Vec<String>) {
        let (article, diagnostics, _) = crate::parse::parse_text("a.md", text);
        let rows = article
            .preamble
            .iter()
            .filter_map(|b| match b {
                crate::model::Block::Table(t) => Some(t),
                _ => None,
            })
            .flat_map(|t| std::iter::once(&t.header).chain(&t.rows))
            .map(|r| r.cells.iter().map(|c| crate::parse::builder::plain_text(&c.inlines)).collect())
            .collect();
        let codes = diagnostics.iter().map(|d| d.code.to_string()).filter(|c| c != "no-title").collect();
        (rows, codes)
    }

    #[test]
    fn a_pipe_inside_code_in_a_table_row_is_text_as_in_docfx() {
        // As in the dev corpus (manage-exchange-unified-messaging-and-hosted-voicemail.md).
        let text =
            "| Cmdlet | Use |\n|---|---|\n| `Get-CsOnlineUser | Select-Object Name` | Lists users. |\n";
        let (rows, codes) = table_rows(text);
        assert_eq!(
            rows,
            [vec!["Cmdlet", "Use"], vec!["Get-CsOnlineUser | Select-Object Name", "Lists users."]]
        );
        assert!(codes.is_empty(), "{codes:?}");
        // Double backticks, an escaped pipe (GFM's way, kept), and a pipe outside code.
        let text = "| A | B | C |\n|---|---|---|\n| ``x | `y` `` | `a \\| b` | c \\| d |\n";
        assert_eq!(table_rows(text).0[1], ["x | `y` ", "a | b", "c | d"]);
        // In fenced code a row-like line stays as written, and outside tables code keeps its pipe.
        let text = "```\n| `a | b` |\n```\n\nRun `a | b`.\n";
        let (article, _, _) = crate::parse::parse_text("a.md", text);
        assert_eq!(article.full_text().trim(), "| `a | b` |\n\nRun a | b.");
        // A text that holds the stand-in character already is read as GFM reads it.
        let text = "| A | B |\n|---|---|\n| `x | y` | z\u{1f} |\n";
        assert_eq!(table_rows(text).1, ["extra-table-cells"]);
    }

    #[test]
    fn finds_destinations() {
        let s = "[a](b.md#c)";
        assert_eq!(&s[dest_range(s).unwrap()], "b.md#c");
        let s = "[a [x] b](<s p.md> \"t\")";
        assert_eq!(&s[dest_range(s).unwrap()], "s p.md");
        let s = "![i](a(1).png 'x')";
        assert_eq!(&s[dest_range(s).unwrap()], "a(1).png");
        assert_eq!(dest_range("[a][b]"), None);
    }
}
