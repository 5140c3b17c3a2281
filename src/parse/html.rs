//! A small, tolerant scanner for tags and attributes in raw HTML fragments (the text of pulldown-cmark's
//! `Html` and `InlineHtml` events), enough to find anchors (`<a name>`, `id`) and links (`href`, `src`).
//!
//! Not a sanitizer and not a full HTML parser: it tokenizes one fragment, following the HTML tokenizer's
//! rules for tag names and attributes, without building a tree. Every function here runs in linear time,
//! never panics, and reports byte ranges into its input that lie on char boundaries.

use std::borrow::Cow;
use std::ops::Range;

/// One attribute of a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// ASCII-lowercased.
    pub name: String,
    /// Entity-decoded; `None` for an attribute written without `=`.
    pub value: Option<String>,
    /// Byte range of the raw value in the input, quotes excluded.
    pub value_range: Option<Range<usize>>,
}

/// One start or end tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// ASCII-lowercased.
    pub name: String,
    /// An end tag, `</name>`.
    pub closing: bool,
    /// Ends with `/>`.
    pub self_closing: bool,
    /// In source order. A repeated attribute name is dropped, as HTML does: the first one wins.
    pub attrs: Vec<Attr>,
    /// From `<` to just after `>`, or to the end of the input when the tag is not closed.
    pub range: Range<usize>,
}

