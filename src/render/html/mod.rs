//! The static HTML site: one page per article at `<content path>.html`, a home page grouped by
//! navigation, `404.html`, `sitemap.xml` (with `site-url`), the theme's CSS and JavaScript, the
//! navigation data, the search index, and the files articles show or link to.
//!
//! A pure function of the resolved [`Book`]: [`body`] walks the model, [`site`] places each article
//! in the navigation, [`theme`] lays pages out with minijinja templates, [`search`] indexes them.
//! **Invariant:** pages are rendered and written in parallel, and the search index reads them in
//! article order; the output is byte-identical whatever the thread count.

pub mod body;
pub mod sanitize;
pub mod search;
pub mod site;
pub mod strings;
pub mod theme;

use super::{RenderError, urls, write_file};
use crate::Book;
use crate::model::{Article, ArticleId};
use minijinja::Value;
use rayon::prelude::*;
use serde::Serialize;
use site::{Node, SiteNav};
use std::path::Path;
use strings::Strings;

/// What a build of the site wrote, for the summary and the tests.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub pages: usize,
    pub assets: usize,
    pub search_files: usize,
    /// Links kept as written because they are broken or unchecked (marked `kbc-unresolved`).
    pub unresolved_links: usize,
}

/// Writes the site into `out` (when `[output.html] enable`).
pub fn write(book: &Book, out: &Path) -> Result<Stats, RenderError> {
    write_memo(book, out, &super::NoMemo)
}

