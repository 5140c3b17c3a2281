//! Retrieval chunks: an article cut into self-contained pieces of a few hundred tokens.
//!
//! The article becomes a stream of *units* in document order: a heading, a block, a table row, a
//! list item (a numbered step, with the table that belongs to it). Units are never cut, except a
//! paragraph or code block that alone exceeds the hard cap, which is cut at sentence or line
//! boundaries. Units are then packed greedily: a chunk closes at a section boundary once it has
//! reached the lower bound, and before it would pass the upper bound; a chunk below the lower bound
//! may grow up to the hard cap rather than stay tiny. A table cut across chunks repeats its header.
//!
//! With the default target of 350 tokens, chunks run from 200 to 500 tokens (target × 4/7 to
//! target × 10/7), never more than `chunk-max-tokens` (800).

use super::Ctx;
use super::text::{TOKENIZER, sha256_hex};
use super::types as wire;
use crate::config::JsonConfig;
use crate::model::{Article, ArticleId, Block, List, SectionId};
use crate::render::markdown::{Links, Markdown};

/// Token bounds of chunks.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// A chunk smaller than this takes in the next section if it can.
    pub low: usize,
    /// A chunk stops growing before it passes this...
    pub high: usize,
    /// ...unless it is still below `low`; nothing ever passes this.
    pub cap: usize,
}

impl Bounds {
    pub fn new(config: &JsonConfig) -> Bounds {
        let target = config.chunk_target_tokens.max(1) as usize;
        let cap = (config.chunk_max_tokens as usize).max(target);
        Bounds { low: (target * 4).div_ceil(7), high: (target * 10 / 7).clamp(1, cap), cap }
    }
}

/// How a unit joins the unit before it in the same chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Join {
    /// A blank line.
    Block,
    /// An item of list `list`: `sep` after an item of the same list.
    Item { list: usize, sep: &'static str },
    /// A row of table `table`: a newline after a row of the same table, else the header first.
    Row { table: usize },
}

#[derive(Debug, Clone)]
struct Unit {
    section: Option<SectionId>,
    text: String,
    tokens: usize,
    join: Join,
    /// A heading starts a section.
    heading: bool,
    /// A heading, or the paragraph that introduces a numbered list: never ends a chunk.
    keep_with_next: bool,
}

/// A table header, repeated before its rows in each chunk that holds some.
struct Header {
    text: String,
    tokens: usize,
}

/// Token limits of units.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// A table or list up to this size stays one unit.
    whole: usize,
    /// No unit is larger than this: a larger paragraph, code block, row or step is cut...
    unit: usize,
    /// ...into pieces of at most this, which pack well.
    piece: usize,
}

struct Units {
    units: Vec<Unit>,
    headers: Vec<Header>,
    lists: usize,
}

