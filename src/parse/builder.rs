//! Builds an [`Article`] from the expanded event stream.

use super::Texts;
use super::events::{self, Ev, EvKind, dest_span_in};
use super::link::classify;
use super::slug::Slugger;
use super::{ParseInput, front_matter, html, procedure, troubleshoot};
use crate::diag::{Code, Diagnostic, Sink};
use crate::model::*;
use crate::source::{FileId, Span};
use pulldown_cmark::{CodeBlockKind, Event, LinkType, Tag};
use std::collections::HashMap;

pub(super) fn build_article<'a>(
    texts: Texts<'a>,
    input: &ParseInput<'a>,
    file: FileId,
) -> (Article, Vec<Diagnostic>) {
    let src = texts.get(file);
    let fm = front_matter::parse(file, texts.text(file));
    let mut diags = Sink::new();
    diags.extend(fm.diagnostics);
    let mut stream = events::stream(texts, input.includes, file, fm.body_start);
    diags.append(std::mem::take(&mut stream.diagnostics));

    let mut b = Builder::new(texts, &stream.events);
    b.run();
    diags.append(std::mem::take(&mut b.diags));

    let meta = fm.meta;
    let rel_path = src.rel_path.clone();
    let stem = rel_path.strip_suffix(".md").or_else(|| rel_path.strip_suffix(".MD")).unwrap_or(&rel_path);
    let h1 = b.sections.iter().find(|s| s.level == 1 && !s.title.is_empty()).map(|s| s.title.clone());
    let title = match h1.or_else(|| meta.title.clone().filter(|t| !t.trim().is_empty())) {
        Some(t) => t,
        // A DocFX redirect stub (`redirect_url:` and nothing else) needs no title.
        None if meta.redirect_url.is_some() => stem.rsplit('/').next().unwrap_or(stem).to_string(),
        None => {
            let span = Span::new(file, fm.body_start..fm.body_start);
            diags.push(
                Diagnostic::new(Code::NoTitle, span, "article has no title")
                    .with_help("add a `# Heading` or a `title:` in the front matter"),
            );
            stem.rsplit('/').next().unwrap_or(stem).to_string()
        }
    };
    let id = meta.assetid.as_ref().map_or_else(|| stem.to_string(), |g| g.as_str().to_string());
    let locale = meta
        .locale
        .as_deref()
        .map_or_else(|| input.default_locale.to_string(), crate::load::normalize_locale);

    let mut procedures = procedure::procedures(&b.preamble, None);
    for (i, s) in b.sections.iter().enumerate() {
        procedures.extend(procedure::procedures(&s.blocks, Some(SectionId(i as u32))));
    }
    let summary = first_paragraph(&b.preamble, &b.sections);
    let mut entries = std::mem::take(&mut b.entries);
    troubleshoot::group(&mut entries);

    let article = Article {
        id,
        file,
        rel_path,
        locale,
        meta,
        title,
        summary,
        preamble: b.preamble,
        sections: b.sections,
        roots: b.roots,
        anchors: b.anchors,
        links: b.links,
        includes: stream.includes,
        troubleshooting: entries,
        procedures,
        alerts: b.alerts,
        references: stream.references.into_iter().collect(),
    };
    (article, diags.into_vec())
}

fn first_paragraph(preamble: &[Block], sections: &[Section]) -> Option<String> {
    let lists = std::iter::once(preamble).chain(sections.iter().map(|s| s.blocks.as_slice()));
    for blocks in lists {
        for block in blocks {
            if let Block::Paragraph { inlines, .. } = block {
                let text = plain_text(inlines);
                let text = text.trim();
                if !text.is_empty() {
                    return Some(text.to_string());
                }
            }
        }
    }
    None
}

/// Plain text of inlines: text, code and image alt text; line breaks as spaces; no HTML.
pub fn plain_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    push_plain(inlines, &mut out);
    out
}

fn push_plain(inlines: &[Inline], out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text { text, .. } => out.push_str(text),
            Inline::Code { code, .. } => out.push_str(code),
            Inline::Strong { children, .. }
            | Inline::Emphasis { children, .. }
            | Inline::Strikethrough { children, .. }
            | Inline::Link { children, .. } => push_plain(children, out),
            Inline::Image { alt, .. } => out.push_str(alt),
            Inline::LineBreak { .. } | Inline::SoftBreak { .. } => out.push(' '),
            Inline::Html { .. } | Inline::FootnoteRef { .. } => {}
        }
    }
}

/// The links and alt text of a `:::image`.
#[derive(Clone)]
struct ColonImage {
    link: LinkId,
    lightbox: Option<LinkId>,
    alt: String,
}

struct Builder<'a, 'e> {
    texts: Texts<'a>,
    evs: &'e [Ev<'a>],
    pos: usize,
    preamble: Vec<Block>,
    sections: Vec<Section>,
    roots: Vec<SectionId>,
    /// Open sections, outermost first.
    open: Vec<SectionId>,
    anchors: Vec<Anchor>,
    links: Vec<Link>,
    entries: Vec<TroubleshootingEntry>,
    alerts: Vec<AlertRef>,
    tables: usize,
    slugger: Slugger,
    /// The section whose heading was the last block, so an anchor-only paragraph can join it, and
    /// the index in `anchors` of the heading's first anchor.
    after_heading: Option<(SectionId, usize)>,
    /// The anchors of the last top-level block when it held nothing but anchors: they name the
    /// heading that comes next, if one does (`<a name="x"></a>` on the line above `## X`).
    anchors_above: Option<std::ops::Range<usize>>,
    /// Whether a DocFX tab group is open: a `# [Title](#tab/id)` label came, and no `---` or
    /// other heading after it yet.
    in_tab_group: bool,
    /// How deep the builder is in nested blocks and inlines.
    depth: usize,
    /// Depths at which a container was flattened (past [`MAX_NESTING`]); its `End` is skipped there.
    flattened: Vec<usize>,
    /// Blocks a paragraph was split into after the one [`Builder::block`] returned (a `:::image`
    /// line inside the paragraph), for the caller to take next.
    split_rest: Vec<Block>,
    /// `:::image`s read inside a line of text (a table cell, after a `<br>`), by the offset of
    /// their `:::` in the file: the image's link and alt text, so a paragraph that turns out to be
    /// just that image becomes a figure without reading its links twice.
    inline_images: HashMap<(FileId, u32), ColonImage>,
    diags: Sink,
}

/// Nesting kept in the model. Deeper block quotes, lists and emphasis are flattened into their
/// parent, so no input can exhaust the stack of the builder or of any renderer that walks the model.
pub const MAX_NESTING: usize = 48;

