//! Resolving every link of every article against the whole knowledge base.
//!
//! **Invariant:** resolution is O(links): every lookup goes through an index built once.
//! **Invariant:** nothing here reads the file system; `load` recorded every path that exists.

use crate::config::AbsoluteLinks;
use crate::diag::{Code, Diagnostic, Sink};
use crate::load::{Content, join_link};
use crate::model::{Article, ArticleId, LinkRole, LinkTarget, SectionId, SectionRef};
use crate::nav::Nav;
use crate::source::{FileId, Span};
use rayon::prelude::*;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Where a link goes, once resolved. A resolved link is not a string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Resolved {
    /// An article, and the section its fragment names (`None` for the top of the article).
    Article {
        article: ArticleId,
        section: Option<SectionId>,
        fragment: Option<String>,
    },
    /// A file that is not an article: an image, a download, a Markdown include or TOC.
    File {
        path: String,
    },
    External {
        url: String,
    },
    Mailto {
        address: String,
    },
    /// Not checked, by rule: a site-absolute link outside the content root, a DocFX tab link.
    Unchecked {
        reason: &'static str,
    },
    /// Broken; a diagnostic says why.
    Broken,
}

/// Lookup tables over the whole knowledge base.
pub struct Index<'a> {
    content: &'a Content,
    articles: &'a [Article],
    by_path: HashMap<&'a str, ArticleId>,
    by_lower_path: HashMap<String, ArticleId>,
    by_guid: HashMap<&'a str, Vec<ArticleId>>,
    /// Per article: anchor id → section, and lower-cased id → id as written. Built when a link
    /// first targets the article: a watch loop's preview resolves one article's links without
    /// hashing the anchors of ten thousand.
    anchors: Vec<OnceLock<AnchorSet<'a>>>,
}

struct AnchorSet<'a> {
    exact: HashMap<&'a str, Option<SectionId>>,
    lower: HashMap<String, &'a str>,
}

impl<'a> Index<'a> {
    pub fn new(content: &'a Content, articles: &'a [Article]) -> Index<'a> {
        let mut by_path = HashMap::new();
        let mut by_lower_path = HashMap::new();
        let mut by_guid: HashMap<&str, Vec<ArticleId>> = HashMap::new();
        for (i, a) in articles.iter().enumerate() {
            let id = ArticleId(i as u32);
            by_path.insert(a.rel_path.as_str(), id);
            by_lower_path.entry(a.rel_path.to_lowercase()).or_insert(id);
            if let Some(g) = &a.meta.assetid {
                by_guid.entry(g.as_str()).or_default().push(id);
            }
        }
        let anchors = articles.iter().map(|_| OnceLock::new()).collect();
        Index { content, articles, by_path, by_lower_path, by_guid, anchors }
    }

    /// The anchors of article `id`.
    fn anchors(&self, id: ArticleId) -> &AnchorSet<'a> {
        self.anchors[id.0 as usize].get_or_init(|| {
            let a: &'a Article = &self.articles[id.0 as usize];
            let mut exact = HashMap::with_capacity(a.anchors.len());
            let mut lower = HashMap::with_capacity(a.anchors.len());
            for anchor in &a.anchors {
                exact.entry(anchor.id.as_str()).or_insert(anchor.section);
                lower.entry(anchor.id.to_lowercase()).or_insert(anchor.id.as_str());
            }
            AnchorSet { exact, lower }
        })
    }

    /// The articles claiming an `ms.assetid`.
    pub fn by_guid(&self, guid: &str) -> &[ArticleId] {
        self.by_guid.get(guid).map_or(&[], Vec::as_slice)
    }
}

