//! The Markdown twin: an article rendered back to clean CommonMark (plus GFM tables, alerts and
//! footnotes) from the model, never from HTML and never by copying the source.
//!
//! What survives: headings, tables (alignment kept, `<br/>` inside cells), alerts (`> [!NOTE]`),
//! numbered steps with their start number, code blocks with their language, images, footnotes.
//! What goes: DocFX-only syntax (`:::zone` markers, `[!div]`, include markers) whose content stays,
//! anchors (links point at the published HTML pages, which carry them).
//!
//! Internal links are rewritten to published URLs by [`Links`]: relative to the article's own
//! `.md` page for the twin itself, absolute (or site-root relative) for text read elsewhere.
//!
//! **Invariant:** the output is NFC; text is escaped so that it reads back as the same text.
//!
//! ```no_run
//! use kbc::model::ArticleId;
//! use kbc::render::markdown::{Links, Markdown};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let book = kbc::Book::load(kbc::config::Config::load(std::path::Path::new("."))?)?;
//! let article = book.article(ArticleId(0))?;
//! let md = Markdown::new(&book, ArticleId(0), &article, Links::Page);
//! let twin = md.article();
//! let first_steps: Vec<String> = article.procedures.iter().map(|p| md.steps(&p.steps, p.start)).collect();
//! # let _ = (twin, first_steps);
//! # Ok(())
//! # }
//! ```

use super::urls;
use crate::Book;
use crate::model::{
    Alignment, Article, ArticleId, Block, Inline, LinkId, List, ListItem, SectionId, Step, Table, TableRow,
};
use std::cell::RefCell;
use unicode_normalization::UnicodeNormalization;

/// How internal links are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Links {
    /// Relative to the article's own Markdown page (`page_path(article, "md")`): for the twin.
    Page,
    /// Relative to the file at this site path (`zh-cn/llms-full.txt`).
    RelativeTo(String),
    /// Absolute under `output.html.site-url` when set, else relative to the site root: for text
    /// read away from any page (JSON, chunks).
    Site,
}

/// Renders parts of one article as Markdown.
pub struct Markdown<'a> {
    book: &'a Book,
    from: ArticleId,
    /// Article `from` with its content ([`Book::article`]).
    article: &'a Article,
    links: Links,
    /// For [`Slotted`]: each internal link's URL is written as [`SLOT`] and recorded here, in the
    /// order written, instead of as a URL.
    slots: Option<RefCell<Vec<Slot>>>,
}

/// Stands for an internal link's URL in a [`Slotted`] render: a noncharacter, which composes with
/// nothing (so normalization leaves it and its neighbours alone), is not white space and is not
/// Markdown syntax. An article whose own text holds it is rendered without slots.
const SLOT: char = '\u{fdd0}';

/// An internal link whose URL a [`SLOT`] stands for, with where it was written.
#[derive(Clone, Copy)]
struct Slot {
    link: LinkId,
    mode: Mode,
}

/// Rendered Markdown with a [`SLOT`] for each internal link's URL, and those links in order.
struct Part {
    text: String,
    slots: Vec<Slot>,
}

/// An article rendered once for several ways of writing its links: the JSON document needs the
/// twin (links relative to it) and every section (links to the site), which are the same Markdown
/// but for the URLs. Each part is rendered with slots and filled in per [`Links`]; what comes out
/// is exactly what [`Markdown`] renders with those links (URLs never change how the text around
/// them is written, and normalization is applied after filling).
pub struct Slotted<'a> {
    book: &'a Book,
    from: ArticleId,
    article: &'a Article,
    /// The title line (when the article needs one), the preamble and each section; `None` when
    /// the article's text holds [`SLOT`] itself, and each rendering is done in full.
    parts: Option<Vec<Part>>,
}