/// [`write`] for [`super::RENDERERS`]: the search index is handed back to run beside the other
/// renderers (after them and without the book in a low-memory build, see
/// [`super::write_all_consuming`]).
pub fn write_with<'a>(
    book: &Book,
    out: &'a Path,
    memo: &'a dyn super::Memo,
) -> Result<Option<super::Deferred<'a>>, RenderError> {
    let (_, docs) = write_pages(book, out, memo)?;
    Ok(docs
        .map(|docs| -> super::Deferred<'a> { Box::new(move || write_search(out, memo, docs).map(|_| ())) }))
}

/// What every page of one build shares (theme, sanitizer, navigation, translations), computed
/// once; [`Pages::page`] renders single pages with it. A watch loop keeps one to show an edit
/// before the whole book is rebuilt.
pub struct Pages {
    theme: theme::Theme,
    sanitizer: sanitize::Sanitizer,
    nav: SiteNav,
    translations: Vec<Vec<ArticleId>>,
    lang: String,
    search: bool,
    /// How many indexes the search is split into ([`search::shard_count`]).
    search_shards: usize,
    home: &'static str,
}

impl Pages {
    pub fn new(book: &Book) -> Pages {
        let cfg = &book.config.output.html;
        let lang = site_lang(book);
        Pages {
            theme: theme::Theme::load(cfg.theme.as_deref()),
            sanitizer: sanitize::Sanitizer::new(&cfg.iframe_hosts),
            nav: SiteNav::build(book, strings::for_lang(&lang).other_articles),
            translations: site::translations(book),
            lang,
            search: cfg.search && search::AVAILABLE && !book.articles.is_empty(),
            search_shards: search::shard_count(book.articles.len(), cfg.search_shards),
            home: urls::home_path(book),
        }
    }

    /// Article `id`'s page, `(path, html)`, exactly as [`write`] writes it when `book` has the
    /// same paths, titles and navigation as the book these parts were made from; `None` when the
    /// site is not enabled.
    pub fn page(&self, book: &Book, id: ArticleId) -> Result<Option<(String, String)>, RenderError> {
        if !book.config.output.html.enable || id.0 as usize >= book.articles.len() {
            return Ok(None);
        }
        let page = self.ctx(book).article_page(id)?;
        Ok(Some((page.path, page.html)))
    }

    fn ctx<'a>(&'a self, book: &'a Book) -> SiteCtx<'a> {
        SiteCtx {
            home: self.home,
            book,
            theme: &self.theme,
            sanitizer: &self.sanitizer,
            nav: &self.nav,
            translations: &self.translations,
            lang: self.lang.clone(),
            search: self.search,
            search_shards: self.search_shards,
        }
    }
}

/// [`write`], reusing the pages (and search index) of unchanged articles from `memo`.
pub fn write_memo(book: &Book, out: &Path, memo: &dyn super::Memo) -> Result<Stats, RenderError> {
    let (mut stats, docs) = write_pages(book, out, memo)?;
    if let Some(docs) = docs {
        stats.search_files = write_search(out, memo, docs)?;
    }
    Ok(stats)
}

/// The search index of `docs` (from `memo` when they are unchanged) under
/// [`urls::SEARCH_DIR`]; returns the number of files.
fn write_search(out: &Path, memo: &dyn super::Memo, docs: SearchInput) -> Result<usize, RenderError> {
    // Each index is reused on its own: an edit re-indexes only the run of pages it is in.
    let index = |i: usize, pages: Vec<search::SearchDoc>| {
        let dir = format!("{}/{}", urls::SEARCH_DIR, search::shard_dir(i));
        super::write_memoized_files(memo, out, &dir, &format!("search-{i}"), pages, |p| {
            super::write_files(out, &dir, search::build_index(p, &|| memo.interrupted())?)
        })
    };
    search::build(docs, &index)
}

/// What the search index is built from: every page's document, spooled.
type SearchInput = search::Input<search::SpooledDocs>;

/// Pages rendered between two writes of their search documents to the spool: enough to keep both
/// cores busy.
const PAGE_BATCH: usize = 256;

/// Every page and the site's other files but the search index; returns what the index is to be
/// built from, when the site has one.
fn write_pages(
    book: &Book,
    out: &Path,
    memo: &dyn super::Memo,
) -> Result<(Stats, Option<SearchInput>), RenderError> {
    let cfg = &book.config.output.html;
    if !cfg.enable {
        return Ok((Stats::default(), None));
    }
    let owned;
    let parts = match memo.parts() {
        Some(p) => &p.pages,
        None => {
            owned = Pages::new(book);
            &owned
        }
    };
    let (theme, nav, search, home) = (&parts.theme, &parts.nav, parts.search, parts.home);
    let ctx = parts.ctx(book);

    // Each page is written as soon as it is rendered; what the search index needs is spooled to
    // disk, a batch of pages at a time, in page order.
    let mut spool = if search && memo.whole_book() { Some(search::DocSpool::create(out)?) } else { None };
    let ids: Vec<ArticleId> =
        (0..book.articles.len() as u32).map(ArticleId).filter(|&id| memo.in_scope(id)).collect();
    let mut unresolved_links = 0;
    for batch in ids.chunks(PAGE_BATCH) {
        let pages: Vec<(usize, Option<search::SearchDoc>)> = batch
            .par_iter()
            .map(|&id| {
                let page = super::memoized(memo, "html", id, || ctx.article_page(id))?;
                write_file(out, &page.path, &page.html)?;
                Ok((page.unresolved, spool.is_some().then_some(page.search)))
            })
            .collect::<Result<_, RenderError>>()?;
        for (unresolved, doc) in pages {
            unresolved_links += unresolved;
            if let (Some(spool), Some(doc)) = (&mut spool, doc) {
                spool.push(&doc)?;
            }
        }
    }
    let mut stats = Stats { pages: ids.len(), ..Stats::default() };
    if !memo.whole_book() {
        return Ok((stats, None));
    }

    write_file(out, home, ctx.home_page(home)?)?;
    write_file(out, urls::NOT_FOUND_PATH, ctx.not_found_page()?)?;
    write_file(out, urls::NAV_DATA, nav.script())?;
    for (name, bytes) in theme.static_files()? {
        write_file(out, &urls::static_path(&name), bytes)?;
    }
    if let Some(site_url) = &cfg.site_url {
        write_file(out, urls::SITEMAP_PATH, sitemap(book, site_url, home))?;
    }
    let assets = site::assets(book);
    stats.assets = assets.len();
    for rel in &assets {
        let from = book.content.root.join(rel);
        let to = out.join(rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| RenderError::io(parent, e))?;
        }
        std::fs::copy(&from, &to).map_err(|e| RenderError::io(&from, e))?;
    }
    stats.unresolved_links = unresolved_links;
    let docs = match spool {
        Some(spool) => Some(search::Input {
            docs: spool.into_docs()?,
            shards: parts.search_shards,
            low_memory: book.is_lean(),
        }),
        None => None,
    };
    Ok((stats, docs))
}

