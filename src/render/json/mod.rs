//! The JSON output for chatbots and RAG pipelines: a versioned public contract.
//!
//! Files, under the build directory:
//!
//! - `api/v1/manifest.json`: the knowledge base and every article ([`types::Manifest`]).
//! - `api/v1/articles/<id>.json`: one article, whole ([`types::Article`]).
//! - `api/v1/troubleshooting.jsonl`: one troubleshooting entry per line, for exact lookup of an
//!   error message by its match key ([`types::TroubleshootingEntry`]).
//! - `api/v1/chunks.jsonl`: one retrieval chunk per line ([`types::Chunk`]).
//! - `schemas/v1/*.schema.json`: JSON Schema 2020-12 of each, generated from the types here.
//! - `<page>.md`: the Markdown twin of every article, next to its HTML page.
//! - `llms.txt`, `llms-full.txt` (all locales) and `<locale>/llms.txt`, `<locale>/llms-full.txt`.
//! - `api/v1/README.md`: the contract in prose ([`API_README`], from `README.md` beside this file).
//!
//! # Compatibility
//!
//! The major version is in every path and schema `$id` (`v1`). Within a major version, a minor
//! version (`schema_version` in the manifest) only adds optional fields; consumers ignore fields
//! they do not know. Removing or changing a field makes a new major version, written beside the
//! old one for a while.
//!
//! # Guarantees
//!
//! Output is byte-identical across runs and thread counts: no build time is recorded, maps are
//! sorted, lists follow document and content-path order. All text is NFC.
//!
//! **Invariant:** only this module (and the model dump) knows serde_json; the wire types in
//! [`types`] are the contract, the internal model can change freely.

mod article;
mod chunks;
mod llms;
pub(crate) mod text;
pub mod types;

pub use chunks::Bounds;
pub use text::{TOKENIZER, Tokens, match_key, sha256_hex};

use super::markdown::{Links, Slotted};
use super::{RenderError, urls, write_file};
use crate::Book;
use crate::model::{Article, ArticleId, SectionId};
use crate::resolve::Resolved;
use rayon::prelude::*;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// `api/v1/README.md`: the contract in prose for integrators (files, compatibility, ids, URLs).
pub const API_README: &str = include_str!("README.md");

/// `MAJOR.MINOR` of the contract written by this version of kbc.
pub const SCHEMA_VERSION: &str = "1.1";
/// Where the schemas' `$id`s live; the major version is part of the path.
pub const SCHEMA_BASE: &str = "https://kbc.dev/schemas/v1/";
/// Folder of the API files in the build directory.
pub const API_DIR: &str = "api/v1";
/// Folder of the schema files in the build directory.
pub const SCHEMA_DIR: &str = "schemas/v1";

pub const MANIFEST_SCHEMA: &str = "manifest.schema.json";
pub const ARTICLE_SCHEMA: &str = "article.schema.json";
pub const ENTRY_SCHEMA: &str = "troubleshooting-entry.schema.json";
pub const CHUNK_SCHEMA: &str = "chunk.schema.json";

fn schema_url(file: &str) -> String {
    format!("{SCHEMA_BASE}{file}")
}

/// Every schema, by file name, in a fixed order: manifest, article, troubleshooting entry, chunk.
pub fn schemas() -> Vec<(&'static str, serde_json::Value)> {
    fn one<T: JsonSchema>(file: &str, description: &str) -> serde_json::Value {
        let mut schema = schemars::generate::SchemaSettings::draft2020_12()
            .for_serialize()
            .into_generator()
            .into_root_schema_for::<T>();
        schema.insert("$id".into(), serde_json::Value::String(schema_url(file)));
        schema.insert(
            "description".into(),
            serde_json::Value::String(format!(
                "{description} Contract version {SCHEMA_VERSION}. Minor versions only add optional \
                 fields and new values of documented value lists; consumers must ignore fields they do \
                 not know and skip values they do not know."
            )),
        );
        schema.to_value()
    }
    vec![
        (
            MANIFEST_SCHEMA,
            one::<types::Manifest>(
                MANIFEST_SCHEMA,
                "`api/v1/manifest.json`: the knowledge base and every article.",
            ),
        ),
        (
            ARTICLE_SCHEMA,
            one::<types::Article>(ARTICLE_SCHEMA, "`api/v1/articles/<id>.json`: one article, whole."),
        ),
        (
            ENTRY_SCHEMA,
            one::<types::TroubleshootingEntry>(
                ENTRY_SCHEMA,
                "One line of `api/v1/troubleshooting.jsonl`: an error message or symptom with its causes, resolutions and steps.",
            ),
        ),
        (
            CHUNK_SCHEMA,
            one::<types::Chunk>(
                CHUNK_SCHEMA,
                "One line of `api/v1/chunks.jsonl`: a self-contained retrieval chunk.",
            ),
        ),
    ]
}

