//! Printable troubleshooting checklists: for every article with troubleshooting rows or numbered
//! steps, `checklists/<page>.html` (print-ready, A4 or Letter) and `checklists/<page>.md` (a GitHub
//! task list), plus `checklists/index.html`.
//!
//! - [`model`]: the checklist built from the article model, numbered, links rewritten for paper.
//! - [`markdown`]: the task list, through the Markdown twin's renderer.
//! - [`html`]: the page body; the theme's `checklist.html` and `checklist.css` do the rest.
//! - [`qr`]: the QR code of the article's published URL, inline SVG.

pub mod html;
pub mod markdown;
pub mod model;
pub mod qr;
pub mod strings;

use super::{RenderError, urls, write_file};
use crate::Book;
use crate::config::Paper;
use crate::model::{Article, ArticleId};
use crate::render::html::theme::Theme;
use crate::render::markdown::{Links, Markdown};
use minijinja::Value;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::path::Path;

/// Whether `article` gets a checklist: the output is on, its `ms.topic` is selected (or no topics
/// are), and it has troubleshooting rows or numbered steps to tick off.
pub fn applies(book: &Book, article: &Article) -> bool {
    let cfg = &book.config.output.checklist;
    let topic_ok = cfg.topics.is_empty()
        || article
            .meta
            .topic
            .as_deref()
            .is_some_and(|t| cfg.topics.iter().any(|x| x.eq_ignore_ascii_case(t.trim())));
    cfg.enable && topic_ok && (!article.troubleshooting.is_empty() || !article.procedures.is_empty())
}

/// The checklist of one article (for tests and other outputs); `None` for an unknown id, an error
/// when the article's text cannot be read again.
pub fn checklist(book: &Book, id: ArticleId) -> Result<Option<model::Checklist>, RenderError> {
    if id.0 as usize >= book.articles.len() {
        return Ok(None);
    }
    Ok(Some(checklist_of(book, id, &*book.article(id)?)))
}

/// The checklist of article `id`, given with its content.
fn checklist_of(book: &Book, id: ArticleId, article: &Article) -> model::Checklist {
    let s = strings::for_lang(&article.locale);
    // The same text the JSON hashes for `content_sha256`, so the printed version matches it.
    let twin = format!("{}\n", Markdown::new(book, id, article, Links::Page).article());
    let digest = sha2::Sha256::digest(twin.as_bytes());
    let version = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    model::build(book, id, article, s, version)
}

/// The Markdown task list of a checklist.
pub fn to_markdown(book: &Book, c: &model::Checklist) -> Result<String, RenderError> {
    Ok(markdown::render(book, &*book.article(c.article)?, c, strings::for_lang(&c.lang)))
}

/// What `write` produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub checklists: usize,
    pub items: usize,
}

#[derive(Serialize)]
struct SectionCtx {
    number: usize,
    kind: &'static str,
    title: String,
    html: Value,
}

#[derive(Serialize)]
struct IndexEntry {
    title: String,
    html: String,
    markdown: String,
    items: usize,
    lang: String,
}

/// One article's rendered checklist, as the incremental cache keeps it.
#[derive(Serialize, Deserialize)]
struct Rendered {
    markdown: String,
    html: String,
    title: String,
    items: usize,
    lang: String,
}

/// What the index of checklists shows of one.
struct Listed {
    title: String,
    items: usize,
    lang: String,
}

/// Writes every checklist and the index into `out`.
pub fn write(book: &Book, out: &Path) -> Result<Stats, RenderError> {
    write_memo(book, out, &super::NoMemo)
}

/// The renderer's entry point in [`super::RENDERERS`].
pub fn write_with(book: &Book, out: &Path, memo: &dyn super::Memo) -> Result<(), RenderError> {
    write_memo(book, out, memo).map(|_| ())
}

