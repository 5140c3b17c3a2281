//! The command line end to end: init, build, the build directory's safety rules, locales.

use crate::common;

use std::process::Command;

fn kbc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kbc")).args(args).output().expect("run kbc")
}

#[test]
fn init_then_build() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = kbc(&["init", d]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("book.toml").is_file());
    assert_eq!(kbc(&["init", d]).status.code(), Some(2), "a second init refuses to overwrite");
    let out = kbc(&["build", d]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("book/.kbc-build").is_file());
}

#[test]
fn build_refuses_a_foreign_dest_and_keeps_the_old_build_on_errors() {
    let kb = common::fixture(&[("a.md", "# A\n\n[b](b.md)\n"), ("b.md", "# B\n")]);
    let d = kb.path().to_str().unwrap();
    let foreign = tempfile::tempdir().unwrap();
    std::fs::write(foreign.path().join("keep.txt"), "mine").unwrap();
    let out = kbc(&["build", d, "--dest", foreign.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(foreign.path().join("keep.txt").is_file());

    assert_eq!(kbc(&["build", d]).status.code(), Some(0));
    let marker = kb.path().join("book/.kbc-build");
    assert!(marker.is_file());
    // Break the content: the build fails and the previous output stays.
    std::fs::write(kb.path().join("a.md"), "# A\n\n[b](gone.md)\n").unwrap();
    assert_eq!(kbc(&["build", d]).status.code(), Some(1));
    assert!(marker.is_file());
    assert!(kb.path().join("book/a.html").is_file());
}

#[test]
fn the_model_dump_is_written_only_when_enabled() {
    let kb = common::fixture(&[("content/a.md", "# A\n"), ("book.toml", "[book]\ntitle = \"T\"\n")]);
    let d = kb.path().to_str().unwrap();
    assert_eq!(kbc(&["build", d]).status.code(), Some(0));
    assert!(kb.path().join("book/a.html").is_file());
    assert!(!kb.path().join("book/model").exists());
    std::fs::write(kb.path().join("book.toml"), "[book]\ntitle = \"T\"\n\n[output.model]\nenable = true\n")
        .unwrap();
    assert_eq!(kbc(&["build", d]).status.code(), Some(0));
    assert!(kb.path().join("book/model/a.md.json").is_file());
}

#[test]
fn translations_share_an_assetid_and_locales_come_from_folders() {
    let id = "ms.assetid: 0b9c3c3a-1111-2222-3333-444455556666";
    let kb = common::fixture(&[
        (
            "en-us/a.md",
            &format!(
                "---\n{id}\n---\n# Sign-in\n\n[self](0b9c3c3a-1111-2222-3333-444455556666.md#sign-in)\n"
            ),
        ),
        (
            "zh-cn/a.md",
            &format!("---\n{id}\n---\n# 登录\n\n[自身](0b9c3c3a-1111-2222-3333-444455556666.md#登录)\n"),
        ),
    ]);
    let book = common::book(kb.path());
    let locales: Vec<&str> = book.articles.iter().map(|a| a.locale.as_str()).collect();
    assert_eq!(locales, ["en-US", "zh-CN"]);
    assert!(book.diagnostics.is_empty(), "{:?}", book.diagnostics);
}
