//! One article on the wire: sections, troubleshooting entries, procedures, links.

use super::Ctx;
use super::text::{TOKENIZER, match_key, nfc, sha256_hex};
use super::types as wire;
use crate::build::WholeArticle;
use crate::model::{self, ArticleId, SectionId, SectionRef};
use crate::render::RenderError;
use crate::render::markdown::{Links, Markdown, Slotted};
use crate::resolve::Resolved;
use crate::source::{FileId, SourceFile, SourceMap, Span};
use std::collections::{BTreeMap, HashSet};

/// The article's JSON document. `twin` is its Markdown twin (for the hash and the stats), rendered
/// by `slotted`, which renders the sections too. `a` is article `id` with its content and text.
pub(super) fn article(
    cx: &Ctx<'_>,
    id: ArticleId,
    a: &WholeArticle<'_>,
    slotted: &Slotted<'_>,
    twin: &str,
) -> Result<wire::Article, RenderError> {
    let md = Markdown::new(cx.book, id, a, Links::Site);
    let lines = Lines { sources: &cx.book.content.sources, article: (a.file, a.source()) };
    Ok(wire::Article {
        schema: super::schema_url(super::ARTICLE_SCHEMA),
        id: cx.article_id(id).to_string(),
        asset_id: a.meta.assetid.as_ref().map(|g| g.as_str().to_string()),
        locale: a.locale.clone(),
        title: nfc(a.title.trim()),
        description: cx.description(id),
        topic: a.meta.topic.as_deref().map(nfc),
        date: a.meta.date.map(|d| d.to_string()),
        urls: cx.urls(id),
        source_path: a.rel_path.clone(),
        breadcrumbs: cx.parts.breadcrumbs[id.0 as usize].clone(),
        meta: meta(&a.meta),
        content_sha256: sha256_hex(twin),
        translations: cx.translations(id),
        sections: (0..a.sections.len()).map(|i| section(cx, slotted, id, SectionId(i as u32))).collect(),
        troubleshooting: entries(cx, &md, &lines)?,
        procedures: a.procedures.iter().map(|p| procedure(cx, &md, id, p)).collect(),
        links: links(cx, &md, id, &lines),
        stats: wire::Stats {
            characters: twin.chars().count() as u64,
            tokens: cx.tokens.count(twin) as u64,
            tokenizer: TOKENIZER.to_string(),
        },
    })
}

fn section(cx: &Ctx<'_>, slotted: &Slotted<'_>, id: ArticleId, sid: SectionId) -> wire::Section {
    let s = cx.outline(id).section(sid);
    let markdown = slotted.section(sid, &Links::Site);
    wire::Section {
        id: cx.section_id(id, sid).to_string(),
        anchors: s.anchors.clone(),
        level: s.level,
        title: nfc(s.title.trim()),
        heading_path: cx.heading_path(id, Some(sid)),
        parent: s.parent.map(|p| cx.section_id(id, p).to_string()),
        url: cx.section_url(id, Some(sid)),
        content_sha256: sha256_hex(&markdown),
        markdown,
    }
}

/// The article's troubleshooting rows, one entry per message group, in table order.
/// An error when an article a resolution leads to cannot be read again.
fn entries(
    cx: &Ctx<'_>,
    md: &Markdown<'_>,
    lines: &Lines<'_>,
) -> Result<Vec<wire::TroubleshootingEntry>, RenderError> {
    let (id, a) = (md.id(), md.model());
    let mut groups: BTreeMap<usize, Vec<&model::TroubleshootingEntry>> = BTreeMap::new();
    for e in &a.troubleshooting {
        groups.entry(e.group).or_default().push(e);
    }
    let mut taken = HashSet::new();
    let mut out = Vec::new();
    for rows in groups.values() {
        let Some(first) = rows.first() else { continue };
        let text = first.message_text.as_deref().or(first.cause_text.as_deref()).map(str::trim).unwrap_or("");
        if text.is_empty() {
            continue;
        }
        let key = match_key(text);
        let section_id = first.section.map_or("", |s| cx.section_id(id, s)).to_string();
        let base = format!("{}#{section_id}:{}", cx.article_id(id), &sha256_hex(&key)[..12]);
        let mut entry_id = base.clone();
        let mut n = 1;
        while !taken.insert(entry_id.clone()) {
            n += 1;
            entry_id = format!("{base}~{n}");
        }
        let causes: Vec<wire::Cause> =
            rows.iter().map(|row| cause(cx, md, row, lines)).collect::<Result<_, _>>()?;
        let mut places = vec![(id, first.section)];
        places.extend(rows.iter().filter_map(|r| r.procedure).map(|p| (p.article, Some(p.section))));
        out.push(wire::TroubleshootingEntry {
            id: entry_id,
            article_id: cx.article_id(id).to_string(),
            locale: a.locale.clone(),
            article_title: nfc(a.title.trim()),
            section_id,
            url: cx.section_url(id, first.section),
            kind: match first.kind {
                model::EntryKind::ErrorMessage => wire::EntryKind::ErrorMessage,
                model::EntryKind::Symptom => wire::EntryKind::Symptom,
                model::EntryKind::Cause => wire::EntryKind::Cause,
            },
            text: nfc(text),
            match_key: key,
            causes,
            alerts: alerts(cx, &places),
            provenance: provenance(cx, first, lines),
        });
    }
    Ok(out)
}

