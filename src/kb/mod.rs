//! The compiled knowledge base in memory, for answering questions: `kbc mcp` and `kbc ask`.
//!
//! A [`Kb`] holds the published JSON values of one build (`api/v1/`), read from a build directory
//! ([`Kb::from_site`]) or rendered in memory from a content folder ([`Kb::from_book`]); either way
//! the values are the public contract, so a tool's answer is exactly what an integrator would read
//! from the files. On top of them:
//!
//! - [`lookup`]: an error message or symptom as the user pasted it, to troubleshooting entries.
//! - [`search`]: BM25 over the retrieval chunks (words and CJK bigrams).
//! - [`Kb::article`], [`Kb::list`], [`Kb::resources`]: articles by id, URL or `kb://` URI.
//!
//! **Invariant:** no IO after loading; every query is a pure function of the `Kb` and its arguments,
//! and ties are broken by position, so answers are deterministic.

pub mod lookup;
pub mod search;
pub mod text;

use crate::Book;
use crate::parse::link::percent_decode;
use crate::render::json::{self, types};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use lookup::{LookupHit, LookupOutput, MatchKind};
pub use search::{SearchHit, SearchOutput};

/// Loading failed: the file and what is wrong with it.
#[derive(Debug)]
pub struct KbError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for KbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for KbError {}

/// A question the knowledge base cannot answer as asked (unknown id, empty query): the message is
/// for the person or model that asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(pub String);

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for QueryError {}

/// The fields of a published article the queries need; the whole value is kept beside them.
#[derive(Deserialize)]
struct ArticleView {
    id: String,
    locale: String,
    title: String,
    topic: Option<String>,
    source_path: String,
    urls: UrlsView,
    #[serde(default)]
    asset_id: Option<String>,
    #[serde(default)]
    sections: Vec<SectionView>,
    #[serde(default)]
    troubleshooting: Vec<Value>,
}

#[derive(Deserialize)]
struct UrlsView {
    html: String,
    md: String,
    json: String,
}

#[derive(Deserialize, Clone)]
struct SectionView {
    id: String,
    #[serde(default)]
    anchors: Vec<String>,
    #[serde(default)]
    heading_path: Vec<String>,
    parent: Option<String>,
    url: String,
    markdown: String,
}

#[derive(Deserialize)]
struct EntryView {
    locale: String,
    kind: EntryKind,
    text: String,
    match_key: String,
}

#[derive(Deserialize)]
struct ChunkView {
    article_id: String,
    locale: String,
    section_id: Option<String>,
    context: String,
    text: String,
}

/// `types::EntryKind` as read back; a kind from a newer minor version ranks last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum EntryKind {
    ErrorMessage,
    Symptom,
    Cause,
    #[serde(other)]
    Other,
}

/// One article: its published JSON, its Markdown twin and what the queries index.
pub struct KbArticle {
    pub id: String,
    pub asset_id: Option<String>,
    pub locale: String,
    pub title: String,
    pub topic: Option<String>,
    /// The source file, relative to the content root.
    pub source_path: String,
    /// `kb://<locale>/<source path>`: the article as an MCP resource.
    pub uri: String,
    pub html_url: String,
    md_url: String,
    json_url: String,
    /// The Markdown twin, as published.
    pub markdown: String,
    /// `api/v1/articles/<id>.json`, whole.
    pub json: Value,
    /// The article's entry in the manifest.
    pub summary: Value,
    sections: Vec<SectionView>,
}

/// A troubleshooting entry and its lookup keys.
pub(crate) struct Entry {
    pub value: Value,
    pub article: usize,
    pub locale: String,
    pub kind: EntryKind,
    pub match_key: String,
    pub loose: String,
    pub tokens: Vec<String>,
}

/// A retrieval chunk and the article it belongs to.
pub(crate) struct ChunkDoc {
    pub value: Value,
    pub article: usize,
    pub locale: String,
    pub section_id: Option<String>,
    pub tokens: Vec<String>,
}

/// A compiled knowledge base, in memory.
pub struct Kb {
    pub title: Option<String>,
    pub site_url: Option<String>,
    pub articles: Vec<KbArticle>,
    pub(crate) entries: Vec<Entry>,
    pub(crate) chunks: Vec<ChunkDoc>,
    pub(crate) index: search::Index,
}