/// The chunks of one article, in order, with `prev`/`next` filled in.
/// `a` is article `id` with its content.
pub(super) fn chunks(cx: &Ctx<'_>, id: ArticleId, a: &Article, bounds: Bounds) -> Vec<wire::Chunk> {
    let md = Markdown::new(cx.book, id, a, Links::Site);
    let mut u = Units { units: Vec::new(), headers: Vec::new(), lists: 0 };
    // A table or list larger than a chunk should be goes by rows or items, so that chunks can
    // stay within bounds; no unit may pass the cap less a generous context line.
    let unit = bounds.cap.saturating_sub(64).max(bounds.cap / 2).max(1);
    let limits = Limits { whole: bounds.high, unit, piece: bounds.high.min(unit) };
    u.blocks(cx, &md, None, &a.preamble, limits);
    for (i, s) in a.sections.iter().enumerate() {
        let sid = SectionId(i as u32);
        let heading = md.heading(sid);
        if !heading.is_empty() {
            let tokens = cx.tokens.count(&heading);
            u.units.push(Unit {
                section: Some(sid),
                text: heading,
                tokens,
                join: Join::Block,
                heading: true,
                keep_with_next: true,
            });
        }
        u.blocks(cx, &md, Some(sid), &s.blocks, limits);
    }
    let packed = pack(cx, id, &u, bounds);

    let article_id = cx.article_id(id);
    let mut out: Vec<wire::Chunk> = Vec::with_capacity(packed.len());
    let mut starts: Vec<Option<SectionId>> = Vec::new();
    let mut taken = std::collections::BTreeSet::new();
    for Packed { range, context, text, tokens } in packed {
        let units = &u.units[range];
        let Some(first) = units.first() else { continue };
        let n = starts.iter().filter(|s| **s == first.section).count() + 1;
        starts.push(first.section);
        let base = match first.section {
            Some(s) => format!("{article_id}#{}", cx.section_id(id, s)),
            None => article_id.to_string(),
        };
        let mut section_ids: Vec<String> = Vec::new();
        for s in units.iter().filter_map(|u| u.section) {
            let sid = cx.section_id(id, s);
            if section_ids.last().map(String::as_str) != Some(sid) {
                section_ids.push(sid.to_string());
            }
        }
        // `~<n>` could meet a section id that is itself `<anchor>~<n>`: the set settles it.
        let chunk_id = super::unique(&mut taken, if n == 1 { base } else { format!("{base}~{n}") });
        out.push(wire::Chunk {
            id: chunk_id,
            article_id: article_id.to_string(),
            locale: a.locale.clone(),
            article_title: cx.title(id),
            section_id: first.section.map(|s| cx.section_id(id, s).to_string()),
            section_ids,
            url: cx.section_url(id, first.section),
            prev: None,
            next: None,
            tokens: tokens as u32,
            tokenizer: TOKENIZER.to_string(),
            content_sha256: sha256_hex(&format!("{context}\n\n{text}")),
            context,
            text,
        });
    }
    for i in 0..out.len() {
        out[i].prev = i.checked_sub(1).map(|p| out[p].id.clone());
        out[i].next = out.get(i + 1).map(|n| n.id.clone());
    }
    out
}

/// `Article title > Section > Subsection` for a chunk starting in `section`.
fn context(cx: &Ctx<'_>, id: ArticleId, section: Option<SectionId>) -> String {
    let title = cx.title(id);
    let mut parts = vec![title.clone()];
    let path = cx.heading_path(id, section);
    let skip = usize::from(path.first() == Some(&title));
    parts.extend(path.into_iter().skip(skip));
    parts.join(" > ")
}

/// A run of units that makes one chunk, with its context line, text and exact token count.
struct Packed {
    range: std::ops::Range<usize>,
    context: String,
    text: String,
    tokens: usize,
}

/// Packs the units into chunks.
fn pack(cx: &Ctx<'_>, id: ArticleId, u: &Units, bounds: Bounds) -> Vec<Packed> {
    let mut out = Vec::new();
    let total = u.units.len();
    let mut start = 0;
    while start < total {
        let context = context(cx, id, u.units[start].section);
        let context_tokens = cx.tokens.count(&context) + 2;
        // Separators merge with neighbouring tokens in ways a sum cannot see: keep a margin.
        let cap = bounds.cap.saturating_sub(context_tokens + bounds.cap / 50 + 2);
        let high = bounds.high.saturating_sub(context_tokens).min(cap);
        let low = bounds.low.saturating_sub(context_tokens);
        let mut end = start + 1;
        let mut size = u.units[start].tokens + u.lead_tokens(None, start);
        while end < total {
            let cost = u.units[end].tokens + u.lead_tokens(Some(end - 1), end) + 1;
            let boundary = u.units[end].heading || u.units[end].section != u.units[end - 1].section;
            if boundary && size >= low {
                break;
            }
            if size + cost > high && !(size < low && size + cost <= cap) {
                break;
            }
            size += cost;
            end += 1;
        }
        // Never end on a heading or a procedure's intro when what follows can come along.
        while end - start > 1 && end < total && u.units[end - 1].keep_with_next {
            end -= 1;
        }
        // The estimate is close but not exact: count, and give back units until it fits.
        loop {
            let text = u.text(start..end);
            let tokens = cx.tokens.count(&format!("{context}\n\n{text}"));
            if tokens <= bounds.cap || end - start == 1 {
                out.push(Packed { range: start..end, context, text, tokens });
                break;
            }
            end -= 1;
        }
        start = end;
    }
    out
}

