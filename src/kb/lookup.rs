//! Error-message lookup: the text a user pasted, to the troubleshooting entries that explain it.
//!
//! The query is normalised like the entries' `match_key` (NFKC, case folding, CJK punctuation
//! folded, white space collapsed) and again without punctuation (`text::loose_key`), then every
//! entry is placed in the best tier it reaches:
//!
//! 1. `exact`: the same match key;
//! 2. `normalized`: the same text once punctuation and spacing are ignored;
//! 3. `prefix`: the query starts the entry's message (a truncated paste);
//! 4. `contains`: the query is inside the message;
//! 5. `within`: the message is inside the query (a whole log line pasted);
//! 6. `words`: shared words and CJK bigrams, weighted by rarity.
//!
//! Within a tier, the closer the lengths (or the higher the word score), the better; then error
//! messages before symptoms before causes, then content order. So the ranking is total and stable.

use super::text::{chars, loose_key, tokens};
use super::{EntryKind, Kb, QueryError, locale_matches};
use crate::render::json::{match_key, types};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// How an entry matched the query, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The same match key.
    Exact,
    /// The same text, ignoring punctuation and spacing.
    Normalized,
    /// The query is the beginning of the message.
    Prefix,
    /// The query is part of the message.
    Contains,
    /// The message is part of the query.
    Within,
    /// Shared words (or Chinese character pairs).
    Words,
}

/// One ranked troubleshooting entry.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LookupHit {
    /// 1 for the best.
    pub rank: u32,
    #[serde(rename = "match")]
    pub match_kind: MatchKind,
    /// How well the entry matched within its kind of match, from 0 to 1.
    pub score: f64,
    /// The entry's article as an MCP resource (`kb://<locale>/<source path>`).
    pub resource: String,
    /// The entry, as in `api/v1/troubleshooting.jsonl`.
    #[schemars(with = "types::TroubleshootingEntry")]
    pub entry: Value,
}

/// `lookup_error`: the entries that match an error message, best first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LookupOutput {
    /// The message as given.
    pub query: String,
    /// The message normalised like `match_key`.
    pub match_key: String,
    pub results: Vec<LookupHit>,
}

/// Below this share of the query's (rarity-weighted) tokens, a word match is noise.
const MIN_RECALL: f64 = 0.3;
/// A message shorter than this (in characters) is not looked for inside a longer query: `错误`
/// inside every pasted line would be noise.
const MIN_WITHIN: usize = 4;

/// Ranks the troubleshooting entries for `message`, best first, at most `limit`.
pub fn lookup(
    kb: &Kb,
    message: &str,
    locale: Option<&str>,
    limit: usize,
) -> Result<LookupOutput, QueryError> {
    let key = match_key(message);
    let loose = loose_key(message);
    if loose.is_empty() {
        return Err(QueryError(
            "the message is empty (or only punctuation): paste the error text the user sees".into(),
        ));
    }
    let query_tokens: BTreeSet<String> = tokens(message).into_iter().collect();
    let idf = idf(kb);
    let weight = |t: &String| idf.get(t.as_str()).copied().unwrap_or(MAX_IDF);
    let query_weight: f64 = query_tokens.iter().map(weight).sum();
    let qlen = chars(&loose);

    let mut hits: Vec<(MatchKind, f64, u8, usize)> = Vec::new();
    for (i, e) in kb.entries.iter().enumerate() {
        if !locale_matches(locale, &e.locale) || e.loose.is_empty() {
            continue;
        }
        let elen = chars(&e.loose);
        let ratio = |a: usize, b: usize| a as f64 / b.max(1) as f64;
        let found = if e.match_key == key {
            Some((MatchKind::Exact, 1.0))
        } else if e.loose == loose {
            Some((MatchKind::Normalized, 1.0))
        } else if e.loose.starts_with(&loose) {
            Some((MatchKind::Prefix, ratio(qlen, elen)))
        } else if e.loose.contains(&loose) {
            Some((MatchKind::Contains, ratio(qlen, elen)))
        } else if elen >= MIN_WITHIN && loose.contains(&e.loose) {
            Some((MatchKind::Within, ratio(elen, qlen)))
        } else {
            words(&query_tokens, query_weight, &e.tokens, &weight).map(|s| (MatchKind::Words, s))
        };
        if let Some((kind, score)) = found {
            hits.push((kind, score, kind_order(e.kind), i));
        }
    }
    hits.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3)));
    let results = hits
        .into_iter()
        .take(limit)
        .enumerate()
        .map(|(n, (match_kind, score, _, i))| LookupHit {
            rank: n as u32 + 1,
            match_kind,
            score: round(score),
            resource: kb.articles[kb.entries[i].article].uri.clone(),
            entry: kb.entries[i].value.clone(),
        })
        .collect();
    Ok(LookupOutput { query: message.to_string(), match_key: key, results })
}

/// Error messages are what users paste; a cause with the same words is a weaker answer.
fn kind_order(kind: EntryKind) -> u8 {
    match kind {
        EntryKind::ErrorMessage => 0,
        EntryKind::Symptom => 1,
        EntryKind::Cause => 2,
        EntryKind::Other => 3,
    }
}

/// Weight of a token no entry has.
const MAX_IDF: f64 = 8.0;

/// Inverse document frequency of each entry token (entries as documents).
fn idf(kb: &Kb) -> BTreeMap<&str, f64> {
    let mut df: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &kb.entries {
        let unique: BTreeSet<&str> = e.tokens.iter().map(String::as_str).collect();
        for t in unique {
            *df.entry(t).or_default() += 1;
        }
    }
    let n = kb.entries.len() as f64;
    df.into_iter().map(|(t, d)| (t, (1.0 + (n - d as f64 + 0.5) / (d as f64 + 0.5)).ln())).collect()
}