impl<'a> Slotted<'a> {
    /// `article` is article `id` with its content, as [`Book::article`] gives it.
    pub fn new(book: &'a Book, id: ArticleId, article: &'a Article) -> Slotted<'a> {
        let md = Markdown { book, from: id, article, links: Links::Site, slots: Some(RefCell::default()) };
        let taken = || md.slots.as_ref().map(|s| std::mem::take(&mut *s.borrow_mut())).unwrap_or_default();
        let mut parts = Vec::with_capacity(article.sections.len() + 2);
        let title = md.title_raw();
        parts.push(Part { slots: taken(), text: title });
        let preamble = md.blocks_raw(&article.preamble);
        parts.push(Part { slots: taken(), text: preamble });
        for i in 0..article.sections.len() {
            let text = md.section_raw(SectionId(i as u32));
            parts.push(Part { slots: taken(), text });
        }
        // The slots written must be the slots recorded: the text itself holds none.
        let sound = parts.iter().all(|p| p.text.matches(SLOT).count() == p.slots.len());
        Slotted { book, from: id, article, parts: sound.then_some(parts) }
    }

    fn markdown(&self, links: &Links) -> Markdown<'a> {
        Markdown::new(self.book, self.from, self.article, links.clone())
    }

    /// [`Markdown::article`] with `links`.
    pub fn article(&self, links: &Links) -> String {
        let md = self.markdown(links);
        match &self.parts {
            Some(parts) => finish(tidy(join_blocks(parts.iter().map(|p| md.fill(p)).collect()))),
            None => md.article(),
        }
    }

    /// [`Markdown::section`] with `links`.
    pub fn section(&self, id: SectionId, links: &Links) -> String {
        let md = self.markdown(links);
        match self.parts.as_ref().and_then(|parts| parts.get(id.0 as usize + 2)) {
            Some(part) => finish(md.fill(part)),
            None => md.section(id),
        }
    }
}

/// Where inline content goes: a paragraph, a table cell, a single line (link text), a heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Block,
    Cell,
    Line,
    Heading,
}