impl Units {
    /// Tokens that come before unit `i` in a chunk where `prev` is the unit before it: a repeated
    /// table header.
    fn lead_tokens(&self, prev: Option<usize>, i: usize) -> usize {
        match self.units[i].join {
            Join::Row { table } if !self.same_table(prev, table) => self.headers[table].tokens + 1,
            _ => 0,
        }
    }

    fn same_table(&self, prev: Option<usize>, table: usize) -> bool {
        prev.is_some_and(|p| self.units[p].join == Join::Row { table })
    }

    /// The Markdown of a run of units.
    fn text(&self, range: std::ops::Range<usize>) -> String {
        let mut out = String::new();
        let start = range.start;
        for i in range {
            let unit = &self.units[i];
            let prev = (i > start).then(|| i - 1);
            let sep = match (unit.join, prev.map(|p| self.units[p].join)) {
                (Join::Item { list, sep }, Some(Join::Item { list: l, .. })) if l == list => sep,
                (Join::Row { table }, _) if self.same_table(prev, table) => "\n",
                _ => "\n\n",
            };
            if prev.is_some() {
                out.push_str(sep);
            }
            if let Join::Row { table } = unit.join
                && !self.same_table(prev, table)
            {
                out.push_str(&self.headers[table].text);
                out.push('\n');
            }
            out.push_str(&unit.text);
        }
        out
    }

    fn push(&mut self, cx: &Ctx<'_>, section: Option<SectionId>, text: String, join: Join) {
        let tokens = cx.tokens.count(&text);
        self.push_counted(section, text, tokens, join);
    }

    fn push_counted(&mut self, section: Option<SectionId>, text: String, tokens: usize, join: Join) {
        if !text.trim().is_empty() {
            self.units.push(Unit { section, text, tokens, join, heading: false, keep_with_next: false });
        }
    }

