//! The checklist of one article, built from the article model: what a person ticks off, in the
//! order they work, numbered `1.1`, `1.2`, `2.3.1` so that "see 2.3" points at one box on paper.
//!
//! Links are rewritten here, once, for every writer: a link to a part of this checklist becomes
//! "see 2.3", a link to another section of the article "see “title”", a link that leaves the
//! checklist keeps its text and gets a footnote number with the full URL (external ones also show a
//! short form of the URL inline). The writers then only lay out blocks and inlines.

use super::strings::Strings;
use crate::Book;
use crate::model::{
    AlertKind, Article, ArticleId, Block, EntryKind, Inline, List, ListItem, Procedure, SectionId, Step,
    Table, TableCell, TableRow, TroubleshootingEntry,
};
use crate::render::urls;
use crate::resolve::Resolved;
use crate::source::Span;
use std::collections::HashMap;

/// What kind of part of the article a checklist section comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SectionKind {
    /// Cause/resolution rows without an error message.
    Causes,
    /// Error messages (or symptoms), each with its causes and their procedures.
    Messages,
    /// A section of the article with numbered steps that no error message led to.
    Procedure,
    /// The article's "collect more information / get help" section.
    Escalation,
}

/// One numbered part of the checklist.
#[derive(Debug, Clone)]
pub struct Section {
    pub number: usize,
    pub kind: SectionKind,
    pub title: String,
    pub parts: Vec<Part>,
}

/// Content in reading order.
#[derive(Debug, Clone)]
pub enum Part {
    /// An error message or symptom, as a heading over its causes.
    Heading(Vec<Inline>),
    /// Context that is not ticked off: paragraphs, bullet lists, tables, code.
    Text(Vec<Block>),
    /// An alert of the article: IMPORTANT, WARNING and CAUTION boxed, NOTE and TIP kept short.
    Note {
        kind: AlertKind,
        blocks: Vec<Block>,
    },
    Item(Item),
}

/// One checkbox.
#[derive(Debug, Clone)]
pub struct Item {
    /// `2.3.1`.
    pub number: String,
    /// Bold text on the checkbox line (a cause); empty for a step, whose first paragraph is the line.
    pub lead: Vec<Inline>,
    pub parts: Vec<Part>,
}

/// The checklist of one article.
#[derive(Debug, Clone)]
pub struct Checklist {
    pub article: ArticleId,
    pub lang: String,
    pub title: String,
    /// The knowledge base's title (`[book] title`).
    pub kb_title: Option<String>,
    pub date: Option<String>,
    /// The first 8 hex digits of the SHA-256 of the article's Markdown twin (the JSON's
    /// `content_sha256`), so a printed sheet names the version it came from.
    pub version: String,
    /// The article's published URL: absolute under `site-url`, else relative to the site root.
    pub url: String,
    pub sections: Vec<Section>,
    /// Full URLs of the links that leave the checklist, numbered from 1 in order of appearance.
    pub footnotes: Vec<String>,
}

impl Checklist {
    /// Every checkbox, nested ones included.
    pub fn item_count(&self) -> usize {
        self.sections.iter().map(|s| count(&s.parts)).sum()
    }
}

fn count(parts: &[Part]) -> usize {
    parts.iter().map(|p| if let Part::Item(i) = p { 1 + count(&i.parts) } else { 0 }).sum()
}

/// Whether a heading names a "collect more information / get help" section (en-US and zh-CN
/// phrasings found in the corpus: "Collect more information and seek additional help",
/// "收集更多信息并寻求其他帮助", "是否仍需要帮助？请联系支持人员。").
pub fn is_escalation(title: &str) -> bool {
    const KEYS: &[&str] = &[
        "collect more information",
        "gather more information",
        "additional help",
        "more help",
        "get help",
        "still need help",
        "contact support",
        "contact microsoft support",
        "收集更多信息",
        "寻求其他帮助",
        "其他帮助",
        "需要帮助",
        "联系支持",
        "联系技术支持",
    ];
    let t = title.to_lowercase();
    KEYS.iter().any(|k| t.contains(k))
}

