//! The reference article: its model, reviewed by hand against the article.

use crate::common;

use kbc::Book;
use kbc::model::{Article, Block, EntryKind, Step};
use serde::Serialize;

fn seed_book() -> Book {
    common::book(&common::repo_root())
}

fn seed(book: &Book) -> &Article {
    book.articles
        .iter()
        .find(|a| a.rel_path == "troubleshooting-sign-in-errors-for-admins.md")
        .expect("the seed article is in content/")
}

#[test]
fn bundled_content_is_the_seed_verbatim() {
    let ours =
        std::fs::read(common::repo_root().join("content/troubleshooting-sign-in-errors-for-admins.md"))
            .unwrap();
    let theirs =
        std::fs::read(common::shared().join("seed/troubleshooting-sign-in-errors-for-admins.md")).unwrap();
    assert!(ours == theirs, "content/ must hold the seed article byte for byte");
}

/// A readable outline of the model: what a reviewer compares with the article.
#[derive(Serialize)]
struct Outline {
    id: String,
    locale: String,
    title: String,
    date: Option<String>,
    topic: Option<String>,
    summary: Option<String>,
    sections: Vec<String>,
    anchors: Vec<String>,
    entries: Vec<EntryOutline>,
    procedures: Vec<ProcedureOutline>,
    alerts: Vec<String>,
    links: usize,
}

#[derive(Serialize)]
struct EntryOutline {
    kind: EntryKind,
    group: usize,
    message: Option<String>,
    cause: Option<String>,
    resolution: Option<String>,
    procedure: Option<String>,
}

#[derive(Serialize)]
struct ProcedureOutline {
    section: Option<String>,
    intro: Option<String>,
    steps: Vec<String>,
}

fn step_lines(steps: &[Step], depth: usize, out: &mut Vec<String>) {
    for (i, s) in steps.iter().enumerate() {
        out.push(format!("{}{}. {}", "  ".repeat(depth), i + 1, s.text));
        for b in &s.attached {
            if let Block::Table(t) = b {
                out.push(format!("{}   + table with {} rows", "  ".repeat(depth), t.rows.len()));
            }
        }
        step_lines(&s.substeps, depth + 1, out);
    }
}

fn outline(book: &Book, a: &Article) -> Outline {
    let section_title = |sid: kbc::model::SectionId| a.section(sid).title.clone();
    Outline {
        id: a.id.clone(),
        locale: a.locale.clone(),
        title: a.title.clone(),
        date: a.meta.date.map(|d| d.to_string()),
        topic: a.meta.topic.clone(),
        summary: a.summary.clone(),
        sections: a
            .sections
            .iter()
            .map(|s| format!("{} {} {:?}", "#".repeat(s.level as usize), s.title, s.anchors))
            .collect(),
        anchors: a.anchors.iter().map(|x| format!("{:?} {}", x.kind, x.id)).collect(),
        entries: a
            .troubleshooting
            .iter()
            .map(|e| EntryOutline {
                kind: e.kind,
                group: e.group,
                message: e.message_text.clone(),
                cause: e.cause_text.clone(),
                resolution: e.resolution_text.clone(),
                procedure: e
                    .procedure
                    .map(|p| book.articles[p.article.0 as usize].section(p.section).title.clone()),
            })
            .collect(),
        procedures: a
            .procedures
            .iter()
            .map(|p| {
                let mut steps = Vec::new();
                step_lines(&p.steps, 0, &mut steps);
                ProcedureOutline { section: p.section.map(section_title), intro: p.intro.clone(), steps }
            })
            .collect(),
        alerts: a
            .alerts
            .iter()
            .map(|x| format!("{} in {:?}", x.kind.name(), x.section.map(section_title)))
            .collect(),
        links: a.links.len(),
    }
}

#[test]
fn seed_model_outline() {
    let book = seed_book();
    insta::assert_yaml_snapshot!(outline(&book, seed(&book)));
}

#[test]
fn seed_model_full() {
    let book = seed_book();
    let index = book.articles.iter().position(|a| a.rel_path.starts_with("troubleshooting")).unwrap();
    insta::assert_snapshot!(kbc::render::model::article_json(&book, index).unwrap());
}

#[test]
fn seed_has_what_the_core_issue_promises() {
    let book = seed_book();
    let a = seed(&book);
    let causes = a.troubleshooting.iter().filter(|e| e.kind == EntryKind::Cause).count();
    let errors: Vec<_> = a.troubleshooting.iter().filter(|e| e.kind == EntryKind::ErrorMessage).collect();
    assert_eq!(causes, 8);
    assert_eq!(errors.len(), 6);
    assert_eq!(errors[1].group, errors[2].group, "the two 服务器暂时不可用 rows share a group");
    assert!(errors.iter().all(|e| e.procedure.is_some()), "each error entry links to its procedure");
    let explicit: Vec<_> = a
        .anchors
        .iter()
        .filter(|x| x.kind == kbc::model::AnchorKind::Explicit)
        .map(|x| x.id.as_str())
        .collect();
    assert_eq!(
        explicit,
        [
            "__top",
            "__toc323194094",
            "__toc325626440",
            "__add_a_firewall",
            "__update_dns_service",
            "__verify_upn_and",
            "__update_security_credentials_1",
            "__modify_trustmodeldata_registry",
            "__update_user_settings_1",
            "__toc325626447",
            "__collect_more_information_1",
            "MT_Footer"
        ]
    );
    let firewall = a.section_of_anchor("__add_a_firewall").unwrap();
    let procs: Vec<_> = a.procedures.iter().filter(|p| p.section == Some(firewall)).collect();
    assert_eq!(procs.len(), 1);
    assert_eq!(procs[0].steps.len(), 4);
    assert!(matches!(procs[0].steps[3].attached.first(), Some(Block::Table(t)) if t.rows.len() == 2));
    let creds = a.section_of_anchor("__update_security_credentials_1").unwrap();
    assert_eq!(a.procedures.iter().filter(|p| p.section == Some(creds)).count(), 3);
}

#[test]
fn seed_diagnostics_are_exactly_the_real_problems() {
    let book = seed_book();
    let found: Vec<String> = book
        .diagnostics
        .iter()
        .map(|d| format!("{} {} {}", d.code, book.content.sources.location(d.span.unwrap()), d.message))
        .collect();
    insta::assert_yaml_snapshot!(found);
}