/// Pretty JSON with a final newline.
pub fn pretty(value: &impl Serialize) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    Ok(s)
}

/// One JSON value per line.
fn jsonl<T: Serialize>(items: impl IntoIterator<Item = T>) -> Result<String, serde_json::Error> {
    let mut out = String::new();
    for item in items {
        out.push_str(&serde_json::to_string(&item)?);
        out.push('\n');
    }
    Ok(out)
}

/// What one article becomes, serialised as written (so a previous build's can be reused as is).
#[derive(Serialize, serde::Deserialize)]
struct Rendered {
    twin: String,
    /// `api/v1/articles/<id>.json`.
    article: String,
    /// Its lines of `troubleshooting.jsonl` and `chunks.jsonl`.
    entries: String,
    chunks: String,
    manifest: types::ManifestArticle,
}

/// What the whole-book files need of an article once its own files are written.
struct Listed {
    entries: String,
    chunks: String,
    manifest: types::ManifestArticle,
}

/// Writes the JSON API, the schemas, the Markdown twins and the `llms` files into `out`.
pub fn write(book: &Book, out: &Path) -> Result<(), RenderError> {
    write_with(book, out, &super::NoMemo)
}

/// [`write`], reusing the output of unchanged articles from `memo`.
pub fn write_with(book: &Book, out: &Path, memo: &dyn super::Memo) -> Result<(), RenderError> {
    if !book.config.output.json.enable {
        return Ok(());
    }
    let owned;
    let parts = match memo.parts() {
        Some(p) => &p.json,
        None => {
            owned = Parts::new(book);
            &owned
        }
    };
    let cx = Ctx::new(book, parts);
    let bounds = Bounds::new(&book.config.output.json);
    let json_err = |file: &str| {
        let path = out.join(file);
        move |e: serde_json::Error| RenderError { path: path.clone(), message: e.to_string() }
    };
    // Each article's files are written as soon as they are rendered. The JSONL files (each the
    // size of every article's text) are streamed in article order, a batch of articles at a
    // time; so are the manifest's articles, to a spool (tens of MB in a large book).
    let manifest_file = format!("{API_DIR}/manifest.json");
    let mut lines = if memo.whole_book() {
        Some((
            super::StreamedFile::create(out, &format!("{API_DIR}/troubleshooting.jsonl"))?,
            super::StreamedFile::create(out, &format!("{API_DIR}/chunks.jsonl"))?,
            ManifestArticles::new(out, &manifest_file)?,
        ))
    } else {
        None
    };
    let ids: Vec<ArticleId> =
        (0..book.articles.len() as u32).map(ArticleId).filter(|&id| memo.in_scope(id)).collect();
    for batch in ids.chunks(STREAM_BATCH) {
        let rendered: Vec<Listed> = batch
            .par_iter()
            .map(|&id| {
                let r = super::memoized(memo, "json", id, || {
                    let a = book.article(id)?;
                    // The twin and the sections are rendered once, for both ways of linking.
                    let slotted = Slotted::new(book, id, &a);
                    // Hashed as written, final newline included.
                    let twin = format!("{}\n", slotted.article(&Links::Page));
                    let article = article::article(&cx, id, &a, &slotted, &twin)?;
                    let file = cx.json_path(id);
                    Ok(Rendered {
                        article: pretty(&article).map_err(json_err(&file))?,
                        entries: jsonl(&article.troubleshooting).map_err(json_err(&file))?,
                        chunks: jsonl(chunks::chunks(&cx, id, &a, bounds)).map_err(json_err(&file))?,
                        manifest: manifest_article(&article),
                        twin,
                    })
                })?;
                write_file(out, &urls::page_path(cx.outline(id), "md"), &r.twin)?;
                write_file(out, &cx.json_path(id), &r.article)?;
                Ok(Listed { entries: r.entries, chunks: r.chunks, manifest: r.manifest })
            })
            .collect::<Result<_, RenderError>>()?;
        for r in rendered {
            if let Some((entries, chunks, manifest)) = &mut lines {
                entries.write(r.entries.as_bytes())?;
                chunks.write(r.chunks.as_bytes())?;
                manifest.push(&r.manifest)?;
            }
        }
    }
    let Some((entries, chunks, manifest)) = lines else {
        return Ok(());
    };
    entries.finish()?;
    chunks.finish()?;
    let head = pretty(&cx.manifest(Vec::new())).map_err(json_err(&manifest_file))?;
    manifest.finish(out, &manifest_file, &head)?;
    for (name, schema) in schemas() {
        let file = format!("{SCHEMA_DIR}/{name}");
        write_file(out, &file, pretty(&schema).map_err(json_err(&file))?)?;
    }
    write_file(out, &format!("{API_DIR}/README.md"), API_README)?;
    // Every article's text is in `llms-full.txt`, rendered again with links relative to it. Each
    // folder's set is streamed to its files, and reused whole when no article changed. The texts
    // of every set are rendered together when the first set is not reused (sets are reused all
    // together or not at all, but for a lost cache entry).
    let sets = llms::sets(&cx);
    let mut texts: Option<Vec<Option<llms::SetTexts>>> = None;
    for (k, set) in sets.iter().enumerate() {
        let mut render = || {
            if texts.is_none() {
                texts = Some(llms::texts(&cx, &sets, out)?.into_iter().map(Some).collect());
            }
            match texts.as_mut().and_then(|t| t.get_mut(k)).and_then(Option::take) {
                Some(t) => llms::write(&cx, set, t, out),
                None => Err(RenderError {
                    path: out.to_path_buf(),
                    message: "the `llms` texts are missing".into(),
                }),
            }
        };
        match memo.book_key() {
            Some(key) => super::write_memoized_files(memo, out, "", &set.memo_name(), key, |_| render())?,
            None => super::write_memoized_files(&super::NoMemo, out, "", "", (), |_| render())?,
        };
    }
    Ok(())
}

