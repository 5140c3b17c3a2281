//! Shared helpers for the integration tests.
#![allow(dead_code)]

use kbc::Book;
use kbc::config::Config;
use std::path::{Path, PathBuf};

/// `shared/` beside the repository root (CI lays it there; so does the development checkout).
pub fn shared() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    assert!(
        p.is_dir(),
        "`{}` is missing: the tests need the shared corpus beside the repository",
        p.display()
    );
    p
}

/// The roots of the dev corpus: each folder directly under `shared/corpus/dev` is a knowledge base.
pub fn corpus_roots() -> Vec<PathBuf> {
    let dev = shared().join("corpus/dev");
    let mut roots: Vec<PathBuf> = std::fs::read_dir(&dev)
        .expect("corpus/dev")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    roots.sort();
    assert!(roots.len() >= 4, "expected the four dev corpus roots");
    roots
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Loads, parses, resolves and checks a knowledge base folder.
pub fn book(dir: &Path) -> Book {
    let config = Config::load(dir).unwrap_or_else(|e| panic!("config of {}: {e}", dir.display()));
    Book::load(config).unwrap_or_else(|e| panic!("load {}: {e}", dir.display()))
}

/// A fresh folder with the given files (path → content), for fixture knowledge bases.
pub fn fixture(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}
