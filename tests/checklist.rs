//! Printable checklists: the seed's task list (snapshot), every dev-corpus article, and the seed's
//! page printed to PDF by a real headless Chromium (A4 and Letter) and read back with poppler's
//! `pdftotext`. PDFs, their text and PNGs of the pages go to `target/test-output/checklist/`.

use crate::common;
use crate::site;

use headless_chrome::types::PrintToPdfOptions;
use headless_chrome::{Browser, LaunchOptions};
use kbc::Book;
use kbc::config::Paper;
use kbc::model::{ArticleId, Block, Inline, Step};
use kbc::render::checklist::{self, html::MARK, model::Checklist};
use kbc::render::urls;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn seed(book: &Book) -> ArticleId {
    let i = book
        .articles
        .iter()
        .position(|a| a.rel_path == "troubleshooting-sign-in-errors-for-admins.md")
        .expect("seed article");
    ArticleId(i as u32)
}

fn seed_checklist(book: &Book) -> Checklist {
    checklist::checklist(book, seed(book)).unwrap().expect("seed checklist")
}

#[test]
fn seed_markdown() {
    let book = common::book(&common::repo_root());
    let c = seed_checklist(&book);
    // The article: 8 cause rows, 6 error-message rows (4 + 2 + 12 + 2 steps inlined from their
    // procedures), and the 2 steps of "collect more information" as the escalation.
    assert_eq!(c.item_count(), 8 + 6 + 4 + 2 + 12 + 2 + 2);
    let md = checklist::to_markdown(&book, &c).unwrap();
    assert_eq!(md.matches("- [ ] ").count(), c.item_count());
    insta::assert_snapshot!(md);
}

#[test]
fn seed_numbers_and_references() {
    let book = common::book(&common::repo_root());
    let c = seed_checklist(&book);
    let titles: Vec<(usize, &str)> = c.sections.iter().map(|s| (s.number, s.title.as_str())).collect();
    assert_eq!(titles, [(1, "常见原因"), (2, "按错误消息"), (3, "收集更多信息并寻求其他帮助")]);
    let md = checklist::to_markdown(&book, &c).unwrap();
    // The first cause links to the TrustModelData procedure, inlined under the fifth error row.
    assert!(md.contains("修改 TrustModelData 注册表项（见 2.5）"), "{md}");
    // The Disable/DisableEx table stays with step 4 of the firewall procedure.
    let step = md.find("**2.1.4**").expect("step 2.1.4");
    let table = md.find("| **msoidsvc** | DisableEx | 0 |").expect("DisableEx row");
    assert!(step < table && table < md.find("### 服务器暂时不可用").expect("next message"));
    // External links: text, short URL, footnote with the full URL.
    assert!(md.contains("(go.microsoft.com/…/816042)[^1]"));
    assert!(md.contains("[^1]: <http://go.microsoft.com/fwlink/?linkid=3052&kbid=816042>"));
    assert_eq!(c.footnotes.len(), 8);
}

#[test]
fn topics_and_switch_select_articles() {
    let mut book = common::book(&common::repo_root());
    let id = seed(&book);
    assert!(kbc::render::has_checklist(&book, &book.articles[id.0 as usize]));
    book.config.output.checklist.topics = vec!["article".into()];
    assert!(!kbc::render::has_checklist(&book, &book.articles[id.0 as usize]));
    book.config.output.checklist.topics = vec!["Troubleshooting".into()];
    assert!(kbc::render::has_checklist(&book, &book.articles[id.0 as usize]));
    book.config.output.checklist.enable = false;
    assert!(!kbc::render::has_checklist(&book, &book.articles[id.0 as usize]));
    let dir = tempfile::tempdir().expect("tempdir");
    let stats = checklist::write(&book, dir.path()).expect("write");
    assert_eq!(stats, checklist::Stats::default());
    assert!(!dir.path().join("checklists").exists());
}