/// The manifest's articles as they are rendered, in a spool, each as `pretty` prints it inside the
/// manifest: the manifest is written around them at the end, byte for byte what printing the
/// whole [`types::Manifest`] at once gives.
struct ManifestArticles {
    spool: super::Spool,
    bytes: u64,
    /// The manifest's path, for errors.
    path: std::path::PathBuf,
}

impl ManifestArticles {
    fn new(out: &Path, rel: &str) -> Result<ManifestArticles, RenderError> {
        Ok(ManifestArticles { spool: super::Spool::create(out, rel)?, bytes: 0, path: out.join(rel) })
    }

    fn push(&mut self, article: &types::ManifestArticle) -> Result<(), RenderError> {
        let text = serde_json::to_string_pretty(article)
            .map_err(|e| RenderError { path: self.path.clone(), message: e.to_string() })?;
        // Two levels deep (the manifest object, its `articles` array); JSON strings hold no line
        // breaks, so every line of the article moves by the same four spaces.
        let mut piece = String::with_capacity(text.len() + text.len() / 8);
        piece.push_str(if self.bytes == 0 { "\n" } else { ",\n" });
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                piece.push('\n');
            }
            piece.push_str("    ");
            piece.push_str(line);
        }
        self.spool.write(piece.as_bytes())?;
        self.bytes += piece.len() as u64;
        Ok(())
    }

    /// Writes `out/rel`: `head` (the manifest printed without articles, ending in
    /// `"articles": []`) with the spooled articles in its array.
    fn finish(self, out: &Path, rel: &str, head: &str) -> Result<(), RenderError> {
        let Some(head) = head.strip_suffix("[]\n}\n") else {
            return Err(RenderError {
                path: self.path,
                message: "the manifest does not end in its articles".into(),
            });
        };
        let mut file = super::StreamedFile::create(out, rel)?;
        file.write(head.as_bytes())?;
        file.write(b"[")?;
        file.copy_from(&mut self.spool.into_reader()?, self.bytes)?;
        file.write(if self.bytes == 0 { b"]\n}\n" } else { b"\n  ]\n}\n" })?;
        file.finish()
    }
}

