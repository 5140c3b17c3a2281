//! Renderers: pure functions from the resolved model to files. They never re-parse Markdown.
//!
//! Each output format is one module with one entry point, `write(book, out)`, called by
//! [`write_all`] in a fixed order. Paths and URLs come from [`urls`] only.

pub mod checklist;
pub mod html;
pub mod json;
pub mod markdown;
pub mod model;
pub mod urls;

use crate::Book;
use std::path::{Path, PathBuf};

/// A renderer failed to write its output.
#[derive(Debug)]
pub struct RenderError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for RenderError {}

impl RenderError {
    pub fn io(path: &Path, error: std::io::Error) -> RenderError {
        RenderError { path: path.to_path_buf(), message: error.to_string() }
    }
}

/// Writes `text` to `out/rel`, creating folders as needed.
pub fn write_file(out: &Path, rel: &str, text: impl AsRef<[u8]>) -> Result<(), RenderError> {
    let path = out.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| RenderError::io(parent, e))?;
    }
    std::fs::write(&path, text).map_err(|e| RenderError::io(&path, e))
}

/// Whether an article gets a printable checklist page that other pages may link to: the rule
/// [`checklist::write`] follows, so a page never links to a file the build does not write.
pub fn has_checklist(book: &Book, article: &crate::model::Article) -> bool {
    checklist::applies(book, article)
}

/// Every enabled output, into `out` (a fresh folder that [`crate::output::publish`] swaps in).
pub fn write_all(book: &Book, out: &Path) -> Result<(), RenderError> {
    model::write(book, out)?;
    html::write(book, out)?;
    json::write(book, out)?;
    checklist::write(book, out)?;
    Ok(())
}
