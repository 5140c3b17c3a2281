//! Numbered procedures: ordered lists and the steps they hold.

use super::builder::{blocks_text, plain_text};
use crate::model::{Block, List, Procedure, SectionId, Step};

/// The procedures of one section's block list: every top-level ordered list. A table that directly
/// follows the list belongs to its last step (DocFX authors often put a step's table after the list).
pub(super) fn procedures(blocks: &[Block], section: Option<SectionId>) -> Vec<Procedure> {
    let mut out = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        let Block::List(list @ List { start: Some(start), .. }) = block else { continue };
        let mut steps: Vec<Step> = list.items.iter().map(|item| step(&item.blocks, item.span)).collect();
        if let (Some(Block::Table(t)), Some(last)) = (blocks.get(i + 1), steps.last_mut()) {
            last.attached.push(Block::Table(t.clone()));
        }
        let intro = i
            .checked_sub(1)
            .and_then(|p| match &blocks[p] {
                Block::Paragraph { inlines, .. } => Some(plain_text(inlines).trim().to_string()),
                _ => None,
            })
            .filter(|t| !t.is_empty());
        out.push(Procedure { section, intro, start: *start, steps, span: list.span });
    }
    out
}

fn step(blocks: &[Block], span: crate::source::Span) -> Step {
    let mut own = Vec::new();
    let mut substeps = Vec::new();
    for block in blocks {
        match block {
            Block::List(List { start: Some(_), items, .. }) => {
                substeps.extend(items.iter().map(|item| step(&item.blocks, item.span)));
            }
            other => own.push(other.clone()),
        }
    }
    let text = own
        .iter()
        .find_map(|b| match b {
            Block::Paragraph { inlines, .. } => Some(plain_text(inlines).trim().to_string()),
            _ => None,
        })
        .unwrap_or_else(|| blocks_text(&own));
    Step { blocks: own, text, substeps, attached: Vec::new(), span }
}