/// The outcome of resolving a whole knowledge base.
#[derive(Debug, Default)]
pub struct Resolution {
    /// `links[article][link]`, parallel to each article's links.
    pub links: Vec<Vec<Resolved>>,
    /// Per navigation file, parallel to `Nav::links()`.
    pub nav_links: Vec<Vec<Resolved>>,
    /// Per article: what its links got wrong.
    pub article_diagnostics: Vec<Vec<Diagnostic>>,
    /// What the navigation files' links got wrong.
    pub nav_diagnostics: Vec<Diagnostic>,
    /// Per article: the articles whose anchors its links were checked against, sorted. Only
    /// these articles' resolution can change when an article's anchors change (paths, titles and
    /// assetids staying), which is how a watch loop finds what to resolve again.
    pub consulted: Vec<Vec<ArticleId>>,
}

impl Resolution {
    /// Puts one article's resolution in place (after it was resolved again).
    pub fn replace(&mut self, id: ArticleId, resolved: ArticleLinks) {
        let i = id.0 as usize;
        if i < self.links.len() {
            self.links[i] = resolved.links;
            self.article_diagnostics[i] = resolved.diagnostics;
            self.consulted[i] = resolved.consulted;
        }
    }

    /// The articles whose outputs may depend on article `id`'s sections and anchors: those that
    /// link to it, and those whose links were checked against its anchors (a broken fragment).
    pub fn dependents(&self, id: ArticleId) -> Vec<ArticleId> {
        let links_to = |links: &Vec<Resolved>| {
            links.iter().any(|r| matches!(r, Resolved::Article { article, .. } if *article == id))
        };
        (0..self.links.len())
            .filter(|&i| links_to(&self.links[i]) || self.consulted[i].binary_search(&id).is_ok())
            .map(|i| ArticleId(i as u32))
            .collect()
    }
}

/// How the links of one article resolved.
pub struct ArticleLinks {
    /// Parallel to the article's links.
    pub links: Vec<Resolved>,
    pub diagnostics: Vec<Diagnostic>,
    /// See [`Resolution::consulted`].
    pub consulted: Vec<ArticleId>,
}

/// Resolves every link, and fills in the procedure section of each troubleshooting entry.
pub fn resolve(
    articles: &mut [Article],
    navs: &[Nav],
    content: &Content,
    absolute: AbsoluteLinks,
) -> Resolution {
    let (links, nav_links, article_diagnostics, consulted, nav_diagnostics) = {
        let index = Index::new(content, articles);
        let per_article: Vec<ArticleLinks> = articles
            .par_iter()
            .enumerate()
            .map(|(i, a)| resolve_links(&index, ArticleId(i as u32), a, absolute))
            .collect();
        let mut nav_diags = Sink::new();
        let mut links = Vec::with_capacity(per_article.len());
        let mut diagnostics = Vec::with_capacity(per_article.len());
        let mut consulted = Vec::with_capacity(per_article.len());
        for r in per_article {
            links.push(r.links);
            diagnostics.push(r.diagnostics);
            consulted.push(r.consulted);
        }
        let mut nav_links = Vec::with_capacity(navs.len());
        for nav in navs {
            let resolved = nav
                .links()
                .into_iter()
                .map(|l| {
                    let ctx = LinkCtx {
                        from: None,
                        consulted: None,
                        base: nav.file,
                        role: LinkRole::Link,
                        span: l.span,
                        dest: &l.dest,
                    };
                    resolve_target(&index, &ctx, &l.target, absolute, &mut nav_diags)
                })
                .collect();
            nav_links.push(resolved);
        }
        (links, nav_links, diagnostics, consulted, nav_diags.into_vec())
    };
    for (article, links) in articles.iter_mut().zip(&links) {
        fill_procedures(article, links);
    }
    Resolution { links, nav_links, article_diagnostics, nav_diagnostics, consulted }
}

