//! `[build] low-memory`: a book that holds only outlines and parses each article again to render
//! it writes exactly what a book holding every article writes.

use crate::common;

use kbc::Book;
use kbc::config::{Config, LowMemory};
use kbc::diag::Diagnostic;
use std::collections::BTreeMap;
use std::path::Path;

/// Every file under `dir` (relative, sorted) with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("walk");
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(dir).expect("prefix").to_string_lossy().replace('\\', "/");
            out.insert(rel, std::fs::read(entry.path()).expect("read"));
        }
    }
    out
}

/// Builds `root` with `low_memory` as `kbc build` does, letting the book go before the search
/// index is built (the model dump on, so the re-parsed model is compared too; `shards` search
/// indexes, or none); returns the diagnostics, whether the book held outlines, and the output.
fn build(
    root: &Path,
    low_memory: LowMemory,
    shards: Option<u32>,
) -> (Vec<Diagnostic>, bool, tempfile::TempDir) {
    let mut config = Config::load(root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    config.build.low_memory = low_memory;
    config.output.model.enable = true;
    config.output.html.search &= shards.is_some();
    config.output.html.search_shards = shards;
    let book = Book::load(config).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    let lean = book.is_lean();
    if lean {
        // Outlines hold no content: the comparison of the outputs is of content parsed again.
        assert!(
            book.articles
                .iter()
                .all(|a| a.preamble.is_empty() && a.sections.iter().all(|s| s.blocks.is_empty()))
        );
    }
    let diagnostics = book.diagnostics.clone();
    let out = tempfile::tempdir().expect("tempdir");
    kbc::render::write_all_consuming(book, out.path(), &kbc::render::NoMemo)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    (diagnostics, lean, out)
}

#[test]
fn outlines_build_byte_for_byte_what_whole_articles_build() {
    let repo = common::repo_root();
    // The search index is made from the pages, which are compared: twice is enough, once split
    // (a low-memory build makes one index at a time, the other build two at once).
    let mut roots = vec![(repo.clone(), Some(1)), (repo.join("tests/fixtures/real"), Some(3))];
    roots.push((repo.join("tests/fixtures/diagnostics"), None));
    roots.extend(common::corpus_roots().into_iter().map(|r| (r, None)));
    for (root, shards) in roots {
        let (whole, whole_lean, whole_out) = build(&root, LowMemory::Off, shards);
        let (lean, lean_lean, lean_out) = build(&root, LowMemory::On, shards);
        assert!(!whole_lean && lean_lean, "{}", root.display());
        assert_eq!(whole, lean, "{}", root.display());
        let (a, b) = (tree(whole_out.path()), tree(lean_out.path()));
        assert!(a.keys().any(|k| k.starts_with("model/")), "{}: the model is dumped", root.display());
        if let Some(n) = shards.filter(|&n| n > 1) {
            let entry = |i: u32| format!("_kbc/search/{i}/pagefind-entry.json");
            assert!((1..n).all(|i| a.contains_key(&entry(i))), "{}: {n} indexes", root.display());
        }
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "{}", root.display());
        let differ: Vec<&String> = a.iter().filter(|(k, v)| b.get(*k) != Some(v)).map(|(k, _)| k).collect();
        assert!(
            differ.is_empty(),
            "{}: {} files differ, first {:?}",
            root.display(),
            differ.len(),
            &differ[..differ.len().min(5)]
        );
    }
}