fn cause(
    cx: &Ctx<'_>,
    md: &Markdown<'_>,
    row: &model::TroubleshootingEntry,
    lines: &Lines<'_>,
) -> Result<wire::Cause, RenderError> {
    let procedure = row.procedure.map(|p| procedure_section(cx, md, p)).transpose()?;
    Ok(wire::Cause {
        text: row.cause_text.as_deref().map(nfc),
        markdown: row.cause.as_deref().map(|i| md.inlines(i)).filter(|m| !m.is_empty()),
        resolution: wire::Resolution {
            text: row.resolution_text.as_deref().map(nfc),
            markdown: row.resolution.as_deref().map(|i| md.inlines(i)).filter(|m| !m.is_empty()),
            procedure,
        },
        provenance: provenance(cx, row, lines),
    })
}

/// The section a resolution leads to, in the article `here` renders or in another.
fn procedure_section(
    cx: &Ctx<'_>,
    here: &Markdown<'_>,
    at: SectionRef,
) -> Result<wire::ProcedureSection, RenderError> {
    let other;
    let (a, md) = if at.article == here.id() {
        (here.model(), None)
    } else {
        other = cx.book.article(at.article)?;
        (&*other, Some(Markdown::new(cx.book, at.article, &other, Links::Site)))
    };
    let md = md.as_ref().unwrap_or(here);
    let s = a.section(at.section);
    Ok(wire::ProcedureSection {
        article_id: cx.article_id(at.article).to_string(),
        section_id: cx.section_id(at.article, at.section).to_string(),
        title: nfc(s.title.trim()),
        url: cx.section_url(at.article, Some(at.section)),
        markdown: md.blocks(&s.blocks),
        procedures: a
            .procedures
            .iter()
            .filter(|p| p.section == Some(at.section))
            .map(|p| procedure(cx, md, at.article, p))
            .collect(),
    })
}

fn procedure(cx: &Ctx<'_>, md: &Markdown<'_>, id: ArticleId, p: &model::Procedure) -> wire::Procedure {
    wire::Procedure {
        section_id: p.section.map(|s| cx.section_id(id, s).to_string()),
        intro: p.intro.as_deref().map(nfc),
        start: p.start,
        steps: steps(md, &p.steps, p.start),
    }
}

fn steps(md: &Markdown<'_>, steps: &[model::Step], start: u64) -> Vec<wire::Step> {
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| wire::Step {
            number: start.saturating_add(i as u64),
            text: nfc(s.text.trim()),
            markdown: md.step(s),
            substeps: self::steps(md, &s.substeps, 1),
        })
        .collect()
}

/// Alerts of the given sections and of the sections above them, in document order per article.
fn alerts(cx: &Ctx<'_>, places: &[(ArticleId, Option<SectionId>)]) -> Vec<wire::Alert> {
    let mut wanted: HashSet<(ArticleId, Option<SectionId>)> = HashSet::new();
    let mut articles: Vec<ArticleId> = Vec::new();
    for &(a, s) in places {
        if !articles.contains(&a) {
            articles.push(a);
        }
        let mut cur = s;
        while let Some(sid) = cur {
            wanted.insert((a, Some(sid)));
            cur = cx.outline(a).section(sid).parent;
        }
        wanted.insert((a, None));
    }
    let mut out: Vec<wire::Alert> = Vec::new();
    for a in articles {
        for alert in &cx.outline(a).alerts {
            if !wanted.contains(&(a, alert.section)) {
                continue;
            }
            let w = wire::Alert {
                kind: alert.kind.name().to_lowercase(),
                text: nfc(alert.text.trim()),
                section_id: alert.section.map(|s| cx.section_id(a, s).to_string()),
            };
            if !out.contains(&w) {
                out.push(w);
            }
        }
    }
    out
}

fn provenance(cx: &Ctx<'_>, row: &model::TroubleshootingEntry, lines: &Lines<'_>) -> wire::Provenance {
    wire::Provenance {
        source_path: cx.book.content.sources.get(row.span.file).rel_path.clone(),
        table: row.table as u32,
        row: row.row as u32,
        line: lines.line(row.span),
    }
}