/// Resolves the links of one article, `from`, against the whole knowledge base.
pub fn resolve_links(
    index: &Index<'_>,
    from: ArticleId,
    article: &Article,
    absolute: AbsoluteLinks,
) -> ArticleLinks {
    let mut diags = Sink::new();
    let consulted = RefCell::new(Vec::new());
    let links = article
        .links
        .iter()
        .map(|l| {
            let ctx = LinkCtx {
                from: Some(from),
                consulted: Some(&consulted),
                base: l.base,
                role: l.role,
                span: l.dest_span,
                dest: &l.dest,
            };
            resolve_target(index, &ctx, &l.target, absolute, &mut diags)
        })
        .collect();
    let mut consulted = consulted.into_inner();
    consulted.sort_unstable();
    consulted.dedup();
    ArticleLinks { links, diagnostics: diags.into_vec(), consulted }
}

/// Sets the procedure section of each troubleshooting entry: the section its resolution links to.
pub fn fill_procedures(article: &mut Article, links: &[Resolved]) {
    for entry in &mut article.troubleshooting {
        entry.procedure = entry.resolution_links.iter().find_map(|l| match links.get(l.0 as usize) {
            Some(Resolved::Article { article, section: Some(section), fragment: Some(_) }) => {
                Some(SectionRef { article: *article, section: *section })
            }
            _ => None,
        });
    }
}

struct LinkCtx<'s> {
    /// The article the link is in (`None` for navigation files).
    from: Option<ArticleId>,
    /// Where to record the articles whose anchors were looked at (see [`Resolution::consulted`]).
    consulted: Option<&'s RefCell<Vec<ArticleId>>>,
    /// The file whose folder relative paths start from.
    base: FileId,
    role: LinkRole,
    span: Span,
    dest: &'s str,
}

fn is_image(role: LinkRole) -> bool {
    matches!(role, LinkRole::Image | LinkRole::HtmlImage)
}

fn resolve_target(
    index: &Index<'_>,
    ctx: &LinkCtx<'_>,
    target: &LinkTarget,
    absolute: AbsoluteLinks,
    diags: &mut Sink,
) -> Resolved {
    let base_path = &index.content.sources.get(ctx.base).rel_path;
    match target {
        LinkTarget::Empty => {
            diags.push(
                Diagnostic::new(Code::EmptyLink, ctx.span, "link has an empty destination")
                    .with_label("empty"),
            );
            Resolved::Broken
        }
        LinkTarget::External { url } => Resolved::External { url: url.clone() },
        LinkTarget::Mailto { address } => Resolved::Mailto { address: address.clone() },
        LinkTarget::Xref { .. } => Resolved::Unchecked { reason: "xref" },
        LinkTarget::Unsafe { scheme } => {
            diags.push(
                Diagnostic::new(
                    Code::UnsafeUrl,
                    ctx.span,
                    format!("`{scheme}:` URLs are not allowed in links"),
                )
                .with_label("unsafe URL")
                .with_note("such URLs can run script in the reader's browser"),
            );
            Resolved::Broken
        }
        LinkTarget::Fragment { fragment } => match ctx.from {
            Some(article) => check_anchor(index, ctx, article, fragment, diags),
            None => Resolved::Unchecked { reason: "fragment in navigation" },
        },
        LinkTarget::Article { path, fragment } | LinkTarget::Asset { path, fragment } => {
            let Some(joined) = join_link(&index.content.paths, base_path, path) else {
                diags.push(outside_root(ctx));
                return Resolved::Broken;
            };
            resolve_path(index, ctx, &joined, fragment.as_deref(), diags).unwrap_or_else(|| {
                let mut d = missing(ctx, &joined);
                if let Some(why) = crate::load::why_not_read(&index.content.not_read, &joined) {
                    d = d.with_note(why);
                }
                diags.push(d);
                Resolved::Broken
            })
        }
        LinkTarget::AssetId { guid, fragment } => {
            let file_name = ctx.dest.split(['#', '?']).next().unwrap_or("");
            if let Some(joined) =
                join_link(&index.content.paths, base_path, &crate::parse::link::percent_decode(file_name))
                && index.content.paths.contains(&joined)
            {
                return resolve_path(index, ctx, &joined, fragment.as_deref(), diags)
                    .unwrap_or(Resolved::Broken);
            }
            let claims = index.by_guid(guid.as_str());
            let from_locale = ctx.from.map(|a| index.articles[a.0 as usize].locale.as_str());
            let chosen = claims
                .iter()
                .find(|&&a| Some(index.articles[a.0 as usize].locale.as_str()) == from_locale)
                .or_else(|| claims.first());
            match chosen {
                Some(&article) => match fragment {
                    Some(f) => check_anchor(index, ctx, article, f, diags),
                    None => Resolved::Article { article, section: None, fragment: None },
                },
                None => {
                    diags.push(
                        Diagnostic::new(
                            Code::MissingFile,
                            ctx.span,
                            format!("no article has `ms.assetid: {}`", guid.as_str()),
                        )
                        .with_label("no such article")
                        .with_note("a link to `<guid>.md` names an article by its `ms.assetid`"),
                    );
                    Resolved::Broken
                }
            }
        }
        LinkTarget::SiteAbsolute { path, fragment } => {
            let rel = path.trim_start_matches('/');
            if let Some(r) = resolve_path(index, ctx, rel, fragment.as_deref(), diags) {
                return r;
            }
            match absolute {
                AbsoluteLinks::Ignore => Resolved::Unchecked { reason: "site-absolute" },
                AbsoluteLinks::Warn | AbsoluteLinks::Error => {
                    let mut d = Diagnostic::new(
                        Code::MissingAbsolute,
                        ctx.span,
                        format!("`{path}` does not exist in the content root"),
                    )
                    .with_label("not found");
                    if absolute == AbsoluteLinks::Warn {
                        d.severity = crate::diag::Severity::Warning;
                    }
                    diags.push(d);
                    Resolved::Broken
                }
            }
        }
    }
}

