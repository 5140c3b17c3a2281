//! Hostile and broken input (issue 8): every case gets its diagnostic, with file and position, the
//! other articles of the same knowledge base are still parsed and checked, and nothing panics.
//!
//! Small cases live in `tests/hostile/kb/`; big ones (a 100 MB article, 10,000 nesting levels, a
//! 100,000-row table) are made here, at test time, in temporary folders. No test measures time (the
//! project forbids timing assertions): the big inputs are sized so that a quadratic path shows as a
//! test that does not finish, and the times observed are in the closing notes of the issue.

use crate::common;

use kbc::Book;
use kbc::diag::{Code, MAX_PER_FILE_AND_CODE};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The witness article: its broken link must be reported in every case, which shows that the rest
/// of the build went on.
const GOOD: (&str, &str) = ("good.md", "# Good\n\n[x](nope.md)\n");
const GOOD_DIAGNOSTIC: &str = "error missing-file good.md:3:5";

/// `severity code path:line:col` of every diagnostic, in output order.
fn located(book: &Book) -> Vec<String> {
    book.diagnostics
        .iter()
        .map(|d| {
            let at = d.span.map(|s| book.content.sources.location(s)).unwrap_or_default();
            format!("{} {} {at}", d.severity, d.code)
        })
        .collect()
}

/// Located diagnostics of one code.
fn of(book: &Book, code: Code) -> Vec<String> {
    let name = format!(" {} ", code.name());
    located(book).into_iter().filter(|l| l.contains(&name)).collect()
}

fn article<'b>(book: &'b Book, rel_path: &str) -> &'b kbc::model::Article {
    book.articles
        .iter()
        .find(|a| a.rel_path == rel_path)
        .unwrap_or_else(|| panic!("`{rel_path}` is not an article: {:?}", located(book)))
}

/// A knowledge base of the witness and the given files (path, bytes).
fn kb(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = common::fixture(&[GOOD]);
    for (path, bytes) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, bytes).expect("write");
    }
    dir
}

/// Loads a knowledge base and checks that the witness article was parsed and checked.
fn load(dir: &Path) -> Book {
    let book = common::book(dir);
    let all = located(&book);
    assert!(all.iter().any(|l| l == GOOD_DIAGNOSTIC), "the witness was not checked: {all:#?}");
    assert_eq!(article(&book, "good.md").title, "Good");
    book
}

// ---------------------------------------------------------------------------------------------
// The fixture knowledge base: every small case at once