/// Weighted Dice coefficient of the query's and the entry's tokens, when enough of the query is
/// found.
fn words(
    query: &BTreeSet<String>,
    query_weight: f64,
    entry: &[String],
    weight: &impl Fn(&String) -> f64,
) -> Option<f64> {
    if query.is_empty() || query_weight <= 0.0 {
        return None;
    }
    let entry: BTreeSet<&String> = entry.iter().collect();
    let shared: f64 = query.iter().filter(|t| entry.contains(t)).map(weight).sum();
    let entry_weight: f64 = entry.iter().map(|t| weight(t)).sum();
    let recall = shared / query_weight;
    if recall < MIN_RECALL || entry_weight <= 0.0 {
        return None;
    }
    let precision = shared / entry_weight;
    Some(2.0 * precision * recall / (precision + recall))
}

/// Scores with four decimals, so the output does not show float noise.
fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    fn entry(n: usize, kind: &str, text: &str) -> Value {
        json!({
            "id": format!("zh-CN/a#s:{n}"),
            "article_id": "zh-CN/a",
            "locale": if text.is_ascii() { "en-US" } else { "zh-CN" },
            "kind": kind,
            "text": text,
            "match_key": match_key(text),
        })
    }

    fn kb(entries: &[(&str, &str)]) -> Kb {
        let troubleshooting: Vec<Value> =
            entries.iter().enumerate().map(|(n, (kind, text))| entry(n, kind, text)).collect();
        let article = json!({
            "id": "zh-CN/a", "locale": "zh-CN", "title": "A", "topic": "troubleshooting", "source_path": "a.md",
            "urls": {"html": "a.html", "md": "a.md", "json": "api/v1/articles/zh-CN/a.json"},
            "sections": [], "troubleshooting": troubleshooting,
        });
        let manifest = json!({"title": null, "site_url": null, "articles": [{"id": "zh-CN/a"}]});
        Kb::from_values(Path::new("test"), manifest, vec![(article, String::new())], Vec::new()).unwrap()
    }

    fn ranked(kb: &Kb, q: &str) -> Vec<(String, MatchKind)> {
        lookup(kb, q, None, 10)
            .unwrap()
            .results
            .into_iter()
            .map(|h| (h.entry["text"].as_str().unwrap().to_string(), h.match_kind))
            .collect()
    }

    #[test]
    fn tiers_rank_exact_then_prefix_then_words() {
        let kb = kb(&[
            ("cause", "获得登录所需的个人证书时出现问题"),
            ("error_message", "找不到登录地址"),
            ("error_message", "服务器暂时不可用"),
            ("error_message", "获得登录所需的个人证书时出现问题"),
            ("error_message", "找不到登录地址或服务器"),
            ("error_message", "The sign-in address was not found."),
        ]);
        let r = ranked(&kb, "找不到登录地址");
        assert_eq!(r[0], ("找不到登录地址".into(), MatchKind::Exact));
        assert_eq!(r[1], ("找不到登录地址或服务器".into(), MatchKind::Prefix));
        assert_eq!(ranked(&kb, "找不到登录地址！")[0].1, MatchKind::Exact);
        assert_eq!(ranked(&kb, "找不到 登录地址!")[0], ("找不到登录地址".into(), MatchKind::Normalized));
        // The error message comes before the cause with the same text.
        let r = lookup(&kb, "获得登录所需的个人证书时出现问题。", None, 10).unwrap();
        assert_eq!(r.results[0].entry["kind"], "error_message");
        assert_eq!(r.results[1].entry["kind"], "cause");
        assert_eq!(ranked(&kb, "暂时不可用")[0], ("服务器暂时不可用".into(), MatchKind::Contains));
        let r = ranked(&kb, "Error 0x1: The sign-in address was not found (code 42)");
        assert_eq!(r[0], ("The sign-in address was not found.".into(), MatchKind::Within));
        let r = ranked(&kb, "sign in ADDRESS not found");
        assert_eq!(r[0], ("The sign-in address was not found.".into(), MatchKind::Words));
        assert!(ranked(&kb, "完全无关的文字").is_empty());
    }

    proptest::proptest! {
        /// Whatever a user pastes, the queries answer or refuse; they never panic.
        #[test]
        fn any_text_is_answered_or_refused(q in "\\PC{0,40}", locale in "[a-zA-Z-]{0,6}") {
            let kb = kb(&[("error_message", "找不到登录地址"), ("cause", "Sign-in address not found.")]);
            let _ = lookup(&kb, &q, Some(&locale), 3);
            let _ = super::super::search::search(&kb, &q, Some(&locale), Some(&q), 3);
            let _ = kb.article(&q, super::super::Format::Markdown, Some(&q));
            let _ = kb.resource(&q);
        }
    }

    #[test]
    fn locale_limit_and_empty_queries() {
        let kb = kb(&[("error_message", "找不到登录地址"), ("error_message", "address not found")]);
        assert!(lookup(&kb, "找不到登录地址", Some("en-US"), 10).unwrap().results.is_empty());
        assert_eq!(lookup(&kb, "找不到登录地址", Some("zh"), 10).unwrap().results.len(), 1);
        assert_eq!(lookup(&kb, "address", None, 0).unwrap().results.len(), 0);
        assert!(lookup(&kb, " 。！ ", None, 10).is_err());
        let a = serde_json::to_string(&lookup(&kb, "address found", None, 10).unwrap()).unwrap();
        let b = serde_json::to_string(&lookup(&kb, "address found", None, 10).unwrap()).unwrap();
        assert_eq!(a, b);
    }
}
