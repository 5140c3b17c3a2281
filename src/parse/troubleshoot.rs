//! Troubleshooting tables: header cells that mean symptom / error message / cause / resolution turn
//! the table's rows into [`TroubleshootingEntry`] values.

use super::builder::plain_text;
use crate::model::{EntryKind, Inline, LinkId, SectionId, Table, TroubleshootingEntry};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    ErrorMessage,
    Symptom,
    Cause,
    Resolution,
}

/// Header words, compared after normalisation (bold markers, colons and case removed). Chinese and
/// English, as found in DocFX troubleshooting articles.
const HEADERS: &[(&str, Role)] = &[
    ("错误消息", Role::ErrorMessage),
    ("错误信息", Role::ErrorMessage),
    ("错误", Role::ErrorMessage),
    ("错误代码", Role::ErrorMessage),
    ("错误消息或代码", Role::ErrorMessage),
    ("error message", Role::ErrorMessage),
    ("error messages", Role::ErrorMessage),
    ("error", Role::ErrorMessage),
    ("error code", Role::ErrorMessage),
    ("error codes", Role::ErrorMessage),
    ("message", Role::ErrorMessage),
    ("event id", Role::ErrorMessage),
    ("事件 id", Role::ErrorMessage),
    ("症状", Role::Symptom),
    ("问题", Role::Symptom),
    ("现象", Role::Symptom),
    ("symptom", Role::Symptom),
    ("symptoms", Role::Symptom),
    ("issue", Role::Symptom),
    ("issues", Role::Symptom),
    ("issue title", Role::Symptom),
    ("known issue", Role::Symptom),
    ("problem", Role::Symptom),
    ("可能的原因", Role::Cause),
    ("可能原因", Role::Cause),
    ("原因", Role::Cause),
    ("cause", Role::Cause),
    ("causes", Role::Cause),
    ("possible cause", Role::Cause),
    ("possible causes", Role::Cause),
    ("reason", Role::Cause),
    ("解决方法", Role::Resolution),
    ("解决方案", Role::Resolution),
    ("解决办法", Role::Resolution),
    ("解决", Role::Resolution),
    ("解析", Role::Resolution),
    ("修复", Role::Resolution),
    ("resolution", Role::Resolution),
    ("resolutions", Role::Resolution),
    ("solution", Role::Resolution),
    ("solutions", Role::Resolution),
    ("workaround", Role::Resolution),
    ("workarounds", Role::Resolution),
    ("known workaround", Role::Resolution),
    ("recommended procedure", Role::Resolution),
    ("recommended action", Role::Resolution),
    ("recommended actions", Role::Resolution),
    ("action", Role::Resolution),
    ("解决步骤", Role::Resolution),
    ("建议的操作", Role::Resolution),
    ("fix", Role::Resolution),
    ("mitigation", Role::Resolution),
    ("mitigations", Role::Resolution),
    ("缓解措施", Role::Resolution),
    ("how to fix", Role::Resolution),
    ("what to do", Role::Resolution),
];

