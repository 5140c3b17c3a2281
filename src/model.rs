//! The typed model of a knowledge base: what every renderer reads.
//!
//! Built by `parse` from the event stream of pulldown-cmark plus DocFX extensions, completed by
//! `resolve` (link targets, procedures of troubleshooting entries). Renderers never re-parse Markdown.
//! Every node carries a [`Span`]; through includes, the span points into the include file.
//!
//! This module is not a wire format: `Serialize` here exists for inspection (`kbc build` writes the
//! model for debugging and tests snapshot it); the chatbot contract has its own types.

use crate::source::{FileId, Span};
use serde::Serialize;
use std::collections::BTreeMap;

/// Index of an article in [`crate::Book::articles`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ArticleId(pub u32);

/// Index of a section in [`Article::sections`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct SectionId(pub u32);

/// Index of a link in [`Article::links`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct LinkId(pub u32);

/// A GUID, lowercase, as written in `ms.assetid`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct AssetGuid(String);

impl AssetGuid {
    /// Accepts `8-4-4-4-12` hex digits, with or without braces, any case.
    pub fn parse(s: &str) -> Option<AssetGuid> {
        let s = s.trim();
        let s = s.strip_prefix('{').and_then(|t| t.strip_suffix('}')).unwrap_or(s);
        let groups: Vec<&str> = s.split('-').collect();
        let lens = [8, 4, 4, 4, 12];
        if groups.len() != 5 {
            return None;
        }
        for (g, len) in groups.iter().zip(lens) {
            if g.len() != len || !g.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
        }
        Some(AssetGuid(s.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An ISO-8601 calendar date (`YYYY-MM-DD`), validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (day >= 1 && day <= days).then_some(Date { year, month, day })
    }

    /// `MM/DD/YYYY` or `MM/DD/YY` (DocFX's usual forms), `YYYY-MM-DD`, or an ISO date-time whose date part is used.
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        if let Some((m, rest)) = s.split_once('/') {
            let (d, y) = rest.split_once('/')?;
            // DocFX (.NET's date parser) reads `10/20/17` as 2017.
            let year: u16 = match y.len() {
                4 => y.parse().ok()?,
                2 => 2000 + y.parse::<u16>().ok()?,
                _ => return None,
            };
            return Date::new(year, m.parse().ok()?, d.parse().ok()?);
        }
        let date = s.get(..10)?;
        if s.len() > 10 && !matches!(s.as_bytes()[10], b'T' | b't' | b' ') {
            return None;
        }
        let mut parts = date.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A front matter value kept as written (for keys kbc has no typed field for).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MetaValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    List(Vec<MetaValue>),
    Map(Vec<(String, MetaValue)>),
}

/// Typed front matter. Unknown keys are kept, in source order, in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Meta {
    pub title: Option<String>,
    pub description: Option<String>,
    pub author: Option<String>,
    pub ms_author: Option<String>,
    pub manager: Option<String>,
    pub date: Option<Date>,
    pub topic: Option<String>,
    pub prod: Option<String>,
    pub service: Option<String>,
    pub audience: Option<String>,
    pub assetid: Option<AssetGuid>,
    pub localization_priority: Option<String>,
    pub locale: Option<String>,
    pub keywords: Vec<String>,
    pub redirect_url: Option<String>,
    pub robots: Option<String>,
    pub extra: Vec<(String, MetaValue)>,
    /// Span of the whole front matter block (delimiters included), if there is one.
    pub span: Option<Span>,
}

/// How an anchor came to exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnchorKind {
    /// `<a name="x">` or `<a id="x">`.
    Explicit,
    /// `id="x"` on any other element.
    ElementId,
    /// `{#x}` heading attribute.
    HeadingAttribute,
    /// GitHub-style slug of a heading's text.
    Slug,
    /// A footnote definition (`fn-x` style ids are renderer business; this is the label).
    Footnote,
}

/// A name a link fragment can target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anchor {
    pub id: String,
    pub kind: AnchorKind,
    pub span: Span,
    /// The section the anchor sits in (`None` before the first heading).
    pub section: Option<SectionId>,
    /// Whether the anchor names the section's heading (inside it, on the lines right after it, or
    /// on the lines right above it with nothing else between).
    pub heading: bool,
}

