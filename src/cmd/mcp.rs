//! `kbc mcp`: the knowledge base as a Model Context Protocol server over stdio (rmcp).
//!
//! Tools: `lookup_error`, `search_kb`, `get_article`, `list_articles`, each with an input schema,
//! an output schema built from the published JSON Schemas' types, and results as
//! `structuredContent` plus its JSON text and `resource_link`s to the articles. Resources: every
//! article as `kb://<locale>/<source path>` (its Markdown twin).
//!
//! stdout carries protocol messages only; everything for people goes to stderr.

use super::{Exit, Ui};
use kbc::kb::{self, Format, Kb, QueryError};
use rmcp::handler::server::common::schema_for_output;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, Implementation, ListResourcesResult, PaginatedRequestParams,
    ProtocolVersion, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, ServiceExt, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

/// The protocol revision kbc implements (the issue's); older clients are served their own.
const PROTOCOL: ProtocolVersion = ProtocolVersion::V_2025_06_18;

/// Results per tool call when the caller does not say.
const DEFAULT_LIMIT: usize = 5;
/// Results per tool call at most: keeps answers within a model's context.
const MAX_LIMIT: usize = 50;

pub fn run(ui: &Ui, dir: &Path, site: Option<&Path>) -> Exit {
    let kb = match super::ask::load(ui, dir, site) {
        Ok(kb) => kb,
        Err(code) => return code,
    };
    if !ui.quiet {
        eprintln!(
            "kbc mcp: serving {} articles, {} troubleshooting entries over stdio",
            kb.articles.len(),
            kb.entry_count()
        );
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::Failure;
        }
    };
    let server = KbServer::new(Arc::new(kb));
    let served = runtime.block_on(async {
        let service = server.serve(rmcp::transport::stdio()).await.map_err(|e| e.to_string())?;
        service.waiting().await.map_err(|e| e.to_string())
    });
    match served {
        Ok(_) => Exit::Success,
        Err(e) => {
            eprintln!("error: MCP session failed: {e}");
            Exit::Failure
        }
    }
}

/// `lookup_error` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupArgs {
    /// The error message as the user sees it: any case, full-width or half-width punctuation, or
    /// only part of it.
    pub message: String,
    /// Only entries of this locale (`zh-CN`, `en-US`, or a language such as `zh`).
    #[serde(default)]
    pub locale: Option<String>,
    /// How many entries at most (default 5, at most 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// `search_kb` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// Words or a question, in Chinese or English.
    pub query: String,
    /// Only chunks of this locale (`zh-CN`, `en-US`, or a language such as `zh`).
    #[serde(default)]
    pub locale: Option<String>,
    /// Only articles with this `ms.topic` (`troubleshooting`, `article`, ...).
    #[serde(default)]
    pub topic: Option<String>,
    /// How many chunks at most (default 5, at most 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// `get_article` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleArgs {
    /// An article id from `list_articles` (`zh-CN/<assetid>`), a published URL (a `#fragment`
    /// selects a section), a `kb://` resource URI or an `ms.assetid`.
    pub id_or_url: String,
    /// `markdown` (default): the article's Markdown; `json`: the published article JSON.
    #[serde(default)]
    pub format: Format,
    /// Only this section (an id or anchor from the article's `sections`), with its subsections.
    #[serde(default)]
    pub section: Option<String>,
}

/// `list_articles` arguments.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListArgs {
    /// Only articles of this locale.
    #[serde(default)]
    pub locale: Option<String>,
    /// Only articles with this `ms.topic`.
    #[serde(default)]
    pub topic: Option<String>,
}

/// The MCP server: the knowledge base and the tool router.
#[derive(Clone)]
pub struct KbServer {
    kb: Arc<Kb>,
    tool_router: ToolRouter<KbServer>,
}

fn limit(n: Option<u32>) -> usize {
    n.map_or(DEFAULT_LIMIT, |n| (n as usize).min(MAX_LIMIT))
}

/// A tool's answer: the structured value, its JSON as text, and a link to each article named.
fn answer(value: &impl Serialize, articles: &[&kb::KbArticle]) -> Result<CallToolResult, McpError> {
    let value = serde_json::to_value(value).map_err(|e| McpError::internal_error(e.to_string(), None))?;
    let mut result = CallToolResult::structured(value);
    let mut seen = std::collections::BTreeSet::new();
    for a in articles {
        if seen.insert(a.uri.as_str()) {
            result.content.push(ContentBlock::resource_link(article_resource(a)));
        }
    }
    Ok(result)
}

fn failure(e: QueryError) -> Result<CallToolResult, McpError> {
    Ok(CallToolResult::error(vec![ContentBlock::text(e.0)]))
}