fn normalise_header(text: &str) -> String {
    text.trim()
        .trim_matches(|c: char| c == '*' || c == '_' || c == ':' || c == '：' || c.is_whitespace())
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn role_of(header: &str) -> Option<Role> {
    let h = normalise_header(header);
    let known = |h: &str| HEADERS.iter().find(|(name, _)| *name == h).map(|&(_, role)| role);
    // `Behavior / Symptom`, `原因/解决方法`: the first part kbc knows names the column.
    // `Replication error code`: a kind of error code.
    let qualified = || {
        ["error code", "error codes", "error message", "error messages"]
            .iter()
            .any(|suffix| h.strip_suffix(suffix).is_some_and(|q| q.ends_with(' ')))
            .then_some(Role::ErrorMessage)
    };
    known(&h).or_else(|| h.split(['/', '／']).find_map(|part| known(part.trim()))).or_else(qualified)
}

/// The entries of one table, or none when its header is not a troubleshooting header.
/// A troubleshooting header has a cause or resolution column and at least two recognised columns.
pub(super) fn entries(table: &Table, index: usize, section: Option<SectionId>) -> Vec<TroubleshootingEntry> {
    let roles: Vec<Option<Role>> =
        table.header.cells.iter().map(|c| role_of(&plain_text(&c.inlines))).collect();
    let col = |r: Role| roles.iter().position(|&x| x == Some(r));
    let (msg, sym) = (col(Role::ErrorMessage), col(Role::Symptom));
    // What a row starts from comes first: a cause or resolution column before it says something
    // else (`| Action | Symptom |`: what the reader did, then what they saw).
    let first = [msg, sym].into_iter().flatten().min().unwrap_or(0);
    let after = |r: Role| roles.iter().enumerate().position(|(i, &x)| i >= first && x == Some(r));
    let (cause, res) = (after(Role::Cause), after(Role::Resolution));
    let recognised = [msg, sym, cause, res].iter().filter(|c| c.is_some()).count();
    if recognised < 2 || (cause.is_none() && res.is_none()) {
        return Vec::new();
    }
    let (kind, message_col) = match (msg, sym) {
        (Some(m), _) => (EntryKind::ErrorMessage, Some(m)),
        (None, Some(s)) => (EntryKind::Symptom, Some(s)),
        (None, None) => (EntryKind::Cause, None),
    };
    let mut out = Vec::new();
    for (row_index, row) in table.rows.iter().enumerate() {
        let cell = |c: Option<usize>| c.and_then(|c| row.cells.get(c)).map(|cell| cell.inlines.clone());
        let text =
            |i: &Option<Vec<Inline>>| i.as_ref().map(|i| collapse(&plain_text(i))).filter(|t| !t.is_empty());
        let message = cell(message_col);
        let cause_inl = cell(cause);
        let resolution = cell(res);
        let (message_text, cause_text, resolution_text) =
            (text(&message), text(&cause_inl), text(&resolution));
        if message_text.is_none() && cause_text.is_none() && resolution_text.is_none() {
            continue;
        }
        let mut resolution_links = Vec::new();
        if let Some(r) = &resolution {
            collect_links(r, &mut resolution_links);
        }
        out.push(TroubleshootingEntry {
            kind,
            message: message.filter(|_| message_text.is_some()),
            message_text,
            cause: cause_inl.filter(|_| cause_text.is_some()),
            cause_text,
            resolution: resolution.filter(|_| resolution_text.is_some()),
            resolution_text,
            resolution_links,
            procedure: None,
            section,
            group: 0,
            table: index,
            row: row_index,
            span: row.span,
        });
    }
    out
}

fn collect_links(inlines: &[Inline], out: &mut Vec<LinkId>) {
    for inline in inlines {
        match inline {
            Inline::Link { link, children, .. } => {
                out.push(*link);
                collect_links(children, out);
            }
            Inline::Strong { children, .. }
            | Inline::Emphasis { children, .. }
            | Inline::Strikethrough { children, .. } => collect_links(children, out),
            _ => {}
        }
    }
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Numbers the message groups: entries with the same message (compared case-insensitively, spaces
/// collapsed) share a group; each cause-only row is its own group.
pub(super) fn group(entries: &mut [TroubleshootingEntry]) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut next = 0;
    for e in entries {
        let key = match (&e.kind, &e.message_text) {
            (EntryKind::Cause, _) | (_, None) => None,
            (_, Some(m)) => Some(m.to_lowercase()),
        };
        e.group = match key {
            Some(k) => *seen.entry(k).or_insert_with(|| {
                next += 1;
                next - 1
            }),
            None => {
                next += 1;
                next - 1
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_headers_in_both_languages() {
        assert_eq!(role_of("**可能的原因**"), Some(Role::Cause));
        assert_eq!(role_of("Possible cause"), Some(Role::Cause));
        assert_eq!(role_of("**Error message:**"), Some(Role::ErrorMessage));
        assert_eq!(role_of("解决方法"), Some(Role::Resolution));
        assert_eq!(role_of("应用程序"), None);
        assert_eq!(role_of("Behavior / Symptom"), Some(Role::Symptom));
        assert_eq!(role_of("Known workaround"), Some(Role::Resolution));
        assert_eq!(role_of("Recommended Procedure"), Some(Role::Resolution));
        assert_eq!(role_of("Input / Output"), None);
        assert_eq!(role_of("Replication error code"), Some(Role::ErrorMessage));
        assert_eq!(role_of("Event ID"), Some(Role::ErrorMessage));
        assert_eq!(role_of("Mitigation"), Some(Role::Resolution));
        assert_eq!(role_of("Terror code"), None);
        assert_eq!(role_of("Related Knowledge Base article"), None);
    }

    /// (message, cause, resolution) of each entry of `markdown`.
    fn entries_of(markdown: &str) -> Vec<[Option<String>; 3]> {
        let (article, _, _) = crate::parse::parse_text("a.md", markdown);
        article
            .troubleshooting
            .into_iter()
            .map(|e| [e.message_text, e.cause_text, e.resolution_text])
            .collect()
    }

    #[test]
    fn what_a_row_starts_from_comes_before_its_cause_and_resolution() {
        // What the reader did, then what they saw: no cause, no resolution.
        let md = "| Action | Symptom |\n|---|---|\n| You run repadmin | Error 8240 |\n";
        assert_eq!(entries_of(md), Vec::<[Option<String>; 3]>::new());
        let md = "| Symptom | Action |\n|---|---|\n| Error 8240 | Run repadmin |\n";
        assert_eq!(entries_of(md), vec![[Some("Error 8240".into()), None, Some("Run repadmin".into())]]);
        let md = "| Replication error code | Cause | Related article |\n|---|---|---|\n| 8614 | Tombstone lifetime exceeded | KB 2020 |\n";
        assert_eq!(
            entries_of(md),
            vec![[Some("8614".into()), Some("Tombstone lifetime exceeded".into()), None]]
        );
    }
}