/// Resolves a content-relative path (exact, then folder index, then ignoring case). `None` when
/// nothing matches.
fn resolve_path(
    index: &Index<'_>,
    ctx: &LinkCtx<'_>,
    path: &str,
    fragment: Option<&str>,
    diags: &mut Sink,
) -> Option<Resolved> {
    let content = index.content;
    let path = path.trim_end_matches('/');
    let mut exact = |p: &str| -> Option<Resolved> {
        if let Some(&article) = index.by_path.get(p) {
            return Some(match fragment {
                Some(f) => check_anchor(index, ctx, article, f, diags),
                None => Resolved::Article { article, section: None, fragment: None },
            });
        }
        None
    };
    if let Some(r) = exact(path) {
        return Some(r);
    }
    if content.paths.contains(path) {
        if content.dirs.contains(path) {
            let idx = if path.is_empty() { "index.md".to_string() } else { format!("{path}/index.md") };
            return exact(&idx).or(Some(Resolved::File { path: path.to_string() }));
        }
        return Some(Resolved::File { path: path.to_string() });
    }
    // Case-insensitive fallback: it works on Windows and macOS, breaks on Linux web servers.
    let lower = path.to_lowercase();
    let found = index
        .by_lower_path
        .get(&lower)
        .map(|&a| index.articles[a.0 as usize].rel_path.clone())
        .or_else(|| content.paths_by_lowercase.get(&lower).and_then(|v| v.first().cloned()))?;
    diags.push(
        Diagnostic::new(
            Code::CaseMismatch,
            ctx.span,
            format!("`{path}` matches `{found}` only when letter case is ignored"),
        )
        .with_label("letter case differs")
        .with_help(format!("write `{found}`"))
        .with_note("case-insensitive file systems hide this; Linux web servers return 404"),
    );
    if let Some(&article) = index.by_path.get(found.as_str()) {
        return Some(match fragment {
            Some(f) => check_anchor(index, ctx, article, f, diags),
            None => Resolved::Article { article, section: None, fragment: None },
        });
    }
    Some(Resolved::File { path: found })
}

