//! YAML front matter: splitting it off the Markdown body and reading it into the typed [`Meta`].
//!
//! Front matter exists when the file's first line is `---` (trailing blanks allowed) and a later
//! line is `---` or `...`. The YAML between them is read into a private, order-preserving tree
//! whose every node carries its location in the YAML ([`Node`]), so that diagnostics point at the
//! exact key or value in the `.md` file. Duplicate keys are resolved here (the last one wins, with a
//! warning).
//!
//! Two readers build that tree. Nearly all real front matter is a flat mapping of `key: value`
//! lines and `- item` lists: [`fast`] reads that subset line by line, without allocating beyond the
//! tree, and builds what serde-saphyr would build, byte ranges included. Anything outside the
//! subset, or that it is unsure about, is read by serde-saphyr (converted from its [`Spanned`]
//! nodes), which passes duplicate keys through and whose budgets bound alias bombs and deep
//! nesting. Everything after the tree (duplicate keys, typed fields, diagnostics) is shared.

mod fast;

use crate::diag::{Code, Diagnostic, Severity};
use crate::model::{AssetGuid, Date, Meta, MetaValue};
use crate::source::{FileId, Span};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

/// The result of reading a file's front matter.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontMatter {
    /// The typed front matter; `span` covers the whole block (delimiters included) when present.
    pub meta: Meta,
    /// Byte offset in the text where the Markdown body starts (0 when there is no front matter).
    pub body_start: usize,
    pub diagnostics: Vec<Diagnostic>,
}

/// Maximum nesting of YAML collections in front matter. DocFX front matter is one or two levels deep.
const MAX_DEPTH: usize = 32;
/// Maximum number of events that alias replay may produce (bounds "billion laughs" documents).
const MAX_REPLAYED_EVENTS: usize = 10_000;

/// Splits and parses the front matter of `text`, the whole file without BOM. Never panics.
pub fn parse(file: FileId, text: &str) -> FrontMatter {
    parse_with(file, text, Reader::Fast)
}

/// [`parse`] with serde-saphyr only: the reference the fast path is tested against.
#[cfg(test)]
fn parse_slow(file: FileId, text: &str) -> FrontMatter {
    parse_with(file, text, Reader::Saphyr)
}

/// Which YAML reader to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// The fast path when the YAML is in its subset, else serde-saphyr.
    Fast,
    /// serde-saphyr only.
    #[cfg_attr(not(test), allow(dead_code))]
    Saphyr,
}

fn parse_with(file: FileId, text: &str, reader: Reader) -> FrontMatter {
    let mut out = FrontMatter { meta: Meta::default(), body_start: 0, diagnostics: Vec::new() };
    let block = match split(text) {
        Split::None => return out,
        Split::Unclosed { open } => {
            out.diagnostics.push(
                Diagnostic::new(
                    Code::FrontMatterUnclosed,
                    Span::new(file, open),
                    "front matter is not closed",
                )
                .with_label("front matter opens here")
                .with_help("end the front matter with a line `---`")
                .with_note("the whole file is read as Markdown"),
            );
            return out;
        }
        Split::Closed(block) => block,
    };
    out.meta.span = Some(Span::new(file, block.span.clone()));
    out.body_start = block.body_start;

    let cx = Cx {
        file,
        yaml_start: block.yaml.start,
        yaml: text.get(block.yaml.clone()).unwrap_or(""),
        block: block.span.clone(),
    };
    let root = match read_yaml(cx.yaml, reader) {
        Ok(root) => root,
        Err(problem) => {
            out.diagnostics.push(cx.syntax_diagnostic(problem));
            return out;
        }
    };
    let Some(root) = root else {
        // An empty block, or only comments, or a lone `~`.
        return out;
    };
    let entries = match root.value {
        Value::Map(entries) => entries,
        Value::Null => return out,
        other => {
            let span = cx.node_span(&root.referenced).unwrap_or_else(|| cx.span(cx.block.clone()));
            out.diagnostics.push(
                Diagnostic::new(
                    Code::FrontMatterSyntax,
                    span,
                    format!("front matter must be a mapping of keys to values, found {}", other.kind()),
                )
                .with_label("expected `key: value` lines")
                .with_help("write one `key: value` per line between the `---` lines"),
            );
            return out;
        }
    };
    let entries = cx.dedup(entries, &mut out.diagnostics);
    let mut meta = Meta { span: out.meta.span, ..Meta::default() };
    for entry in entries {
        cx.apply(&mut meta, entry, &mut out.diagnostics);
    }
    dedup_keywords(&mut meta.keywords);
    out.meta = meta;
    out
}

// ---------------------------------------------------------------------------------------------
// Splitting

struct Block {
    /// The whole block, from the opening `---` to the end of the closing line (terminator excluded).
    span: Range<usize>,
    /// The YAML text between the delimiter lines.
    yaml: Range<usize>,
    body_start: usize,
}

enum Split {
    None,
    Unclosed { open: Range<usize> },
    Closed(Block),
}

/// Lines of `text` as (start, end without line terminator, start of the next line).
fn lines(text: &str) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let bytes = text.as_bytes();
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        let (content_end, next) = match bytes[start..].iter().position(|&b| b == b'\n') {
            Some(i) => (start + i, start + i + 1),
            None => (bytes.len(), bytes.len()),
        };
        let end = if content_end > start && bytes[content_end - 1] == b'\r' {
            content_end - 1
        } else {
            content_end
        };
        pos = next;
        Some((start, end, next))
    })
}

fn is_delimiter(line: &str, marker: &str) -> bool {
    line.trim_end_matches([' ', '\t']) == marker
}

fn split(text: &str) -> Split {
    let mut it = lines(text);
    let Some((start, end, next)) = it.next() else {
        return Split::None;
    };
    if !is_delimiter(&text[start..end], "---") {
        return Split::None;
    }
    let open = start..end;
    for (s, e, n) in it {
        let line = &text[s..e];
        if is_delimiter(line, "---") || is_delimiter(line, "...") {
            return Split::Closed(Block { span: 0..e, yaml: next..s, body_start: n });
        }
    }
    Split::Unclosed { open }
}

// ---------------------------------------------------------------------------------------------
// The YAML tree