/// The checklist of article `id`, given with its content in `article`.
pub fn build(book: &Book, id: ArticleId, article: &Article, strings: &Strings, version: String) -> Checklist {
    let mut b = Builder {
        book,
        id,
        article,
        strings,
        refs: HashMap::new(),
        inlining: None,
        footnotes: Vec::new(),
        footnote_of: HashMap::new(),
    };
    let plan = b.plan();
    let sections = b.sections(&plan);
    Checklist {
        article: id,
        lang: article.locale.clone(),
        title: article.title.trim().to_string(),
        kb_title: book.config.book.title.clone(),
        date: article.meta.date.map(|d| d.to_string()),
        version,
        url: urls::public_url(
            book.config.output.html.site_url.as_deref(),
            &urls::page_path(article, "html"),
            None,
        ),
        sections,
        footnotes: b.footnotes,
    }
}

/// Where each part of the article goes, decided before any content is written so that links can
/// name items that come later.
struct Plan<'a> {
    causes: Vec<&'a TroubleshootingEntry>,
    /// Message groups in order: the rows of one error message or symptom.
    messages: Vec<Vec<&'a TroubleshootingEntry>>,
    any_error_message: bool,
    /// Sections with steps that no message inlines, in document order (`None`: the preamble).
    procedures: Vec<Option<SectionId>>,
    escalation: Option<SectionId>,
    /// Checklist section numbers, in order of the four kinds.
    numbers: [usize; 4],
}

struct Builder<'a> {
    book: &'a Book,
    id: ArticleId,
    article: &'a Article,
    strings: &'a Strings,
    /// What "see …" says for a section of this article: an item or section number.
    refs: HashMap<SectionId, String>,
    /// The section whose content is being inlined: a link to it needs no "see".
    inlining: Option<SectionId>,
    footnotes: Vec<String>,
    footnote_of: HashMap<String, usize>,
}

impl<'a> Builder<'a> {
    fn plan(&mut self) -> Plan<'a> {
        let a = self.article;
        let causes: Vec<&TroubleshootingEntry> =
            a.troubleshooting.iter().filter(|e| e.kind == EntryKind::Cause).collect();
        let mut messages: Vec<Vec<&TroubleshootingEntry>> = Vec::new();
        let mut group_index: HashMap<(usize, usize), usize> = HashMap::new();
        for e in a.troubleshooting.iter().filter(|e| e.kind != EntryKind::Cause) {
            let key = (e.table, e.group);
            let i = *group_index.entry(key).or_insert_with(|| {
                messages.push(Vec::new());
                messages.len() - 1
            });
            messages[i].push(e);
        }
        let any_error_message = a.troubleshooting.iter().any(|e| e.kind == EntryKind::ErrorMessage);