/// Kinds of alert, `> [!KIND]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertKind {
    Note,
    Tip,
    Important,
    Warning,
    Caution,
    /// A DocFX custom alert kind (configured in DocFX's `markdownEngineProperties`), upper case.
    Custom(String),
}

impl AlertKind {
    pub fn from_marker(marker: &str) -> AlertKind {
        match marker.to_ascii_uppercase().as_str() {
            "NOTE" => AlertKind::Note,
            "TIP" => AlertKind::Tip,
            "IMPORTANT" => AlertKind::Important,
            "WARNING" => AlertKind::Warning,
            "CAUTION" => AlertKind::Caution,
            other => AlertKind::Custom(other.to_string()),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            AlertKind::Note => "NOTE",
            AlertKind::Tip => "TIP",
            AlertKind::Important => "IMPORTANT",
            AlertKind::Warning => "WARNING",
            AlertKind::Caution => "CAUTION",
            AlertKind::Custom(s) => s,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Alignment {
    None,
    Left,
    Center,
    Right,
}

/// Inline content.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Inline {
    Text {
        text: String,
        span: Span,
    },
    Code {
        code: String,
        span: Span,
    },
    Strong {
        children: Vec<Inline>,
        span: Span,
    },
    Emphasis {
        children: Vec<Inline>,
        span: Span,
    },
    Strikethrough {
        children: Vec<Inline>,
        span: Span,
    },
    Link {
        link: LinkId,
        children: Vec<Inline>,
        span: Span,
    },
    Image {
        link: LinkId,
        alt: String,
        span: Span,
    },
    /// A hard line break, including `<br/>` in table cells.
    LineBreak {
        span: Span,
    },
    SoftBreak {
        span: Span,
    },
    Html {
        html: String,
        span: Span,
    },
    FootnoteRef {
        label: String,
        span: Span,
    },
}

impl Inline {
    pub fn span(&self) -> Span {
        match self {
            Inline::Text { span, .. }
            | Inline::Code { span, .. }
            | Inline::Strong { span, .. }
            | Inline::Emphasis { span, .. }
            | Inline::Strikethrough { span, .. }
            | Inline::Link { span, .. }
            | Inline::Image { span, .. }
            | Inline::LineBreak { span }
            | Inline::SoftBreak { span }
            | Inline::Html { span, .. }
            | Inline::FootnoteRef { span, .. } => *span,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableCell {
    pub inlines: Vec<Inline>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableRow {
    pub cells: Vec<TableCell>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub alignments: Vec<Alignment>,
    pub header: TableRow,
    pub rows: Vec<TableRow>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListItem {
    pub blocks: Vec<Block>,
    /// `Some` for a task list item (`- [ ]`, `- [x]`).
    pub checked: Option<bool>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct List {
    /// The start number of an ordered list; `None` for a bullet list.
    pub start: Option<u64>,
    pub items: Vec<ListItem>,
    pub span: Span,
}

/// Kinds of DocFX `:::` container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerKind {
    Zone,
    Moniker,
    Row,
    Column,
    /// Any other `:::name`; kept with a warning.
    Other(String),
}

/// Block content.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Paragraph {
        inlines: Vec<Inline>,
        span: Span,
    },
    List(List),
    Table(Table),
    Alert {
        kind: AlertKind,
        blocks: Vec<Block>,
        span: Span,
    },
    BlockQuote {
        blocks: Vec<Block>,
        span: Span,
    },
    Code {
        lang: Option<String>,
        code: String,
        span: Span,
    },
    Html {
        html: String,
        span: Span,
    },
    ThematicBreak {
        span: Span,
    },
    /// `:::image type="..." source="..." alt-text="...":::`.
    DocfxImage {
        link: LinkId,
        /// `lightbox=".."`: the larger image a click on this one opens.
        #[serde(skip_serializing_if = "Option::is_none")]
        lightbox: Option<LinkId>,
        /// Every attribute as written (`type=".." source=".." lightbox=".."`).
        args: String,
        kind: Option<String>,
        alt: String,
        span: Span,
    },
    /// `:::zone pivot="..."` ... `:::zone-end` and the like: content kept, labelled.
    Container {
        kind: ContainerKind,
        args: String,
        blocks: Vec<Block>,
        span: Span,
    },
    /// `> [!div class="..."]` and other `[!div]`-style markers: attributes kept, content kept.
    Div {
        args: String,
        blocks: Vec<Block>,
        span: Span,
    },
    /// `> [!VIDEO url]`: an embedded video.
    Video {
        url: String,
        span: Span,
    },
    /// `[^label]: ...`.
    FootnoteDefinition {
        label: String,
        blocks: Vec<Block>,
        span: Span,
    },
    /// Where an `[!INCLUDE]` stood; the included content follows in the enclosing block list,
    /// with spans in the include file. Kept so renderers can mark the boundary.
    Include {
        include: usize,
        span: Span,
    },
}

impl Block {
    pub fn span(&self) -> Span {
        match self {
            Block::Paragraph { span, .. }
            | Block::Alert { span, .. }
            | Block::BlockQuote { span, .. }
            | Block::Code { span, .. }
            | Block::Html { span, .. }
            | Block::ThematicBreak { span }
            | Block::DocfxImage { span, .. }
            | Block::Container { span, .. }
            | Block::Div { span, .. }
            | Block::Video { span, .. }
            | Block::FootnoteDefinition { span, .. }
            | Block::Include { span, .. } => *span,
            Block::List(l) => l.span,
            Block::Table(t) => t.span,
        }
    }
}

/// A heading and everything up to the next heading of the same or a higher level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    pub level: u8,
    pub heading: Vec<Inline>,
    /// The heading as plain text.
    pub title: String,
    /// The section's primary anchor (the first explicit anchor placed with the heading, else the
    /// `{#id}`, else the slug), skipping one an earlier section already has (links reach that
    /// one). `None` for an empty heading with no explicit anchor.
    pub id: Option<String>,
    /// Every anchor that names this heading: explicit ones right after or inside it, `{#id}`, slug.
    pub anchors: Vec<String>,
    pub blocks: Vec<Block>,
    pub parent: Option<SectionId>,
    pub children: Vec<SectionId>,
    /// Span of the heading line.
    pub heading_span: Span,
    /// Span from the heading to the end of the section's own content.
    pub span: Span,
}

/// What a link points at, as written, classified but not yet resolved against the knowledge base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LinkTarget {
    /// `#anchor` in the same article.
    Fragment {
        fragment: String,
    },
    /// A relative path to a Markdown file (`x.md`, `../y/z.md#a`), percent-decoded, query removed.
    Article {
        path: String,
        fragment: Option<String>,
    },
    /// `<guid>.md`: an article named by its `ms.assetid`.
    AssetId {
        guid: AssetGuid,
        fragment: Option<String>,
    },
    /// A relative path to a non-Markdown file (image, PDF, folder).
    Asset {
        path: String,
        fragment: Option<String>,
    },
    /// `/path` on the published site.
    SiteAbsolute {
        path: String,
        fragment: Option<String>,
    },
    /// `http:`, `https:`, `//host`, `ftp:` and other schemes.
    External {
        url: String,
    },
    Mailto {
        address: String,
    },
    /// `xref:uid` (`<xref:System.String>`, `[text](xref:uid)`): DocFX's cross reference to API
    /// documentation or an article by `uid`, resolved by DocFX's xref service, which a knowledge
    /// base does not have. Shown as text; never a problem of the content.
    Xref {
        /// The uid, percent-decoded, without `?displayProperty=..` or a fragment.
        uid: String,
    },
    /// `javascript:`, `vbscript:`, `data:`.
    Unsafe {
        scheme: String,
    },
    /// Nothing between the parentheses.
    Empty,
}

/// How a link appears in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkRole {
    Link,
    Image,
    Include,
    /// An `href` in raw HTML.
    HtmlLink,
    /// A `src` in raw HTML (`img`, `video`, `audio`, `source`).
    HtmlImage,
    /// The `src` of a raw HTML `<iframe>`: an embedded page, kept only from `iframe-hosts`.
    HtmlFrame,
}

/// A link, image or include of an article, in document order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub role: LinkRole,
    /// The destination exactly as written.
    pub dest: String,
    /// The link title (`[t](dest "title")`), if any.
    pub title: Option<String>,
    pub target: LinkTarget,
    /// The whole link (`[text](dest)`).
    pub span: Span,
    /// Just the destination, where a diagnostic should point.
    pub dest_span: Span,
    /// The section the link sits in.
    pub section: Option<SectionId>,
    /// The file whose folder relative paths resolve against (the include file for included content).
    pub base: FileId,
}

/// What a troubleshooting table row starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// An error message the user sees.
    ErrorMessage,
    /// A symptom the user describes.
    Symptom,
    /// A cause/resolution row with no separate symptom column (the cause is what the reader recognises).
    Cause,
}