/// The scheme of article resources.
pub const URI_SCHEME: &str = "kb://";

impl Kb {
    /// The JSON API of a loaded book, rendered in memory (nothing is written).
    pub fn from_book(book: &Book) -> Result<Kb, KbError> {
        let api = json::api(book).map_err(|e| KbError {
            path: e.path.clone(),
            message: format!("{}: {}", e.path.display(), e.message),
        })?;
        let at = |what: &str| book.config.book.src.join(what);
        let err = |what: &str| {
            let path = at(what);
            move |e: serde_json::Error| KbError { path: path.clone(), message: e.to_string() }
        };
        let manifest = serde_json::to_value(&api.manifest).map_err(err("api/v1/manifest.json"))?;
        let mut articles = Vec::with_capacity(api.articles.len());
        for (a, twin) in api.articles.iter().zip(api.twins) {
            articles.push((serde_json::to_value(a).map_err(err(&a.source_path))?, twin));
        }
        let mut chunks = Vec::with_capacity(api.chunks.len());
        for c in &api.chunks {
            chunks.push(serde_json::to_value(c).map_err(err("api/v1/chunks.jsonl"))?);
        }
        Kb::from_values(&book.config.book.src, manifest, articles, chunks)
    }

    /// Reads the published JSON of a build directory: `api/v1/manifest.json`, every article's
    /// JSON and Markdown twin, and `api/v1/chunks.jsonl`.
    pub fn from_site(dir: &Path) -> Result<Kb, KbError> {
        let read = |rel: &str| -> Result<String, KbError> {
            let path = dir.join(rel);
            std::fs::read_to_string(&path).map_err(|e| KbError { path, message: e.to_string() })
        };
        let parse = |rel: &str, text: &str| -> Result<Value, KbError> {
            serde_json::from_str(text).map_err(|e| KbError { path: dir.join(rel), message: e.to_string() })
        };
        let manifest_path = format!("{}/manifest.json", json::API_DIR);
        let manifest = parse(&manifest_path, &read(&manifest_path)?)?;
        let site_url = manifest.get("site_url").and_then(Value::as_str).map(str::to_string);
        // A manifest URL names a file inside the build: never `..` out of it.
        let local = |url: &str| {
            let path = site_path(site_url.as_deref(), url);
            (!path.split('/').any(|seg| seg == "..")).then_some(path)
        };
        let list = manifest.get("articles").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut articles = Vec::with_capacity(list.len());
        for (i, a) in list.iter().enumerate() {
            let url = |key: &str| a.pointer(&format!("/urls/{key}")).and_then(Value::as_str).and_then(local);
            let (Some(json_path), Some(md_path)) = (url("json"), url("md")) else {
                return Err(KbError {
                    path: dir.join(&manifest_path),
                    message: format!("article {i} has no `urls.json` or `urls.md` inside the build"),
                });
            };
            let value = parse(&json_path, &read(&json_path)?)?;
            articles.push((value, read(&md_path)?));
        }
        let chunks_path = format!("{}/chunks.jsonl", json::API_DIR);
        let mut chunks = Vec::new();
        for (n, line) in read(&chunks_path)?.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            chunks.push(serde_json::from_str(line).map_err(|e| KbError {
                path: dir.join(&chunks_path),
                message: format!("line {}: {e}", n + 1),
            })?);
        }
        Kb::from_values(dir, manifest, articles, chunks)
    }

    /// Indexes the published values. `origin` names the source in error messages.
    pub fn from_values(
        origin: &Path,
        manifest: Value,
        articles: Vec<(Value, String)>,
        chunks: Vec<Value>,
    ) -> Result<Kb, KbError> {
        let bad = |what: String| KbError { path: origin.to_path_buf(), message: what };
        let title = manifest.get("title").and_then(Value::as_str).map(str::to_string);
        let site_url = manifest.get("site_url").and_then(Value::as_str).map(str::to_string);
        let summaries: BTreeMap<String, Value> = manifest
            .get("articles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|a| Some((a.get("id")?.as_str()?.to_string(), a.clone())))
            .collect();
        let mut kb = Kb {
            title,
            site_url,
            articles: Vec::new(),
            entries: Vec::new(),
            chunks: Vec::new(),
            index: search::Index::default(),
        };
        let mut by_id = BTreeMap::new();
        for (value, markdown) in articles {
            let view: ArticleView = serde_json::from_value(value.clone())
                .map_err(|e| bad(format!("an article does not match the article schema: {e}")))?;
            let i = kb.articles.len();
            by_id.insert(view.id.clone(), i);
            for e in &view.troubleshooting {
                let ev: EntryView = serde_json::from_value(e.clone())
                    .map_err(|err| bad(format!("article `{}`: a troubleshooting entry: {err}", view.id)))?;
                kb.entries.push(Entry {
                    value: e.clone(),
                    article: i,
                    locale: ev.locale,
                    kind: ev.kind,
                    loose: text::loose_key(&ev.text),
                    tokens: text::tokens(&ev.text),
                    match_key: ev.match_key,
                });
            }
            let summary = summaries.get(&view.id).cloned().unwrap_or(Value::Null);
            kb.articles.push(KbArticle {
                uri: resource_uri(&view.locale, &view.source_path),
                id: view.id,
                asset_id: view.asset_id,
                locale: view.locale,
                title: view.title,
                topic: view.topic,
                source_path: view.source_path,
                html_url: view.urls.html,
                md_url: view.urls.md,
                json_url: view.urls.json,
                markdown,
                json: value,
                summary,
                sections: view.sections,
            });
        }
        for (n, value) in chunks.into_iter().enumerate() {
            let cv: ChunkView = serde_json::from_value(value.clone())
                .map_err(|e| bad(format!("chunk {} does not match the chunk schema: {e}", n + 1)))?;
            let Some(&article) = by_id.get(&cv.article_id) else {
                return Err(bad(format!(
                    "a chunk names article `{}`, which is not in the manifest",
                    cv.article_id
                )));
            };
            kb.chunks.push(ChunkDoc {
                tokens: text::tokens(&format!("{}\n{}", cv.context, cv.text)),
                value,
                article,
                locale: cv.locale,
                section_id: cv.section_id,
            });
        }
        kb.index = search::Index::new(&kb.chunks);
        Ok(kb)
    }

    /// Finds an article by id (`zh-CN/<assetid>`), `ms.assetid` (the first locale's), `kb://` URI,
    /// published URL (HTML, Markdown or JSON, relative or absolute) or source path. A `#fragment`
    /// is returned as the section it names.
    pub fn find(&self, id_or_url: &str) -> Option<(usize, Option<String>)> {
        let s = id_or_url.trim();
        let (s, fragment) = match s.split_once('#') {
            Some((a, f)) => (a, Some(percent_decode(f)).filter(|f| !f.is_empty())),
            None => (s, None),
        };
        let plain = percent_decode(s);
        let local = site_path(self.site_url.as_deref(), s);
        let local = local.trim_start_matches("./").trim_start_matches('/');
        let found = self.articles.iter().position(|a| {
            a.id == s
                || a.uri == s
                || a.uri == plain
                || [&a.html_url, &a.md_url, &a.json_url].iter().any(|u| {
                    u.as_str() == s || site_path(self.site_url.as_deref(), u).trim_start_matches('/') == local
                })
                || a.source_path == plain
        });
        let found = found.or_else(|| {
            self.articles.iter().position(|a| {
                a.id.eq_ignore_ascii_case(s)
                    || a.asset_id.as_deref().is_some_and(|g| g.eq_ignore_ascii_case(s))
            })
        });
        found.map(|i| (i, fragment))
    }

    /// How many troubleshooting entries the lookup searches.
    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }

    /// Every article as a resource, in manifest order.
    pub fn resources(&self) -> impl Iterator<Item = &KbArticle> {
        self.articles.iter()
    }

    /// The articles of a locale and topic (both optional, case-insensitive), in manifest order.
    pub fn list(&self, locale: Option<&str>, topic: Option<&str>) -> ListOutput {
        let articles: Vec<Value> = self
            .articles
            .iter()
            .filter(|a| locale_matches(locale, &a.locale))
            .filter(|a| topic_matches(topic, a.topic.as_deref()))
            .map(|a| a.summary.clone())
            .collect();
        ListOutput { count: articles.len(), articles }
    }

    /// One article, or one section of it (with its subsections), as Markdown or JSON.
    pub fn article(
        &self,
        id_or_url: &str,
        format: Format,
        section: Option<&str>,
    ) -> Result<ArticleOutput, QueryError> {
        if id_or_url.trim().is_empty() {
            return Err(QueryError("`id_or_url` is empty: give an article id, URL or kb:// URI".into()));
        }
        let Some((i, fragment)) = self.find(id_or_url) else {
            return Err(QueryError(format!(
                "no article `{id_or_url}`: use an id from list_articles (like `{}`), a published URL or a kb:// URI",
                self.articles.first().map_or("zh-CN/<assetid>", |a| a.id.as_str())
            )));
        };
        let a = &self.articles[i];
        let wanted = section.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).or(fragment);
        let mut out = ArticleOutput {
            id: a.id.clone(),
            locale: a.locale.clone(),
            title: a.title.clone(),
            uri: a.uri.clone(),
            url: a.html_url.clone(),
            section: None,
            heading_path: Vec::new(),
            markdown: None,
            article: None,
            section_json: None,
        };
        let Some(wanted) = wanted else {
            match format {
                Format::Markdown => out.markdown = Some(a.markdown.clone()),
                Format::Json => out.article = Some(a.json.clone()),
            }
            return Ok(out);
        };
        let Some(s) = a.sections.iter().position(|s| s.id == wanted || s.anchors.contains(&wanted)) else {
            let known: Vec<&str> = a.sections.iter().map(|s| s.id.as_str()).take(20).collect();
            return Err(QueryError(format!(
                "article `{}` has no section `{wanted}`; its sections: {}",
                a.id,
                known.join(", ")
            )));
        };
        let sec = &a.sections[s];
        out.section = Some(sec.id.clone());
        out.url = sec.url.clone();
        out.heading_path = sec.heading_path.clone();
        match format {
            Format::Markdown => {
                // The section and every section below it, in document order.
                let mut inside = vec![sec.id.as_str()];
                let mut md = sec.markdown.trim_end().to_string();
                for t in &a.sections[s + 1..] {
                    if !t.parent.as_deref().is_some_and(|p| inside.contains(&p)) {
                        break;
                    }
                    inside.push(&t.id);
                    md.push_str("\n\n");
                    md.push_str(t.markdown.trim_end());
                }
                md.push('\n');
                out.markdown = Some(md);
            }
            Format::Json => {
                out.section_json =
                    a.json.get("sections").and_then(Value::as_array).and_then(|v| v.get(s)).cloned()
            }
        }
        Ok(out)
    }

    /// The article behind a `kb://` URI.
    pub fn resource(&self, uri: &str) -> Option<&KbArticle> {
        let plain = percent_decode(uri);
        self.articles.iter().find(|a| a.uri == uri || a.uri == plain)
    }

    pub(crate) fn section_heading_path(&self, article: usize, section: Option<&str>) -> Vec<String> {
        let Some(section) = section else { return Vec::new() };
        self.articles[article]
            .sections
            .iter()
            .find(|s| s.id == section)
            .map(|s| s.heading_path.clone())
            .unwrap_or_default()
    }
}

