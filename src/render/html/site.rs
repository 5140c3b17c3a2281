//! The site's navigation: one tree from the DocFX `TOC.md`/`toc.yml` files (nested TOCs followed),
//! articles no TOC reaches grouped by folder, and each article's place in it (breadcrumbs, the
//! entries around it, previous and next).
//!
//! **Invariant:** a page carries only its own branch (breadcrumbs and at most [`SIBLINGS_AROUND`]
//! entries on each side); the whole tree ships once, in [`urls::NAV_DATA`], so the site stays linear
//! in the number of articles.

use crate::Book;
use crate::model::ArticleId;
use crate::nav::NavItem;
use crate::render::urls;
use crate::resolve::Resolved;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// How many entries on each side of the current one a page lists without JavaScript.
pub const SIBLINGS_AROUND: usize = 12;

/// One entry of the site navigation.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub title: String,
    /// Relative to the site root, encoded, with a `#fragment` when the TOC had one.
    pub path: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    #[serde(skip)]
    pub article: Option<ArticleId>,
    #[serde(skip)]
    pub fragment: bool,
    pub children: Vec<Node>,
}

/// Where an article sits in the navigation.
#[derive(Debug, Clone, Default)]
pub struct Place {
    /// Ancestors, outermost first.
    pub trail: Vec<(String, Option<String>)>,
    /// The entries beside it (its parent's children), windowed; `true` marks the article itself.
    pub siblings: Vec<(String, Option<String>, bool)>,
    /// Whether entries were left out of `siblings` before / after the window.
    pub more_before: bool,
    pub more_after: bool,
    /// The article's own sub-entries.
    pub children: Vec<(String, Option<String>)>,
    pub prev: Option<ArticleId>,
    pub next: Option<ArticleId>,
}

/// The navigation of the whole site.
pub struct SiteNav {
    pub roots: Vec<Node>,
    /// Where each article's [`Place`] is: its entries are drawn from `roots` when its page is
    /// rendered (held for every article, the places were a fifth of a large build's memory).
    spots: Vec<Option<Spot>>,
}

/// An article's entry in the navigation: child indices from the roots, and its neighbours in
/// reading order.
#[derive(Debug, Clone)]
struct Spot {
    path: Vec<usize>,
    prev: Option<ArticleId>,
    next: Option<ArticleId>,
}

impl SiteNav {
    pub fn build(book: &Book, other_articles: &str) -> SiteNav {
        let mut builder = Builder { book, used: HashSet::new(), nav_by_path: HashMap::new() };
        for (i, nav) in book.navs.iter().enumerate() {
            builder.nav_by_path.insert(book.content.sources.get(nav.file).rel_path.as_str(), i);
        }
        let referenced = builder.referenced_navs();
        let mut roots = Vec::new();
        for (i, nav) in book.navs.iter().enumerate() {
            if referenced.contains(&i) || !builder.links_an_article(i) {
                continue;
            }
            builder.used.insert(i);
            let items = builder.items(i);
            let rel = &book.content.sources.get(nav.file).rel_path;
            let folder = rel.rsplit_once('/').map_or("", |(d, _)| d);
            // A TOC with a single unlinked top entry is that entry.
            let group = match <[Node; 1]>::try_from(items) {
                Ok([only]) if only.path.is_none() => only,
                Ok([only]) => group_node(folder, book, vec![only]),
                Err(items) => group_node(folder, book, items),
            };
            roots.push(group);
        }
        // Articles no TOC reaches, by folder.
        let mut reached = vec![false; book.articles.len()];
        fn mark(nodes: &[Node], reached: &mut [bool]) {
            for n in nodes {
                if let Some(a) = n.article {
                    reached[a.0 as usize] = true;
                }
                mark(&n.children, reached);
            }
        }
        mark(&roots, &mut reached);
        let rest: Vec<ArticleId> =
            (0..book.articles.len()).filter(|&i| !reached[i]).map(|i| ArticleId(i as u32)).collect();
        if !rest.is_empty() {
            let tree = folder_tree(book, &rest);
            if roots.is_empty() {
                roots = tree;
            } else {
                roots.push(Node {
                    title: other_articles.to_string(),
                    path: None,
                    external: false,
                    article: None,
                    fragment: false,
                    children: tree,
                });
            }
        }
        let spots = spots(book.articles.len(), &roots);
        SiteNav { roots, spots }
    }

    /// The navigation data file: `window.KBC_NAV = [...]`, entries as `{t, u, x, c}`.
    pub fn script(&self) -> String {
        #[derive(Serialize)]
        struct Compact<'a> {
            t: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            u: Option<&'a str>,
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            x: bool,
            #[serde(skip_serializing_if = "Vec::is_empty")]
            c: Vec<Compact<'a>>,
        }
        fn compact(n: &Node) -> Compact<'_> {
            Compact {
                t: &n.title,
                u: n.path.as_deref(),
                x: n.external,
                c: n.children.iter().map(compact).collect(),
            }
        }
        let data: Vec<Compact> = self.roots.iter().map(compact).collect();
        let json = serde_json::to_string(&data).unwrap_or_else(|_| "[]".into());
        format!("window.KBC_NAV={};\n", json.replace('<', "\\u003c"))
    }
}

