//! The fast path: front matter in the common subset of YAML, read line by line.
//!
//! The subset is a block mapping of lines at column 0 `key: value` or `key:`, where a value is a
//! one-line plain scalar, a one-line single-quoted scalar, or a one-line double-quoted scalar
//! without escapes; after `key:`, a list of `- item` lines (all at one indentation) whose items are
//! such scalars or empty. Blank lines, comment lines and `# comments` after values are allowed.
//!
//! Anything else returns `None` and serde-saphyr reads the block: flow collections, anchors,
//! aliases, tags, block scalars, multi-line scalars, escapes, tabs, control and other special
//! characters, explicit keys, directives and document markers, nested mappings, odd keys, plain
//! scalars that YAML might read as a number other than a plain decimal integer, and every line
//! this reader does not recognise. The nodes built here are those serde-saphyr builds for the same
//! text, with the same values and byte ranges, so everything after the tree is shared.

use super::{Loc, Node, Value};
use std::borrow::Cow;

/// Larger blocks go to serde-saphyr, whose budgets then apply.
const MAX_LEN: usize = 64 * 1024;
/// Longer keys go to serde-saphyr (YAML limits implicit keys to 1024 characters).
const MAX_KEY_LEN: usize = 512;

/// Whether list items may follow the last entry.
#[derive(Clone, Copy)]
enum Items {
    /// The last value is not empty.
    Closed,
    /// The last value is empty (`key:`): a list may start.
    Allowed,
    /// A list at this indentation is being read.
    Open(usize),
}

/// The root node of `yaml` (`None` when it has no entries), or `None` when the fast path does not
/// apply.
pub(super) fn read(yaml: &str) -> Option<Option<Node<'_>>> {
    let bytes = yaml.as_bytes();
    if bytes.len() > MAX_LEN {
        return None;
    }
    // Front matter has about one entry per 40 bytes.
    let mut entries: Vec<(Node<'_>, Node<'_>)> = Vec::with_capacity(bytes.len() / 32 + 1);
    let mut items = Items::Closed;
    let mut pos = 0;
    while pos < bytes.len() {
        let start = pos;
        let mut end = line_end(bytes, pos)?;
        pos = end + 1;
        if end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        let line = &bytes[start..end];
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        match line.get(indent) {
            // A blank or comment line.
            None | Some(b'#') => {}
            Some(b'-') if matches!(line.get(indent + 1), None | Some(b' ')) => {
                let (_, value) = entries.last_mut()?;
                let dash = start + indent;
                // An empty item is at the end of its line.
                let item = scalar(yaml, dash + 1, end, end)?;
                match (&mut value.value, items) {
                    (Value::List(list), Items::Open(i)) if i == indent => list.push(item),
                    (Value::Null, Items::Allowed) => {
                        // serde-saphyr puts an indented list at its first `-`, a list at column 0
                        // at its first item.
                        let at = if indent == 0 { item.referenced.start as usize } else { dash };
                        *value = node(Value::List(vec![item]), at, at);
                        items = Items::Open(indent);
                    }
                    _ => return None,
                }
            }
            Some(_) if indent > 0 => return None,
            Some(_) => {
                let (key, value, empty) = entry(yaml, start, end)?;
                items = if empty { Items::Allowed } else { Items::Closed };
                entries.push((key, value));
            }
        }
    }
    let Some(first) = entries.first() else {
        return Some(None);
    };
    let at = first.0.referenced.start as usize;
    Some(Some(node(Value::Map(entries), at, at)))
}

