//! Client-side search with pagefind: an index split into small shards, loaded lazily by the
//! browser, with Chinese and Japanese word segmentation at build time (ICU4X dictionaries, which agree
//! with the browser's `Intl.Segmenter` that segments the query).
//!
//! Pagefind reads a small synthetic document per article (its `lang`, title and rendered body), so
//! the index does not depend on the theme's markup. Anchors in the body (section headings, and
//! troubleshooting rows with `data-pagefind-title`) become sub-results that link to `page#anchor`.

use crate::render::RenderError;

/// One page to index.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct SearchDoc {
    /// Relative to the site root, encoded: `Skype/x.html`.
    pub url: String,
    pub lang: String,
    pub title: String,
    /// The article body as rendered.
    pub body: String,
}

/// Pages per index when `search-shards` is not set: a smaller site keeps one index.
const PAGES_PER_SHARD: usize = 500;
/// The most indexes a site gets when `search-shards` is not set. Each one after the first costs a
/// reader a small download (its entry file, WebAssembly and metadata) on the first search; two
/// already halve the time the index takes to build.
const AUTO_SHARDS: usize = 2;

/// How many indexes `pages` pages are split into: `search-shards` when set, else one per
/// [`PAGES_PER_SHARD`] pages up to [`AUTO_SHARDS`]; never more than there are pages. A function
/// of the input alone, so the output does not depend on the machine.
pub fn shard_count(pages: usize, configured: Option<u32>) -> usize {
    let wanted = match configured {
        Some(n) => n as usize,
        None => pages.div_ceil(PAGES_PER_SHARD).min(AUTO_SHARDS),
    };
    wanted.clamp(1, pages.max(1))
}

/// The folder of index `i` under [`crate::render::urls::SEARCH_DIR`]: the first is the folder
/// itself (where pagefind's script is loaded from), the others are merged into it by the browser.
pub fn shard_dir(i: usize) -> String {
    if i == 0 { String::new() } else { format!("{i}/") }
}

/// `docs` cut into `shards` runs of consecutive pages whose sizes differ by at most one.
fn split_docs(mut docs: Vec<SearchDoc>, shards: usize) -> Vec<Vec<SearchDoc>> {
    let shards = shards.clamp(1, docs.len().max(1));
    let (base, extra) = (docs.len() / shards, docs.len() % shards);
    let mut out = Vec::with_capacity(shards);
    for i in (0..shards).rev() {
        let len = base + usize::from(i < extra);
        out.push(docs.split_off(docs.len() - len));
    }
    out.reverse();
    out
}

/// Index files: (path under the index folder, bytes).
pub type Files = Vec<(String, Vec<u8>)>;

/// Pagefind's own UI bundles: kbc has its own small search UI, so these are not written.
#[cfg(feature = "search")]
const SKIPPED: &[&str] =
    &["pagefind-ui", "pagefind-modular-ui", "pagefind-component-ui", "pagefind-highlight"];