/// Where a node is in the YAML text: its byte range when known, and the 1-based line and
/// (character) column that serde-saphyr reported (0 for nodes of the fast path, whose byte range is
/// always known). Compact, as every node has two.
#[derive(Debug, Clone, Copy)]
struct Loc {
    /// [`Loc::NO_BYTES`] when the byte range is unknown.
    start: u32,
    end: u32,
    line: u32,
    column: u32,
}

impl Loc {
    /// A `start` for an unknown byte range (and for one beyond 4 GiB, which no front matter reaches).
    const NO_BYTES: u32 = u32::MAX;

    fn bytes(start: usize, end: usize) -> Loc {
        match (u32::try_from(start), u32::try_from(end)) {
            (Ok(start), Ok(end)) if start != Loc::NO_BYTES => Loc { start, end, line: 0, column: 0 },
            _ => Loc { start: Loc::NO_BYTES, end: 0, line: 0, column: 0 },
        }
    }

    fn reported(loc: &serde_saphyr::Location) -> Loc {
        let span = loc.span();
        let range = span.byte_offset().zip(span.byte_len()).and_then(|(offset, len)| {
            let start = usize::try_from(offset).ok()?;
            Some((start, start.checked_add(usize::try_from(len).ok()?)?))
        });
        let (start, end) = range.unwrap_or((usize::MAX, 0));
        Loc {
            line: u32::try_from(loc.line()).unwrap_or(0),
            column: u32::try_from(loc.column()).unwrap_or(u32::MAX),
            ..Loc::bytes(start, end)
        }
    }
}

/// A YAML node with its locations: where it is used and, for an alias, where it was defined.
#[derive(Debug)]
struct Node<'a> {
    value: Value<'a>,
    referenced: Loc,
    defined: Loc,
}

impl<'de> Deserialize<'de> for Node<'static> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node<'static>, D::Error> {
        let Spanned { value, referenced, defined } = Spanned::<Value<'static>>::deserialize(d)?;
        Ok(Node { value, referenced: Loc::reported(&referenced), defined: Loc::reported(&defined) })
    }
}

/// A YAML value. Strings borrow from the YAML text when the fast path read them.
#[derive(Debug)]
enum Value<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(Cow<'a, str>),
    List(Vec<Node<'a>>),
    Map(Vec<(Node<'a>, Node<'a>)>),
}

impl Value<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::UInt(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::List(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl<'de> Deserialize<'de> for Value<'static> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value<'static>, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value<'static>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Value::UInt(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Owned(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Owned(v)))
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Owned(String::from_utf8_lossy(v).into_owned())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Value::Map(entries))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _data: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom("unexpected enum in YAML"))
    }
}

/// Why the YAML could not be read.
enum YamlProblem {
    Parse(Box<serde_saphyr::Error>),
    /// serde-saphyr panicked; kept so one bad file cannot abort a whole build.
    Panic,
}

fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        // Resolved here, with both key positions, as DocFX does: the last one wins.
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
        // `yes`, `no`, `on`, `y` stay strings (YAML 1.2); only `true`/`false` are booleans.
        strict_booleans: true,
        // `012` is an identifier, not an octal number.
        leading_zero_numbers_as_strings: true,
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::AsString,
        with_snippet: false,
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_documents: 2,
            max_aliases: 1_000,
            max_anchors: 1_000,
            max_events: 200_000,
            max_nodes: 100_000,
            max_merge_keys: 1_000,
            max_total_scalar_bytes: 16 * 1024 * 1024,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_REPLAYED_EVENTS,
            max_replay_stack_depth: MAX_DEPTH,
        },
    }
}

/// The YAML's root node (`None` when the YAML holds no node), read by the fast path when it can.
fn read_yaml(yaml: &str, reader: Reader) -> Result<Option<Node<'_>>, YamlProblem> {
    if reader == Reader::Fast
        && let Some(root) = fast::read(yaml)
    {
        return Ok(root);
    }
    let run = || serde_saphyr::from_str_with_options::<Option<Node<'static>>>(yaml, yaml_options());
    match std::panic::catch_unwind(run) {
        Ok(Ok(root)) => Ok(root),
        Ok(Err(err)) => Err(YamlProblem::Parse(Box::new(err))),
        Err(_) => Err(YamlProblem::Panic),
    }
}

/// The error under alias and snippet wrappers.
fn original_error(mut err: &serde_saphyr::Error) -> &serde_saphyr::Error {
    while let serde_saphyr::Error::AliasError { error, .. } | serde_saphyr::Error::WithSnippet { error, .. } =
        err
    {
        err = error;
    }
    err
}