impl Tag {
    /// The attribute called `name` (compared ASCII-case-insensitively).
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// HTML's whitespace inside tags: tab, line feed, form feed, carriage return, space.
fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

/// Remembers the last search for one needle, so that searching again from a later position costs nothing
/// until the remembered match is passed. Searches start at non-decreasing positions, so a scan that keeps
/// looking for the same terminator stays linear overall.
#[derive(Default)]
struct MemoFind {
    from: usize,
    found: Option<Option<usize>>,
}

impl MemoFind {
    fn find(&mut self, hay: &str, needle: &str, start: usize) -> Option<usize> {
        if let Some(found) = self.found
            && start >= self.from
            && found.is_none_or(|p| p >= start)
        {
            return found;
        }
        let found = hay.get(start..).and_then(|rest| rest.find(needle)).map(|p| p + start);
        self.from = start;
        self.found = Some(found);
        found
    }
}

/// Elements whose content is raw text: no tags are recognised inside until the matching end tag.
const RAW_TEXT: &[&str] = &["script", "style"];

/// All start and end tags in `html`, in order. Skips `<!-- comments -->` (an unclosed comment hides the rest),
/// `<!DOCTYPE>` and other `<!...>` declarations, `<?...?>`, `<![CDATA[...]]>`, and the content of `script`
/// and `style`. A `<` that does not start a tag is text. Never panics; linear time.
pub fn tags(html: &str) -> Vec<Tag> {
    let bytes = html.as_bytes();
    let len = bytes.len();
    let mut out = Vec::new();
    let mut gt = MemoFind::default();
    let mut i = 0;
    while i < len {
        let Some(off) = bytes.get(i..).and_then(|rest| rest.iter().position(|&b| b == b'<')) else {
            break;
        };
        let lt = i + off;
        let rest = bytes.get(lt..).unwrap_or_default();
        let next = rest.get(1).copied();
        if rest.starts_with(b"<!--") {
            // `<!-->` and `<!--->` are (empty) comments too.
            let body = lt + 4;
            if bytes.get(body) == Some(&b'>') {
                i = body + 1;
            } else if bytes.get(body..body + 2) == Some(b"->") {
                i = body + 2;
            } else {
                match html.get(body..).and_then(|r| r.find("-->")) {
                    Some(p) => i = body + p + 3,
                    None => break,
                }
            }
        } else if rest.starts_with(b"<![CDATA[") {
            match html.get(lt + 9..).and_then(|r| r.find("]]>")) {
                Some(p) => i = lt + 9 + p + 3,
                None => break,
            }
        } else if next == Some(b'!') {
            match gt.find(html, ">", lt + 2) {
                Some(p) => i = p + 1,
                None => break,
            }
        } else if next == Some(b'?') {
            // `<?...?>`: as in HTML, a bogus comment that ends at the first `>`.
            match gt.find(html, ">", lt + 2) {
                Some(p) => i = p + 1,
                None => break,
            }
        } else if next.is_some_and(|b| b.is_ascii_alphabetic()) {
            let tag = scan_tag(html, lt, lt + 1, false);
            i = tag.range.end;
            let raw = !tag.self_closing && RAW_TEXT.contains(&tag.name.as_str());
            let name = tag.name.clone();
            out.push(tag);
            if raw {
                match find_end_tag(bytes, i, &name) {
                    Some(p) => i = p,
                    None => break,
                }
            }
        } else if next == Some(b'/') && rest.get(2).is_some_and(|b| b.is_ascii_alphabetic()) {
            let tag = scan_tag(html, lt, lt + 2, true);
            i = tag.range.end;
            out.push(tag);
        } else {
            i = lt + 1;
        }
    }
    out
}

/// Position of the next `</name` (ASCII-case-insensitive) followed by whitespace, `/`, `>` or the end,
/// at or after `from`.
fn find_end_tag(bytes: &[u8], from: usize, name: &str) -> Option<usize> {
    let name = name.as_bytes();
    let mut i = from;
    while let Some(off) = bytes.get(i..).and_then(|r| r.windows(2).position(|w| w == b"</")) {
        let start = i + off;
        let after = start + 2;
        let matches_name = bytes.get(after..after + name.len()).is_some_and(|n| n.eq_ignore_ascii_case(name));
        if matches_name {
            let term = bytes.get(after + name.len()).copied();
            if term.is_none_or(|b| is_space(b) || b == b'/' || b == b'>') {
                return Some(start);
            }
        }
        i = after;
    }
    None
}

/// Scans one tag whose `<` is at `lt` and whose name starts at `name_start` (an ASCII letter).
fn scan_tag(html: &str, lt: usize, name_start: usize, closing: bool) -> Tag {
    let bytes = html.as_bytes();
    let len = bytes.len();
    let at = |i: usize| bytes.get(i).copied();

    let mut i = name_start;
    while at(i).is_some_and(|b| !is_space(b) && b != b'/' && b != b'>') {
        i += 1;
    }
    let name = html.get(name_start..i).unwrap_or_default().to_ascii_lowercase();
    let mut attrs: Vec<Attr> = Vec::new();
    let mut self_closing = false;

    let end = loop {
        while at(i).is_some_and(is_space) {
            i += 1;
        }
        let Some(b) = at(i) else { break len };
        match b {
            b'>' => break i + 1,
            b'/' => {
                if at(i + 1) == Some(b'>') {
                    self_closing = true;
                    break i + 2;
                }
                i += 1;
                continue;
            }
            _ => {}
        }
        // Attribute name: a leading `=` belongs to the name; then anything up to whitespace, `/`, `>`, `=`.
        let attr_start = i;
        i += 1;
        while at(i).is_some_and(|b| !is_space(b) && !matches!(b, b'/' | b'>' | b'=')) {
            i += 1;
        }
        let attr_name = html.get(attr_start..i).unwrap_or_default().to_ascii_lowercase();
        let mut j = i;
        while at(j).is_some_and(is_space) {
            j += 1;
        }
        let (value, value_range) = if at(j) == Some(b'=') {
            j += 1;
            while at(j).is_some_and(is_space) {
                j += 1;
            }
            let range = match at(j) {
                Some(q @ (b'"' | b'\'')) => {
                    let start = j + 1;
                    let close =
                        bytes.get(start..).and_then(|r| r.iter().position(|&b| b == q)).map(|p| start + p);
                    match close {
                        Some(c) => {
                            i = c + 1;
                            start..c
                        }
                        None => {
                            i = len;
                            start..len
                        }
                    }
                }
                _ => {
                    let start = j;
                    while at(j).is_some_and(|b| !is_space(b) && b != b'>') {
                        j += 1;
                    }
                    i = j;
                    start..j
                }
            };
            let raw = html.get(range.clone()).unwrap_or_default();
            (Some(decode_entities(raw).into_owned()), Some(range))
        } else {
            (None, None)
        };
        if !attrs.iter().any(|a| a.name == attr_name) {
            attrs.push(Attr { name: attr_name, value, value_range });
        }
    };

    Tag { name, closing, self_closing, attrs, range: lt..end }
}

/// Decodes HTML character references: common named ones (a semicolon is required), decimal `&#NN;` and hex
/// `&#xHH;` (the semicolon may be missing, as HTML allows). Numeric references to 0, surrogates or beyond
/// U+10FFFF decode to U+FFFD; 0x80–0x9F map to their Windows-1252 characters, as browsers do. Unknown named
/// references, and `&` that starts no reference, are kept as written.
pub fn decode_entities(s: &str) -> Cow<'_, str> {
    let Some(first) = s.find('&') else {
        return Cow::Borrowed(s);
    };
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    out.push_str(s.get(..first).unwrap_or_default());
    let mut i = first;
    let mut copied_to = first;
    let mut changed = false;
    while i < bytes.len() {
        if bytes.get(i) != Some(&b'&') {
            i += 1;
            continue;
        }
        if let Some((decoded, end)) = reference_at(s, i) {
            out.push_str(s.get(copied_to..i).unwrap_or_default());
            out.push_str(&decoded);
            i = end;
            copied_to = end;
            changed = true;
        } else {
            i += 1;
        }
    }
    if !changed {
        return Cow::Borrowed(s);
    }
    out.push_str(s.get(copied_to..).unwrap_or_default());
    Cow::Owned(out)
}