/// One row of a troubleshooting table: symptom or error message, cause, resolution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TroubleshootingEntry {
    pub kind: EntryKind,
    /// The error message or symptom (`None` for a cause-only row).
    pub message: Option<Vec<Inline>>,
    pub message_text: Option<String>,
    pub cause: Option<Vec<Inline>>,
    pub cause_text: Option<String>,
    pub resolution: Option<Vec<Inline>>,
    pub resolution_text: Option<String>,
    /// Links in the resolution cell, in order; `resolve` picks the procedure section from them.
    pub resolution_links: Vec<LinkId>,
    /// The section (possibly in another article) the resolution links to, filled in by `resolve`.
    pub procedure: Option<SectionRef>,
    /// The section holding the table.
    pub section: Option<SectionId>,
    /// Index of this row's message group: rows with the same message share it.
    pub group: usize,
    /// Which table of the article (0-based) and which body row (0-based).
    pub table: usize,
    pub row: usize,
    pub span: Span,
}

/// A section of some article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SectionRef {
    pub article: ArticleId,
    pub section: SectionId,
}

/// One step of a procedure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// The step's own blocks (text, notes, tables, code), without nested lists of steps.
    pub blocks: Vec<Block>,
    /// Plain text of the step's first paragraph.
    pub text: String,
    pub substeps: Vec<Step>,
    /// Blocks that follow the list but belong to this step (a table right after the last step).
    pub attached: Vec<Block>,
    pub span: Span,
}

