//! kbc's link verdicts on the dev corpus, compared with an independent second opinion
//! (`shared/corpus/dev-link-oracle.tsv`, made by a line-based script that shares no code with kbc).
//!
//! Every disagreement is listed, with the reason, in `tests/oracle-disagreements.tsv`. The test fails
//! when a disagreement appears that is not listed (kbc or the oracle changed) or a listed one is gone.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

/// A verdict class both sides can express.
fn oracle_class(verdict: &str) -> Option<&'static str> {
    Some(match verdict {
        "missing-file" => "file",
        "missing-image" => "image",
        "missing-include" => "include",
        "missing-anchor" => "anchor",
        "empty-target" => "empty",
        _ => return None,
    })
}

fn kbc_class(d: &kbc::diag::Diagnostic) -> Option<&'static str> {
    use kbc::diag::Code;
    Some(match d.code {
        Code::MissingFile | Code::MissingAbsolute => "file",
        Code::MissingImage => "image",
        Code::MissingInclude => "include",
        Code::MissingAnchor => "anchor",
        Code::EmptyLink => "empty",
        Code::LinkOutsideRoot if d.message.starts_with("include") => "include",
        Code::LinkOutsideRoot if d.message.starts_with("image") => "image",
        Code::LinkOutsideRoot => "file",
        _ => return None,
    })
}

type Key = (String, String, u32, &'static str); // root, file, line, class

fn count(map: &mut BTreeMap<Key, usize>, key: Key) {
    *map.entry(key).or_default() += 1;
}

#[test]
fn kbc_agrees_with_the_oracle_or_the_disagreement_is_explained() {
    let shared = common::shared();
    let tsv = std::fs::read_to_string(shared.join("corpus/dev-link-oracle.tsv")).expect("oracle tsv");
    let mut oracle: BTreeMap<Key, usize> = BTreeMap::new();
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (root, file, line_no, verdict) = (cols[0], cols[1], cols[2], cols[5]);
        if let Some(class) = oracle_class(verdict) {
            count(&mut oracle, (root.to_string(), file.to_string(), line_no.parse().unwrap(), class));
        }
    }
    let mut ours: BTreeMap<Key, usize> = BTreeMap::new();
    for root in common::corpus_roots() {
        let name = root.file_name().unwrap().to_string_lossy().into_owned();
        let book = common::book(&root);
        for d in &book.diagnostics {
            let (Some(class), Some(span)) = (kbc_class(d), d.span) else { continue };
            let file = &book.content.sources.get(span.file);
            // The oracle reports a link at the line where it starts.
            let line = file.line_col(span.start as usize).line;
            count(&mut ours, (name.clone(), file.rel_path.clone(), line, class));
        }
    }
    let mut found = BTreeSet::new();
    let keys: BTreeSet<&Key> = oracle.keys().chain(ours.keys()).collect();
    for key in keys {
        let (o, k) = (oracle.get(key).copied().unwrap_or(0), ours.get(key).copied().unwrap_or(0));
        if o != k {
            found.insert(format!("{}\t{}\t{}\t{}\toracle={o}\tkbc={k}", key.0, key.1, key.2, key.3));
        }
    }
    let listed_text = std::fs::read_to_string(common::repo_root().join("tests/oracle-disagreements.tsv"))
        .unwrap_or_default();
    let listed: BTreeSet<String> = listed_text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').take(6).collect::<Vec<_>>().join("\t"))
        .collect();
    let new: Vec<&String> = found.difference(&listed).collect();
    let gone: Vec<&String> = listed.difference(&found).collect();
    let totals = |m: &BTreeMap<Key, usize>| m.values().sum::<usize>();
    eprintln!(
        "oracle broken: {}, kbc broken: {}, disagreements: {}",
        totals(&oracle),
        totals(&ours),
        found.len()
    );
    assert!(
        new.is_empty() && gone.is_empty(),
        "disagreements not in tests/oracle-disagreements.tsv:\n{}\n\nlisted but no longer found:\n{}",
        new.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n"),
        gone.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
}