fn check_anchor(
    index: &Index<'_>,
    ctx: &LinkCtx<'_>,
    article: ArticleId,
    fragment: &str,
    diags: &mut Sink,
) -> Resolved {
    let fragment_owned = Some(fragment.to_string());
    if fragment.is_empty() {
        return Resolved::Article { article, section: None, fragment: None };
    }
    if fragment.starts_with("tab/") {
        return Resolved::Unchecked { reason: "tab link" };
    }
    if let Some(c) = ctx.consulted {
        c.borrow_mut().push(article);
    }
    let set = index.anchors(article);
    if let Some(&section) = set.exact.get(fragment) {
        return Resolved::Article { article, section, fragment: fragment_owned };
    }
    let target = &index.articles[article.0 as usize];
    if let Some(&found) = set.lower.get(&fragment.to_lowercase()) {
        diags.push(
            Diagnostic::new(
                Code::CaseMismatch,
                ctx.span,
                format!("anchor `#{fragment}` matches `#{found}` only when letter case is ignored"),
            )
            .with_label("letter case differs")
            .with_help(format!("write `#{found}`"))
            .with_note("browsers match fragments case-sensitively"),
        );
        let section = set.exact.get(found).copied().flatten();
        return Resolved::Article { article, section, fragment: Some(found.to_string()) };
    }
    let mut d = Diagnostic::new(
        Code::MissingAnchor,
        ctx.span,
        format!("`{}` has no anchor `#{fragment}`", target.rel_path),
    )
    .with_label("no such anchor");
    if let Some(best) = suggest(fragment, set.exact.keys().copied()) {
        d = d.with_help(format!("a similar anchor exists: `#{best}`"));
    }
    diags.push(d);
    Resolved::Broken
}

/// Fragments and anchors longer than this (in characters) get no suggestion: nobody mistypes a
/// 100,000-character anchor by one letter, and comparing such strings is where the time would go.
const MAX_SUGGEST_LEN: usize = 64;
/// A target with more anchors than this gets no suggestion (every missing anchor would compare
/// against all of them). Real articles have a few hundred at most.
const MAX_SUGGEST_CANDIDATES: usize = 2_000;

/// The closest anchor by edit distance (at most a third of the fragment's length, and at most 3).
/// Bounded work: long strings and very many candidates give no suggestion.
pub fn suggest<'a>(wanted: &str, candidates: impl ExactSizeIterator<Item = &'a str>) -> Option<&'a str> {
    if candidates.len() > MAX_SUGGEST_CANDIDATES || wanted.len() > 4 * MAX_SUGGEST_LEN {
        return None;
    }
    let wanted: Vec<char> = wanted.to_lowercase().chars().collect();
    if wanted.len() > MAX_SUGGEST_LEN {
        return None;
    }
    let limit = (wanted.len() / 3).clamp(1, 3);
    candidates
        .filter(|c| c.len() <= 4 * (MAX_SUGGEST_LEN + 3))
        .filter_map(|c| {
            let lower: Vec<char> = c.to_lowercase().chars().collect();
            distance_within(&wanted, &lower, limit).map(|d| (d, c))
        })
        .min()
        .map(|(_, c)| c)
}

/// Edit distance counting a swap of two neighbours as one edit (optimal string alignment), since
/// transposed letters are the commonest typo in hand-written anchors. `None` when it is over
/// `limit`; only cells within `limit` of the diagonal are computed, so the cost is O(len × limit).
fn distance_within(a: &[char], b: &[char], limit: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let over = limit + 1;
    let width = b.len() + 1;
    let mut d = vec![over; (a.len() + 1) * width];
    for (j, cell) in d.iter_mut().enumerate().take(width.min(limit + 1)) {
        *cell = j;
    }
    for i in 1..=a.len() {
        let mut row_min = over;
        if i <= limit {
            d[i * width] = i;
            row_min = i;
        }
        for j in i.saturating_sub(limit).max(1)..=(i + limit).min(b.len()) {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            let best = best.min(over);
            d[i * width + j] = best;
            row_min = row_min.min(best);
        }
        if row_min > limit {
            return None;
        }
    }
    let distance = d[a.len() * width + b.len()];
    (distance <= limit).then_some(distance)
}