/// Message text and whether a resource limit (rather than the syntax) was the problem.
fn error_text(err: &serde_saphyr::Error) -> (String, bool) {
    use serde_saphyr::budget::BudgetBreach;
    use serde_saphyr::{Error, MessageFormatter, UserMessageFormatter};
    let inner = original_error(err);
    match inner {
        Error::Budget { breach, .. } => {
            let what = match breach {
                BudgetBreach::Depth { .. } => format!("it nests deeper than {MAX_DEPTH} levels"),
                BudgetBreach::Aliases { .. } | BudgetBreach::Anchors { .. } => {
                    "it uses too many anchors or aliases".to_string()
                }
                _ => "it is too large or expands to too many values".to_string(),
            };
            (format!("front matter YAML exceeds kbc's limits: {what}"), true)
        }
        Error::AliasReplayLimitExceeded { .. }
        | Error::AliasExpansionLimitExceeded { .. }
        | Error::AliasReplayStackDepthExceeded { .. }
        | Error::AliasReplayCounterOverflow { .. } => (
            "front matter YAML exceeds kbc's limits: its aliases expand to too many values".to_string(),
            true,
        ),
        _ => {
            let msg = UserMessageFormatter.format_message(inner);
            let msg = msg.trim().trim_end_matches('.');
            (format!("front matter is not valid YAML: {msg}"), false)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// From YAML locations to file spans

struct Cx<'a> {
    file: FileId,
    yaml_start: usize,
    yaml: &'a str,
    block: Range<usize>,
}

/// A top-level entry after duplicate resolution.
struct Entry<'n> {
    key: Cow<'n, str>,
    key_span: Span,
    value: Node<'n>,
}

/// Mappings up to this size find duplicate keys by comparing with every earlier key.
const SMALL_MAP: usize = 32;

impl Cx<'_> {
    fn span(&self, range: Range<usize>) -> Span {
        Span::new(self.file, range)
    }

    /// The byte range in the YAML text of a node, when it is known.
    fn yaml_range(&self, loc: &Loc) -> Option<Range<usize>> {
        if loc.start == Loc::NO_BYTES {
            return None;
        }
        let (start, end) = (loc.start as usize, loc.end as usize);
        (start <= end
            && end <= self.yaml.len()
            && self.yaml.is_char_boundary(start)
            && self.yaml.is_char_boundary(end))
        .then_some(start..end)
    }

    /// The span in the file of a node: its exact bytes, else the character at its line and column.
    fn node_span(&self, loc: &Loc) -> Option<Span> {
        if let Some(r) = self.yaml_range(loc) {
            return Some(self.span(self.yaml_start + r.start..self.yaml_start + r.end));
        }
        self.line_col_span(loc.line.into(), loc.column.into())
    }

    /// The source text of a scalar, when it is on one line (used to keep numbers as written).
    fn raw(&self, loc: &Loc) -> Option<&str> {
        let r = self.yaml_range(loc)?;
        let s = self.yaml.get(r)?.trim();
        (!s.is_empty() && !s.contains(['\n', '\r'])).then_some(s)
    }

    /// A 1-based YAML line and (character) column, as a one-character span in the file.
    fn line_col_span(&self, line: u64, col: u64) -> Option<Span> {
        if line == 0 {
            return None;
        }
        let line_idx = usize::try_from(line - 1).ok()?;
        let mut starts = std::iter::once(0)
            .chain(self.yaml.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        let line_start = match starts.nth(line_idx) {
            Some(s) => s,
            None => self.yaml.len(),
        };
        let line_text = self.yaml[line_start..].split('\n').next().unwrap_or("");
        let col_idx = usize::try_from(col.saturating_sub(1)).unwrap_or(usize::MAX);
        let mut chars = line_text.char_indices().skip(col_idx);
        let (start, end) = match chars.next() {
            Some((i, c)) if c != '\r' => (i, i + c.len_utf8()),
            Some((i, _)) => (i, i),
            None => (line_text.len(), line_text.len()),
        };
        let base = self.yaml_start + line_start;
        Some(self.span(base + start..base + end))
    }

    fn syntax_diagnostic(&self, problem: YamlProblem) -> Diagnostic {
        let fallback = self.span(0..self.block.start.saturating_add(3).min(self.block.end));
        match problem {
            YamlProblem::Panic => Diagnostic::new(
                Code::FrontMatterSyntax,
                fallback,
                "front matter could not be read: the YAML parser failed",
            ),
            YamlProblem::Parse(err) => {
                let (message, limit) = error_text(&err);
                let span = err
                    .location()
                    .and_then(|loc| self.line_col_span(loc.line(), loc.column()))
                    .unwrap_or(fallback);
                let d = Diagnostic::new(Code::FrontMatterSyntax, span, message);
                if limit {
                    d.with_help(
                        "front matter is read with bounded nesting and alias expansion; \
                         write the values out instead of nesting or repeating aliases",
                    )
                } else {
                    d
                }
            }
        }
    }

    /// The text of a key (non-string keys as written, or as compact JSON for collections).
    fn key_text<'n>(&self, key: Node<'n>) -> Cow<'n, str> {
        if let Value::Str(s) = key.value {
            return s;
        }
        Cow::Owned(self.key_text_ref(&key))
    }

    /// [`Cx::key_text`] of a borrowed key.
    fn key_text_ref(&self, key: &Node<'_>) -> String {
        match &key.value {
            Value::Str(s) => s.to_string(),
            Value::List(_) | Value::Map(_) => {
                serde_json::to_string(&self.meta_of_ref(key)).unwrap_or_default()
            }
            _ => self.scalar_text(key).map(Cow::into_owned).unwrap_or_default(),
        }
    }

    /// A collection key rendered without diagnostics (keys are never deduplicated).
    fn meta_of_ref(&self, node: &Node<'_>) -> MetaValue {
        match &node.value {
            Value::List(items) => MetaValue::List(items.iter().map(|i| self.meta_of_ref(i)).collect()),
            Value::Map(entries) => MetaValue::Map(
                entries.iter().map(|(k, v)| (self.key_text_ref(k), self.meta_of_ref(v))).collect(),
            ),
            _ => self.scalar_meta(node),
        }
    }

    /// Text of a scalar that YAML typed as a number, boolean or null: as written when possible.
    fn scalar_text<'s>(&'s self, node: &'s Node<'_>) -> Option<Cow<'s, str>> {
        match &node.value {
            Value::Str(s) => Some(Cow::Borrowed(s)),
            Value::Null => None,
            Value::List(_) | Value::Map(_) => None,
            other => Some(match self.raw(&node.defined) {
                Some(raw) => Cow::Borrowed(raw),
                None => Cow::Owned(match other {
                    Value::Bool(b) => b.to_string(),
                    Value::Int(i) => i.to_string(),
                    Value::UInt(u) => u.to_string(),
                    Value::Float(f) => f.to_string(),
                    _ => String::new(),
                }),
            }),
        }
    }

    /// [`Cx::scalar_text`], taking the node (a string is moved, not copied).
    fn owned_text(&self, node: Node<'_>) -> Option<String> {
        if let Value::Str(s) = node.value {
            return Some(s.into_owned());
        }
        self.scalar_text(&node).map(Cow::into_owned)
    }

    fn scalar_meta(&self, node: &Node<'_>) -> MetaValue {
        match &node.value {
            Value::Null => MetaValue::Null,
            Value::Bool(b) => MetaValue::Bool(*b),
            Value::Int(i) => MetaValue::Int(*i),
            Value::UInt(u) => match i64::try_from(*u) {
                Ok(i) => MetaValue::Int(i),
                Err(_) => MetaValue::String(self.scalar_text(node).map(Cow::into_owned).unwrap_or_default()),
            },
            Value::Float(f) => MetaValue::Float(*f),
            Value::Str(s) => MetaValue::String(s.to_string()),
            Value::List(_) | Value::Map(_) => MetaValue::Null,
        }
    }

    /// Converts a node to a [`MetaValue`], resolving duplicate keys of nested mappings.
    fn to_meta(&self, node: Node<'_>, diags: &mut Vec<Diagnostic>) -> MetaValue {
        match node.value {
            Value::List(items) => {
                MetaValue::List(items.into_iter().map(|i| self.to_meta(i, diags)).collect())
            }
            Value::Map(entries) => MetaValue::Map(
                self.dedup(entries, diags)
                    .into_iter()
                    .map(|e| (e.key.into_owned(), self.to_meta(e.value, diags)))
                    .collect(),
            ),
            Value::Str(s) => MetaValue::String(s.into_owned()),
            value => self.scalar_meta(&Node { value, ..node }),
        }
    }

    fn key_span(&self, key: &Node<'_>) -> Span {
        self.node_span(&key.referenced).unwrap_or_else(|| self.span(self.block.clone()))
    }

    /// Resolves duplicate keys: the last value wins, at the first key's position, with a warning.
    fn dedup<'n>(&self, entries: Vec<(Node<'n>, Node<'n>)>, diags: &mut Vec<Diagnostic>) -> Vec<Entry<'n>> {
        let mut out: Vec<Entry<'n>> = Vec::with_capacity(entries.len());
        // Small mappings compare fingerprints, then keys; only large ones pay for hashing (and a copy
        // of every key).
        let large = entries.len() > SMALL_MAP;
        let mut index = std::collections::HashMap::new();
        let mut prints = [0; SMALL_MAP];
        for (key, value) in entries {
            let key_span = self.key_span(&key);
            let text = self.key_text(key);
            let found = if large {
                index.get(text.as_ref()).copied()
            } else {
                let print = fingerprint(&text);
                let found = (0..out.len()).find(|&i| prints[i] == print && out[i].key == text);
                if found.is_none() {
                    prints[out.len()] = print;
                }
                found
            };
            match found {
                Some(i) => {
                    let previous: &mut Entry = &mut out[i];
                    let mut d = Diagnostic::new(
                        Code::FrontMatterValue,
                        key_span,
                        format!("duplicate front matter key `{text}`"),
                    )
                    .with_label("duplicate key")
                    .with_secondary(previous.key_span, "first defined here")
                    .with_note("the last value is used")
                    .with_help("remove one of the two keys");
                    d.severity = Severity::Warning;
                    diags.push(d);
                    previous.key_span = key_span;
                    previous.value = value;
                }
                None => {
                    if large {
                        index.insert(text.to_string(), out.len());
                    }
                    out.push(Entry { key: text, key_span, value });
                }
            }
        }
        out
    }

    /// Puts one top-level entry into its typed field, or into `extra`.
    fn apply(&self, meta: &mut Meta, entry: Entry<'_>, diags: &mut Vec<Diagnostic>) {
        let Some(field) = Field::of(&entry.key) else {
            let value = self.to_meta(entry.value, diags);
            meta.extra.push((entry.key.into_owned(), value));
            return;
        };
        let ok = match field {
            Field::Keywords => self.keywords(meta, &entry, diags),
            Field::Date => self.text_field(&entry, diags).is_some_and(|t| match t {
                None => true,
                Some(t) if t.trim().is_empty() => true,
                Some(t) => match Date::parse(&t) {
                    Some(d) => {
                        meta.date = Some(d);
                        true
                    }
                    None => {
                        diags.push(
                            self.value_diagnostic(
                                &entry,
                                format!("`{}` is not a valid date: `{}`", entry.key, t.trim()),
                                "not a date",
                            )
                            .with_help("write the date as MM/DD/YYYY or YYYY-MM-DD"),
                        );
                        false
                    }
                },
            }),
            Field::AssetId => self.text_field(&entry, diags).is_some_and(|t| match t {
                None => true,
                Some(t) if t.trim().is_empty() => true,
                Some(t) => match AssetGuid::parse(&t) {
                    Some(g) => {
                        meta.assetid = Some(g);
                        true
                    }
                    None => {
                        diags.push(
                            self.value_diagnostic(
                                &entry,
                                format!("`{}` is not a valid GUID: `{}`", entry.key, t.trim()),
                                "not a GUID",
                            )
                            .with_help(
                                "write the GUID as 32 hexadecimal digits in groups of 8-4-4-4-12, \
                                 like `cdd4801a-2fe1-4aab-bbb6-db5f95f972d1`",
                            ),
                        );
                        false
                    }
                },
            }),
            _ => {
                if matches!(entry.value.value, Value::List(_) | Value::Map(_)) {
                    diags.push(self.type_diagnostic(&entry, "a string"));
                    false
                } else {
                    // A null value leaves a value given under another name of the field.
                    if let (Some(slot), Some(t)) = (field.slot(meta), self.owned_text(entry.value)) {
                        *slot = Some(t);
                    }
                    return;
                }
            }
        };
        if !ok {
            let value = self.to_meta(entry.value, diags);
            meta.extra.push((entry.key.into_owned(), value));
        }
    }

    /// A typed string field's text: `Some(None)` for null, `None` (with a diagnostic) for a collection.
    fn text_field<'s>(
        &'s self,
        entry: &'s Entry<'_>,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Option<Cow<'s, str>>> {
        match &entry.value.value {
            Value::List(_) | Value::Map(_) => {
                diags.push(self.type_diagnostic(entry, "a string"));
                None
            }
            _ => Some(self.scalar_text(&entry.value)),
        }
    }

    fn keywords(&self, meta: &mut Meta, entry: &Entry<'_>, diags: &mut Vec<Diagnostic>) -> bool {
        match &entry.value.value {
            Value::List(items) => {
                if items.iter().any(|i| matches!(i.value, Value::List(_) | Value::Map(_))) {
                    diags.push(self.type_diagnostic(entry, "a string or a list of strings"));
                    return false;
                }
                meta.keywords.extend(items.iter().filter_map(|i| self.scalar_text(i)).map(Cow::into_owned));
                true
            }
            Value::Map(_) => {
                diags.push(self.type_diagnostic(entry, "a string or a list of strings"));
                false
            }
            _ => {
                meta.keywords.extend(self.scalar_text(&entry.value).map(Cow::into_owned));
                true
            }
        }
    }

    fn type_diagnostic(&self, entry: &Entry<'_>, expected: &str) -> Diagnostic {
        let found = entry.value.value.kind();
        Diagnostic::new(
            Code::FrontMatterValue,
            entry.key_span,
            format!("`{}` must be {expected}, found {found}", entry.key),
        )
        .with_label(format!("expected {expected}"))
        .with_note("the value is kept as an unrecognised key")
    }

    fn value_diagnostic(&self, entry: &Entry<'_>, message: String, label: &str) -> Diagnostic {
        let span = self.node_span(&entry.value.referenced).unwrap_or(entry.key_span);
        Diagnostic::new(Code::FrontMatterValue, span, message).with_label(label)
    }
}

