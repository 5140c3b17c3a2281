//! Raw HTML from content: links rewritten, anchors made ids, then cleaned by an allowlist.
//!
//! Three steps, each over one fragment:
//! 1. [`rewrite`] (before sanitizing) rewrites `href`/`src` of raw tags to output URLs, gives every
//!    `<a name>` an `id`, and keeps the id of an element the allowlist drops on an empty `<span>`;
//! 2. [`Sanitizer::clean`] runs ammonia with kbc's allowlist (anchors, tables, `kbd`, `details`,
//!    iframes only from `iframe-hosts`, no script, no style, no event handlers);
//! 3. [`dedupe_ids`] (after sanitizing) drops an `id` already used earlier in the page.
//!
//! **Invariant:** no raw HTML from content reaches a page without step 2.

use crate::parse::html::{self, Tag};
use std::borrow::Cow;
use std::collections::HashSet;

/// Elements content may use. Anything else is removed, its text kept (`script` and `style` go whole).
const TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "bdi",
    "bdo",
    "blockquote",
    "br",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "iframe",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "wbr",
];

/// Attributes allowed on any element.
const GENERIC_ATTRS: &[&str] = &["id", "title", "lang", "dir"];

/// Attributes allowed on one element.
const TAG_ATTRS: &[(&str, &[&str])] = &[
    ("a", &["href", "name", "hreflang"]),
    ("img", &["src", "alt", "width", "height", "loading"]),
    ("iframe", &["src", "width", "height", "allowfullscreen", "loading"]),
    ("td", &["colspan", "rowspan"]),
    ("th", &["colspan", "rowspan", "scope"]),
    ("col", &["span"]),
    ("colgroup", &["span"]),
    ("ol", &["start", "type", "reversed"]),
    ("li", &["value"]),
    ("details", &["open"]),
    ("time", &["datetime"]),
];

/// Classes kbc's own inline markup uses; they have to survive when a block is cleaned as a whole.
const CLASSES: &[(&str, &[&str])] = &[
    ("a", &["kbc-ext", "kbc-unresolved"]),
    ("sup", &["kbc-fnref"]),
    ("img", &["kbc-unresolved"]),
    ("span", &["kbc-unresolved", "kbc-tab", "kbc-xref"]),
];

/// The configured allowlist sanitizer, built once per build and shared by every page.
pub struct Sanitizer {
    builder: ammonia::Builder<'static>,
}

impl Sanitizer {
    /// `iframe_hosts`: the hosts (lower case) whose pages may be embedded.
    pub fn new(iframe_hosts: &[String]) -> Sanitizer {
        let hosts: Vec<String> = iframe_hosts.iter().map(|h| h.to_ascii_lowercase()).collect();
        let mut builder = ammonia::Builder::empty();
        builder
            .tags(TAGS.iter().copied().collect())
            .generic_attributes(GENERIC_ATTRS.iter().copied().collect())
            .tag_attributes(TAG_ATTRS.iter().map(|(t, a)| (*t, a.iter().copied().collect())).collect())
            .allowed_classes(CLASSES.iter().map(|(t, c)| (*t, c.iter().copied().collect())).collect())
            .url_schemes(["http", "https", "mailto", "tel", "ftp"].into_iter().collect())
            .url_relative(ammonia::UrlRelative::PassThrough)
            .link_rel(None)
            .strip_comments(true)
            .clean_content_tags(["script", "style", "template", "noscript"].into_iter().collect())
            .attribute_filter(move |element, attribute, value| {
                if element == "iframe" && attribute == "src" {
                    return iframe_allowed(&hosts, value).then_some(Cow::Borrowed(value));
                }
                Some(Cow::Borrowed(value))
            });
        Sanitizer { builder }
    }

    /// The fragment with everything outside the allowlist removed.
    pub fn clean(&self, fragment: &str) -> String {
        self.builder.clean(fragment).to_string()
    }
}