impl<'a> Markdown<'a> {
    /// `article` is article `id` with its content, as [`Book::article`] gives it.
    pub fn new(book: &'a Book, id: ArticleId, article: &'a Article, links: Links) -> Markdown<'a> {
        Markdown { book, from: id, article, links, slots: None }
    }

    /// The article this renders.
    pub fn id(&self) -> ArticleId {
        self.from
    }

    /// The article this renders, with its content.
    pub fn model(&self) -> &'a Article {
        self.article
    }

    /// The whole article: an H1 (the title, when the article has no level-1 heading first), the
    /// blocks before the first heading, then every section in document order.
    pub fn article(&self) -> String {
        finish(self.article_raw())
    }

    /// A section's heading and its own blocks (not its subsections).
    pub fn section(&self, id: SectionId) -> String {
        finish(self.section_raw(id))
    }

    /// The `##` heading line of a section; empty for a heading without text.
    pub fn heading(&self, id: SectionId) -> String {
        finish(self.heading_raw(id))
    }

    /// Blocks separated by blank lines.
    pub fn blocks(&self, blocks: &[Block]) -> String {
        finish(self.blocks_raw(blocks))
    }

    /// One block; empty for blocks with nothing to show (an include marker).
    pub fn block(&self, block: &Block) -> String {
        finish(self.block_raw(block))
    }

    /// Some items of a list, numbered from `start` (`None`: a bullet list). Items are separated
    /// by a blank line when any of them holds more than one paragraph.
    pub fn list_items(&self, list: &List, items: &[ListItem], start: Option<u64>) -> String {
        finish(self.list_items_raw(list, items, start))
    }

    /// What separates the items of `list`: a newline, or a blank line when an item holds more than
    /// one paragraph. `list_items` of a run of items is the `list_item`s joined by it.
    pub fn list_separator(&self, list: &List) -> &'static str {
        if is_tight(list) { "\n" } else { "\n\n" }
    }

    /// One item of `list` at `index` (0-based), with the number it has in the whole list.
    pub fn list_item(&self, list: &List, index: usize) -> String {
        finish(self.list_item_raw(list, index))
    }

    /// Procedure steps as a numbered list from `start`: each step's blocks, its sub-steps (numbered
    /// from 1) and the blocks attached to it (a table that follows the list).
    pub fn steps(&self, steps: &[Step], start: u64) -> String {
        finish(self.steps_raw(steps, start))
    }

    /// One step's content without its number: its blocks, sub-steps, then attached blocks.
    pub fn step(&self, step: &Step) -> String {
        finish(self.step_raw(step))
    }

    /// A table with its header and the given rows (all of `t.rows`, or a run of them).
    pub fn table(&self, t: &Table, rows: &[TableRow]) -> String {
        finish(self.table_raw(t, rows))
    }

    /// The header and delimiter lines of a table.
    pub fn table_header(&self, t: &Table) -> String {
        finish(self.table_header_raw(t))
    }

    /// One body row of a table as a single line.
    pub fn table_row(&self, t: &Table, row: &TableRow) -> String {
        finish(self.table_row_raw(t, row))
    }

    fn article_raw(&self) -> String {
        let a = self.article;
        let mut parts = vec![self.title_raw()];
        parts.push(self.blocks_raw(&a.preamble));
        for i in 0..a.sections.len() {
            parts.push(self.section_raw(SectionId(i as u32)));
        }
        tidy(join_blocks(parts))
    }

    /// An H1 of the title when the article does not start with one; else empty.
    fn title_raw(&self) -> String {
        let a = self.article;
        if a.sections.first().is_none_or(|s| s.level != 1) && !a.title.trim().is_empty() {
            format!("# {}", escape_line_start(&escape(a.title.trim(), Mode::Line)))
        } else {
            String::new()
        }
    }

    /// `part` with each slot filled with its link's URL as these links write it.
    fn fill(&self, part: &Part) -> String {
        let mut out = String::with_capacity(part.text.len() + 48 * part.slots.len());
        let mut pieces = part.text.split(SLOT);
        out.push_str(pieces.next().unwrap_or_default());
        for (piece, slot) in pieces.zip(&part.slots) {
            out.push_str(&destination(&self.url_in(slot.link, slot.mode)));
            out.push_str(piece);
        }
        out
    }

    fn section_raw(&self, id: SectionId) -> String {
        let s = self.article.section(id);
        tidy(join_blocks(vec![self.heading_raw(id), self.blocks_raw(&s.blocks)]))
    }

    fn heading_raw(&self, id: SectionId) -> String {
        let s = self.article.section(id);
        let text = self.inlines_in(&s.heading, Mode::Heading);
        let text = text.trim();
        if text.is_empty() {
            return String::new();
        }
        let mut text = escape_line_start(text);
        if text.ends_with('#') {
            // A trailing `#` would read as a closing sequence.
            text.pop();
            text.push_str("\\#");
        }
        tidy(format!("{} {text}", "#".repeat(s.level.clamp(1, 6) as usize)))
    }

    fn blocks_raw(&self, blocks: &[Block]) -> String {
        let mut parts = Vec::with_capacity(blocks.len());
        // Whether the last block written was a list, and whether an ordered one.
        let mut after_list: Option<bool> = None;
        for block in blocks {
            let text = self.block_raw(block);
            if text.trim().is_empty() {
                continue;
            }
            let list = match block {
                Block::List(l) => Some(l.start.is_some()),
                _ => None,
            };
            // Two lists of one kind in a row would read back as one: CommonMark's separator keeps
            // them apart (the source's own `<!-- -->` is a comment, left out like any other).
            if list.is_some() && list == after_list {
                parts.push("<!-- -->".to_string());
            }
            after_list = list;
            parts.push(text);
        }
        tidy(join_blocks(parts))
    }

    fn block_raw(&self, block: &Block) -> String {
        tidy(match block {
            Block::Paragraph { inlines, .. } => self.paragraph(inlines),
            Block::List(list) => self.list_items_raw(list, &list.items, list.start),
            Block::Table(t) => self.table_raw(t, &t.rows),
            Block::Alert { kind, blocks, .. } => {
                let body = self.blocks_raw(blocks);
                quote(&format!("[!{}]\n{body}", kind.name()))
            }
            Block::BlockQuote { blocks, .. } => quote(&self.blocks_raw(blocks)),
            Block::Code { lang, code, .. } => fenced(lang.as_deref(), code),
            Block::Html { html, .. } => without_comments(html).trim_end().to_string(),
            Block::ThematicBreak { .. } => "---".to_string(),
            Block::DocfxImage { link, alt, .. } => {
                format!("![{}]({})", escape(alt, Mode::Line), destination(&self.url_in(*link, Mode::Block)))
            }
            Block::Container { blocks, .. } | Block::Div { blocks, .. } => self.blocks_raw(blocks),
            Block::Video { url, .. } if url.contains("://") => format!("[Video]({})", destination(url)),
            // A video named by its id: as on the HTML page, text.
            Block::Video { url, .. } => format!("Video: {}", escape(url.trim(), Mode::Line)),
            Block::FootnoteDefinition { label, blocks, .. } => {
                indent_after_first(&format!("[^{label}]: {}", self.blocks_raw(blocks)), "    ")
            }
            Block::Include { .. } => String::new(),
        })
    }

    fn list_items_raw(&self, list: &List, items: &[ListItem], start: Option<u64>) -> String {
        let rendered: Vec<String> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let marker = match start {
                    Some(n) => format!("{}. ", n.saturating_add(i as u64)),
                    None => "- ".to_string(),
                };
                let check = match item.checked {
                    Some(true) => "[x] ",
                    Some(false) => "[ ] ",
                    None => "",
                };
                list_item(&marker, &format!("{check}{}", self.blocks_raw(&item.blocks)))
            })
            .collect();
        tidy(rendered.join(self.list_separator(list)))
    }

    fn list_item_raw(&self, list: &List, index: usize) -> String {
        let start = list.start.map(|s| s.saturating_add(index as u64));
        self.list_items_raw(list, list.items.get(index..=index).unwrap_or(&[]), start)
    }

    fn steps_raw(&self, steps: &[Step], start: u64) -> String {
        let rendered: Vec<String> = steps
            .iter()
            .enumerate()
            .map(|(i, step)| {
                list_item(&format!("{}. ", start.saturating_add(i as u64)), &self.step_raw(step))
            })
            .collect();
        tidy(rendered.join("\n\n"))
    }

    fn step_raw(&self, step: &Step) -> String {
        let mut parts = vec![self.blocks_raw(&step.blocks)];
        if !step.substeps.is_empty() {
            parts.push(self.steps_raw(&step.substeps, 1));
        }
        parts.push(self.blocks_raw(&step.attached));
        tidy(join_blocks(parts))
    }

    fn table_raw(&self, t: &Table, rows: &[TableRow]) -> String {
        let mut lines = vec![self.table_header_raw(t)];
        lines.extend(rows.iter().map(|r| self.table_row_raw(t, r)));
        tidy(lines.join("\n"))
    }

    fn table_header_raw(&self, t: &Table) -> String {
        let width = columns(t);
        let header = self.row_line(&t.header, width);
        let delimiter: Vec<&str> = (0..width)
            .map(|i| match t.alignments.get(i).copied().unwrap_or(Alignment::None) {
                Alignment::None => "---",
                Alignment::Left => ":--",
                Alignment::Center => ":-:",
                Alignment::Right => "--:",
            })
            .collect();
        tidy(format!("{header}\n| {} |", delimiter.join(" | ")))
    }

    fn table_row_raw(&self, t: &Table, row: &TableRow) -> String {
        tidy(self.row_line(row, columns(t)))
    }

    /// The cells of a row, each as it stands between the `|`s (as many as the table has columns).
    pub fn table_cells(&self, t: &Table, row: &TableRow) -> Vec<String> {
        self.cells(row, columns(t)).into_iter().map(finish).collect()
    }

    fn cells(&self, row: &TableRow, width: usize) -> Vec<String> {
        (0..width)
            .map(|i| row.cells.get(i).map(|c| self.inlines_in(&c.inlines, Mode::Cell)).unwrap_or_default())
            .map(|c| c.trim().to_string())
            .collect()
    }

    fn row_line(&self, row: &TableRow, width: usize) -> String {
        format!("| {} |", self.cells(row, width).join(" | "))
    }

    /// Inline content as a paragraph (a table cell's content, for instance, with its line breaks).
    pub fn inlines(&self, inlines: &[Inline]) -> String {
        finish(self.paragraph(inlines))
    }

    /// Inline content on one line, line breaks as spaces (for titles, table-like summaries).
    pub fn inline_line(&self, inlines: &[Inline]) -> String {
        finish(self.inlines_in(inlines, Mode::Line).trim().to_string())
    }

    /// The published URL of a link: internal targets rewritten per [`Links`], external ones and
    /// broken ones as written.
    pub fn url(&self, link: LinkId) -> String {
        let Some(target) = urls::link_target(self.book, self.from, link, "html") else {
            return urls::href(self.book, self.from, link, "html").url().to_string();
        };
        let here = match &self.links {
            Links::Site => {
                let site_url = self.book.config.output.html.site_url.as_deref();
                return urls::public_url(site_url, &target.path, target.fragment.as_deref());
            }
            Links::RelativeTo(file) => file.clone(),
            Links::Page => urls::page_path(self.article, "md"),
        };
        urls::relative_url(&here, &target.path, target.fragment.as_deref())
    }

    /// A URL inside a table cell cannot hold a raw `|`. A [`Slot`] for an internal link when
    /// rendering for [`Slotted`].
    fn url_in(&self, link: LinkId, mode: Mode) -> String {
        if let Some(slots) = &self.slots
            && urls::link_target(self.book, self.from, link, "html").is_some()
        {
            slots.borrow_mut().push(Slot { link, mode });
            return SLOT.to_string();
        }
        let url = self.url(link);
        if mode == Mode::Cell { url.replace('|', "%7C") } else { url }
    }

    fn paragraph(&self, inlines: &[Inline]) -> String {
        let text = self.inlines_in(inlines, Mode::Block);
        let lines: Vec<String> = text
            .split('\n')
            .map(|l| l.trim_start())
            .filter(|l| !l.trim().is_empty())
            .map(escape_line_start)
            .collect();
        lines.join("\n")
    }

    fn inlines_in(&self, inlines: &[Inline], mode: Mode) -> String {
        // Line breaks at the very end (`text  <br/>` in cells) are layout, not content.
        let end = inlines
            .iter()
            .rposition(|i| match i {
                Inline::LineBreak { .. } | Inline::SoftBreak { .. } => false,
                Inline::Text { text, .. } => !text.trim().is_empty(),
                _ => true,
            })
            .map_or(0, |p| p + 1);
        let mut out = String::new();
        self.push_inlines(&inlines[..end], mode, &mut out);
        out.truncate(out.trim_end().len());
        out
    }

    fn push_inlines(&self, inlines: &[Inline], mode: Mode, out: &mut String) {
        for inline in inlines {
            self.push_inline(inline, mode, out);
        }
    }

    fn push_inline(&self, inline: &Inline, mode: Mode, out: &mut String) {
        let a = self.article;
        match inline {
            Inline::Text { text, .. } => out.push_str(&escape(text, mode)),
            Inline::Code { code, .. } => out.push_str(&code_span(code, mode)),
            Inline::Strong { children, .. } => {
                // `****x****` (strong in strong) says nothing more than `**x**`.
                let children: &[Inline] = match children.as_slice() {
                    [Inline::Strong { children: inner, .. }] => inner,
                    other => other,
                };
                self.delimited("**", children, mode, out)
            }
            Inline::Emphasis { children, .. } => self.delimited("*", children, mode, out),
            Inline::Strikethrough { children, .. } => self.delimited("~~", children, mode, out),
            // Text only: the `xref:` URL leads nowhere outside DocFX (see `LinkTarget::Xref`).
            Inline::Link { link, children, .. }
                if matches!(a.link(*link).target, crate::model::LinkTarget::Xref { .. }) =>
            {
                self.push_inlines(children, mode, out)
            }
            Inline::Link { link, children, .. } => {
                let url = self.url_in(*link, mode);
                let mut text = String::new();
                self.push_inlines(children, if mode == Mode::Block { Mode::Line } else { mode }, &mut text);
                let title = a.link(*link).title.as_deref().map(link_title).unwrap_or_default();
                out.push_str(&format!("[{text}]({}{title})", destination(&url)));
            }
            Inline::Image { link, alt, .. } => {
                let url = self.url_in(*link, mode);
                let title = a.link(*link).title.as_deref().map(link_title).unwrap_or_default();
                out.push_str(&format!("![{}]({}{title})", escape(alt, Mode::Line), destination(&url)));
            }
            Inline::LineBreak { .. } => match mode {
                Mode::Block => {
                    out.truncate(out.trim_end_matches([' ', '\t']).len());
                    out.push_str("\\\n")
                }
                Mode::Cell => out.push_str("<br/>"),
                Mode::Line | Mode::Heading => out.push(' '),
            },
            Inline::SoftBreak { .. } => match mode {
                Mode::Block => out.push('\n'),
                Mode::Cell | Mode::Line | Mode::Heading => out.push(' '),
            },
            Inline::Html { html, .. } => match mode {
                Mode::Block => out.push_str(&without_comments(html)),
                Mode::Cell => out.push_str(&without_comments(html).replace('\n', " ").replace('|', "\\|")),
                Mode::Line => out.push_str(&without_comments(html).replace('\n', " ")),
                // In a heading, raw HTML is `<a name>` anchors: the HTML page carries those.
                Mode::Heading => {}
            },
            Inline::FootnoteRef { label, .. } => out.push_str(&format!("[^{label}]")),
        }
    }

    /// `**text**` with white space moved outside the delimiters, which would otherwise not close.
    fn delimited(&self, delim: &str, children: &[Inline], mode: Mode, out: &mut String) {
        let mut inner = String::new();
        self.push_inlines(children, mode, &mut inner);
        let trimmed = inner.trim();
        if trimmed.is_empty() {
            out.push_str(&inner);
            return;
        }
        let lead = &inner[..inner.len() - inner.trim_start().len()];
        let trail = &inner[inner.trim_end().len()..];
        out.push_str(lead);
        // `**a**` then `*b*` would make a `***` run that reads differently: switch to `_`.
        let delim = match delim {
            "**" if out.ends_with('*') => "__",
            "*" if out.ends_with('*') => "_",
            d => d,
        };
        out.push_str(delim);
        out.push_str(trimmed);
        out.push_str(delim);
        out.push_str(trail);
    }
}

