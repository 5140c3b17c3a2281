//! An article's body: the model's blocks and inlines, walked into HTML. Never re-parses Markdown.
//!
//! **Invariant:** every anchor of the article becomes an `id` on the page, spelled as in the source,
//! and no id is written twice (the first one in document order wins).

use super::sanitize::{self, RawUrl, Sanitizer, escape};
use super::strings::Strings;
use crate::Book;
use crate::model::{
    AlertKind, Alignment, Article, ArticleId, Block, Inline, LinkRole, LinkTarget, List, Section, SectionId,
    Table, TroubleshootingEntry,
};
use crate::render::urls::{self, Href};
use crate::source::Span;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

/// One entry of the in-page table of contents.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TocEntry {
    pub level: u8,
    pub title: String,
    /// `#id`.
    pub href: String,
}

/// What rendering an article's body gives.
pub struct Body {
    /// The title heading (`<h1>`), shown above the metadata line.
    pub heading: String,
    /// Everything else.
    pub html: String,
    pub toc: Vec<TocEntry>,
    /// Every id written, for checks.
    pub ids: HashSet<String>,
    /// Links kept as written (broken, or not checked by rule): they are marked `kbc-unresolved`.
    pub unresolved: usize,
}

/// Ids the page layout uses; content cannot take them.
pub const RESERVED_IDS: &[&str] =
    &["kbc-top", "kbc-main", "kbc-nav", "kbc-toc", "kbc-search", "kbc-search-input", "kbc-search-results"];

struct Cx<'a> {
    book: &'a Book,
    id: ArticleId,
    article: &'a Article,
    sanitizer: &'a Sanitizer,
    strings: &'a Strings,
    iframe_hosts: &'a [String],
    ids: HashSet<String>,
    /// Troubleshooting entries by (table, row).
    entries: HashMap<(usize, usize), &'a TroubleshootingEntry>,
    /// Ordered-list spans that are procedures.
    procedures: HashSet<(u32, u32, u32)>,
    tables: usize,
    unresolved: usize,
    /// Links written in raw HTML, by value, in order.
    raw_links: HashMap<&'a str, Vec<usize>>,
}

/// Renders the body of article `id`, given with its content in `article`.
pub fn render(
    book: &Book,
    id: ArticleId,
    article: &Article,
    sanitizer: &Sanitizer,
    strings: &Strings,
) -> Body {
    let mut raw_links: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, l) in article.links.iter().enumerate() {
        if matches!(l.role, LinkRole::HtmlLink | LinkRole::HtmlImage | LinkRole::HtmlFrame) {
            raw_links.entry(l.dest.as_str()).or_default().push(i);
        }
    }
    let mut cx = Cx {
        book,
        id,
        article,
        sanitizer,
        strings,
        iframe_hosts: &book.config.output.html.iframe_hosts,
        ids: RESERVED_IDS.iter().map(|s| s.to_string()).collect(),
        entries: article.troubleshooting.iter().map(|e| ((e.table, e.row), e)).collect(),
        procedures: article.procedures.iter().map(|p| key(p.span)).collect(),
        tables: 0,
        unresolved: 0,
        raw_links,
    };
    let mut out = String::with_capacity(8 * 1024);
    let mut heading = String::new();
    let mut toc = Vec::new();
    // The first `# Title` is the page title; without one, the article's title is.
    let title = article.sections.iter().position(|s| s.level == 1 && !s.title.trim().is_empty());
    if title.is_none() {
        let _ = writeln!(heading, "<h1>{}</h1>", escape(&article.title));
    }
    cx.blocks(&article.preamble, &mut out);
    cx.orphan_anchors(None, &mut out);
    for (i, section) in article.sections.iter().enumerate() {
        let sid = SectionId(i as u32);
        let target = if Some(i) == title { &mut heading } else { &mut out };
        cx.heading(section, target, &mut toc);
        cx.blocks(&section.blocks, &mut out);
        cx.orphan_anchors(Some(sid), &mut out);
    }
    for id in RESERVED_IDS {
        cx.ids.remove(*id);
    }
    Body { heading, html: out, toc, ids: cx.ids, unresolved: cx.unresolved }
}

fn key(span: Span) -> (u32, u32, u32) {
    (span.file.0, span.start, span.end)
}

