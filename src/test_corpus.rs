//! The shared dev corpus, for unit tests that run over real articles.

use std::path::{Path, PathBuf};

/// `shared/` seen from the crate: `../shared` or `../../shared`.
pub fn shared_dir() -> PathBuf {
    let root = env!("CARGO_MANIFEST_DIR");
    [format!("{root}/../shared"), format!("{root}/../../shared")]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.join("corpus/dev").is_dir())
        .expect("the shared directory with corpus/dev, at ../shared or ../../shared")
}

/// Every Markdown file under `dir`, sorted, byte order mark removed.
pub fn markdown_files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("readable directory entry");
        if entry.path().extension().and_then(|e| e.to_str()) != Some("md") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).expect("UTF-8 Markdown");
        let text = text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text);
        files.push((entry.path().to_path_buf(), text));
    }
    files
}

/// Every Markdown file of `shared/corpus/dev`.
pub fn dev_markdown() -> Vec<(PathBuf, String)> {
    markdown_files(&shared_dir().join("corpus/dev"))
}
