//! The wire types of the chatbot and RAG contract, version 1. Every field here is public
//! contract: see the module documentation of [`super`] for the compatibility rule.
//!
//! Doc comments become the schemas' descriptions; keep them written for integrators.

use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// `api/v1/manifest.json`: what the build holds, one entry per article.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(title = "kbc manifest, version 1")]
pub struct Manifest {
    /// The URL of this document's JSON Schema.
    #[serde(rename = "$schema")]
    pub schema: String,
    /// `MAJOR.MINOR` of the contract. A minor version only adds optional fields.
    #[schemars(pattern(r"^1\.[0-9]+$"))]
    pub schema_version: String,
    pub generator: Generator,
    /// The knowledge base's title (`book.title`).
    pub title: Option<String>,
    /// The knowledge base's description (`book.description`).
    pub description: Option<String>,
    /// `output.html.site-url`. When set, every URL in the output is absolute under it; when not,
    /// URLs are relative to the site root (the build directory).
    pub site_url: Option<String>,
    /// Every locale that has articles, sorted.
    pub locales: Vec<String>,
    /// The tokenizer every token count uses (`o200k_base`).
    pub tokenizer: String,
    /// Where the other files are, as URLs.
    pub files: ManifestFiles,
    /// Every article, in content-path order.
    pub articles: Vec<ManifestArticle>,
}

/// The program that wrote the output.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Generator {
    pub name: String,
    pub version: String,
}

/// URLs of the build's shared files.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ManifestFiles {
    /// `api/v1/troubleshooting.jsonl`: one [troubleshooting entry] per line.
    pub troubleshooting: String,
    /// `api/v1/chunks.jsonl`: one retrieval chunk per line.
    pub chunks: String,
    /// The root `llms.txt`.
    pub llms_txt: String,
    /// JSON Schemas, by file name (`article.schema.json`, ...).
    pub schemas: BTreeMap<String, String>,
}

/// One article in the manifest.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct ManifestArticle {
    /// Stable id: `<locale>/<ms.assetid>`, or `<locale>/<content path without .md>` for an article
    /// without a unique `ms.assetid`.
    pub id: String,
    /// `ms.assetid`, shared by the translations of one article.
    pub asset_id: Option<String>,
    pub locale: String,
    pub title: String,
    /// The front matter description, else the first paragraph.
    pub description: Option<String>,
    /// `ms.topic` (`troubleshooting`, `article`, ...).
    pub topic: Option<String>,
    /// `ms.date` as `YYYY-MM-DD`.
    #[schemars(pattern(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub date: Option<String>,
    pub urls: ArticleUrls,
    /// SHA-256 (lowercase hex) of the article's Markdown twin file (`urls.md`), as published: it
    /// changes exactly when the article's content does.
    #[schemars(pattern(r"^[0-9a-f]{64}$"))]
    pub content_sha256: String,
    /// The same article in other locales (same `ms.assetid`).
    pub translations: Vec<Translation>,
}

/// Where an article is published.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct ArticleUrls {
    /// The HTML page.
    pub html: String,
    /// The Markdown twin, next to the HTML page.
    pub md: String,
    /// `api/v1/articles/<id>.json`.
    pub json: String,
}

/// Another locale's version of an article.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct Translation {
    pub id: String,
    pub locale: String,
    pub title: String,
    pub html: String,
}

/// `api/v1/articles/<id>.json`: one article, whole.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(title = "kbc article, version 1")]
pub struct Article {
    /// The URL of this document's JSON Schema.
    #[serde(rename = "$schema")]
    pub schema: String,
    /// Stable id (see the manifest).
    pub id: String,
    pub asset_id: Option<String>,
    pub locale: String,
    pub title: String,
    pub description: Option<String>,
    pub topic: Option<String>,
    /// `ms.date` as `YYYY-MM-DD`.
    #[schemars(pattern(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub date: Option<String>,
    pub urls: ArticleUrls,
    /// The source file, relative to the content root.
    pub source_path: String,
    /// The navigation entries above this article, outermost first (from `TOC.md` / `toc.yml`).
    pub breadcrumbs: Vec<Breadcrumb>,
    /// Every front matter key, with its value. Keys kbc knows are spelt canonically (`ms.date`,
    /// `ms.assetid`, `keywords`); `ms.date` is ISO. Others are kept as written.
    pub meta: BTreeMap<String, serde_json::Value>,
    /// SHA-256 (lowercase hex) of the Markdown twin.
    #[schemars(pattern(r"^[0-9a-f]{64}$"))]
    pub content_sha256: String,
    pub translations: Vec<Translation>,
    /// Every heading, in document order.
    pub sections: Vec<Section>,
    /// Rows of troubleshooting tables, grouped by message (the same objects as in
    /// `troubleshooting.jsonl`).
    pub troubleshooting: Vec<TroubleshootingEntry>,
    /// Every numbered list at the top level of a section, with its steps.
    pub procedures: Vec<Procedure>,
    /// Every link, image and include, in document order.
    pub links: Vec<Link>,
    pub stats: Stats,
}