/// The longest named reference looked at; longer names are not references we know.
const MAX_NAME: usize = 32;

/// The reference starting with the `&` at `amp`: its text and the byte position just after it.
fn reference_at(s: &str, amp: usize) -> Option<(Cow<'static, str>, usize)> {
    let bytes = s.as_bytes();
    let at = |i: usize| bytes.get(i).copied();
    let start = amp + 1;
    if at(start) == Some(b'#') {
        let (hex, digits_start) = match at(start + 1) {
            Some(b'x' | b'X') => (true, start + 2),
            _ => (false, start + 1),
        };
        let radix = if hex { 16 } else { 10 };
        let mut i = digits_start;
        let mut value: u32 = 0;
        while let Some(d) = at(i).and_then(|b| char::from(b).to_digit(radix)) {
            // Saturate: anything this large is out of range anyway.
            value = value.saturating_mul(radix).saturating_add(d);
            i += 1;
        }
        if i == digits_start {
            return None;
        }
        if at(i) == Some(b';') {
            i += 1;
        }
        let c = numeric_char(value);
        return Some((Cow::Owned(c.to_string()), i));
    }
    let mut i = start;
    while at(i).is_some_and(|b| b.is_ascii_alphanumeric()) && i - start <= MAX_NAME {
        i += 1;
    }
    if i == start || at(i) != Some(b';') {
        return None;
    }
    let name = s.get(start..i)?;
    named_entity(name).map(|text| (Cow::Borrowed(text), i + 1))
}

