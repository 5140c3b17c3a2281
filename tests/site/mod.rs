//! Helpers for the HTML site tests: build a site into a folder, and crawl it with no browser.
#![allow(dead_code)]

use kbc::Book;
use kbc::parse::html::tags;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Renders the HTML site of `book` into `out` (a fresh folder).
pub fn write_site(book: &Book, out: &Path) -> kbc::render::html::Stats {
    std::fs::create_dir_all(out).expect("out dir");
    kbc::render::html::write(book, out).unwrap_or_else(|e| panic!("html build failed: {e}"))
}

/// `target/test-output/<name>`, emptied.
pub fn test_output(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-output").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("test-output dir");
    dir
}

/// What a crawl found.
#[derive(Debug, Default)]
pub struct Crawl {
    pub pages: usize,
    /// Internal `href`/`src` values checked (each one resolved to a built file).
    pub links: usize,
    /// `#fragment`s checked against the target page's ids.
    pub fragments: usize,
    pub external: usize,
    /// Links kbc marked `kbc-unresolved` (the checker reports them): not followed.
    pub unresolved: usize,
    /// Links to outputs other renderers write (Markdown twins, checklists) that are not there yet.
    pub pending: BTreeMap<String, usize>,
    /// Pages with an id written twice.
    pub duplicate_ids: Vec<String>,
    pub failures: Vec<String>,
}

/// A page's tags and ids.
struct Page {
    ids: HashSet<String>,
}

fn percent_decode(s: &str) -> String {
    kbc::parse::link::percent_decode(s)
}

/// Joins a relative URL path onto the folder of `from` (site paths), resolving `.` and `..`.
/// `None` when it climbs out of the site.
fn join(from: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

fn is_external(url: &str) -> bool {
    url.starts_with("//")
        || url.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                && !scheme.contains('/')
        })
}

/// Every `.html` file under `root` (site paths), except the search bundle.
fn html_files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(root).sort_by_file_name() {
        let e = e.expect("walk");
        if !e.file_type().is_file() || e.path().extension().is_none_or(|x| x != "html") {
            continue;
        }
        let rel = e.path().strip_prefix(root).expect("prefix");
        let rel = kbc::source::slash_path(rel);
        if rel.starts_with("_kbc/search/") {
            continue;
        }
        out.push(rel);
    }
    out
}