fn group_node(folder: &str, book: &Book, children: Vec<Node>) -> Node {
    let title = match folder.rsplit('/').next().filter(|f| !f.is_empty()) {
        Some(f) => f.to_string(),
        None => book.config.book.title.clone().unwrap_or_else(|| "Articles".into()),
    };
    Node { title, path: None, external: false, article: None, fragment: false, children }
}

struct Builder<'a> {
    book: &'a Book,
    /// Navigation files already placed (a TOC is never expanded twice, so cycles end).
    used: HashSet<usize>,
    nav_by_path: HashMap<&'a str, usize>,
}

impl Builder<'_> {
    /// Navigation files that another one links to (DocFX nested TOCs).
    fn referenced_navs(&self) -> HashSet<usize> {
        let mut out = HashSet::new();
        for (i, resolved) in self.book.resolution.nav_links.iter().enumerate() {
            for r in resolved {
                if let Resolved::File { path } = r
                    && let Some(&j) = self.nav_target(path)
                    && j != i
                {
                    out.insert(j);
                }
            }
        }
        out
    }

    fn nav_target(&self, path: &str) -> Option<&usize> {
        self.nav_by_path.get(path).or_else(|| {
            ["TOC.md", "toc.md", "toc.yml", "toc.yaml"]
                .iter()
                .find_map(|n| self.nav_by_path.get(format!("{path}/{n}").trim_start_matches('/')))
        })
    }

    fn links_an_article(&self, nav: usize) -> bool {
        self.book
            .resolution
            .nav_links
            .get(nav)
            .is_some_and(|r| r.iter().any(|r| matches!(r, Resolved::Article { .. })))
    }

    fn items(&mut self, nav: usize) -> Vec<Node> {
        let book = self.book;
        let resolved = book.resolution.nav_links.get(nav).map_or(&[][..], Vec::as_slice);
        let mut counter = 0;
        self.convert(&book.navs[nav].items, resolved, &mut counter)
    }

    fn convert(&mut self, items: &[NavItem], resolved: &[Resolved], counter: &mut usize) -> Vec<Node> {
        let book = self.book;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let mut node = Node {
                title: item.title.clone(),
                path: None,
                external: false,
                article: None,
                fragment: false,
                children: vec![],
            };
            let mut nested = Vec::new();
            if item.href.is_some() {
                let r = resolved.get(*counter);
                *counter += 1;
                match r {
                    Some(r @ Resolved::Article { article, fragment, .. }) => {
                        node.path = urls::resolved_path(book, r, "html");
                        node.article = Some(*article);
                        node.fragment = fragment.is_some();
                        if node.title.trim().is_empty() {
                            node.title = book.articles[article.0 as usize].title.clone();
                        }
                    }
                    Some(Resolved::File { path }) => match self.nav_target(path).copied() {
                        Some(j) if !self.used.contains(&j) => {
                            self.used.insert(j);
                            nested = self.items(j);
                        }
                        Some(_) => {}
                        None => node.path = Some(urls::encode(path)),
                    },
                    Some(Resolved::External { url }) => {
                        node.path = Some(url.clone());
                        node.external = true;
                    }
                    _ => {}
                }
            }
            node.children = self.convert(&item.children, resolved, counter);
            node.children.extend(nested);
            if node.title.trim().is_empty() && node.path.is_none() {
                // Nothing to show: lift the children.
                out.append(&mut node.children);
                continue;
            }
            out.push(node);
        }
        out
    }
}

/// Articles as a folder tree: folders first (titled by name, linked to their `index.md`), then articles.
fn folder_tree(book: &Book, articles: &[ArticleId]) -> Vec<Node> {
    #[derive(Default)]
    struct Dir {
        dirs: BTreeMap<String, Dir>,
        files: Vec<ArticleId>,
    }
    let mut root = Dir::default();
    for &a in articles {
        let rel = &book.articles[a.0 as usize].rel_path;
        let mut parts: Vec<&str> = rel.split('/').collect();
        parts.pop();
        let mut dir = &mut root;
        for p in parts {
            dir = dir.dirs.entry(p.to_string()).or_default();
        }
        dir.files.push(a);
    }
    fn to_nodes(book: &Book, dir: Dir) -> Vec<Node> {
        let mut out = Vec::new();
        for (name, sub) in dir.dirs {
            let mut children = to_nodes(book, sub);
            // The folder's index article links the folder itself.
            let index = children.iter().position(|n| {
                n.article.is_some_and(|a| {
                    let rel = &book.articles[a.0 as usize].rel_path;
                    rel.rsplit('/').next().is_some_and(|f| f.eq_ignore_ascii_case("index.md"))
                })
            });
            let (path, article) = match index {
                Some(i) => {
                    let n = children.remove(i);
                    (n.path, n.article)
                }
                None => (None, None),
            };
            out.push(Node { title: name, path, external: false, article, fragment: false, children });
        }
        for a in dir.files {
            let article = &book.articles[a.0 as usize];
            out.push(Node {
                title: article.title.clone(),
                path: Some(urls::encode(&urls::page_path(article, "html"))),
                external: false,
                article: Some(a),
                fragment: false,
                children: vec![],
            });
        }
        out
    }
    to_nodes(book, root)
}