/// A summary of a key's bytes: equal keys have equal fingerprints.
fn fingerprint(key: &str) -> u64 {
    let b = key.as_bytes();
    let word = |s: &[u8]| {
        let mut w = [0; 8];
        w[..s.len()].copy_from_slice(s);
        u64::from_le_bytes(w)
    };
    let (head, tail) = match b.len() {
        n @ 8.. => (word(&b[..8]), word(&b[n - 8..])),
        _ => (word(b), 0),
    };
    (b.len() as u64) ^ head.rotate_left(29) ^ tail.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Keeps the first of equal keywords.
fn dedup_keywords(keywords: &mut Vec<String>) {
    if keywords.len() <= SMALL_MAP {
        let mut i = 1;
        while i < keywords.len() {
            if keywords[..i].contains(&keywords[i]) {
                keywords.remove(i);
            } else {
                i += 1;
            }
        }
        return;
    }
    let mut seen = std::collections::HashSet::new();
    keywords.retain(|k| seen.insert(k.clone()));
}

// ---------------------------------------------------------------------------------------------
// Typed keys

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Description,
    Author,
    MsAuthor,
    Manager,
    Date,
    Topic,
    Prod,
    Service,
    Audience,
    AssetId,
    LocalizationPriority,
    Locale,
    Keywords,
    RedirectUrl,
    Robots,
}