/// Crawls a built site: every `href`/`src` of every page (and every entry of the navigation data)
/// must name a built file, and every `#fragment` an id of the target page. External links and
/// links kbc marked unresolved are counted, not followed.
pub fn crawl(root: &Path) -> Crawl {
    let mut c = Crawl::default();
    let files = html_files(root);
    let mut pages: HashMap<String, Page> = HashMap::new();
    let mut texts: Vec<(String, String)> = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(root.join(f)).expect("read page");
        let mut ids = HashSet::new();
        let mut dup = Vec::new();
        for t in tags(&text) {
            if t.closing {
                continue;
            }
            if let Some(id) = t.attr("id").and_then(|a| a.value.clone())
                && !ids.insert(id.clone())
            {
                dup.push(id);
            }
        }
        if !dup.is_empty() {
            c.duplicate_ids.push(format!("{f}: {dup:?}"));
        }
        pages.insert(f.clone(), Page { ids });
        texts.push((f.clone(), text));
    }
    c.pages = files.len();
    for (f, text) in &texts {
        let mut base: Option<String> = None;
        for t in tags(text) {
            if t.closing {
                continue;
            }
            if t.name == "base" {
                base = t.attr("href").and_then(|a| a.value.clone());
                continue;
            }
            let class = t.attr("class").and_then(|a| a.value.clone()).unwrap_or_default();
            if class.split_whitespace().any(|c| c == "kbc-unresolved") {
                c.unresolved += 1;
                continue;
            }
            let attr = match t.name.as_str() {
                "a" | "link" | "area" => "href",
                "img" | "script" | "iframe" | "source" | "video" | "audio" => "src",
                _ => continue,
            };
            let Some(url) = t.attr(attr).and_then(|a| a.value.clone()) else { continue };
            if is_external(&url) {
                // A `<base href>` page (404 with site-url) links through the site URL.
                match &base {
                    Some(b) if url.starts_with(b.as_str()) => {
                        let rest = &url[b.len()..];
                        check(&mut c, &pages, root, "", rest, &t, f);
                    }
                    _ => c.external += 1,
                }
                continue;
            }
            let from = if base.is_some() { "" } else { f.as_str() };
            check(&mut c, &pages, root, from, &url, &t, f);
        }
    }
    // The navigation data: site-root paths.
    let nav = root.join("_kbc/nav.js");
    if let Ok(js) = std::fs::read_to_string(&nav) {
        let json = js
            .trim()
            .strip_prefix("window.KBC_NAV=")
            .and_then(|s| s.strip_suffix(';'))
            .expect("nav.js shape");
        let data: serde_json::Value = serde_json::from_str(json).expect("nav.js json");
        fn walk(v: &serde_json::Value, out: &mut Vec<(String, bool)>) {
            for n in v.as_array().into_iter().flatten() {
                if let Some(u) = n.get("u").and_then(|u| u.as_str()) {
                    out.push((u.to_string(), n.get("x").is_some()));
                }
                walk(n.get("c").unwrap_or(&serde_json::Value::Null), out);
            }
        }
        let mut urls = Vec::new();
        walk(&data, &mut urls);
        let dummy = kbc::parse::html::tags("<a>").remove(0);
        for (u, external) in urls {
            if external {
                c.external += 1;
            } else {
                check(&mut c, &pages, root, "index.html", &u, &dummy, "_kbc/nav.js");
            }
        }
    }
    c
}

fn check(
    c: &mut Crawl,
    pages: &HashMap<String, Page>,
    root: &Path,
    from: &str,
    url: &str,
    tag: &kbc::parse::html::Tag,
    page: &str,
) {
    let (path, fragment) = match url.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (url, None),
    };
    let path = path.split('?').next().unwrap_or("");
    let target = if path.is_empty() {
        Some(from.to_string())
    } else {
        join(if from.is_empty() { "index.html" } else { from }, &percent_decode(path))
    };
    let Some(mut target) = target else {
        c.failures.push(format!("{page}: `{url}` leaves the site"));
        return;
    };
    let disk = root.join(&target);
    if disk.is_dir() {
        target = format!("{}/index.html", target.trim_end_matches('/'));
    }
    c.links += 1;
    if !root.join(&target).is_file() {
        let rel = tag.attr("rel").and_then(|a| a.value.clone()).unwrap_or_default();
        let kind = tag.attr("type").and_then(|a| a.value.clone()).unwrap_or_default();
        if rel == "alternate" && kind == "text/markdown" {
            *c.pending.entry("markdown twin".into()).or_default() += 1;
        } else if target.starts_with("checklists/") {
            *c.pending.entry("checklist".into()).or_default() += 1;
        } else {
            c.failures.push(format!("{page}: `{url}` → `{target}` does not exist"));
        }
        return;
    }
    if let Some(f) = fragment.filter(|f| !f.is_empty()) {
        c.fragments += 1;
        let f = percent_decode(f);
        match pages.get(&target) {
            Some(p) if p.ids.contains(&f) => {}
            Some(_) => c.failures.push(format!("{page}: `{url}`: `{target}` has no id `{f}`")),
            None => c.failures.push(format!("{page}: `{url}`: `{target}` is not a page")),
        }
    }
}

/// The ids of one page.
pub fn page_ids(html: &str) -> Vec<String> {
    tags(html)
        .into_iter()
        .filter(|t| !t.closing)
        .filter_map(|t| t.attr("id").and_then(|a| a.value.clone()))
        .collect()
}

/// Total size of the files under `dir`, in bytes.
pub fn dir_size(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

/// gzip size at the default level.
pub fn gzip_len(bytes: &[u8]) -> usize {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).expect("gzip");
    gz.finish().expect("gzip").len()
}
