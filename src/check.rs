//! Whole-knowledge-base checks that need every article at once, and the final severity of each
//! diagnostic under `[check]` of `book.toml`.

use crate::config::{CheckConfig, Level};
use crate::diag::{self, Code, Diagnostic, Severity, Sink};
use crate::load::{Content, Role};
use crate::model::{Anchor, Article, LinkRole};
use crate::nav::Nav;
use crate::resolve::{Resolution, Resolved};
use crate::source::{FileId, Span};
use std::collections::{BTreeMap, HashMap};

/// The checks of one article's model: duplicate anchors and `<iframe>`s from hosts not allowed.
/// They depend on nothing else, so a watch loop runs them again only for the articles that
/// changed.
pub fn check_article(article: &Article, iframe_hosts: &[String]) -> Vec<Diagnostic> {
    let mut out = Sink::new();
    duplicate_anchors(article, &mut out);
    frames(article, iframe_hosts, &mut out);
    out.into_vec()
}

/// The checks of one article's text: control characters. Run where the article is parsed, while
/// its text is at hand (a low-memory build lets it go right after).
pub fn check_text(file: FileId, text: &str) -> Vec<Diagnostic> {
    let mut out = Sink::new();
    control_characters(file, text, &mut out);
    out.into_vec()
}

/// The checks of the files that are not articles (fragments, navigation files): control
/// characters.
pub fn check_other_files(content: &Content) -> Vec<Diagnostic> {
    let mut out = Sink::new();
    for &(file, role) in &content.files {
        if role != Role::Article {
            control_characters(file, content.sources.get(file).text().unwrap_or(""), &mut out);
        }
    }
    out.into_vec()
}

/// The checks that span articles: assetids claimed twice, articles nothing reaches.
pub fn check_book(articles: &[Article], navs: &[Nav], resolution: &Resolution) -> Vec<Diagnostic> {
    let mut out = Sink::new();
    duplicate_assetids(articles, &mut out);
    orphans(articles, navs, resolution, &mut out);
    out.into_vec()
}

fn duplicate_anchors(article: &Article, out: &mut Sink) {
    let mut by_id: HashMap<&str, Vec<&Anchor>> = HashMap::new();
    for a in &article.anchors {
        by_id.entry(a.id.as_str()).or_default().push(a);
    }
    let mut groups: Vec<_> = by_id.into_iter().filter(|(_, v)| v.len() > 1).collect();
    groups.sort_by_key(|(_, v)| v[0].span);
    for (id, anchors) in groups {
        // `## <a name="x"></a>X` (and the same anchor on the line above or below) names one
        // heading twice: every link still lands on that heading, so it is not a clash.
        let first = anchors[0];
        let same_heading = |a: &Anchor| a.heading && first.heading && a.section == first.section;
        for dup in &anchors[1..] {
            if same_heading(dup) {
                continue;
            }
            out.push(
                Diagnostic::new(
                    Code::DuplicateAnchor,
                    dup.span,
                    format!("anchor `#{id}` is defined more than once"),
                )
                .with_label("defined again here")
                .with_secondary(first.span, "first defined here")
                .with_note("links to it go to the first definition"),
            );
        }
    }
}

/// An `<iframe>` from a host the configuration does not list is removed from the page.
fn frames(article: &Article, hosts: &[String], out: &mut Sink) {
    for link in article.links.iter().filter(|l| l.role == LinkRole::HtmlFrame) {
        let url = link.dest.trim();
        if crate::config::iframe_allowed(hosts, url) {
            continue;
        }
        let host = url
            .split_once("//")
            .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""))
            .filter(|h| !h.is_empty());
        let help = match host {
            Some(host) => format!(
                "to embed pages from `{host}`, add it to `iframe-hosts` under `[output.html]` in book.toml"
            ),
            None => {
                "only http(s) pages on the hosts of `[output.html] iframe-hosts` are embedded".to_string()
            }
        };
        out.push(
            Diagnostic::new(
                Code::UnsafeHtml,
                link.dest_span,
                "`<iframe>` is removed from the page: its host is not allowed",
            )
            .with_label("not in `iframe-hosts`")
            .with_help(help),
        );
    }
}

fn duplicate_assetids(articles: &[Article], out: &mut Sink) {
    let mut seen: BTreeMap<(&str, &str), &Article> = BTreeMap::new();
    for a in articles {
        let Some(guid) = &a.meta.assetid else { continue };
        match seen.get(&(guid.as_str(), a.locale.as_str())) {
            Some(first) => {
                let span = a.meta.span.unwrap_or(Span::new(a.file, 0..0));
                let first_span = first.meta.span.unwrap_or(Span::new(first.file, 0..0));
                out.push(
                    Diagnostic::new(
                        Code::DuplicateAssetid,
                        span,
                        format!(
                            "`ms.assetid: {}` is also claimed by `{}` ({})",
                            guid.as_str(),
                            first.rel_path,
                            a.locale
                        ),
                    )
                    .with_label("second claim")
                    .with_secondary(first_span, "first claim")
                    .with_note("links to `<assetid>.md` cannot tell these articles apart"),
                );
            }
            None => {
                seen.insert((guid.as_str(), a.locale.as_str()), a);
            }
        }
    }
}