/// Builds the index, split into `shards` indexes of consecutive pages built in parallel (pagefind
/// reads one page at a time into an index) by `index(i, pages)`: [`build_index`], or a previous
/// build's index of the same pages; returns the files to write under
/// [`crate::render::urls::SEARCH_DIR`], each index in its [`shard_dir`].
pub fn build(
    (docs, shards): (Vec<SearchDoc>, usize),
    index: &(dyn Fn(usize, Vec<SearchDoc>) -> Result<Files, RenderError> + Sync),
) -> Result<Files, RenderError> {
    let parts = split_docs(docs, shards);
    let built: Vec<Result<Files, RenderError>> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            parts.into_iter().enumerate().map(|(i, part)| scope.spawn(move || index(i, part))).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(RenderError {
                        path: std::path::PathBuf::from(crate::render::urls::SEARCH_DIR),
                        message: "the search indexer panicked".into(),
                    })
                })
            })
            .collect()
    });
    let mut out = Vec::new();
    for (i, files) in built.into_iter().enumerate() {
        out.extend(files?.into_iter().map(|(name, bytes)| (format!("{}{name}", shard_dir(i)), bytes)));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// One pagefind index of `docs`, in their order. `stop` is asked before each page: pagefind takes
/// milliseconds a page, a large book minutes.
#[cfg(feature = "search")]
pub fn build_index(docs: Vec<SearchDoc>, stop: &(dyn Fn() -> bool + Sync)) -> Result<Files, RenderError> {
    use pagefind::api::PagefindIndex;
    use pagefind::options::PagefindServiceConfig;
    let err = |m: String| RenderError {
        path: std::path::PathBuf::from(crate::render::urls::SEARCH_DIR),
        message: m,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| err(format!("cannot start the search indexer: {e}")))?;
    runtime.block_on(async move {
        let options = PagefindServiceConfig::builder().keep_index_url(true).build();
        let mut index = PagefindIndex::new(Some(options)).map_err(|e| err(e.to_string()))?;
        // One at a time, in article order: the index is the same whatever the thread count.
        for doc in docs {
            if stop() {
                return Err(RenderError::interrupted());
            }
            let html = format!(
                "<!DOCTYPE html><html lang=\"{}\"><head><title>{}</title></head><body><main data-pagefind-body>{}</main></body></html>",
                super::sanitize::escape(&doc.lang),
                super::sanitize::escape(&doc.title),
                doc.body
            );
            index
                .add_html_file(None, Some(format!("/{}", doc.url)), html)
                .await
                .map_err(|e| err(format!("cannot index `{}`: {e}", doc.url)))?;
        }
        let files = index.get_files().await.map_err(|e| err(e.to_string()))?;
        let mut out = Vec::with_capacity(files.len());
        for f in files {
            let name = crate::source::slash_path(&f.filename);
            // Paths come back under pagefind's default bundle folder.
            let name = name.strip_prefix("pagefind/").unwrap_or(&name).to_string();
            if SKIPPED.iter().any(|s| name.starts_with(s)) || name.starts_with("playground/") {
                continue;
            }
            out.push((name, f.contents));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    })
}

/// Without the `search` feature there is no index; pages leave the search box out.
#[cfg(not(feature = "search"))]
pub fn build_index(_docs: Vec<SearchDoc>, _stop: &(dyn Fn() -> bool + Sync)) -> Result<Files, RenderError> {
    Ok(Vec::new())
}

/// Whether this build of kbc can write a search index.
pub const AVAILABLE: bool = cfg!(feature = "search");

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(n: usize) -> Vec<SearchDoc> {
        (0..n)
            .map(|i| SearchDoc {
                url: format!("{i}.html"),
                lang: "en".into(),
                title: String::new(),
                body: String::new(),
            })
            .collect()
    }

    #[test]
    fn shards_follow_the_page_count_or_the_setting() {
        assert_eq!(shard_count(0, None), 1);
        assert_eq!(shard_count(1, None), 1);
        assert_eq!(shard_count(500, None), 1);
        assert_eq!(shard_count(501, None), 2);
        assert_eq!(shard_count(50_000, None), 2);
        assert_eq!(shard_count(50_000, Some(1)), 1);
        assert_eq!(shard_count(3, Some(4)), 3, "never more indexes than pages");
        assert_eq!(shard_dir(0), "");
        assert_eq!(shard_dir(2), "2/");
    }

    #[test]
    fn shards_are_consecutive_pages_of_near_equal_size() {
        for (n, shards) in [(10, 3), (2, 2), (7, 1), (0, 2), (5, 9)] {
            let parts = split_docs(docs(n), shards);
            let urls: Vec<String> = parts.iter().flatten().map(|d| d.url.clone()).collect();
            assert_eq!(urls, docs(n).into_iter().map(|d| d.url).collect::<Vec<_>>(), "order kept");
            let sizes: Vec<usize> = parts.iter().map(Vec::len).collect();
            let (min, max) = (sizes.iter().min().copied(), sizes.iter().max().copied());
            assert!(max.zip(min).is_some_and(|(a, b)| a - b <= 1), "{n} in {shards}: {sizes:?}");
        }
    }
}