/// `kb://<locale>/<source path>`, percent-encoded where a URI needs it.
pub fn resource_uri(locale: &str, source_path: &str) -> String {
    format!("{URI_SCHEME}{locale}/{}", crate::render::urls::encode(source_path))
}

/// A published URL as a path under the build directory: the site URL stripped, percent-decoded.
fn site_path(site_url: Option<&str>, url: &str) -> String {
    let rest = match site_url {
        Some(base) => url.strip_prefix(base.trim_end_matches('/')).unwrap_or(url),
        None => url,
    };
    let rest = rest.split('#').next().unwrap_or(rest);
    percent_decode(rest.trim_start_matches('/'))
}

/// A locale filter: `zh-CN`, `zh-cn` and `zh` all select `zh-CN`.
pub(crate) fn locale_matches(wanted: Option<&str>, locale: &str) -> bool {
    let Some(w) = wanted.map(str::trim).filter(|w| !w.is_empty()) else { return true };
    locale.eq_ignore_ascii_case(w)
        || locale
            .get(..w.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(w) && locale[w.len()..].starts_with('-'))
}

pub(crate) fn topic_matches(wanted: Option<&str>, topic: Option<&str>) -> bool {
    let Some(w) = wanted.map(str::trim).filter(|w| !w.is_empty()) else { return true };
    topic.is_some_and(|t| t.eq_ignore_ascii_case(w))
}