/// The language of the site's own pages: `[book] language`, else the first article's.
fn site_lang(book: &Book) -> String {
    book.config
        .book
        .language
        .clone()
        .or_else(|| book.articles.first().map(|a| a.locale.clone()))
        .unwrap_or_else(|| "en-US".into())
}

#[derive(Serialize, serde::Deserialize)]
struct Rendered {
    path: String,
    html: String,
    unresolved: usize,
    search: search::SearchDoc,
}

struct SiteCtx<'a> {
    book: &'a Book,
    theme: &'a theme::Theme,
    sanitizer: &'a sanitize::Sanitizer,
    nav: &'a SiteNav,
    translations: &'a [Vec<ArticleId>],
    lang: String,
    search: bool,
    search_shards: usize,
    /// The home page's path (computed once: finding it looks at every article).
    home: &'static str,
}

/// What every template gets as `site`.
#[derive(Serialize)]
struct SiteVars<'a> {
    title: &'a str,
    description: Option<&'a str>,
    lang: &'a str,
    /// From this page to the site root: `""`, `"../"`.
    root: String,
    home: String,
    css: String,
    js: String,
    nav_js: String,
    search: bool,
    search_dir: String,
    /// The folders of the other search indexes, which the browser merges into the first.
    search_merge: Vec<String>,
    /// Whether the page has the navigation sidebar (article pages).
    sidebar: bool,
}

/// A link as templates see it.
#[derive(Serialize)]
struct LinkVars {
    title: String,
    url: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    current: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    external: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    lang: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    children: Vec<LinkVars>,
}

impl LinkVars {
    fn new(title: &str, url: Option<String>) -> LinkVars {
        LinkVars {
            title: title.to_string(),
            url,
            current: false,
            external: false,
            lang: None,
            children: vec![],
        }
    }
}

#[derive(Serialize)]
struct ArticleVars<'a> {
    title: &'a str,
    lang: &'a str,
    path: String,
    description: Option<String>,
    canonical: Option<String>,
    markdown: String,
    jsonld: Value,
    date: Option<String>,
    product: Option<&'a str>,
    audience: Option<&'a str>,
    alternates: Vec<LinkVars>,
    checklist: Option<String>,
    toc: Vec<body::TocEntry>,
    heading: Value,
    body: Value,
    breadcrumbs: Vec<LinkVars>,
    siblings: Vec<LinkVars>,
    more_before: bool,
    more_after: bool,
    children: Vec<LinkVars>,
    prev: Option<LinkVars>,
    next: Option<LinkVars>,
}