impl Cx<'_> {
    /// Records `id`; false when the page already has it.
    fn claim(&mut self, id: &str) -> bool {
        !id.is_empty() && self.ids.insert(id.to_string())
    }

    fn heading(&mut self, section: &Section, out: &mut String, toc: &mut Vec<TocEntry>) {
        let level = section.level.clamp(1, 6);
        let empty = section.title.trim().is_empty() && section.heading.is_empty();
        let primary = section.id.clone().filter(|id| self.claim(id));
        let others: Vec<String> =
            section.anchors.iter().filter(|a| Some(*a) != section.id.as_ref()).cloned().collect();
        if empty {
            // An empty heading (DocFX's `## ` before a footer anchor): anchors only, no heading.
            for id in primary.iter().chain(&others) {
                if primary.as_ref() == Some(id) || self.claim(id) {
                    let _ = write!(out, "<span id=\"{}\"></span>", escape(id));
                }
            }
            out.push('\n');
            return;
        }
        match &primary {
            Some(id) => {
                let _ = write!(out, "<h{level} id=\"{}\">", escape(id));
            }
            None => {
                let _ = write!(out, "<h{level}>");
            }
        }
        for id in &others {
            if self.claim(id) {
                let _ = write!(out, "<span id=\"{}\"></span>", escape(id));
            }
        }
        let inner = self.inlines_html(&section.heading);
        out.push_str(&inner);
        if let Some(id) = &primary
            && level > 1
        {
            let _ = write!(
                out,
                "<a class=\"kbc-self\" href=\"#{}\" aria-label=\"{}\">#</a>",
                escape(&urls::encode(id)),
                escape(&format!("{}: {}", self.strings.link_to_section, section.title))
            );
        }
        let _ = writeln!(out, "</h{level}>");
        if let Some(id) = primary
            && (2..=3).contains(&level)
        {
            toc.push(TocEntry {
                level,
                title: section.title.clone(),
                href: format!("#{}", urls::encode(&id)),
            });
        }
    }

    /// Anchors of a section (or the preamble) that the blocks did not write: kept as empty spans so
    /// that deep links still land in the right place.
    fn orphan_anchors(&mut self, section: Option<SectionId>, out: &mut String) {
        let article = self.article;
        for a in article.anchors.iter().filter(|a| a.section == section) {
            if self.claim(&a.id) {
                let _ = write!(out, "<span id=\"{}\"></span>", escape(&a.id));
            }
        }
    }

    fn blocks(&mut self, blocks: &[Block], out: &mut String) {
        for b in blocks {
            self.block(b, out);
        }
    }

    fn block(&mut self, block: &Block, out: &mut String) {
        match block {
            Block::Paragraph { inlines, .. } => {
                let inner = self.inlines_html(inlines);
                if !inner.trim().is_empty() {
                    let _ = writeln!(out, "<p>{inner}</p>");
                }
            }
            Block::List(list) => self.list(list, out),
            Block::Table(table) => self.table(table, out),
            Block::Alert { kind, blocks, .. } => {
                let (class, label) = match kind {
                    AlertKind::Note => ("note", self.strings.note),
                    AlertKind::Tip => ("tip", self.strings.tip),
                    AlertKind::Important => ("important", self.strings.important),
                    AlertKind::Warning => ("warning", self.strings.warning),
                    AlertKind::Caution => ("caution", self.strings.caution),
                    AlertKind::Custom(name) => {
                        let _ = writeln!(
                            out,
                            "<div class=\"kbc-alert kbc-alert-custom\" role=\"note\" aria-label=\"{0}\"><p class=\"kbc-alert-title\">{0}</p>",
                            escape(name)
                        );
                        self.blocks(blocks, out);
                        out.push_str("</div>\n");
                        return;
                    }
                };
                let _ = writeln!(
                    out,
                    "<div class=\"kbc-alert kbc-alert-{class}\" role=\"note\" aria-label=\"{label}\"><p class=\"kbc-alert-title\">{label}</p>"
                );
                self.blocks(blocks, out);
                out.push_str("</div>\n");
            }
            Block::BlockQuote { blocks, .. } => {
                out.push_str("<blockquote>\n");
                self.blocks(blocks, out);
                out.push_str("</blockquote>\n");
            }
            Block::Code { lang, code, .. } => {
                match lang.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
                    Some(l) => {
                        let l: String = l
                            .chars()
                            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+'))
                            .collect();
                        let _ = write!(out, "<pre><code class=\"language-{l}\">");
                    }
                    None => out.push_str("<pre><code>"),
                }
                out.push_str(&escape(code));
                out.push_str("</code></pre>\n");
            }
            Block::Html { html, span } => {
                let rewritten = self.rewrite_raw(html, *span);
                let clean = self.sanitizer.clean(&rewritten);
                let clean = sanitize::dedupe_ids(clean, &mut self.ids);
                out.push_str(&clean);
                out.push('\n');
            }
            Block::ThematicBreak { .. } => out.push_str("<hr>\n"),
            Block::DocfxImage { link, lightbox, alt, .. } => {
                out.push_str("<figure class=\"kbc-figure\">");
                // As DocFX does: a click on the image opens its `lightbox` image.
                // Only to an image that exists (a broken one is reported, and left out here).
                let larger = lightbox.and_then(|l| match urls::href(self.book, self.id, l, "html") {
                    Href::Internal(u) | Href::External(u) => Some(u),
                    Href::AsWritten(_) => None,
                });
                if let Some(href) = &larger {
                    let _ = write!(out, "<a class=\"kbc-lightbox\" href=\"{}\">", escape(href));
                }
                self.image(link.0 as usize, alt, out);
                if larger.is_some() {
                    out.push_str("</a>");
                }
                out.push_str("</figure>\n");
            }
            Block::Container { args, blocks, kind, .. } => {
                let name = match kind {
                    crate::model::ContainerKind::Zone => "zone",
                    crate::model::ContainerKind::Moniker => "moniker",
                    crate::model::ContainerKind::Row => "row",
                    crate::model::ContainerKind::Column => "column",
                    crate::model::ContainerKind::Other(_) => "other",
                };
                let _ = write!(out, "<div class=\"kbc-container kbc-{name}\"");
                if !args.trim().is_empty() {
                    let _ = write!(out, " data-args=\"{}\"", escape(args.trim()));
                }
                out.push_str(">\n");
                self.blocks(blocks, out);
                out.push_str("</div>\n");
            }
            Block::Div { args, blocks, .. } => {
                // `[!div class="nextstepaction"]`: the theme may style DocFX's classes.
                out.push_str("<div class=\"kbc-div");
                for class in div_classes(args) {
                    out.push(' ');
                    out.push_str(&class);
                }
                out.push_str("\">\n");
                self.blocks(blocks, out);
                out.push_str("</div>\n");
            }
            Block::Video { url, .. } => {
                let url = url.trim();
                if sanitize::iframe_allowed(self.iframe_hosts, url) {
                    let _ = writeln!(
                        out,
                        "<div class=\"kbc-video\"><iframe src=\"{}\" title=\"{}\" loading=\"lazy\" allowfullscreen></iframe></div>",
                        escape(url),
                        self.strings.video
                    );
                } else if url.starts_with("https://") || url.starts_with("http://") {
                    let _ = writeln!(
                        out,
                        "<p class=\"kbc-video-link\"><a class=\"kbc-ext\" href=\"{0}\">{1}: {0}</a></p>",
                        escape(url),
                        self.strings.video
                    );
                } else if !url.is_empty() {
                    // A video named by its id (`[!VIDEO 4f91...]`), which only Microsoft Learn's
                    // video service turns into a player: say that a video stood here.
                    let _ = writeln!(
                        out,
                        "<p class=\"kbc-video-link\">{}: {}</p>",
                        self.strings.video,
                        escape(url)
                    );
                }
            }
            Block::FootnoteDefinition { label, blocks, .. } => {
                let id = if self.claim(label) { format!(" id=\"{}\"", escape(label)) } else { String::new() };
                let _ = writeln!(
                    out,
                    "<div class=\"kbc-footnote\"{id}><span class=\"kbc-footnote-label\">{}</span>",
                    escape(label)
                );
                self.blocks(blocks, out);
                out.push_str("</div>\n");
            }
            Block::Include { .. } => {}
        }
    }

    fn list(&mut self, list: &List, out: &mut String) {
        match list.start {
            Some(start) => {
                let class =
                    if self.procedures.contains(&key(list.span)) { " class=\"kbc-steps\"" } else { "" };
                if start == 1 {
                    let _ = writeln!(out, "<ol{class}>");
                } else {
                    let _ = writeln!(out, "<ol{class} start=\"{start}\">");
                }
            }
            None => out.push_str("<ul>\n"),
        }
        for item in &list.items {
            out.push_str("<li>");
            if let Some(checked) = item.checked {
                out.push_str(if checked {
                    "<input type=\"checkbox\" disabled checked> "
                } else {
                    "<input type=\"checkbox\" disabled> "
                });
            }
            // A tight item's single paragraph renders without <p>, as CommonMark does.
            match item.blocks.as_slice() {
                [Block::Paragraph { inlines, .. }] => out.push_str(&self.inlines_html(inlines)),
                blocks => {
                    out.push('\n');
                    self.blocks(blocks, out);
                }
            }
            out.push_str("</li>\n");
        }
        out.push_str(if list.start.is_some() { "</ol>\n" } else { "</ul>\n" });
    }

    fn table(&mut self, table: &Table, out: &mut String) {
        let index = self.tables;
        self.tables += 1;
        let _ = writeln!(
            out,
            "<div class=\"kbc-table\" role=\"region\" tabindex=\"0\" aria-label=\"{}\"><table>",
            self.strings.table
        );
        let align = |i: usize| match table.alignments.get(i) {
            Some(Alignment::Left) => " class=\"kbc-l\"",
            Some(Alignment::Center) => " class=\"kbc-c\"",
            Some(Alignment::Right) => " class=\"kbc-r\"",
            _ => "",
        };
        if !table.header.cells.is_empty() {
            out.push_str("<thead><tr>");
            for (i, cell) in table.header.cells.iter().enumerate() {
                let inner = self.inlines_html(&cell.inlines);
                let _ = write!(out, "<th scope=\"col\"{}>{inner}</th>", align(i));
            }
            out.push_str("</tr></thead>\n");
        }
        out.push_str("<tbody>\n");
        for (r, row) in table.rows.iter().enumerate() {
            match self.entries.get(&(index, r)).copied() {
                Some(entry) => {
                    let anchor = urls::entry_anchor(entry);
                    let title = entry.message_text.as_deref().or(entry.cause_text.as_deref()).unwrap_or("");
                    if self.claim(&anchor) {
                        let _ = write!(out, "<tr id=\"{}\"", escape(&anchor));
                        if !title.trim().is_empty() {
                            let _ = write!(out, " data-pagefind-title=\"{}\"", escape(title.trim()));
                        }
                        out.push('>');
                    } else {
                        out.push_str("<tr>");
                    }
                }
                None => out.push_str("<tr>"),
            }
            for (i, cell) in row.cells.iter().enumerate() {
                let inner = self.inlines_html(&cell.inlines);
                let _ = write!(out, "<td{}>{inner}</td>", align(i));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody></table></div>\n");
    }

    /// Inline content as HTML. When it holds raw HTML, the whole run is cleaned by the sanitizer.
    fn inlines_html(&mut self, inlines: &[Inline]) -> String {
        let mut out = String::new();
        let raw = has_raw(inlines);
        self.inlines(inlines, &mut out);
        if raw {
            let clean = self.sanitizer.clean(&out);
            sanitize::dedupe_ids(clean, &mut self.ids)
        } else {
            out
        }
    }

    fn inlines(&mut self, inlines: &[Inline], out: &mut String) {
        for (i, inline) in inlines.iter().enumerate() {
            match inline {
                Inline::Text { text, .. } => out.push_str(&escape(text)),
                Inline::Code { code, .. } => {
                    let _ = write!(out, "<code>{}</code>", escape(code));
                }
                Inline::Strong { children, .. } => {
                    out.push_str("<strong>");
                    self.inlines(children, out);
                    out.push_str("</strong>");
                }
                Inline::Emphasis { children, .. } => {
                    out.push_str("<em>");
                    self.inlines(children, out);
                    out.push_str("</em>");
                }
                Inline::Strikethrough { children, .. } => {
                    out.push_str("<del>");
                    self.inlines(children, out);
                    out.push_str("</del>");
                }
                Inline::Link { link, children, .. } => self.link(link.0 as usize, children, out),
                Inline::Image { link, alt, .. } => self.image(link.0 as usize, alt, out),
                Inline::LineBreak { .. } => out.push_str("<br>"),
                Inline::SoftBreak { .. } => {
                    let before = i.checked_sub(1).and_then(|j| last_char(&inlines[j]));
                    let after = inlines.get(i + 1).and_then(first_char);
                    if !(before.is_some_and(is_cjk) && after.is_some_and(is_cjk)) {
                        out.push('\n');
                    }
                }
                Inline::Html { html, span } => {
                    let rewritten = self.rewrite_raw(html, *span);
                    out.push_str(&rewritten);
                }
                Inline::FootnoteRef { label, .. } => {
                    let _ = write!(
                        out,
                        "<sup class=\"kbc-fnref\"><a href=\"#{}\">{}</a></sup>",
                        escape(&urls::encode(label)),
                        escape(label)
                    );
                }
            }
        }
    }

    /// The href of link `index` and whether it is external, or `None` when it must not be a link.
    fn href(&mut self, index: usize) -> (Option<String>, &'static str) {
        let link = &self.article.links[index];
        if matches!(link.target, LinkTarget::Unsafe { .. } | LinkTarget::Empty) {
            self.unresolved += 1;
            return (None, "kbc-unresolved");
        }
        // A DocFX tab label (`# [Title](#tab/id)`): the site shows each tab's content in its
        // section, under the label, so the title is text, not a link to nowhere.
        if matches!(&link.target, LinkTarget::Fragment { fragment } if fragment.starts_with("tab/")) {
            return (None, "kbc-tab");
        }
        // DocFX's xref service resolves these to API pages; a knowledge base has none to link to.
        if matches!(link.target, LinkTarget::Xref { .. }) {
            return (None, "kbc-xref");
        }
        match urls::href(self.book, self.id, crate::model::LinkId(index as u32), "html") {
            Href::Internal(u) => (Some(u), ""),
            Href::External(u) => (Some(u), "kbc-ext"),
            Href::AsWritten(u) => {
                self.unresolved += 1;
                (Some(u), "kbc-unresolved")
            }
        }
    }

    fn link(&mut self, index: usize, children: &[Inline], out: &mut String) {
        let (href, class) = self.href(index);
        let is_link = href.is_some();
        match href {
            Some(href) => {
                let _ = write!(out, "<a href=\"{}\"", escape(&href));
                if !class.is_empty() {
                    let _ = write!(out, " class=\"{class}\"");
                }
            }
            None => {
                let _ = write!(out, "<span class=\"{class}\"");
            }
        }
        if let Some(t) = self.article.links[index].title.as_deref().filter(|t| !t.is_empty()) {
            let _ = write!(out, " title=\"{}\"", escape(t));
        }
        out.push('>');
        self.inlines(children, out);
        out.push_str(if is_link { "</a>" } else { "</span>" });
    }

    fn image(&mut self, index: usize, alt: &str, out: &mut String) {
        let Some(link) = self.article.links.get(index) else { return };
        let (src, class) = self.href(index);
        let Some(src) = src else {
            let _ = write!(out, "<span class=\"kbc-unresolved\">{}</span>", escape(alt));
            return;
        };
        let _ = write!(out, "<img src=\"{}\" alt=\"{}\" loading=\"lazy\"", escape(&src), escape(alt));
        if class == "kbc-unresolved" {
            out.push_str(" class=\"kbc-unresolved\"");
        }
        if let Some(t) = link.title.as_deref().filter(|t| !t.is_empty()) {
            let _ = write!(out, " title=\"{}\"", escape(t));
        }
        out.push('>');
    }

    /// Rewrites one raw HTML piece: `href`/`src` to output URLs (the links the parser found in it,
    /// matched by value and position), `<a name>` to ids.
    fn rewrite_raw(&mut self, html: &str, span: Span) -> String {
        let book = self.book;
        let id = self.id;
        let article = self.article;
        let raw_links = &self.raw_links;
        let mut unresolved = 0;
        let out = sanitize::rewrite(html, |_, _, value| {
            let Some(candidates) = raw_links.get(value) else { return RawUrl::Keep };
            let found = candidates.iter().find(|&&i| {
                let s = article.links[i].span;
                s.file == span.file && s.start >= span.start && s.end <= span.end
            });
            let Some(&index) = found.or_else(|| candidates.first()) else { return RawUrl::Keep };
            match urls::href(book, id, crate::model::LinkId(index as u32), "html") {
                Href::Internal(u) | Href::External(u) => RawUrl::Rewrite(u),
                Href::AsWritten(_) => {
                    unresolved += 1;
                    RawUrl::Unresolved
                }
            }
        });
        self.unresolved += unresolved;
        out
    }
}

fn has_raw(inlines: &[Inline]) -> bool {
    inlines.iter().any(|i| match i {
        Inline::Html { .. } => true,
        Inline::Strong { children, .. }
        | Inline::Emphasis { children, .. }
        | Inline::Strikethrough { children, .. }
        | Inline::Link { children, .. } => has_raw(children),
        _ => false,
    })
}

fn last_char(i: &Inline) -> Option<char> {
    match i {
        Inline::Text { text, .. } => text.chars().next_back(),
        _ => None,
    }
}

fn first_char(i: &Inline) -> Option<char> {
    match i {
        Inline::Text { text, .. } => text.chars().next(),
        _ => None,
    }
}

/// CJK ideographs and punctuation, between which a line break in the source is not a space.
fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

/// The classes of a `[!div class="a b"]` (its attributes read as a tag's), those made of letters,
/// digits, `-` and `_` only (anything else would need escaping in an attribute, and no theme could
/// mean it).
fn div_classes(args: &str) -> Vec<String> {
    let tags = crate::parse::html::tags(&format!("<div {args}>"));
    let value = tags.first().and_then(|t| t.attr("class")).and_then(|a| a.value.as_deref()).unwrap_or("");
    value
        .split_whitespace()
        .filter(|c| c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .map(str::to_string)
        .collect()
}