#[test]
fn the_fixture_knowledge_base_reports_each_case_at_its_position() {
    let root = common::repo_root().join("tests/hostile/kb");
    let book = common::book(&root);
    let expected = [
        // A binary file named `.md`, UTF-16 and Latin-1 text: skipped, at the first bad byte.
        "error invalid-utf8 binary.md:1:1",
        // Two articles that include each other stay articles, so the cycle is reported.
        "error include-cycle cycle-q.md:3:14",
        "warning no-title empty.md:1:1",
        "error front-matter-syntax fm-alias-bomb.md:5:36",
        "warning front-matter-value fm-duplicate-keys.md:3:1",
        "error front-matter-syntax fm-invalid.md:2:8",
        "error front-matter-unclosed fm-unclosed.md:1:1",
        "error front-matter-value fm-wrong-types.md:2:1",
        "error front-matter-value fm-wrong-types.md:3:10",
        "error front-matter-value fm-wrong-types.md:4:13",
        // Front matter and nothing else: the body starts (and ends) after the closing `---`.
        "warning no-title front-matter-only-untitled.md:3:4",
        "error missing-file good.md:5:5",
        // A cycle of fragments, reported inside the fragment where it closes.
        "error include-cycle includes/y.md:3:14",
        "error invalid-utf8 invalid-utf8.md:3:22",
        // NUL bytes: one diagnostic per file at the first, with the count; other C0 controls each.
        "warning control-character nul.md:1:4",
        "warning control-character nul.md:3:29",
        // An article that includes itself.
        "error include-cycle self-include.md:3:15",
        // `../` in a link, an image, a percent-encoded link, HTML attributes and an include.
        "error link-outside-root traversal.md:3:8",
        "error link-outside-root traversal.md:3:35",
        "error link-outside-root traversal.md:3:65",
        "error link-outside-root traversal.md:4:10",
        "error link-outside-root traversal.md:4:46",
        "error link-outside-root traversal.md:6:15",
        // `/etc/passwd` in an include is a path from the content root, never the disk's root.
        "error missing-include traversal.md:8:21",
        "error invalid-utf8 utf16.md:1:1",
        // 64 NUL bytes are valid UTF-8: an article with no title, and one warning for its NULs.
        "warning no-title zeros.md:1:1",
        "warning control-character zeros.md:1:1",
    ];
    assert_eq!(located(&book), expected);

    let message = |path: &str, code: Code| -> &kbc::diag::Diagnostic {
        book.diagnostics
            .iter()
            .find(|d| {
                d.code == code && d.span.is_some_and(|s| book.content.sources.get(s.file).rel_path == path)
            })
            .unwrap_or_else(|| panic!("no {code} in {path}"))
    };
    let note = |path: &str, code: Code| message(path, code).note.clone().unwrap_or_default();
    assert!(note("binary.md", Code::InvalidUtf8).contains("looks like a binary file"));
    assert!(note("utf16.md", Code::InvalidUtf8).contains("looks like UTF-16 text"));
    assert_eq!(
        message("invalid-utf8.md", Code::InvalidUtf8).message,
        "file is not valid UTF-8 (first bad byte at offset 30)"
    );
    assert_eq!(message("zeros.md", Code::ControlCharacter).message, "text contains 64 NUL bytes");
    assert_eq!(message("nul.md", Code::ControlCharacter).message, "text contains 3 NUL bytes");
    assert!(message("fm-alias-bomb.md", Code::FrontMatterSyntax).message.contains("aliases"));
    assert_eq!(
        message("fm-duplicate-keys.md", Code::FrontMatterValue).message,
        "duplicate front matter key `title`"
    );
    assert_eq!(
        message("self-include.md", Code::IncludeCycle).message,
        "include cycle: `self-include.md` → `self-include.md`"
    );

    // The broken files are skipped; everything else is an article, with what could be read.
    for skipped in ["binary.md", "utf16.md", "invalid-utf8.md"] {
        assert!(book.articles.iter().all(|a| a.rel_path != skipped), "{skipped} is skipped");
    }
    assert_eq!(article(&book, "front-matter-only.md").title, "Only front matter");
    assert_eq!(article(&book, "fm-unclosed.md").title, "Never closed");
    assert_eq!(article(&book, "fm-duplicate-keys.md").meta.title.as_deref(), Some("Two"));
    assert_eq!(article(&book, "nul.md").title, "A\u{fffd}B");
    assert!(article(&book, "nul.md").full_text().contains("and a bell"));
    for title in ["Alias bomb", "Invalid YAML", "Wrong types", "Includes itself", "P"] {
        assert!(book.articles.iter().any(|a| a.title == title), "no article `{title}`");
    }
    // Includes under `includes/` stay fragments; `cycle-q.md` is included by `cycle-p.md`.
    assert!(book.articles.iter().all(|a| !a.rel_path.starts_with("includes/")));
}

// ---------------------------------------------------------------------------------------------
// Size

/// A realistic article body: the seed article without its front matter.
fn seed_body() -> String {
    let seed =
        std::fs::read_to_string(common::shared().join("seed/troubleshooting-sign-in-errors-for-admins.md"))
            .expect("seed article");
    seed.splitn(3, "---").nth(2).expect("front matter").to_string()
}