fn outside_root(ctx: &LinkCtx<'_>) -> Diagnostic {
    let what = if is_image(ctx.role) { "image" } else { "link" };
    Diagnostic::new(
        Code::LinkOutsideRoot,
        ctx.span,
        format!("{what} `{}` points outside the content root", ctx.dest),
    )
    .with_label("outside the content root")
    .with_note("kbc never reads files outside the content root")
}

fn missing(ctx: &LinkCtx<'_>, joined: &str) -> Diagnostic {
    let (code, what) =
        if is_image(ctx.role) { (Code::MissingImage, "image") } else { (Code::MissingFile, "file") };
    Diagnostic::new(code, ctx.span, format!("{what} `{joined}` does not exist"))
        .with_label(format!("no such {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distance(a: &str, b: &str, limit: usize) -> Option<usize> {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        distance_within(&a, &b, limit)
    }

    #[test]
    fn suggestions_by_edit_distance() {
        let anchors = ["__add_a_firewall", "__update_dns_service", "__top"];
        assert_eq!(suggest("__add_a_firewal", anchors.iter().copied()), Some("__add_a_firewall"));
        assert_eq!(suggest("__tpo", anchors.iter().copied()), Some("__top"));
        assert_eq!(suggest("completely-else", anchors.iter().copied()), None);
        assert_eq!(distance("kitten", "sitting", 3), Some(3));
        assert_eq!(distance("kitten", "sitting", 2), None);
        assert_eq!(distance("ab", "ba", 1), Some(1));
        assert_eq!(distance("abc", "abc", 1), Some(0));
        assert_eq!(distance("", "ab", 3), Some(2));
        assert_eq!(distance("安装步骤", "安裝步骤", 1), Some(1));
    }

    #[test]
    fn the_banded_distance_agrees_with_the_full_one() {
        fn full(a: &[char], b: &[char]) -> usize {
            let width = b.len() + 1;
            let mut d = vec![0usize; (a.len() + 1) * width];
            for i in 0..=a.len() {
                d[i * width] = i;
            }
            for (j, cell) in d.iter_mut().enumerate().take(width) {
                *cell = j;
            }
            for i in 1..=a.len() {
                for j in 1..=b.len() {
                    let cost = usize::from(a[i - 1] != b[j - 1]);
                    let mut best = (d[(i - 1) * width + j] + 1)
                        .min(d[i * width + j - 1] + 1)
                        .min(d[(i - 1) * width + j - 1] + cost);
                    if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                        best = best.min(d[(i - 2) * width + j - 2] + 1);
                    }
                    d[i * width + j] = best;
                }
            }
            d[a.len() * width + b.len()]
        }
        let words =
            ["", "a", "ab", "ba", "abc", "acb", "bca", "install", "instal", "isntall", "uninstall", "x-y-z"];
        for a in words {
            for b in words {
                let (ac, bc): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                let want = full(&ac, &bc);
                for limit in 1..=3 {
                    let expected = (want <= limit).then_some(want);
                    assert_eq!(distance_within(&ac, &bc, limit), expected, "{a:?} {b:?} {limit}");
                }
            }
        }
    }

    #[test]
    fn suggestions_are_bounded() {
        // A 100,000-character fragment against a 100,000-character anchor once asked for an 80 GB matrix.
        let long_a = "a".repeat(100_000);
        let long_b = "b".repeat(100_000);
        assert_eq!(suggest(&long_b, [long_a.as_str()].into_iter()), None);
        let many: Vec<String> = (0..MAX_SUGGEST_CANDIDATES + 1).map(|i| format!("h{i}")).collect();
        assert_eq!(suggest("h1x", many.iter().map(String::as_str)), None);
        assert_eq!(suggest("h1x", many[..10].iter().map(String::as_str)), Some("h1"));
    }
}