/// Articles rendered between two writes of the JSONL files: enough to keep both cores busy, few
/// enough that their lines are a small part of the book's.
pub(super) const STREAM_BATCH: usize = 256;

/// The JSON API of a book in memory: exactly what [`write`] publishes, without writing it (for
/// `kbc mcp` and `kbc ask` on a content folder).
pub struct Api {
    pub manifest: types::Manifest,
    /// In content-path order, as in the manifest.
    pub articles: Vec<types::Article>,
    /// The Markdown twin of each article, as published.
    pub twins: Vec<String>,
    pub chunks: Vec<types::Chunk>,
}

/// Renders the JSON API of `book` in memory, whether or not `[output.json]` is enabled. An error
/// when an article's text cannot be read again (a low-memory build).
pub fn api(book: &Book) -> Result<Api, RenderError> {
    let parts = Parts::new(book);
    let cx = Ctx::new(book, &parts);
    let bounds = Bounds::new(&book.config.output.json);
    let rendered: Vec<(String, types::Article, Vec<types::Chunk>)> = (0..book.articles.len())
        .into_par_iter()
        .map(|i| {
            let id = ArticleId(i as u32);
            let a = book.article(id)?;
            let slotted = Slotted::new(book, id, &a);
            let twin = format!("{}\n", slotted.article(&Links::Page));
            let article = article::article(&cx, id, &a, &slotted, &twin)?;
            Ok((twin, article, chunks::chunks(&cx, id, &a, bounds)))
        })
        .collect::<Result<_, RenderError>>()?;
    let manifest = cx.manifest(rendered.iter().map(|(_, a, _)| manifest_article(a)).collect());
    let mut api = Api { manifest, articles: Vec::new(), twins: Vec::new(), chunks: Vec::new() };
    for (twin, article, chunks) in rendered {
        api.articles.push(article);
        api.twins.push(twin);
        api.chunks.extend(chunks);
    }
    Ok(api)
}

/// What the wire builders share that depends only on the book's shape (every article's path,
/// locale and assetid, the navigation): a watch loop keeps it between edits that keep the shape.
pub struct Parts {
    /// Wire id of each article.
    article_ids: Vec<String>,
    breadcrumbs: Vec<Vec<types::Breadcrumb>>,
    /// Navigation groups (title, articles in navigation order), then the articles in none.
    groups: Vec<(String, Vec<ArticleId>)>,
}

impl Parts {
    pub fn new(book: &Book) -> Parts {
        let (breadcrumbs, groups) = navigation(book);
        Parts { article_ids: article_ids(&book.articles), breadcrumbs, groups }
    }
}

/// Everything the wire builders share: ids, navigation, URLs, the tokenizer.
pub(crate) struct Ctx<'a> {
    book: &'a Book,
    tokens: Tokens,
    parts: &'a Parts,
    /// Wire id of each section of each article, computed when first asked for (one article's
    /// outputs need those of the articles it links to only). `None` when every id is its
    /// section's own anchor, the usual case: they are read from the article instead of copied
    /// (held for every article, the copies were 20 MB at 50,000 articles).
    section_ids: Vec<std::sync::OnceLock<Option<Vec<String>>>>,
}