#[test]
fn a_100_mb_article_is_skipped_without_being_read() {
    let dir = kb(&[("links-to-big.md", b"# Links\n\n[big](big.md)\n")]);
    // Sparse: 100 MiB on paper, nothing on disk. kbc must not read it to know it is too big.
    let big = std::fs::File::create(dir.path().join("big.md")).expect("create");
    big.set_len(100 * 1024 * 1024).expect("set_len");
    drop(big);
    let book = load(dir.path());
    assert_eq!(of(&book, Code::FileTooLarge), ["error file-too-large big.md:1:1"]);
    let d = book.diagnostics.iter().find(|d| d.code == Code::FileTooLarge).expect("diagnostic");
    assert_eq!(d.message, "file is too large to read (100.0 MiB; the limit is 8.0 MiB)");
    // The file exists: a link to it is not broken.
    assert_eq!(located(&book), ["error file-too-large big.md:1:1", GOOD_DIAGNOSTIC]);
    assert_eq!(book.articles.len(), 2);
}

#[test]
fn an_article_just_under_the_size_limit_is_read_whole() {
    let body = seed_body();
    let copies = (kbc::load::MAX_FILE_SIZE as usize - 1024) / body.len();
    let text = format!("# Big\n\n{}\n[last](javascript:void)\n", body.repeat(copies));
    assert!(text.len() as u64 <= kbc::load::MAX_FILE_SIZE && text.len() > 7 * 1024 * 1024);
    let last_line = text.lines().count();
    let dir = kb(&[("big.md", text.as_bytes())]);
    let book = load(dir.path());
    let big = article(&book, "big.md");
    // Every copy's sections are there, and a position at the very end is exact.
    let h2 = body.lines().filter(|l| l.starts_with("## ")).count();
    assert_eq!(big.sections.iter().filter(|s| s.level == 2).count(), h2 * copies);
    assert_eq!(of(&book, Code::UnsafeUrl), [format!("error unsafe-url big.md:{last_line}:8")]);
    // The seed repeated makes thousands of duplicate anchors: capped per file, and summed up.
    let duplicates = of(&book, Code::DuplicateAnchor);
    assert_eq!(duplicates.len(), MAX_PER_FILE_AND_CODE + 1, "{:?}", &duplicates[..3]);
    // Drawing them all stays cheap: far-apart spans get snippets of their own, not the megabytes
    // between a duplicate and its first definition.
    let human = render(&book, kbc::diag::render::Format::Human);
    assert!(human.len() < 4_000 * book.diagnostics.len(), "{} bytes", human.len());
}

fn render(book: &Book, format: kbc::diag::render::Format) -> String {
    let opts = kbc::diag::render::RenderOptions { format, color: false, cwd: book.content.root.as_path() };
    kbc::diag::render::render(&book.diagnostics, &book.content.sources, &opts)
}