impl Field {
    fn of(key: &str) -> Option<Field> {
        Some(match key {
            "title" => Field::Title,
            "description" => Field::Description,
            "author" => Field::Author,
            "ms.author" => Field::MsAuthor,
            "manager" => Field::Manager,
            "ms.date" => Field::Date,
            "ms.topic" => Field::Topic,
            "ms.prod" => Field::Prod,
            "ms.service" => Field::Service,
            "ms.audience" | "audience" => Field::Audience,
            "ms.assetid" => Field::AssetId,
            "localization_priority" | "ms.localizationpriority" => Field::LocalizationPriority,
            "ms.contentlocale" | "locale" => Field::Locale,
            "f1_keywords" | "f1.keywords" | "f1keywords" | "keywords" => Field::Keywords,
            "redirect_url" => Field::RedirectUrl,
            k if k.eq_ignore_ascii_case("robots") => Field::Robots,
            _ => return None,
        })
    }

    /// The `Option<String>` field this key fills (`None` for date, assetid and keywords).
    fn slot(self, meta: &mut Meta) -> Option<&mut Option<String>> {
        Some(match self {
            Field::Title => &mut meta.title,
            Field::Description => &mut meta.description,
            Field::Author => &mut meta.author,
            Field::MsAuthor => &mut meta.ms_author,
            Field::Manager => &mut meta.manager,
            Field::Topic => &mut meta.topic,
            Field::Prod => &mut meta.prod,
            Field::Service => &mut meta.service,
            Field::Audience => &mut meta.audience,
            Field::LocalizationPriority => &mut meta.localization_priority,
            Field::Locale => &mut meta.locale,
            Field::RedirectUrl => &mut meta.redirect_url,
            Field::Robots => &mut meta.robots,
            Field::Date | Field::AssetId | Field::Keywords => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{LineCol, SourceFile};
    use std::path::PathBuf;

    const SEED: &str = r#"---
title: "解决管理员的 Skype for Business Online 登录错误"
ms.author: tonysmit
author: tonysmit
manager: scotv
ms.date: 11/17/2017
ms.audience: Admin
ms.topic: troubleshooting
ms.prod: office-online-server
localization_priority: Normal
ms.assetid: cdd4801a-2fe1-4aab-bbb6-db5f95f972d1
description: "Learn common causes for Skype for Business Online sign-errors and Work through troubleshooting these problems. "
---

# 解决管理员的 Skype for Business Online 登录错误
"#;

    fn fm(text: &str) -> FrontMatter {
        parse(FileId(0), text)
    }

    fn source(text: &str) -> SourceFile {
        SourceFile::new("a.md".into(), PathBuf::from("a.md"), text.into(), false)
    }

    /// Line and column of a diagnostic's primary span.
    fn at(text: &str, d: &Diagnostic) -> (u32, u32) {
        let span = d.span.expect("diagnostic has a span");
        let LineCol { line, col } = source(text).line_col(span.start as usize);
        (line, col)
    }

    fn slice<'t>(text: &'t str, d: &Diagnostic) -> &'t str {
        let span = d.span.expect("diagnostic has a span");
        &text[span.range()]
    }

    fn extra<'m>(meta: &'m Meta, key: &str) -> Option<&'m MetaValue> {
        meta.extra.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn assert_seed(text: &str) {
        let f = fm(text);
        assert!(f.diagnostics.is_empty(), "{:?}", f.diagnostics);
        let m = &f.meta;
        assert_eq!(m.title.as_deref(), Some("解决管理员的 Skype for Business Online 登录错误"));
        assert_eq!(m.ms_author.as_deref(), Some("tonysmit"));
        assert_eq!(m.author.as_deref(), Some("tonysmit"));
        assert_eq!(m.manager.as_deref(), Some("scotv"));
        assert_eq!(m.date.map(|d| d.to_string()).as_deref(), Some("2017-11-17"));
        assert_eq!(m.audience.as_deref(), Some("Admin"));
        assert_eq!(m.topic.as_deref(), Some("troubleshooting"));
        assert_eq!(m.prod.as_deref(), Some("office-online-server"));
        assert_eq!(m.localization_priority.as_deref(), Some("Normal"));
        assert_eq!(m.assetid.as_ref().map(AssetGuid::as_str), Some("cdd4801a-2fe1-4aab-bbb6-db5f95f972d1"));
        assert_eq!(
            m.description.as_deref(),
            Some(
                "Learn common causes for Skype for Business Online sign-errors and Work through \
                 troubleshooting these problems. "
            )
        );
        assert_eq!(m.service, None);
        assert_eq!(m.locale, None);
        assert!(m.keywords.is_empty());
        assert!(m.extra.is_empty(), "{:?}", m.extra);
        let span = m.span.expect("front matter span");
        assert_eq!(span.start, 0);
        assert!(text[span.range()].starts_with("---"));
        assert!(text[span.range()].ends_with("---"));
        let body = &text[f.body_start..];
        assert!(body.trim_start().starts_with("# 解决"), "{body:?}");
        assert!(!body.starts_with("---"));
    }