impl<'a> Ctx<'a> {
    fn new(book: &'a Book, parts: &'a Parts) -> Ctx<'a> {
        Ctx {
            book,
            tokens: Tokens::default(),
            parts,
            section_ids: book.articles.iter().map(|_| std::sync::OnceLock::new()).collect(),
        }
    }

    /// Article `id` as the book holds it: in a low-memory build its outline, without content
    /// (the article being rendered is passed along whole).
    fn outline(&self, id: ArticleId) -> &'a Article {
        &self.book.articles[id.0 as usize]
    }

    fn article_id(&self, id: ArticleId) -> &str {
        &self.parts.article_ids[id.0 as usize]
    }

    fn section_id(&self, id: ArticleId, section: SectionId) -> &str {
        let Some(ids) = self.section_ids.get(id.0 as usize) else { return "" };
        let a = self.outline(id);
        match ids.get_or_init(|| renamed_section_ids(a)) {
            Some(ids) => ids.get(section.0 as usize).map_or("", String::as_str),
            None => a.sections.get(section.0 as usize).and_then(|s| s.id.as_deref()).unwrap_or(""),
        }
    }

    fn site_url(&self) -> Option<&'a str> {
        self.book.config.output.html.site_url.as_deref()
    }

    fn title(&self, id: ArticleId) -> String {
        text::nfc(self.outline(id).title.trim())
    }

    /// The front matter description, else the first paragraph, on one line.
    fn description(&self, id: ArticleId) -> Option<String> {
        let a = self.outline(id);
        let d = a.meta.description.as_deref().or(a.summary.as_deref())?;
        let d = d.split_whitespace().collect::<Vec<_>>().join(" ");
        (!d.is_empty()).then(|| text::nfc(&d))
    }

    fn json_path(&self, id: ArticleId) -> String {
        format!("{API_DIR}/articles/{}.json", self.article_id(id))
    }

    fn urls(&self, id: ArticleId) -> types::ArticleUrls {
        let a = self.outline(id);
        types::ArticleUrls {
            html: urls::public_url(self.site_url(), &urls::page_path(a, "html"), None),
            md: urls::public_url(self.site_url(), &urls::page_path(a, "md"), None),
            json: urls::public_url(self.site_url(), &self.json_path(id), None),
        }
    }

    /// The HTML page of an article, at the section's primary anchor when there is one.
    fn section_url(&self, id: ArticleId, section: Option<SectionId>) -> String {
        let a = self.outline(id);
        let fragment = section.and_then(|s| a.section(s).id.as_deref());
        urls::public_url(self.site_url(), &urls::page_path(a, "html"), fragment)
    }

    /// A URL for `path#fragment` as written in the file at site path `from`: absolute under the
    /// site URL, else relative to `from`.
    fn url_from(&self, from: &str, path: &str, fragment: Option<&str>) -> String {
        match self.site_url() {
            Some(_) => urls::public_url(self.site_url(), path, fragment),
            None => urls::relative_url(from, path, fragment),
        }
    }

    /// Non-empty heading titles from the outermost section down to `section`.
    fn heading_path(&self, id: ArticleId, section: Option<SectionId>) -> Vec<String> {
        let a = self.outline(id);
        let mut path = Vec::new();
        let mut cur = section;
        while let Some(s) = cur {
            let sec = a.section(s);
            if !sec.title.trim().is_empty() {
                path.push(text::nfc(sec.title.trim()));
            }
            cur = sec.parent;
        }
        path.reverse();
        path
    }

    /// Other-locale articles with the same `ms.assetid`, in content-path order.
    fn translations(&self, id: ArticleId) -> Vec<types::Translation> {
        let a = self.outline(id);
        let Some(guid) = &a.meta.assetid else { return Vec::new() };
        self.book
            .articles
            .iter()
            .enumerate()
            .filter(|(_, t)| t.locale != a.locale && t.meta.assetid.as_ref() == Some(guid))
            .map(|(i, t)| {
                let tid = ArticleId(i as u32);
                types::Translation {
                    id: self.article_id(tid).to_string(),
                    locale: t.locale.clone(),
                    title: self.title(tid),
                    html: self.urls(tid).html,
                }
            })
            .collect()
    }

    fn locales(&self) -> Vec<String> {
        let set: BTreeSet<&str> = self.book.articles.iter().map(|a| a.locale.as_str()).collect();
        set.into_iter().map(str::to_string).collect()
    }

    fn manifest(&self, articles: Vec<types::ManifestArticle>) -> types::Manifest {
        let book = &self.book.config.book;
        let url = |path: &str| urls::public_url(self.site_url(), path, None);
        types::Manifest {
            schema: schema_url(MANIFEST_SCHEMA),
            schema_version: SCHEMA_VERSION.to_string(),
            generator: types::Generator { name: "kbc".into(), version: env!("CARGO_PKG_VERSION").into() },
            title: book.title.as_deref().map(text::nfc),
            description: book.description.as_deref().map(text::nfc),
            site_url: self.site_url().map(str::to_string),
            locales: self.locales(),
            tokenizer: TOKENIZER.to_string(),
            files: types::ManifestFiles {
                troubleshooting: url(&format!("{API_DIR}/troubleshooting.jsonl")),
                chunks: url(&format!("{API_DIR}/chunks.jsonl")),
                llms_txt: url("llms.txt"),
                schemas: [MANIFEST_SCHEMA, ARTICLE_SCHEMA, ENTRY_SCHEMA, CHUNK_SCHEMA]
                    .iter()
                    .map(|f| (f.to_string(), url(&format!("{SCHEMA_DIR}/{f}"))))
                    .collect(),
            },
            articles,
        }
    }
}