pub use crate::config::iframe_allowed;

/// Escapes text for HTML content and for quoted attribute values.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Rewrites the start tags of one raw HTML piece before it is cleaned.
///
/// What becomes of one `href` or `src` value.
pub enum RawUrl {
    /// Keep it as written.
    Keep,
    /// Replace it with this output URL.
    Rewrite(String),
    /// Keep it, and mark the element `kbc-unresolved` (a broken or unchecked link).
    Unresolved,
}

/// `url_of(tag, attribute, value)` says what to do with an `href` or `src`. Every `<a name="x">`
/// without an id gets `id="x"`; an element the allowlist would drop keeps its id on an empty
/// `<span>` placed before it. Text and other tags are kept as written.
pub fn rewrite(piece: &str, mut url_of: impl FnMut(&str, &str, &str) -> RawUrl) -> String {
    let tags = html::tags(piece);
    if tags.iter().all(|t| t.closing || t.attrs.is_empty()) {
        return piece.to_string();
    }
    let mut out = String::with_capacity(piece.len() + 16);
    let mut last = 0;
    for tag in &tags {
        if tag.closing || tag.attrs.is_empty() {
            continue;
        }
        out.push_str(piece.get(last..tag.range.start).unwrap_or(""));
        last = tag.range.end;
        out.push_str(&rewrite_tag(tag, &mut url_of));
    }
    out.push_str(piece.get(last..).unwrap_or(""));
    out
}

fn rewrite_tag(tag: &Tag, url_of: &mut impl FnMut(&str, &str, &str) -> RawUrl) -> String {
    let mut out = String::new();
    let allowed = TAGS.contains(&tag.name.as_str());
    let id = tag.attr("id").and_then(|a| a.value.as_deref()).filter(|v| !v.is_empty());
    let name = tag.attr("name").and_then(|a| a.value.as_deref()).filter(|v| !v.is_empty());
    let anchor_id = id.or(if tag.name == "a" { name } else { None });
    if !allowed && let Some(id) = anchor_id {
        out.push_str(&format!("<span id=\"{}\"></span>", escape(id)));
    }
    out.push('<');
    out.push_str(&tag.name);
    let mut unresolved = false;
    for attr in &tag.attrs {
        if attr.name == "class" {
            continue;
        }
        out.push(' ');
        out.push_str(&attr.name);
        let Some(value) = &attr.value else { continue };
        let value = match attr.name.as_str() {
            "href" | "src" => match url_of(&tag.name, &attr.name, value) {
                RawUrl::Keep => Cow::Borrowed(value.as_str()),
                RawUrl::Rewrite(url) => Cow::Owned(url),
                RawUrl::Unresolved => {
                    unresolved = true;
                    Cow::Borrowed(value.as_str())
                }
            },
            _ => Cow::Borrowed(value.as_str()),
        };
        out.push_str("=\"");
        out.push_str(&escape(&value));
        out.push('"');
    }
    if unresolved {
        out.push_str(" class=\"kbc-unresolved\"");
    }
    if tag.name == "a"
        && id.is_none()
        && let Some(name) = name
    {
        out.push_str(&format!(" id=\"{}\"", escape(name)));
    }
    if tag.self_closing {
        out.push_str(" /");
    }
    out.push('>');
    out
}