        let mut next = 1;
        let mut numbers = [0; 4];
        if !causes.is_empty() {
            numbers[0] = next;
            next += 1;
        }
        if !messages.is_empty() {
            numbers[1] = next;
            next += 1;
            let mut k = 0;
            for group in &messages {
                for e in group {
                    k += 1;
                    if let Some(s) = self.inlined(e) {
                        self.refs.entry(s).or_insert_with(|| format!("{}.{k}", numbers[1]));
                    }
                }
            }
        }
        let inlined: Vec<SectionId> = self.refs.keys().copied().collect();
        let escalation = (0..a.sections.len())
            .map(|i| SectionId(i as u32))
            .find(|s| !inlined.contains(s) && is_escalation(&a.section(*s).title));
        let mut procedures: Vec<Option<SectionId>> = Vec::new();
        for p in &a.procedures {
            let taken = p.section.is_some_and(|s| inlined.contains(&s) || Some(s) == escalation);
            if !taken && !procedures.contains(&p.section) {
                procedures.push(p.section);
            }
        }
        numbers[2] = next;
        for s in &procedures {
            if let Some(s) = s {
                self.refs.insert(*s, next.to_string());
            }
            next += 1;
        }
        if let Some(s) = escalation {
            numbers[3] = next;
            self.refs.insert(s, next.to_string());
        }
        Plan { causes, messages, any_error_message, procedures, escalation, numbers }
    }

    /// The section of this article whose steps a troubleshooting row's resolution leads to.
    fn inlined(&self, e: &TroubleshootingEntry) -> Option<SectionId> {
        e.procedure.filter(|p| p.article == self.id).map(|p| p.section)
    }

    fn sections(&mut self, plan: &Plan<'a>) -> Vec<Section> {
        let a = self.article;
        let s = self.strings;
        let mut out = Vec::new();
        if !plan.causes.is_empty() {
            let n = plan.numbers[0];
            let parts = plan
                .causes
                .iter()
                .enumerate()
                .map(|(k, e)| Part::Item(self.entry_item(e, format!("{n}.{}", k + 1), false)))
                .collect();
            out.push(Section { number: n, kind: SectionKind::Causes, title: s.common_causes.into(), parts });
        }
        if !plan.messages.is_empty() {
            let n = plan.numbers[1];
            let mut parts = Vec::new();
            let mut k = 0;
            for group in &plan.messages {
                if let Some(message) = group.first().and_then(|e| e.message.as_ref()) {
                    parts.push(Part::Heading(self.inlines(message)));
                }
                for e in group {
                    k += 1;
                    parts.push(Part::Item(self.entry_item(e, format!("{n}.{k}"), true)));
                }
            }
            let title = if plan.any_error_message { s.by_error_message } else { s.by_symptom };
            out.push(Section { number: n, kind: SectionKind::Messages, title: title.into(), parts });
        }
        for (i, section) in plan.procedures.iter().enumerate() {
            let n = plan.numbers[2] + i;
            let (title, blocks) = match section {
                Some(id) => (a.section(*id).title.trim().to_string(), &a.section(*id).blocks),
                None => (a.title.trim().to_string(), &a.preamble),
            };
            let mut counter = 0;
            let parts = self.walk(blocks, &n.to_string(), &mut counter);
            out.push(Section { number: n, kind: SectionKind::Procedure, title, parts });
        }
        if let Some(id) = plan.escalation {
            let n = plan.numbers[3];
            let mut counter = 0;
            let parts = self.walk(&a.section(id).blocks, &n.to_string(), &mut counter);
            let title = a.section(id).title.trim().to_string();
            out.push(Section { number: n, kind: SectionKind::Escalation, title, parts });
        }
        out
    }

    /// A troubleshooting row as one checkbox: the cause in bold, the resolution, then (for a row
    /// under an error message) the content of the section its resolution links to, steps as
    /// sub-checkboxes.
    fn entry_item(&mut self, e: &TroubleshootingEntry, number: String, inline_procedure: bool) -> Item {
        let target = if inline_procedure { self.inlined(e) } else { None };
        self.inlining = target;
        let lead = match (&e.cause, &e.message) {
            (Some(c), _) => self.inlines(c),
            (None, Some(m)) => self.inlines(m),
            (None, None) => Vec::new(),
        };
        let mut parts = Vec::new();
        if let Some(r) = &e.resolution {
            let mut r = self.inlines(r);
            if target.is_some() && has_text(&r) {
                // The resolution names the procedure whose steps follow.
                r.insert(0, Inline::Text { text: "→ ".to_string(), span: e.span });
            }
            if has_text(&r) {
                parts.push(Part::Text(vec![Block::Paragraph { inlines: r, span: e.span }]));
            }
        }
        if let Some(id) = target {
            let a = self.article;
            let mut counter = 0;
            parts.extend(self.walk(&a.section(id).blocks, &number, &mut counter));
        }
        self.inlining = None;
        Item { number, lead, parts }
    }

    /// The content of a block list (a section's own blocks): procedures become numbered items
    /// (`prefix.1`, `prefix.2`, … counted by `counter` across the procedures of the list), alerts
    /// become notes, navigation and anchors go, the rest is context.
    fn walk(&mut self, blocks: &[Block], prefix: &str, counter: &mut usize) -> Vec<Part> {
        let mut parts: Vec<Part> = Vec::new();
        let mut skip_table = false;
        for block in blocks {
            if std::mem::take(&mut skip_table) && matches!(block, Block::Table(_)) {
                // The table right after a procedure belongs to its last step.
                continue;
            }
            match block {
                Block::List(list @ List { start: Some(_), .. }) => match self.procedure(list) {
                    Some(p) => {
                        for step in &p.steps {
                            *counter += 1;
                            parts.push(Part::Item(self.step_item(step, format!("{prefix}.{counter}"))));
                        }
                        skip_table = p.steps.last().is_some_and(|s| !s.attached.is_empty());
                    }
                    None => push_text(&mut parts, self.block(block)),
                },
                Block::Alert { kind, blocks: inner, .. } => parts.push(self.note(kind, inner)),
                Block::Container { blocks: inner, .. } | Block::Div { blocks: inner, .. } => {
                    let inner = self.walk(inner, prefix, counter);
                    for p in inner {
                        match p {
                            Part::Text(b) => push_text(&mut parts, b),
                            other => parts.push(other),
                        }
                    }
                }
                Block::Paragraph { inlines, .. } if self.is_navigation(inlines) => {}
                _ => push_text(&mut parts, self.block(block)),
            }
        }
        parts
    }

    fn procedure(&self, list: &List) -> Option<&'a Procedure> {
        self.article.procedures.iter().find(|p| p.span == list.span)
    }

    fn step_item(&mut self, step: &Step, number: String) -> Item {
        let mut parts = Vec::new();
        for block in &step.blocks {
            match block {
                Block::Alert { kind, blocks, .. } => parts.push(self.note(kind, blocks)),
                other => push_text(&mut parts, self.block(other)),
            }
        }
        for (j, sub) in step.substeps.iter().enumerate() {
            parts.push(Part::Item(self.step_item(sub, format!("{number}.{}", j + 1))));
        }
        for block in &step.attached {
            push_text(&mut parts, self.block(block));
        }
        Item { number, lead: Vec::new(), parts }
    }

    fn note(&mut self, kind: &AlertKind, blocks: &[Block]) -> Part {
        let short = matches!(kind, AlertKind::Note | AlertKind::Tip | AlertKind::Custom(_));
        // NOTE and TIP are asides on paper: their first paragraph is enough.
        let blocks: Vec<Block> = if short {
            blocks
                .iter()
                .find(|b| matches!(b, Block::Paragraph { .. }))
                .into_iter()
                .flat_map(|b| self.block(b))
                .collect()
        } else {
            blocks.iter().flat_map(|b| self.block(b)).collect()
        };
        Part::Note { kind: kind.clone(), blocks }
    }

    /// A paragraph that is only a link within the article ("back to top", an in-page table of
    /// contents): it has no use on paper.
    fn is_navigation(&self, inlines: &[Inline]) -> bool {
        let mut links = 0;
        for i in inlines {
            match i {
                Inline::Link { link, .. } => match self.resolved(*link) {
                    Some(Resolved::Article { article, .. }) if *article == self.id => links += 1,
                    _ => return false,
                },
                Inline::Text { text, .. } if text.trim().is_empty() => {}
                Inline::SoftBreak { .. } | Inline::LineBreak { .. } | Inline::Html { .. } => {}
                _ => return false,
            }
        }
        links > 0
    }

    fn resolved(&self, link: crate::model::LinkId) -> Option<&'a Resolved> {
        self.book.resolution.links.get(self.id.0 as usize)?.get(link.0 as usize)
    }

    /// A block with its links rewritten; nothing for blocks that do not print (anchors, include
    /// markers, footnote definitions, empty raw HTML).
    fn block(&mut self, block: &Block) -> Vec<Block> {
        match block {
            Block::Paragraph { inlines, span } => {
                let inlines = self.inlines(inlines);
                if has_text(&inlines) { vec![Block::Paragraph { inlines, span: *span }] } else { Vec::new() }
            }
            Block::List(l) => vec![Block::List(List {
                start: l.start,
                items: l
                    .items
                    .iter()
                    .map(|i| ListItem {
                        blocks: i.blocks.iter().flat_map(|b| self.block(b)).collect(),
                        checked: i.checked,
                        span: i.span,
                    })
                    .collect(),
                span: l.span,
            })],
            Block::Table(t) => vec![Block::Table(Table {
                alignments: t.alignments.clone(),
                header: self.row(&t.header),
                rows: t.rows.iter().map(|r| self.row(r)).collect(),
                span: t.span,
            })],
            Block::Alert { kind, blocks, span } => {
                vec![Block::Alert {
                    kind: kind.clone(),
                    blocks: blocks.iter().flat_map(|b| self.block(b)).collect(),
                    span: *span,
                }]
            }
            Block::BlockQuote { blocks, span } => {
                vec![Block::BlockQuote {
                    blocks: blocks.iter().flat_map(|b| self.block(b)).collect(),
                    span: *span,
                }]
            }
            Block::Code { .. } | Block::ThematicBreak { .. } => vec![block.clone()],
            Block::Html { html, span } => {
                let text = strip_tags(html);
                if text.trim().is_empty() {
                    Vec::new()
                } else {
                    vec![Block::Paragraph { inlines: vec![Inline::Text { text, span: *span }], span: *span }]
                }
            }
            Block::DocfxImage { alt, span, .. } => image_text(alt, *span)
                .map(|i| vec![Block::Paragraph { inlines: vec![i], span: *span }])
                .unwrap_or_default(),
            Block::Container { blocks, .. } | Block::Div { blocks, .. } => {
                blocks.iter().flat_map(|b| self.block(b)).collect()
            }
            Block::Video { url, span } => {
                let mut inlines = vec![Inline::Text { text: self.strings.video.to_string(), span: *span }];
                self.external(url, false, *span, &mut inlines);
                vec![Block::Paragraph { inlines, span: *span }]
            }
            Block::FootnoteDefinition { .. } | Block::Include { .. } => Vec::new(),
        }
    }

    fn row(&mut self, row: &TableRow) -> TableRow {
        TableRow {
            cells: row
                .cells
                .iter()
                .map(|c| TableCell { inlines: self.inlines(&c.inlines), span: c.span })
                .collect(),
            span: row.span,
        }
    }

    fn inlines(&mut self, inlines: &[Inline]) -> Vec<Inline> {
        let mut out = Vec::with_capacity(inlines.len());
        for i in inlines {
            self.inline(i, &mut out);
        }
        out
    }

    fn inline(&mut self, inline: &Inline, out: &mut Vec<Inline>) {
        match inline {
            Inline::Strong { children, span } => {
                out.push(Inline::Strong { children: self.inlines(children), span: *span })
            }
            Inline::Emphasis { children, span } => {
                out.push(Inline::Emphasis { children: self.inlines(children), span: *span })
            }
            Inline::Strikethrough { children, span } => {
                out.push(Inline::Strikethrough { children: self.inlines(children), span: *span })
            }
            Inline::Link { link, children, span } => {
                let text = self.inlines(children);
                let shown = crate::parse::plain_text(&text);
                out.extend(text);
                self.link(*link, &shown, *span, out);
            }
            Inline::Image { alt, span, .. } => out.extend(image_text(alt, *span)),
            // Raw HTML inlines are tags (`<b>`, `<a name>`): their text is already Text; a `<br>`
            // still breaks the line.
            Inline::Html { html, span } => {
                if html.trim_start().to_ascii_lowercase().starts_with("<br") {
                    out.push(Inline::LineBreak { span: *span });
                }
            }
            // The article's own footnotes are not carried over; their markers would dangle.
            Inline::FootnoteRef { .. } => {}
            other => out.push(other.clone()),
        }
    }

    /// What follows a link's text on paper.
    fn link(&mut self, link: crate::model::LinkId, shown: &str, span: Span, out: &mut Vec<Inline>) {
        let s = self.strings;
        match self.resolved(link) {
            Some(Resolved::Article { article, section, .. }) if *article == self.id => {
                let Some(section) = section else { return };
                if Some(*section) == self.inlining {
                    return;
                }
                let title = self.article.section(*section).title.trim();
                let what = match self.refs.get(section) {
                    Some(n) => n.clone(),
                    // The link text already names the section: repeating it adds nothing.
                    None if squeeze(shown) == squeeze(title) => return,
                    None => format!("{}{title}{}", s.open_quote, s.close_quote),
                };
                out.push(Inline::Text {
                    text: format!("{}{}{what}{}", s.see_open, s.see, s.see_close),
                    span,
                });
            }
            Some(Resolved::Article { article, fragment, .. }) => {
                let to = &self.book.articles[article.0 as usize];
                let site_url = self.book.config.output.html.site_url.as_deref();
                let url = urls::public_url(site_url, &urls::page_path(to, "html"), fragment.as_deref());
                self.footnote(url, span, out);
            }
            Some(Resolved::File { path }) => {
                let site_url = self.book.config.output.html.site_url.as_deref();
                self.footnote(urls::public_url(site_url, path, None), span, out);
            }
            Some(Resolved::External { url }) => self.external(url, shown.trim() == url.trim(), span, out),
            Some(Resolved::Mailto { address }) if shown.trim() != address.trim() => {
                out.push(Inline::Text { text: format!(" <{address}>"), span });
            }
            _ => {}
        }
    }

    /// An external URL: its short form (unless the text already is the URL) and a footnote.
    fn external(&mut self, url: &str, text_is_url: bool, span: Span, out: &mut Vec<Inline>) {
        if !text_is_url {
            out.push(Inline::Text { text: format!(" ({})", short_url(url)), span });
        }
        self.footnote(url.to_string(), span, out);
    }

    fn footnote(&mut self, url: String, span: Span, out: &mut Vec<Inline>) {
        let n = match self.footnote_of.get(&url) {
            Some(n) => *n,
            None => {
                self.footnotes.push(url.clone());
                self.footnote_of.insert(url, self.footnotes.len());
                self.footnotes.len()
            }
        };
        out.push(Inline::FootnoteRef { label: n.to_string(), span });
    }
}

