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

/// The names of the whole-book cache entries of `dir`'s build that start with `prefix`, sorted.
fn global_entries(dir: &Path, prefix: &str) -> Vec<String> {
    let global = std::fs::read_dir(dir.join("book/.kbc-cache/render/global")).unwrap();
    let mut names: Vec<String> =
        global.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.retain(|n| n.starts_with(prefix));
    names.sort();
    names
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

/// [`fixture`] with `extra` appended to its `book.toml`.
fn fixture_with(extra: &str) -> tempfile::TempDir {
    let kb = fixture();
    let toml = kb.path().join("book.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, format!("{text}{extra}")).unwrap();
    kb
}

#[test]
fn incremental_builds_equal_clean_builds_and_render_only_what_changed() {
    let kb = fixture();
    let dir = kb.path();
    let (_, counts) = build(dir, None);
    assert_eq!(counts, Some((5, 5)), "the first build renders everything");
    assert!(dir.join("book/.kbc-cache/render/html").is_dir(), "the cache is kept in the build folder");

    // (a) No change: every article and the `llms` files (a whole-book entry per folder of them:
    // the root's and `en-us/`) are reused.
    let llms = || global_entries(dir, "llms-");
    let first = llms();
    assert_eq!(first.len(), 2, "{first:?}");
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
fn a_low_memory_build_sees_an_edit_its_outlines_do_not_show() {
    let kb = fixture_with("\n[build]\nlow-memory = true\n");
    let dir = kb.path();
    std::fs::write(dir.join("content/c.md"), "# Gamma\n\nGamma body.\n\nRestart it.\n").unwrap();
    build(dir, None);
    // Same length, same structure, not the summary: the outline (spans included) is the same,
    // the text is not.
    std::fs::write(dir.join("content/c.md"), "# Gamma\n\nGamma body.\n\nRebuild it.\n").unwrap();
    let (_, counts) = build(dir, None);
    assert_eq!(counts, Some((1, 5)));
    assert!(std::fs::read_to_string(dir.join("book/c.html")).unwrap().contains("Rebuild it."));
    assert_same_as_clean(dir);
}

#[test]
fn an_include_edited_or_created_renders_the_articles_that_include_it() {
    // Under `[check.rules]`, the fixture's last table.
    let kb = fixture_with("missing-include = \"warn\"\n");
    let dir = kb.path();
    std::fs::create_dir_all(dir.join("content/includes")).unwrap();
    std::fs::write(dir.join("content/includes/note.md"), "Restart the client first.\n").unwrap();
    std::fs::write(dir.join("content/c.md"), "# Gamma\n\n[!INCLUDE[note](includes/note.md)]\n").unwrap();
    std::fs::write(dir.join("content/d.md"), "# Delta\n\n[!INCLUDE[tip](includes/tip.md)]\n").unwrap();
    let (stderr, _) = build(dir, None);
    assert!(stderr.contains("missing-include"), "{stderr}");

    // The article's own text is unchanged; what it included is not.
    std::fs::write(dir.join("content/includes/note.md"), "Sign out first.\n").unwrap();
    let (_, counts) = build(dir, None);
    assert_eq!(counts, Some((1, 5)));
    assert!(std::fs::read_to_string(dir.join("book/c.html")).unwrap().contains("Sign out first."));
    assert_same_as_clean(dir);

    // A missing include now exists: the article that names it shows it.
    std::fs::write(dir.join("content/includes/tip.md"), "Clear the cache.\n").unwrap();
    let (stderr, counts) = build(dir, None);
    assert!(!stderr.contains("missing-include"), "{stderr}");
    assert!(counts.is_some_and(|(n, _)| n >= 1), "{counts:?}");
    assert!(std::fs::read_to_string(dir.join("book/d.html")).unwrap().contains("Clear the cache."));
    assert_same_as_clean(dir);
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

/// Files made from every article, which a watch loop's update in place leaves for the follow-up
/// build (see `Session::rebuild`).
#[cfg(feature = "serve")]
fn whole_book(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    rel.starts_with("_kbc/")
        || rel.starts_with("api/v1/") && !rel.starts_with("api/v1/articles/")
        || name.starts_with("llms")
        || ["index.html", "404.html", "sitemap.xml", "checklists/index.html", "model.json"].contains(&rel)
}

/// Edits `rel` in `dir` the way vim saves (a probe file created and deleted beside it), then runs
/// what the watch loop runs: the preview, and the quick rebuild.
#[cfg(feature = "serve")]
fn watch_step(session: &mut kbc::serve::Session, dir: &Path, rel: &str, text: &str) -> kbc::serve::Outcome {
    let probe = dir.join(rel).with_file_name("4913");
    std::fs::write(&probe, "").unwrap();
    std::fs::remove_file(&probe).unwrap();
    std::fs::write(dir.join(rel), text).unwrap();
    session.preview(&[dir.join(rel), probe]);
    let outcome = session.rebuild(true);
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    outcome
}

/// The build in `kb/book` compared with a clean build: the files that differ.
#[cfg(feature = "serve")]
fn differences_from_clean(kb: &Path) -> Vec<String> {
    let clean = tempfile::tempdir().unwrap();
    let dest = clean.path().join("book");
    build(kb, Some(&dest));
    let (a, b) = (tree(&kb.join("book")), tree(&dest));
    let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    names.into_iter().filter(|rel| a.get(*rel) != b.get(*rel)).cloned().collect()
}

/// The diagnostics as `(file, range, code, message)`, for comparing two books.
#[cfg(feature = "serve")]
fn findings(book: &kbc::Book) -> Vec<String> {
    book.diagnostics
        .iter()
        .map(|d| {
            format!(
                "{:?} {:?} {} {:?} {}",
                d.span,
                d.severity,
                d.code.name(),
                d.message,
                d.label.as_deref().unwrap_or("")
            )
        })
        .collect()
}

/// A watch session over `dir` after its first, complete build.
#[cfg(feature = "serve")]
fn started_session(dir: &Path) -> kbc::serve::Session {
    let mut session = kbc::serve::Session::new(dir.to_path_buf(), None);
    let first = session.rebuild(false);
    assert!(first.published && !first.in_place);
    session.keep(first);
    session
}

#[test]
#[cfg(feature = "serve")]
fn an_update_in_place_writes_what_a_clean_build_writes() {
    let kb = fixture();
    let dir = &std::fs::canonicalize(kb.path()).unwrap();
    // d's link names an anchor b does not have yet: d's resolution depends on b's anchors.
    std::fs::write(dir.join("content/d.md"), "# Delta\n\nSee [later](b.md#later).\n").unwrap();
    let mut session = started_session(dir);

    // A body edit: only the edited article is rendered, in place.
    let body = "# Gamma\n\nGamma body, edited.\n";
    let outcome = watch_step(&mut session, dir, "content/c.md", body);
    assert!(outcome.published && outcome.in_place && outcome.pending);
    assert_eq!((outcome.parsed, outcome.rendered), (1, 1));
    assert_eq!(findings(outcome.book.as_ref().unwrap()), findings(&common::book(dir)));
    session.keep(outcome);
    let differ = differences_from_clean(dir);
    assert!(differ.iter().all(|rel| whole_book(rel)), "only whole-book files may lag: {differ:?}");
    assert!(differ.contains(&"api/v1/chunks.jsonl".to_string()), "the chunks wait: {differ:?}");

    // b's sections change: a (which links to b) and d (whose link was checked against b's
    // anchors, and now resolves) are rendered again with it; the warning about d's link goes.
    let before = findings(&common::book(dir));
    let b = "# Beta\n\nIntro.\n\n## The fix\n\nRestart the client.\n\n## Later\n\nLater.\n";
    let outcome = watch_step(&mut session, dir, "content/b.md", b);
    assert!(outcome.published && outcome.in_place);
    assert_eq!((outcome.parsed, outcome.rendered), (1, 3));
    let after = findings(outcome.book.as_ref().unwrap());
    assert_eq!(after, findings(&common::book(dir)));
    assert_eq!(before.len(), after.len() + 1, "d's missing anchor is fixed: {before:#?}");
    session.keep(outcome);
    let differ = differences_from_clean(dir);
    assert!(differ.iter().all(|rel| whole_book(rel)), "only whole-book files may lag: {differ:?}");

    // A deleted article: a whole build.
    std::fs::remove_file(dir.join("content/d.md")).unwrap();
    session.preview(&[dir.join("content/d.md")]);
    let outcome = session.rebuild(true);
    assert!(outcome.published && !outcome.in_place);
    session.keep(outcome);
    assert!(!dir.join("book/d.html").exists());

    // A new title changes every page's navigation: a whole build, published as `kbc build` does.
    let outcome = watch_step(&mut session, dir, "content/e.md", "# Epsilon two\n\nEpsilon body.\n");
    assert!(outcome.published && !outcome.in_place);
    session.keep(outcome);

    // The follow-up build makes the folder a clean build's again.
    let outcome = session.rebuild(false);
    assert!(outcome.published && !outcome.pending && !outcome.interrupted);
    session.keep(outcome);
    assert_same_as_clean(dir);
}

#[test]
#[cfg(feature = "serve")]
fn an_update_in_place_that_breaks_a_link_publishes_nothing() {
    let kb = fixture();
    let dir = &std::fs::canonicalize(kb.path()).unwrap();
    std::fs::write(dir.join("book.toml"), "[book]\nsrc = \"content\"\n").unwrap();
    let mut session = started_session(dir);
    let published = tree(&dir.join("book"));

    // b loses the anchor a links to: an error, so the build folder stays the last good build.
    let outcome = watch_step(&mut session, dir, "content/b.md", "# Beta\n\nIntro.\n");
    assert!(!outcome.published && outcome.book.as_ref().is_some_and(|b| b.has_errors()));
    assert_eq!(findings(outcome.book.as_ref().unwrap()), findings(&common::book(dir)));
    session.keep(outcome);
    assert!(tree(&dir.join("book")) == published, "the last good build is kept");

    // d is edited while the error stands: still nothing published, still in place.
    let outcome = watch_step(&mut session, dir, "content/d.md", "# Delta\n\nDelta body, edited.\n");
    assert!(!outcome.published && outcome.in_place);
    assert_eq!(findings(outcome.book.as_ref().unwrap()), findings(&common::book(dir)));
    session.keep(outcome);
    assert!(tree(&dir.join("book")) == published, "the last good build is kept");

    // Fixed again: published in place, with d's edit and a (whose link works again).
    let outcome = watch_step(&mut session, dir, "content/b.md", "# Beta\n\n## The fix\n\nAgain.\n");
    assert!(outcome.published && outcome.in_place);
    assert_eq!(outcome.rendered, 3, "b, a and d");
    session.keep(outcome);
    let differ = differences_from_clean(dir);
    assert!(differ.iter().all(|rel| whole_book(rel)), "only whole-book files may lag: {differ:?}");
    let outcome = session.rebuild(false);
    session.keep(outcome);
    assert_same_as_clean(dir);

    // A new file with an error: a whole rebuild that publishes nothing, after which an edit to
    // another article is not done in place (the book it would start from lacks the new file).
    std::fs::write(dir.join("content/f.md"), "# Phi\n\nSee [nothing](nothing.md).\n").unwrap();
    session.preview(&[dir.join("content/f.md")]);
    let outcome = session.rebuild(true);
    assert!(!outcome.published && !outcome.in_place);
    session.keep(outcome);
    let outcome = watch_step(&mut session, dir, "content/c.md", "# Gamma\n\nGamma, once more.\n");
    assert!(!outcome.published && !outcome.in_place);
    let errors: Vec<_> =
        findings(outcome.book.as_ref().unwrap()).into_iter().filter(|f| f.contains("Error")).collect();
    assert_eq!(errors.len(), 1, "f's broken link is still reported: {errors:?}");
}

#[test]
fn an_interrupted_build_leaves_the_published_one() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    let kb = fixture();
    let dir = kb.path();
    build(dir, None);
    let dest = dir.join("book");
    let published = tree(&dest);
    std::fs::write(dir.join("content/c.md"), "# Gamma\n\nGamma body, edited.\n").unwrap();
    let book = common::book(dir);
    let cache =
        kbc::incremental::Cache::new(&book, &dest).interruptible(Some(Arc::new(AtomicBool::new(true))));
    let result = kbc::output::publish(&dest, |out| kbc::render::write_all_with(&book, out, &cache)).unwrap();
    assert!(result.as_ref().is_err_and(|e| e.is_interrupted()), "{:?}", result.err());
    assert!(tree(&dest) == published, "the published build is untouched");
    let leftovers: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 4, "no temporary folder is left: {leftovers:?}");
}

#[test]
fn a_load_that_gives_up_leaves_a_parse_cache_that_still_works() {
    use kbc::build::ParseCache;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let kb = fixture();
    let dir = kb.path();
    let config = || kbc::config::Config::load(dir).unwrap();
    let mut cache = ParseCache::default();
    kbc::Book::load_cached(config(), &mut cache).unwrap();
    std::fs::write(dir.join("content/c.md"), "# Gamma\n\nGamma body, edited.\n").unwrap();
    // Gives up while reading the five files, then while parsing the articles.
    for answers in [3, 7] {
        let asked = AtomicUsize::new(0);
        let stop = || asked.fetch_add(1, Ordering::Relaxed) >= answers;
        assert!(kbc::Book::load_until(config(), &mut cache, &stop).unwrap().is_none());
        // (Parsing is parallel: another thread may ask once more.)
        assert!(asked.load(Ordering::Relaxed) > answers, "it was asked until it said stop");
    }
    let cached = kbc::Book::load_cached(config(), &mut cache).unwrap();
    let fresh = common::book(dir);
    assert_eq!(
        serde_json::to_string(&cached.articles).unwrap(),
        serde_json::to_string(&fresh.articles).unwrap()
    );
    assert_eq!(cached.diagnostics.len(), fresh.diagnostics.len());
    assert!(
        cached
            .articles
            .iter()
            .any(|a| a.rel_path == "c.md" && a.summary.as_deref() == Some("Gamma body, edited."))
    );
}

#[test]
#[cfg(feature = "search")]
fn each_search_index_is_reused_on_its_own() {
    let kb = fixture();
    let dir = kb.path();
    let toml = std::fs::read_to_string(dir.join("book.toml")).unwrap();
    std::fs::write(
        dir.join("book.toml"),
        toml.replace("[output.html]\n", "[output.html]\nsearch-shards = 2\n"),
    )
    .unwrap();
    let entries = || global_entries(dir, "search-");
    build(dir, None);
    let first = entries();
    assert_eq!(first.len(), 2, "one entry per index: {first:?}");
    // e is in the second run of pages (a, b, c | d, e): the first index is reused as it was.
    std::fs::write(dir.join("content/e.md"), "# Epsilon\n\nEpsilon body, edited.\n").unwrap();
    build(dir, None);
    let second = entries();
    assert_eq!(second[0], first[0], "the first index is reused");
    assert_ne!(second[1], first[1], "the second index is built again");
    assert_same_as_clean(dir);
}