fn node(value: Value<'_>, start: usize, end: usize) -> Node<'_> {
    let loc = Loc::bytes(start, end);
    Node { value, referenced: loc, defined: loc }
}

/// The end of the line that starts at `start` (the index of its `\n`, or the end of the text), or
/// `None` when the line holds a tab, a lone carriage return, another control character, or a
/// character that YAML treats as a line break, byte order mark or non-character.
fn line_end(b: &[u8], start: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = start;
    loop {
        // Eight bytes at a time while they are printable ASCII (0x20..=0x7E): no byte below 0x20,
        // none with the high bit, none that becomes 0x80 when incremented.
        while let Some(chunk) = b.get(i..i + 8) {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            let w = u64::from_le_bytes(word);
            if (w.wrapping_sub(ONES * 0x20) & !w | w | w.wrapping_add(ONES)) & HIGH != 0 {
                break;
            }
            i += 8;
        }
        // Then the next (up to) eight one at a time.
        let stop = b.len().min(i + 8);
        if i == stop {
            return Some(b.len());
        }
        for j in i..stop {
            let c = b[j];
            if c == b'\n' {
                return Some(j);
            }
            if c < 0x20 && !(c == b'\r' && b.get(j + 1) == Some(&b'\n')) || c >= 0x7F && special(b, j) {
                return None;
            }
        }
        i = stop;
    }
}

/// Whether the character at `i` (a byte of 0x7F or more) is DEL, a C1 control (NEL included),
/// U+2028, U+2029, U+FEFF, U+FFFE or U+FFFF.
fn special(b: &[u8], i: usize) -> bool {
    let (c1, c2) = (b.get(i + 1).copied(), b.get(i + 2).copied());
    match b[i] {
        0x7F => true,
        0xC2 => matches!(c1, Some(0x80..=0x9F)),
        0xE2 => c1 == Some(0x80) && matches!(c2, Some(0xA8 | 0xA9)),
        0xEF => c1 == Some(0xBB) && c2 == Some(0xBF) || c1 == Some(0xBF) && matches!(c2, Some(0xBE | 0xBF)),
        _ => false,
    }
}

/// A `key: value` or `key:` line at `start..end`: the key, the value, and whether the value is empty.
fn entry(yaml: &str, start: usize, end: usize) -> Option<(Node<'_>, Node<'_>, bool)> {
    let b = &yaml.as_bytes()[start..end];
    // The key ends at the first `:` followed by a space or the end of the line.
    let colon =
        b.iter().enumerate().position(|(i, &c)| c == b':' && matches!(b.get(i + 1), None | Some(b' ')))?;
    let key = &yaml[start..start + colon];
    if !plain_key(key) {
        return None;
    }
    let key = node(Value::Str(Cow::Borrowed(key)), start, start + colon);
    let after = start + colon + 1;
    if b[colon + 1..].iter().all(|&c| c == b' ') {
        // serde-saphyr puts an empty value at the colon.
        return Some((key, node(Value::Null, start + colon, start + colon), true));
    }
    Some((key, scalar(yaml, after, end, after)?, false))
}

/// Whether `key` is a plain scalar that serde-saphyr reads as a string or as a number or boolean
/// (whose text is the key): not empty, not starting with an indicator, no comment, no trailing
/// blank, not null.
fn plain_key(key: &str) -> bool {
    let b = key.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    !(is_indicator(first)
        || matches!(first, b'~' | b'<' | b'.')
        || last == b' '
        || b.len() > MAX_KEY_LEN
        || b.windows(2).any(|w| w == b" #")
        || matches!(key, "null" | "Null" | "NULL"))
}

/// YAML's indicator characters, which cannot start a plain scalar (or can, but not here).
fn is_indicator(c: u8) -> bool {
    matches!(
        c,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

/// The scalar after an indicator (`:` or `-`) that ends at `from`, on a line ending at `end`; an
/// empty scalar is a null at `empty_at`.
fn scalar(yaml: &str, from: usize, end: usize, empty_at: usize) -> Option<Node<'_>> {
    let b = yaml.as_bytes();
    let mut i = from;
    while i < end && b[i] == b' ' {
        i += 1;
    }
    if i == end {
        return Some(node(Value::Null, empty_at, empty_at));
    }
    match b[i] {
        b'"' => double_quoted(yaml, i, end),
        b'\'' => single_quoted(yaml, i, end),
        c if is_indicator(c) => None,
        _ => plain(yaml, i, end),
    }
}

/// Whether only blanks, or blanks and a comment, follow `from`.
fn only_comment(b: &[u8], from: usize, end: usize) -> bool {
    let mut i = from;
    while i < end && b[i] == b' ' {
        i += 1;
    }
    i == end || i > from && b[i] == b'#'
}

/// `"…"` at `start`, on one line, without escapes.
fn double_quoted(yaml: &str, start: usize, end: usize) -> Option<Node<'_>> {
    let b = yaml.as_bytes();
    let close = start + 1 + b[start + 1..end].iter().position(|&c| c == b'"' || c == b'\\')?;
    if b[close] != b'"' || !only_comment(b, close + 1, end) {
        return None;
    }
    Some(node(Value::Str(Cow::Borrowed(&yaml[start + 1..close])), start, close + 1))
}

/// `'…'` at `start`, on one line, where `''` is a quote.
fn single_quoted(yaml: &str, start: usize, end: usize) -> Option<Node<'_>> {
    let b = yaml.as_bytes();
    let mut escaped = false;
    let mut i = start + 1;
    let close = loop {
        let q = i + b[i..end].iter().position(|&c| c == b'\'')?;
        if q + 1 < end && b[q + 1] == b'\'' {
            escaped = true;
            i = q + 2;
        } else {
            break q;
        }
    };
    if !only_comment(b, close + 1, end) {
        return None;
    }
    let text = &yaml[start + 1..close];
    let text = if escaped { Cow::Owned(text.replace("''", "'")) } else { Cow::Borrowed(text) };
    Some(node(Value::Str(text), start, close + 1))
}