/// Text without white space, for comparing a link's text with a title.
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn push_text(parts: &mut Vec<Part>, blocks: Vec<Block>) {
    if blocks.is_empty() {
        return;
    }
    match parts.last_mut() {
        Some(Part::Text(b)) => b.extend(blocks),
        _ => parts.push(Part::Text(blocks)),
    }
}

fn has_text(inlines: &[Inline]) -> bool {
    inlines.iter().any(|i| match i {
        Inline::Text { text, .. } => !text.trim().is_empty(),
        Inline::LineBreak { .. } | Inline::SoftBreak { .. } | Inline::Html { .. } => false,
        Inline::Strong { children, .. }
        | Inline::Emphasis { children, .. }
        | Inline::Strikethrough { children, .. } => has_text(children),
        _ => true,
    })
}

/// Inlines without their bold (for text that is set in bold as a whole).
pub fn unstrong(inlines: &[Inline]) -> Vec<Inline> {
    let mut out = Vec::new();
    for i in inlines {
        match i {
            Inline::Strong { children, .. } => out.extend(unstrong(children)),
            Inline::Emphasis { children, span } => {
                out.push(Inline::Emphasis { children: unstrong(children), span: *span })
            }
            other => out.push(other.clone()),
        }
    }
    out
}

fn image_text(alt: &str, span: Span) -> Option<Inline> {
    let alt = alt.trim();
    (!alt.is_empty()).then(|| Inline::Text { text: format!("[{alt}]"), span })
}

