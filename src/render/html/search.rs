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

/// Pagefind's own UI bundles: kbc has its own small search UI, so these are not written.
#[cfg(feature = "search")]
const SKIPPED: &[&str] =
    &["pagefind-ui", "pagefind-modular-ui", "pagefind-component-ui", "pagefind-highlight"];

/// Builds the index; returns the files to write under [`crate::render::urls::SEARCH_DIR`].
#[cfg(feature = "search")]
pub fn build(docs: Vec<SearchDoc>) -> Result<Vec<(String, Vec<u8>)>, RenderError> {
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
pub fn build(_docs: Vec<SearchDoc>) -> Result<Vec<(String, Vec<u8>)>, RenderError> {
    Ok(Vec::new())
}

/// Whether this build of kbc can write a search index.
pub const AVAILABLE: bool = cfg!(feature = "search");