/// An article as a resource: its `kb://` URI, with the published page in the description.
fn article_resource(a: &kb::KbArticle) -> Resource {
    Resource::new(a.uri.clone(), a.id.clone())
        .with_title(a.title.clone())
        .with_description(format!("{} ({}): {}", a.title, a.locale, a.html_url))
        .with_mime_type("text/markdown")
        .with_size(a.markdown.len() as u64)
}

#[tool_router]
impl KbServer {
    pub fn new(kb: Arc<Kb>) -> KbServer {
        KbServer { kb, tool_router: Self::tool_router() }
    }

    /// Finds the troubleshooting entries for an error message the user sees, ranked: each with its
    /// possible causes, resolution steps and a deep link to the article section.
    #[tool(
        annotations(read_only_hint = true, open_world_hint = false),
        output_schema = schema_for_output::<kb::LookupOutput>()
    )]
    async fn lookup_error(
        &self,
        Parameters(args): Parameters<LookupArgs>,
    ) -> Result<CallToolResult, McpError> {
        match kb::lookup::lookup(&self.kb, &args.message, args.locale.as_deref(), limit(args.limit)) {
            Ok(out) => {
                let articles: Vec<_> =
                    out.results.iter().filter_map(|h| self.kb.resource(&h.resource)).collect();
                answer(&out, &articles)
            }
            Err(e) => failure(e),
        }
    }

    /// Searches the knowledge base (BM25 over retrieval chunks, Chinese and English): ranked
    /// passages with their heading path and deep link.
    #[tool(
        annotations(read_only_hint = true, open_world_hint = false),
        output_schema = schema_for_output::<kb::SearchOutput>()
    )]
    async fn search_kb(&self, Parameters(args): Parameters<SearchArgs>) -> Result<CallToolResult, McpError> {
        let topic = args.topic.as_deref();
        match kb::search::search(&self.kb, &args.query, args.locale.as_deref(), topic, limit(args.limit)) {
            Ok(out) => {
                let articles: Vec<_> =
                    out.results.iter().filter_map(|h| self.kb.resource(&h.resource)).collect();
                answer(&out, &articles)
            }
            Err(e) => failure(e),
        }
    }

    /// Returns one article, or one section of it, as Markdown or as the published JSON.
    #[tool(
        annotations(read_only_hint = true, open_world_hint = false),
        output_schema = schema_for_output::<kb::ArticleOutput>()
    )]
    async fn get_article(
        &self,
        Parameters(args): Parameters<ArticleArgs>,
    ) -> Result<CallToolResult, McpError> {
        match self.kb.article(&args.id_or_url, args.format, args.section.as_deref()) {
            Ok(out) => {
                let articles: Vec<_> = self.kb.resource(&out.uri).into_iter().collect();
                answer(&out, &articles)
            }
            Err(e) => failure(e),
        }
    }

    /// Lists the articles (id, title, locale, topic, URLs), optionally of one locale or topic.
    #[tool(
        annotations(read_only_hint = true, open_world_hint = false),
        output_schema = schema_for_output::<kb::ListOutput>()
    )]
    async fn list_articles(
        &self,
        Parameters(args): Parameters<ListArgs>,
    ) -> Result<CallToolResult, McpError> {
        answer(&self.kb.list(args.locale.as_deref(), args.topic.as_deref()), &[])
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for KbServer {
    fn get_info(&self) -> ServerConfig {
        let title = self.kb.title.clone().unwrap_or_else(|| "knowledge base".to_string());
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_resources().build())
            .with_protocol_version(PROTOCOL)
            .with_server_info(
                Implementation::new("kbc", env!("CARGO_PKG_VERSION")).with_title(format!("kbc: {title}")),
            )
            .with_instructions(format!(
                "Troubleshooting knowledge base \"{title}\". When a user reports an error message, call \
                 lookup_error with the message as they wrote it; for other questions call search_kb. Every \
                 result has a deep link (url) to cite; get_article returns a whole article or section."
            ))
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(ProtocolVersion::known_up_to(&PROTOCOL))
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult::with_all_items(self.kb.resources().map(article_resource).collect()))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        match self.kb.resource(&request.uri) {
            Some(a) => Ok(ReadResourceResult::new(vec![
                ResourceContents::text(a.markdown.clone(), a.uri.clone()).with_mime_type("text/markdown"),
            ])
            .into()),
            None => Err(McpError::resource_not_found(
                format!("no resource `{}`: resources/list gives every article's kb:// URI", request.uri),
                None,
            )),
        }
    }
}