/// The character a numeric reference stands for, per the HTML tokenizer.
fn numeric_char(value: u32) -> char {
    const WINDOWS_1252: [u32; 32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152,
        0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122,
        0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ];
    let value = match value {
        0 => return char::REPLACEMENT_CHARACTER,
        0x80..=0x9F => WINDOWS_1252.get((value - 0x80) as usize).copied().unwrap_or(value),
        v => v,
    };
    char::from_u32(value).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// Named references common in documentation: HTML 4's Latin-1 set, typographic punctuation, arrows, a few
/// maths and currency signs. Names are case-sensitive, as in HTML.
fn named_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        // Markup and spacing.
        "amp" | "AMP" => "&",
        "lt" | "LT" => "<",
        "gt" | "GT" => ">",
        "quot" | "QUOT" => "\"",
        "apos" => "'",
        "nbsp" => "\u{A0}",
        "ensp" => "\u{2002}",
        "emsp" => "\u{2003}",
        "thinsp" => "\u{2009}",
        "zwnj" => "\u{200C}",
        "zwj" => "\u{200D}",
        "lrm" => "\u{200E}",
        "rlm" => "\u{200F}",
        "shy" => "\u{AD}",
        "Tab" => "\t",
        "NewLine" => "\n",
        // Punctuation.
        "hellip" => "…",
        "mdash" => "—",
        "ndash" => "–",
        "lsquo" => "‘",
        "rsquo" => "’",
        "sbquo" => "‚",
        "ldquo" => "“",
        "rdquo" => "”",
        "bdquo" => "„",
        "laquo" => "«",
        "raquo" => "»",
        "lsaquo" => "‹",
        "rsaquo" => "›",
        "bull" => "•",
        "middot" => "·",
        "dagger" => "†",
        "Dagger" => "‡",
        "permil" => "‰",
        "prime" => "′",
        "Prime" => "″",
        "oline" => "‾",
        "iexcl" => "¡",
        "iquest" => "¿",
        "para" => "¶",
        "sect" => "§",
        "brvbar" => "¦",
        "uml" => "¨",
        "macr" => "¯",
        "acute" => "´",
        "cedil" => "¸",
        "ordf" => "ª",
        "ordm" => "º",
        "not" => "¬",
        "excl" => "!",
        "num" => "#",
        "dollar" => "$",
        "percnt" => "%",
        "lpar" => "(",
        "rpar" => ")",
        "ast" => "*",
        "plus" => "+",
        "comma" => ",",
        "period" => ".",
        "sol" => "/",
        "colon" => ":",
        "semi" => ";",
        "equals" => "=",
        "quest" => "?",
        "commat" => "@",
        "lsqb" | "lbrack" => "[",
        "rsqb" | "rbrack" => "]",
        "bsol" => "\\",
        "lowbar" => "_",
        "grave" => "`",
        "lcub" | "lbrace" => "{",
        "rcub" | "rbrace" => "}",
        "verbar" | "vert" => "|",
        "Hat" => "^",
        "tilde" => "˜",
        "circ" => "ˆ",
        // Symbols.
        "copy" | "COPY" => "©",
        "reg" | "REG" => "®",
        "trade" => "™",
        "deg" => "°",
        "micro" => "µ",
        "cent" => "¢",
        "pound" => "£",
        "curren" => "¤",
        "yen" => "¥",
        "euro" => "€",
        "times" => "×",
        "divide" => "÷",
        "plusmn" => "±",
        "minus" => "−",
        "le" => "≤",
        "ge" => "≥",
        "ne" => "≠",
        "asymp" => "≈",
        "equiv" => "≡",
        "infin" => "∞",
        "sum" => "∑",
        "radic" => "√",
        "frac12" => "½",
        "frac14" => "¼",
        "frac34" => "¾",
        "sup1" => "¹",
        "sup2" => "²",
        "sup3" => "³",
        "larr" => "←",
        "rarr" => "→",
        "uarr" => "↑",
        "darr" => "↓",
        "harr" => "↔",
        "lArr" => "⇐",
        "rArr" => "⇒",
        "hArr" => "⇔",
        "check" | "checkmark" => "✓",
        "cross" => "✗",
        "star" => "☆",
        "starf" => "★",
        "hearts" => "♥",
        "loz" => "◊",
        // Latin-1 letters.
        "Agrave" => "À",
        "Aacute" => "Á",
        "Acirc" => "Â",
        "Atilde" => "Ã",
        "Auml" => "Ä",
        "Aring" => "Å",
        "AElig" => "Æ",
        "Ccedil" => "Ç",
        "Egrave" => "È",
        "Eacute" => "É",
        "Ecirc" => "Ê",
        "Euml" => "Ë",
        "Igrave" => "Ì",
        "Iacute" => "Í",
        "Icirc" => "Î",
        "Iuml" => "Ï",
        "ETH" => "Ð",
        "Ntilde" => "Ñ",
        "Ograve" => "Ò",
        "Oacute" => "Ó",
        "Ocirc" => "Ô",
        "Otilde" => "Õ",
        "Ouml" => "Ö",
        "Oslash" => "Ø",
        "Ugrave" => "Ù",
        "Uacute" => "Ú",
        "Ucirc" => "Û",
        "Uuml" => "Ü",
        "Yacute" => "Ý",
        "THORN" => "Þ",
        "szlig" => "ß",
        "agrave" => "à",
        "aacute" => "á",
        "acirc" => "â",
        "atilde" => "ã",
        "auml" => "ä",
        "aring" => "å",
        "aelig" => "æ",
        "ccedil" => "ç",
        "egrave" => "è",
        "eacute" => "é",
        "ecirc" => "ê",
        "euml" => "ë",
        "igrave" => "ì",
        "iacute" => "í",
        "icirc" => "î",
        "iuml" => "ï",
        "eth" => "ð",
        "ntilde" => "ñ",
        "ograve" => "ò",
        "oacute" => "ó",
        "ocirc" => "ô",
        "otilde" => "õ",
        "ouml" => "ö",
        "oslash" => "ø",
        "ugrave" => "ù",
        "uacute" => "ú",
        "ucirc" => "û",
        "uuml" => "ü",
        "yacute" => "ý",
        "thorn" => "þ",
        "yuml" => "ÿ",
        "OElig" => "Œ",
        "oelig" => "œ",
        "Scaron" => "Š",
        "scaron" => "š",
        "Yuml" => "Ÿ",
        "fnof" => "ƒ",
        _ => return None,
    })
}

