//! The checklist as a GitHub task list (`- [ ] **2.1** …`), for tickets and chat. Blocks and
//! inlines go through the Markdown twin's renderer ([`crate::render::markdown`]), so escaping and
//! tables are the same as in the twin.

use super::model::{Checklist, Item, Part, SectionKind};
use super::strings::Strings;
use crate::Book;
use crate::model::{Article, Block, Inline};
use crate::render::markdown::{Links, Markdown};
use crate::source::Span;

/// `article` is the checklist's article with its content.
pub fn render(book: &Book, article: &Article, c: &Checklist, s: &Strings) -> String {
    let md = Markdown::new(book, c.article, article, Links::Page);
    // Spans only matter for diagnostics; the renderer never reads them.
    let span = EMPTY;
    let text = |t: &str| md.inline_line(&[Inline::Text { text: t.to_string(), span }]);
    let w = Writer { md: &md, span };
    let mut out = Vec::new();
    out.push(format!("# {}{}{}", text(s.checklist), s.colon, text(&c.title)));
    let mut meta = Vec::new();
    if let Some(kb) = &c.kb_title {
        meta.push(text(kb));
    }
    if let Some(d) = &c.date {
        meta.push(format!("{}{}{d}", text(s.updated), s.colon));
    }
    meta.push(format!("{}{}`{}`", text(s.version), s.colon, c.version));
    out.push(format!("{}\\\n{}", meta.join(" · "), url_text(&c.url)));
    let fields = [s.ticket, s.user, s.checked_by, s.date].map(text);
    out.push(format!("| {} |\n|{}\n|{}", fields.join(" | "), " --- |".repeat(4), "  |".repeat(4)));
    for section in &c.sections {
        let title = match section.kind {
            SectionKind::Escalation => format!("{}{}{}", text(s.escalation), s.colon, text(&section.title)),
            _ => text(&section.title),
        };
        out.push(format!("## {} {title}", section.number));
        if section.kind == SectionKind::Escalation {
            out.push(text(s.escalation_hint));
        }
        out.extend(w.parts(&section.parts, 3));
    }
    for (i, url) in c.footnotes.iter().enumerate() {
        out.push(format!("[^{}]: {}", i + 1, url_text(url)));
    }
    let mut doc = out.into_iter().filter(|p| !p.trim().is_empty()).collect::<Vec<_>>().join("\n\n");
    doc.push('\n');
    doc
}

const EMPTY: Span = Span { file: crate::source::FileId(0), start: 0, end: 0 };

/// A URL as an autolink, or as escaped text when it cannot be one (white space, angle brackets).
fn url_text(url: &str) -> String {
    if url.is_empty() || url.chars().any(|c| c.is_whitespace() || c == '<' || c == '>') {
        url.replace('\\', "\\\\").replace('<', "\\<").replace('[', "\\[").replace(']', "\\]")
    } else if url.contains("://") || url.starts_with("mailto:") {
        format!("<{url}>")
    } else {
        // A site-relative path is no autolink; shown as code so it reads as one token.
        format!("`{url}`")
    }
}

struct Writer<'a> {
    md: &'a Markdown<'a>,
    span: Span,
}

impl Writer<'_> {
    /// Parts as Markdown blocks; `level` is the heading level of message headings.
    fn parts(&self, parts: &[Part], level: usize) -> Vec<String> {
        parts.iter().map(|p| self.part(p, level)).collect()
    }

    fn part(&self, part: &Part, level: usize) -> String {
        match part {
            Part::Heading(inlines) => {
                format!("{} {}", "#".repeat(level.min(6)), self.md.inline_line(inlines))
            }
            Part::Text(blocks) => self.md.blocks(blocks),
            Part::Note { kind, blocks } => {
                self.md.block(&Block::Alert { kind: kind.clone(), blocks: blocks.clone(), span: self.span })
            }
            Part::Item(item) => self.item(item),
        }
    }

    fn item(&self, item: &Item) -> String {
        let mut line = format!("**{}**", item.number);
        let mut rest: &[Part] = &item.parts;
        let mut first_text_rest: Option<Vec<Block>> = None;
        if !item.lead.is_empty() {
            // Bold inside the bold lead would close it early.
            let children = super::model::unstrong(&item.lead);
            let lead = self.md.inline_line(&[Inline::Strong { children, span: self.span }]);
            line.push(' ');
            line.push_str(&lead);
        } else if let Some(Part::Text(blocks)) = item.parts.first()
            && let Some(Block::Paragraph { inlines, .. }) = blocks.first()
        {
            // A step's first paragraph is the checkbox line.
            line.push(' ');
            line.push_str(&self.md.inlines(inlines));
            first_text_rest = Some(blocks[1..].to_vec());
            rest = &item.parts[1..];
        }
        let mut body: Vec<String> = Vec::new();
        if let Some(blocks) = first_text_rest {
            body.push(self.md.blocks(&blocks));
        }
        body.extend(rest.iter().map(|p| self.part(p, 4)));
        let body: Vec<String> = body.into_iter().filter(|b| !b.trim().is_empty()).collect();
        let mut text = line;
        if !body.is_empty() {
            text.push_str("\n\n");
            text.push_str(&body.join("\n\n"));
        }
        task(&text)
    }
}

/// `- [ ] ` before the first line, the others indented to the item's content column.
fn task(text: &str) -> String {
    let mut out = String::from("- [ ]");
    for (i, line) in text.split('\n').enumerate() {
        if i == 0 {
            out.push(' ');
            out.push_str(line);
        } else {
            out.push('\n');
            if !line.is_empty() {
                out.push_str("  ");
                out.push_str(line);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_indent_their_body() {
        assert_eq!(task("**1.1** a\n\nb\n- [ ] c"), "- [ ] **1.1** a\n\n  b\n  - [ ] c");
        assert_eq!(url_text("https://x/y"), "<https://x/y>");
        assert_eq!(url_text("a/b.html"), "`a/b.html`");
    }
}
