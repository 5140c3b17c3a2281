//! Hand-made fixtures for every diagnostic code, with exact positions (through CRLF, a BOM and
//! includes), and the command line's exit codes and output formats.

use crate::common;

use kbc::diag::Code;
use std::path::PathBuf;
use std::process::Command;

fn fixture() -> PathBuf {
    common::repo_root().join("tests/fixtures/diagnostics")
}

fn located(book: &kbc::Book) -> Vec<String> {
    book.diagnostics
        .iter()
        .map(|d| {
            let at = d.span.map(|s| book.content.sources.location(s)).unwrap_or_default();
            let help = d.help.as_deref().map(|h| format!(" (help: {h})")).unwrap_or_default();
            format!("{} {} {at} {}{help}", d.severity, d.code, d.message)
        })
        .collect()
}

#[test]
fn every_code_on_its_fixture() {
    let book = common::book(&fixture());
    insta::assert_yaml_snapshot!(located(&book));
}

/// Real articles with constructs the dev corpus lacks (`tests/fixtures/real/SOURCES.md`): every
/// image inside a table cell or under a step is checked, once, and an anchor above the heading it
/// names is no clash. Their other findings are the articles not copied beside them.
#[test]
fn real_articles_outside_the_dev_corpus() {
    let book = common::book(&common::repo_root().join("tests/fixtures/real"));
    insta::assert_yaml_snapshot!(located(&book));
}

#[test]
fn the_fixture_covers_every_code_that_content_can_trigger() {
    let book = common::book(&fixture());
    let seen: std::collections::BTreeSet<Code> = book.diagnostics.iter().map(|d| d.code).collect();
    // `io` needs an unreadable file (root reads everything); `include-depth` has its own test; the
    // external-link codes need an HTTP server, which tests/external.rs starts; `file-too-large` needs
    // a file over 8 MiB, which tests/hostile.rs makes (with `io` from a named pipe).
    let untestable_here = [
        Code::Io,
        Code::FileTooLarge,
        Code::IncludeDepth,
        Code::ExternalLink,
        Code::ExternalLinkUnverified,
        Code::ExternalAnchor,
        Code::ExternalRedirect,
    ];
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !seen.contains(c) && !untestable_here.contains(c))
        .map(|c| c.name())
        .collect();
    assert!(missing.is_empty(), "codes with no fixture: {missing:?}");
}

#[test]
fn include_depth_is_bounded() {
    let mut files: Vec<(String, String)> = (0..15)
        .map(|i| (format!("includes/i{i}.md"), format!("level {i}\n\n[!INCLUDE[next](i{}.md)]\n", i + 1)))
        .collect();
    files.push(("includes/i15.md".into(), "bottom\n".into()));
    files.push(("a.md".into(), "# Deep\n\n[!INCLUDE[start](includes/i0.md)]\n".into()));
    let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let dir = common::fixture(&refs);
    let book = common::book(dir.path());
    let depth: Vec<_> = book.diagnostics.iter().filter(|d| d.code == Code::IncludeDepth).collect();
    assert_eq!(depth.len(), 1, "{:?}", located(&book));
}

fn kbc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kbc")).args(args).output().expect("run kbc")
}

#[test]
fn exit_codes() {
    let fixture = fixture();
    let seed = common::repo_root();
    assert_eq!(kbc(&["check", seed.to_str().unwrap()]).status.code(), Some(0));
    assert_eq!(kbc(&["check", fixture.to_str().unwrap()]).status.code(), Some(1));
    assert_eq!(kbc(&["check", seed.to_str().unwrap(), "--deny-warnings"]).status.code(), Some(1));
    assert_eq!(kbc(&["check", "/nonexistent/kbc/dir"]).status.code(), Some(2));
    assert_eq!(kbc(&["check", "--format", "nope"]).status.code(), Some(2));
    let bad_toml = common::fixture(&[("book.toml", "[book]\ntitle = 1\n"), ("content/a.md", "# A\n")]);
    let out = kbc(&["check", bad_toml.path().to_str().unwrap(), "--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("book.toml:2:"), "points at the line: {stderr}");
}

#[test]
fn rules_in_book_toml_change_levels() {
    let dir = common::fixture(&[
        ("book.toml", "[check.rules]\nmissing-file = \"warn\"\nempty-heading = \"allow\"\n"),
        ("content/a.md", "# A\n\n[x](nope.md)\n\n## \n"),
    ]);
    let book = common::book(dir.path());
    assert_eq!(located(&book), ["warning missing-file a.md:3:5 file `nope.md` does not exist"]);
    assert!(!book.has_errors());
}

#[test]
fn machine_formats() {
    let crlf = common::fixture(&[("a.md", "\u{feff}# A\r\n\r\n[x](nope.md#y)\r\n")]);
    let dir = crlf.path().to_str().unwrap();
    let json = String::from_utf8(kbc(&["check", dir, "--format", "json"]).stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(
        (v["code"].as_str(), v["line"].as_u64(), v["column"].as_u64()),
        (Some("missing-file"), Some(3), Some(5))
    );
    let github = String::from_utf8(kbc(&["check", dir, "--format", "github"]).stdout).unwrap();
    assert!(github.starts_with("::error file="), "{github}");
    assert!(github.contains(",line=3,col=5,"), "{github}");
    let sarif = String::from_utf8(kbc(&["check", dir, "--format", "sarif"]).stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"], 3);
}

#[test]
fn the_readme_documents_every_code() {
    let readme = std::fs::read_to_string(common::repo_root().join("README.md")).unwrap();
    let undocumented: Vec<&str> =
        Code::ALL.iter().map(|c| c.name()).filter(|n| !readme.contains(&format!("| `{n}` |"))).collect();
    assert!(undocumented.is_empty(), "README.md has no row for {undocumented:?}");
}

#[test]
fn an_include_may_link_to_an_anchor_only_its_includer_defines() {
    let dir = common::fixture(&[
        ("includes/steps.md", "See [the setup](#setup).\n"),
        ("has.md", "# Has\n\n## Setup\n\n[!INCLUDE[steps](includes/steps.md)]\n"),
        ("lacks.md", "# Lacks\n\n[!INCLUDE[steps](includes/steps.md)]\n\n[has](has.md)\n"),
    ]);
    let book = common::book(dir.path());
    // Checked once per includer: fine in `has.md`, broken in `lacks.md`, reported at the include
    // file's line, once.
    assert_eq!(
        located(&book),
        ["error missing-anchor includes/steps.md:1:17 `lacks.md` has no anchor `#setup`"]
    );
}