/// True when the fragment is only a line break tag: `<br>`, `<br/>`, `<br />`, `</br>`, any case, with
/// attributes or not, with surrounding whitespace or not.
pub fn is_line_break(html: &str) -> bool {
    let trimmed = html.trim_matches(|c: char| c.is_ascii() && is_space(c as u8));
    if !trimmed.starts_with('<') || !trimmed.ends_with('>') {
        return false;
    }
    // The forms docs use, without running the tokenizer.
    let b = trimmed.as_bytes();
    if [&b"<br>"[..], b"<br/>", b"<br />", b"</br>"].iter().any(|f| b.eq_ignore_ascii_case(f)) {
        return true;
    }
    if b.len() < 4 || !b[1..3].eq_ignore_ascii_case(b"br") {
        return false;
    }
    let found = tags(trimmed);
    match found.as_slice() {
        [tag] => tag.name == "br" && tag.range == (0..trimmed.len()),
        _ => false,
    }
}

/// Ids an HTML fragment defines: for each start tag, `id` of any element, and `name` of an `a` element.
/// Returns (id, byte range of the value in `html`), in source order. Empty values are skipped, and an `a`
/// whose `name` equals its `id` yields that id once.
pub fn anchor_ids(html: &str) -> Vec<(String, Range<usize>)> {
    let mut out = Vec::new();
    for tag in tags(html) {
        if tag.closing {
            continue;
        }
        let mut seen: Option<&str> = None;
        for attr in &tag.attrs {
            let wanted = attr.name == "id" || (attr.name == "name" && tag.name == "a");
            if !wanted {
                continue;
            }
            let (Some(value), Some(range)) = (&attr.value, &attr.value_range) else {
                continue;
            };
            if value.is_empty() || seen == Some(value.as_str()) {
                continue;
            }
            seen = Some(value.as_str());
            out.push((value.clone(), range.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn one(html: &str) -> Tag {
        let mut t = tags(html);
        assert_eq!(t.len(), 1, "{html:?} gave {t:?}");
        t.remove(0)
    }

    fn names(html: &str) -> Vec<String> {
        tags(html).into_iter().map(|t| format!("{}{}", if t.closing { "/" } else { "" }, t.name)).collect()
    }

    #[test]
    fn anchor_forms() {
        let html = r#"<a name="__toc323194094"> </a>"#;
        let t = tags(html);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].name, "a");
        assert!(!t[0].closing);
        assert_eq!(t[0].range, 0..25);
        assert!(t[1].closing);
        assert_eq!(t[1].range, 26..30);
        let a = t[0].attr("name").unwrap();
        assert_eq!(a.value.as_deref(), Some("__toc323194094"));
        assert_eq!(&html[a.value_range.clone().unwrap()], "__toc323194094");
        assert_eq!(anchor_ids(html), vec![("__toc323194094".to_string(), 9..23)]);

        assert_eq!(anchor_ids("<a id=x>"), vec![("x".to_string(), 6..7)]);
        assert_eq!(anchor_ids("<span id='y'>"), vec![("y".to_string(), 10..11)]);
        assert_eq!(anchor_ids(r#"<td id="z">"#), vec![("z".to_string(), 8..9)]);
        // `name` counts only on `a`.
        assert_eq!(anchor_ids(r#"<input name="q" id="i">"#), vec![("i".to_string(), 20..21)]);
        // End tags define nothing; empty values are skipped; a == id once.
        assert!(anchor_ids(r#"</a id="x"><a name="" id=''>"#).is_empty());
        assert_eq!(anchor_ids(r#"<a name="x" id="x">"#).len(), 1);
        assert_eq!(
            anchor_ids(r#"<a name="x" id="y">"#),
            vec![("x".to_string(), 9..10), ("y".to_string(), 16..17)]
        );
        // Values are decoded; the range is of the raw text.
        let html = r#"<a id="a&amp;b">"#;
        assert_eq!(anchor_ids(html), vec![("a&b".to_string(), 7..14)]);
    }

    #[test]
    fn links_and_void_tags() {
        let t = one(r#"<a href="x.md#y">"#);
        assert_eq!(t.attr("href").unwrap().value.as_deref(), Some("x.md#y"));
        let t = one(r#"<img src="a.png">"#);
        assert_eq!(t.name, "img");
        assert_eq!(t.attr("SRC").unwrap().value.as_deref(), Some("a.png"));
        let t = one("<br/>");
        assert_eq!(t.name, "br");
        assert!(t.self_closing);
        assert!(t.attrs.is_empty());
        assert_eq!(t.range, 0..5);
        let t = one(r#"<img src="a.png" />"#);
        assert!(t.self_closing);
        assert_eq!(t.attrs.len(), 1);
    }

    #[test]
    fn uppercase() {
        let t = one(r#"<A NAME="X">"#);
        assert_eq!(t.name, "a");
        assert_eq!(t.attrs[0].name, "name");
        assert_eq!(t.attrs[0].value.as_deref(), Some("X"));
        assert_eq!(anchor_ids(r#"<A NAME="X">"#), vec![("X".to_string(), 9..10)]);
        assert_eq!(one("</TD>").name, "td");
    }

    #[test]
    fn attribute_syntax() {
        let html = r#"<input disabled value = 'a b' data-x=1 checked/>"#;
        let t = one(html);
        assert!(t.self_closing);
        let got: Vec<_> = t.attrs.iter().map(|a| (a.name.as_str(), a.value.as_deref())).collect();
        assert_eq!(
            got,
            vec![("disabled", None), ("value", Some("a b")), ("data-x", Some("1")), ("checked", None),]
        );
        assert_eq!(t.attrs[0].value_range, None);
        assert_eq!(&html[t.attrs[1].value_range.clone().unwrap()], "a b");
        // Unquoted value ending at `>`; `/` inside an unquoted value belongs to it.
        let t = one("<a href=a/b.md>");
        assert_eq!(t.attrs[0].value.as_deref(), Some("a/b.md"));
        assert!(!t.self_closing);
        // `name=` with no value is an empty value.
        let t = one("<a name=>");
        assert_eq!(t.attrs[0].value.as_deref(), Some(""));
        assert_eq!(t.attrs[0].value_range, Some(8..8));
        // Repeated attributes: the first wins.
        let t = one("<a id=1 ID=2>");
        assert_eq!(t.attrs.len(), 1);
        assert_eq!(t.attr("id").unwrap().value.as_deref(), Some("1"));
        // No whitespace between attributes.
        let t = one(r#"<a id="x"name="y">"#);
        assert_eq!(t.attr("name").unwrap().value.as_deref(), Some("y"));
    }

    #[test]
    fn gt_inside_quoted_values() {
        let html = r#"<a title="a > b" id='c>d'>text</a>"#;
        let t = tags(html);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].attr("title").unwrap().value.as_deref(), Some("a > b"));
        assert_eq!(t[0].attr("id").unwrap().value.as_deref(), Some("c>d"));
        assert_eq!(&html[t[0].range.clone()], r#"<a title="a > b" id='c>d'>"#);
    }

    #[test]
    fn missing_closing_gt() {
        let html = r#"<a name="x""#;
        let t = one(html);
        assert_eq!(t.range, 0..html.len());
        assert_eq!(t.attr("name").unwrap().value.as_deref(), Some("x"));
        let t = one("<a id=x");
        assert_eq!(t.attr("id").unwrap().value.as_deref(), Some("x"));
        assert_eq!(t.range, 0..7);
        let t = one("<br");
        assert_eq!(t.name, "br");
        // Unclosed quote: the value runs to the end of the input.
        let html = r#"<a name="x>y"#;
        let t = one(html);
        assert_eq!(t.attr("name").unwrap().value.as_deref(), Some("x>y"));
        assert_eq!(t.attr("name").unwrap().value_range, Some(9..html.len()));
    }

    #[test]
    fn stray_quotes() {
        // A quote inside an unquoted value belongs to it.
        let t = one(r#"<a name=x">"#);
        assert_eq!(t.attr("name").unwrap().value.as_deref(), Some("x\""));
        // A stray quote where a name is expected is a (strange) attribute name, and scanning goes on.
        let t = one(r#"<a href="y.md" " id="z">"#);
        assert_eq!(t.attr("id").unwrap().value.as_deref(), Some("z"));
        assert_eq!(t.attr("href").unwrap().value.as_deref(), Some("y.md"));
        let t = one(r#"<a 'x' id=z>"#);
        assert_eq!(t.attr("id").unwrap().value.as_deref(), Some("z"));
    }

    #[test]
    fn text_and_skipped_constructs() {
        assert_eq!(names("a < b and c<d> 1 <2 <> </> </ x> <-->"), vec!["d"]);
        assert_eq!(names("<!-- <a id=x> --><b>"), vec!["b"]);
        assert_eq!(names("<!--><i><!---><u>"), vec!["i", "u"]);
        assert_eq!(names("<p><!-- unclosed <a id=x>"), vec!["p"]);
        assert_eq!(names("<!DOCTYPE html><html>"), vec!["html"]);
        assert_eq!(names("<?xml version=\"1.0\"?><r>"), vec!["r"]);
        assert_eq!(names("<?php echo '>' ?><s>"), vec!["s"]);
        assert_eq!(names("<![CDATA[ <a> ]]><em>"), vec!["em"]);
        assert_eq!(names("<script>if (a<b) x = '<a id=q>';</script><p>"), vec!["script", "/script", "p"]);
        assert_eq!(names("<STYLE>a<b{}</style ><i>"), vec!["style", "/style", "i"]);
        assert_eq!(names("<script>never closed <a>"), vec!["script"]);
        assert_eq!(names("<x-foo:bar>é<ü>"), vec!["x-foo:bar"]);
        assert!(anchor_ids("<!-- <a name=hidden> -->").is_empty());
    }

    #[test]
    fn entities() {
        assert!(matches!(decode_entities("plain"), Cow::Borrowed("plain")));
        assert!(matches!(decode_entities("a & b &unknown; &"), Cow::Borrowed(_)));
        assert_eq!(decode_entities("&amp;&lt;&gt;&quot;&apos;&nbsp;&copy;&reg;&trade;"), "&<>\"'\u{A0}©®™");
        assert_eq!(decode_entities("&hellip;&mdash;&ndash;&lsquo;&rsquo;&ldquo;&rdquo;"), "…—–‘’“”");
        assert_eq!(decode_entities("&#65;&#x42;&#X43;&#0068;"), "ABCD");
        assert_eq!(decode_entities("&#39s"), "'s");
        assert_eq!(decode_entities("&#0;&#xD800;&#x110000;&#99999999999999;"), "\u{FFFD}".repeat(4));
        assert_eq!(decode_entities("&#150;&#x80;"), "–€");
        assert_eq!(decode_entities("&#x1F600;"), "😀");
        assert_eq!(decode_entities("&#;&#x;&#xg;"), "&#;&#x;&#xg;");
        assert_eq!(decode_entities("&foo; &Amp; &amp"), "&foo; &Amp; &amp");
        assert_eq!(decode_entities("a&amp;b&eacute;c"), "a&béc");
        assert_eq!(decode_entities("x.md?a=1&copy=2"), "x.md?a=1&copy=2");
        assert_eq!(decode_entities("中文&amp;中文"), "中文&中文");
    }

    #[test]
    fn line_breaks() {
        for yes in ["<br>", "<br/>", "<br />", "</br>", "<BR>", "<Br/>", " <br>\n", "<br clear=all>"] {
            assert!(is_line_break(yes), "{yes:?}");
        }
        for no in ["", "br", "<br><br>", "<br>x", "x<br>", "<bra>", "<b>", "<br", "<!-- <br> -->"] {
            assert!(!is_line_break(no), "{no:?}");
        }
    }

    fn check_ranges(html: &str) {
        for tag in tags(html) {
            assert!(tag.range.start < tag.range.end && tag.range.end <= html.len());
            assert!(html.is_char_boundary(tag.range.start) && html.is_char_boundary(tag.range.end));
            assert_eq!(html.as_bytes()[tag.range.start], b'<');
            for attr in &tag.attrs {
                if let Some(r) = &attr.value_range {
                    assert!(r.start <= r.end && r.end <= html.len());
                    assert!(tag.range.start <= r.start && r.end <= tag.range.end);
                    assert!(html.is_char_boundary(r.start) && html.is_char_boundary(r.end));
                }
            }
        }
        for (_, r) in anchor_ids(html) {
            assert!(r.end <= html.len() && html.is_char_boundary(r.start) && html.is_char_boundary(r.end));
        }
        let _ = decode_entities(html);
        let _ = is_line_break(html);
    }

    fn htmlish() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "<",
            ">",
            "</",
            "/>",
            "<a",
            "<A ",
            "<br",
            "<!--",
            "-->",
            "<!",
            "<?",
            "?>",
            "<![CDATA[",
            "]]>",
            "<script>",
            "</script",
            "=",
            "\"",
            "'",
            " ",
            "\n",
            "id",
            "name",
            "&",
            "&amp;",
            "&#",
            "&#x",
            "x",
            "1",
            ";",
            "é",
            "中",
            "😀",
            "\u{0}",
        ]);
        prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_strings(s in any::<String>()) {
            check_ranges(&s);
        }

        #[test]
        fn never_panics_on_htmlish_strings(s in htmlish()) {
            check_ranges(&s);
        }
    }

    #[test]
    fn linear_on_pathological_input() {
        // Each of these would be quadratic with a naive "search to the end" per `<`: some 10^10
        // steps, a test that does not finish, where the linear scanner takes milliseconds.
        let n = 200_000;
        for unit in ["<?>", "<!", "<a", "&#", "&amp", "</", "<a id=\""] {
            check_ranges(&unit.repeat(n / unit.len()));
        }
    }
}