/// What every public method returns: NFC, no trailing white space.
fn finish(s: String) -> String {
    let s = tidy(s);
    if super::json::text::is_nfc(&s) { s } else { s.nfc().collect() }
}

fn tidy(mut s: String) -> String {
    s.truncate(s.trim_end().len());
    s
}

/// Raw HTML without its `<!-- comments -->`: notes to the article's authors ("verify with SME"),
/// which the page does not show either. An unclosed comment runs to the end, as in a browser.
fn without_comments(html: &str) -> std::borrow::Cow<'_, str> {
    if !html.contains("<!--") {
        return std::borrow::Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        let body = &rest[start + 4..];
        // `<!-->` and `<!--->` are empty comments.
        let end = if body.starts_with('>') {
            Some(1)
        } else if body.starts_with("->") {
            Some(2)
        } else {
            body.find("-->").map(|e| e + 3)
        };
        rest = match end {
            Some(end) => &body[end..],
            None => "",
        };
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

fn join_blocks(parts: Vec<String>) -> String {
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect::<Vec<_>>().join("\n\n")
}

fn columns(t: &Table) -> usize {
    t.header.cells.len().max(t.alignments.len()).max(1)
}

/// Whether a list reads well without blank lines between items: every item is one paragraph.
fn is_tight(list: &List) -> bool {
    list.items.iter().all(|i| matches!(i.blocks.as_slice(), [] | [Block::Paragraph { .. }]))
}

/// `marker` then `body`, continuation lines indented to the marker's width.
fn list_item(marker: &str, body: &str) -> String {
    let pad = " ".repeat(marker.chars().count());
    let mut out = String::from(marker.trim_end());
    for (i, line) in body.split('\n').enumerate() {
        if i == 0 {
            if !line.is_empty() {
                out.push(' ');
                out.push_str(line);
            }
        } else {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&pad);
                out.push_str(line);
            }
        }
    }
    out
}

