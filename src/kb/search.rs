//! BM25 over the retrieval chunks (`api/v1/chunks.jsonl`), with English words and CJK character
//! bigrams as terms (`text::tokens`), so Chinese and English queries both work offline.

use super::text::tokens;
use super::{ChunkDoc, Kb, QueryError, locale_matches, topic_matches};
use crate::render::json::types;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Okapi BM25's usual constants: term frequency saturation and length normalisation.
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// An inverted index: term → (chunk, term frequency), chunks in file order.
#[derive(Default)]
pub(crate) struct Index {
    postings: BTreeMap<String, Vec<(usize, u32)>>,
    lengths: Vec<u32>,
    average: f64,
}

impl Index {
    pub(crate) fn new(chunks: &[ChunkDoc]) -> Index {
        let mut postings: BTreeMap<String, Vec<(usize, u32)>> = BTreeMap::new();
        let mut lengths = Vec::with_capacity(chunks.len());
        for (i, c) in chunks.iter().enumerate() {
            let mut tf: BTreeMap<&str, u32> = BTreeMap::new();
            for t in &c.tokens {
                *tf.entry(t).or_default() += 1;
            }
            for (t, n) in tf {
                postings.entry(t.to_string()).or_default().push((i, n));
            }
            lengths.push(c.tokens.len() as u32);
        }
        let total: u64 = lengths.iter().map(|&l| u64::from(l)).sum();
        let average = if lengths.is_empty() { 0.0 } else { total as f64 / lengths.len() as f64 };
        Index { postings, lengths, average }
    }
}

/// One ranked chunk.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SearchHit {
    /// 1 for the best.
    pub rank: u32,
    /// The BM25 score (higher is better; comparable only within one answer).
    pub score: f64,
    /// Titles from the outermost heading down to the chunk's section.
    pub heading_path: Vec<String>,
    /// The chunk's article as an MCP resource (`kb://<locale>/<source path>`).
    pub resource: String,
    /// The chunk, as in `api/v1/chunks.jsonl`; `url` is the deep link.
    #[schemars(with = "types::Chunk")]
    pub chunk: Value,
}

/// `search_kb`: the chunks that best match the query.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SearchOutput {
    pub query: String,
    pub results: Vec<SearchHit>,
}

/// Ranks chunks for `query` by BM25, best first, at most `limit`; only chunks with at least one
/// query term. Filters by locale and by the article's `ms.topic`.
pub fn search(
    kb: &Kb,
    query: &str,
    locale: Option<&str>,
    topic: Option<&str>,
    limit: usize,
) -> Result<SearchOutput, QueryError> {
    let terms: BTreeSet<String> = tokens(query).into_iter().collect();
    if terms.is_empty() {
        return Err(QueryError(
            "the query has no words to search for: give a few words or a phrase, in Chinese or English"
                .into(),
        ));
    }
    let index = &kb.index;
    let n = index.lengths.len() as f64;
    let mut scores: BTreeMap<usize, f64> = BTreeMap::new();
    for t in &terms {
        let Some(list) = index.postings.get(t) else { continue };
        let df = list.len() as f64;
        let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        for &(i, tf) in list {
            let c = &kb.chunks[i];
            if !locale_matches(locale, &c.locale)
                || !topic_matches(topic, kb.articles[c.article].topic.as_deref())
            {
                continue;
            }
            let tf = f64::from(tf);
            let len = f64::from(index.lengths[i]);
            let norm = 1.0 - B + B * len / index.average.max(1.0);
            *scores.entry(i).or_default() += idf * tf * (K1 + 1.0) / (tf + K1 * norm);
        }
    }
    let mut ranked: Vec<(usize, f64)> = scores.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let results = ranked
        .into_iter()
        .take(limit)
        .enumerate()
        .map(|(r, (i, score))| {
            let c = &kb.chunks[i];
            SearchHit {
                rank: r as u32 + 1,
                score: (score * 10_000.0).round() / 10_000.0,
                heading_path: kb.section_heading_path(c.article, c.section_id.as_deref()),
                resource: kb.articles[c.article].uri.clone(),
                chunk: c.value.clone(),
            }
        })
        .collect();
    Ok(SearchOutput { query: query.to_string(), results })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    fn kb(chunks: &[(&str, &str, &str)]) -> Kb {
        let article = |id: &str, locale: &str, topic: &str| {
            json!({
                "id": id, "locale": locale, "title": id, "topic": topic, "source_path": format!("{id}.md"),
                "urls": {"html": "x.html", "md": "x.md", "json": "x.json"},
                "sections": [{"id": "s", "anchors": ["s"], "heading_path": ["T", "S"], "parent": null, "url": "x.html#s", "markdown": "## S"}],
            })
        };
        let manifest = json!({"articles": [{"id": "zh"}, {"id": "en"}]});
        let articles = vec![
            (article("zh", "zh-CN", "troubleshooting"), String::new()),
            (article("en", "en-US", "article"), String::new()),
        ];
        let chunks = chunks
            .iter()
            .enumerate()
            .map(|(n, (a, context, text))| {
                json!({
                    "id": format!("{a}#{n}"), "article_id": a, "locale": if *a == "zh" { "zh-CN" } else { "en-US" },
                    "section_id": "s", "context": context, "text": text,
                })
            })
            .collect();
        Kb::from_values(Path::new("test"), manifest, articles, chunks).unwrap()
    }

    #[test]
    fn bm25_ranks_chinese_and_english() {
        let kb = kb(&[
            ("zh", "登录错误", "请将 msoidsvc.exe 的防火墙项添加到代理服务器。"),
            ("zh", "登录错误", "更新 DNS 设置，然后重新登录。"),
            ("en", "Sign-in errors", "Add a firewall entry for msoidsvc.exe to your proxy server."),
            ("en", "Sign-in errors", "Update the DNS settings and sign in again."),
        ]);
        let ids = |r: SearchOutput| {
            r.results.iter().map(|h| h.chunk["id"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        };
        assert_eq!(ids(search(&kb, "防火墙 代理服务器", None, None, 10).unwrap())[0], "zh#0");
        assert_eq!(ids(search(&kb, "DNS settings", None, None, 10).unwrap())[0], "en#3");
        assert_eq!(ids(search(&kb, "DNS", Some("zh-CN"), None, 10).unwrap()), ["zh#1"]);
        assert_eq!(ids(search(&kb, "DNS", None, Some("troubleshooting"), 10).unwrap()), ["zh#1"]);
        assert_eq!(ids(search(&kb, "msoidsvc", None, None, 1).unwrap()).len(), 1);
        let hit = &search(&kb, "firewall", None, None, 10).unwrap().results[0];
        assert_eq!(hit.heading_path, ["T", "S"]);
        assert!(search(&kb, "不存在的词", None, None, 10).unwrap().results.is_empty());
        assert!(search(&kb, " ... ", None, None, 10).is_err());
    }
}
