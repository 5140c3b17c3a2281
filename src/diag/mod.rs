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
    /// A file could not be read (or is no regular file: a named pipe, a socket, a device).
    Io = "io", Error;
    /// A Markdown or navigation file is larger than kbc reads (8 MiB); it is skipped.
    FileTooLarge = "file-too-large", Error;
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
    /// Text contains a control character: NUL, another C0 control but tab and line breaks, DEL, or a C1
    /// control (U+0080 to U+009F, usually a mis-decoded Windows-1252 byte).
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
    /// Raw HTML that the sanitizer removes from the page: a `<script>`, `<style>` or another active
    /// element (`object`, `embed`, `form`, `base`, `meta`, ...), an `on*=` event handler, or an `<iframe>`
    /// from a host that `[output.html] iframe-hosts` does not list.
    UnsafeHtml = "unsafe-html", Warning;
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

/// At most this many diagnostics of one code are kept for one file; the rest are counted and summed
/// up by one more diagnostic. A real article has a handful of each; a hostile one (a 5 MB file of
/// `#` lines, of `[a][b]`, of control characters) could otherwise make millions and exhaust memory
/// long before anyone reads them.
pub const MAX_PER_FILE_AND_CODE: usize = 1000;

/// Collects diagnostics, keeping at most [`MAX_PER_FILE_AND_CODE`] per file and code.
#[derive(Debug, Default)]
pub struct Sink {
    list: Vec<Diagnostic>,
    counts: std::collections::BTreeMap<(Option<crate::source::FileId>, Code), Count>,
}

/// Per file and code: how many were kept, how many dropped, and where the first dropped one was.
type Count = (usize, usize, Option<Span>);

impl Sink {
    pub fn new() -> Sink {
        Sink::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        let entry = self.counts.entry((d.span.map(|s| s.file), d.code)).or_insert((0, 0, None));
        if entry.0 < MAX_PER_FILE_AND_CODE {
            entry.0 += 1;
            self.list.push(d);
        } else {
            entry.1 += 1;
            entry.2 = entry.2.or(d.span);
        }
    }

    pub fn extend(&mut self, diags: impl IntoIterator<Item = Diagnostic>) {
        for d in diags {
            self.push(d);
        }
    }

    /// Moves every diagnostic of `other` here, its dropped ones still counted.
    pub fn append(&mut self, other: Sink) {
        for d in other.list {
            self.push(d);
        }
        for (key, (_, dropped, first)) in other.counts {
            if dropped > 0 {
                let entry = self.counts.entry(key).or_insert((0, 0, None));
                entry.1 += dropped;
                entry.2 = entry.2.or(first);
            }
        }
    }

    /// Whether a diagnostic of `code` was seen (kept or not).
    pub fn has(&self, code: Code) -> bool {
        self.counts.keys().any(|(_, c)| *c == code)
    }

    /// The diagnostics kept, then one summary per file and code that went over the limit.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        let mut list = self.list;
        for ((_, code), (_, dropped, first)) in self.counts {
            if dropped == 0 {
                continue;
            }
            let message = format!("{dropped} more `{code}` problems in this file are not shown");
            let note = format!("kbc reports at most {MAX_PER_FILE_AND_CODE} problems of each kind per file");
            list.push(Diagnostic {
                code,
                severity: code.default_severity(),
                message,
                span: first,
                label: Some("the first one not shown".into()),
                secondary: Vec::new(),
                help: None,
                note: Some(note),
            });
        }
        list
    }
}

/// Orders diagnostics by file, position and code, so output is the same whatever the thread count.
pub fn sort(diags: &mut [Diagnostic]) {
    // Stable, so the order does not depend on the thread count.
    rayon::slice::ParallelSliceMut::par_sort_by(diags, |a, b| {
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

    #[test]
    fn a_sink_keeps_a_bounded_number_per_file_and_code() {
        use crate::source::FileId;
        let mut sink = Sink::new();
        for i in 0..MAX_PER_FILE_AND_CODE + 5 {
            sink.push(Diagnostic::new(Code::EmptyHeading, Span::new(FileId(0), i..i), "heading has no text"));
            sink.push(Diagnostic::new(Code::EmptyHeading, Span::new(FileId(1), i..i), "heading has no text"));
        }
        sink.push(Diagnostic::new(
            Code::EmptyLink,
            Span::new(FileId(0), 0..0),
            "link has an empty destination",
        ));
        let list = sink.into_vec();
        assert_eq!(list.len(), 2 * MAX_PER_FILE_AND_CODE + 1 + 2);
        let summaries: Vec<_> = list.iter().filter(|d| d.message.contains("not shown")).collect();
        assert_eq!(summaries.len(), 2);
        assert_eq!(summaries[0].message, "5 more `empty-heading` problems in this file are not shown");
        let first_dropped = MAX_PER_FILE_AND_CODE as u32;
        assert_eq!(summaries[0].span.map(|s| (s.file, s.start)), Some((FileId(0), first_dropped)));
    }
}