/// An article's entry in the manifest.
fn manifest_article(a: &types::Article) -> types::ManifestArticle {
    types::ManifestArticle {
        id: a.id.clone(),
        asset_id: a.asset_id.clone(),
        locale: a.locale.clone(),
        title: a.title.clone(),
        description: a.description.clone(),
        topic: a.topic.clone(),
        date: a.date.clone(),
        urls: a.urls.clone(),
        content_sha256: a.content_sha256.clone(),
        translations: a.translations.clone(),
    }
}

/// `<locale>/<ms.assetid>` for an article whose `ms.assetid` no other article of its locale
/// claims, else `<locale>/<path without .md>`; `~<n>` settles any remaining clash.
fn article_ids(articles: &[Article]) -> Vec<String> {
    let mut claims: HashMap<(&str, &str), usize> = HashMap::new();
    for a in articles {
        if let Some(g) = &a.meta.assetid {
            *claims.entry((a.locale.as_str(), g.as_str())).or_default() += 1;
        }
    }
    let mut taken = BTreeSet::new();
    articles
        .iter()
        .map(|a| {
            let own =
                a.meta.assetid.as_ref().filter(|g| claims.get(&(a.locale.as_str(), g.as_str())) == Some(&1));
            let base = match own {
                Some(g) => format!("{}/{}", a.locale, g.as_str()),
                None => {
                    let stem = a.rel_path.strip_suffix(".md").or_else(|| a.rel_path.strip_suffix(".MD"));
                    format!("{}/{}", a.locale, stem.unwrap_or(&a.rel_path))
                }
            };
            unique(&mut taken, base)
        })
        .collect()
}

/// Each section's primary anchor, `section-<n>` (1-based) for a section without one; repeats get
/// `~<n>`.
fn section_ids(a: &Article) -> Vec<String> {
    let mut taken = BTreeSet::new();
    a.sections
        .iter()
        .enumerate()
        .map(|(i, s)| unique(&mut taken, s.id.clone().unwrap_or_else(|| format!("section-{}", i + 1))))
        .collect()
}

/// [`section_ids`], unless every one is its section's own anchor.
fn renamed_section_ids(a: &Article) -> Option<Vec<String>> {
    let ids = section_ids(a);
    let renamed = ids.iter().zip(&a.sections).any(|(id, s)| s.id.as_deref() != Some(id.as_str()));
    renamed.then_some(ids)
}

pub(crate) fn unique(taken: &mut BTreeSet<String>, base: String) -> String {
    let mut id = base.clone();
    let mut n = 1;
    while !taken.insert(id.clone()) {
        n += 1;
        id = format!("{base}~{n}");
    }
    id
}