impl SiteCtx<'_> {
    /// `root` leads from the page to the site root: relative (`../`), or the site URL for the 404
    /// page, which servers show at any depth.
    fn site_vars(&self, root: String, sidebar: bool) -> SiteVars<'_> {
        let cfg = &self.book.config;
        SiteVars {
            title: cfg.book.title.as_deref().unwrap_or("Knowledge base"),
            description: cfg.book.description.as_deref(),
            lang: &self.lang,
            home: format!("{root}{}", self.home),
            css: format!("{root}{}", urls::static_path("kbc.css")),
            js: format!("{root}{}", urls::static_path("kbc.js")),
            nav_js: format!("{root}{}", urls::NAV_DATA),
            search: self.search,
            search_dir: format!("{root}{}/", urls::SEARCH_DIR),
            search_merge: (1..self.search_shards)
                .map(|i| format!("{root}{}/{}", urls::SEARCH_DIR, search::shard_dir(i)))
                .collect(),
            sidebar,
            root,
        }
    }

    /// Renders one template with `site`, `t` (interface strings) and `page`.
    fn render(
        &self,
        template: &str,
        site: SiteVars<'_>,
        t: &Strings,
        page: impl Serialize,
    ) -> Result<String, RenderError> {
        let ctx = minijinja::context! {
            site => Value::from_serialize(&site),
            t => Value::from_serialize(t),
            page => Value::from_serialize(&page),
        };
        self.theme.render(template, ctx)
    }

    fn article_page(&self, id: ArticleId) -> Result<Rendered, RenderError> {
        let book = self.book;
        let whole = book.article(id)?;
        let article: &Article = &whole;
        let strings = strings::for_lang(&article.locale);
        let here = urls::page_path(article, "html");
        let body = body::render(book, id, article, self.sanitizer, strings);
        let place = &self.nav.place(id);
        let link = |(title, path): &(String, Option<String>)| {
            LinkVars::new(title, path.as_deref().map(|p| url_from(&here, p)))
        };
        let article_link = |a: ArticleId| {
            let other = &book.articles[a.0 as usize];
            LinkVars::new(&other.title, Some(url_from(&here, &urls::encode(&urls::page_path(other, "html")))))
        };
        let site_url = book.config.output.html.site_url.as_deref();
        let canonical = urls::absolute(site_url, &here);
        let description = description(article);
        let meta = &article.meta;
        let alternates = self.translations[id.0 as usize]
            .iter()
            .map(|&b| {
                let other = &book.articles[b.0 as usize];
                let mut l = article_link(b);
                l.lang = Some(other.locale.clone());
                l
            })
            .collect();
        let has_checklist = super::has_checklist(self.book, article);
        let vars = ArticleVars {
            title: &article.title,
            lang: &article.locale,
            path: urls::encode(&here),
            jsonld: Value::from_safe_string(json_ld(article, canonical.as_deref(), description.as_deref())),
            description,
            canonical,
            markdown: url_from(&here, &urls::encode(&urls::page_path(article, "md"))),
            date: meta.date.map(|d| d.to_string()),
            product: meta.prod.as_deref().or(meta.service.as_deref()),
            audience: meta.audience.as_deref(),
            alternates,
            checklist: has_checklist.then(|| url_from(&here, &urls::encode(&urls::checklist_path(article)))),
            toc: body.toc,
            heading: Value::from_safe_string(body.heading.clone()),
            body: Value::from_safe_string(body.html.clone()),
            breadcrumbs: place.trail.iter().map(link).collect(),
            siblings: place
                .siblings
                .iter()
                .map(|(t, p, current)| {
                    let mut l = link(&(t.clone(), p.clone()));
                    l.current = *current;
                    l
                })
                .collect(),
            more_before: place.more_before,
            more_after: place.more_after,
            children: place.children.iter().map(link).collect(),
            prev: place.prev.map(article_link),
            next: place.next.map(article_link),
        };
        let html =
            self.render("article.html", self.site_vars(urls::root_prefix(&here), true), strings, vars)?;
        Ok(Rendered {
            search: search::SearchDoc {
                url: urls::encode(&here),
                lang: article.locale.clone(),
                title: article.title.clone(),
                body: format!("{}{}", body.heading, body.html),
            },
            path: here,
            html,
            unresolved: body.unresolved,
        })
    }

    fn home_page(&self, here: &str) -> Result<String, RenderError> {
        fn convert(here: &str, nodes: &[Node]) -> Vec<LinkVars> {
            nodes
                .iter()
                .map(|n| {
                    let mut l = LinkVars::new(&n.title, n.path.as_deref().map(|p| url_from(here, p)));
                    if n.external {
                        l.url = n.path.clone();
                        l.external = true;
                    }
                    l.children = convert(here, &n.children);
                    l
                })
                .collect()
        }
        #[derive(Serialize)]
        struct HomeVars {
            groups: Vec<LinkVars>,
            count: usize,
            /// The list of printable checklists, when any article has one.
            checklists: Option<String>,
        }
        let any_checklist = self.book.articles.iter().any(|a| super::has_checklist(self.book, a));
        let vars = HomeVars {
            groups: convert(here, &self.nav.roots),
            count: self.book.articles.len(),
            checklists: any_checklist.then(|| url_from(here, urls::CHECKLIST_INDEX)),
        };
        let strings = strings::for_lang(&self.lang);
        self.render("index.html", self.site_vars(urls::root_prefix(here), false), strings, vars)
    }

    fn not_found_page(&self) -> Result<String, RenderError> {
        let strings = strings::for_lang(&self.lang);
        let root = match &self.book.config.output.html.site_url {
            Some(u) => format!("{u}/"),
            None => urls::root_prefix(urls::NOT_FOUND_PATH),
        };
        let site = self.site_vars(root, false);
        self.render("404.html", site, strings, std::collections::BTreeMap::<&str, &str>::new())
    }
}