/// [`write`], reusing the checklists of unchanged articles from `memo`. Articles render in
/// parallel; the index lists them in content order.
pub fn write_memo(book: &Book, out: &Path, memo: &dyn super::Memo) -> Result<Stats, RenderError> {
    let mut stats = Stats::default();
    if !book.config.output.checklist.enable {
        return Ok(stats);
    }
    let theme = Theme::load(book.config.output.html.theme.as_deref());
    let css = theme
        .static_files()?
        .into_iter()
        .find(|(n, _)| n == "checklist.css")
        .map(|(_, b)| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let paper = match book.config.output.checklist.paper {
        Paper::A4 => "A4",
        Paper::Letter => "letter",
    };
    let rendered: Vec<Option<(ArticleId, Listed)>> = (0..book.articles.len())
        .into_par_iter()
        .filter(|&i| memo.in_scope(ArticleId(i as u32)))
        .map(|i| {
            let article = &book.articles[i];
            if !applies(book, article) {
                return Ok(None);
            }
            let id = ArticleId(i as u32);
            let r: Option<Rendered> = super::memoized(memo, "checklist", id, || {
                let whole = book.article(id)?;
                let c = checklist_of(book, id, &whole);
                let path = urls::checklist_path(article);
                Ok(Some(Rendered {
                    markdown: markdown::render(book, &whole, &c, strings::for_lang(&c.lang)),
                    html: page(book, &theme, &c, &css, paper, &path)?,
                    title: c.title.clone(),
                    items: c.item_count(),
                    lang: c.lang.clone(),
                }))
            })?;
            let Some(r) = r else { return Ok(None) };
            write_file(out, &urls::checklist_markdown_path(article), &r.markdown)?;
            write_file(out, &urls::checklist_path(article), &r.html)?;
            // Only what the index needs is kept: the pages are on disk.
            Ok(Some((id, Listed { title: r.title, items: r.items, lang: r.lang })))
        })
        .collect::<Result<_, RenderError>>()?;
    if !memo.whole_book() {
        return Ok(stats);
    }
    let mut index = Vec::new();
    for (id, r) in rendered.into_iter().flatten() {
        let article = &book.articles[id.0 as usize];
        let path = urls::checklist_path(article);
        let md_path = urls::checklist_markdown_path(article);
        stats.checklists += 1;
        stats.items += r.items;
        index.push(IndexEntry {
            title: r.title,
            html: urls::relative_url(urls::CHECKLIST_INDEX, &path, None),
            markdown: urls::relative_url(urls::CHECKLIST_INDEX, &md_path, None),
            items: r.items,
            lang: r.lang,
        });
    }
    let lang = book.config.book.language.clone().unwrap_or_else(|| "en-US".to_string());
    let s = strings::for_lang(&lang);
    let ctx = minijinja::context! {
        lang => lang,
        t => Value::from_serialize(s),
        kb_title => book.config.book.title.clone(),
        css => Value::from_safe_string(css),
        checklists => Value::from_serialize(&index),
    };
    write_file(out, urls::CHECKLIST_INDEX, theme.render("checklist-index.html", ctx)?)?;
    Ok(stats)
}

fn page(
    book: &Book,
    theme: &Theme,
    c: &model::Checklist,
    css: &str,
    paper: &str,
    path: &str,
) -> Result<String, RenderError> {
    let s = strings::for_lang(&c.lang);
    let article = &book.articles[c.article.0 as usize];
    let sections: Vec<SectionCtx> = c
        .sections
        .iter()
        .map(|sec| SectionCtx {
            number: sec.number,
            kind: html::kind_class(sec.kind),
            title: sec.title.clone(),
            html: Value::from_safe_string(html::section(&sec.parts, s)),
        })
        .collect();
    let article_url = book
        .config
        .output
        .html
        .enable
        .then(|| urls::relative_url(path, &urls::page_path(article, "html"), None));
    let ctx = minijinja::context! {
        lang => c.lang.clone(),
        t => Value::from_serialize(s),
        paper => paper,
        css => Value::from_safe_string(css.to_string()),
        title => c.title.clone(),
        kb_title => c.kb_title.clone(),
        date => c.date.clone(),
        version => c.version.clone(),
        url => c.url.clone(),
        qr => qr::svg(&c.url, "26mm", s.qr).map(Value::from_safe_string),
        sections => sections,
        footnotes => Value::from_safe_string(html::footnotes(c)),
        has_footnotes => !c.footnotes.is_empty(),
        items => c.item_count(),
        article_url => article_url,
        index_url => urls::relative_url(path, urls::CHECKLIST_INDEX, None),
    };
    theme.render("checklist.html", ctx)
}
