//! Where things land in the built site, and the URLs between them.
//!
//! **Invariant:** every renderer asks this module for paths and URLs; none builds one by hand, so
//! the HTML pages, the JSON and the checklists always agree on where an article lives.
//! URLs between pages are relative, so a site works under any sub-path and from `file://`.

use crate::Book;
use crate::model::{Article, ArticleId, Link, LinkId, LinkTarget, SectionRef, TroubleshootingEntry};
use crate::resolve::Resolved;

/// The output path of an article's page, relative to the site root, with the given extension:
/// `Skype/x.md` → `Skype/x.html`. Source file names are kept, so URLs are predictable.
pub fn page_path(article: &Article, ext: &str) -> String {
    let stem = article.rel_path.strip_suffix(".md").or_else(|| article.rel_path.strip_suffix(".MD"));
    format!("{}.{ext}", stem.unwrap_or(&article.rel_path))
}

/// A relative URL from the page at `from` (a site path) to the site path `to`.
pub fn relative(from: &str, to: &str) -> String {
    let from_dirs: Vec<&str> = from.split('/').collect();
    let from_dirs = &from_dirs[..from_dirs.len().saturating_sub(1)];
    let to_parts: Vec<&str> = to.split('/').collect();
    let common = from_dirs.iter().zip(&to_parts).take_while(|(a, b)| a == b).count();
    let common = common.min(to_parts.len().saturating_sub(1));
    let mut out = String::new();
    for _ in common..from_dirs.len() {
        out.push_str("../");
    }
    out.push_str(&to_parts[common..].join("/"));
    if out.is_empty() {
        out.push_str("./");
    }
    out
}

/// Percent-encodes what must not appear raw in a URL path or fragment (spaces, quotes, `%`, `#`, `?`,
/// control characters); keeps non-ASCII letters, which browsers handle and people can read.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ' ' | '"' | '%' | '<' | '>' | '`' | '#' | '?' | '{' | '}' | '|' | '\\' | '^' | '\'' => {
                out.push_str(&format!("%{:02X}", c as u32))
            }
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Where a link goes in the built site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Href {
    /// A page or file of this site, relative to the linking page.
    Internal(String),
    /// Elsewhere on the web (or `mailto:`), as written.
    External(String),
    /// Broken or unchecked-relative: kept as written so nothing silently changes meaning.
    AsWritten(String),
}

impl Href {
    pub fn url(&self) -> &str {
        match self {
            Href::Internal(s) | Href::External(s) | Href::AsWritten(s) => s,
        }
    }
}

/// The URL of link `link` of article `from`, from that article's page (with extension `ext`).
pub fn href(book: &Book, from: ArticleId, link: LinkId, ext: &str) -> Href {
    let article = &book.articles[from.0 as usize];
    let l = article.link(link);
    let here = page_path(article, ext);
    let resolved = book.resolution.links.get(from.0 as usize).and_then(|r| r.get(link.0 as usize));
    match resolved {
        Some(Resolved::Article { article: to, fragment, .. }) => {
            let target = page_path(&book.articles[to.0 as usize], ext);
            let mut url = if *to == from { String::new() } else { encode(&relative(&here, &target)) };
            if let Some(f) = fragment {
                url.push('#');
                url.push_str(&encode(f));
            }
            if url.is_empty() {
                url.push_str(&encode(target.rsplit('/').next().unwrap_or(&target)));
            }
            Href::Internal(url)
        }
        Some(Resolved::File { path }) => Href::Internal(encode(&relative(&here, path))),
        Some(Resolved::External { url }) => Href::External(url.clone()),
        Some(Resolved::Mailto { address }) => Href::External(format!("mailto:{address}")),
        _ => Href::AsWritten(rebased(book, article, l, &here).unwrap_or_else(|| l.dest.clone())),
    }
}

/// A broken relative link from an included file or to `~/path`, made relative to the page `here`:
/// as written, it would lead from the page to somewhere else than the author meant. `None` for
/// any other link, which stays as written.
fn rebased(book: &Book, article: &Article, link: &Link, here: &str) -> Option<String> {
    let (LinkTarget::Article { path, fragment } | LinkTarget::Asset { path, fragment }) = &link.target else {
        return None;
    };
    if link.base == article.file && !path.starts_with("~/") {
        return None;
    }
    let base = &book.content.sources.get(link.base).rel_path;
    let joined = crate::load::join_link(&book.content.paths, base, path)?;
    let mut url = encode(&relative(here, &joined));
    if let Some(f) = fragment {
        url.push('#');
        url.push_str(&encode(f));
    }
    Some(url)
}

/// A page or file of this site that a link leads to: its site path and fragment, both unencoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteTarget {
    pub path: String,
    pub fragment: Option<String>,
}

/// Where link `link` of article `from` leads in this site (pages with extension `ext`), for output
/// read away from the linking page (JSON, chunks, `llms-full.txt`, the Markdown twin): a link to the
/// same article names its page too. `None` when the link leaves the site, is broken or unchecked.
pub fn link_target(book: &Book, from: ArticleId, link: LinkId, ext: &str) -> Option<SiteTarget> {
    match book.resolution.links.get(from.0 as usize)?.get(link.0 as usize)? {
        Resolved::Article { article, fragment, .. } => Some(SiteTarget {
            path: page_path(&book.articles[article.0 as usize], ext),
            fragment: fragment.clone(),
        }),
        Resolved::File { path } => Some(SiteTarget { path: path.clone(), fragment: None }),
        _ => None,
    }
}