/// How `get_article` returns an article.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The Markdown twin (or the section's Markdown).
    #[default]
    Markdown,
    /// The published article JSON (or the section object).
    Json,
}

/// `list_articles`: the manifest entries of the matching articles.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListOutput {
    pub count: usize,
    /// Entries of `api/v1/manifest.json`, in content-path order.
    #[schemars(with = "Vec<types::ManifestArticle>")]
    pub articles: Vec<Value>,
}

/// `get_article`: one article or section.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ArticleOutput {
    /// The article's id.
    pub id: String,
    pub locale: String,
    pub title: String,
    /// The article as an MCP resource (`kb://<locale>/<source path>`).
    pub uri: String,
    /// Deep link: the HTML page, at the section when one was asked for.
    pub url: String,
    /// The section returned, when one was asked for.
    pub section: Option<String>,
    /// Titles from the outermost heading down to the section.
    pub heading_path: Vec<String>,
    /// With `format = "markdown"`: the Markdown twin, or the section with its subsections.
    pub markdown: Option<String>,
    /// With `format = "json"` and no section: `api/v1/articles/<id>.json`.
    #[schemars(with = "Option<types::Article>")]
    pub article: Option<Value>,
    /// With `format = "json"` and a section: the section object of the article JSON.
    #[schemars(with = "Option<types::Section>")]
    pub section_json: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_match_by_tag_or_language() {
        assert!(locale_matches(None, "zh-CN"));
        assert!(locale_matches(Some("zh-cn"), "zh-CN"));
        assert!(locale_matches(Some("zh"), "zh-CN"));
        assert!(!locale_matches(Some("z"), "zh-CN"));
        assert!(!locale_matches(Some("en"), "zh-CN"));
        assert!(locale_matches(Some(" "), "zh-CN"));
    }

    #[test]
    fn a_broken_site_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = Kb::from_site(dir.path()).err().unwrap();
        assert!(err.path.ends_with("api/v1/manifest.json"), "{err}");
        let api = dir.path().join("api/v1");
        std::fs::create_dir_all(&api).unwrap();
        std::fs::write(api.join("manifest.json"), "{ not json").unwrap();
        assert!(Kb::from_site(dir.path()).err().unwrap().message.contains("key must be a string"));
        let escape = r#"{"articles": [{"id": "x", "urls": {"json": "../../etc/passwd", "md": "x.md"}}]}"#;
        std::fs::write(api.join("manifest.json"), escape).unwrap();
        assert!(Kb::from_site(dir.path()).err().unwrap().message.contains("inside the build"));
        std::fs::write(api.join("manifest.json"), r#"{"articles": []}"#).unwrap();
        std::fs::write(api.join("chunks.jsonl"), "{}\n").unwrap();
        let err = Kb::from_site(dir.path()).err().unwrap();
        assert!(err.message.contains("chunk"), "{err}");
        std::fs::write(api.join("chunks.jsonl"), "\n").unwrap();
        assert_eq!(Kb::from_site(dir.path()).unwrap().articles.len(), 0);
    }

    #[test]
    fn urls_become_site_paths() {
        assert_eq!(site_path(None, "a%20b/c.html#x"), "a b/c.html");
        assert_eq!(site_path(Some("https://kb.example/docs/"), "https://kb.example/docs/a.md"), "a.md");
        assert_eq!(percent_decode("%E6%89%BE%zz"), "找%zz");
        assert_eq!(resource_uri("zh-CN", "dir/a b.md"), "kb://zh-CN/dir/a%20b.md");
    }
}
