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

/// A site with up to this many pages keeps one index when `search-shards` is not set.
const PAGES_PER_SHARD: usize = 500;
/// Indexes a larger site gets when `search-shards` is not set: each one after the first costs a
/// reader a small download (its entry file, WebAssembly and metadata) on the first search; two
/// already halve the time the index takes to build.
const AUTO_SHARDS: usize = 2;
/// Beyond [`AUTO_SHARDS`] indexes of this many pages, one more index per this many pages: an
/// index is held in memory until written (pagefind's peak is about 200 KB a page, 0.7 GB at this
/// size), so a very large site's indexes stay this size, and a low-memory build of 50,000
/// articles stays under 1 GiB (16 indexes of 3,125 pages).
const PAGES_PER_LARGE_SHARD: usize = 3_000;

/// How many indexes `pages` pages are split into: `search-shards` when set; else one up to
/// [`PAGES_PER_SHARD`] pages, [`AUTO_SHARDS`] up to that many times [`PAGES_PER_LARGE_SHARD`],
/// then one per [`PAGES_PER_LARGE_SHARD`] pages up to the most `search-shards` allows; never
/// more than there are pages. A function of the input alone, so the output does not depend on
/// the machine.
pub fn shard_count(pages: usize, configured: Option<u32>) -> usize {
    let wanted = match configured {
        Some(n) => n as usize,
        None if pages <= PAGES_PER_SHARD => 1,
        None => pages
            .div_ceil(PAGES_PER_LARGE_SHARD)
            .clamp(AUTO_SHARDS, crate::config::MAX_SEARCH_SHARDS as usize),
    };
    wanted.clamp(1, pages.max(1))
}

/// The folder of index `i` under [`crate::render::urls::SEARCH_DIR`]: the first is the folder
/// itself (where pagefind's script is loaded from), the others are merged into it by the browser.
pub fn shard_dir(i: usize) -> String {
    if i == 0 { String::new() } else { format!("{i}/") }
}

/// The sizes of `shards` runs of consecutive pages out of `pages`, differing by at most one.
fn shard_sizes(pages: usize, shards: usize) -> Vec<usize> {
    let shards = shards.clamp(1, pages.max(1));
    let (base, extra) = (pages / shards, pages % shards);
    (0..shards).map(|i| base + usize::from(i < extra)).collect()
}

/// The pages to index, in page order, handed out a run at a time.
pub trait Docs: Send {
    /// How many pages are left.
    fn pages_left(&self) -> usize;
    /// The next `n` pages (fewer at the end).
    fn next_pages(&mut self, n: usize) -> Result<Vec<SearchDoc>, RenderError>;
}

/// What [`build`] indexes: the pages and how many indexes to split them into. A low-memory build
/// builds one index at a time and gives the memory of each back before the next.
pub struct Input<D> {
    pub docs: D,
    pub shards: usize,
    pub low_memory: bool,
}

/// Pages to index put aside on disk as they are rendered, one MessagePack record each (at 50,000
/// articles their bodies are hundreds of MB, held until the last index is built). The spool sits
/// hidden in the search folder and is removed when dropped.
pub struct DocSpool {
    spool: crate::render::Spool,
    count: usize,
}

impl DocSpool {
    pub fn create(out: &std::path::Path) -> Result<DocSpool, RenderError> {
        let rel = format!("{}/pages.msgpack", crate::render::urls::SEARCH_DIR);
        Ok(DocSpool { spool: crate::render::Spool::create(out, &rel)?, count: 0 })
    }

    pub fn push(&mut self, doc: &SearchDoc) -> Result<(), RenderError> {
        // MessagePack (self-delimiting): the bodies are HTML, which JSON would escape.
        let record = rmp_serde::to_vec(doc).map_err(|e| spool_error(e.to_string()))?;
        self.count += 1;
        self.spool.write(&record)
    }

    /// The pages pushed, to be read back in order.
    pub fn into_docs(self) -> Result<SpooledDocs, RenderError> {
        let reader = std::io::BufReader::new(self.spool.into_reader()?);
        Ok(SpooledDocs { reader, left: self.count })
    }
}

/// [`DocSpool`]'s pages, read back.
pub struct SpooledDocs {
    reader: std::io::BufReader<crate::render::SpoolReader>,
    left: usize,
}

impl Docs for SpooledDocs {
    fn pages_left(&self) -> usize {
        self.left
    }

    fn next_pages(&mut self, n: usize) -> Result<Vec<SearchDoc>, RenderError> {
        let n = n.min(self.left);
        let mut docs = Vec::with_capacity(n);
        for _ in 0..n {
            docs.push(rmp_serde::from_read(&mut self.reader).map_err(|e| spool_error(e.to_string()))?);
        }
        self.left -= n;
        Ok(docs)
    }
}

fn spool_error(message: String) -> RenderError {
    RenderError { path: std::path::PathBuf::from(crate::render::urls::SEARCH_DIR), message }
}

/// Index files: (path under the index folder, bytes).
pub use crate::render::Files;

/// Pagefind's own UI bundles: kbc has its own small search UI, so these are not written.
#[cfg(feature = "search")]
const SKIPPED: &[&str] =
    &["pagefind-ui", "pagefind-modular-ui", "pagefind-component-ui", "pagefind-highlight"];