/// A numbered procedure: an ordered list and the section it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Procedure {
    pub section: Option<SectionId>,
    /// The paragraph just before the list, which usually says what the steps achieve.
    pub intro: Option<String>,
    pub start: u64,
    pub steps: Vec<Step>,
    pub span: Span,
}

/// An `[!INCLUDE]` of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncludeRef {
    /// The link text of `[!INCLUDE[title](path)]`.
    pub title: String,
    pub path: String,
    pub file: Option<FileId>,
    pub span: Span,
}

/// A located alert, for consumers that want them without walking blocks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertRef {
    pub kind: AlertKind,
    pub section: Option<SectionId>,
    pub text: String,
    pub span: Span,
}

/// One article: a Markdown file that is not navigation and not only included.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Article {
    /// `ms.assetid` when present, else the content-relative path without `.md`.
    pub id: String,
    pub file: FileId,
    pub rel_path: String,
    pub locale: String,
    pub meta: Meta,
    /// The H1 text, else the front matter title.
    pub title: String,
    /// The first paragraph's plain text.
    pub summary: Option<String>,
    /// Blocks before the first heading.
    pub preamble: Vec<Block>,
    /// All sections in document order; the tree is given by `parent`/`children`.
    pub sections: Vec<Section>,
    /// Sections with no parent, in order.
    pub roots: Vec<SectionId>,
    pub anchors: Vec<Anchor>,
    pub links: Vec<Link>,
    pub includes: Vec<IncludeRef>,
    pub troubleshooting: Vec<TroubleshootingEntry>,
    pub procedures: Vec<Procedure>,
    pub alerts: Vec<AlertRef>,
    /// Reference definitions (`[label]: dest`), by normalised label.
    pub references: BTreeMap<String, String>,
}

impl Article {
    pub fn section(&self, id: SectionId) -> &Section {
        &self.sections[id.0 as usize]
    }

    pub fn link(&self, id: LinkId) -> &Link {
        &self.links[id.0 as usize]
    }