/// The public URL of a site path: absolute under `site_url` when one is configured, else relative
/// to the site root. Path and fragment are encoded separately, so a `#` in a file name stays one.
pub fn public_url(site_url: Option<&str>, path: &str, fragment: Option<&str>) -> String {
    let mut url = absolute(site_url, path).unwrap_or_else(|| encode(path));
    if let Some(f) = fragment {
        url.push('#');
        url.push_str(&encode(f));
    }
    url
}

/// A relative URL from the file at site path `from` to `path#fragment`, encoded.
pub fn relative_url(from: &str, path: &str, fragment: Option<&str>) -> String {
    let mut url = encode(&relative(from, path));
    if let Some(f) = fragment {
        url.push('#');
        url.push_str(&encode(f));
    }
    url
}

/// `page.html#anchor` of a section, relative to the site root.
pub fn section_path(book: &Book, section: SectionRef, ext: &str) -> String {
    let article = &book.articles[section.article.0 as usize];
    let page = page_path(article, ext);
    match &article.section(section.section).id {
        Some(id) => format!("{page}#{}", encode(id)),
        None => page,
    }
}

/// Where a resolved link lands, relative to the site root (`Skype/x.html#a`), for links that do not
/// belong to an article (navigation files). `None` for external, broken and unchecked links.
pub fn resolved_path(book: &Book, resolved: &Resolved, ext: &str) -> Option<String> {
    match resolved {
        Resolved::Article { article, fragment, .. } => {
            let page = encode(&page_path(&book.articles[article.0 as usize], ext));
            Some(match fragment {
                Some(f) => format!("{page}#{}", encode(f)),
                None => page,
            })
        }
        Resolved::File { path } => Some(encode(path)),
        _ => None,
    }
}

/// The folder of the site's own files: CSS, JavaScript, the navigation data and the search index.
/// The leading `_` keeps it apart from content folders (DocFX content never starts with one).
pub const STATIC_DIR: &str = "_kbc";

/// A file of the site's own, relative to the site root: `_kbc/kbc.css`.
pub fn static_path(name: &str) -> String {
    format!("{STATIC_DIR}/{name}")
}

/// The folder of the search index, relative to the site root.
pub const SEARCH_DIR: &str = "_kbc/search";

/// The navigation tree shared by every page (one file, so pages do not grow with the site).
pub const NAV_DATA: &str = "_kbc/nav.js";

/// The page served for missing URLs.
pub const NOT_FOUND_PATH: &str = "404.html";

/// The sitemap (written only when `site-url` is set).
pub const SITEMAP_PATH: &str = "sitemap.xml";

/// The home page: `index.html`, unless an article at the content root already lands there.
pub fn home_path(book: &Book) -> &'static str {
    let taken = |p: &str| book.articles.iter().any(|a| page_path(a, "html") == p);
    if !taken("index.html") { "index.html" } else { "home.html" }
}

/// The printable checklist of an article: `checklists/<content path>.html`.
pub fn checklist_path(article: &Article) -> String {
    format!("checklists/{}", page_path(article, "html"))
}

/// The Markdown task list of an article's checklist: `checklists/<content path>.md`.
pub fn checklist_markdown_path(article: &Article) -> String {
    format!("checklists/{}", page_path(article, "md"))
}

/// The list of every checklist.
pub const CHECKLIST_INDEX: &str = "checklists/index.html";

/// The id of a troubleshooting entry's table row (`entry-2-1`: second table, first body row), so
/// search results and other outputs can point at one error message.
pub fn entry_anchor(entry: &TroubleshootingEntry) -> String {
    format!("entry-{}-{}", entry.table + 1, entry.row + 1)
}

/// The prefix that leads from the page at `from` back to the site root: `""`, `"../"`, `"../../"`.
pub fn root_prefix(from: &str) -> String {
    "../".repeat(from.matches('/').count())
}

/// An absolute URL for a site path when `site_url` is configured (`https://kb.example.com/x.html`).
pub fn absolute(site_url: Option<&str>, path: &str) -> Option<String> {
    site_url.map(|base| format!("{}/{}", base.trim_end_matches('/'), encode(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_urls() {
        assert_eq!(relative("a/b.html", "a/c.html"), "c.html");
        assert_eq!(relative("a/b.html", "x/y.html"), "../x/y.html");
        assert_eq!(relative("b.html", "x/y.png"), "x/y.png");
        assert_eq!(relative("a/b/c.html", "a/d.html"), "../d.html");
        assert_eq!(relative("a/b.html", "a"), "../a");
        assert_eq!(relative("index.html", "index.html"), "index.html");
    }

    #[test]
    fn public_urls_encode_path_and_fragment_apart() {
        assert_eq!(public_url(None, "a b/x#1.html", Some("__top")), "a%20b/x%231.html#__top");
        assert_eq!(
            public_url(Some("https://kb.example"), "中文.html", Some("a b")),
            "https://kb.example/中文.html#a%20b"
        );
    }

    #[test]
    fn root_prefixes() {
        assert_eq!(root_prefix("index.html"), "");
        assert_eq!(root_prefix("a/b/c.html"), "../../");
    }

    #[test]
    fn encoding_keeps_chinese_and_escapes_spaces() {
        assert_eq!(encode("a b/中文.html"), "a%20b/中文.html");
        assert_eq!(encode("x#y?z"), "x%23y%3Fz");
    }
}