    #[test]
    fn seed_front_matter() {
        assert_seed(SEED);
    }

    #[test]
    fn seed_front_matter_with_crlf() {
        let crlf = SEED.replace('\n', "\r\n");
        assert_seed(&crlf);
        // The body starts right after the closing line's CRLF.
        let f = fm(&crlf);
        assert!(crlf[f.body_start..].starts_with("\r\n# "));
    }

    #[test]
    fn crlf_positions_are_exact() {
        let text = "---\r\ntitle: ok\r\nms.date: 13/45/2017\r\n---\r\nbody\r\n";
        let f = fm(text);
        assert_eq!(f.diagnostics.len(), 1, "{:?}", f.diagnostics);
        assert_eq!(at(text, &f.diagnostics[0]), (3, 10));
        assert_eq!(slice(text, &f.diagnostics[0]), "13/45/2017");
        let text = "---\r\ntitle: ok\r\nms.prod: [a\r\n---\r\n";
        let f = fm(text);
        assert_eq!(f.diagnostics.len(), 1);
        assert_eq!(f.diagnostics[0].code, Code::FrontMatterSyntax);
        assert_eq!(at(text, &f.diagnostics[0]).0, 3);
    }

    #[test]
    fn no_front_matter() {
        for text in ["", "# Title\n", "--\n---\n", "--- x\ntitle: a\n---\n", " ---\n---\n"] {
            let f = fm(text);
            assert_eq!(f.body_start, 0, "{text:?}");
            assert_eq!(f.meta, Meta::default());
            assert!(f.diagnostics.is_empty());
        }
    }

    #[test]
    fn unclosed() {
        let text = "---\ntitle: a\n\n# Heading\n";
        let f = fm(text);
        assert_eq!(f.body_start, 0);
        assert_eq!(f.meta, Meta::default());
        assert_eq!(f.diagnostics.len(), 1);
        let d = &f.diagnostics[0];
        assert_eq!(d.code, Code::FrontMatterUnclosed);
        assert_eq!(d.severity, Severity::Error);
        assert_eq!(slice(text, d), "---");
        assert_eq!(at(text, d), (1, 1));
        // A lone opening line.
        assert_eq!(fm("---").diagnostics[0].code, Code::FrontMatterUnclosed);
        assert_eq!(fm("---  \r\n").diagnostics[0].code, Code::FrontMatterUnclosed);
    }

    #[test]
    fn delimiters() {
        // Trailing blanks on both lines, `...` closes too.
        let text = "---  \ntitle: a\n...\t\nbody";
        let f = fm(text);
        assert_eq!(f.meta.title.as_deref(), Some("a"));
        assert_eq!(&text[f.body_start..], "body");
        assert_eq!(f.meta.span.map(|s| s.range()), Some(0..19));
    }

    #[test]
    fn empty_front_matter() {
        for text in ["---\n---\nbody", "---\n\n# only a comment\n---\nbody", "---\n~\n---\nbody"] {
            let f = fm(text);
            assert!(f.diagnostics.is_empty(), "{:?}", f.diagnostics);
            assert_eq!(&text[f.body_start..], "body");
            assert_eq!(f.meta, Meta { span: f.meta.span, ..Meta::default() });
            assert!(f.meta.span.is_some());
        }
    }

    #[test]
    fn front_matter_only() {
        for text in ["---\ntitle: a\n---", "---\ntitle: a\n---\n", "---\r\ntitle: a\r\n---\r\n"] {
            let f = fm(text);
            assert!(f.diagnostics.is_empty());
            assert_eq!(f.body_start, text.len());
            assert_eq!(f.meta.title.as_deref(), Some("a"));
        }
    }

    #[test]
    fn syntax_error_points_at_line_and_column() {
        let text = "---\ntitle: a\nms.topic: b: c\n---\nbody\n";
        let f = fm(text);
        assert_eq!(f.diagnostics.len(), 1, "{:?}", f.diagnostics);
        let d = &f.diagnostics[0];
        assert_eq!(d.code, Code::FrontMatterSyntax);
        assert_eq!(at(text, d), (3, 12));
        assert!(d.message.starts_with("front matter is not valid YAML: "), "{}", d.message);
        assert!(d.message.contains("mapping values are not allowed"), "{}", d.message);
        // Meta stays default, the body is still found.
        assert_eq!(f.meta.title, None);
        assert_eq!(&text[f.body_start..], "body\n");

        // Columns count characters, not bytes.
        let text = "---\ntitle: 中文\nx: \"unterminated\n---\n";
        let d = &fm(text).diagnostics[0];
        assert_eq!(d.code, Code::FrontMatterSyntax);
        assert_eq!(at(text, d), (3, 4));

        let text = "---\ntitle: 中文\n\tdescription: x\n---\n";
        let d = &fm(text).diagnostics[0];
        assert_eq!(d.code, Code::FrontMatterSyntax);
        assert_eq!(at(text, d).0, 2);
    }

    #[test]
    fn top_level_must_be_a_mapping() {
        for text in ["---\n- a\n- b\n---\n", "---\njust text\n---\n"] {
            let f = fm(text);
            assert_eq!(f.diagnostics.len(), 1);
            assert_eq!(f.diagnostics[0].code, Code::FrontMatterSyntax);
            assert_eq!(at(text, &f.diagnostics[0]).0, 2);
            assert_eq!(f.meta.extra, vec![]);
        }
    }