/// Lines of the article being rendered, from its text (read back in a low-memory build, which
/// does not keep released files' line indexes), and of the files it includes.
struct Lines<'a> {
    sources: &'a SourceMap,
    article: (FileId, &'a SourceFile),
}

impl Lines<'_> {
    fn line(&self, span: Span) -> u32 {
        let (file, text) = self.article;
        let source = if span.file == file { text } else { self.sources.get(span.file) };
        source.line_of(span.start as usize)
    }
}

fn links(cx: &Ctx<'_>, md: &Markdown<'_>, id: ArticleId, lines: &Lines<'_>) -> Vec<wire::Link> {
    let a = cx.outline(id);
    let resolved = cx.book.resolution.links.get(id.0 as usize);
    a.links
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let link_id = model::LinkId(i as u32);
            let r = resolved.and_then(|r| r.get(i));
            let (kind, article_id, section_id) = match r {
                Some(Resolved::Article { article, section, .. }) => (
                    wire::LinkKind::Article,
                    Some(cx.article_id(*article).to_string()),
                    section.map(|s| cx.section_id(*article, s).to_string()),
                ),
                Some(Resolved::File { .. }) => (wire::LinkKind::File, None, None),
                Some(Resolved::External { .. }) => (wire::LinkKind::External, None, None),
                Some(Resolved::Mailto { .. }) => (wire::LinkKind::Mailto, None, None),
                Some(Resolved::Unchecked { .. }) => (wire::LinkKind::Unchecked, None, None),
                Some(Resolved::Broken) | None => (wire::LinkKind::Broken, None, None),
            };
            wire::Link {
                role: role_name(l.role).to_string(),
                kind,
                dest: l.dest.clone(),
                url: md.url(link_id),
                article_id,
                section_id,
                in_section: l.section.map(|s| cx.section_id(id, s).to_string()),
                line: lines.line(l.dest_span),
            }
        })
        .collect()
}

fn role_name(role: model::LinkRole) -> &'static str {
    match role {
        model::LinkRole::Link => "link",
        model::LinkRole::Image => "image",
        model::LinkRole::Include => "include",
        model::LinkRole::HtmlLink => "html-link",
        model::LinkRole::HtmlImage => "html-image",
        model::LinkRole::HtmlFrame => "html-frame",
    }
}

/// Every front matter key with its value; typed keys under their canonical DocFX names.
fn meta(m: &model::Meta) -> BTreeMap<String, serde_json::Value> {
    use serde_json::Value;
    let mut out = BTreeMap::new();
    let strings = [
        ("title", &m.title),
        ("description", &m.description),
        ("author", &m.author),
        ("ms.author", &m.ms_author),
        ("manager", &m.manager),
        ("ms.topic", &m.topic),
        ("ms.prod", &m.prod),
        ("ms.service", &m.service),
        ("ms.audience", &m.audience),
        ("localization_priority", &m.localization_priority),
        ("ms.contentlocale", &m.locale),
        ("redirect_url", &m.redirect_url),
        ("robots", &m.robots),
    ];
    for (key, value) in strings {
        if let Some(v) = value {
            out.insert(key.to_string(), Value::String(nfc(v)));
        }
    }
    if let Some(d) = m.date {
        out.insert("ms.date".into(), Value::String(d.to_string()));
    }
    if let Some(g) = &m.assetid {
        out.insert("ms.assetid".into(), Value::String(g.as_str().to_string()));
    }
    if !m.keywords.is_empty() {
        out.insert(
            "keywords".into(),
            Value::Array(m.keywords.iter().map(|k| Value::String(nfc(k))).collect()),
        );
    }
    for (key, value) in &m.extra {
        out.entry(key.clone()).or_insert_with(|| meta_value(value));
    }
    out
}

fn meta_value(v: &model::MetaValue) -> serde_json::Value {
    use serde_json::Value;
    match v {
        model::MetaValue::Null => Value::Null,
        model::MetaValue::Bool(b) => Value::Bool(*b),
        model::MetaValue::Int(i) => Value::from(*i),
        // NaN and infinities have no JSON form.
        model::MetaValue::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        model::MetaValue::String(s) => Value::String(nfc(s)),
        model::MetaValue::List(items) => Value::Array(items.iter().map(meta_value).collect()),
        model::MetaValue::Map(entries) => {
            // Sorted, like every map of the output.
            let map: BTreeMap<String, Value> =
                entries.iter().map(|(k, v)| (k.clone(), meta_value(v))).collect();
            Value::Object(map.into_iter().collect())
        }
    }
}
