//! Navigation files: DocFX `TOC.md` and `toc.yml` read into a [`Nav`] tree.
//!
//! The tree keeps every link with the byte range of its destination, so the link checker can
//! validate navigation the same way it validates articles and point at the exact place.
//!
//! What DocFX accepts, and what kbc does with it:
//!
//! - `TOC.md`: each ATX heading at the top level is an entry. `# [Title](href)` links it,
//!   `# Title` makes a group. A deeper heading is a child of the nearest shallower one before it.
//!   DocFX rejects a level skip (`#` then `###`); kbc nests it one level down, keeps it, and warns.
//!   DocFX also rejects any other content (paragraphs, lists of links, quotes) as "unknown syntax":
//!   kbc leaves it out of the tree and warns once per block. HTML comments and blank lines are fine.
//!   `[Title](@uid)` and `[Title](xref:uid)` name an article by uid, not by path; they give no link
//!   (and `[](@uid)` is titled with the uid).
//! - `toc.yml`: a list of items (or a mapping with an `items` list). Title from `name`, else
//!   `displayName`, else (an item DocFX completes from the article) `uid` or `topicUid`. The item's link is `href`, else `topicHref`, else `homepage`; whichever of
//!   `href`, `topicHref`, `tocHref` and `homepage` are present besides it become child-less
//!   children with the same title, first among the children, so that [`Nav::links`] sees them.
//!
//! An entry with neither title nor link is skipped with a warning; its children move up a level.

use std::ops::Range;

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::diag::{Code, Diagnostic, Severity, Sink};
use crate::model::LinkTarget;
use crate::parse::link::classify;
use crate::source::{FileId, Span};

/// A link of a navigation entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NavLink {
    /// The destination as written: the source text of a Markdown destination (without `<>`), the
    /// value of a YAML scalar.
    pub dest: String,
    /// The destination classified. For Markdown, classified after CommonMark unescaping, which
    /// differs from `dest` only for backslash escapes and entities.
    pub target: LinkTarget,
    /// The destination's bytes in the file.
    pub span: Span,
}

/// One navigation entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NavItem {
    /// Plain text; empty for a `toc.yml` item with a link and no name.
    pub title: String,
    pub href: Option<NavLink>,
    pub children: Vec<NavItem>,
    /// The heading (`TOC.md`) or the line where the item starts (`toc.yml`).
    pub span: Span,
}

/// A parsed navigation file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Nav {
    pub file: FileId,
    pub items: Vec<NavItem>,
}

impl Nav {
    /// Every link in the tree, depth-first in document order.
    pub fn links(&self) -> Vec<&NavLink> {
        fn walk<'a>(items: &'a [NavItem], out: &mut Vec<&'a NavLink>) {
            for item in items {
                if let Some(link) = &item.href {
                    out.push(link);
                }
                walk(&item.children, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.items, &mut out);
        out
    }
}

/// True for the file names DocFX treats as navigation: `TOC.md`, `toc.md`, `toc.yml`, `toc.yaml`
/// (any case). A path is accepted too; only its last component counts.
pub fn is_nav_file(file_name: &str) -> bool {
    let name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    ["toc.md", "toc.yml", "toc.yaml"].iter().any(|n| name.eq_ignore_ascii_case(n))
}

fn warning(file: FileId, range: Range<usize>, message: impl Into<String>) -> Diagnostic {
    let mut d = Diagnostic::new(Code::InvalidToc, Span::new(file, range), message);
    d.severity = Severity::Warning;
    d
}

/// The range without trailing whitespace (line endings included), never empty unless it was.
fn trim_end_range(text: &str, range: Range<usize>) -> Range<usize> {
    let slice = text.get(range.clone()).unwrap_or("");
    range.start..range.start + slice.trim_end().len()
}

// ---------------------------------------------------------------------------------------------
// Building the tree

/// An entry whose children are still being collected. `keep == false` for an entry that is
/// skipped: its children go to its parent when it closes.
struct Open {
    level: u32,
    item: NavItem,
    keep: bool,
}

#[derive(Default)]
struct TreeBuilder {
    roots: Vec<NavItem>,
    stack: Vec<Open>,
}

impl TreeBuilder {
    /// Opens an entry at `level`, closing every open entry at that level or deeper. Returns the
    /// level of the entry it becomes a child of (0 for the top), and whether it follows a sibling
    /// of the same level (so a level skip has already been reported).
    fn open(&mut self, level: u32, item: NavItem, keep: bool) -> (u32, bool) {
        let mut after_sibling = false;
        while let Some(top) = self.stack.last() {
            if top.level < level {
                break;
            }
            after_sibling |= top.level == level;
            self.close_top();
        }
        let parent_level = self.stack.last().map_or(0, |o| o.level);
        self.stack.push(Open { level, item, keep });
        (parent_level, after_sibling)
    }

    fn close_top(&mut self) {
        let Some(open) = self.stack.pop() else {
            return;
        };
        let dest = match self.stack.last_mut() {
            Some(parent) => &mut parent.item.children,
            None => &mut self.roots,
        };
        if open.keep {
            dest.push(open.item);
        } else {
            dest.extend(open.item.children);
        }
    }