/// A plain scalar at `start` (not a blank or an indicator), up to a comment or the end of the line.
fn plain(yaml: &str, start: usize, end: usize) -> Option<Node<'_>> {
    let b = yaml.as_bytes();
    let mut stop = end;
    for i in start + 1..end {
        match b[i] {
            b'#' if b[i - 1] == b' ' => {
                stop = i;
                break;
            }
            // `: ` would make a mapping, and so would a `:` at the end.
            b':' if i + 1 == end || b[i + 1] == b' ' => return None,
            _ => {}
        }
    }
    while b[stop - 1] == b' ' {
        stop -= 1;
    }
    let text = &yaml[start..stop];
    Some(node(typed(text)?, start, stop))
}

/// The value of a plain scalar as serde-saphyr types it, or `None` when unsure.
fn typed(s: &str) -> Option<Value<'_>> {
    let b = s.as_bytes();
    let string = Value::Str(Cow::Borrowed(s));
    Some(match b[0] {
        b'0'..=b'9' => {
            if b.iter().all(u8::is_ascii_digit) {
                if b.len() > 1 && b[0] == b'0' {
                    // `012` is an identifier (`leading_zero_numbers_as_strings`).
                    string
                } else if b.len() <= 19 {
                    Value::UInt(s.parse().ok()?)
                } else {
                    return None;
                }
            } else if maybe_number(b) {
                return None;
            } else {
                string
            }
        }
        // Perhaps a signed or fractional number, `.inf`, `.nan`, `+.inf`; `./path` is a string.
        b'+' | b'.' => match b.get(1) {
            None | Some(b'0'..=b'9' | b'.' | b'_' | b'i' | b'I' | b'n' | b'N') => return None,
            Some(_) => string,
        },
        b'~' if b.len() == 1 => Value::Null,
        b't' | b'T' | b'f' | b'F' | b'n' | b'N' => match s {
            "true" | "True" | "TRUE" => Value::Bool(true),
            "false" | "False" | "FALSE" => Value::Bool(false),
            "null" | "Null" | "NULL" => Value::Null,
            _ if s.eq_ignore_ascii_case("true")
                || s.eq_ignore_ascii_case("false")
                || s.eq_ignore_ascii_case("null") =>
            {
                return None;
            }
            _ => string,
        },
        _ => string,
    })
}