/// Every dev-corpus article with troubleshooting rows or steps gets both files, each with one
/// checkbox per item of its model; the index lists them all.
#[test]
fn every_dev_corpus_article() {
    let mut summary = Vec::new();
    // Under target/, kept for a look at real articles' sheets.
    let out = site::test_output("checklist-corpus");
    for root in common::corpus_roots() {
        let book = common::book(&root);
        let name = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let dir = out.join(&name);
        let stats = checklist::write(&book, &dir).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
        let index = std::fs::read_to_string(dir.join(urls::CHECKLIST_INDEX)).expect("index");
        let (mut count, mut items) = (0, 0);
        for (i, a) in book.articles.iter().enumerate() {
            let expected = !a.troubleshooting.is_empty() || !a.procedures.is_empty();
            assert_eq!(kbc::render::has_checklist(&book, a), expected, "{}", a.rel_path);
            let html_path = dir.join(urls::checklist_path(a));
            let md_path = dir.join(urls::checklist_markdown_path(a));
            if !expected {
                assert!(!html_path.exists(), "{}", a.rel_path);
                continue;
            }
            let c = checklist::checklist(&book, ArticleId(i as u32)).unwrap().expect("checklist");
            let html = std::fs::read_to_string(&html_path)
                .unwrap_or_else(|e| panic!("{}: {e}", html_path.display()));
            let md =
                std::fs::read_to_string(&md_path).unwrap_or_else(|e| panic!("{}: {e}", md_path.display()));
            let n = c.item_count();
            assert!(n > 0, "{}: no items", a.rel_path);
            if html.matches(MARK).count() != n {
                // Kept for a look: the page whose boxes do not match its model.
                let keep = site::test_output("checklist-mismatch");
                std::fs::write(keep.join("page.html"), &html).expect("keep html");
                std::fs::write(keep.join("page.md"), &md).expect("keep md");
            }
            assert_eq!(html.matches(MARK).count(), n, "{}: checkboxes in the HTML", a.rel_path);
            let tasks = md.lines().filter(|l| l.trim_start().starts_with("- [ ] ")).count();
            assert_eq!(tasks, n, "{}: tasks in the Markdown", a.rel_path);
            let link = urls::relative_url(urls::CHECKLIST_INDEX, &urls::checklist_path(a), None);
            assert!(
                index.contains(&format!("href=\"{}\"", link.replace('&', "&amp;"))),
                "{}: not in the index",
                a.rel_path
            );
            count += 1;
            items += n;
        }
        assert_eq!((stats.checklists, stats.items), (count, items), "{}", root.display());
        summary.push(format!("{name}: {} articles, {count} checklists, {items} items", book.articles.len()));
    }
    eprintln!("{}", summary.join("\n"));
}

/// The runs of a step's first paragraph between links: on paper each link's text is followed by a
/// reference or a footnote number, so only the runs are contiguous text.
fn step_runs(step: &Step) -> Vec<String> {
    let Some(Block::Paragraph { inlines, .. }) =
        step.blocks.iter().find(|b| matches!(b, Block::Paragraph { .. }))
    else {
        return vec![step.text.clone()];
    };
    let mut runs = vec![String::new()];
    for i in inlines {
        let text = kbc::parse::plain_text(std::slice::from_ref(i));
        if let Some(last) = runs.last_mut() {
            last.push_str(&text);
        }
        if matches!(i, Inline::Link { .. }) {
            runs.push(String::new());
        }
    }
    runs.into_iter().map(|r| squeeze(&r)).filter(|r| !r.is_empty()).collect()
}

fn all_steps<'a>(steps: &'a [Step], out: &mut Vec<&'a Step>) {
    for s in steps {
        out.push(s);
        all_steps(&s.substeps, out);
    }
}

