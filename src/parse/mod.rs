//! Markdown → model. The one place that decides pulldown-cmark options and recognises DocFX
//! extensions over the event stream.
//!
//! **Invariant:** parsing never fails. Bad content becomes diagnostics next to a best-effort model.
//! **Invariant:** `parse` does no IO; included files come from the [`SourceMap`] that `load` filled.

mod builder;
mod events;
pub mod front_matter;
pub mod html;
pub mod link;
mod procedure;
pub mod slug;
mod troubleshoot;

pub use builder::{MAX_NESTING, plain_text};
pub use events::{Ev, EvKind, IncludeContext, MAX_INCLUDE_DEPTH};

use crate::diag::Diagnostic;
use crate::model::Article;
use crate::source::{FileId, SourceMap};
use pulldown_cmark::Options;

/// The Markdown dialect kbc reads: CommonMark plus GFM tables, alerts, task lists, strikethrough,
/// footnotes and `{#id}` heading attributes. No smart punctuation (text must stay as written) and no
/// math (`$` is common in PowerShell samples).
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
}

/// Everything `parse_article` needs besides the file itself.
pub struct ParseInput<'a> {
    pub sources: &'a SourceMap,
    pub includes: &'a IncludeContext<'a>,
    /// Locale to use when the front matter names none.
    pub default_locale: &'a str,
}

/// Parses one article (with its includes expanded) into the model.
pub fn parse_article(input: &ParseInput<'_>, file: FileId) -> (Article, Vec<Diagnostic>) {
    builder::build_article(Texts { sources: input.sources, article: None }, input, file)
}

/// [`parse_article`] with `text` as the file's text: its text read back after a low-memory load
/// released it ([`crate::source::SourceFile::release`]), or the held one (includes are always held).
pub fn parse_released<'a>(input: &ParseInput<'a>, file: FileId, text: &'a str) -> (Article, Vec<Diagnostic>) {
    builder::build_article(Texts { sources: input.sources, article: Some((file, text)) }, input, file)
}

/// The texts a parse reads: the source map's, and the article's own when it was read back.
#[derive(Clone, Copy)]
struct Texts<'a> {
    sources: &'a SourceMap,
    article: Option<(FileId, &'a str)>,
}

impl<'a> Texts<'a> {
    fn get(self, file: FileId) -> &'a crate::source::SourceFile {
        self.sources.get(file)
    }

    /// The text of `file` ("" for a released file other than the article read back: includes
    /// are fragments, which are never released).
    fn text(self, file: FileId) -> &'a str {
        match self.article {
            Some((f, text)) if f == file => text,
            _ => self.sources.get(file).text().unwrap_or(""),
        }
    }

    fn slice(self, span: crate::source::Span) -> &'a str {
        self.text(span.file).get(span.range()).unwrap_or("")
    }
}

/// Parses one Markdown text on its own (no includes resolve), for tests, fuzzing and tools.
pub fn parse_text(rel_path: &str, text: &str) -> (Article, Vec<Diagnostic>, SourceMap) {
    let mut sources = SourceMap::new();
    let file = sources.add(crate::source::SourceFile::new(
        rel_path.to_string(),
        std::path::PathBuf::from(rel_path),
        text.to_string(),
        false,
    ));
    let by_path = std::collections::BTreeMap::from([(rel_path.to_string(), file)]);
    let by_lower = std::collections::BTreeMap::from([(rel_path.to_lowercase(), file)]);
    let not_read = std::collections::BTreeMap::new();
    let paths = std::collections::BTreeSet::from([rel_path.to_string()]);
    let includes =
        IncludeContext { by_path: &by_path, by_lower_path: &by_lower, not_read: &not_read, paths: &paths };
    let input = ParseInput { sources: &sources, includes: &includes, default_locale: "en-US" };
    let (article, diags) = parse_article(&input, file);
    (article, diags, sources)
}
