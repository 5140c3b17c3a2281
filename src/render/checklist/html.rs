//! The print-ready page of a checklist: the sections are laid out here, the page around them by the
//! theme's `checklist.html`, styled by `checklist.css` (inlined, so a saved or mailed file prints
//! the same).
//!
//! Each checkbox is a CSS-drawn box holding one `☐` in transparent ink: paper shows the drawn box
//! whatever fonts the machine has, while the PDF's text layer (and copy and paste) still carries
//! one `☐` per item, which is how the print test counts them.

use super::model::{Checklist, Item, Part, SectionKind};
use super::strings::Strings;
use crate::model::{AlertKind, Alignment, Block, Inline, List, Table};
use crate::render::html::sanitize::escape;
use std::fmt::Write;

/// The text marker inside every checkbox.
pub const MARK: char = '☐';

/// The HTML of one section's content (without its heading).
pub fn section(parts: &[Part], s: &Strings) -> String {
    let mut out = String::new();
    for p in parts {
        part(p, s, &mut out);
    }
    out
}

/// `<ol>` of the footnotes.
pub fn footnotes(c: &Checklist) -> String {
    let mut out = String::new();
    for (i, url) in c.footnotes.iter().enumerate() {
        let _ = write!(out, "<li value=\"{}\"><span class=\"cl-url\">{}</span></li>", i + 1, escape(url));
    }
    out
}

/// A CSS class for a section kind.
pub fn kind_class(kind: SectionKind) -> &'static str {
    match kind {
        SectionKind::Causes => "causes",
        SectionKind::Messages => "messages",
        SectionKind::Procedure => "procedure",
        SectionKind::Escalation => "escalation",
    }
}

fn part(p: &Part, s: &Strings, out: &mut String) {
    match p {
        Part::Heading(inlines) => {
            out.push_str("<h3 class=\"cl-message\">");
            self::inlines(inlines, out);
            out.push_str("</h3>\n");
        }
        Part::Text(blocks) => {
            out.push_str("<div class=\"cl-text\">");
            self::blocks(blocks, out);
            out.push_str("</div>\n");
        }
        Part::Note { kind, blocks } => note(kind, blocks, s, out),
        Part::Item(item) => self::item(item, s, out),
    }
}

fn note(kind: &AlertKind, blocks: &[Block], s: &Strings, out: &mut String) {
    let boxed = matches!(kind, AlertKind::Important | AlertKind::Warning | AlertKind::Caution);
    let class = if boxed { "cl-note cl-note-box" } else { "cl-note cl-note-short" };
    let _ = write!(
        out,
        "<div class=\"{class} cl-note-{}\"><span class=\"cl-note-label\">{}</span>",
        escape(&kind.name().to_ascii_lowercase()),
        escape(&s.alert(kind))
    );
    self::blocks(blocks, out);
    out.push_str("</div>\n");
}

fn item(item: &Item, s: &Strings, out: &mut String) {
    let nested = item.parts.iter().any(|p| matches!(p, Part::Item(_)));
    let leaf = if nested { "" } else { " cl-leaf" };
    let depth = item.number.matches('.').count();
    let _ = write!(
        out,
        "<div class=\"cl-item cl-depth-{depth}{leaf}\" id=\"cl-{}\"><div class=\"cl-line\">\
         <span class=\"cl-box\" aria-hidden=\"true\">{MARK}</span><span class=\"cl-num\">{}</span><div class=\"cl-head\">",
        escape(&item.number.replace('.', "-")),
        escape(&item.number)
    );
    let mut rest: &[Part] = &item.parts;
    let mut first_rest: &[Block] = &[];
    if !item.lead.is_empty() {
        out.push_str("<p><strong>");
        inlines(&item.lead, out);
        out.push_str("</strong></p>");
    } else if let Some(Part::Text(blocks)) = item.parts.first()
        && let Some(first @ Block::Paragraph { .. }) = blocks.first()
    {
        block(first, out);
        first_rest = &blocks[1..];
        rest = &item.parts[1..];
    }
    out.push_str("</div></div>");
    if !first_rest.is_empty() || !rest.is_empty() {
        out.push_str("<div class=\"cl-body\">");
        if !first_rest.is_empty() {
            out.push_str("<div class=\"cl-text\">");
            blocks(first_rest, out);
            out.push_str("</div>");
        }
        for p in rest {
            part(p, s, out);
        }
        out.push_str("</div>");
    }
    out.push_str("</div>\n");
}