/// A navigation entry above an article.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Breadcrumb {
    pub title: String,
    /// The entry's page, when it links to one in this site.
    pub url: Option<String>,
}

/// A heading and the content up to its first subsection.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Section {
    /// Unique in the article: the heading's anchor (an explicit `<a name>` placed with the heading
    /// wins over the generated slug). A heading with no anchor at all gets `section-<n>`; a repeated
    /// anchor gets `~<n>` appended.
    pub id: String,
    /// Every anchor that names this heading (use any of them in a URL fragment).
    pub anchors: Vec<String>,
    /// 1 to 6.
    #[schemars(range(min = 1, max = 6))]
    pub level: u8,
    /// The heading as plain text; empty for an empty heading.
    pub title: String,
    /// Titles from the outermost heading down to this one.
    pub heading_path: Vec<String>,
    /// The parent section's id.
    pub parent: Option<String>,
    /// Deep link: the HTML page with this section's anchor.
    pub url: String,
    /// The heading and the section's own content (not its subsections), as Markdown.
    pub markdown: String,
    /// SHA-256 (lowercase hex) of `markdown`.
    #[schemars(pattern(r"^[0-9a-f]{64}$"))]
    pub content_sha256: String,
}

/// What a troubleshooting entry starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// An error message the user sees (a table with an error message column).
    ErrorMessage,
    /// A symptom the user describes (a table with a symptom column).
    Symptom,
    /// A table of causes and resolutions with no symptom column: the cause is what the reader
    /// recognises, so `text` is the cause.
    Cause,
}

/// One error message or symptom and everything known about it: possible causes, each with its
/// resolution and the steps of the procedure the resolution links to. Rows of the article's
/// troubleshooting tables with the same message form one entry.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(title = "kbc troubleshooting entry, version 1")]
pub struct TroubleshootingEntry {
    /// Stable id: `<article id>#<section id>:<key>`, where `<key>` is the first 12 hex digits of
    /// the SHA-256 of `match_key` (`~<n>` appended in the rare case of a repeat).
    pub id: String,
    pub article_id: String,
    pub locale: String,
    /// The article's title.
    pub article_title: String,
    /// The section holding the table.
    pub section_id: String,
    /// Deep link to the table's section.
    pub url: String,
    pub kind: EntryKind,
    /// The error message or symptom as plain text (for `cause`, the cause).
    pub text: String,
    /// `text` normalised for exact lookup: Unicode NFKC, full case folding, CJK and typographic
    /// punctuation folded to ASCII (`。`→`.`, `、`→`,`, `“”「」`→`"`, `‘’`→`'`, `【】`→`[]`, `…`→`...`),
    /// white space runs collapsed to one space, then leading and trailing white space and ASCII
    /// punctuation removed. Normalise the user's text the same way and compare for equality;
    /// several entries can share a key (the same message in two tables): offer them all.
    pub match_key: String,
    /// The possible causes, in table order; at least one.
    #[schemars(length(min = 1))]
    pub causes: Vec<Cause>,
    /// Alerts (`> [!NOTE]` and the like) in the sections of the table and of the linked
    /// procedures, and in the sections above them.
    pub alerts: Vec<Alert>,
    /// The row the entry starts at.
    pub provenance: Provenance,
}

/// One possible cause and what to do about it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Cause {
    /// The cause as plain text (`null` for a table without a cause column).
    pub text: Option<String>,
    /// The cause cell as Markdown.
    pub markdown: Option<String>,
    pub resolution: Resolution,
    /// The row this cause comes from.
    pub provenance: Provenance,
}

