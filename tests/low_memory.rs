//! `[build] low-memory`: a book that holds only outlines and parses each article again to render
//! it writes exactly what a book holding every article writes.

use crate::common;

use kbc::Book;
use kbc::config::{Config, LowMemory};
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

/// Builds `root` with `low_memory` (the model dump on, so the re-parsed model is compared too).
fn build(root: &Path, low_memory: LowMemory, search: bool) -> (Book, tempfile::TempDir) {
    let mut config = Config::load(root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    config.build.low_memory = low_memory;
    config.output.model.enable = true;
    config.output.html.search &= search;
    let book = Book::load(config).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    let out = tempfile::tempdir().expect("tempdir");
    kbc::render::write_all(&book, out.path()).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    (book, out)
}

#[test]
fn outlines_build_byte_for_byte_what_whole_articles_build() {
    let repo = common::repo_root();
    let mut roots = vec![(repo.clone(), true), (repo.join("tests/fixtures/real"), false)];
    roots.push((repo.join("tests/fixtures/diagnostics"), false));
    // The search index is made from the pages, which are compared: once is enough.
    roots.extend(common::corpus_roots().into_iter().map(|r| (r, false)));
    for (root, search) in roots {
        let (whole, whole_out) = build(&root, LowMemory::Off, search);
        let (lean, lean_out) = build(&root, LowMemory::On, search);
        assert!(!whole.is_lean() && lean.is_lean(), "{}", root.display());
        assert_eq!(whole.diagnostics, lean.diagnostics, "{}", root.display());
        // Outlines hold no content: the comparison below is of content parsed again.
        assert!(
            lean.articles
                .iter()
                .all(|a| a.preamble.is_empty() && a.sections.iter().all(|s| s.blocks.is_empty()))
        );
        let (a, b) = (tree(whole_out.path()), tree(lean_out.path()));
        assert!(a.keys().any(|k| k.starts_with("model/")), "{}: the model is dumped", root.display());
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