    /// Every piece of text the article holds, for search and for the fidelity test: headings,
    /// inline text, code, raw HTML, link destinations, image alt text, DocFX markers, references.
    pub fn full_text(&self) -> String {
        let mut out = String::new();
        text::blocks(self, &self.preamble, &mut out);
        for (i, s) in self.sections.iter().enumerate() {
            text::inlines(self, &s.heading, &mut out);
            out.push('\n');
            // Anchors placed under the heading live on the section, not in its blocks.
            for a in self.anchors.iter().filter(|a| a.heading && a.section == Some(SectionId(i as u32))) {
                if a.kind == AnchorKind::Explicit {
                    out.push_str(&format!("<a name=\"{}\"></a>\n", a.id));
                }
            }
            text::blocks(self, &s.blocks, &mut out);
        }
        for (label, dest) in &self.references {
            out.push_str(&format!("[{label}]: {dest}\n"));
        }
        // Block and inline includes alike.
        for i in &self.includes {
            out.push_str(&format!("[!INCLUDE[{}]({})]\n", i.title, i.path));
        }
        out
    }

    /// The article without its content: no preamble, no section blocks or heading inlines, no
    /// procedure steps, no troubleshooting cells (their plain text stays). Everything links
    /// resolve against and the book's shape is kept (sections with their titles and anchors,
    /// links, includes, metadata, troubleshooting rows and their procedures, alerts), so a book
    /// can hold outlines and parse each article again to render it (see `Book::article`).
    pub fn outline(&self) -> Article {
        Article {
            id: self.id.clone(),
            file: self.file,
            rel_path: self.rel_path.clone(),
            locale: self.locale.clone(),
            meta: self.meta.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            preamble: Vec::new(),
            sections: self
                .sections
                .iter()
                .map(|s| Section {
                    level: s.level,
                    heading: Vec::new(),
                    title: s.title.clone(),
                    id: s.id.clone(),
                    anchors: s.anchors.clone(),
                    blocks: Vec::new(),
                    parent: s.parent,
                    children: s.children.clone(),
                    heading_span: s.heading_span,
                    span: s.span,
                })
                .collect(),
            roots: self.roots.clone(),
            anchors: self.anchors.clone(),
            links: self.links.clone(),
            includes: self.includes.clone(),
            troubleshooting: self
                .troubleshooting
                .iter()
                .map(|e| TroubleshootingEntry {
                    kind: e.kind,
                    message: e.message.as_ref().map(|_| Vec::new()),
                    message_text: e.message_text.clone(),
                    cause: e.cause.as_ref().map(|_| Vec::new()),
                    cause_text: e.cause_text.clone(),
                    resolution: e.resolution.as_ref().map(|_| Vec::new()),
                    resolution_text: e.resolution_text.clone(),
                    resolution_links: e.resolution_links.clone(),
                    procedure: e.procedure,
                    section: e.section,
                    group: e.group,
                    table: e.table,
                    row: e.row,
                    span: e.span,
                })
                .collect(),
            procedures: self
                .procedures
                .iter()
                .map(|p| Procedure {
                    section: p.section,
                    intro: p.intro.clone(),
                    start: p.start,
                    steps: Vec::new(),
                    span: p.span,
                })
                .collect(),
            alerts: self.alerts.clone(),
            references: self.references.clone(),
        }
    }