    #[test]
    fn bad_date() {
        let text = "---\ntitle: a\nms.date: 13/45/2017\n---\n";
        let f = fm(text);
        assert_eq!(f.meta.date, None);
        assert_eq!(f.diagnostics.len(), 1);
        let d = &f.diagnostics[0];
        assert_eq!(d.code, Code::FrontMatterValue);
        assert_eq!(d.severity, Severity::Error);
        assert_eq!(d.message, "`ms.date` is not a valid date: `13/45/2017`");
        assert_eq!(d.help.as_deref(), Some("write the date as MM/DD/YYYY or YYYY-MM-DD"));
        assert_eq!(slice(text, d), "13/45/2017");
        assert_eq!(at(text, d), (3, 10));
        assert_eq!(extra(&f.meta, "ms.date"), Some(&MetaValue::String("13/45/2017".into())));
        // ISO form and a quoted date are fine; an empty date is no date.
        let f = fm("---\nms.date: 2017-11-17\n---\n");
        assert_eq!(f.meta.date.map(|d| d.to_string()).as_deref(), Some("2017-11-17"));
        let f = fm("---\nms.date: \"11/17/2017\"\n---\n");
        assert_eq!(f.meta.date.map(|d| d.day), Some(17));
        let f = fm("---\nms.date:\n---\n");
        assert!(f.diagnostics.is_empty());
        assert_eq!(f.meta.date, None);
        assert!(f.meta.extra.is_empty());
        // A number is converted to text, and that is no date.
        let f = fm("---\nms.date: 2017\n---\n");
        assert_eq!(f.diagnostics[0].message, "`ms.date` is not a valid date: `2017`");
        assert_eq!(extra(&f.meta, "ms.date"), Some(&MetaValue::Int(2017)));
    }

    #[test]
    fn bad_guid() {
        let text = "---\nms.assetid: not-a-guid\n---\n";
        let f = fm(text);
        assert_eq!(f.meta.assetid, None);
        let d = &f.diagnostics[0];
        assert_eq!(d.code, Code::FrontMatterValue);
        assert_eq!(d.message, "`ms.assetid` is not a valid GUID: `not-a-guid`");
        assert_eq!(slice(text, d), "not-a-guid");
        assert_eq!(extra(&f.meta, "ms.assetid"), Some(&MetaValue::String("not-a-guid".into())));
        let f = fm("---\nms.assetid: '{CDD4801A-2FE1-4AAB-BBB6-DB5F95F972D1}'\n---\n");
        assert!(f.diagnostics.is_empty());
        assert_eq!(
            f.meta.assetid.as_ref().map(AssetGuid::as_str),
            Some("cdd4801a-2fe1-4aab-bbb6-db5f95f972d1")
        );
    }

    #[test]
    fn list_valued_title() {
        let text = "---\nauthor: x\ntitle:\n  - a\n  - b\n---\n";
        let f = fm(text);
        assert_eq!(f.meta.title, None);
        assert_eq!(f.meta.author.as_deref(), Some("x"));
        assert_eq!(f.diagnostics.len(), 1);
        let d = &f.diagnostics[0];
        assert_eq!(d.code, Code::FrontMatterValue);
        assert_eq!(d.message, "`title` must be a string, found a list");
        assert_eq!(at(text, d), (3, 1));
        assert_eq!(slice(text, d), "title");
        assert_eq!(
            extra(&f.meta, "title"),
            Some(&MetaValue::List(vec![MetaValue::String("a".into()), MetaValue::String("b".into())]))
        );
        let f = fm("---\ndescription: {a: 1}\n---\n");
        assert_eq!(f.diagnostics[0].message, "`description` must be a string, found a mapping");
    }

    #[test]
    fn scalars_where_strings_are_expected() {
        let f = fm("---\nms.prod: 365\nms.service: 1.50\ntitle: true\nmanager: 0x1F\nauthor: yes\n---\n");
        assert!(f.diagnostics.is_empty(), "{:?}", f.diagnostics);
        assert_eq!(f.meta.prod.as_deref(), Some("365"));
        // Written text is kept, not the number's canonical form.
        assert_eq!(f.meta.service.as_deref(), Some("1.50"));
        assert_eq!(f.meta.title.as_deref(), Some("true"));
        assert_eq!(f.meta.manager.as_deref(), Some("0x1F"));
        assert_eq!(f.meta.author.as_deref(), Some("yes"));
        // Unknown keys keep YAML's types; `yes` and `012` stay strings.
        let f = fm("---\na: 365\nb: 1.5\nc: false\nd: yes\ne: 012\nf: ~\ng: .inf\n---\n");
        assert_eq!(
            f.meta.extra,
            vec![
                ("a".into(), MetaValue::Int(365)),
                ("b".into(), MetaValue::Float(1.5)),
                ("c".into(), MetaValue::Bool(false)),
                ("d".into(), MetaValue::String("yes".into())),
                ("e".into(), MetaValue::String("012".into())),
                ("f".into(), MetaValue::Null),
                ("g".into(), MetaValue::String(".inf".into())),
            ]
        );
    }

    #[test]
    fn duplicate_keys_keep_the_last() {
        let text = "---\ntitle: first\nauthor: x\ntitle: second\n---\n";
        let f = fm(text);
        assert_eq!(f.meta.title.as_deref(), Some("second"));
        assert_eq!(f.diagnostics.len(), 1);
        let d = &f.diagnostics[0];
        assert_eq!(d.code, Code::FrontMatterValue);
        assert_eq!(d.severity, Severity::Warning);
        assert_eq!(d.message, "duplicate front matter key `title`");
        assert_eq!(at(text, d), (4, 1));
        assert_eq!(slice(text, d), "title");
        assert_eq!(d.secondary.len(), 1);
        let first = d.secondary[0].span;
        assert_eq!(source(text).line_col(first.start as usize), LineCol { line: 2, col: 1 });

        // In extra: one entry, at the first position, with the last value.
        let f = fm("---\nx: 1\ny: 2\nx: 3\n---\n");
        assert_eq!(f.meta.extra, vec![("x".into(), MetaValue::Int(3)), ("y".into(), MetaValue::Int(2))]);
        // Nested mappings too.
        let f = fm("---\nx:\n  a: 1\n  a: 2\n---\n");
        assert_eq!(f.diagnostics.len(), 1);
        assert_eq!(f.meta.extra, vec![("x".into(), MetaValue::Map(vec![("a".into(), MetaValue::Int(2))]))]);
    }