/// Builds the index, split into `shards` indexes of consecutive pages (pagefind reads one page at
/// a time into an index) by `index(i, pages)`, which writes index `i` into its [`shard_dir`] (with
/// [`build_index`], or from a previous build's index of the same pages) and returns how many files
/// it wrote; returns the total. Indexes are built in parallel, at most one per thread of the
/// build at a time (one in a low-memory build): each holds its pages' index in memory until
/// written, so more indexes than threads bound the memory a large site's index takes
/// (`search-shards`).
pub fn build(
    Input { docs, shards, low_memory }: Input<impl Docs>,
    index: &(dyn Fn(usize, Vec<SearchDoc>) -> Result<usize, RenderError> + Sync),
) -> Result<usize, RenderError> {
    let sizes = shard_sizes(docs.pages_left(), shards);
    let count = sizes.len();
    // Each index's pages are read (in order) when a worker takes it, so only the indexes being
    // built hold theirs.
    let queue = std::sync::Mutex::new((docs, sizes.into_iter().enumerate()));
    let at_once = if low_memory { 1 } else { rayon::current_num_threads().max(2) };
    let workers = count.min(at_once);
    let results: Vec<Vec<(usize, Result<usize, RenderError>)>> = std::thread::scope(|scope| {
        let worker = || {
            let mut done = Vec::new();
            // Taken in order, so the first indexes (which a reader's search loads first) are
            // never left for last.
            loop {
                // The lock is released before the index is built.
                let next = {
                    let mut queue = queue.lock().unwrap_or_else(|e| e.into_inner());
                    let (docs, sizes) = &mut *queue;
                    sizes.next().map(|(i, n)| (i, docs.next_pages(n)))
                };
                let Some((i, part)) = next else { break };
                match part {
                    Ok(part) => {
                        done.push((i, index(i, part)));
                        if low_memory {
                            // Otherwise the next index starts on top of 100-200 MB of this one's
                            // freed pages.
                            crate::memory::release(|| {});
                        }
                    }
                    Err(e) => {
                        done.push((i, Err(e)));
                        break;
                    }
                }
            }
            done
        };
        let handles: Vec<_> = (0..workers).map(|_| scope.spawn(worker)).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    let error = RenderError {
                        path: std::path::PathBuf::from(crate::render::urls::SEARCH_DIR),
                        message: "the search indexer panicked".into(),
                    };
                    vec![(usize::MAX, Err(error))]
                })
            })
            .collect()
    });
    let mut results: Vec<(usize, Result<usize, RenderError>)> = results.into_iter().flatten().collect();
    // The first error in index order, whichever thread met it.
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).sum()
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

    /// Pages held in memory, as the tests give them.
    impl Docs for std::vec::IntoIter<SearchDoc> {
        fn pages_left(&self) -> usize {
            self.len()
        }

        fn next_pages(&mut self, n: usize) -> Result<Vec<SearchDoc>, RenderError> {
            Ok(self.by_ref().take(n).collect())
        }
    }

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
        assert_eq!(shard_count(6_000, None), 2);
        assert_eq!(shard_count(6_001, None), 3);
        assert_eq!(shard_count(10_000, None), 4);
        assert_eq!(shard_count(45_000, None), 15);
        assert_eq!(shard_count(50_000, None), 16);
        assert_eq!(shard_count(1_000_000, None), 16, "no more than `search-shards` allows");
        assert_eq!(shard_count(50_000, Some(1)), 1);
        assert_eq!(shard_count(3, Some(4)), 3, "never more indexes than pages");
        assert_eq!(shard_dir(0), "");
        assert_eq!(shard_dir(2), "2/");
    }

    #[test]
    fn shards_are_consecutive_pages_of_near_equal_size() {
        for (n, shards) in [(10, 3), (2, 2), (7, 1), (0, 2), (5, 9)] {
            let parts = std::sync::Mutex::new(Vec::new());
            build(Input { docs: docs(n).into_iter(), shards, low_memory: false }, &|i, pages| {
                parts.lock().unwrap().push((i, pages));
                Ok(0)
            })
            .unwrap();
            let mut parts = parts.into_inner().unwrap();
            parts.sort_by_key(|(i, _)| *i);
            let urls: Vec<String> = parts.iter().flat_map(|(_, p)| p).map(|d| d.url.clone()).collect();
            assert_eq!(urls, docs(n).into_iter().map(|d| d.url).collect::<Vec<_>>(), "order kept");
            let sizes: Vec<usize> = parts.iter().map(|(_, p)| p.len()).collect();
            let (min, max) = (sizes.iter().min().copied(), sizes.iter().max().copied());
            assert!(max.zip(min).is_some_and(|(a, b)| a - b <= 1), "{n} in {shards}: {sizes:?}");
        }
    }

    #[test]
    fn indexes_are_built_at_most_one_per_thread_and_errors_come_in_index_order() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let threads = rayon::current_num_threads().max(2);
        for (low_memory, allowed) in [(false, 2..=threads), (true, 1..=1)] {
            let (live, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
            let index = |i: usize, pages: Vec<SearchDoc>| {
                let now = live.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                live.fetch_sub(1, Ordering::SeqCst);
                match i {
                    5 | 7 => Err(RenderError { path: format!("{i}").into(), message: "failed".into() }),
                    _ => Ok(pages.len()),
                }
            };
            let shards = threads * 4;
            let result = build(Input { docs: docs(shards * 3).into_iter(), shards, low_memory }, &index);
            assert!(
                result.is_err_and(|e| e.path == std::path::Path::new("5")),
                "the first failed index is reported"
            );
            let most = most.load(Ordering::SeqCst);
            assert!(
                allowed.contains(&most),
                "{most} at once with {threads} threads, low memory {low_memory}"
            );
        }

        let input = Input { docs: docs(10).into_iter(), shards: 4, low_memory: false };
        let ok = build(input, &|_, pages| Ok(pages.len()));
        assert_eq!(ok.ok(), Some(10), "the files of every index are counted");
    }
}
