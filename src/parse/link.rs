//! Classifying a link destination as written into a [`LinkTarget`].
//!
//! Pure string work: no file system, no knowledge of other articles. `resolve` later turns a
//! [`LinkTarget`] into a resolved target against the whole knowledge base.

use crate::model::{AssetGuid, LinkTarget};

/// Classifies a destination as written in Markdown (`[t](dest)`) or HTML (`href="dest"`).
pub fn classify(dest: &str) -> LinkTarget {
    let dest = dest.trim();
    if dest.is_empty() {
        return LinkTarget::Empty;
    }
    if let Some(scheme) = scheme_of(dest) {
        let lower = scheme.to_ascii_lowercase();
        return match lower.as_str() {
            "javascript" | "vbscript" | "data" => LinkTarget::Unsafe { scheme: lower },
            "mailto" => LinkTarget::Mailto { address: dest[scheme.len() + 1..].to_string() },
            "xref" => {
                let uid = &dest[scheme.len() + 1..];
                let uid = uid.split(['?', '#']).next().unwrap_or(uid);
                LinkTarget::Xref { uid: percent_decode(uid).trim().to_string() }
            }
            _ => LinkTarget::External { url: dest.to_string() },
        };
    }
    if dest.starts_with("//") {
        return LinkTarget::External { url: dest.to_string() };
    }
    let (path_and_query, fragment) = match dest.split_once('#') {
        Some((p, f)) => (p, Some(percent_decode(f))),
        None => (dest, None),
    };
    let path = path_and_query.split_once('?').map_or(path_and_query, |(p, _)| p);
    // Most paths have no backslash: decode them without a copy made first.
    let path =
        if path.contains('\\') { percent_decode(&path.replace('\\', "/")) } else { percent_decode(path) };
    if path.is_empty() {
        return match fragment {
            Some(fragment) => LinkTarget::Fragment { fragment },
            // `?query` alone: the same page.
            None => LinkTarget::Empty,
        };
    }
    if path.starts_with('/') {
        return LinkTarget::SiteAbsolute { path, fragment };
    }
    if is_markdown(&path) {
        let file_name = path.rsplit('/').next().unwrap_or(&path);
        let stem = &file_name[..file_name.len() - 3];
        if let Some(guid) = AssetGuid::parse(stem).filter(|_| !stem.starts_with('{')) {
            return LinkTarget::AssetId { guid, fragment };
        }
        return LinkTarget::Article { path, fragment };
    }
    LinkTarget::Asset { path, fragment }
}

/// `x.md`, any case of the extension.
pub fn is_markdown(path: &str) -> bool {
    path.len() > 3 && path.as_bytes()[path.len() - 3..].eq_ignore_ascii_case(b".md")
}

/// The URL scheme, if `dest` starts with one (`http:`, `mailto:`). A single letter followed by `:` is
/// a Windows drive (`C:\x`), not a scheme.
fn scheme_of(dest: &str) -> Option<&str> {
    let colon = dest.find(':')?;
    let scheme = &dest[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    if !first.is_ascii_alphabetic() || scheme.len() < 2 {
        return None;
    }
    chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')).then_some(scheme)
}

/// Decodes `%XX` escapes; invalid escapes and invalid UTF-8 results are kept as written.
pub fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frag(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn classifies_docfx_destinations() {
        assert_eq!(
            classify("cdd4801a-2fe1-4aab-bbb6-db5f95f972d1.md#__add_a_firewall"),
            LinkTarget::AssetId {
                guid: AssetGuid::parse("cdd4801a-2fe1-4aab-bbb6-db5f95f972d1").unwrap(),
                fragment: frag("__add_a_firewall")
            }
        );
        assert_eq!(
            classify("../a%20b/x.md?tabs=win#Sec"),
            LinkTarget::Article { path: "../a b/x.md".into(), fragment: frag("Sec") }
        );
        assert_eq!(classify("#__top"), LinkTarget::Fragment { fragment: "__top".into() });
        assert_eq!(
            classify("../images/a.png"),
            LinkTarget::Asset { path: "../images/a.png".into(), fragment: None }
        );
        assert_eq!(
            classify("/skype/x"),
            LinkTarget::SiteAbsolute { path: "/skype/x".into(), fragment: None }
        );
        assert_eq!(classify("https://x.y/?a#b"), LinkTarget::External { url: "https://x.y/?a#b".into() });
        assert_eq!(classify("//cdn.x/y"), LinkTarget::External { url: "//cdn.x/y".into() });
        assert_eq!(classify("JavaScript:alert(1)"), LinkTarget::Unsafe { scheme: "javascript".into() });
        assert_eq!(classify("mailto:a@b.c"), LinkTarget::Mailto { address: "a@b.c".into() });
        assert_eq!(
            classify("xref:System.Console.WriteLine(System.String)?displayProperty=nameWithType"),
            LinkTarget::Xref { uid: "System.Console.WriteLine(System.String)".into() }
        );
        assert_eq!(classify("XREF:a%60b#c"), LinkTarget::Xref { uid: "a`b".into() });
        assert_eq!(classify("  "), LinkTarget::Empty);
        assert_eq!(classify("C:\\x.md"), LinkTarget::Article { path: "C:/x.md".into(), fragment: None });
        assert_eq!(classify("a.MD"), LinkTarget::Article { path: "a.MD".into(), fragment: None });
    }

    #[test]
    fn percent_decoding_keeps_invalid_escapes() {
        assert_eq!(percent_decode("a%20b"), "a b");
        assert_eq!(percent_decode("%E4%B8%AD"), "中");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%ff"), "%ff");
    }
}