/// Breadcrumbs of every article and the navigation groups, from the navigation files.
///
/// A group is an entry at the first level of a navigation file that has more than one entry (a
/// `TOC.md` often wraps everything in one top heading); a wrapping entry that links to an article
/// makes a group of its own. An article belongs to the first entry that links to it, and its
/// breadcrumbs are that entry's ancestors.
#[allow(clippy::type_complexity)]
fn navigation(book: &Book) -> (Vec<Vec<types::Breadcrumb>>, Vec<(String, Vec<ArticleId>)>) {
    use crate::nav::NavItem;
    struct Walk<'b> {
        book: &'b Book,
        resolved: &'b [Resolved],
        /// Index of the next link in `resolved` (depth-first order, as `Nav::links`).
        next: usize,
        /// Depth of the grouping level in the current file.
        group_depth: usize,
        crumbs: Vec<Option<Vec<types::Breadcrumb>>>,
        groups: Vec<(String, Vec<ArticleId>)>,
    }
    impl Walk<'_> {
        fn items(
            &mut self,
            items: &[NavItem],
            depth: usize,
            path: &mut Vec<types::Breadcrumb>,
            group: Option<usize>,
        ) {
            for item in items {
                let title = text::nfc(item.title.trim());
                let group = if depth <= self.group_depth {
                    self.groups.push((title.clone(), Vec::new()));
                    Some(self.groups.len() - 1)
                } else {
                    group
                };
                let mut url = None;
                if item.href.is_some() {
                    let site_url = self.book.config.output.html.site_url.as_deref();
                    match self.resolved.get(self.next) {
                        Some(Resolved::Article { article, .. }) => {
                            let a = &self.book.articles[article.0 as usize];
                            url = Some(urls::public_url(site_url, &urls::page_path(a, "html"), None));
                            let slot = &mut self.crumbs[article.0 as usize];
                            if slot.is_none() {
                                *slot = Some(path.clone());
                                if let Some(g) = group {
                                    self.groups[g].1.push(*article);
                                }
                            }
                        }
                        Some(Resolved::File { path: p }) => url = Some(urls::public_url(site_url, p, None)),
                        _ => {}
                    }
                    self.next += 1;
                }
                path.push(types::Breadcrumb { title, url });
                self.items(&item.children, depth + 1, path, group);
                path.pop();
            }
        }
    }
    let n = book.articles.len();
    let mut walk =
        Walk { book, resolved: &[], next: 0, group_depth: 0, crumbs: vec![None; n], groups: Vec::new() };
    for (i, nav) in book.navs.iter().enumerate() {
        walk.resolved = book.resolution.nav_links.get(i).map_or(&[], Vec::as_slice);
        walk.next = 0;
        walk.group_depth = 0;
        let mut level = nav.items.as_slice();
        while let [only] = level
            && !only.children.is_empty()
        {
            walk.group_depth += 1;
            level = &only.children;
        }
        walk.items(&nav.items, 0, &mut Vec::new(), None);
    }
    let mut groups: Vec<(String, Vec<ArticleId>)> = Vec::new();
    for (title, members) in walk.groups {
        let Some(first) = members.first() else { continue };
        let title =
            if title.is_empty() { text::nfc(book.articles[first.0 as usize].title.trim()) } else { title };
        groups.push((title, members));
    }
    let rest: Vec<ArticleId> =
        (0..n).filter(|&i| walk.crumbs[i].is_none()).map(|i| ArticleId(i as u32)).collect();
    if !rest.is_empty() {
        let title = if groups.is_empty() { "Articles" } else { "Other articles" };
        groups.push((title.to_string(), rest));
    }
    let crumbs = walk.crumbs.into_iter().map(Option::unwrap_or_default).collect();
    (crumbs, groups)
}

/// The ids of every article, as written in the output (for tests and tools).
pub fn article_ids_of(book: &Book) -> Vec<String> {
    article_ids(&book.articles)
}

/// Sorted map helper for callers that print schemas by name.
pub fn schemas_by_name() -> BTreeMap<&'static str, serde_json::Value> {
    schemas().into_iter().collect()
}