fn indent_after_first(text: &str, pad: &str) -> String {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| if i == 0 || l.is_empty() { l.to_string() } else { format!("{pad}{l}") })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every line prefixed with `> ` (`>` alone on blank lines).
fn quote(text: &str) -> String {
    text.split('\n')
        .map(|l| if l.is_empty() { ">".to_string() } else { format!("> {l}") })
        .collect::<Vec<_>>()
        .join("\n")
}

fn fenced(lang: Option<&str>, code: &str) -> String {
    let longest = longest_run(code, '`');
    let fence = "`".repeat(longest.max(2) + 1);
    let lang = lang.map(str::trim).unwrap_or("");
    let newline = if code.is_empty() || code.ends_with('\n') { "" } else { "\n" };
    format!("{fence}{lang}\n{code}{newline}{fence}")
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in s.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

fn code_span(code: &str, mode: Mode) -> String {
    let code = code.replace('\n', " ");
    let code = if mode == Mode::Cell { code.replace('|', "\\|") } else { code };
    let fence = "`".repeat(longest_run(&code, '`') + 1);
    let pad = code.starts_with('`') || code.ends_with('`') || (code.starts_with(' ') && code.ends_with(' '));
    if pad { format!("{fence} {code} {fence}") } else { format!("{fence}{code}{fence}") }
}

/// A link destination, in `<>` when it holds characters a bare destination cannot.
fn destination(url: &str) -> String {
    if url.is_empty() || url.chars().any(|c| c.is_whitespace() || matches!(c, '(' | ')' | '<' | '>')) {
        format!("<{}>", url.replace('\\', "\\\\").replace('<', "\\<").replace('>', "\\>"))
    } else {
        url.to_string()
    }
}

fn link_title(title: &str) -> String {
    format!(" \"{}\"", title.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Escapes text so that Markdown reads it back as the same text.
fn escape(text: &str, mode: Mode) -> String {
    let special =
        |b: u8| matches!(b, b'\\' | b'*' | b'`' | b'[' | b']' | b'~' | b'_' | b'<' | b'&' | b'|' | b'\n');
    if !text.bytes().any(special) {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let next = chars.get(i + 1).copied();
        let needs = match c {
            '\\' | '*' | '`' | '[' | ']' | '~' => true,
            // Inside a word, `_` cannot open or close emphasis.
            '_' => !(prev.is_some_and(char::is_alphanumeric) && next.is_some_and(char::is_alphanumeric)),
            '<' => next.is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')),
            '&' => looks_like_entity(&chars[i + 1..]),
            '|' => mode == Mode::Cell,
            _ => false,
        };
        if needs {
            out.push('\\');
        }
        match c {
            '\n' if mode != Mode::Block => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `name;` or `#123;` or `#x1F;` right after a `&`.
fn looks_like_entity(rest: &[char]) -> bool {
    let body: String = rest.iter().take(33).take_while(|c| **c != ';').collect();
    let ends = rest.get(body.chars().count()) == Some(&';');
    ends && !body.is_empty() && body.chars().all(|c| c.is_ascii_alphanumeric() || c == '#')
}

/// Escapes what would make a line start a block: `#`, `>`, `-`/`+` bullets, `1.` items, `=`
/// underlines, DocFX `:::`.
fn escape_line_start(line: &str) -> String {
    let first = line.chars().next();
    let second = line.chars().nth(1);
    let bullet = |c: Option<char>| c.is_none_or(|c| c == ' ' || c == '\t');
    match first {
        Some('#' | '>' | '=') => format!("\\{line}"),
        Some('-' | '+') if bullet(second) || line.chars().all(|c| c == '-' || c == ' ') => {
            format!("\\{line}")
        }
        Some(':') if line.starts_with(":::") => format!("\\{line}"),
        Some(c) if c.is_ascii_digit() => {
            let digits = line.chars().take_while(char::is_ascii_digit).count();
            let after: Vec<char> = line.chars().skip(digits).take(2).collect();
            match after.as_slice() {
                ['.' | ')'] | ['.' | ')', ' ' | '\t'] if digits <= 9 => {
                    format!("{}\\{}", &line[..digits], &line[digits..])
                }
                _ => line.to_string(),
            }
        }
        _ => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_left_out_of_raw_html() {
        assert_eq!(without_comments("a <!-- verify with SME --> b"), "a  b");
        assert_eq!(without_comments("<!--\nnote\n-->\n<b>x</b>"), "\n<b>x</b>");
        assert_eq!(without_comments("<!-->a<!--->b<!---->c"), "abc");
        assert_eq!(without_comments("a <!-- never closed"), "a ");
        assert_eq!(without_comments("no comment"), "no comment");
    }

    #[test]
    fn escaping_keeps_text_as_text() {
        assert_eq!(escape("a*b* [x](y) `c`", Mode::Block), "a\\*b\\* \\[x\\](y) \\`c\\`");
        assert_eq!(escape("__add_a_firewall", Mode::Block), "\\_\\_add_a_firewall");
        assert_eq!(escape("C:\\Users", Mode::Block), "C:\\\\Users");
        assert_eq!(escape("a|b", Mode::Cell), "a\\|b");
        assert_eq!(escape("a|b", Mode::Block), "a|b");
        assert_eq!(escape("AT&T &amp; <b> < 3", Mode::Block), "AT&T \\&amp; \\<b> < 3");
        assert_eq!(escape_line_start("# x"), "\\# x");
        assert_eq!(escape_line_start("1. x"), "1\\. x");
        assert_eq!(escape_line_start("2017. x"), "2017\\. x");
        assert_eq!(escape_line_start("3.5 GHz"), "3.5 GHz");
        assert_eq!(escape_line_start("- x"), "\\- x");
        assert_eq!(escape_line_start("-x"), "-x");
        assert_eq!(escape_line_start(":::zone"), "\\:::zone");
    }

    #[test]
    fn code_and_destinations() {
        assert_eq!(code_span("a`b", Mode::Block), "``a`b``");
        assert_eq!(code_span("`x`", Mode::Block), "`` `x` ``");
        assert_eq!(code_span("a|b", Mode::Cell), "`a\\|b`");
        assert_eq!(fenced(Some("powershell"), "Get-X\n"), "```powershell\nGet-X\n```");
        assert_eq!(fenced(None, "a\n\n"), "```\na\n\n```");
        assert_eq!(fenced(None, "```\nx"), "````\n```\nx\n````");
        assert_eq!(destination("a%20b.html#x"), "a%20b.html#x");
        assert_eq!(destination("http://x/a (b)"), "<http://x/a (b)>");
        assert_eq!(link_title("say \"hi\""), " \"say \\\"hi\\\"\"");
    }

    #[test]
    fn items_and_quotes() {
        assert_eq!(list_item("10. ", "first\n\nsecond"), "10. first\n\n    second");
        assert_eq!(quote("[!NOTE]\ntext\n\nmore"), "> [!NOTE]\n> text\n>\n> more");
    }
}