    #[test]
    fn billion_laughs_is_bounded() {
        let mut yaml =
            String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 9].join(",");
            yaml.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
        }
        let text = format!("---\n{yaml}---\nbody\n");
        // Expanded, this is 9^9 strings: returning at all shows the alias budget holds.
        let f = fm(&text);
        assert_eq!(f.diagnostics.len(), 1, "{:?}", f.diagnostics);
        let d = &f.diagnostics[0];
        assert_eq!(d.code, Code::FrontMatterSyntax);
        assert!(d.message.contains("exceeds kbc's limits"), "{}", d.message);
        assert!(at(&text, d).0 > 1);
        assert_eq!(f.meta.extra, vec![]);
        assert_eq!(&text[f.body_start..], "body\n");
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let text = format!("---\nx: {}{}\n---\n", "[".repeat(5000), "]".repeat(5000));
        let f = fm(&text);
        assert_eq!(f.diagnostics.len(), 1);
        assert_eq!(f.diagnostics[0].code, Code::FrontMatterSyntax);
        let mut text = String::from("---\nx:\n");
        for i in 1..200 {
            text.push_str(&format!("{}k:\n", " ".repeat(i)));
        }
        text.push_str("---\n");
        let f = fm(&text);
        assert_eq!(f.diagnostics.len(), 1);
        assert_eq!(f.diagnostics[0].code, Code::FrontMatterSyntax);
    }

    #[test]
    fn keywords_variants() {
        let f = fm("---\nkeywords: a, b, c\n---\n");
        assert_eq!(f.meta.keywords, vec!["a, b, c".to_string()]);
        let f = fm("---\nf1_keywords:\n- x\n- 42\n- ~\nf1.keywords: [y, x]\nf1keywords: None\n---\n");
        assert!(f.diagnostics.is_empty(), "{:?}", f.diagnostics);
        assert_eq!(f.meta.keywords, vec!["x", "42", "y", "None"]);
        assert!(f.meta.extra.is_empty());
        let f = fm("---\nkeywords: {a: b}\n---\n");
        assert_eq!(f.diagnostics[0].code, Code::FrontMatterValue);
        assert_eq!(
            f.diagnostics[0].message,
            "`keywords` must be a string or a list of strings, found a mapping"
        );
        assert!(f.meta.keywords.is_empty());
        assert!(extra(&f.meta, "keywords").is_some());
        let f = fm("---\nkeywords: [[a]]\n---\n");
        assert_eq!(f.diagnostics.len(), 1);
    }

    #[test]
    fn other_keys_and_aliases() {
        let text = "---\nROBOTS: NOINDEX, NOFOLLOW\naudience: admin\nms.localizationpriority: high\nlocale: zh-cn\nredirect_url: /x\nms.collection:\n- a\n- b\nms.reviewer: sonua, shalenc\n---\n";
        let f = fm(text);
        assert!(f.diagnostics.is_empty());
        let m = &f.meta;
        assert_eq!(m.robots.as_deref(), Some("NOINDEX, NOFOLLOW"));
        assert_eq!(m.audience.as_deref(), Some("admin"));
        assert_eq!(m.localization_priority.as_deref(), Some("high"));
        assert_eq!(m.locale.as_deref(), Some("zh-cn"));
        assert_eq!(m.redirect_url.as_deref(), Some("/x"));
        let keys: Vec<&str> = m.extra.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["ms.collection", "ms.reviewer"]);
        assert_eq!(fm("---\nrobots: x\n---\n").meta.robots.as_deref(), Some("x"));
        assert_eq!(fm("---\nRobots: x\n---\n").meta.robots.as_deref(), Some("x"));
        // Non-string keys are kept as written.
        let f = fm("---\n2017: x\n---\n");
        assert_eq!(f.meta.extra, vec![("2017".into(), MetaValue::String("x".into()))]);
    }

    #[test]
    fn never_panics_on_odd_input() {
        let cases = [
            "---\n: x\n---\n",
            "---\n? [a, b]\n: c\n---\n",
            "---\na: *nope\n---\n",
            "---\n&a x: *a\n---\n",
            "---\na: !!binary aGVsbG8=\nb: !custom x\n---\n",
            "---\na: 99999999999999999999999\n---\n",
            "---\na: |\n  x\n...\n",
            "---\n\u{feff}a: 1\n---\n",
            "---\n\"\\u\n---\n",
            "---\n%YAML 1.2\n---\n",
            "---\n<<: {title: a}\n---\n",
            "---\r---\r\n",
            "---\n\0\n---\n",
        ];
        for text in cases {
            let f = fm(text);
            assert!(f.body_start <= text.len());
            assert!(text.is_char_boundary(f.body_start));
            for d in &f.diagnostics {
                let r = d.span.expect("span").range();
                assert!(r.end <= text.len() && text.get(r).is_some(), "{text:?}: {d:?}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_input_never_panics(body in "[-:.\\[\\]{}&*!|>'\"#,?~ a-c0-9\\t\\r\\n中]{0,80}") {
            let text = format!("---\n{body}\n---\nrest");
            let f = fm(&text);
            proptest::prop_assert!(text.is_char_boundary(f.body_start));
            for d in &f.diagnostics {
                let r = d.span.expect("span").range();
                proptest::prop_assert!(text.get(r).is_some());
            }
        }
    }

    /// Every Markdown file of the development corpus: no panic; diagnostics printed for review.
    #[test]
    fn corpus_does_not_panic() {
        let root = env!("CARGO_MANIFEST_DIR");
        let dir = [format!("{root}/../../shared/corpus/dev"), format!("{root}/../shared/corpus/dev")]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.is_dir());
        let Some(dir) = dir else {
            eprintln!("corpus not found, skipped");
            return;
        };
        let mut files = 0;
        let mut with_front_matter = 0;
        for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
            let Ok(entry) = entry else { continue };
            if entry.path().extension().and_then(|e| e.to_str()) != Some("md") {
                continue;
            }
            let Ok(bytes) = std::fs::read(entry.path()) else {
                continue;
            };
            let Ok(text) = String::from_utf8(bytes) else {
                continue;
            };
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            files += 1;
            let f = fm(text);
            if f.meta.span.is_some() {
                with_front_matter += 1;
            }
            let src = source(text);
            for d in &f.diagnostics {
                let lc = d.span.map(|s| src.line_col(s.start as usize));
                let rel = entry.path().strip_prefix(&dir).unwrap_or(entry.path());
                eprintln!(
                    "{}:{}:{}: {}[{}]: {}",
                    rel.display(),
                    lc.map_or(0, |l| l.line),
                    lc.map_or(0, |l| l.col),
                    d.severity,
                    d.code,
                    d.message
                );
            }
        }
        eprintln!("{files} files, {with_front_matter} with front matter");
        assert!(files > 0);
    }
}
