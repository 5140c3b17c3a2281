//! The model dump: `model/<content path>.json` per article, for inspection and debugging, when
//! `[output.model] enable` is set.
//! Not a public contract (the chatbot JSON is); its shape follows the internal model.

use super::{RenderError, write_file};
use crate::Book;
use crate::model::Article;
use crate::resolve::Resolved;
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;

#[derive(Serialize)]
struct ArticleDump<'a> {
    #[serde(flatten)]
    article: &'a Article,
    resolved_links: &'a [Resolved],
}

/// The dump of one article as pretty JSON.
pub fn article_json(book: &Book, index: usize) -> Result<String, RenderError> {
    let whole = book.article(crate::model::ArticleId(index as u32))?;
    let article: &Article = &whole;
    let resolved_links = book.resolution.links.get(index).map_or(&[][..], Vec::as_slice);
    let mut s = serde_json::to_string_pretty(&ArticleDump { article, resolved_links })
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    Ok(s)
}

/// Writes every article's dump under `out/model/`, in parallel (each file depends on its article
/// alone, so the order of writing does not show in the output).
pub fn write(book: &Book, out: &Path) -> Result<(), RenderError> {
    if !book.config.output.model.enable {
        return Ok(());
    }
    book.articles
        .par_iter()
        .enumerate()
        .try_for_each(|(i, a)| write_file(out, &format!("model/{}.json", a.rel_path), article_json(book, i)?))
}
