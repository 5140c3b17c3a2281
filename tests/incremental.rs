//! Incremental `kbc build`: after each kind of change, the incremental build's output is byte for
//! byte a clean build's, and only the articles whose inputs changed are rendered again.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Runs `kbc -v build DIR [--dest DEST]`; returns the stderr, and the `rendered N of M` figures.
fn build(dir: &Path, dest: Option<&Path>) -> (String, Option<(usize, usize)>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kbc"));
    cmd.args(["-v", "--color", "never", "build"]).arg(dir);
    if let Some(d) = dest {
        cmd.arg("--dest").arg(d);
    }
    let out = cmd.output().expect("run kbc");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let counts = stderr.lines().find_map(|l| {
        let rest = l.strip_prefix("rendered ")?;
        let (n, m) = rest.strip_suffix(" articles")?.split_once(" of ")?;
        Some((n.parse().ok()?, m.parse().ok()?))
    });
    (stderr, counts)
}

/// Every file of a build (relative path → bytes), the render cache left out (its entry names
/// include the build folder's path).
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/"), e))
        .filter(|(rel, _)| !rel.starts_with(".kbc-cache/"))
        .map(|(rel, e)| (rel, std::fs::read(e.path()).unwrap()))
        .collect()
}

/// The incremental build in `kb/book` equals a clean build of the same content.
fn assert_same_as_clean(kb: &Path) {
    let clean = tempfile::tempdir().unwrap();
    let dest = clean.path().join("book");
    build(kb, Some(&dest));
    let (a, b) = (tree(&kb.join("book")), tree(&dest));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "the same files");
    for (rel, bytes) in &a {
        assert!(bytes == &b[rel], "{rel} differs from a clean build's");
    }
    assert!(a.len() > 10, "a real build: {:?}", a.keys());
}

fn fixture() -> tempfile::TempDir {
    common::fixture(&[
        (
            "book.toml",
            "[book]\ntitle = \"Incremental\"\nsrc = \"content\"\n\n[output.html]\ntheme = \"theme\"\n\n[check.rules]\nmissing-anchor = \"warn\"\n",
        ),
        ("content/a.md", "# Alpha\n\nSee [the fix](b.md#the-fix) and [gamma](c.md).\n"),
        ("content/b.md", "# Beta\n\nIntro.\n\n## The fix\n\nRestart the client.\n"),
        ("content/c.md", "# Gamma\n\nGamma body.\n"),
        ("content/d.md", "# Delta\n\nDelta body.\n"),
        ("content/e.md", "# Epsilon\n\nEpsilon body.\n"),
        ("theme/partials/footer.html", "<footer>Footer one</footer>\n"),
    ])
}

#[test]
fn incremental_builds_equal_clean_builds_and_render_only_what_changed() {
    let kb = fixture();
    let dir = kb.path();
    let (_, counts) = build(dir, None);
    assert_eq!(counts, Some((5, 5)), "the first build renders everything");
    assert!(dir.join("book/.kbc-cache/render/html").is_dir(), "the cache is kept in the build folder");

    // (a) No change: every article and the `llms-full.txt` files (one whole-book entry) are reused.
    let llms = || -> Vec<String> {
        let global = std::fs::read_dir(dir.join("book/.kbc-cache/render/global")).unwrap();
        let mut names: Vec<String> =
            global.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.retain(|n| n.starts_with("llms-"));
        names
    };
    let first = llms();
    assert_eq!(first.len(), 1, "{first:?}");
    let (_, counts) = build(dir, None);
    assert_eq!(counts, Some((0, 5)));
    assert_eq!(llms(), first, "the llms files are reused when no article changed");
    assert_same_as_clean(dir);

    // (b) One article's body edited: only it is rendered again (its neighbours see only its title).
    std::fs::write(dir.join("content/d.md"), "# Delta\n\nDelta body, edited.\n").unwrap();
    let (_, counts) = build(dir, None);
    assert_eq!(counts, Some((1, 5)));
    let html = std::fs::read_to_string(dir.join("book/d.html")).unwrap();
    assert!(html.contains("Delta body, edited."), "{html}");
    assert_ne!(llms(), first, "an edited article renders the llms files again");
    assert_same_as_clean(dir);

    // (c) An anchor that another article links to is removed: the link is reported, and the
    // linking article is rendered again along with the edited one.
    std::fs::write(dir.join("content/b.md"), "# Beta\n\nIntro.\n\n## The remedy\n\nRestart the client.\n")
        .unwrap();
    let (stderr, counts) = build(dir, None);
    assert!(stderr.contains("missing-anchor") && stderr.contains("a.md:3:"), "{stderr}");
    assert_eq!(counts, Some((2, 5)), "{stderr}");
    assert_same_as_clean(dir);
    // Built again, the diagnostic is still there: checking is never skipped.
    let (stderr, counts) = build(dir, None);
    assert!(stderr.contains("missing-anchor"), "{stderr}");
    assert_eq!(counts, Some((0, 5)));

    // (d) The theme is edited: everything is rendered again.
    std::fs::write(dir.join("theme/partials/footer.html"), "<footer>Footer two</footer>\n").unwrap();
    let (_, counts) = build(dir, None);
    assert_eq!(counts, Some((5, 5)));
    assert!(std::fs::read_to_string(dir.join("book/c.html")).unwrap().contains("Footer two"));
    assert_same_as_clean(dir);

    // The cache keeps only the entries of the current build.
    let entries = std::fs::read_dir(dir.join("book/.kbc-cache/render/html")).unwrap().count();
    assert_eq!(entries, 5);
}

#[test]
fn a_config_change_renders_everything_again() {
    let kb = fixture();
    let dir = kb.path();
    build(dir, None);
    let toml = std::fs::read_to_string(dir.join("book.toml")).unwrap();
    // `[check]` changes diagnostics only.
    std::fs::write(dir.join("book.toml"), toml.replace("missing-anchor = \"warn\"", "orphan = \"allow\""))
        .unwrap();
    let (_, counts) = build(dir, None);
    assert_eq!(counts, Some((0, 5)));
    assert_same_as_clean(dir);
    std::fs::write(dir.join("book.toml"), toml.replace("title = \"Incremental\"", "title = \"Renamed\""))
        .unwrap();
    let (_, counts) = build(dir, None);
    assert_eq!(counts, Some((5, 5)));
    assert_same_as_clean(dir);
}