impl SiteNav {
    /// Where article `id` sits in the navigation (a default place when no entry links to it).
    pub fn place(&self, id: ArticleId) -> Place {
        let Some(Some(spot)) = self.spots.get(id.0 as usize) else { return Place::default() };
        let Some((&me, ancestors)) = spot.path.split_last() else { return Place::default() };
        let mut place = Place { prev: spot.prev, next: spot.next, ..Place::default() };
        let mut level = &self.roots[..];
        for &i in ancestors {
            let n = &level[i];
            place.trail.push((n.title.clone(), n.path.clone()));
            level = &n.children;
        }
        let lo = me.saturating_sub(SIBLINGS_AROUND);
        let hi = (me + SIBLINGS_AROUND + 1).min(level.len());
        place.more_before = lo > 0;
        place.more_after = hi < level.len();
        for (i, n) in level.iter().enumerate().take(hi).skip(lo) {
            place.siblings.push((n.title.clone(), n.path.clone(), i == me));
        }
        place.children = level[me]
            .children
            .iter()
            .take(2 * SIBLINGS_AROUND)
            .map(|n| (n.title.clone(), n.path.clone()))
            .collect();
        place
    }
}

/// Each article's spot: the first entry that links to it without a fragment, else the first with
/// one.
fn spots(count: usize, roots: &[Node]) -> Vec<Option<Spot>> {
    // (article, path of child indices) in preorder.
    let mut order: Vec<(ArticleId, Vec<usize>, bool)> = Vec::new();
    fn walk(nodes: &[Node], path: &mut Vec<usize>, out: &mut Vec<(ArticleId, Vec<usize>, bool)>) {
        for (i, n) in nodes.iter().enumerate() {
            path.push(i);
            if let Some(a) = n.article {
                out.push((a, path.clone(), n.fragment));
            }
            walk(&n.children, path, out);
            path.pop();
        }
    }
    walk(roots, &mut Vec::new(), &mut order);
    let mut best: Vec<Option<(usize, bool)>> = vec![None; count];
    for (k, (a, _, fragment)) in order.iter().enumerate() {
        let slot = &mut best[a.0 as usize];
        match slot {
            None => *slot = Some((k, *fragment)),
            Some((_, true)) if !fragment => *slot = Some((k, false)),
            _ => {}
        }
    }
    // Reading order: articles in the order of their chosen entries.
    let mut sequence: Vec<(usize, ArticleId)> =
        best.iter().enumerate().filter_map(|(a, b)| b.map(|(k, _)| (k, ArticleId(a as u32)))).collect();
    sequence.sort();
    let mut spots = vec![None; count];
    for (pos, &(k, a)) in sequence.iter().enumerate() {
        spots[a.0 as usize] = Some(Spot {
            path: std::mem::take(&mut order[k].1),
            prev: pos.checked_sub(1).map(|p| sequence[p].1),
            next: sequence.get(pos + 1).map(|s| s.1),
        });
    }
    spots
}

/// Translations: articles sharing an `ms.assetid`, in other locales.
pub fn translations(book: &Book) -> Vec<Vec<ArticleId>> {
    let mut by_guid: BTreeMap<&str, Vec<ArticleId>> = BTreeMap::new();
    for (i, a) in book.articles.iter().enumerate() {
        if let Some(g) = &a.meta.assetid {
            by_guid.entry(g.as_str()).or_default().push(ArticleId(i as u32));
        }
    }
    let mut out = vec![Vec::new(); book.articles.len()];
    for ids in by_guid.values() {
        for &a in ids {
            let locale = &book.articles[a.0 as usize].locale;
            let mut seen = HashSet::from([locale.as_str()]);
            for &b in ids {
                let l = book.articles[b.0 as usize].locale.as_str();
                if b != a && seen.insert(l) {
                    out[a.0 as usize].push(b);
                }
            }
        }
    }
    out
}

/// Files that articles or the navigation link to or show and that are not articles (images,
/// downloads, linked Markdown fragments, a DocFX landing page's YAML): copied into the site at the
/// same relative path, so no link of the site is to nothing. Nested navigation files are not.
pub fn assets(book: &Book) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    let navigation: HashSet<&str> = book
        .content
        .files
        .iter()
        .filter(|(_, role)| *role == crate::load::Role::Navigation)
        .map(|&(f, _)| book.content.sources.get(f).rel_path.as_str())
        .collect();
    for resolved in book.resolution.nav_links.iter().flatten() {
        if let Resolved::File { path } = resolved
            && !navigation.contains(path.as_str())
            && !book.content.dirs.contains(path)
        {
            out.insert(path.as_str());
        }
    }
    for resolved in &book.resolution.links {
        for r in resolved {
            if let Resolved::File { path } = r
                && !book.content.dirs.contains(path)
            {
                out.insert(path.as_str());
            }
        }
    }
    out.into_iter().map(str::to_string).collect()
}