/// Whether `b`, which starts with a digit, could be a number other than plain decimal digits:
/// `0x`, `0o`, `0b` prefixes, digits with `_`, a fraction, an exponent.
fn maybe_number(b: &[u8]) -> bool {
    if b[0] == b'0' && matches!(b.get(1), Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B')) {
        return true;
    }
    let digits = |mut i: usize| {
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
        i
    };
    let mut i = digits(0);
    if i < b.len() && b[i] == b'.' {
        i = digits(i + 1);
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        i += 1;
        if i < b.len() && matches!(b[i], b'+' | b'-') {
            i += 1;
        }
        i = digits(i);
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::super::{FrontMatter, Split, parse, parse_slow, split};
    use crate::source::FileId;
    use proptest::prelude::*;

    /// Both readers, asserting that they agree; returns whether the fast path read the YAML.
    fn same(text: &str) -> bool {
        let fast: FrontMatter = parse(FileId(7), text);
        let slow = parse_slow(FileId(7), text);
        assert_eq!(fast, slow, "fast and slow paths differ on {text:?}");
        match split(text) {
            Split::Closed(block) => super::read(&text[block.yaml]).is_some(),
            _ => false,
        }
    }

    #[test]
    fn corpus_fast_equals_slow() {
        let shared = crate::test_corpus::shared_dir();
        let files = crate::test_corpus::dev_markdown();
        assert!(files.len() > 100, "{} files", files.len());
        let (mut with_front_matter, mut fast) = (0, 0);
        let mut fell_back = Vec::new();
        for (path, text) in &files {
            // As written, and with CRLF line ends.
            same(&text.replace('\n', "\r\n"));
            let took_fast = same(text);
            if matches!(split(text), Split::Closed(_)) {
                with_front_matter += 1;
                if took_fast {
                    fast += 1;
                } else {
                    fell_back.push(path.strip_prefix(&shared).unwrap_or(path).display().to_string());
                }
            }
        }
        for (_, text) in crate::test_corpus::markdown_files(&shared.join("seed")) {
            assert!(same(&text), "the seed takes the fast path");
            same(&text.replace('\n', "\r\n"));
        }
        eprintln!(
            "{} files, {with_front_matter} with front matter, {fast} read by the fast path; fell back: {fell_back:#?}",
            files.len()
        );
        // Nearly all of the corpus is in the fast path's subset.
        assert!(fast * 100 >= with_front_matter * 95, "{fast} of {with_front_matter}");
    }

    /// The inputs of the module's unit tests.
    #[test]
    fn unit_test_inputs_fast_equals_slow() {
        let mut inputs: Vec<String> = [
            "---\r\ntitle: ok\r\nms.date: 13/45/2017\r\n---\r\nbody\r\n",
            "---\r\ntitle: ok\r\nms.prod: [a\r\n---\r\n",
            "",
            "# Title\n",
            "--\n---\n",
            "--- x\ntitle: a\n---\n",
            " ---\n---\n",
            "---\ntitle: a\n\n# Heading\n",
            "---",
            "---  \r\n",
            "---  \ntitle: a\n...\t\nbody",
            "---\n---\nbody",
            "---\n\n# only a comment\n---\nbody",
            "---\n~\n---\nbody",
            "---\ntitle: a\n---",
            "---\ntitle: a\n---\n",
            "---\r\ntitle: a\r\n---\r\n",
            "---\ntitle: a\nms.topic: b: c\n---\nbody\n",
            "---\ntitle: 中文\nx: \"unterminated\n---\n",
            "---\ntitle: 中文\n\tdescription: x\n---\n",
            "---\n- a\n- b\n---\n",
            "---\njust text\n---\n",
            "---\ntitle: a\nms.date: 13/45/2017\n---\n",
            "---\nms.date: 2017-11-17\n---\n",
            "---\nms.date: \"11/17/2017\"\n---\n",
            "---\nms.date:\n---\n",
            "---\nms.date: 2017\n---\n",
            "---\nms.assetid: not-a-guid\n---\n",
            "---\nms.assetid: '{CDD4801A-2FE1-4AAB-BBB6-DB5F95F972D1}'\n---\n",
            "---\nauthor: x\ntitle:\n  - a\n  - b\n---\n",
            "---\ndescription: {a: 1}\n---\n",
            "---\nms.prod: 365\nms.service: 1.50\ntitle: true\nmanager: 0x1F\nauthor: yes\n---\n",
            "---\na: 365\nb: 1.5\nc: false\nd: yes\ne: 012\nf: ~\ng: .inf\n---\n",
            "---\ntitle: first\nauthor: x\ntitle: second\n---\n",
            "---\nx: 1\ny: 2\nx: 3\n---\n",
            "---\nx:\n  a: 1\n  a: 2\n---\n",
            "---\nkeywords: a, b, c\n---\n",
            "---\nf1_keywords:\n- x\n- 42\n- ~\nf1.keywords: [y, x]\nf1keywords: None\n---\n",
            "---\nkeywords: {a: b}\n---\n",
            "---\nkeywords: [[a]]\n---\n",
            "---\nROBOTS: NOINDEX, NOFOLLOW\naudience: admin\nms.localizationpriority: high\nlocale: zh-cn\nredirect_url: /x\nms.collection:\n- a\n- b\nms.reviewer: sonua, shalenc\n---\n",
            "---\nrobots: x\n---\n",
            "---\nRobots: x\n---\n",
            "---\n2017: x\n---\n",
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
        ]
        .map(String::from)
        .to_vec();
        let mut laughs =
            String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 9].join(",");
            laughs.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
        }
        inputs.push(format!("---\n{laughs}---\nbody\n"));
        inputs.push(format!("---\nx: {}{}\n---\n", "[".repeat(5000), "]".repeat(5000)));
        let mut deep = String::from("---\nx:\n");
        for i in 1..200 {
            deep.push_str(&format!("{}k:\n", " ".repeat(i)));
        }
        deep.push_str("---\n");
        inputs.push(deep);
        for text in &inputs {
            same(text);
        }
    }

    /// Near the edges of the subset, each one way or the other.
    #[test]
    fn edge_cases_fast_equals_slow() {
        let cases = [
            "a: b\nc: \"d\"\ne:\nf: 'it''s'\ng:\n- x\n-   y  \nh:\n  - 1\n  - \ni: 012\nj: 1.50  \nk: ~\nl: null",
            "e:   \nf: x",
            "g:\n-\n-   \n- \n-  a  \n- \"q\"  \nh:",
            "\n# c\n  # d\na: x # c\nb:    \"z\" # c\nc: 'a' \n",
            "k: \nk: 1\nk:\n- a\n",
            "a:\n\n  - x\n\n  - y\nb: x",
            "a:\n  - x\n- y\n",
            "a:\n- x\n  - y\n",
            "a: x\n  - y\n",
            "a: x\n- y\n",
            "a:\n# c\n  - x\n  # d\n- y\n",
            "a: b:c\nd: e#f\ng: h #i\nj: 'k' #l\nm: \"n\"#o\n",
            "a: x:\nb: y\n",
            "a: 'x' y\n",
            "a: \"x\" y\n",
            "a: 'x''\n",
            "a: ''''\nb: ''\nc: \"\"\n",
            "a: \"x\\\"y\"\n",
            "ms.date: 2017-11-17\nms.date: 11/17/2017\nms.assetid: CDD4801A-2FE1-4AAB-BBB6-DB5F95F972D1\n",
            "title:\n- 1\n- true\n- ~\n- null\n- 'x'\nkeywords:\n- a\n- a\n- b\n",
            "a: 0\nb: 00\nc: 1_000\nd: 0x1F\ne: 1e5\nf: 12e\ng: 1:30\nh: +1\ni: .5\nj: 18446744073709551615\nk: 9223372036854775808\nl: 1234567890123456789\n",
            "true: 1\n1.5: x\n0x1F: y\n012: z\n",
            "null: x\n",
            "~: x\n",
            "a b: c d\n",
            "中文: 值\nkey: 中文 # 注释\n",
            "a: \u{a0}x\u{a0}\nb: x\u{3000}\n",
            "a: \u{85}\n",
            "a: x\u{2028}y\n",
            "a: [b\n",
            "a: b]\nc: d}\ne: f,g\n",
            "-a: b\n",
            "a :b\n",
            "a : b\n",
            "a:\tb\n",
            "  a: b\n",
            "a: b\n  c\n",
            "a:\n  - b\n    c\n",
            "a: !x\nb: &y z\nc: *y\n",
            "--- \na: b\n",
            "...x: y\n",
            "a: ...\n",
            "<<: x\n",
            "? a\n: b\n",
            "a: - b\n",
            "a: ? b\n",
            "a: : b\n",
            "a: b\r\nc:\r\n  - d\r\n",
            "a: b\rc: d\n",
            "TRUE: x\ntrue: y\nTrue: z\ntRUE: w\n",
            "a: tRUE\nb: nULL\nc: True\nd: NULL\n",
            "a: ./x\nb: .x\nc: .5\nd: .Inf\ne: .nan\nf: ._5\ng: .\nh: +\ni: +x\nj: +.inf\nk: +1_0\nl: +0x1F\n",
        ];
        for yaml in cases {
            same(&format!("---\n{yaml}\n---\nbody\n"));
            same(&format!("---\r\n{}\r\n---\r\nbody\r\n", yaml.replace('\n', "\r\n")));
        }
        // A long key, a long block, many keys, many duplicate keys and keywords.
        for key in ["k".repeat(2000), "k".repeat(512), "k".repeat(513), "中".repeat(170), "中".repeat(400)]
        {
            same(&format!("---\n{key}: x\n---\n"));
        }
        same(&format!("---\n{}---\n", "a: b\n".repeat(20_000)));
        let many: String = (0..100).map(|i| format!("k{}: {i}\n", i % 40)).collect();
        same(&format!("---\n{many}---\n"));
        let keywords: String = (0..100).map(|i| format!("- w{}\n", i % 30)).collect();
        same(&format!("---\nkeywords:\n{keywords}---\n"));
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => prop::sample::select(vec![
                "title", "description", "author", "ms.date", "ms.assetid", "keywords", "f1.keywords",
                "ms.prod", "robots", "ms.collection", "ms.custom", "x", "y",
            ])
            .prop_map(String::from),
            1 => prop::sample::select(vec![
                "a b", "2017", "true", "null", "~", "-k", "k#", "k #x", "中文", "a:b", "\"q\"", "'q'",
                "<<", "?", ".k", "k ", "[k]", "&k", "012", "1.5", "",
            ])
            .prop_map(String::from),
            1 => "[a-z0-9:#'\" .\\-中]{1,6}",
        ]
    }

    /// A scalar, mostly in the fast path's subset.
    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => "[a-zA-Z0-9 ./,()中文]{1,16}",
            2 => "[ a-z0-9:#'\"\\-\\[\\]{}&*!|>,.~?%@`/\\\\中\u{a0}\u{3000}\u{85}\u{2028}\u{feff}]{0,12}",
            1 => "\"[ a-z:#'中\\\\]{0,8}\"",
            1 => "'[ a-z:#\"中]{0,4}('')?[ a-z]{0,4}'",
            3 => prop::sample::select(vec![
                "", " ", "true", "True", "false", "null", "NULL", "~", "yes", "012", "0", "365", "1.50",
                "1_0", "0x1F", "1e5", "-1", "+1", "+x", ".inf", ".Inf", "./x", ".x", ".5", "11/17/2017",
                "13/45/2017", "2017-11-17", "cdd4801a-2fe1-4aab-bbb6-db5f95f972d1", "not-a-guid",
                "'it''s'", "''", "\"\"", "\"a # b\"", "\"a: b\"", "'a: b'", "a # c", "a#c", "a: b", "a:",
                "C#", "x #", "\"x\" # c", "'x' #c", "\"x\"#c", "[a, b]", "{a: 1}", "&a x", "*a", "!t x",
                "|", ">", "\"\\n\"", "\"unterminated", "'unterminated", "99999999999999999999999",
                "中文 值", "\u{3000}x",
            ])
            .prop_map(String::from),
        ]
    }

    /// Blank and comment lines, which may come between any two lines.
    fn filler() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => Just(String::new()),
            1 => prop::sample::select(vec!["", " ", "  "]).prop_map(|s| format!("{s}\n")),
            1 => (prop::sample::select(vec!["", " ", "  "]), "[a-z #:]{0,6}").prop_map(|(i, c)| format!("{i}#{c}\n")),
        ]
    }

    /// A key, a separator, a scalar, an item and what may end a line, in the fast path's subset but
    /// near its edges.
    fn clean_key() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => prop::sample::select(vec![
                "title", "description", "author", "ms.date", "ms.assetid", "keywords", "f1.keywords",
                "ms.prod", "robots", "ms.collection", "ms.custom", "x", "y",
            ])
            .prop_map(String::from),
            1 => prop::sample::select(vec!["a b", "2017", "true", "1.5", "中文", "a:b", "k-1", "K_2", "a#"])
                .prop_map(String::from),
        ]
    }

    fn clean_value() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[a-zA-Z0-9 ./,()\\-中文]{1,16}",
            2 => "[a-z]{1,4}(:[a-z]{1,4})?( ?#[a-z]{0,3})?[ a-z'\"\\[\\]{},]{0,4}",
            1 => "\"[ a-z:#'中,\\[\\]]{0,8}\"",
            1 => "'[ a-z:#\"中]{0,4}('')?[ a-z]{0,4}'",
            2 => prop::sample::select(vec![
                "true", "True", "FALSE", "null", "Null", "~", "yes", "No", "012", "0", "365", "+x", "./x",
                "11/17/2017", "13/45/2017", "2017-11-17", "cdd4801a-2fe1-4aab-bbb6-db5f95f972d1",
                "{CDD4801A-2FE1-4AAB-BBB6-DB5F95F972D1}", "C#", "a#c", "x #", "''", "\"\"", "'it''s'",
                "\u{a0}x\u{a0}", "\u{3000}", "x~", "a-b", "1ada4bbc", "1:30", "1.2.3",
            ])
            .prop_map(String::from),
        ]
    }

    fn clean_end() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec!["", "", "", " ", "  ", " # c", " #"])
    }

    /// One entry (`key: value`, or `key:` and a list), as lines ending with `\n`: mostly in the
    /// subset, now and then perturbed.
    fn entry() -> impl Strategy<Value = String> {
        let clean_items = prop::collection::vec(
            prop_oneof![
                4 => (prop::sample::select(vec!["- ", "- ", "-  "]), clean_value(), clean_end(), filler())
                    .prop_map(|(d, v, t, f)| format!("{d}{v}{t}\n{f}")),
                1 => (prop::sample::select(vec!["-", "- ", "-   "]), filler()).prop_map(|(d, f)| format!("{d}\n{f}")),
            ],
            1..4,
        );
        let clean = prop_oneof![
            3 => (clean_key(), prop::sample::select(vec![": ", ":  "]), clean_value(), clean_end(), filler())
                .prop_map(|(k, s, v, t, f)| format!("{k}{s}{v}{t}\n{f}")),
            1 => (clean_key(), prop::sample::select(vec!["", " ", "  "]), filler())
                .prop_map(|(k, t, f)| format!("{k}:{t}\n{f}")),
            2 => (clean_key(), filler(), prop::sample::select(vec!["", "  ", " ", "    "]), clean_items)
                .prop_map(|(k, f, i, items)| {
                    let items: String = items.iter().map(|item| format!("{i}{item}")).collect();
                    // Comment lines inside the list are not indented.
                    format!("{k}:\n{f}{}", items.replace(&format!("{i}#"), "#"))
                }),
        ];
        let trailing = prop::sample::select(vec!["", "", "", "", " ", "  ", " # c", "#c", "\t"]);
        let sep = prop::sample::select(vec![": ", ": ", ": ", ":  ", ":", ":\t", " :", ":x"]);
        let dash = prop::sample::select(vec!["- ", "- ", "- ", "-", "-  ", "- - "]);
        let indent = prop::sample::select(vec!["", "", "  ", "  ", " ", "    "]);
        let item = (dash, value(), trailing.clone(), filler(), 0..20u8);
        let perturbed = prop_oneof![
            3 => (key(), sep, value(), trailing, filler()).prop_map(|(k, s, v, t, f)| format!("{k}{s}{v}{t}\n{f}")),
            2 => (key(), filler(), indent, prop::collection::vec(item, 0..4)).prop_map(|(k, f, i, items)| {
                let mut out = format!("{k}:\n{f}");
                for (d, v, t, f, odd) in items {
                    // Now and then an item at another indentation.
                    let i = if odd == 0 { " " } else { i };
                    out.push_str(&format!("{i}{d}{v}{t}\n{f}"));
                }
                out
            }),
            1 => "[ -~\t中]{0,16}".prop_map(|l| format!("{l}\n")),
        ];
        prop_oneof![24 => clean, 1 => perturbed]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn generated_fast_equals_slow(
            entries in prop::collection::vec(entry(), 0..12),
            crlf in any::<bool>(),
        ) {
            let mut yaml = entries.concat();
            if crlf {
                yaml = yaml.replace('\n', "\r\n");
            }
            let eol = if crlf { "\r\n" } else { "\n" };
            let text = format!("---{eol}{yaml}---{eol}body{eol}");
            let fast = parse(FileId(3), &text);
            let slow = parse_slow(FileId(3), &text);
            prop_assert_eq!(fast, slow, "{:?}", text);
        }
    }
}