    /// The units of a block list. A block that fits in one chunk stays whole; a longer table goes
    /// by rows, a longer list by items; a longer paragraph or code block is cut.
    fn blocks(
        &mut self,
        cx: &Ctx<'_>,
        md: &Markdown<'_>,
        section: Option<SectionId>,
        blocks: &[Block],
        limits: Limits,
    ) {
        let budget = limits.unit;
        let mut i = 0;
        while i < blocks.len() {
            let block = &blocks[i];
            i += 1;
            match block {
                Block::List(list) => {
                    let mut items: Vec<String> =
                        (0..list.items.len()).map(|n| md.list_item(list, n)).collect();
                    let mut counts: Vec<usize> = items.iter().map(|t| cx.tokens.count(t)).collect();
                    // A table right after a numbered list belongs to its last step (the model's
                    // procedures say which ones).
                    // A table too large to stay with its step is cut like any table.
                    if let Some(Block::Table(t)) = blocks.get(i)
                        && step_has_table(md.model(), list)
                        && let (Some(last), Some(n)) = (items.last_mut(), counts.last_mut())
                    {
                        let table = md.table(t, &t.rows);
                        let tokens = cx.tokens.count(&table);
                        if *n + tokens < budget {
                            *n += tokens + 1;
                            last.push_str("\n\n");
                            last.push_str(&table);
                            i += 1;
                        }
                    }
                    let sep = md.list_separator(list);
                    let whole: usize = counts.iter().sum::<usize>() + items.len();
                    if whole <= limits.whole || items.len() < 2 {
                        self.push_cut(cx, section, items.join(sep), whole, limits);
                        continue;
                    }
                    self.lists += 1;
                    let join = Join::Item { list: self.lists, sep };
                    for (text, tokens) in items.into_iter().zip(counts) {
                        if tokens <= budget {
                            self.push_counted(section, text, tokens, join);
                        } else {
                            // A step larger than a chunk: cut, as nothing else can be done.
                            self.push_cut(cx, section, text, tokens, limits);
                        }
                    }
                }
                Block::Table(t) => {
                    let header = md.table_header(t);
                    let header_tokens = cx.tokens.count(&header);
                    let rows: Vec<String> = t.rows.iter().map(|r| md.table_row(t, r)).collect();
                    let counts: Vec<usize> = rows.iter().map(|r| cx.tokens.count(r)).collect();
                    let whole = header_tokens + counts.iter().sum::<usize>() + rows.len();
                    if whole <= limits.whole || rows.len() < 2 {
                        let text = std::iter::once(header).chain(rows).collect::<Vec<_>>().join("\n");
                        self.push_cut(cx, section, text, whole, limits);
                        continue;
                    }
                    self.headers.push(Header { text: header, tokens: header_tokens });
                    let join = Join::Row { table: self.headers.len() - 1 };
                    for ((text, tokens), row) in rows.into_iter().zip(counts).zip(&t.rows) {
                        if tokens <= budget.saturating_sub(header_tokens) {
                            self.push_counted(section, text, tokens, join);
                            continue;
                        }
                        // A row larger than a chunk: the only thing ever cut across chunks.
                        let cells = md.table_cells(t, row);
                        let room = limits.piece.saturating_sub(header_tokens).max(1);
                        for line in split_row(cx, &cells, room) {
                            self.push(cx, section, line, join);
                        }
                    }
                }
                Block::Code { lang, code, .. } => {
                    let whole = md.block(block);
                    let tokens = cx.tokens.count(&whole);
                    if tokens <= budget {
                        self.push(cx, section, whole, Join::Block);
                        continue;
                    }
                    let at = boundaries(code, &["\n"]);
                    for piece in cut(cx, code, limits.piece.saturating_sub(8).max(1), &at, true) {
                        let fenced =
                            md.block(&Block::Code { lang: lang.clone(), code: piece, span: block.span() });
                        self.push(cx, section, fenced, Join::Block);
                    }
                }
                // Their content is all the Markdown twin shows of them.
                Block::Container { blocks, .. } | Block::Div { blocks, .. } => {
                    self.blocks(cx, md, section, blocks, limits)
                }
                other => {
                    let text = md.block(other);
                    let tokens = cx.tokens.count(&text);
                    let before = self.units.len();
                    self.push_cut(cx, section, text, tokens, limits);
                    // The paragraph before a numbered list says what the steps are for.
                    let intro = matches!(other, Block::Paragraph { .. })
                        && matches!(blocks.get(i), Some(Block::List(List { start: Some(_), .. })));
                    if intro
                        && self.units.len() == before + 1
                        && let Some(unit) = self.units.last_mut()
                    {
                        unit.keep_with_next = true;
                    }
                }
            }
        }
    }

    /// A unit, cut at line or sentence boundaries when it alone exceeds the unit limit.
    fn push_cut(
        &mut self,
        cx: &Ctx<'_>,
        section: Option<SectionId>,
        text: String,
        tokens: usize,
        limits: Limits,
    ) {
        if tokens <= limits.unit {
            self.push_counted(section, text, tokens, Join::Block);
            return;
        }
        // Raw HTML tables go by rows; text by lines, then sentences.
        let mut at = boundaries(&text, &["</tr>", "</TR>"]);
        if at.is_empty() {
            at = boundaries(&text, &["\n", "。", "！", "？", ". ", "! ", "? ", "；", "; "]);
        }
        for piece in cut(cx, &text, limits.piece, &at, false) {
            self.push(cx, section, piece, Join::Block);
        }
    }
}

/// Whether the model attached the table after `list` to its last step.
fn step_has_table(a: &Article, list: &List) -> bool {
    a.procedures.iter().any(|p| p.span == list.span && p.steps.last().is_some_and(|s| !s.attached.is_empty()))
}