/// Drops every `id` of `fragment` (cleaned HTML) that `ids` already holds, and records the others.
pub fn dedupe_ids(fragment: String, ids: &mut HashSet<String>) -> String {
    let tags = html::tags(&fragment);
    let mut dropped: Vec<std::ops::Range<usize>> = Vec::new();
    for tag in &tags {
        let Some(attr) = tag.attr("id") else { continue };
        let (Some(value), Some(range)) = (&attr.value, &attr.value_range) else { continue };
        if !ids.insert(value.clone()) {
            // ` id="value"`, as ammonia serialises it.
            let start = range.start.saturating_sub(5);
            let end = (range.end + 1).min(fragment.len());
            if fragment.get(start..range.start) == Some(" id=\"") {
                dropped.push(start..end);
            }
        }
    }
    if dropped.is_empty() {
        return fragment;
    }
    let mut out = String::with_capacity(fragment.len());
    let mut last = 0;
    for r in dropped {
        out.push_str(fragment.get(last..r.start).unwrap_or(""));
        last = r.end;
    }
    out.push_str(fragment.get(last..).unwrap_or(""));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(html: &str) -> String {
        Sanitizer::new(&["www.youtube.com".to_string()]).clean(html)
    }

    #[test]
    fn keeps_anchors_tables_and_kbd() {
        assert_eq!(clean("<a name=\"x\" id=\"x\"> </a>"), "<a name=\"x\" id=\"x\"> </a>");
        assert_eq!(
            clean("<table><tr><td colspan=2>a<br>b</td></tr></table>"),
            "<table><tbody><tr><td colspan=\"2\">a<br>b</td></tr></tbody></table>"
        );
        assert_eq!(clean("<kbd>Ctrl</kbd><sup>1</sup>"), "<kbd>Ctrl</kbd><sup>1</sup>");
        assert_eq!(
            clean("<details open><summary>s</summary>t</details>"),
            "<details open=\"\"><summary>s</summary>t</details>"
        );
    }

    #[test]
    fn removes_script_handlers_and_bad_urls() {
        assert_eq!(clean("<p onclick=\"x()\">a<script>alert(1)</script></p>"), "<p>a</p>");
        assert_eq!(clean("<a href=\"javascript:alert(1)\">x</a>"), "<a>x</a>");
        assert_eq!(clean("<style>p{}</style><font color=red>t</font>"), "t");
        assert_eq!(clean("<img src=x onerror=alert(1)>"), "<img src=\"x\">");
    }

    #[test]
    fn iframes_only_from_allowed_hosts() {
        assert_eq!(
            clean("<iframe src=\"https://www.youtube.com/embed/x\"></iframe>"),
            "<iframe src=\"https://www.youtube.com/embed/x\"></iframe>"
        );
        assert_eq!(clean("<iframe src=\"https://evil.example/x\"></iframe>"), "<iframe></iframe>");
        assert!(!iframe_allowed(&["www.youtube.com".into()], "https://www.youtube.com.evil.example/"));
        assert!(iframe_allowed(&["www.youtube.com".into()], "//WWW.YOUTUBE.COM:443/embed"));
    }

    #[test]
    fn rewrite_gives_names_ids_and_maps_urls() {
        let out = rewrite("<a name=\"__top\"> </a>", |_, _, _| RawUrl::Keep);
        assert_eq!(out, "<a name=\"__top\" id=\"__top\"> </a>");
        let out = rewrite("x <a href='a.md#b' title=\"t\">y</a>", |t, a, v| {
            assert_eq!((t, a, v), ("a", "href", "a.md#b"));
            RawUrl::Rewrite("a.html#b".into())
        });
        assert_eq!(out, "x <a href=\"a.html#b\" title=\"t\">y</a>");
        let out = rewrite("<img class=\"big\" src=\"gone.png\">", |_, _, _| RawUrl::Unresolved);
        assert_eq!(out, "<img src=\"gone.png\" class=\"kbc-unresolved\">");
        // A dropped element keeps its id.
        let out = clean(&rewrite("<font id=\"k\">t</font>", |_, _, _| RawUrl::Keep));
        assert_eq!(out, "<span id=\"k\"></span>t");
    }

    #[test]
    fn duplicate_ids_are_dropped() {
        let mut ids = HashSet::from(["a".to_string()]);
        let out = dedupe_ids("<span id=\"a\"></span><p id=\"b\">x</p><i id=\"b\"></i>".into(), &mut ids);
        assert_eq!(out, "<span></span><p id=\"b\">x</p><i></i>");
    }
}