/// A resolution cell, and the procedure it links to.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Resolution {
    pub text: Option<String>,
    /// The cell as Markdown; links point to published URLs.
    pub markdown: Option<String>,
    /// The section the resolution links to, with its steps.
    pub procedure: Option<ProcedureSection>,
}

/// A section holding the steps of a resolution.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ProcedureSection {
    pub article_id: String,
    pub section_id: String,
    pub title: String,
    /// Deep link to the section.
    pub url: String,
    /// The section's own content as Markdown, without its heading (text between the steps,
    /// bullet lists that are not numbered).
    pub markdown: String,
    /// The numbered procedures of the section, in order.
    pub procedures: Vec<Procedure>,
}

/// A numbered list of steps.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Procedure {
    /// The section holding the list.
    pub section_id: Option<String>,
    /// The paragraph just before the list, which usually says what the steps achieve.
    pub intro: Option<String>,
    /// The number of the first step.
    pub start: u64,
    pub steps: Vec<Step>,
}

/// One step.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Step {
    /// The number shown for the step.
    pub number: u64,
    /// The step's first paragraph as plain text.
    pub text: String,
    /// The whole step as Markdown, without its number: its paragraphs, notes and code, its
    /// sub-steps, and a table that follows the list when the step introduces it.
    pub markdown: String,
    /// Nested numbered steps, numbered from 1.
    pub substeps: Vec<Step>,
}

/// An alert (`> [!NOTE]`, `> [!IMPORTANT]`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Alert {
    /// `note`, `tip`, `important`, `warning`, `caution`, or a custom kind in lower case.
    pub kind: String,
    pub text: String,
    pub section_id: Option<String>,
}

/// Where something comes from in the sources.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Provenance {
    /// The file, relative to the content root (an include file for included content).
    pub source_path: String,
    /// Which table of the article, from 0.
    pub table: u32,
    /// Which body row of the table, from 0.
    pub row: u32,
    /// The row's line in `source_path`, from 1.
    pub line: u32,
}

/// What a link points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// An article of this knowledge base.
    Article,
    /// Another file of this site (image, download).
    File,
    External,
    Mailto,
    /// Not checked by rule (a site-absolute link outside the content, a DocFX tab link).
    Unchecked,
    /// Broken: kbc reported it.
    Broken,
}

/// A link, image or include.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Link {
    /// `link`, `image`, `include`, `html-link`, `html-image` or `html-frame` (an `<iframe>`'s `src`).
    pub role: String,
    pub kind: LinkKind,
    /// The destination as written in the source.
    pub dest: String,
    /// The published URL (the destination as written when the link is broken or unchecked).
    pub url: String,
    /// For links to articles: the target article.
    pub article_id: Option<String>,
    /// For links to a section: the target section.
    pub section_id: Option<String>,
    /// The section the link is in.
    pub in_section: Option<String>,
    /// Line of the destination in the source file, from 1.
    pub line: u32,
}

/// Sizes of the article's Markdown twin.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Stats {
    /// Unicode scalar values.
    pub characters: u64,
    pub tokens: u64,
    pub tokenizer: String,
}

/// One retrieval chunk: a self-contained piece of an article, sized for embedding.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(title = "kbc chunk, version 1")]
pub struct Chunk {
    /// Stable id: `<article id>#<section id>`, `~<n>` appended for the n-th chunk that starts in
    /// the same section.
    pub id: String,
    pub article_id: String,
    pub locale: String,
    pub article_title: String,
    /// The section the chunk starts in (`null` for text before the first heading).
    pub section_id: Option<String>,
    /// Every section with content in the chunk.
    pub section_ids: Vec<String>,
    /// Where the chunk sits: `Article title > Section > Subsection`.
    pub context: String,
    /// The content, as Markdown. Tables split across chunks repeat their header; numbered lists
    /// keep their numbers. A table row or a numbered step is never split.
    pub text: String,
    /// Deep link to the section the chunk starts in.
    pub url: String,
    /// The previous chunk of the same article.
    pub prev: Option<String>,
    /// The next chunk of the same article.
    pub next: Option<String>,
    /// Tokens of `context + "\n\n" + text`, the text to embed.
    pub tokens: u32,
    pub tokenizer: String,
    /// SHA-256 (lowercase hex) of `context + "\n\n" + text`: re-embed a chunk only when it changes.
    #[schemars(pattern(r"^[0-9a-f]{64}$"))]
    pub content_sha256: String,
}