/// A page-relative URL for a site-root-relative path (which may carry a `#fragment`), or an
/// external URL as is.
fn url_from(here: &str, path: &str) -> String {
    if path.contains("://") || path.starts_with("mailto:") {
        return path.to_string();
    }
    let (file, fragment) = match path.split_once('#') {
        Some((f, frag)) => (f, Some(frag)),
        None => (path, None),
    };
    let mut url = urls::relative(here, file);
    if let Some(f) = fragment {
        url.push('#');
        url.push_str(f);
    }
    url
}

/// The page description: front matter `description`, else the summary, cut at 300 characters.
fn description(article: &Article) -> Option<String> {
    let text = article.meta.description.as_deref().or(article.summary.as_deref())?.trim();
    if text.is_empty() {
        return None;
    }
    let mut out: String = text.chars().take(300).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    Some(out)
}

/// The JSON-LD `TechArticle` of a page, safe to put inside `<script>`.
fn json_ld(article: &Article, canonical: Option<&str>, description: Option<&str>) -> String {
    let mut v = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "TechArticle",
        "headline": article.title,
        "inLanguage": article.locale,
    });
    if let Some(d) = description {
        v["description"] = d.into();
    }
    if let Some(date) = article.meta.date {
        v["dateModified"] = date.to_string().into();
    }
    if let Some(url) = canonical {
        v["url"] = url.into();
    }
    if let Some(author) = article.meta.author.as_deref().or(article.meta.ms_author.as_deref()) {
        v["author"] = serde_json::json!({ "@type": "Person", "name": author });
    }
    if let Some(id) = &article.meta.assetid {
        v["identifier"] = id.as_str().into();
    }
    if !article.meta.keywords.is_empty() {
        v["keywords"] = article.meta.keywords.join(", ").into();
    }
    let text = serde_json::to_string(&v).unwrap_or_default();
    // `</script>` and `<!--` cannot appear inside the script element.
    text.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

/// `sitemap.xml`: the home page and every article, with absolute URLs.
fn sitemap(book: &Book, site_url: &str, home: &str) -> String {
    let esc = |s: &str| sanitize::escape(s).into_owned();
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut entry = |path: &str, date: Option<String>| {
        if let Some(url) = urls::absolute(Some(site_url), path) {
            out.push_str(&format!("  <url><loc>{}</loc>", esc(&url)));
            if let Some(d) = date {
                out.push_str(&format!("<lastmod>{d}</lastmod>"));
            }
            out.push_str("</url>\n");
        }
    };
    entry(home, None);
    for a in &book.articles {
        entry(&urls::page_path(a, "html"), a.meta.date.map(|d| d.to_string()));
    }
    out.push_str("</urlset>\n");
    out
}