    fn finish(mut self) -> Vec<NavItem> {
        while !self.stack.is_empty() {
            self.close_top();
        }
        self.roots
    }
}

// ---------------------------------------------------------------------------------------------
// TOC.md

/// A heading being read.
struct Heading {
    level: u32,
    range: Range<usize>,
    title: String,
    links: Vec<NavLink>,
    link: Option<OpenLink>,
}

/// A link inside a heading being read.
struct OpenLink {
    range: Range<usize>,
    link_type: LinkType,
    dest_url: String,
    id: String,
    /// End of the last event inside the link text: the link text's `]` is at or after it.
    text_end: usize,
}

/// Parses `TOC.md`. `text` is the file without BOM. Never panics; problems are diagnostics.
pub fn parse_toc_md(file: FileId, text: &str) -> (Nav, Vec<Diagnostic>) {
    let mut diags = Sink::new();
    let mut tree = TreeBuilder::default();
    let mut iter = Parser::new_ext(text, Options::empty()).into_offset_iter();
    // Block nesting outside headings: only blocks at depth 0 are entries or stray content.
    let mut depth = 0usize;
    let mut heading: Option<Heading> = None;

    while let Some((event, range)) = iter.next() {
        if let Some(h) = heading.as_mut() {
            // Every event inside the link text (not the link's own end, which spans it all).
            if let Some(link) = h.link.as_mut()
                && !matches!(event, Event::End(TagEnd::Link))
            {
                link.text_end = link.text_end.max(range.end);
            }
            match event {
                Event::End(TagEnd::Heading(_)) => {
                    if let Some(h) = heading.take() {
                        finish_heading(file, text, h, &mut tree, &mut diags);
                    }
                }
                Event::Start(Tag::Link { link_type, dest_url, id, .. }) if h.link.is_none() => {
                    h.link = Some(OpenLink {
                        text_end: range.start.saturating_add(1).min(range.end),
                        range,
                        link_type,
                        dest_url: dest_url.into_string(),
                        id: id.into_string(),
                    });
                }
                Event::End(TagEnd::Link) => {
                    if let Some(link) = h.link.take() {
                        let defs = iter.reference_definitions();
                        let def_span = defs.get(&link.id).map(|d| d.span.clone());
                        h.links.push(nav_link_md(file, text, link, def_span));
                    }
                }
                Event::Text(t) | Event::Code(t) => h.title.push_str(&t),
                Event::SoftBreak | Event::HardBreak => h.title.push(' '),
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::Heading { level, .. }) if depth == 0 => {
                heading = Some(Heading {
                    level: level as u32,
                    range,
                    title: String::new(),
                    links: Vec::new(),
                    link: None,
                });
            }
            Event::Start(tag) => {
                if depth == 0 {
                    stray_block(file, text, &tag, range, &mut diags);
                }
                depth += 1;
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            _ if depth == 0 => stray_block(file, text, &Tag::Paragraph, range, &mut diags),
            _ => {}
        }
    }
    if let Some(h) = heading.take() {
        finish_heading(file, text, h, &mut tree, &mut diags);
    }
    (Nav { file, items: tree.finish() }, diags.into_vec())
}

/// A top-level block that is not a heading: DocFX rejects it; kbc warns and ignores it.
fn stray_block(file: FileId, text: &str, tag: &Tag<'_>, range: Range<usize>, diags: &mut Sink) {
    let range = trim_end_range(text, range);
    let src = text.get(range.clone()).unwrap_or("").trim();
    if src.is_empty() || (src.starts_with("<!--") && src.ends_with("-->")) {
        return;
    }
    let note = "DocFX reads only `#` headings, HTML comments and blank lines in `TOC.md`, \
                and fails on anything else";
    let d = match tag {
        Tag::List(_) => {
            warning(file, range, "a list in `TOC.md` is ignored: navigation entries are headings")
                .with_help("write each entry as a heading, `# [Title](href)`, with one more `#` per level")
        }
        _ if src.starts_with('#') => {
            warning(file, range, "this line is not a heading, so it is not a navigation entry")
                .with_help("put a space after the `#` characters (at most six of them): `# [Title](href)`")
        }
        _ => warning(file, range, "content in `TOC.md` that is not a heading is ignored"),
    };
    diags.push(d.with_note(note));
}

fn finish_heading(file: FileId, text: &str, h: Heading, tree: &mut TreeBuilder, diags: &mut Sink) {
    let range = trim_end_range(text, h.range);
    let title = h.title.trim().to_string();
    let mut links = h.links.into_iter();
    let first = links.next();
    for extra in links {
        diags.push(
            warning(file, extra.span.range(), "a TOC heading links only once; this link is ignored")
                .with_label("second link in the heading"),
        );
    }
    let (uid, href) = match first {
        Some(l) if is_uid_ref(&l.dest) => (Some(uid_of(&l.dest).to_string()), None),
        other => (None, other),
    };
    let has_href = href.as_ref().is_some_and(|l| l.target != LinkTarget::Empty);
    let keep = !title.is_empty() || has_href || uid.is_some();
    // DocFX takes the title of `[](@uid)` from the article; kbc shows the uid.
    let title = match uid {
        Some(uid) if title.is_empty() => uid,
        _ => title,
    };
    if !keep {
        diags.push(
            warning(file, range.clone(), "TOC entry has neither a title nor a link; it is skipped")
                .with_help("write `# [Title](href)` or `# Title`"),
        );
    } else if !text.get(range.clone()).unwrap_or("").starts_with('#') {
        diags.push(
            warning(file, range.clone(), "DocFX reads a TOC heading only when `#` starts the line")
                .with_help("use `#` headings without indentation, not underlined ones"),
        );
    }
    let item = NavItem { title, href, children: Vec::new(), span: Span::new(file, range.clone()) };
    let (parent_level, after_sibling) = tree.open(h.level, item, keep);
    if h.level > parent_level + 1 && !after_sibling {
        let msg = if parent_level == 0 {
            format!(
                "the first TOC entry of a level is a level-{} heading; it is kept at the top level",
                h.level
            )
        } else {
            format!(
                "TOC heading skips from level {parent_level} to level {}; it is nested one level down",
                h.level
            )
        };
        diags.push(
            warning(file, range, msg)
                .with_note("DocFX rejects a TOC whose heading levels skip (\"Skip level is not allowed\")")
                .with_help(format!("use {} `#`", parent_level + 1)),
        );
    }
}

/// `@uid` and `xref:uid` link to an article by uid, as DocFX reads `[Title](@uid)`.
fn is_uid_ref(dest: &str) -> bool {
    let d = dest.trim_start();
    d.starts_with('@') || d.starts_with("xref:")
}

fn uid_of(dest: &str) -> &str {
    let d = dest.trim();
    d.strip_prefix('@').or_else(|| d.strip_prefix("xref:")).unwrap_or(d).trim()
}

fn nav_link_md(file: FileId, text: &str, link: OpenLink, def_span: Option<Range<usize>>) -> NavLink {
    let end = link.range.end.min(text.len());
    let located = match link.link_type {
        LinkType::Inline => text
            .get(link.text_end..end)
            .and_then(|s| s.find("]("))
            .and_then(|i| scan_dest(text, link.text_end + i + 2, end)),
        LinkType::Autolink | LinkType::Email => {
            let src = text.get(link.range.clone()).unwrap_or("");
            (src.len() >= 2 && src.starts_with('<') && src.ends_with('>'))
                .then(|| link.range.start + 1..end - 1)
        }
        _ => def_span.and_then(|def| {
            let def_end = def.end.min(text.len());
            text.get(def.start..def_end)
                .and_then(|s| s.find("]:"))
                .and_then(|i| scan_dest(text, def.start + i + 2, def_end))
        }),
    };
    let target = match link.link_type {
        LinkType::Email => LinkTarget::Mailto { address: link.dest_url.clone() },
        _ => classify(&link.dest_url),
    };
    match located.and_then(|r| text.get(r.clone()).map(|s| (r, s))) {
        Some((range, dest)) => NavLink { dest: dest.to_string(), target, span: Span::new(file, range) },
        None => NavLink { dest: link.dest_url, target, span: Span::new(file, link.range) },
    }
}

/// The range of a link destination starting at `i` (after `(` or `]:`), not past `end`.
fn scan_dest(text: &str, mut i: usize, end: usize) -> Option<Range<usize>> {
    let b = text.as_bytes();
    let end = end.min(b.len());
    while i < end && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    if i < end && b[i] == b'<' {
        let start = i + 1;
        let mut j = start;
        while j < end {
            match b[j] {
                b'\\' => j += 2,
                b'>' => return Some(start..j),
                b'\n' | b'\r' | b'<' => return None,
                _ => j += 1,
            }
        }
        return None;
    }
    let start = i;
    let mut j = i;
    let mut parens = 0usize;
    while j < end {
        match b[j] {
            b'\\' if j + 1 < end && b[j + 1].is_ascii_punctuation() => j += 2,
            b'(' => {
                parens += 1;
                j += 1;
            }
            b')' if parens == 0 => break,
            b')' => {
                parens -= 1;
                j += 1;
            }
            c if c.is_ascii_whitespace() || c.is_ascii_control() => break,
            _ => j += 1,
        }
    }
    Some(start..j.min(end))
}

// ---------------------------------------------------------------------------------------------
// toc.yml

type SpannedStr = Option<Spanned<String>>;

#[derive(Deserialize)]
struct RawItem {
    #[serde(default)]
    name: SpannedStr,
    #[serde(default, rename = "displayName")]
    display_name: SpannedStr,
    #[serde(default)]
    href: SpannedStr,
    #[serde(default, rename = "topicHref")]
    topic_href: SpannedStr,
    #[serde(default, rename = "tocHref")]
    toc_href: SpannedStr,
    #[serde(default)]
    homepage: SpannedStr,
    #[serde(default)]
    uid: SpannedStr,
    #[serde(default, rename = "topicUid")]
    topic_uid: SpannedStr,
    #[serde(default)]
    items: Option<Vec<Spanned<RawItem>>>,
}

/// The document: a list of items, or a mapping whose `items` key holds them.
struct RawRoot(Vec<Spanned<RawItem>>);

impl<'de> Deserialize<'de> for RawRoot {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RawRoot, D::Error> {
        struct RootVisitor;
        impl<'de> Visitor<'de> for RootVisitor {
            type Value = RawRoot;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of TOC items, or a mapping with an `items` list")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawRoot, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<RawItem>>()? {
                    items.push(item);
                }
                Ok(RawRoot(items))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawRoot, A::Error> {
                let mut items = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "items" && items.is_none() {
                        items = map.next_value::<Option<Vec<Spanned<RawItem>>>>()?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(RawRoot(items.unwrap_or_default()))
            }

            fn visit_unit<E: de::Error>(self) -> Result<RawRoot, E> {
                Ok(RawRoot(Vec::new()))
            }

            fn visit_none<E: de::Error>(self) -> Result<RawRoot, E> {
                Ok(RawRoot(Vec::new()))
            }
        }
        deserializer.deserialize_any(RootVisitor)
    }
}

/// Parses `toc.yml` / `toc.yaml`.
pub fn parse_toc_yml(file: FileId, text: &str) -> (Nav, Vec<Diagnostic>) {
    let mut diags = Sink::new();
    let raw = match serde_saphyr::from_str::<Option<RawRoot>>(text) {
        Ok(raw) => raw.map(|r| r.0).unwrap_or_default(),
        Err(e) => {
            let pos = e.location().and_then(|loc| location_offset(text, &loc)).unwrap_or(0);
            let end = text.get(pos..).and_then(|s| s.chars().next()).map_or(pos, |c| pos + c.len_utf8());
            let mut message = yaml_error_message(&e);
            if message.starts_with("budget breached") {
                message = format!("the file exceeds kbc's YAML size or nesting limits ({message})");
            }
            diags.push(
                Diagnostic::new(
                    Code::InvalidToc,
                    Span::new(file, pos..end),
                    format!("the TOC is not valid: {message}"),
                )
                .with_label(message)
                .with_note("a `toc.yml` is a list of items with `name`, `href` and nested `items`"),
            );
            return (Nav { file, items: Vec::new() }, diags.into_vec());
        }
    };
    let mut items = Vec::new();
    for item in raw {
        convert_yml(file, text, item, &mut items, &mut diags);
    }
    (Nav { file, items }, diags.into_vec())
}

/// The message of a YAML error without the snippet and the position, which the diagnostic
/// shows anyway.
fn yaml_error_message(e: &serde_saphyr::Error) -> String {
    let full = e.without_snippet().to_string();
    let first = full.lines().next().unwrap_or("").trim();
    let mut msg = first.strip_prefix("error:").unwrap_or(first).trim_start();
    // `line 2 column 9: message` or `message at line 2, column 9`
    if let Some((pos, rest)) = msg.strip_prefix("line ").and_then(|m| m.split_once(": "))
        && pos.contains("column")
    {
        msg = rest;
    }
    if let Some(i) = msg.rfind(" at line ")
        && msg[i..].contains("column")
    {
        msg = &msg[..i];
    }
    // serde-saphyr's advice about its own options means nothing to a TOC author
    if let Some(i) = msg.find(", set DuplicateKeyPolicy") {
        msg = &msg[..i];
    }
    if msg.is_empty() { "invalid YAML".to_string() } else { msg.to_string() }
}

/// Byte offset of a YAML location: its byte offset when known, else from line and column.
fn location_offset(text: &str, loc: &serde_saphyr::Location) -> Option<usize> {
    if let Some(b) = loc.span().byte_offset() {
        let b = usize::try_from(b).ok()?;
        if text.is_char_boundary(b) {
            return Some(b);
        }
    }
    let line = usize::try_from(loc.line()).ok()?.checked_sub(1)?;
    let col = usize::try_from(loc.column()).ok()?.saturating_sub(1);
    let mut start = 0;
    for _ in 0..line {
        start += text.get(start..)?.find('\n')? + 1;
    }
    let rest = text.get(start..)?;
    let in_line = rest
        .char_indices()
        .take_while(|&(_, c)| c != '\n')
        .nth(col)
        .map_or_else(|| rest.find('\n').unwrap_or(rest.len()), |(i, _)| i);
    Some(start + in_line)
}

/// The bytes of a scalar's value: its location, without quotes when quoted. When the value is
/// not found as written (escapes, block scalars, aliases), the whole scalar.
fn scalar_range(text: &str, s: &Spanned<String>) -> Range<usize> {
    let Some(start) = location_offset(text, &s.referenced) else {
        return 0..0;
    };
    let len = s.referenced.span().byte_len().and_then(|l| usize::try_from(l).ok()).unwrap_or(s.value.len());
    let mut end = start.saturating_add(len).min(text.len());
    while end > start && !text.is_char_boundary(end) {
        end -= 1;
    }
    let raw = text.get(start..end).unwrap_or("");
    if raw == s.value {
        return start..end;
    }
    match raw.find(s.value.as_str()) {
        Some(i) if !s.value.is_empty() => start + i..start + i + s.value.len(),
        _ => {
            let trimmed = raw.trim_end();
            start..start + trimmed.len()
        }
    }
}

/// The line from `start` to its end, without the line terminator.
fn line_from(text: &str, start: usize) -> Range<usize> {
    let rest = text.get(start..).unwrap_or("");
    let len = rest.find(['\n', '\r']).unwrap_or(rest.len());
    start..start + len
}

fn yml_link(file: FileId, text: &str, s: &Spanned<String>) -> NavLink {
    NavLink {
        dest: s.value.clone(),
        target: classify(&s.value),
        span: Span::new(file, scalar_range(text, s)),
    }
}

/// Converts one item into `out`: as an item, or as its children when it has neither title nor link.
fn convert_yml(file: FileId, text: &str, raw: Spanned<RawItem>, out: &mut Vec<NavItem>, diags: &mut Sink) {
    let item = raw.value;
    let non_empty = |s: &SpannedStr| s.as_ref().filter(|s| !s.value.trim().is_empty()).is_some();
    // DocFX takes the name of a `uid`-only item from the article; kbc shows the uid.
    let title_src = [&item.name, &item.display_name, &item.uid, &item.topic_uid]
        .into_iter()
        .find(|s| non_empty(s))
        .and_then(|s| s.as_ref());
    let title = title_src.map_or(String::new(), |s| s.value.trim().to_string());

    // href, topicHref, homepage (the primary link is the first present), tocHref.
    let mut links: Vec<&Spanned<String>> =
        [&item.href, &item.topic_href, &item.homepage].into_iter().flatten().collect();
    let primary = if links.is_empty() { None } else { Some(links.remove(0)) };
    links.extend(item.toc_href.iter());

    let start = location_offset(text, &raw.referenced)
        .or_else(|| title_src.and_then(|s| location_offset(text, &s.referenced)))
        .or_else(|| primary.and_then(|s| location_offset(text, &s.referenced)))
        .unwrap_or(0);
    let span = Span::new(file, line_from(text, start));

    let href = primary.map(|s| yml_link(file, text, s));
    let mut extra: Vec<NavItem> = links
        .into_iter()
        .map(|s| {
            let link = yml_link(file, text, s);
            NavItem {
                title: title.clone(),
                span: Span::new(file, line_from(text, link.span.start as usize)),
                href: Some(link),
                children: Vec::new(),
            }
        })
        .collect();
    extra.sort_by_key(|i| i.span.start);

    let mut children = extra;
    for child in item.items.unwrap_or_default() {
        convert_yml(file, text, child, &mut children, diags);
    }

    let has_href = href.as_ref().is_some_and(|l| l.target != LinkTarget::Empty);
    if title.is_empty() && !has_href {
        diags.push(
            warning(file, span.range(), "TOC item has neither `name`, `href` nor `uid`; it is skipped")
                .with_help("give the item a `name` and an `href`"),
        );
        out.extend(children);
        return;
    }
    out.push(NavItem { title, href, children, span });
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::path::PathBuf;

    const F: FileId = FileId(7);

    fn corpus(rel: &str) -> String {
        let root = env!("CARGO_MANIFEST_DIR");
        let candidates = [
            PathBuf::from(format!("{root}/../../shared/corpus/dev/{rel}")),
            PathBuf::from(format!("{root}/../shared/corpus/dev/{rel}")),
        ];
        for path in &candidates {
            if let Ok(bytes) = std::fs::read(path) {
                let text = String::from_utf8(bytes).expect("corpus file is UTF-8");
                return text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
            }
        }
        panic!("corpus file {rel} not found in {candidates:?}");
    }

    fn count(items: &[NavItem]) -> usize {
        items.iter().map(|i| 1 + count(&i.children)).sum()
    }

    fn depth(items: &[NavItem]) -> usize {
        items.iter().map(|i| 1 + depth(&i.children)).max().unwrap_or(0)
    }

    fn titles(items: &[NavItem]) -> Vec<&str> {
        items.iter().map(|i| i.title.as_str()).collect()
    }

    /// Every span is in bounds; every link's span slices to its dest; every item span to text.
    fn check_spans(text: &str, nav: &Nav) {
        fn walk(text: &str, items: &[NavItem]) {
            for i in items {
                assert!(text.get(i.span.range()).is_some(), "item span {:?}", i.span);
                walk(text, &i.children);
            }
        }
        walk(text, &nav.items);
        for link in nav.links() {
            assert_eq!(text.get(link.span.range()), Some(link.dest.as_str()));
        }
    }

    fn md(text: &str) -> (Nav, Vec<Diagnostic>) {
        let (nav, diags) = parse_toc_md(F, text);
        check_spans(text, &nav);
        (nav, diags)
    }

    #[test]
    fn real_skype_zh_cn() {
        let text = corpus("zh-CN_skype_2017-12/Skype/TOC.md");
        let (nav, diags) = md(&text);
        assert!(diags.is_empty(), "{diags:#?}");
        assert_eq!(nav.file, F);
        assert_eq!(titles(&nav.items), ["Skype for Business 管理员"]);
        assert!(nav.items[0].href.is_none());
        assert_eq!(count(&nav.items), 154);
        assert_eq!(nav.links().len(), 148);
        assert_eq!(depth(&nav.items), 4);
        let top = &nav.items[0].children;
        assert_eq!(top.len(), 14);
        assert_eq!(top[0].title, "辅助功能和法规");
        assert_eq!(top[0].children.len(), 6);
        let first = top[0].children[0].href.as_ref().unwrap();
        assert_eq!(
            first.dest,
            "accessibility-and-regulatory/accessibility-declaration-of-conformance-in-france.md"
        );
        assert!(matches!(first.target, LinkTarget::Article { .. }));
        assert_eq!(
            &text[top[0].children[0].span.range()],
            "### [法国 Skype for Business Online 辅助功能合规性声明](accessibility-and-regulatory/accessibility-declaration-of-conformance-in-france.md)"
        );
    }

    #[test]
    fn real_skype_en_us() {
        let text = corpus("en-US_skype_2017-12/Skype/TOC.md");
        let (nav, diags) = md(&text);
        assert!(diags.is_empty(), "{diags:#?}");
        assert_eq!(titles(&nav.items), ["Skype for Business admin"]);
        assert_eq!(count(&nav.items), 154);
        assert_eq!(nav.links().len(), 147);
        assert_eq!(depth(&nav.items), 4);
        let top = &nav.items[0].children;
        assert_eq!(top.len(), 14);
        assert_eq!(top[0].title, "Country and region availability for Audio Conferencing and Calling Plans");
        // trailing spaces of a heading are not part of the title
        let policies = top.iter().find(|i| i.title.starts_with("Set up policies")).unwrap();
        assert_eq!(policies.title, "Set up policies for your organization");
        assert!(policies.href.is_none());
        assert_eq!(policies.children.len(), 6);
        // a group (no link) at level 3 with level-4 children
        let phone = top.iter().find(|i| i.title == "Phone System in Office 365").unwrap();
        let voicemail = phone.children.iter().find(|i| i.title == "Phone System voicemail").unwrap();
        assert!(voicemail.href.is_none());
        assert_eq!(voicemail.children.len(), 3);
    }

    #[test]
    fn real_teams_zh_cn() {
        let text = corpus("zh-CN_skype_2017-12/Teams/TOC.md");
        let (nav, diags) = md(&text);
        assert!(diags.is_empty(), "{diags:#?}");
        assert_eq!(nav.items.len(), 11);
        assert_eq!(count(&nav.items), 73);
        assert_eq!(nav.links().len(), 65);
        assert_eq!(depth(&nav.items), 3);
        assert_eq!(nav.items[0].title, "入门");
        assert_eq!(nav.items[0].children.len(), 8);
        let voice = &nav.items[5];
        assert_eq!(voice.title, "云语音");
        assert_eq!(voice.href.as_ref().unwrap().dest, "cloud-voice-deployment.md");
        assert_eq!(titles(&voice.children), ["音频会议", "视频"]);
        assert_eq!(
            voice.children[0].children[0].href.as_ref().unwrap().target,
            LinkTarget::Article {
                path: "audio-conferencing.md".into(),
                fragment: Some("Envision_AudioConferencing".into())
            }
        );
        let last = nav.items.last().unwrap();
        assert_eq!(last.title, "Teams 的开发人员文档");
        assert!(matches!(last.href.as_ref().unwrap().target, LinkTarget::External { .. }));
        // document order
        let links = nav.links();
        assert_eq!(links[0].dest, "Teams-Overview.md");
        assert_eq!(links.last().unwrap().dest, "https://docs.microsoft.com/microsoftteams/platform");
    }

    #[test]
    fn real_breadcrumb_yml() {
        let text = corpus("zh-CN_skype_2017-12/Teams/breadcrumb/toc.yml");
        let (nav, diags) = parse_toc_yml(F, &text);
        assert!(diags.is_empty(), "{diags:#?}");
        check_spans(&text, &nav);
        assert_eq!(nav.items.len(), 1);
        let item = &nav.items[0];
        assert_eq!(item.title, "Microsoft Teams");
        assert_eq!(&text[item.span.range()], "name: Microsoft Teams");
        let href = item.href.as_ref().unwrap();
        assert_eq!(href.dest, "/MicrosoftTeams/index");
        assert!(matches!(href.target, LinkTarget::SiteAbsolute { .. }));
        // tocHref as a child-less child
        assert_eq!(item.children.len(), 1);
        assert_eq!(item.children[0].title, "Microsoft Teams");
        assert_eq!(item.children[0].href.as_ref().unwrap().dest, "/");
        assert!(item.children[0].children.is_empty());
        assert_eq!(count(&nav.items), 2);
        assert_eq!(depth(&nav.items), 2);
        assert_eq!(nav.links().len(), 2);
    }

    #[test]
    fn crlf_toc_md() {
        let text = "# [A](a.md)\r\n## [B](sub/b.md \"t\")\r\n\r\n## C\r\n### [D](<d e.md>)\r\n# E\r\n";
        let (nav, diags) = md(text);
        assert!(diags.is_empty(), "{diags:#?}");
        assert_eq!(titles(&nav.items), ["A", "E"]);
        assert_eq!(titles(&nav.items[0].children), ["B", "C"]);
        assert_eq!(&text[nav.items[0].span.range()], "# [A](a.md)");
        let dests: Vec<_> = nav.links().iter().map(|l| l.dest.as_str()).collect();
        assert_eq!(dests, ["a.md", "sub/b.md", "d e.md"]);
        assert_eq!(
            nav.items[0].children[1].children[0].href.as_ref().unwrap().target,
            LinkTarget::Article { path: "d e.md".into(), fragment: None }
        );
    }

    #[test]
    fn level_jump_nests_one_level_and_warns() {
        let text = "# A\n### [B](b.md)\n### [C](c.md)\n## D\n#### E\n# F\n";
        let (nav, diags) = md(text);
        assert_eq!(titles(&nav.items), ["A", "F"]);
        assert_eq!(titles(&nav.items[0].children), ["B", "C", "D"]);
        assert_eq!(titles(&nav.items[0].children[2].children), ["E"]);
        assert_eq!(count(&nav.items), 6);
        // B skips (1 → 3) and E skips (2 → 4); C is B's sibling, no second warning
        assert_eq!(diags.len(), 2, "{diags:#?}");
        assert!(diags.iter().all(|d| d.code == Code::InvalidToc && d.severity == Severity::Warning));
        assert_eq!(&text[diags[0].span.unwrap().range()], "### [B](b.md)");
        assert_eq!(&text[diags[1].span.unwrap().range()], "#### E");
    }

    #[test]
    fn first_heading_deeper_than_one() {
        let (nav, diags) = md("## [A](a.md)\n### B\n## C\n");
        assert_eq!(titles(&nav.items), ["A", "C"]);
        assert_eq!(titles(&nav.items[0].children), ["B"]);
        assert_eq!(diags.len(), 1);
    }

    #[test]
    fn empty_toc() {
        for text in ["", "\n\n  \n", "<!-- nothing yet -->\n"] {
            let (nav, diags) = md(text);
            assert!(nav.items.is_empty());
            assert!(nav.links().is_empty());
            assert!(diags.is_empty(), "{text:?}: {diags:#?}");
        }
        let (nav, diags) = parse_toc_yml(F, "");
        assert!(nav.items.is_empty() && diags.is_empty());
        let (nav, diags) = parse_toc_yml(F, "# only a comment\n");
        assert!(nav.items.is_empty() && diags.is_empty());
    }

    #[test]
    fn stray_content_is_ignored_with_warnings() {
        let text =
            "# A\nsome text\n\n- [x](x.md)\n- [y](y.md)\n\n#[B](b.md)\n\n> # [Q](q.md)\n## [C](c.md)\n";
        let (nav, diags) = md(text);
        assert_eq!(titles(&nav.items), ["A"]);
        assert_eq!(titles(&nav.items[0].children), ["C"]);
        assert_eq!(diags.len(), 4, "{diags:#?}");
        let spans: Vec<_> = diags.iter().map(|d| &text[d.span.unwrap().range()]).collect();
        assert_eq!(spans, ["some text", "- [x](x.md)\n- [y](y.md)", "#[B](b.md)", "> # [Q](q.md)"]);
        assert!(diags[1].message.contains("list"));
        assert!(diags.iter().all(|d| d.severity == Severity::Warning));
    }

    #[test]
    fn entries_without_title_or_link_are_skipped() {
        let (nav, diags) = md("#\n## [A](a.md)\n# [](  )\n# B\n");
        assert_eq!(titles(&nav.items), ["A", "B"]);
        assert_eq!(diags.len(), 2, "{diags:#?}");
        assert!(diags.iter().all(|d| d.severity == Severity::Warning));

        let text = "- href: ''\n  items:\n  - name: A\n- name: B\n  href:\n";
        let (nav, diags) = parse_toc_yml(F, text);
        assert_eq!(titles(&nav.items), ["A", "B"]);
        assert_eq!(diags.len(), 1, "{diags:#?}");
        assert_eq!(diags[0].severity, Severity::Warning);
        assert_eq!(&text[diags[0].span.unwrap().range()], "href: ''");
    }

    #[test]
    fn link_forms_in_headings() {
        let text = "# [Ref][r]\n# [*Em* `code`](a%20b.md#x)\n# <https://x.y/z>\n# [U](@some.uid)\n# [P](a(1).md) trailing\n# [T](t.md) and [U](u.md)\n\n[r]: ref/target.md \"title\"\n";
        let (nav, diags) = md(text);
        assert_eq!(titles(&nav.items), ["Ref", "Em code", "https://x.y/z", "U", "P trailing", "T and U"]);
        let dests: Vec<_> = nav.links().iter().map(|l| l.dest.as_str()).collect();
        assert_eq!(dests, ["ref/target.md", "a%20b.md#x", "https://x.y/z", "a(1).md", "t.md"]);
        assert!(nav.items[3].href.is_none());
        // the second link of the last heading; the reference definition is not stray content
        assert_eq!(diags.len(), 1, "{diags:#?}");
        assert_eq!(&text[diags[0].span.unwrap().range()], "u.md");

        // shortcut and collapsed references, labels matched without case
        let text = "# [r]\n## [R][]\n\n[r]:\n  <ref target.md>\n";
        let (nav, diags) = md(text);
        assert!(diags.is_empty(), "{diags:#?}");
        let dests: Vec<_> = nav.links().iter().map(|l| l.dest.as_str()).collect();
        assert_eq!(dests, ["ref target.md", "ref target.md"]);

        // uid references: no link; `[](@uid)` titled with the uid
        let (nav, diags) = md("# [](@a.b)\n# <xref:c.d>\n");
        assert_eq!(titles(&nav.items), ["a.b", "xref:c.d"]);
        assert!(nav.links().is_empty() && diags.is_empty());
    }

    #[test]
    fn yml_items_links_and_spans() {
        let text = "\
items:
- name: Top
  href: top.md
  expanded: true
  items:
  - displayName: Shown
    topicHref: \"quoted file.md\"
    tocHref: sub/
    uid: some.uid
  - name: Home only
    homepage: home.md
  - uid: only.uid
- name: 2017
  href: https://example.com/
";
        let (nav, diags) = parse_toc_yml(F, text);
        assert!(diags.is_empty(), "{diags:#?}");
        check_spans(text, &nav);
        assert_eq!(titles(&nav.items), ["Top", "2017"]);
        let top = &nav.items[0];
        assert_eq!(&text[top.span.range()], "name: Top");
        assert_eq!(titles(&top.children), ["Shown", "Home only", "only.uid"]);
        let shown = &top.children[0];
        assert_eq!(shown.href.as_ref().unwrap().dest, "quoted file.md");
        assert_eq!(shown.children.len(), 1);
        assert_eq!(shown.children[0].href.as_ref().unwrap().dest, "sub/");
        assert_eq!(&text[shown.children[0].span.range()], "sub/");
        assert_eq!(top.children[1].href.as_ref().unwrap().dest, "home.md");
        let dests: Vec<_> = nav.links().iter().map(|l| l.dest.as_str()).collect();
        assert_eq!(dests, ["top.md", "quoted file.md", "sub/", "home.md", "https://example.com/"]);
    }

    #[test]
    fn malformed_yaml_is_one_error_at_its_position() {
        let text = "- name: A\n  href: a.md\n   bad: [x\n";
        let (nav, diags) = parse_toc_yml(F, text);
        assert!(nav.items.is_empty());
        assert_eq!(diags.len(), 1, "{diags:#?}");
        let d = &diags[0];
        assert_eq!(d.code, Code::InvalidToc);
        assert_eq!(d.severity, Severity::Error);
        let start = d.span.unwrap().start as usize;
        assert!(start >= text.find("a.md").unwrap(), "{d:#?}");
        assert_eq!(d.message, "the TOC is not valid: mapping values are not allowed in this context");
        assert_eq!(&text[d.span.unwrap().range()], ":");

        for bad in ["- just a string\n", "name: [unclosed\n", "- name: a\n href: b\n", "\t- x"] {
            let (nav, diags) = parse_toc_yml(F, bad);
            assert!(nav.items.is_empty(), "{bad:?}");
            assert_eq!(diags.len(), 1, "{bad:?}");
            assert!(bad.get(diags[0].span.unwrap().range()).is_some());
        }
        let (_, diags) = parse_toc_yml(F, "- name: a\n href: b\n");
        assert_eq!(diags[0].span.unwrap().start, 11);
    }

    #[test]
    fn nav_file_names() {
        for yes in ["TOC.md", "toc.md", "Toc.Yml", "toc.yaml", "a/b/TOC.md", "a\\toc.yml"] {
            assert!(is_nav_file(yes), "{yes}");
        }
        for no in ["toc.markdown", "mytoc.md", "toc.md.bak", "index.md", "", "toc"] {
            assert!(!is_nav_file(no), "{no}");
        }
    }

    proptest! {
        #[test]
        fn toc_md_never_panics(text in "\\PC*") {
            let (nav, diags) = parse_toc_md(F, &text);
            for link in nav.links() {
                prop_assert!(text.get(link.span.range()).is_some());
            }
            for d in diags {
                prop_assert!(text.get(d.span.unwrap().range()).is_some());
            }
        }

        #[test]
        fn toc_md_like_input_never_panics(
            text in "((#{0,8}[ \t]?)?(\\[[a-z\\]\\[`*]{0,4}\\]?)?(\\(<?[a-z(). \"\\\\]{0,6}>?\\)?)?[a-z @:]{0,3}(\r\n|\n|\r)?){0,12}"
        ) {
            let (nav, _) = parse_toc_md(F, &text);
            for link in nav.links() {
                prop_assert!(text.get(link.span.range()).is_some());
            }
        }

        #[test]
        fn toc_yml_never_panics(
            text in "((- |  |    )?(name|href|items|tocHref)?:? ?[a-z\"'\\[{]{0,4}(\r\n|\n)?){0,10}"
        ) {
            let (nav, diags) = parse_toc_yml(F, &text);
            for link in nav.links() {
                prop_assert!(text.get(link.span.range()).is_some());
            }
            for d in diags {
                prop_assert!(text.get(d.span.unwrap().range()).is_some());
            }
        }
    }
}