/// The text of raw HTML without its tags (entities left as written: the text is escaped later).
fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A URL short enough to read and type from paper: scheme and `www.` dropped, the path cut to its
/// first and last parts. The footnote has the full URL.
pub fn short_url(url: &str) -> String {
    const MAX: usize = 40;
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    let rest = rest.trim_end_matches('/');
    if rest.chars().count() <= MAX {
        return rest.to_string();
    }
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let last = path.rsplit(['/', '?', '=', '&']).find(|p| !p.is_empty()).unwrap_or("");
    // A long last part (a GUID) is cut: the footnote has it whole.
    let last: String = if last.chars().count() > 20 {
        last.chars().take(12).chain(std::iter::once('…')).collect()
    } else {
        last.to_string()
    };
    let host: String = host.chars().take(MAX).collect();
    if last.is_empty() { format!("{host}/…") } else { format!("{host}/…/{last}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_urls() {
        assert_eq!(short_url("https://www.example.com/a"), "example.com/a");
        assert_eq!(
            short_url("http://go.microsoft.com/fwlink/?linkid=3052&amp;kbid=816042"),
            "go.microsoft.com/…/816042"
        );
        assert_eq!(
            short_url("https://technet.microsoft.com/en-us/library/hh967642.aspx"),
            "technet.microsoft.com/…/hh967642.aspx"
        );
    }

    #[test]
    fn escalation_headings() {
        assert!(is_escalation("Collect more information and seek additional help"));
        assert!(is_escalation("收集更多信息并寻求其他帮助"));
        assert!(is_escalation("是否仍需要帮助？请联系支持人员。"));
        assert!(!is_escalation("Use the Microsoft Support troubleshooting guide"));
        assert!(!is_escalation("收集日志"));
    }

    #[test]
    fn tags_are_stripped() {
        assert_eq!(strip_tags("<a name=\"x\"> </a>"), "");
        assert_eq!(strip_tags("<p>Hello <b>you</b></p>"), "Hello you");
    }
}