#[test]
fn a_100000_row_table_is_one_table_with_exact_positions() {
    let mut text = String::from("# Table\n\n| Error | Resolution |\n|---|---|\n");
    for i in 0..100_000 {
        if i == 77_777 {
            // One row with a cell too many, deep in the file.
            text.push_str("| `a | b` | fix | extra |\n");
        } else {
            text.push_str(&format!("| error {i} | [fix](#table) |\n"));
        }
    }
    let dir = kb(&[("table.md", text.as_bytes())]);
    let book = load(dir.path());
    let table = article(&book, "table.md");
    let tables: Vec<_> = table.sections[0]
        .blocks
        .iter()
        .filter_map(|b| match b {
            kbc::model::Block::Table(t) => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(tables.len(), 1);
    assert_eq!(tables[0].rows.len(), 100_000);
    assert_eq!(table.links.len(), 99_999);
    // Line 5 is row 0; the `|` inside the code span is text (as in DocFX), so `extra` is dropped.
    assert_eq!(
        of(&book, Code::ExtraTableCells),
        [format!("warning extra-table-cells table.md:{}:19", 77_777 + 5)]
    );
}

// ---------------------------------------------------------------------------------------------
// Nesting

#[test]
fn ten_thousand_levels_of_nesting_are_flattened_with_one_warning() {
    // The warning points at the first level past the limit (48 are kept): the 49th `>`, `- `, …
    let cases: [(&str, String, &str); 7] = [
        ("quotes.md", ">".repeat(10_000) + " deep quote\n", "nesting-depth quotes.md:3:50"),
        ("bullets.md", "- ".repeat(10_000) + "deep bullet\n", "nesting-depth bullets.md:3:99"),
        ("ordered.md", "1. ".repeat(10_000) + "deep step\n", "nesting-depth ordered.md:3:148"),
        ("mixed.md", "> - ".repeat(5_000) + "deep mix\n", "nesting-depth mixed.md:3:99"),
        (
            "emphasis.md",
            "*a ".repeat(5_000) + "deep" + &" a*".repeat(5_000) + "\n",
            "nesting-depth emphasis.md:3:145",
        ),
        (
            "strike.md",
            "~~a ".repeat(5_000) + "deep" + &" a~~".repeat(5_000) + "\n",
            "nesting-depth strike.md:3:193",
        ),
        // Links cannot contain links: 10,000 brackets are text around one link.
        ("links.md", "[".repeat(10_000) + "deep link" + &"](good.md)".repeat(10_000) + "\n", ""),
    ];
    let texts: Vec<(String, String)> =
        cases.iter().map(|(name, body, _)| (name.to_string(), format!("# {name}\n\n{body}"))).collect();
    let files: Vec<(&str, &[u8])> = texts.iter().map(|(n, t)| (n.as_str(), t.as_bytes())).collect();
    let dir = kb(&files);
    let book = load(dir.path());
    for (name, _, expected) in &cases {
        let text = article(&book, name).full_text();
        assert!(text.contains("deep"), "{name}: the innermost text survives");
        let found =
            of(&book, Code::NestingDepth).into_iter().filter(|l| l.contains(name)).collect::<Vec<_>>();
        if expected.is_empty() {
            assert!(found.is_empty(), "{found:?}");
        } else {
            assert_eq!(found, [format!("warning {expected}")], "{name}");
        }
    }
    // The model (and any renderer walking it) stays shallow.
    fn depth(blocks: &[kbc::model::Block]) -> usize {
        use kbc::model::Block;
        blocks
            .iter()
            .map(|b| match b {
                Block::BlockQuote { blocks, .. } | Block::Alert { blocks, .. } => 1 + depth(blocks),
                Block::List(l) => 1 + l.items.iter().map(|i| depth(&i.blocks)).max().unwrap_or(0),
                _ => 0,
            })
            .max()
            .unwrap_or(0)
    }
    for (name, ..) in &cases {
        let a = article(&book, name);
        assert!(depth(&a.sections[0].blocks) <= kbc::parse::MAX_NESTING + 1, "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// Floods: one construct repeated a million times

#[test]
fn floods_of_one_problem_are_capped_per_file_and_summed_up() {
    let headings = "#\n".repeat(500_000);
    let controls = "\u{85}".repeat(500_000);
    let references = "[a][b] ".repeat(150_000);
    let dir = kb(&[
        ("headings.md", headings.as_bytes()),
        ("controls.md", controls.as_bytes()),
        ("references.md", references.as_bytes()),
    ]);
    let book = load(dir.path());
    for (code, path, total, first_dropped) in [
        (Code::EmptyHeading, "headings.md", 500_000, "1001:1"),
        (Code::ControlCharacter, "controls.md", 500_000, "1:1001"),
        (Code::UndefinedReference, "references.md", 150_000, "1:7001"),
    ] {
        let found = of(&book, code);
        assert_eq!(found.len(), MAX_PER_FILE_AND_CODE + 1, "{code}");
        let summary = book
            .diagnostics
            .iter()
            .find(|d| d.code == code && d.message.contains("not shown"))
            .unwrap_or_else(|| panic!("no summary for {code}"));
        let dropped = total - MAX_PER_FILE_AND_CODE;
        assert_eq!(summary.message, format!("{dropped} more `{code}` problems in this file are not shown"));
        let at = book.content.sources.location(summary.span.expect("span"));
        assert_eq!(at, format!("{path}:{first_dropped}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs that once took quadratic time or asked for absurd memory

#[test]
fn fifty_thousand_headings_with_anchors_are_linear() {
    // Each anchor-only paragraph under a heading used to scan every anchor of the article.
    let text: String = (0..50_000).map(|i| format!("## Heading {i}\n<a name=\"a{i}\"></a>\n\n")).collect();
    let dir = kb(&[("anchors.md", format!("# Anchors\n\n{text}").as_bytes())]);
    let book = load(dir.path());
    let a = article(&book, "anchors.md");
    assert_eq!(a.sections.len(), 50_001);
    assert_eq!(a.sections[50_000].id.as_deref(), Some("a49999"));
}

#[test]
fn diagnostics_on_a_multi_megabyte_line_are_drawn_cut_out_with_their_real_column() {
    // One paragraph on one 4 MB line, with 1000 broken links along it. Each snippet used to hand
    // the whole line to annotate-snippets.
    let piece = format!("{} [x](nope.md)", "word ".repeat(800));
    let line = vec![piece.as_str(); 1000].join(" ");
    let dir = kb(&[("line.md", format!("# Line\n\n{line}\n").as_bytes())]);
    let book = load(dir.path());
    let missing = of(&book, Code::MissingFile);
    assert_eq!(missing.len(), 1001);
    let last_col = line.rfind("nope.md").expect("link") + 1;
    assert!(missing.contains(&format!("error missing-file line.md:3:{last_col}")), "{:?}", missing.last());
    let human = render(&book, kbc::diag::render::Format::Human);
    assert!(human.contains(&format!(" --> line.md:3:{last_col}\n")));
    assert!(human.len() < 1_500 * book.diagnostics.len(), "{} bytes", human.len());
}

#[test]
fn a_huge_fragment_against_a_huge_heading_gets_no_suggestion_and_no_abort() {
    // The anchor suggestion once asked for a 100,000 × 100,000 edit-distance matrix (80 GB).
    let text = format!("# {}\n\n[x](#{})\n", "a".repeat(100_000), "b".repeat(100_000));
    let many: String = (0..3_000).map(|i| format!("## Heading {i}\n\n[x](#heading-{i}x)\n\n")).collect();
    let dir = kb(&[("huge.md", text.as_bytes()), ("many.md", format!("# Many\n\n{many}").as_bytes())]);
    let book = load(dir.path());
    assert_eq!(of(&book, Code::MissingAnchor).iter().filter(|l| l.contains("huge.md")).count(), 1);
    // 3000 missing anchors against 3000 headings: no suggestions past 2000 candidates.
    let many_missing: Vec<_> = book.diagnostics.iter().filter(|d| d.code == Code::MissingAnchor).collect();
    assert_eq!(many_missing.len(), 1 + 1000 + 1);
    assert!(many_missing.iter().all(|d| d.help.is_none()));
}

// ---------------------------------------------------------------------------------------------
// The file system: symbolic links, special files

#[cfg(unix)]
#[test]
fn symlinks_are_never_followed_and_a_link_to_one_says_so() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("secret.md"), "# Secret\n\nTOP-SECRET-WORDS\n").expect("write");
    let dir = kb(&[(
        "links.md",
        b"# Links\n\n[out](secret.md) ![img](out-dir/x.png) [dir](out-dir/secret.md) [loop](loop/loop/good.md)\n\n[!INCLUDE[s](secret.md)]\n",
    )]);
    let root = dir.path();
    symlink(outside.path().join("secret.md"), root.join("secret.md")).expect("symlink");
    symlink(outside.path(), root.join("out-dir")).expect("symlink");
    symlink(root, root.join("loop")).expect("symlink");
    symlink(root.join("b.md"), root.join("a.md")).expect("symlink");
    symlink(root.join("a.md"), root.join("b.md")).expect("symlink");
    symlink("/nonexistent/kbc", root.join("dangling.md")).expect("symlink");
    let book = load(root);
    assert_eq!(
        located(&book),
        [
            GOOD_DIAGNOSTIC,
            "error missing-file links.md:3:7",
            "error missing-image links.md:3:25",
            "error missing-file links.md:3:46",
            "error missing-file links.md:3:72",
            "error missing-include links.md:5:14",
        ]
    );
    for d in &book.diagnostics[1..] {
        let note = d.note.as_deref().unwrap_or("");
        assert!(note.contains("is a symbolic link, and kbc does not follow symbolic links"), "{d:?}");
    }
    for (_, file) in book.content.sources.iter() {
        assert!(
            !file.text().unwrap_or("").contains("TOP-SECRET-WORDS"),
            "read through a symlink: {}",
            file.rel_path
        );
    }
    assert_eq!(book.articles.len(), 2);
}

#[cfg(unix)]
#[test]
fn a_named_pipe_is_never_opened() {
    let dir = kb(&[("links.md", b"# Links\n\n![pipe](pipe.png)\n")]);
    for name in ["pipe.md", "pipe.png"] {
        let status = Command::new("mkfifo").arg(dir.path().join(name)).status().expect("mkfifo");
        assert!(status.success());
    }
    // Reading either would block this test forever.
    let book = load(dir.path());
    assert_eq!(located(&book), ["error io pipe.md:1:1", GOOD_DIAGNOSTIC, "error missing-image links.md:3:9"]);
    let io = book.diagnostics.iter().find(|d| d.code == Code::Io).expect("io");
    assert!(io.message.contains("not a regular file"), "{}", io.message);
    let image = book.diagnostics.iter().find(|d| d.code == Code::MissingImage).expect("missing-image");
    assert!(image.note.as_deref().unwrap_or("").contains("not a regular file"));
}

// ---------------------------------------------------------------------------------------------
// The command line: configuration errors, and never losing the previous site

fn kbc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kbc")).args(args).arg("--color").arg("never").output().expect("run kbc")
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_book_toml_with_unknown_keys_is_refused_with_its_position() {
    for (toml, at, key) in [
        ("[book]\ntitle = \"T\"\ntitel = \"x\"\n", "book.toml:3:1", "titel"),
        ("[build]\nbuild-dir = \"out\"\nmax-threads = 4\n", "book.toml:3:1", "max-threads"),
        ("[book]\ntitle = \"T\"\n\n[bild]\nx = 1\n", "book.toml:4:2", "bild"),
        ("[check.rules]\nno-such-rule = \"deny\"\n", "book.toml:2:1", "no-such-rule"),
    ] {
        let dir = common::fixture(&[("book.toml", toml), ("content/a.md", "# A\n")]);
        let out = kbc(&["check", dir.path().to_str().expect("utf-8 path")]);
        assert_eq!(out.status.code(), Some(2), "{toml}");
        let err = stderr(&out);
        assert!(err.contains(at), "{toml}: {err}");
        assert!(err.contains(&format!("`{key}`")), "{toml}: {err}");
        assert!(err.ends_with('\n'), "the snippet ends its line: {err:?}");
    }
}

#[test]
fn a_theme_folder_that_does_not_exist_is_refused_with_its_position() {
    let toml = "[book]\ntitle = \"T\"\n\n[output.html]\ntheme = \"themes/mine\"\n";
    let dir = common::fixture(&[("book.toml", toml), ("content/a.md", "# A\n")]);
    let out = kbc(&["build", dir.path().to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("book.toml:5:9") && err.contains("does not exist"), "{err}");
    assert!(!dir.path().join("book").exists(), "nothing is written");
}

#[test]
fn a_theme_template_that_never_ends_fails_the_build_and_keeps_the_previous_site() {
    let (dir, before) = built();
    let d = dir.path().to_str().expect("utf-8 path");
    std::fs::write(dir.path().join("book.toml"), "[book]\nsrc = \".\"\n\n[output.html]\ntheme = \"theme\"\n")
        .expect("write");
    std::fs::create_dir(dir.path().join("theme")).expect("mkdir");
    // Endless in effect (10^12 iterations), and endless recursion: fuel and the recursion limit stop both.
    for template in [
        "{% for i in range(10000) %}{% for j in range(10000) %}{% for k in range(10000) %}x\
         {% endfor %}{% endfor %}{% endfor %}",
        "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    ] {
        std::fs::write(dir.path().join("theme/article.html"), template).expect("write");
        let out = kbc(&["build", d]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("theme/article.html:1:"), "names the template: {err}");
        assert!(err.contains("book` is unchanged"), "{err}");
        assert_eq!(tree(&dir.path().join("book")), before);
    }
}

/// Every file under `dir`, by relative path, with its bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("prefix").to_path_buf();
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

/// Names of the entries of `dir` (to catch temporary folders left behind).
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A knowledge base with a first good build in `book/`; returns it and that build's files.
fn built() -> (tempfile::TempDir, BTreeMap<PathBuf, Vec<u8>>) {
    let long = "Some text. ".repeat(5_000);
    let dir = common::fixture(&[
        ("a.md", &format!("# A\n\n[b](b.md)\n\n{long}\n")),
        ("b.md", "# B\n\n[a](a.md)\n"),
    ]);
    let out = kbc(&["build", dir.path().to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let before = tree(&dir.path().join("book"));
    assert!(before.contains_key(Path::new(".kbc-build")));
    (dir, before)
}

#[test]
fn a_build_with_content_errors_leaves_the_previous_site_untouched_and_says_so() {
    let (dir, before) = built();
    let d = dir.path().to_str().expect("utf-8 path");
    std::fs::write(dir.path().join("b.md"), "# B\n\n[a](gone.md)\n").expect("write");
    let out = kbc(&["build", d]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("the content has errors;") && err.contains("book` was left unchanged"), "{err}");
    assert_eq!(tree(&dir.path().join("book")), before);
    assert_eq!(entries(dir.path()), ["a.md", "b.md", "book"]);
}

#[cfg(unix)]
#[test]
fn a_build_that_fails_while_writing_leaves_the_previous_site_untouched_and_says_so() {
    let (dir, before) = built();
    // The large article changes, so its output is written again (an unchanged file would be
    // hard-linked from the previous build, which no size limit stops).
    let long = "Other text. ".repeat(5_000);
    std::fs::write(dir.path().join("a.md"), format!("# A\n\n[b](b.md)\n\n{long}\n")).expect("write");
    // A file size limit of 8 KiB makes the write of the large article's output fail, as a full
    // disk would (SIGXFSZ is ignored, so the write returns EFBIG instead of killing kbc).
    let script = format!(
        "trap '' XFSZ; ulimit -f 16; exec \"{}\" build \"$1\" --color never",
        env!("CARGO_BIN_EXE_kbc")
    );
    let out = Command::new("sh").arg("-c").arg(script).arg("sh").arg(dir.path()).output().expect("sh");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("error: writing the build failed") && err.contains("book` is unchanged"), "{err}");
    assert_eq!(tree(&dir.path().join("book")), before);
    assert_eq!(entries(dir.path()), ["a.md", "b.md", "book"], "no temporary folder is left behind");
}

#[test]
fn a_dest_that_cannot_be_created_is_a_clear_error() {
    let (dir, before) = built();
    let d = dir.path().to_str().expect("utf-8 path");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a folder").expect("write");
    let dest = file.join("book");
    let out = kbc(&["build", d, "--dest", dest.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&format!("cannot write `{}`", dest.display())), "{err}");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "not a folder");
    assert_eq!(tree(&dir.path().join("book")), before);
    assert_eq!(entries(dir.path()), ["a-file", "a.md", "b.md", "book"]);
}

#[test]
fn a_dest_kbc_did_not_create_is_refused() {
    let (dir, _) = built();
    let d = dir.path().to_str().expect("utf-8 path");
    let foreign = tempfile::tempdir().expect("tempdir");
    std::fs::write(foreign.path().join("thesis.docx"), "years of work").expect("write");
    // Someone else's folder, and the content folder itself.
    for dest in [foreign.path(), dir.path()] {
        let before = tree(dest);
        let out = kbc(&["build", d, "--dest", dest.to_str().expect("utf-8 path")]);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(err.contains("refusing to replace") && err.contains("was not created by kbc"), "{err}");
        assert_eq!(tree(dest), before);
    }
}