    /// The section that an anchor names, if the anchor exists.
    pub fn section_of_anchor(&self, anchor: &str) -> Option<SectionId> {
        self.anchors.iter().find(|a| a.id == anchor).and_then(|a| a.section)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_docfx_and_iso_forms() {
        assert_eq!(Date::parse("11/17/2017").map(|d| d.to_string()).as_deref(), Some("2017-11-17"));
        assert_eq!(Date::parse("2017-11-17").map(|d| d.to_string()).as_deref(), Some("2017-11-17"));
        assert_eq!(Date::parse("2017-11-17T08:00:00Z").map(|d| d.to_string()).as_deref(), Some("2017-11-17"));
        assert_eq!(Date::parse("13/45/2017"), None);
        assert_eq!(Date::parse("02/29/2017"), None);
        assert_eq!(Date::parse("02/29/2016").map(|d| d.day), Some(29));
        assert_eq!(Date::parse("2017-1-5"), None);
        assert_eq!(Date::parse("10/20/17").map(|d| d.to_string()).as_deref(), Some("2017-10-20"));
        assert_eq!(Date::parse("10/20/173"), None);
        assert_eq!(Date::parse(""), None);
    }

    #[test]
    fn guids_are_normalised() {
        let g = AssetGuid::parse("CDD4801A-2FE1-4AAB-BBB6-DB5F95F972D1").map(|g| g.as_str().to_string());
        assert_eq!(g.as_deref(), Some("cdd4801a-2fe1-4aab-bbb6-db5f95f972d1"));
        assert!(AssetGuid::parse("{cdd4801a-2fe1-4aab-bbb6-db5f95f972d1}").is_some());
        assert!(AssetGuid::parse("cdd4801a-2fe1-4aab-bbb6-db5f95f972d").is_none());
        assert!(AssetGuid::parse("not-a-guid").is_none());
    }
}

/// Text extraction for [`Article::full_text`].
mod text {
    use super::*;

    pub(super) fn blocks(a: &Article, blocks: &[Block], out: &mut String) {
        for b in blocks {
            block(a, b, out);
            out.push('\n');
        }
    }

    fn block(a: &Article, b: &Block, out: &mut String) {
        match b {
            Block::Paragraph { inlines: i, .. } => inlines(a, i, out),
            Block::List(l) => {
                for item in &l.items {
                    blocks(a, &item.blocks, out);
                }
            }
            Block::Table(t) => {
                for row in std::iter::once(&t.header).chain(&t.rows) {
                    for c in &row.cells {
                        inlines(a, &c.inlines, out);
                        out.push_str(" | ");
                    }
                    out.push('\n');
                }
            }
            Block::Alert { kind, blocks: bs, .. } => {
                out.push_str(&format!("[!{}]\n", kind.name()));
                blocks(a, bs, out);
            }
            Block::BlockQuote { blocks: bs, .. } | Block::FootnoteDefinition { blocks: bs, .. } => {
                if let Block::FootnoteDefinition { label, .. } = b {
                    out.push_str(&format!("[^{label}]: "));
                }
                blocks(a, bs, out)
            }
            Block::Container { kind, args, blocks: bs, .. } => {
                out.push_str(&format!(":::{kind:?} {args}\n"));
                blocks(a, bs, out);
            }
            Block::Div { args, blocks: bs, .. } => {
                out.push_str(&format!("[!div {args}]\n"));
                blocks(a, bs, out);
            }
            Block::Code { lang, code, .. } => {
                out.push_str(lang.as_deref().unwrap_or(""));
                out.push('\n');
                out.push_str(code);
            }
            Block::Html { html, .. } => out.push_str(html),
            Block::ThematicBreak { .. } => {}
            Block::DocfxImage { args, .. } => out.push_str(&format!(":::image {args}:::")),
            Block::Video { url, .. } => out.push_str(&format!("[!VIDEO {url}]")),
            Block::Include { .. } => {}
        }
    }

    pub(super) fn inlines(a: &Article, list: &[Inline], out: &mut String) {
        for i in list {
            match i {
                Inline::Text { text, .. } => out.push_str(text),
                Inline::Code { code, .. } => out.push_str(code),
                Inline::Strong { children, .. }
                | Inline::Emphasis { children, .. }
                | Inline::Strikethrough { children, .. } => inlines(a, children, out),
                Inline::Link { link, children, .. } => {
                    inlines(a, children, out);
                    let l = a.link(*link);
                    out.push_str(&format!(" ({} {}) ", l.dest, l.title.as_deref().unwrap_or("")));
                }
                Inline::Image { link, alt, .. } => {
                    let l = a.link(*link);
                    out.push_str(&format!("![{alt}]({} {})", l.dest, l.title.as_deref().unwrap_or("")))
                }
                Inline::LineBreak { .. } | Inline::SoftBreak { .. } => out.push(' '),
                Inline::Html { html, .. } => out.push_str(html),
                Inline::FootnoteRef { label, .. } => out.push_str(&format!("[^{label}]")),
            }
        }
    }
}