/// Text without white space: line wrapping and layout columns differ between papers.
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn run(cmd: &str, args: &[&OsStr]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("`{cmd}` is missing ({e}): install poppler-utils (.ci/browser-deps.sh)"));
    assert!(out.status.success(), "{cmd} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One word of `pdftotext -bbox-layout`, in points.
struct Word {
    page: usize,
    x_min: f64,
    x_max: f64,
    text: String,
}

fn attr(tag: &str, name: &str) -> f64 {
    let key = format!("{name}=\"");
    let start = tag.find(&key).map(|i| i + key.len()).expect("attribute");
    let end = tag[start..].find('"').expect("closing quote") + start;
    tag[start..end].parse().expect("number")
}

/// Page widths and words from `pdftotext -bbox-layout` (XHTML; one tag per line).
fn boxes(xhtml: &str) -> (Vec<f64>, Vec<Word>) {
    let (mut pages, mut words) = (Vec::new(), Vec::new());
    for line in xhtml.lines().map(str::trim) {
        if line.starts_with("<page ") {
            pages.push(attr(line, "width"));
        } else if line.starts_with("<word ") {
            let text = line.split_once('>').map(|(_, r)| r.trim_end_matches("</word>")).unwrap_or("");
            words.push(Word {
                page: pages.len(),
                x_min: attr(line, "xMin"),
                x_max: attr(line, "xMax"),
                text: text.to_string(),
            });
        }
    }
    (pages, words)
}

fn chromium() -> PathBuf {
    std::env::var_os("KBC_CHROMIUM").map(PathBuf::from).unwrap_or_else(|| {
        let p = PathBuf::from("/usr/bin/chromium");
        assert!(p.is_file(), "Chromium is missing: run .ci/browser-deps.sh (this test never skips)");
        p
    })
}

/// Prints `page` to PDF with the page size its CSS asks for.
fn print(browser: &Browser, page: &Path) -> Vec<u8> {
    let tab = browser.new_tab().expect("tab");
    tab.set_default_timeout(Duration::from_secs(60));
    let url = format!("file://{}", page.display());
    tab.navigate_to(&url).expect("navigate").wait_until_navigated().expect("navigated");
    let pdf = tab
        .print_to_pdf(Some(PrintToPdfOptions {
            prefer_css_page_size: Some(true),
            print_background: Some(true),
            display_header_footer: Some(false),
            ..Default::default()
        }))
        .expect("print to PDF");
    let _ = tab.close(true);
    pdf
}

/// The seed's checklist printed by Chromium on A4 and Letter: every step's text is there, one `☐`
/// per item, nothing runs past the right margin, and the page has the paper size asked for.
#[test]
fn seed_prints_on_a4_and_letter() {
    let out = site::test_output("checklist");
    let profile = tempfile::tempdir().expect("profile dir");
    let args: Vec<&OsStr> = [
        "--headless=new",
        "--disable-gpu",
        "--no-first-run",
        "--font-render-hinting=none",
        "--allow-file-access-from-files",
    ]
    .iter()
    .map(OsStr::new)
    .collect();
    let options = LaunchOptions::default_builder()
        .path(Some(chromium()))
        .headless(true)
        .sandbox(false)
        .user_data_dir(Some(profile.path().to_path_buf()))
        .idle_browser_timeout(Duration::from_secs(120))
        .args(args)
        .build()
        .expect("launch options");
    let browser = Browser::new(options).expect("launch Chromium");

    let mut book = common::book(&common::repo_root());
    let id = seed(&book);
    let c = seed_checklist(&book);
    let article = &book.articles[id.0 as usize];
    let mut steps = Vec::new();
    for p in &article.procedures {
        all_steps(&p.steps, &mut steps);
    }
    assert_eq!(steps.len(), 4 + 2 + 12 + 2 + 2, "the seed's steps");
    let page_path = urls::checklist_path(article);
    let mut report = Vec::new();
    // Points: A4 is 210 × 297 mm, Letter 8.5 × 11 in; the page's side margins are 14 mm.
    for (paper, name, width) in [(Paper::A4, "a4", 595.28), (Paper::Letter, "letter", 612.0)] {
        book.config.output.checklist.paper = paper;
        let dir = out.join(name);
        checklist::write(&book, &dir).expect("write checklists");
        let pdf_path = out.join(format!("seed-{name}.pdf"));
        std::fs::write(&pdf_path, print(&browser, &dir.join(&page_path))).expect("write pdf");

        let text = run("pdftotext", &[OsStr::new("-layout"), pdf_path.as_os_str(), OsStr::new("-")]);
        std::fs::write(out.join(format!("seed-{name}.txt")), &text).expect("write text");
        let flat = squeeze(&text);
        for step in &steps {
            for r in step_runs(step) {
                assert!(
                    flat.contains(&r),
                    "{name}: step text missing from the PDF: {r}\n(step: {})",
                    step.text
                );
            }
        }
        assert_eq!(text.matches(MARK).count(), c.item_count(), "{name}: checkboxes in the PDF");
        for n in ["1.1", "2.1.4", "2.4.12", "3.2"] {
            assert!(text.contains(n), "{name}: item {n} missing");
        }
        assert!(flat.contains("DisableEx"), "{name}: the step table is missing");

        let bbox = run("pdftotext", &[OsStr::new("-bbox-layout"), pdf_path.as_os_str(), OsStr::new("-")]);
        let (pages, words) = boxes(&bbox);
        assert!(!pages.is_empty(), "{name}: no pages");
        for w in &pages {
            assert!((w - width).abs() < 1.0, "{name}: page width {w} pt, expected {width}");
        }
        let margin = 14.0 / 25.4 * 72.0;
        for w in &words {
            let page_width = pages[w.page - 1];
            assert!(
                w.x_max <= page_width - margin + 1.0 && w.x_min >= margin - 1.0,
                "{name}: `{}` on page {} runs into the margin ({:.1}–{:.1} of {page_width:.1} pt)",
                w.text,
                w.page,
                w.x_min,
                w.x_max
            );
        }
        // "n / N" in every page's footer.
        for p in 1..=pages.len() {
            assert!(flat.contains(&format!("{p}/{}", pages.len())), "{name}: page number {p} missing");
        }
        run(
            "pdftoppm",
            &[
                OsStr::new("-r"),
                OsStr::new("60"),
                OsStr::new("-png"),
                pdf_path.as_os_str(),
                out.join(format!("seed-{name}")).as_os_str(),
            ],
        );
        report.push(format!(
            "{name}: {} pages, {} items, {} words",
            pages.len(),
            c.item_count(),
            words.len()
        ));
    }
    eprintln!("{}", report.join("\n"));
}

/// The rules on a small knowledge base: symptoms, a procedure in another article, alerts, links of
/// every kind, an escalation section in English, the site URL in the header and its QR code.
#[test]
fn fixture_rules() {
    let dir = common::fixture(&[
        (
            "book.toml",
            "[book]\ntitle = \"Contoso KB\"\nlanguage = \"en-US\"\nsrc = \"src\"\n[output.html]\nsite-url = \"https://kb.contoso.com/\"\n\
             [output.checklist]\npaper = \"letter\"\n",
        ),
        (
            "src/fix-printing.md",
            "---\nms.topic: troubleshooting\nms.date: 2024-02-03\n---\n# Fix printing\n\n\
             | Symptom | Cause | Resolution |\n|---|---|---|\n\
             | Nothing prints | The spooler stopped | [Restart the spooler](#restart-the-spooler) |\n\
             | Nothing prints | No driver | [Install the driver](drivers.md#install) |\n\
             | Pages are blank | Toner is empty | Replace the toner; mail <help@contoso.com> |\n\n\
             ## Restart the spooler\n\n> [!WARNING]\n> Save open documents first.\n\n\
             1. Open **Services**.\n\n   > [!NOTE]\n   > Services is also in Computer Management.\n   >\n   > A second paragraph that paper does not need.\n\n\
             2. Restart *Print Spooler*, see [the driver section](#background) and [Background](#background).\n   1. Wait.\n   2. Print a [test page](https://www.contoso.com/support/printing/test-page-guide/2024/windows).\n\n\
             ## Background\n\nPrinters are hard.\n\n\
             ## Clean the rollers\n\n1. Turn the printer off.\n2. Wipe the rollers, as in [step one](#restart-the-spooler).\n\n\
             ## Still need help?\n\n1. Note the printer model.\n2. Call the help desk.\n",
        ),
        ("src/drivers.md", "# Drivers\n\n## Install\n\n1. Download.\n2. Run the installer.\n"),
    ]);
    let book = common::book(dir.path());
    let id = ArticleId(
        book.articles.iter().position(|a| a.rel_path == "fix-printing.md").expect("article") as u32
    );
    let c = checklist::checklist(&book, id).unwrap().expect("checklist");
    let md = checklist::to_markdown(&book, &c).unwrap();
    let titles: Vec<&str> = c.sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["By symptom", "Clean the rollers", "Still need help?"], "{md}");
    // 3 symptom rows, 2 + 2 spooler steps inlined under the first; 2 roller steps; 2 escalation steps.
    assert_eq!(c.item_count(), 3 + 4 + 2 + 2, "{md}");
    assert_eq!(md.matches("- [ ] ").count(), c.item_count());
    for expected in [
        "# Checklist: Fix printing",
        "Contoso KB · Article date: 2024-02-03",
        "<https://kb.contoso.com/fix-printing.html>",
        "### Nothing prints",
        "- [ ] **1.1** **The spooler stopped**",
        "  → Restart the spooler",
        "> [!WARNING]\n  > Save open documents first.",
        "- [ ] **1.1.1** Open **Services**.",
        "Services is also in Computer Management.",
        // A link to a section that is not in the checklist names it, unless its text already does.
        "the driver section (see “Background”) and Background.",
        "    - [ ] **1.1.2.2** Print a test page (contoso.com/…/windows)[^1].",
        // The procedure of another article is not inlined: its URL is a footnote.
        "Install the driver[^2]",
        "mail help@contoso.com",
        "## 2 Clean the rollers",
        "as in step one (see 1.1).",
        "## 3 Escalation: Still need help?",
        "- [ ] **3.2** Call the help desk.",
        "[^1]: <https://www.contoso.com/support/printing/test-page-guide/2024/windows>",
        "[^2]: <https://kb.contoso.com/drivers.html#install>",
    ] {
        assert!(md.contains(expected), "missing `{expected}` in:\n{md}");
    }
    assert!(!md.contains("A second paragraph"), "a NOTE keeps its first paragraph only:\n{md}");

    let out = tempfile::tempdir().expect("tempdir");
    checklist::write(&book, out.path()).expect("write");
    let page = std::fs::read_to_string(out.path().join("checklists/fix-printing.html")).expect("page");
    assert!(page.contains("@page { size: letter; }"));
    assert!(page.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"cl-qr\""));
    assert!(page.contains("<div class=\"cl-note cl-note-box cl-note-warning\">"));
    assert_eq!(page.matches(MARK).count(), c.item_count());
    // The drivers article has steps too; the index lists both.
    let index = std::fs::read_to_string(out.path().join(urls::CHECKLIST_INDEX)).expect("index");
    assert!(
        index.contains("href=\"fix-printing.html\"") && index.contains("href=\"drivers.html\""),
        "{index}"
    );
}