impl<'a, 'e> Builder<'a, 'e> {
    fn new(texts: Texts<'a>, evs: &'e [Ev<'a>]) -> Self {
        Builder {
            texts,
            evs,
            pos: 0,
            preamble: Vec::new(),
            sections: Vec::new(),
            roots: Vec::new(),
            open: Vec::new(),
            anchors: Vec::new(),
            links: Vec::new(),
            entries: Vec::new(),
            alerts: Vec::new(),
            tables: 0,
            slugger: Slugger::new(),
            after_heading: None,
            anchors_above: None,
            in_tab_group: false,
            depth: 0,
            flattened: Vec::new(),
            split_rest: Vec::new(),
            inline_images: HashMap::new(),
            diags: Sink::new(),
        }
    }

    fn current(&self) -> Option<SectionId> {
        self.open.last().copied()
    }

    /// Whether the events from `at` are a DocFX tab label: a heading that is a link to `#tab/id`
    /// (`# [Bicep](#tab/bicep)`). It names a tab of the section it is in, not a section: DocFX
    /// shows it as a tab, whatever its level, and gives it no anchor.
    fn tab_label_at(&self, at: usize) -> bool {
        let mut events = self.evs[at.min(self.evs.len())..].iter().map(|e| &e.kind);
        if !matches!(events.next(), Some(EvKind::Md(Event::Start(Tag::Heading { .. })))) {
            return false;
        }
        // Anchors may come first: `# <a name="step-1"></a>[Step 1](#tab/step-1)`.
        let mut inner = events.skip_while(|e| match e {
            EvKind::Md(Event::InlineHtml(_)) => true,
            EvKind::Md(Event::Text(t)) => t.trim().is_empty(),
            _ => false,
        });
        matches!(inner.next(), Some(EvKind::Md(Event::Start(Tag::Link { dest_url, .. })))
            if dest_url.starts_with("#tab/"))
    }

    fn peek(&self) -> Option<&'e Ev<'a>> {
        self.evs.get(self.pos)
    }

    fn next(&mut self) -> Option<&'e Ev<'a>> {
        let ev = self.evs.get(self.pos);
        self.pos += 1;
        ev
    }

    fn run(&mut self) {
        while let Some(ev) = self.peek() {
            self.push_split_rest();
            if let EvKind::Md(Event::Start(Tag::Heading { .. })) = &ev.kind
                && !self.tab_label_at(self.pos)
            {
                self.in_tab_group = false;
                self.heading();
                continue;
            }
            let anchors_before = self.anchors.len();
            let Some(block) = self.block() else { continue };
            let only_anchors = is_anchor_only(&block) && self.anchors.len() > anchors_before;
            self.anchors_above = None;
            if let Some((sid, heading_anchors)) = self.after_heading.take()
                && only_anchors
            {
                for a in &mut self.anchors[anchors_before..] {
                    a.heading = true;
                }
                let new: Vec<String> = self.anchors[anchors_before..].iter().map(|a| a.id.clone()).collect();
                let section = &mut self.sections[sid.0 as usize];
                // Only anchors from the heading on can belong to this section: look there, not at
                // every anchor of the article (that was quadratic in the number of headings).
                let has_explicit = self.anchors[heading_anchors..].iter().any(|a| {
                    a.kind == AnchorKind::Explicit
                        && a.section == Some(sid)
                        && section.anchors.contains(&a.id)
                });
                if !has_explicit {
                    section.id = new.first().cloned();
                }
                section.anchors.extend(new);
                section.span = section.span.cover(block.span());
                continue;
            }
            self.push_block(block);
            if only_anchors && self.split_rest.is_empty() {
                self.anchors_above = Some(anchors_before..self.anchors.len());
            }
        }
        self.push_split_rest();
        self.finish_sections();
    }

    fn push_split_rest(&mut self) {
        if !self.split_rest.is_empty() {
            self.anchors_above = None;
        }
        for block in std::mem::take(&mut self.split_rest) {
            self.push_block(block);
        }
    }

    fn push_block(&mut self, block: Block) {
        self.after_heading = None;
        match self.current() {
            Some(sid) => {
                let section = &mut self.sections[sid.0 as usize];
                section.span = section.span.cover(block.span());
                section.blocks.push(block);
            }
            None => self.preamble.push(block),
        }
    }

    fn finish_sections(&mut self) {
        fold_containers(&mut self.preamble);
        for s in &mut self.sections {
            fold_containers(&mut s.blocks);
        }
        // A section's id is the one links reach it by: an anchor repeated from an earlier section
        // (`<a name="fixes">` under two headings) reaches that one, so such a section goes by the
        // first of its anchors that is its own (its heading's slug, made unique), when it has one.
        let mut owner: HashMap<&str, Option<SectionId>> = HashMap::new();
        for a in &self.anchors {
            owner.entry(a.id.as_str()).or_insert(a.section);
        }
        for (i, s) in self.sections.iter_mut().enumerate() {
            let own = |id: &String| owner.get(id.as_str()) == Some(&Some(SectionId(i as u32)));
            if s.id.as_ref().is_some_and(|id| !own(id))
                && let Some(id) = s.anchors.iter().find(|id| own(id))
            {
                s.id = Some(id.clone());
            }
        }
        // A section's span covers its children's.
        for i in (0..self.sections.len()).rev() {
            if let Some(parent) = self.sections[i].parent {
                let child = self.sections[i].span;
                let p = &mut self.sections[parent.0 as usize];
                p.span = p.span.cover(child);
            }
        }
    }

    fn heading(&mut self) {
        let Some(ev) = self.next() else { return };
        let EvKind::Md(Event::Start(Tag::Heading { level, id: attr_id, .. })) = &ev.kind else { return };
        let level = *level as u8;
        let span = ev.span;
        while let Some(&top) = self.open.last() {
            if self.sections[top.0 as usize].level >= level {
                self.open.pop();
            } else {
                break;
            }
        }
        let parent = self.current();
        let sid = SectionId(self.sections.len() as u32);
        self.sections.push(Section {
            level,
            heading: Vec::new(),
            title: String::new(),
            id: None,
            anchors: Vec::new(),
            blocks: Vec::new(),
            parent,
            children: Vec::new(),
            heading_span: span,
            span,
        });
        match parent {
            Some(p) => self.sections[p.0 as usize].children.push(sid),
            None => self.roots.push(sid),
        }
        self.open.push(sid);
        let anchors_before = self.anchors.len();
        let mut inlines = self.inlines_until_end();
        let words = |inlines: &[Inline]| plain_text(inlines).split_whitespace().collect::<Vec<_>>().join(" ");
        // The slug is DocFX's, made from all the heading's text, hidden side-by-side text too.
        let full_title = words(&inlines);
        drop_side_by_side(&mut inlines);
        let title = words(&inlines);
        if let Some(attr) = attr_id {
            self.add_anchor(attr.to_string(), AnchorKind::HeadingAttribute, span);
        }
        let slug = self.slugger.slug(&full_title);
        if !slug.is_empty() {
            self.add_anchor(slug, AnchorKind::Slug, span);
        }
        for a in &mut self.anchors[anchors_before..] {
            a.heading = true;
        }
        let mut ids: Vec<String> = self.anchors[anchors_before..].iter().map(|a| a.id.clone()).collect();
        // Anchors on the lines above name this heading too (after its own: its id stays).
        if let Some(above) = self.anchors_above.take() {
            for a in &mut self.anchors[above] {
                a.section = Some(sid);
                a.heading = true;
                ids.push(a.id.clone());
            }
        }
        if title.is_empty() {
            self.diags.push(
                Diagnostic::new(Code::EmptyHeading, span, "heading has no text")
                    .with_label("empty heading")
                    .with_help("write the heading's text, or remove the heading"),
            );
        }
        let section = &mut self.sections[sid.0 as usize];
        section.id = ids.first().cloned();
        section.anchors = ids;
        section.heading = inlines;
        section.title = title;
        self.after_heading = Some((sid, anchors_before));
    }

    fn add_anchor(&mut self, id: String, kind: AnchorKind, span: Span) {
        self.anchors.push(Anchor { id, kind, span, section: self.current(), heading: false });
    }

    /// Parses one block starting at the current event. `None` when the events formed no block.
    fn block(&mut self) -> Option<Block> {
        let ev = self.next()?;
        let span = ev.span;
        let event = match &ev.kind {
            EvKind::Include(index) => return Some(Block::Include { include: *index, span }),
            EvKind::Md(e) => e,
        };
        match event {
            Event::Start(tag) if !is_inline(event) => {
                if self.depth > MAX_NESTING
                    && matches!(
                        tag,
                        Tag::BlockQuote(_) | Tag::List(_) | Tag::Item | Tag::FootnoteDefinition(_)
                    )
                {
                    self.flatten(span);
                    return None;
                }
                Some(self.block_tag(tag, span))
            }
            // DocFX ends a tab group with a `---` line, which it does not show.
            Event::Rule if self.in_tab_group => {
                self.in_tab_group = false;
                None
            }
            Event::Rule => Some(Block::ThematicBreak { span }),
            Event::Html(h) => {
                // An HTML event outside an HTML block does not happen; treat it as one.
                self.scan_html(h, span);
                Some(Block::Html { html: h.to_string(), span })
            }
            Event::End(_) => None,
            _ => {
                // Inline content at block level (a tight list item's text): an implicit paragraph.
                self.pos -= 1;
                let inlines = self.inlines_while_inline();
                let span = cover_inlines(&inlines).unwrap_or(span);
                Some(self.paragraph(inlines, span))
            }
        }
    }

    fn block_tag(&mut self, tag: &'e Tag<'a>, span: Span) -> Block {
        match tag {
            Tag::Paragraph => {
                let inlines = self.inlines_until_end();
                self.paragraph(inlines, span)
            }
            Tag::Heading { .. } => {
                // A heading inside a container (block quote, list item), or a tab label: a bold
                // line, no section. A heading is anchored; a tab label opens a tab group.
                let tab = self.tab_label_at(self.pos.saturating_sub(1));
                let mut inlines = self.inlines_until_end();
                let slug = if tab { String::new() } else { self.slugger.slug(&plain_text(&inlines)) };
                if !slug.is_empty() {
                    self.add_anchor(slug, AnchorKind::Slug, span);
                }
                drop_side_by_side(&mut inlines);
                self.in_tab_group |= tab;
                Block::Paragraph { inlines: vec![Inline::Strong { children: inlines, span }], span }
            }
            Tag::BlockQuote(kind) => {
                let blocks = self.blocks_until_end();
                match kind {
                    Some(k) => {
                        let kind = AlertKind::from_marker(&format!("{k:?}"));
                        self.alert(kind, blocks, span)
                    }
                    None => self.block_quote(blocks, span),
                }
            }
            Tag::CodeBlock(kind) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().map(|l| l.trim_matches(['{', '}', '.']).to_string())
                    }
                    CodeBlockKind::Indented => None,
                };
                let mut code = String::new();
                while let Some(ev) = self.next() {
                    match &ev.kind {
                        EvKind::Md(Event::Text(t)) => code.push_str(t),
                        EvKind::Md(Event::End(_)) => break,
                        _ => {}
                    }
                }
                Block::Code { lang: lang.filter(|l| !l.is_empty()), code, span }
            }
            Tag::HtmlBlock => {
                let mut html = String::new();
                let mut pieces = Vec::new();
                while let Some(ev) = self.next() {
                    match &ev.kind {
                        EvKind::Md(Event::Html(h) | Event::Text(h)) => {
                            pieces.push((html.len(), h.len(), ev.span));
                            html.push_str(h);
                        }
                        EvKind::Md(Event::End(_)) => break,
                        _ => {}
                    }
                }
                self.scan_html_pieces(&html, &pieces);
                Block::Html { html, span }
            }
            Tag::List(start) => {
                let mut items = Vec::new();
                while let Some(ev) = self.next() {
                    match &ev.kind {
                        EvKind::Md(Event::Start(Tag::Item)) => {
                            let item_span = ev.span;
                            let mut checked = None;
                            if let Some(Ev { kind: EvKind::Md(Event::TaskListMarker(c)), .. }) = self.peek() {
                                checked = Some(*c);
                                self.pos += 1;
                            }
                            let blocks = self.blocks_until_end();
                            items.push(ListItem { blocks, checked, span: item_span });
                        }
                        EvKind::Md(Event::End(_)) => break,
                        _ => {}
                    }
                }
                Block::List(List { start: *start, items, span })
            }
            Tag::FootnoteDefinition(label) => {
                self.add_anchor(label.to_string(), AnchorKind::Footnote, span);
                let blocks = self.blocks_until_end();
                Block::FootnoteDefinition { label: label.to_string(), blocks, span }
            }
            Tag::Table(aligns) => self.table(aligns, span),
            _ => {
                // Tags kbc does not enable (definition lists, metadata): keep their content as blocks.
                let blocks = self.blocks_until_end();
                Block::BlockQuote { blocks, span }
            }
        }
    }

    fn blocks_until_end(&mut self) -> Vec<Block> {
        let mut blocks = self.until_end(|b, out| {
            if let Some(block) = b.block() {
                out.push(block);
            }
            out.append(&mut b.split_rest);
        });
        fold_containers(&mut blocks);
        blocks
    }

    /// Collects items up to the `End` that closes the current tag (consumed), one level deeper.
    fn until_end<T>(&mut self, mut items: impl FnMut(&mut Self, &mut Vec<T>)) -> Vec<T> {
        self.depth += 1;
        let mut out = Vec::new();
        while let Some(ev) = self.peek() {
            if let EvKind::Md(Event::End(_)) = ev.kind {
                self.pos += 1;
                if self.end_of_flattened() {
                    continue;
                }
                break;
            }
            items(self, &mut out);
        }
        self.depth -= 1;
        out
    }

    /// Skips a container's start past the nesting limit; its content joins the current level.
    fn flatten(&mut self, span: Span) {
        if self.flattened.is_empty() && !self.diags.has(Code::NestingDepth) {
            self.diags.push(
                Diagnostic::new(
                    Code::NestingDepth,
                    span,
                    format!("content nests deeper than {MAX_NESTING} levels; deeper levels are flattened"),
                )
                .with_label("too deep"),
            );
        }
        self.flattened.push(self.depth);
    }

    /// Whether the `End` just consumed closes a flattened container at this depth.
    fn end_of_flattened(&mut self) -> bool {
        if self.flattened.last() == Some(&self.depth) {
            self.flattened.pop();
            return true;
        }
        false
    }

    fn paragraph(&mut self, mut inlines: Vec<Inline>, span: Span) -> Block {
        drop_side_by_side(&mut inlines);
        let raw = self.texts.slice(span);
        if raw.contains('\n') && raw.contains(":::") {
            match self.split_marker_lines(inlines, raw) {
                Ok(blocks) => {
                    let mut blocks = blocks.into_iter();
                    let first = blocks.next();
                    self.split_rest.extend(blocks);
                    return first.unwrap_or(Block::Paragraph { inlines: Vec::new(), span });
                }
                Err(inlines) => return self.single_paragraph(inlines, span),
            }
        }
        self.single_paragraph(inlines, span)
    }

    /// A paragraph whose lines include DocFX `:::` block markers (see [`is_block_marker_line`]):
    /// they interrupt a paragraph (writers put an image right under a step's text, or a zone's
    /// first sentence right under `::: zone`, without a blank line), so each such line is a block
    /// of its own between the paragraphs of the lines around it. The inlines come back unchanged
    /// when there is no such line.
    fn split_marker_lines(&mut self, inlines: Vec<Inline>, raw: &str) -> Result<Vec<Block>, Vec<Inline>> {
        // A complex image (`:::image type="complex"` ... `:::image-end:::`) holds its long
        // description between the markers: it stays one block.
        if !raw.lines().any(is_block_marker_line) || raw.to_ascii_lowercase().contains(":::image-end") {
            return Err(inlines);
        }
        // The paragraph's lines: its inlines between top-level line breaks, each line with the
        // break before it.
        let mut lines: Vec<(Option<Inline>, Vec<Inline>)> = vec![(None, Vec::new())];
        for inline in inlines {
            match inline {
                Inline::SoftBreak { .. } | Inline::LineBreak { .. } => lines.push((Some(inline), Vec::new())),
                other => {
                    if let Some((_, line)) = lines.last_mut() {
                        line.push(other);
                    }
                }
            }
        }
        let mut blocks = Vec::new();
        let mut text: Vec<Inline> = Vec::new();
        for (break_before, line) in lines {
            let Some(span) = cover_inlines(&line) else { continue };
            if is_block_marker_line(self.texts.slice(span)) {
                if let Some(p) = self.joined_lines(std::mem::take(&mut text)) {
                    blocks.push(p);
                }
                blocks.push(self.single_paragraph(line, span));
            } else {
                if !text.is_empty() {
                    text.extend(break_before);
                }
                text.extend(line);
            }
        }
        if let Some(p) = self.joined_lines(text) {
            blocks.push(p);
        }
        Ok(blocks)
    }

    /// The paragraph of consecutive lines of a split paragraph, if any.
    fn joined_lines(&mut self, inlines: Vec<Inline>) -> Option<Block> {
        let span = cover_inlines(&inlines)?;
        Some(self.single_paragraph(inlines, span))
    }

    fn single_paragraph(&mut self, inlines: Vec<Inline>, span: Span) -> Block {
        let raw = self.texts.slice(span).trim();
        if let Some(rest) = raw.strip_prefix(":::") {
            return self.docfx_colon_block(rest, inlines, span);
        }
        Block::Paragraph { inlines, span }
    }

    /// `:::image ...:::`, `:::zone pivot=".."`, `:::zone-end` and unknown `:::name`.
    fn docfx_colon_block(&mut self, rest: &str, inlines: Vec<Inline>, span: Span) -> Block {
        let (name, after) = colon_block_name(rest.lines().next().unwrap_or(""));
        let args = after.trim().trim_end_matches(":::").trim().to_string();
        let kind = match name.as_str() {
            "image" => return self.docfx_image(&args, inlines, span),
            "zone" => ContainerKind::Zone,
            "moniker" => ContainerKind::Moniker,
            "row" => ContainerKind::Row,
            "column" => ContainerKind::Column,
            n if n.ends_with("-end") => return Block::Paragraph { inlines, span },
            "no-loc" => return Block::Paragraph { inlines, span },
            // DocFX's, but it needs the snippet file's text, which kbc does not read.
            "code" => {
                self.diags.push(
                    Diagnostic::new(
                        Code::UnknownExtension,
                        span,
                        "kbc does not render DocFX's `:::code` snippets",
                    )
                    .with_label("kept as text"),
                );
                return Block::Paragraph { inlines, span };
            }
            other => {
                self.diags.push(
                    Diagnostic::new(
                        Code::UnknownExtension,
                        span,
                        format!("unknown DocFX extension `:::{other}`"),
                    )
                    .with_label("kept as text"),
                );
                return Block::Paragraph { inlines, span };
            }
        };
        Block::Container { kind, args, blocks: Vec::new(), span }
    }

    fn docfx_image(&mut self, args: &str, inlines: Vec<Inline>, span: Span) -> Block {
        let tag_src = format!("<image {args}>");
        let kind = html::tags(&tag_src).first().and_then(|t| t.attr("type")).and_then(|a| a.value.clone());
        let raw = self.texts.slice(span);
        let at = span.start + (raw.len() - raw.trim_start().len()) as u32;
        let read = match self.inline_images.get(&(span.file, at)).cloned() {
            Some(read) => Some(read),
            None => self.colon_image_links(args, span),
        };
        let Some(ColonImage { link, lightbox, alt }) = read else {
            self.diags.push(
                Diagnostic::new(Code::UnknownExtension, span, "`:::image` has no `source`")
                    .with_label("kept as text"),
            );
            return Block::Paragraph { inlines, span };
        };
        Block::DocfxImage { link, lightbox, args: args.to_string(), kind, alt, span }
    }

    fn alert(&mut self, kind: AlertKind, blocks: Vec<Block>, span: Span) -> Block {
        let text = blocks_text(&blocks);
        self.alerts.push(AlertRef { kind: kind.clone(), section: self.current(), text, span });
        Block::Alert { kind, blocks, span }
    }

    /// A block quote whose first text is a DocFX marker `[!WORD ...]` is an alert, a `div` or a video.
    fn block_quote(&mut self, mut blocks: Vec<Block>, span: Span) -> Block {
        let Some(Block::Paragraph { inlines, .. }) = blocks.first_mut() else {
            return Block::BlockQuote { blocks, span };
        };
        let Some(Inline::Text { text, .. }) = inlines.first() else {
            return Block::BlockQuote { blocks, span };
        };
        let Some((word, args, marker_len)) = docfx_marker(text) else {
            return Block::BlockQuote { blocks, span };
        };
        // Remove the marker (and the line break after it) from the first paragraph.
        let rest = text[marker_len..].trim_start().to_string();
        if rest.is_empty() {
            inlines.remove(0);
            if matches!(inlines.first(), Some(Inline::SoftBreak { .. } | Inline::LineBreak { .. })) {
                inlines.remove(0);
            }
        } else if let Some(Inline::Text { text, .. }) = inlines.first_mut() {
            *text = rest;
        }
        if inlines.is_empty() {
            blocks.remove(0);
        }
        match word.to_ascii_lowercase().as_str() {
            "div" => Block::Div { args, blocks, span },
            "video" => Block::Video { url: args, span },
            _ => self.alert(AlertKind::from_marker(&word), blocks, span),
        }
    }

    fn table(&mut self, aligns: &[pulldown_cmark::Alignment], span: Span) -> Block {
        let alignments = aligns
            .iter()
            .map(|a| match a {
                pulldown_cmark::Alignment::None => Alignment::None,
                pulldown_cmark::Alignment::Left => Alignment::Left,
                pulldown_cmark::Alignment::Center => Alignment::Center,
                pulldown_cmark::Alignment::Right => Alignment::Right,
            })
            .collect();
        let mut header = TableRow { cells: Vec::new(), span };
        let mut rows = Vec::new();
        while let Some(ev) = self.next() {
            match &ev.kind {
                EvKind::Md(Event::Start(Tag::TableHead)) => header = self.table_row(ev.span),
                EvKind::Md(Event::Start(Tag::TableRow)) => {
                    let row = self.table_row(ev.span);
                    rows.push(row);
                }
                EvKind::Md(Event::End(_)) => break,
                _ => {}
            }
        }
        let table = Table { alignments, header, rows, span };
        let index = self.tables;
        self.tables += 1;
        self.entries.extend(troubleshoot::entries(&table, index, self.current()));
        Block::Table(table)
    }

    fn table_row(&mut self, span: Span) -> TableRow {
        let mut cells = Vec::new();
        while let Some(ev) = self.next() {
            match &ev.kind {
                EvKind::Md(Event::Start(Tag::TableCell)) => {
                    let cell_span = ev.span;
                    let mut inlines = self.inlines_until_end();
                    drop_side_by_side(&mut inlines);
                    cells.push(TableCell { inlines, span: cell_span });
                }
                EvKind::Md(Event::End(_)) => break,
                _ => {}
            }
        }
        self.check_dropped_cells(&cells, span);
        TableRow { cells, span }
    }

    /// GFM drops the cells of a row beyond the header's count; say so, since the text is lost.
    fn check_dropped_cells(&mut self, cells: &[TableCell], row: Span) {
        let Some(last) = cells.last() else { return };
        if last.span.file != row.file || last.span.end >= row.end {
            return;
        }
        let rest = Span { start: last.span.end, ..row };
        let dropped = self.texts.slice(rest);
        if dropped.trim_matches(|c: char| c == '|' || c.is_whitespace()).is_empty() {
            return;
        }
        let start = rest.start as usize + dropped.find(|c: char| c != '|' && !c.is_whitespace()).unwrap_or(0);
        let end =
            rest.start as usize + dropped.trim_end_matches(|c: char| c == '|' || c.is_whitespace()).len();
        self.diags.push(
            Diagnostic::new(
                Code::ExtraTableCells,
                Span::new(row.file, start..end),
                "table row has more cells than its header",
            )
            .with_label("this text is dropped")
            .with_help("escape a `|` that is not a cell border as `\\|`, or add a header cell"),
        );
    }

    /// Inlines up to the `End` that closes the current tag (consumed).
    fn inlines_until_end(&mut self) -> Vec<Inline> {
        self.until_end(|b, out| {
            if let Some(ev) = b.next() {
                b.push_inline(ev, out);
            }
        })
    }

    /// Inlines up to the next block-level event (not consumed).
    fn inlines_while_inline(&mut self) -> Vec<Inline> {
        let mut out = Vec::new();
        while let Some(ev) = self.peek() {
            let EvKind::Md(e) = &ev.kind else { break };
            if !is_inline(e) {
                break;
            }
            self.pos += 1;
            self.push_inline(ev, &mut out);
        }
        out
    }

    /// The inlines of one event: one, or several for a text holding `:::image ...:::`.
    fn push_inline(&mut self, ev: &'e Ev<'a>, out: &mut Vec<Inline>) {
        if let EvKind::Md(Event::Text(t)) = &ev.kind
            && t.contains(":::")
            && t.to_ascii_lowercase().contains(":::image")
        {
            self.text_with_images(t, ev.span, out);
        } else if let Some(inline) = self.inline(ev) {
            out.push(inline);
        }
    }

    /// A text with `:::image ... :::` inside it (DocFX draws icons in table cells this way): the
    /// text around each becomes text, each becomes an image whose `source` and `lightbox` are
    /// checked like any image.
    fn text_with_images(&mut self, text: &str, span: Span, out: &mut Vec<Inline>) {
        let file_text = self.texts.text(span.file);
        let raw = self.texts.slice(span);
        let lower_raw = raw.to_ascii_lowercase();
        let mut pending = String::new();
        let mut rest = text;
        let mut raw_from = 0;
        while let Some((before, args, after)) = split_colon_image(rest) {
            // Where it stands in the source (the text may differ from it: entities, escapes).
            let Some(at) = lower_raw.get(raw_from..).and_then(|r| r.find(":::image")).map(|p| p + raw_from)
            else {
                break;
            };
            let end = raw[at + 3..].find(":::").map_or(raw.len(), |e| at + 3 + e + 3);
            raw_from = end;
            let abs = span.start as usize + at;
            let image_span = Span::new(span.file, abs..span.start as usize + end);
            // An image that starts its line is a block: the paragraph reads it (see `paragraph`).
            let line_start = file_text[..abs].rfind('\n').map_or(0, |n| n + 1);
            if starts_line(&file_text[line_start..abs]) {
                pending.push_str(&rest[..rest.len() - after.len()]);
                rest = after;
                continue;
            }
            let Some(image) = self.colon_image_links(args, image_span) else { break };
            pending.push_str(before);
            if !pending.is_empty() {
                out.push(Inline::Text { text: no_loc(&std::mem::take(&mut pending)), span });
            }
            out.push(Inline::Image { link: image.link, alt: image.alt.clone(), span: image_span });
            self.inline_images.insert((span.file, image_span.start), image);
            rest = after;
        }
        pending.push_str(rest);
        if !pending.is_empty() {
            out.push(Inline::Text { text: no_loc(&pending), span });
        }
    }

    /// The links of `:::image` arguments (`source`, then `lightbox`), and the alt text; `None`
    /// without a `source`.
    fn colon_image_links(&mut self, args: &str, span: Span) -> Option<ColonImage> {
        let tag_src = format!("<image {args}>");
        let tags = html::tags(&tag_src);
        let tag = tags.first()?;
        let get = |name: &str| tag.attr(name).and_then(|a| a.value.clone());
        let source = get("source")?;
        let raw = self.texts.slice(span);
        let dest_span = |value: &str, from_end: bool| {
            let found = if from_end { raw.rfind(value) } else { raw.find(value) };
            found.map_or(span, |p| {
                Span::new(span.file, span.start as usize + p..span.start as usize + p + value.len())
            })
        };
        let link = self.push_link(LinkRole::Image, &source, None, span, dest_span(&source, false));
        let lightbox = get("lightbox").map(|lightbox| {
            self.push_link(LinkRole::Image, &lightbox, None, span, dest_span(&lightbox, true))
        });
        Some(ColonImage { link, lightbox, alt: get("alt-text").unwrap_or_default() })
    }

    fn inline(&mut self, ev: &'e Ev<'a>) -> Option<Inline> {
        let span = ev.span;
        let EvKind::Md(event) = &ev.kind else { return None };
        Some(match event {
            Event::Text(t) => Inline::Text { text: no_loc(t), span },
            Event::Code(c) => Inline::Code { code: c.to_string(), span },
            Event::InlineMath(t) | Event::DisplayMath(t) => Inline::Text { text: t.to_string(), span },
            Event::SoftBreak => Inline::SoftBreak { span },
            Event::HardBreak => Inline::LineBreak { span },
            Event::FootnoteReference(label) => Inline::FootnoteRef { label: label.to_string(), span },
            Event::InlineHtml(h) | Event::Html(h) => {
                if html::is_line_break(h) {
                    Inline::LineBreak { span }
                } else {
                    self.scan_html(h, span);
                    Inline::Html { html: h.to_string(), span }
                }
            }
            Event::TaskListMarker(_) | Event::Rule | Event::End(_) => return None,
            Event::Start(_) if self.depth > MAX_NESTING => {
                self.flatten(span);
                return None;
            }
            Event::Start(tag) => match tag {
                Tag::Emphasis => Inline::Emphasis { children: self.inlines_until_end(), span },
                Tag::Strong => Inline::Strong { children: self.inlines_until_end(), span },
                Tag::Strikethrough => Inline::Strikethrough { children: self.inlines_until_end(), span },
                Tag::Link { link_type, dest_url, title, .. } => {
                    let dest = if *link_type == LinkType::Email && !dest_url.starts_with("mailto:") {
                        format!("mailto:{dest_url}")
                    } else {
                        dest_url.to_string()
                    };
                    let dest_span = self.dest_span(*link_type, span);
                    let title = (!title.is_empty()).then(|| title.to_string());
                    let link = self.push_link(LinkRole::Link, &dest, title, span, dest_span);
                    let mut children = self.inlines_until_end();
                    // `<xref:uid?displayProperty=..>` shows its uid, as DocFX does when it cannot
                    // resolve it, not the `xref:` URL.
                    if *link_type == LinkType::Autolink
                        && let Some(Link { target: LinkTarget::Xref { uid }, .. }) = self.links.last()
                    {
                        children = vec![Inline::Code { code: uid.clone(), span }];
                    }
                    Inline::Link { link, children, span }
                }
                Tag::Image { link_type, dest_url, title, .. } => {
                    let dest_span = self.dest_span(*link_type, span);
                    let title = (!title.is_empty()).then(|| title.to_string());
                    let link = self.push_link(LinkRole::Image, dest_url, title, span, dest_span);
                    let alt = plain_text(&self.inlines_until_end());
                    Inline::Image { link, alt, span }
                }
                _ => {
                    // Superscript and the like: keep the content.
                    Inline::Emphasis { children: self.inlines_until_end(), span }
                }
            },
        })
    }

    fn dest_span(&self, link_type: LinkType, span: Span) -> Span {
        match link_type {
            LinkType::Inline => dest_span_in(self.texts, span),
            LinkType::Autolink | LinkType::Email if span.end > span.start + 1 => {
                Span { start: span.start + 1, end: span.end - 1, ..span }
            }
            _ => span,
        }
    }

    fn push_link(
        &mut self,
        role: LinkRole,
        dest: &str,
        title: Option<String>,
        span: Span,
        dest_span: Span,
    ) -> LinkId {
        let id = LinkId(self.links.len() as u32);
        self.links.push(Link {
            role,
            dest: dest.to_string(),
            title,
            target: classify(dest),
            span,
            dest_span,
            section: self.current(),
            base: span.file,
        });
        id
    }

    fn scan_html(&mut self, h: &str, span: Span) {
        self.scan_html_pieces(h, &[(0, h.len(), span)]);
    }

    /// Warns about a start tag that the page's sanitizer removes for safety, or strips a handler from.
    /// Harmless tags it drops (`font`, `center`'s kin) are not worth a warning; `<iframe>` hosts are
    /// checked later, against the configuration.
    fn unsafe_html(&mut self, tag: &html::Tag, span: Span) {
        if ACTIVE_ELEMENTS.contains(&tag.name.as_str()) {
            let what = if matches!(tag.name.as_str(), "script" | "style") { " with its content" } else { "" };
            self.diags.push(
                Diagnostic::new(
                    Code::UnsafeHtml,
                    span,
                    format!("`<{}>` is removed from the page{what}", tag.name),
                )
                .with_label("removed")
                .with_note("raw HTML passes an allowlist: pages never run or load what content embeds"),
            );
        }
        let handlers: Vec<&str> = tag
            .attrs
            .iter()
            .map(|a| a.name.as_str())
            .filter(|n| n.strip_prefix("on").is_some_and(|event| EVENTS.binary_search(&event).is_ok()))
            .collect();
        if !handlers.is_empty() {
            let list = handlers.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ");
            self.diags.push(
                Diagnostic::new(
                    Code::UnsafeHtml,
                    span,
                    format!("event handler {list} on `<{}>` is removed from the page", tag.name),
                )
                .with_label("removed")
                .with_note("raw HTML passes an allowlist: event handlers never reach a page"),
            );
        }
    }

    /// Finds anchors (`<a name>`, `id=`) and links (`href`, `src`) in HTML assembled from pieces,
    /// each `(offset in html, length, span of the piece in its file)`.
    fn scan_html_pieces(&mut self, html: &str, pieces: &[(usize, usize, Span)]) {
        let locate = |range: &std::ops::Range<usize>| -> Span {
            for &(offset, len, span) in pieces {
                if range.start >= offset && range.start <= offset + len {
                    let exact = span.end - span.start == len as u32;
                    if exact {
                        let start = span.start as usize + range.start - offset;
                        let end = (span.start as usize + range.end - offset).min(span.end as usize);
                        return Span::new(span.file, start..end);
                    }
                    return span;
                }
            }
            pieces.first().map_or(Span::new(FileId(0), 0..0), |p| p.2)
        };
        for tag in html::tags(html) {
            if tag.closing {
                continue;
            }
            self.unsafe_html(&tag, locate(&tag.range));
            let is_a = tag.name == "a";
            for attr in &tag.attrs {
                let (Some(value), Some(range)) = (&attr.value, &attr.value_range) else { continue };
                let span = locate(range);
                match attr.name.as_str() {
                    "id" | "name" if (attr.name == "id" || is_a) && !value.is_empty() => {
                        let kind = if is_a { AnchorKind::Explicit } else { AnchorKind::ElementId };
                        self.add_anchor(value.clone(), kind, span);
                    }
                    "href" if is_a || tag.name == "area" => {
                        self.push_link(LinkRole::HtmlLink, value, None, span, span);
                    }
                    "src" if matches!(tag.name.as_str(), "img" | "video" | "audio" | "source") => {
                        self.push_link(LinkRole::HtmlImage, value, None, span, span);
                    }
                    "src" if tag.name == "iframe" => {
                        self.push_link(LinkRole::HtmlFrame, value, None, span, span);
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Elements that run script, load or submit something, or change how the page behaves. The
/// sanitizer removes them; `script` and `style` go with their content.
const ACTIVE_ELEMENTS: &[&str] =
    &["script", "style", "object", "embed", "applet", "form", "base", "meta", "link", "frame", "frameset"];

/// DOM event names (HTML's global event handlers and the common legacy ones), sorted: `on` + one of
/// these is a handler. Any other `on…` attribute is not (`<enumeration value from one end>` is prose).
const EVENTS: &[&str] = &[
    "abort",
    "afterprint",
    "animationend",
    "animationiteration",
    "animationstart",
    "auxclick",
    "beforeinput",
    "beforematch",
    "beforeprint",
    "beforetoggle",
    "beforeunload",
    "blur",
    "cancel",
    "canplay",
    "canplaythrough",
    "change",
    "click",
    "close",
    "contextlost",
    "contextmenu",
    "contextrestored",
    "copy",
    "cuechange",
    "cut",
    "dblclick",
    "drag",
    "dragend",
    "dragenter",
    "dragleave",
    "dragover",
    "dragstart",
    "drop",
    "durationchange",
    "emptied",
    "ended",
    "error",
    "focus",
    "focusin",
    "focusout",
    "formdata",
    "fullscreenchange",
    "fullscreenerror",
    "gotpointercapture",
    "hashchange",
    "input",
    "invalid",
    "keydown",
    "keypress",
    "keyup",
    "languagechange",
    "load",
    "loadeddata",
    "loadedmetadata",
    "loadend",
    "loadstart",
    "lostpointercapture",
    "message",
    "messageerror",
    "mousedown",
    "mouseenter",
    "mouseleave",
    "mousemove",
    "mouseout",
    "mouseover",
    "mouseup",
    "mousewheel",
    "offline",
    "online",
    "pagehide",
    "pagereveal",
    "pageshow",
    "pageswap",
    "paste",
    "pause",
    "play",
    "playing",
    "pointercancel",
    "pointerdown",
    "pointerenter",
    "pointerleave",
    "pointermove",
    "pointerout",
    "pointerover",
    "pointerrawupdate",
    "pointerup",
    "popstate",
    "progress",
    "ratechange",
    "rejectionhandled",
    "reset",
    "resize",
    "scroll",
    "scrollend",
    "securitypolicyviolation",
    "seeked",
    "seeking",
    "select",
    "selectionchange",
    "selectstart",
    "slotchange",
    "stalled",
    "storage",
    "submit",
    "suspend",
    "timeupdate",
    "toggle",
    "touchcancel",
    "touchend",
    "touchmove",
    "touchstart",
    "transitioncancel",
    "transitionend",
    "transitionrun",
    "transitionstart",
    "unhandledrejection",
    "unload",
    "volumechange",
    "waiting",
    "webkitanimationend",
    "webkitanimationiteration",
    "webkitanimationstart",
    "webkittransitionend",
    "wheel",
];

/// `text` cut around its first `:::image args:::`: (before, args, after).
fn split_colon_image(text: &str) -> Option<(&str, &str, &str)> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    loop {
        let at = from + lower.get(from..)?.find(":::image")?;
        let args_start = at + ":::image".len();
        if text[args_start..].starts_with(char::is_whitespace) {
            let end = args_start + text[args_start..].find(":::")?;
            return Some((&text[..at], text[args_start..end].trim(), &text[end + 3..]));
        }
        from = args_start;
    }
}

/// Whether the source before something on its line is only indentation, block quote markers and a
/// list marker: then it starts a paragraph line.
fn starts_line(before: &str) -> bool {
    let rest = before.trim_start_matches([' ', '\t', '>']);
    let rest = rest
        .strip_prefix(['-', '*', '+'])
        .or_else(|| {
            let digits = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            (digits.len() < rest.len()).then(|| digits.strip_prefix(['.', ')'])).flatten()
        })
        .unwrap_or(rest);
    rest.trim_start_matches([' ', '\t', '>']).is_empty()
}

/// `:::no-loc text="Teams":::` → `Teams`.
fn no_loc(text: &str) -> String {
    // Most text has no colon at all; a `char` search is a memchr, far cheaper than a substring search.
    if !text.contains(':') || !text.contains(":::") {
        return text.to_string();
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(pos) = rest.find(":::no-loc") {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 9..];
        let Some(end) = after.find(":::") else {
            out.push_str(&rest[pos..]);
            return out;
        };
        let args = &after[..end];
        let value = args
            .split_once("text=")
            .map(|(_, v)| v.trim().trim_matches(['"', '\'']).to_string())
            .unwrap_or_else(|| args.trim().to_string());
        out.push_str(&value);
        rest = &after[end + 3..];
    }
    out.push_str(rest);
    out
}

/// `[!WORD args]` at the start of a text: returns the word, the arguments and the marker's length.
fn docfx_marker(text: &str) -> Option<(String, String, usize)> {
    let inner = text.strip_prefix("[!")?;
    let close = inner.find(']')?;
    let body = &inner[..close];
    let (word, args) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
    if word.is_empty() || !word.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
        return None;
    }
    Some((word.to_string(), args.trim().to_string(), close + 3))
}

fn is_inline(e: &Event<'_>) -> bool {
    match e {
        Event::Start(t) => matches!(
            t,
            Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Link { .. }
                | Tag::Image { .. }
                | Tag::Superscript
                | Tag::Subscript
        ),
        Event::End(_) | Event::Rule | Event::Html(_) => false,
        _ => true,
    }
}

/// A block that holds nothing but anchors (`<a name="x"> </a>`), as DocFX authors put under headings.
fn is_anchor_only(block: &Block) -> bool {
    match block {
        Block::Paragraph { inlines, .. } => inlines.iter().all(|i| match i {
            Inline::Html { .. } | Inline::SoftBreak { .. } | Inline::LineBreak { .. } => true,
            Inline::Text { text, .. } => text.trim().is_empty(),
            _ => false,
        }),
        Block::Html { html, .. } => {
            let tags = html::tags(html);
            let mut stripped = html.clone();
            for t in tags.iter().rev() {
                stripped.replace_range(t.range.clone(), "");
            }
            stripped.trim().is_empty() && tags.iter().all(|t| t.name == "a" || t.name == "span")
        }
        _ => false,
    }
}

fn cover_inlines(inlines: &[Inline]) -> Option<Span> {
    let first = inlines.first()?.span();
    Some(inlines.iter().fold(first, |acc, i| acc.cover(i.span())))
}

/// Plain text of blocks, paragraphs separated by newlines.
pub(crate) fn blocks_text(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        let piece = match block {
            Block::Paragraph { inlines, .. } => plain_text(inlines),
            Block::Alert { blocks, .. }
            | Block::BlockQuote { blocks, .. }
            | Block::Container { blocks, .. }
            | Block::Div { blocks, .. }
            | Block::FootnoteDefinition { blocks, .. } => blocks_text(blocks),
            Block::List(l) => l.items.iter().map(|i| blocks_text(&i.blocks)).collect::<Vec<_>>().join("\n"),
            Block::Table(t) => std::iter::once(&t.header)
                .chain(&t.rows)
                .map(|r| r.cells.iter().map(|c| plain_text(&c.inlines)).collect::<Vec<_>>().join(" | "))
                .collect::<Vec<_>>()
                .join("\n"),
            Block::Code { code, .. } => code.clone(),
            Block::DocfxImage { alt, .. } => alt.clone(),
            Block::Html { .. }
            | Block::ThematicBreak { .. }
            | Block::Video { .. }
            | Block::Include { .. } => String::new(),
        };
        let piece = piece.trim();
        if !piece.is_empty() {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(piece);
        }
    }
    out
}

/// Removes machine translation's side-by-side original text: `<span class="sxs-lookup">` and what it
/// holds, up to its `</span>`. Microsoft Docs hides it with CSS (the zh-CN pages of 2017 carry one
/// after every translated sentence); the sanitized page has no such CSS, and a reader, a chatbot
/// or search would otherwise see every sentence twice, once in English.
fn drop_side_by_side(inlines: &mut Vec<Inline>) {
    fn html(i: &Inline) -> Option<&str> {
        match i {
            Inline::Html { html, .. } => Some(html.as_str()),
            _ => None,
        }
    }
    if !inlines.iter().filter_map(html).any(|h| h.contains("sxs-lookup")) {
        return;
    }
    let is_open = |h: &str| {
        html::tags(h).first().is_some_and(|t| {
            t.name.eq_ignore_ascii_case("span")
                && t.attr("class")
                    .and_then(|a| a.value.as_deref())
                    .is_some_and(|c| c.split_ascii_whitespace().any(|c| c == "sxs-lookup"))
        })
    };
    let mut depth = 0usize;
    inlines.retain(|i| {
        let h = html(i).map(str::trim_start).unwrap_or("");
        if depth == 0 {
            if is_open(h) {
                depth = 1;
                return false;
            }
            return true;
        }
        let lower = h.get(..6).map(str::to_ascii_lowercase).unwrap_or_default();
        if lower.starts_with("</span") {
            depth -= 1;
        } else if lower.starts_with("<span") && !h.ends_with("/>") {
            depth += 1;
        }
        false
    });
}

/// Whether `line` is a DocFX `:::` block marker on a line of its own: `:::image ... :::`, the
/// start or end of a zone, moniker, row or column, or `:::code ... :::`, with or without spaces
/// after the `:::` (DocFX skips them). `:::no-loc` is inline and `:::image-end:::` belongs to a
/// complex image's block, so neither is one.
fn is_block_marker_line(line: &str) -> bool {
    let line = line.trim();
    let Some(rest) = line.strip_prefix(":::") else { return false };
    let (name, after) = colon_block_name(rest);
    match name.strip_suffix("-end").unwrap_or(&name) {
        "image" => {
            name == "image"
                && after.starts_with(char::is_whitespace)
                && line.len() > 11
                && line.ends_with(":::")
        }
        "zone" | "moniker" | "row" | "column" => true,
        "code" => name == "code" && line.len() > 7 && line.ends_with(":::"),
        _ => false,
    }
}

/// The name of a `:::name args` block from the text after its `:::` (lower-cased; DocFX allows
/// spaces before it, and `::: zone pivot=".."` is common), and the text after the name.
fn colon_block_name(rest: &str) -> (String, &str) {
    let rest = rest.trim_start();
    let name_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(rest.len());
    (rest[..name_len].to_ascii_lowercase(), &rest[name_len..])
}

/// Folds `:::zone` … `:::zone-end` (and the like) within one block list into containers.
fn fold_containers(blocks: &mut Vec<Block>) {
    if !blocks.iter().any(|b| matches!(b, Block::Container { blocks, .. } if blocks.is_empty())) {
        return;
    }
    let mut out: Vec<Block> = Vec::with_capacity(blocks.len());
    let mut open: Vec<Block> = Vec::new();
    for block in blocks.drain(..) {
        let end_of = match &block {
            Block::Paragraph { inlines, .. } => {
                let t = plain_text(inlines);
                let t = t.trim();
                let t = t.strip_suffix(":::").unwrap_or(t);
                t.strip_prefix(":::")
                    .map(colon_block_name)
                    .filter(|(_, after)| after.trim().is_empty())
                    .and_then(|(name, _)| name.strip_suffix("-end").map(str::to_string))
            }
            _ => None,
        };
        if let Some(name) = end_of
            && let Some(Block::Container { kind, .. }) = open.last()
            && container_name(kind) == name
        {
            if let Some(done) = open.pop() {
                match open.last_mut() {
                    Some(Block::Container { blocks, span, .. }) => {
                        *span = span.cover(done.span());
                        blocks.push(done);
                    }
                    _ => out.push(done),
                }
            }
            continue;
        }
        match block {
            Block::Container { blocks: ref inner, .. } if inner.is_empty() => open.push(block),
            other => match open.last_mut() {
                Some(Block::Container { blocks, span, .. }) => {
                    *span = span.cover(other.span());
                    blocks.push(other);
                }
                _ => out.push(other),
            },
        }
    }
    // Unclosed containers keep what they gathered.
    while let Some(done) = open.pop() {
        match open.last_mut() {
            Some(Block::Container { blocks, .. }) => blocks.push(done),
            _ => out.push(done),
        }
    }
    *blocks = out;
}

fn container_name(kind: &ContainerKind) -> String {
    match kind {
        ContainerKind::Zone => "zone".into(),
        ContainerKind::Moniker => "moniker".into(),
        ContainerKind::Row => "row".into(),
        ContainerKind::Column => "column".into(),
        ContainerKind::Other(n) => n.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_and_no_loc() {
        assert_eq!(docfx_marker("[!div class=\"x\"]"), Some(("div".into(), "class=\"x\"".into(), 16)));
        assert_eq!(docfx_marker("[!NOTE] hi").map(|m| m.2), Some(7));
        assert_eq!(docfx_marker("[link]"), None);
        assert_eq!(no_loc("使用 :::no-loc text=\"Teams\"::: 的"), "使用 Teams 的");
        assert_eq!(no_loc(":::no-loc text"), ":::no-loc text");
    }

    /// The blocks of `text` in one line: `p(text)`, `image(source line:col)`, `list[item; item]`.
    fn outline(text: &str) -> String {
        fn blocks(bs: &[Block], article: &Article, sources: &crate::source::SourceMap) -> String {
            let one = |b: &Block| match b {
                Block::Paragraph { inlines, .. } => format!("p({})", plain_text(inlines)),
                Block::DocfxImage { link, .. } => {
                    let l = &article.links[link.0 as usize];
                    let lc = sources.line_col(l.dest_span);
                    format!("image({} {}:{})", l.dest, lc.line, lc.col)
                }
                Block::List(l) => {
                    let items: Vec<String> =
                        l.items.iter().map(|i| blocks(&i.blocks, article, sources)).collect();
                    format!("list[{}]", items.join("; "))
                }
                Block::Container { kind, args, blocks: inner, .. } => {
                    format!("{}({args})[{}]", container_name(kind), blocks(inner, article, sources))
                }
                other => format!("{other:?}"),
            };
            bs.iter().map(one).collect::<Vec<_>>().join(" ")
        }
        let (article, _, sources) = crate::parse::parse_text("a.md", text);
        blocks(&article.preamble, &article, &sources)
    }

    #[test]
    fn an_image_line_inside_a_paragraph_is_an_image_between_its_lines() {
        let under_text =
            "Select **Vaults**.\n:::image type=\"content\" source=\"a.png\" alt-text=\"A\":::\nThen wait.\n";
        assert_eq!(outline(under_text), "p(Select Vaults.) image(a.png 2:33) p(Then wait.)");
        let in_tight_step =
            "1. Open the page.\n    :::image type=\"content\" source=\"b.png\" alt-text=\"B\":::\n1. Save.\n";
        assert_eq!(outline(in_tight_step), "list[p(Open the page.) image(b.png 2:37); p(Save.)]");
        let lazy = "- Listener:\n:::IMAGE type=\"content\" source=\"c.png\" alt-text=\"C\":::\n";
        assert_eq!(outline(lazy), "list[p(Listener:) image(c.png 2:33)]");
        let first_line = ":::image type=\"content\" source=\"d.png\" alt-text=\"D\":::\nCaption.\n";
        assert_eq!(outline(first_line), "image(d.png 1:33) p(Caption.)", "the text after it is kept");
        let prose = "Use `:::image` lines:\nwrite :::image type=\"content\" source=\"e.png\":::\n";
        assert_eq!(
            outline(prose),
            "p(Use :::image lines: write )",
            "code stays text; an image inside a line is an inline image, not a block"
        );
        let complex = ":::image type=\"complex\" source=\"f.png\" alt-text=\"F\":::\nA long description.\n:::image-end:::\n";
        assert_eq!(outline(complex), "image(f.png 1:33)", "a complex image keeps its description");
    }

    #[test]
    fn colon_blocks_may_have_spaces_after_the_colons_and_interrupt_paragraphs() {
        // As in the dev corpus's meeting-policies-in-teams.md: `::: zone` with its first sentence
        // right under it.
        let zone = "::: zone target=\"docs\"\nUse meeting policies.\n\nMore.\n\n::: zone-end\n\nAfter.\n";
        assert_eq!(outline(zone), "zone(target=\"docs\")[p(Use meeting policies.) p(More.)] p(After.)");
        // A grid of links (sql-docs): every marker and the first link share one paragraph.
        let grid = ":::row:::\n    :::column:::\n        [a](a.md)\n    :::column-end:::\n    :::column:::\n        [b](b.md)\n    :::column-end:::\n:::row-end:::\n";
        assert_eq!(outline(grid), "row()[column()[p(a)] column()[p(b)]]");
        let spaced_image = "Then:\n::: image type=\"content\" source=\"g.png\" alt-text=\"G\":::\n";
        assert_eq!(outline(spaced_image), "p(Then:) image(g.png 2:34)");
        assert_eq!(outline(":::no-loc text=\"Teams\"::: works.\nToo.\n"), "p(Teams works. Too.)", "inline");
    }

    #[test]
    fn side_by_side_originals_are_dropped_and_headings_keep_docfx_slugs() {
        // As in zh-CN Teams articles of 2017 (Teams-welcome.md).
        let text = "# <span data-ttu-id=\"a-1\">欢迎</span><span class=\"sxs-lookup\"><span data-stu-id=\"a-1\">Welcome</span></span>\n\n\
                    <span data-ttu-id=\"a-2\">正文 [链接](b.md)。</span><span class=\"sxs-lookup\"><span data-stu-id=\"a-2\">Body [link](b.md).</span></span> 后\n\n\
                    | <span data-ttu-id=\"a-3\">列</span><span class=\"sxs-lookup x\"><span>Column</span></span> |\n|-|\n| x |\n";
        let (article, _, _) = crate::parse::parse_text("a.md", text);
        assert_eq!(article.title, "欢迎");
        assert_eq!(article.anchors[0].id, "欢迎welcome", "DocFX's slug, from all the text");
        let full = article.full_text();
        assert!(!full.contains("Welcome") && !full.contains("Body") && !full.contains("Column"), "{full}");
        assert!(full.contains("正文 链接") && full.contains("</span> 后"), "{full}");
        // The hidden link is still a link of the article, as DocFX checks it.
        assert_eq!(article.links.len(), 2);
    }

    #[test]
    fn code_snippets_are_reported_one_by_one_and_kept_as_text() {
        let text = "Run:\n:::code language=\"csharp\" source=\"a.cs\" id=\"Main\":::\n:::code language=\"csharp\" source=\"b.cs\":::\n";
        assert_eq!(
            outline(text),
            "p(Run:) p(:::code language=\"csharp\" source=\"a.cs\" id=\"Main\":::) p(:::code language=\"csharp\" source=\"b.cs\":::)"
        );
        let (_, diagnostics, sources) = crate::parse::parse_text("a.md", text);
        let found: Vec<String> = diagnostics
            .iter()
            .filter(|d| d.code == crate::diag::Code::UnknownExtension)
            .map(|d| format!("{} {}: {}", d.code, d.span.map_or(0, |s| sources.line_col(s).line), d.message))
            .collect();
        assert_eq!(
            found,
            [
                "unknown-extension 2: kbc does not render DocFX's `:::code` snippets",
                "unknown-extension 3: kbc does not render DocFX's `:::code` snippets"
            ]
        );
    }

    #[test]
    fn an_image_inside_a_line_of_text_is_an_inline_image_read_once() {
        let text = "|State|Meaning|\n|-|-|\n|:::image type=\"icon\" source=\"ok.png\" alt-text=\"OK\" lightbox=\"ok-big.png\":::|Protected|\n\n\
                    Select **Save**.<br> :::image type=\"content\" source=\"save.png\" alt-text=\"Save\"::: then close.\n\n\
                    :::image type=\"content\" source=\"alone.png\" alt-text=\"Alone\":::\n\n\
                    > :::image type=\"content\" source=\"quoted.png\" alt-text=\"Q\":::\n";
        let (article, _, sources) = crate::parse::parse_text("a.md", text);
        let links: Vec<String> = article
            .links
            .iter()
            .map(|l| {
                let lc = sources.line_col(l.dest_span);
                format!("{} {}:{}", l.dest, lc.line, lc.col)
            })
            .collect();
        assert_eq!(
            links,
            ["ok.png 3:31", "ok-big.png 3:63", "save.png 5:54", "alone.png 7:33", "quoted.png 9:35"]
        );
        let Some(Block::Table(table)) = article.preamble.first() else { panic!("a table first") };
        assert!(
            matches!(table.rows[0].cells[0].inlines.as_slice(), [Inline::Image { alt, .. }] if alt == "OK"),
            "{:?}",
            table.rows[0].cells[0].inlines
        );
        assert_eq!(
            outline(text),
            format!(
                "{:?} p(Select Save.  Save then close.) image(alone.png 7:33) {:?}",
                article.preamble[0], article.preamble[3]
            )
        );
        assert!(
            matches!(&article.preamble[3], Block::BlockQuote { blocks, .. } if matches!(blocks[..], [Block::DocfxImage { .. }]))
        );
    }

    #[test]
    fn anchors_on_the_lines_above_a_heading_name_it() {
        let text = "# T\n\nIntro.\n\n<a name=\"bk_x\"></a>\n\n## X\n\nText.\n\n<a name=\"bk_far\"></a>\n\nMore text.\n\n## Y\n";
        let (article, _, _) = crate::parse::parse_text("a.md", text);
        let named: Vec<String> = article
            .anchors
            .iter()
            .map(|a| {
                let title = a.section.map_or("-", |s| article.section(s).title.as_str());
                format!("{} in {title}{}", a.id, if a.heading { " (heading)" } else { "" })
            })
            .collect();
        assert_eq!(
            named,
            [
                "t in T (heading)",
                "bk_x in X (heading)",
                "x in X (heading)",
                "bk_far in X",
                "y in Y (heading)"
            ]
        );
        assert_eq!(article.sections[1].id.as_deref(), Some("x"), "the heading's own id stays first");
    }

    #[test]
    fn tab_labels_name_tabs_of_their_section_and_a_rule_ends_the_group() {
        let text = "# A\n\n## Steps\n\n# <a name=\"p\"></a>[Portal](#tab/portal)\n\nIn the portal.\n\n# [CLI](#tab/cli)\n\nIn the CLI.\n\n---\n\nAfter.\n\n---\n\n## Next\n\n1. Step.\n\n   ### [Portal](#tab/portal)\n\n   There.\n\n   ---\n";
        let (article, _, _) = crate::parse::parse_text("a.md", text);
        let titles: Vec<&str> = article.sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["A", "Steps", "Next"]);
        let steps: Vec<&str> = article.sections[1]
            .blocks
            .iter()
            .map(|b| match b {
                Block::Paragraph { inlines, .. } if matches!(inlines.as_slice(), [Inline::Strong { .. }]) => {
                    "label"
                }
                Block::Paragraph { .. } => "text",
                Block::ThematicBreak { .. } => "rule",
                _ => "other",
            })
            .collect();
        // The rule that ends the group is not content; a later one is.
        assert_eq!(steps, ["label", "text", "label", "text", "text", "rule"]);
        let anchors: Vec<&str> = article.anchors.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(anchors, ["a", "steps", "p", "next"], "tab labels are not anchors; anchors in them are");
        let Block::List(list) = &article.sections[2].blocks[0] else { panic!("a list") };
        assert!(!list.items[0].blocks.iter().any(|b| matches!(b, Block::ThematicBreak { .. })));
    }

    #[test]
    fn a_section_goes_by_an_id_of_its_own_when_its_anchor_is_repeated() {
        // Localisation copied one anchor under two headings: links reach the first.
        let text = "# Notes\n\n## <a name=\"fixes\"></a>Fixes\n\nA.\n\n## <a name=\"fixes\"></a>Fixes\n\nB.\n\n## <a name=\"only\"></a>Other\n";
        let (article, _, _) = crate::parse::parse_text("a.md", text);
        let ids: Vec<Option<&str>> = article.sections.iter().map(|s| s.id.as_deref()).collect();
        assert_eq!(ids, [Some("notes"), Some("fixes"), Some("fixes-1"), Some("only")]);
    }

    #[test]
    fn event_names_are_sorted_for_binary_search() {
        assert!(EVENTS.windows(2).all(|w| w[0] < w[1]));
    }

    /// `line:column message` of every `unsafe-html` warning.
    fn unsafe_html(text: &str) -> Vec<String> {
        let (_, diags, sources) = crate::parse::parse_text("a.md", text);
        diags
            .iter()
            .filter(|d| d.code == Code::UnsafeHtml)
            .map(|d| match d.span {
                Some(span) => {
                    let lc = sources.line_col(span);
                    format!("{}:{} {}", lc.line, lc.col, d.message)
                }
                None => d.message.clone(),
            })
            .collect()
    }

    #[test]
    fn active_elements_and_handlers_are_reported_where_they_are() {
        let text = "# T\n\ntext <b onclick=\"x()\">b</b> and <img src=\"a.png\" onerror=alert(1) ONLOAD=y>\n\n\
                    <script>alert(1)</script>\n\n> <object data=\"x.swf\"></object>\n";
        assert_eq!(
            unsafe_html(text),
            [
                "3:6 event handler `onclick` on `<b>` is removed from the page",
                "3:33 event handler `onerror`, `onload` on `<img>` is removed from the page",
                "5:1 `<script>` is removed from the page with its content",
                "7:3 `<object>` is removed from the page",
            ]
        );
    }

    #[test]
    fn prose_in_angle_brackets_and_safe_html_are_not_reported() {
        let text = "# T\n\n_<enumeration value from one end point>_ <a name=\"x\" onion=\"1\"></a> <kbd>Ctrl</kbd>\n\n\
                    `<script>` in code\n\n    <script>indented code</script>\n";
        assert_eq!(unsafe_html(text), Vec::<String>::new());
    }
}