/// Articles that no navigation entry and no other article links to. Only meaningful when the
/// knowledge base has navigation files; without them the folder tree is the navigation.
fn orphans(articles: &[Article], navs: &[Nav], resolution: &Resolution, out: &mut Sink) {
    if navs.is_empty() {
        return;
    }
    // A flag per article, not a set: a watch loop runs this after every edit, over every link.
    let mut reached = vec![false; articles.len()];
    let mut reach = |article: &crate::model::ArticleId| {
        if let Some(r) = reached.get_mut(article.0 as usize) {
            *r = true;
        }
    };
    for links in resolution.nav_links.iter() {
        for r in links {
            if let Resolved::Article { article, .. } = r {
                reach(article);
            }
        }
    }
    for (i, links) in resolution.links.iter().enumerate() {
        for r in links {
            if let Resolved::Article { article, .. } = r
                && article.0 as usize != i
            {
                reach(article);
            }
        }
    }
    for (i, a) in articles.iter().enumerate() {
        if reached[i] {
            continue;
        }
        let name = a.rel_path.rsplit('/').next().unwrap_or("");
        if name.eq_ignore_ascii_case("index.md") || name.eq_ignore_ascii_case("readme.md") {
            continue;
        }
        out.push(
            Diagnostic::new(
                Code::Orphan,
                Span::new(a.file, 0..0),
                format!("no navigation entry or link reaches `{}`", a.rel_path),
            )
            .with_help("add it to a TOC.md or toc.yml, or link to it from another article"),
        );
    }
}

/// Windows-1252 characters that a C1 control character usually stands for.
fn cp1252(c: char) -> Option<char> {
    Some(match c as u32 {
        0x80 => '€',
        0x82 => '‚',
        0x83 => 'ƒ',
        0x84 => '„',
        0x85 => '…',
        0x86 => '†',
        0x87 => '‡',
        0x88 => 'ˆ',
        0x89 => '‰',
        0x8A => 'Š',
        0x8B => '‹',
        0x8C => 'Œ',
        0x8E => 'Ž',
        0x91 => '‘',
        0x92 => '’',
        0x93 => '“',
        0x94 => '”',
        0x95 => '•',
        0x96 => '–',
        0x97 => '—',
        0x98 => '˜',
        0x99 => '™',
        0x9A => 'š',
        0x9B => '›',
        0x9C => 'œ',
        0x9E => 'ž',
        0x9F => 'Ÿ',
        _ => return None,
    })
}

/// Control characters: NUL (one diagnostic per file, at the first one, with the count), other C0
/// controls but tab, line feed and carriage return, DEL, and C1 controls (usually mis-decoded
/// Windows-1252).
fn control_characters(file: crate::source::FileId, text: &str, out: &mut Sink) {
    let bytes = text.as_bytes();
    let quick = |b: &u8| *b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') || *b == 0x7f || *b == 0xc2;
    if !bytes.iter().any(quick) {
        // The common case: no C0 control, DEL or C1 (C1 characters are encoded as `C2 80`..`C2 9F`).
        return;
    }
    let mut nuls = 0usize;
    let mut first_nul = None;
    for (i, c) in text.char_indices() {
        if c == '\0' {
            nuls += 1;
            first_nul.get_or_insert(i);
            continue;
        }
        let c0 = (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{7f}';
        if !c0 && !('\u{80}'..='\u{9f}').contains(&c) {
            continue;
        }
        let mut d = Diagnostic::new(
            Code::ControlCharacter,
            Span::new(file, i..i + c.len_utf8()),
            format!("text contains the control character U+{:04X}", c as u32),
        )
        .with_label("invisible control character");
        if let Some(meant) = cp1252(c) {
            d = d.with_help(format!(
                "this is usually a mis-decoded Windows-1252 `{meant}`; write `{meant}` instead"
            ));
        } else if c0 {
            d = d.with_help("remove it: most editors and pages do not show it");
        }
        out.push(d);
    }
    if let Some(at) = first_nul {
        let message = if nuls == 1 {
            "text contains a NUL byte".to_string()
        } else {
            format!("text contains {nuls} NUL bytes")
        };
        out.push(
            Diagnostic::new(Code::ControlCharacter, Span::new(file, at..at + 1), message)
                .with_label(if nuls == 1 { "NUL byte" } else { "the first NUL byte" })
                .with_note("Markdown replaces a NUL with U+FFFD (�)")
                .with_help(
                    "remove it; a file full of NUL bytes is not UTF-8 text (UTF-16, or a binary file named `.md`)",
                ),
        );
    }
}

/// Sorts, removes exact repeats (an include checked through two articles), and applies the
/// configured level of each code. Returns the diagnostics to report.
pub fn finalize(mut diags: Vec<Diagnostic>, check: &CheckConfig) -> Vec<Diagnostic> {
    diag::sort(&mut diags);
    diags.dedup_by(|a, b| a.code == b.code && a.span == b.span && a.message == b.message);
    diags.retain_mut(|d| {
        match check.rules.get(&d.code) {
            Some(Level::Allow) => return false,
            Some(Level::Warn) => d.severity = Severity::Warning,
            Some(Level::Deny) => d.severity = Severity::Error,
            None => {}
        }
        if check.deny_warnings && d.severity == Severity::Warning {
            d.severity = Severity::Error;
        }
        true
    });
    diags
}