fn blocks(list: &[Block], out: &mut String) {
    for b in list {
        block(b, out);
    }
}

fn block(b: &Block, out: &mut String) {
    match b {
        Block::Paragraph { inlines: i, .. } => {
            out.push_str("<p>");
            inlines(i, out);
            out.push_str("</p>");
        }
        Block::List(l) => list(l, out),
        Block::Table(t) => table(t, out),
        Block::Alert { kind, blocks: inner, .. } => {
            let _ = write!(
                out,
                "<div class=\"cl-note cl-note-short\"><span class=\"cl-note-label\">{}</span>",
                escape(kind.name())
            );
            blocks(inner, out);
            out.push_str("</div>");
        }
        Block::BlockQuote { blocks: inner, .. } => {
            out.push_str("<blockquote>");
            blocks(inner, out);
            out.push_str("</blockquote>");
        }
        Block::Code { code, .. } => {
            let _ = write!(out, "<pre><code>{}</code></pre>", escape(code.trim_end_matches('\n')));
        }
        Block::ThematicBreak { .. } => out.push_str("<hr>"),
        Block::Container { blocks: inner, .. } | Block::Div { blocks: inner, .. } => blocks(inner, out),
        // The checklist model turned these into text already (or dropped them).
        Block::Html { .. }
        | Block::DocfxImage { .. }
        | Block::Video { .. }
        | Block::FootnoteDefinition { .. }
        | Block::Include { .. } => {}
    }
}

fn list(l: &List, out: &mut String) {
    let tag = if l.start.is_some() { "ol" } else { "ul" };
    match l.start {
        Some(n) if n != 1 => {
            let _ = write!(out, "<ol start=\"{n}\">");
        }
        _ => {
            let _ = write!(out, "<{tag}>");
        }
    }
    for item in &l.items {
        out.push_str("<li>");
        // A one-paragraph item reads as a line, not a paragraph with margins.
        match item.blocks.as_slice() {
            [Block::Paragraph { inlines: i, .. }] => inlines(i, out),
            other => blocks(other, out),
        }
        out.push_str("</li>");
    }
    let _ = write!(out, "</{tag}>");
}

fn table(t: &Table, out: &mut String) {
    let width = t.header.cells.len().max(t.alignments.len()).max(1);
    let align = |i: usize| match t.alignments.get(i).copied().unwrap_or(Alignment::None) {
        Alignment::Center => " class=\"cl-center\"",
        Alignment::Right => " class=\"cl-right\"",
        _ => "",
    };
    out.push_str("<table><thead><tr>");
    for i in 0..width {
        let _ = write!(out, "<th{}>", align(i));
        if let Some(c) = t.header.cells.get(i) {
            inlines(&c.inlines, out);
        }
        out.push_str("</th>");
    }
    out.push_str("</tr></thead><tbody>");
    for row in &t.rows {
        out.push_str("<tr>");
        for i in 0..width {
            let _ = write!(out, "<td{}>", align(i));
            if let Some(c) = row.cells.get(i) {
                inlines(&c.inlines, out);
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

fn inlines(list: &[Inline], out: &mut String) {
    // Trailing breaks (`text <br/>` in cells) are layout of the source, not content.
    let end = list
        .iter()
        .rposition(|i| !matches!(i, Inline::LineBreak { .. } | Inline::SoftBreak { .. }))
        .map_or(0, |p| p + 1);
    for i in &list[..end] {
        inline(i, out);
    }
}

fn inline(i: &Inline, out: &mut String) {
    match i {
        Inline::Text { text, .. } => out.push_str(&escape(text)),
        Inline::Code { code, .. } => {
            let _ = write!(out, "<code>{}</code>", escape(code));
        }
        Inline::Strong { children, .. } => wrap("strong", children, out),
        Inline::Emphasis { children, .. } => wrap("em", children, out),
        Inline::Strikethrough { children, .. } => wrap("s", children, out),
        Inline::Link { children, .. } => inlines(children, out),
        Inline::LineBreak { .. } => out.push_str("<br>"),
        Inline::SoftBreak { .. } => out.push('\n'),
        Inline::FootnoteRef { label, .. } => {
            let _ = write!(out, "<sup class=\"cl-fn\">{}</sup>", escape(label));
        }
        Inline::Image { .. } | Inline::Html { .. } => {}
    }
}

fn wrap(tag: &str, children: &[Inline], out: &mut String) {
    let _ = write!(out, "<{tag}>");
    inlines(children, out);
    let _ = write!(out, "</{tag}>");
}
