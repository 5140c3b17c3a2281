//! Diagnostics: problems found in content, as values.
//!
//! Parsing and checking never fail on bad content; they return the model plus a list of
//! [`Diagnostic`]s, and the command decides the exit code at the end. Only [`render`] talks to
//! annotate-snippets and knows the output formats.

pub mod render;

use crate::source::Span;
use serde::Serialize;
use std::fmt;

/// How bad a problem is. Ordered: `Note < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

macro_rules! codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $name:literal, $sev:ident; )*) => {
        /// Stable diagnostic codes. The kebab-case name is a public interface: it appears in output,
        /// in `[check.rules]` of `book.toml`, and in the README.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            pub fn default_severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }

            pub fn from_name(name: &str) -> Option<Code> {
                match name { $($name => Some(Code::$variant),)* _ => None }
            }

            pub fn description(self) -> &'static str {
                match self { $(Code::$variant => concat!($($doc),*).trim_ascii(),)* }
            }
        }
    };
}

codes! {
    /// A file is not valid UTF-8; it is skipped.
    InvalidUtf8 = "invalid-utf8", Error;
    /// A file could not be read.
    Io = "io", Error;
    /// The YAML front matter does not parse.
    FrontMatterSyntax = "front-matter-syntax", Error;
    /// A front matter key has a value of the wrong type or form (a date that is no date, an assetid that is no GUID).
    FrontMatterValue = "front-matter-value", Error;
    /// The front matter opens with `---` but never closes.
    FrontMatterUnclosed = "front-matter-unclosed", Error;
    /// An article has neither an H1 heading nor a `title` in its front matter.
    NoTitle = "no-title", Warning;
    /// A heading has no text, so it has no slug and shows as an empty line in navigation.
    EmptyHeading = "empty-heading", Warning;
    /// Text contains a C1 control character (U+0080 to U+009F), usually a mis-decoded Windows-1252 byte.
    ControlCharacter = "control-character", Warning;
    /// A reference-style link uses a label that no definition provides; it renders as literal brackets.
    UndefinedReference = "undefined-reference", Warning;
    /// An `[!INCLUDE]` names a file that does not exist.
    MissingInclude = "missing-include", Error;
    /// Includes form a cycle.
    IncludeCycle = "include-cycle", Error;
    /// Includes nest deeper than kbc follows.
    IncludeDepth = "include-depth", Error;
    /// A table row has more cells than its header; Markdown drops the extra cells (often an unescaped
    /// `|` inside inline code).
    ExtraTableCells = "extra-table-cells", Warning;
    /// Block quotes, lists or emphasis nest deeper than kbc keeps; deeper levels are flattened.
    NestingDepth = "nesting-depth", Warning;
    /// A `:::` DocFX extension kbc does not know; its content is kept.
    UnknownExtension = "unknown-extension", Warning;
    /// A link names a file that does not exist.
    MissingFile = "missing-file", Error;
    /// A link's `#fragment` matches no anchor of its target.
    MissingAnchor = "missing-anchor", Error;
    /// An image names a file that does not exist.
    MissingImage = "missing-image", Error;
    /// Two anchors of one article have the same id.
    DuplicateAnchor = "duplicate-anchor", Warning;
    /// Two articles of one locale claim the same `ms.assetid`.
    DuplicateAssetid = "duplicate-assetid", Error;
    /// A link has an empty destination.
    EmptyLink = "empty-link", Warning;
    /// A link resolves only when letter case is ignored; it breaks on case-sensitive web servers.
    CaseMismatch = "case-mismatch", Warning;
    /// A link or image climbs out of the content root.
    LinkOutsideRoot = "link-outside-root", Error;
    /// A link uses a `javascript:`, `vbscript:` or `data:` URL.
    UnsafeUrl = "unsafe-url", Error;
    /// A site-absolute `/path` link that does not exist in the content root (with `[check] absolute-links = "error"`).
    MissingAbsolute = "missing-absolute", Error;
    /// No navigation file or link reaches this article.
    Orphan = "orphan", Note;
    /// A navigation (`TOC.md`, `toc.yml`) entry that cannot be read.
    InvalidToc = "invalid-toc", Error;
    /// An `http(s)` link is broken: 404, 410, unknown host, connection refused, a redirect loop or an
    /// invalid URL (checked only with `--external` or `[check.external] enable = true`).
    ExternalLink = "external-link", Error;
    /// An `http(s)` link could not be confirmed: a timeout, a server error or rate limit that outlasted
    /// the retries, another 4xx (often a login), too many redirects, a TLS failure. Flaky is not broken.
    ExternalLinkUnverified = "external-link-unverified", Warning;
    /// The page an `http(s)` link points at has no anchor for the link's `#fragment`.
    ExternalAnchor = "external-anchor", Warning;
    /// An `http(s)` link redirects permanently (301 or 308); the help gives the URL to use.
    ExternalRedirect = "external-redirect", Note;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// A labelled span besides the primary one ("first defined here").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One problem found in the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// What is wrong, rustc style: lowercase, no final period, names in backticks.
    pub message: String,
    /// Where. `None` only for problems that belong to no file position (none so far in content).
    pub span: Option<Span>,
    /// Short text shown under the caret.
    pub label: Option<String>,
    pub secondary: Vec<Label>,
    /// A proposed fix.
    pub help: Option<String>,
    /// Context.
    pub note: Option<String>,
}

impl Diagnostic {
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.default_severity(),
            message: message.into(),
            span: Some(span),
            label: None,
            secondary: Vec::new(),
            help: None,
            note: None,
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.note = Some(note.into());
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label { span, message: message.into() });
        self
    }
}

/// Orders diagnostics by file, position and code, so output is the same whatever the thread count.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        let ka = a.span.map(|s| (s.file, s.start, s.end));
        let kb = b.span.map(|s| (s.file, s.start, s.end));
        ka.cmp(&kb).then(a.code.cmp(&b.code)).then_with(|| a.message.cmp(&b.message))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_names_round_trip_and_are_kebab_case() {
        for &code in Code::ALL {
            assert_eq!(Code::from_name(code.name()), Some(code));
            assert!(code.name().chars().all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()));
            assert!(!code.description().is_empty());
        }
    }
}