/// A table row too large for a chunk, as several rows of at most `budget` tokens: the cells'
/// content goes in order, cut at `<br/>`, and each row repeats the first cell (the row's key).
fn split_row(cx: &Ctx<'_>, cells: &[String], budget: usize) -> Vec<String> {
    let keyed = cells.len() > 1;
    let key = if keyed { cells.first().cloned().unwrap_or_default() } else { String::new() };
    let fresh = || {
        let mut row = vec![String::new(); cells.len()];
        if let Some(first) = row.first_mut() {
            first.clone_from(&key);
        }
        row
    };
    let mut segments: Vec<(usize, String)> = Vec::new();
    for (col, cell) in cells.iter().enumerate().skip(usize::from(keyed)) {
        for seg in cell.split("<br/>").map(str::trim).filter(|s| !s.is_empty()) {
            for piece in cut(cx, seg, budget / 2, &boundaries(seg, &["。", "；", ". ", "; "]), false) {
                segments.push((col, piece));
            }
        }
    }
    let mut out = Vec::new();
    let mut cur = fresh();
    let mut filled = false;
    for (col, seg) in segments {
        let mut next = cur.clone();
        if !next[col].is_empty() {
            next[col].push_str(" <br/> ");
        }
        next[col].push_str(&seg);
        if filled && cx.tokens.count(&row_line(&next)) > budget {
            out.push(row_line(&cur));
            cur = fresh();
            cur[col] = seg;
        } else {
            cur = next;
        }
        filled = true;
    }
    if filled {
        out.push(row_line(&cur));
    }
    out
}

fn row_line(cells: &[String]) -> String {
    format!("| {} |", cells.join(" | "))
}

/// Byte offsets in `text` just after each occurrence of one of `stops`.
fn boundaries(text: &str, stops: &[&str]) -> Vec<usize> {
    let mut out: Vec<usize> =
        stops.iter().flat_map(|stop| text.match_indices(stop).map(move |(i, m)| i + m.len())).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Cuts `text` into pieces of at most `budget` tokens at the given boundaries where possible,
/// else between characters. `keep_indent` keeps the first line's leading spaces (code).
fn cut(cx: &Ctx<'_>, text: &str, budget: usize, at: &[usize], keep_indent: bool) -> Vec<String> {
    let tidy = |s: &str| {
        let s = s.trim_end();
        if keep_indent { s.trim_start_matches(['\n', '\r']).to_string() } else { s.trim_start().to_string() }
    };
    let mut pieces: Vec<&str> = Vec::new();
    let mut from = 0;
    for &end in at.iter().chain(std::iter::once(&text.len())) {
        if end > from && text.is_char_boundary(end) {
            pieces.push(&text[from..end]);
            from = end;
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for piece in pieces {
        let candidate = format!("{cur}{piece}");
        if cx.tokens.count(&tidy(&candidate)) <= budget {
            cur = candidate;
            continue;
        }
        if !tidy(&cur).is_empty() {
            out.push(tidy(&cur));
        }
        cur = piece.to_string();
        // A single piece longer than the budget: cut at the longest prefix that fits.
        while cx.tokens.count(&tidy(&cur)) > budget {
            let chars: Vec<(usize, char)> = cur.char_indices().collect();
            let (mut lo, mut hi) = (1, chars.len());
            while lo < hi {
                let mid = (lo + hi).div_ceil(2);
                let end = chars.get(mid).map_or(cur.len(), |c| c.0);
                if cx.tokens.count(&tidy(&cur[..end])) <= budget { lo = mid } else { hi = mid - 1 }
            }
            let end = chars.get(lo).map_or(cur.len(), |c| c.0);
            if !tidy(&cur[..end]).is_empty() {
                out.push(tidy(&cur[..end]));
            }
            cur = cur[end..].to_string();
        }
    }
    if !tidy(&cur).is_empty() {
        out.push(tidy(&cur));
    }
    out
}
