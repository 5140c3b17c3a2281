//! The static HTML site, without a browser: the seed page, a crawl of every built site (every
//! `href`/`src` lands on a built file, every `#fragment` on an id), anchors, sanitizing, themes,
//! determinism and size.

use crate::common;
use crate::site;

use kbc::Book;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Instant;

const SEED: &str = "troubleshooting-sign-in-errors-for-admins";

fn seed_book() -> Book {
    common::book(&common::repo_root())
}

/// Every anchor of every article is an id of its page, exactly once.
fn assert_anchors_are_ids(book: &Book, out: &Path) {
    for a in &book.articles {
        let page = out.join(kbc::render::urls::page_path(a, "html"));
        let html = std::fs::read_to_string(&page).unwrap();
        let ids = site::page_ids(&html);
        let set: HashSet<&str> = ids.iter().map(String::as_str).collect();
        assert_eq!(set.len(), ids.len(), "{}: an id is written twice", a.rel_path);
        for anchor in &a.anchors {
            assert!(set.contains(anchor.id.as_str()), "{}: anchor `{}` is not an id", a.rel_path, anchor.id);
        }
    }
}

#[test]
fn seed_page() {
    let book = seed_book();
    let out = tempfile::tempdir().unwrap();
    site::write_site(&book, out.path());
    let html = std::fs::read_to_string(out.path().join(format!("{SEED}.html"))).unwrap();
    insta::assert_snapshot!("seed_page", html);

    // The ids deep links use, as written in the source.
    let ids = site::page_ids(&html);
    for id in [
        "__toc323194094",
        "__add_a_firewall",
        "MT_Footer",
        "__top",
        "检查skype-for-business-online登录错误的常见原因",
    ] {
        assert_eq!(ids.iter().filter(|i| *i == id).count(), 1, "{id}");
    }
    // Internal links are rewritten to the page, external ones marked.
    assert!(html.contains("<a href=\"#__add_a_firewall\">"));
    assert!(!html.contains("cdd4801a-2fe1-4aab-bbb6-db5f95f972d1.md"));
    assert!(html.contains("class=\"kbc-ext\""));
    // Head: language, description, JSON-LD, Markdown twin, checklist.
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"zh-CN\""));
    assert!(html.contains(
        "<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\"@type\":\"TechArticle\""
    ));
    assert!(html.contains(&format!("<link rel=\"alternate\" type=\"text/markdown\" href=\"{SEED}.md\">")));
    // The seed has troubleshooting rows and steps: its page links to its printable checklist.
    assert!(html.contains(&format!("<a href=\"checklists/{SEED}.html\">")));
    // The error entry of the troubleshooting table has its own anchor, titled for search.
    assert!(html.contains("<tr id=\"entry-2-1\" data-pagefind-title=\"找不到登录地址\">"));
    // Alerts are labelled; procedures are numbered steps.
    assert!(html.contains("role=\"note\" aria-label=\"重要\""));
    assert!(html.contains("<ol class=\"kbc-steps\">"));
    assert_anchors_are_ids(&book, out.path());
}

#[test]
fn seed_site_crawls_clean() {
    let book = seed_book();
    let out = tempfile::tempdir().unwrap();
    let stats = site::write_site(&book, out.path());
    let crawl = site::crawl(out.path());
    assert!(crawl.failures.is_empty(), "{:#?}", crawl.failures);
    assert!(crawl.duplicate_ids.is_empty(), "{:#?}", crawl.duplicate_ids);
    assert_eq!(crawl.pages, 3, "article, home, 404");
    assert!(crawl.fragments >= 25, "{crawl:?}");
    assert_eq!(crawl.unresolved, stats.unresolved_links);
    for f in
        ["index.html", "404.html", "_kbc/kbc.css", "_kbc/kbc.js", "_kbc/nav.js", "_kbc/search/pagefind.js"]
    {
        assert!(out.path().join(f).is_file(), "{f}");
    }
    // No site-url: no sitemap, no canonical.
    assert!(!out.path().join("sitemap.xml").exists());
}

/// Each dev-corpus root builds into a site whose every internal link and fragment resolves.
#[test]
fn corpus_sites_crawl_clean() {
    let report_dir = site::test_output("html-corpus");
    let mut report = String::new();
    for root in common::corpus_roots() {
        let name = root.file_name().unwrap().to_string_lossy().into_owned();
        let book = common::book(&root);
        let out = report_dir.join(&name);
        let started = Instant::now();
        let stats = site::write_site(&book, &out);
        let took = started.elapsed();
        let crawl = site::crawl(&out);
        assert!(
            crawl.failures.is_empty(),
            "{name}: {} failures: {:#?}",
            crawl.failures.len(),
            &crawl.failures[..crawl.failures.len().min(30)]
        );
        assert!(crawl.duplicate_ids.is_empty(), "{name}: {:#?}", crawl.duplicate_ids);
        assert_eq!(crawl.pages, book.articles.len() + 2, "{name}");
        assert_eq!(
            crawl.unresolved, stats.unresolved_links,
            "{name}: unresolved links on pages vs the renderer's count"
        );
        assert_anchors_are_ids(&book, &out);
        let search = site::dir_size(&out.join("_kbc/search"));
        let total = site::dir_size(&out) - site::dir_size(&out.join("model"));
        let html_total: u64 = book
            .articles
            .iter()
            .map(|a| {
                std::fs::metadata(out.join(kbc::render::urls::page_path(a, "html")))
                    .map(|m| m.len())
                    .unwrap_or(0)
            })
            .sum();
        report.push_str(&format!(
            "{name}: {} articles, {} assets, html {:.1} MB (max page {} KB), nav.js {} KB, search {:.1} MB in {} files, site {:.1} MB, built in {:.2} s; \
             crawl: {} links, {} fragments, {} external, {} unresolved (checker reports), pending {:?}\n",
            book.articles.len(),
            stats.assets,
            html_total as f64 / 1e6,
            book.articles.iter().map(|a| std::fs::metadata(out.join(kbc::render::urls::page_path(a, "html"))).map(|m| m.len()).unwrap_or(0)).max().unwrap_or(0) / 1024,
            std::fs::metadata(out.join("_kbc/nav.js")).map(|m| m.len()).unwrap_or(0) / 1024,
            search as f64 / 1e6,
            stats.search_files,
            total as f64 / 1e6,
            took.as_secs_f64(),
            crawl.links,
            crawl.fragments,
            crawl.external,
            crawl.unresolved,
            crawl.pending,
        ));
    }
    std::fs::write(report_dir.join("report.txt"), &report).unwrap();
    eprintln!("{report}");
}

#[test]
fn output_is_byte_identical_across_thread_counts() {
    let roots = [common::repo_root(), common::shared().join("corpus/dev/zh-CN_skype_2017-12")];
    for root in roots {
        let book = common::book(&root);
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| site::write_site(&book, a.path()));
        rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap()
            .install(|| site::write_site(&book, b.path()));
        let list = |p: &Path| -> BTreeMap<String, Vec<u8>> {
            walkdir::WalkDir::new(p)
                .into_iter()
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_file())
                .map(|e| {
                    (
                        kbc::source::slash_path(e.path().strip_prefix(p).unwrap()),
                        std::fs::read(e.path()).unwrap(),
                    )
                })
                .collect()
        };
        let (la, lb) = (list(a.path()), list(b.path()));
        assert_eq!(la.keys().collect::<Vec<_>>(), lb.keys().collect::<Vec<_>>(), "{}", root.display());
        for (k, v) in &la {
            assert!(v == &lb[k], "{}: `{k}` differs between builds", root.display());
        }
    }
}

/// The site of the book in `dir`, and the `<article>` of its page `a.html`.
fn article_of_a(dir: &Path) -> (tempfile::TempDir, String) {
    let book = common::book(dir);
    let out = tempfile::tempdir().unwrap();
    site::write_site(&book, out.path());
    let html = std::fs::read_to_string(out.path().join("a.html")).unwrap();
    let body = html[html.find("<article").unwrap()..html.find("</article>").unwrap()].to_string();
    (out, body)
}

/// DocFX's cross references (`<xref:uid>`, `[text](xref:uid)`, as in dotnet/docs) name API pages
/// that DocFX's xref service resolves; a knowledge base has none, so they are text, not links to
/// nowhere, and no problem is reported. Also in a paragraph with inline HTML, which is sanitized.
#[test]
fn docfx_cross_references_and_video_ids_are_text() {
    let dir = common::fixture(&[(
        "a.md",
        "# A\n\nCall <xref:System.Console.WriteLine(System.String)?displayProperty=nameWithType>.\n\n\
         Press <kbd>Enter</kbd> and [read it](xref:System.Console.Read).\n\n\
         > [!VIDEO 4f9192b3-5c26-4d5b-a2a4-0c1cbe0d3e5e]\n",
    )]);
    let book = common::book(dir.path());
    assert!(book.diagnostics.is_empty(), "{:?}", book.diagnostics);
    let (out, body) = article_of_a(dir.path());
    assert!(!body.contains("xref:"), "{body}");
    assert!(
        body.contains(
            "Call <span class=\"kbc-xref\"><code>System.Console.WriteLine(System.String)</code></span>."
        ),
        "{body}"
    );
    assert!(body.contains("<kbd>Enter</kbd> and <span class=\"kbc-xref\">read it</span>."), "{body}");
    // Likewise a video named by its id, which only Microsoft Learn turns into a player, is text.
    assert!(
        body.contains("<p class=\"kbc-video-link\">Video: 4f9192b3-5c26-4d5b-a2a4-0c1cbe0d3e5e</p>"),
        "{body}"
    );
    drop(out);
    let id = kbc::model::ArticleId(0);
    let a = book.article(id).unwrap();
    let twin =
        kbc::render::markdown::Markdown::new(&book, id, &a, kbc::render::markdown::Links::Page).article();
    assert!(twin.contains("Call `System.Console.WriteLine(System.String)`."), "{twin}");
    assert!(twin.contains(" and read it."), "{twin}");
    assert!(twin.contains("\nVideo: 4f9192b3-5c26-4d5b-a2a4-0c1cbe0d3e5e"), "{twin}");
}

#[test]
fn raw_html_is_sanitized_and_links_rewritten() {
    let dir = common::fixture(&[
        (
            "a.md",
            "# A\n\n<a name=\"old-anchor\"></a>Text <b onclick=\"steal()\">bold</b>\n\n<script>alert(1)</script>\n\n<p style=\"color:red\" id=\"para\">p <a href=\"javascript:alert(1)\">x</a> <a href=\"b.md#sec\">to b</a> <img src=\"img/p.png\" onerror=\"x()\"></p>\n\n<iframe src=\"https://www.youtube.com/embed/abc\"></iframe>\n\n<iframe src=\"https://evil.example/\"></iframe>\n\n[bad](javascript:alert(2)) and [ext](https://example.com/)\n",
        ),
        ("b.md", "# B\n\n## Sec\n<a name=\"sec\"></a>\n\ntext\n"),
        ("img/p.png", "png"),
    ]);
    let (out, body) = article_of_a(dir.path());
    let body = body.as_str();
    for bad in ["onclick", "<script>alert", "javascript:", "onerror", "style=", "evil.example"] {
        assert!(!body.contains(bad), "`{bad}` survived: {body}");
    }
    assert!(body.contains("<a name=\"old-anchor\" id=\"old-anchor\"></a>"), "{body}");
    assert!(body.contains("<a href=\"b.html#sec\">to b</a>"), "{body}");
    assert!(body.contains("<img src=\"img/p.png\">"), "{body}");
    assert!(body.contains("<iframe src=\"https://www.youtube.com/embed/abc\"></iframe>"), "{body}");
    assert!(body.contains("<span class=\"kbc-unresolved\">bad</span>"), "{body}");
    assert!(body.contains("<a href=\"https://example.com/\" class=\"kbc-ext\">ext</a>"), "{body}");
    assert!(out.path().join("img/p.png").is_file(), "assets are copied");
    let crawl = site::crawl(out.path());
    assert!(crawl.failures.is_empty(), "{:#?}", crawl.failures);
}

#[test]
fn user_theme_overrides_falls_back_and_reports_errors() {
    let files = [
        ("book.toml", "[book]\ntitle = \"T\"\n\n[output.html]\ntheme = \"theme\"\n"),
        ("content/a.md", "# A\n\ntext\n"),
        ("theme/404.html", "{% extends \"base.html\" %}{% block main %}<h1>custom 404</h1>{% endblock %}"),
        ("theme/static/extra.css", "p{}"),
    ];
    let dir = common::fixture(&files);
    let book = common::book(dir.path());
    let out = tempfile::tempdir().unwrap();
    site::write_site(&book, out.path());
    assert!(std::fs::read_to_string(out.path().join("404.html")).unwrap().contains("<h1>custom 404</h1>"));
    assert!(
        std::fs::read_to_string(out.path().join("a.html")).unwrap().contains("<article"),
        "falls back to the default"
    );
    assert!(out.path().join("_kbc/extra.css").is_file());

    // A broken template: the error names the file and the line.
    std::fs::write(
        dir.path().join("theme/article.html"),
        "{% extends \"base.html\" %}\n{% block main %}\n{{ page.title | nosuchfilter }}\n{% endblock %}\n",
    )
    .unwrap();
    let book = common::book(dir.path());
    let out = tempfile::tempdir().unwrap();
    let e = kbc::render::html::write(&book, out.path()).unwrap_err().to_string();
    let file = dir.path().join("theme/article.html");
    assert!(e.starts_with(&format!("{}:3: ", file.display())), "{e}");
    assert!(e.contains("nosuchfilter"), "{e}");
}

#[test]
fn translations_canonical_and_sitemap() {
    let guid = "ms.assetid: 0b0c9d3e-1111-2222-3333-444455556666";
    let en = format!(
        "---\ntitle: Sign in\n{guid}\nms.date: 01/02/2020\nms.locale: en-US\n---\n# Sign in\n\nText.\n"
    );
    let zh = format!("---\ntitle: 登录\n{guid}\nms.locale: zh-CN\n---\n# 登录\n\n文字。\n");
    let dir = common::fixture(&[
        (
            "book.toml",
            "[book]\ntitle = \"KB\"\n\n[output.html]\nsite-url = \"https://kb.example.com/docs/\"\n",
        ),
        ("content/en-us/sign-in.md", &en),
        ("content/zh-cn/sign-in.md", &zh),
    ]);
    let book = common::book(dir.path());
    let out = tempfile::tempdir().unwrap();
    site::write_site(&book, out.path());
    let en_html = std::fs::read_to_string(out.path().join("en-us/sign-in.html")).unwrap();
    let zh_html = std::fs::read_to_string(out.path().join("zh-cn/sign-in.html")).unwrap();
    assert!(
        en_html.contains("<link rel=\"alternate\" hreflang=\"zh-CN\" href=\"../zh-cn/sign-in.html\">"),
        "{en_html}"
    );
    assert!(zh_html.contains("<link rel=\"alternate\" hreflang=\"en-US\" href=\"../en-us/sign-in.html\">"));
    assert!(
        en_html.contains("<link rel=\"canonical\" href=\"https://kb.example.com/docs/en-us/sign-in.html\">")
    );
    assert!(
        zh_html.contains("<html lang=\"zh-CN\"")
            || zh_html.contains("<article class=\"kbc-article\" lang=\"zh-CN\">")
    );
    let sitemap = std::fs::read_to_string(out.path().join("sitemap.xml")).unwrap();
    assert!(sitemap.contains("<url><loc>https://kb.example.com/docs/en-us/sign-in.html</loc><lastmod>2020-01-02</lastmod></url>"), "{sitemap}");
    let not_found = std::fs::read_to_string(out.path().join("404.html")).unwrap();
    assert!(
        not_found.contains("<link rel=\"stylesheet\" href=\"https://kb.example.com/docs/_kbc/kbc.css\">"),
        "{not_found}"
    );
    let crawl = site::crawl(out.path());
    assert!(crawl.failures.is_empty(), "{:#?}", crawl.failures);
}

/// A synthetic knowledge base of `n` articles in folders, with a TOC listing them all.
fn synthetic(n: usize) -> tempfile::TempDir {
    let mut files: Vec<(String, String)> = Vec::new();
    let mut toc = String::from("# Guide\n");
    for i in 0..n {
        let folder = format!("topic-{:02}", i % 20);
        if i < 20 {
            toc.push_str(&format!("## {folder}\n"));
        }
        let _ = &folder;
        files.push((
            format!("{folder}/article-{i:05}.md"),
            format!("# Article {i}\n\nSome text about problem {i}.\n\n## Cause\n\nA cause.\n\n## Resolution\n\n1. Step one.\n2. Step two.\n"),
        ));
    }
    // TOC entries grouped under their folder heading.
    let mut by_folder: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, _) in &files {
        let (folder, _) = path.split_once('/').unwrap();
        by_folder.entry(folder.to_string()).or_default().push(path.clone());
    }
    toc = String::from("# Guide\n");
    for (folder, paths) in by_folder {
        toc.push_str(&format!("## {folder}\n"));
        for p in paths {
            toc.push_str(&format!("### [{p}]({p})\n"));
        }
    }
    files.push(("TOC.md".into(), toc));
    let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    common::fixture(&refs)
}

/// Pages carry their own branch of the navigation only: twenty times the articles leaves a page's
/// size nearly unchanged; the shared navigation file grows linearly.
#[test]
fn navigation_keeps_pages_small_as_the_site_grows() {
    let mut sizes = Vec::new();
    for n in [600, 2400] {
        let dir = synthetic(n);
        let mut config = kbc::config::Config::load(dir.path()).unwrap();
        config.output.html.search = false;
        let book = Book::load(config).unwrap();
        let out = tempfile::tempdir().unwrap();
        let started = Instant::now();
        site::write_site(&book, out.path());
        let took = started.elapsed();
        let page = std::fs::metadata(out.path().join("topic-00/article-00000.html")).unwrap().len();
        let nav = std::fs::metadata(out.path().join("_kbc/nav.js")).unwrap().len();
        let html: u64 = walkdir::WalkDir::new(out.path())
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
            .map(|e| e.metadata().unwrap().len())
            .sum();
        eprintln!(
            "{n} articles: page {page} B, nav.js {nav} B, all html {html} B, {:.2} s",
            took.as_secs_f64()
        );
        sizes.push((n as u64, page, nav, html));
    }
    let (small, big) = (sizes[0], sizes[1]);
    assert!(big.1 < small.1 + small.1 / 10, "a page grew with the site: {small:?} → {big:?}");
    assert!(big.2 > 3 * small.2, "nav.js holds the whole tree: {small:?} → {big:?}");
    // Linear overall: html per article stays about the same.
    assert!(big.3 / big.0 < small.3 / small.0 + small.3 / small.0 / 10, "{small:?} → {big:?}");
}

#[test]
fn css_and_js_per_page_stay_under_50_kb_gzipped() {
    let book = seed_book();
    let out = tempfile::tempdir().unwrap();
    site::write_site(&book, out.path());
    let mut total = 0;
    for f in ["_kbc/kbc.css", "_kbc/kbc.js", "_kbc/nav.js"] {
        total += site::gzip_len(&std::fs::read(out.path().join(f)).unwrap());
    }
    eprintln!("css+js+nav gzipped: {total} bytes");
    assert!(total < 50 * 1024, "{total}");
}

#[test]
fn init_theme_copies_the_default_theme_and_uses_it() {
    let dir = tempfile::tempdir().unwrap();
    let kbc = env!("CARGO_BIN_EXE_kbc");
    let run = |args: &[&str]| std::process::Command::new(kbc).args(args).arg(dir.path()).output().unwrap();
    let o = run(&["init", "--theme"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (name, text) in kbc::render::html::theme::default_files() {
        assert_eq!(std::fs::read_to_string(dir.path().join("theme").join(&name)).unwrap(), text, "{name}");
    }
    assert!(std::fs::read_to_string(dir.path().join("book.toml")).unwrap().contains("theme = \"theme\""));
    // An edited template shows in the build.
    let article = dir.path().join("theme/article.html");
    let edited = std::fs::read_to_string(&article)
        .unwrap()
        .replace("<article class=\"kbc-article\"", "<article data-edited class=\"kbc-article\"");
    std::fs::write(&article, edited).unwrap();
    let o = run(&["build", "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(dir.path().join("book/troubleshoot-sign-in.html")).unwrap();
    assert!(page.contains("<article data-edited"));
    // A second time: refused, nothing changed.
    assert_eq!(run(&["init", "--theme"]).status.code(), Some(2));
}

#[test]
fn docfx_tabs_and_images_inside_text_render_as_the_reader_sees_them_on_docs() {
    let dir = common::fixture(&[
        (
            "a.md",
            "# A\n\nSee [B](~/b.md#later).\n\n---\n\n## [Portal](#tab/portal)\n\nIn the portal.\n\n## [PowerShell](#tab/ps)\n\nIn PowerShell.\n\n---\n\n\
             |State|Meaning|\n|-|-|\n|:::image type=\"icon\" source=\"img/ok.png\" alt-text=\"OK\":::|Protected|\n\n\
             1. Select **Save**.\n   :::image type=\"content\" source=\"img/ok.png\" alt-text=\"Saved\":::\n\n\
             :::image type=\"content\" source=\"img/ok.png\" alt-text=\"Big\" lightbox=\"img/big.png\":::\n\n\
             > [!div class=\"nextstepaction\"]\n> [Next](b.md)\n",
        ),
        ("b.md", "# B\n\n## Later\n\ntext\n"),
        (
            "toc.yml",
            "- name: A\n  href: a.md\n- name: B\n  href: b.md\n- name: Overview\n  href: landing.yml\n",
        ),
        ("landing.yml", "### YamlMime:Landing\ntitle: Overview\n"),
        ("img/ok.png", "png"),
        ("img/big.png", "png"),
    ]);
    let (out, body) = article_of_a(dir.path());
    let body = body.as_str();
    assert!(!body.contains("#tab/") && !body.contains(":::"), "{body}");
    assert!(body.contains("<span class=\"kbc-tab\">Portal</span>"), "{body}");
    assert!(body.contains("<td><img src=\"img/ok.png\" alt=\"OK\" loading=\"lazy\"></td>"), "{body}");
    assert!(body.contains("<figure class=\"kbc-figure\"><img src=\"img/ok.png\" alt=\"Saved\""), "{body}");
    // The `---` that ends the tab group is not shown; one before it is.
    assert_eq!(body.matches("<hr>").count(), 1, "{body}");
    // `~/` is the docset root: here, with no `docfx.json`, the content root.
    assert!(body.contains("<a href=\"b.html#later\">B</a>"), "{body}");
    // A click on the image opens its `lightbox` image, as on Microsoft Docs.
    let lightbox = "<a class=\"kbc-lightbox\" href=\"img/big.png\"><img src=\"img/ok.png\" alt=\"Big\"";
    assert!(body.contains(lightbox), "{body}");
    // DocFX's `[!div]` classes stay for the theme to style.
    assert!(body.contains("<div class=\"kbc-div nextstepaction\">"), "{body}");
    // A page of the navigation that kbc does not render (a DocFX landing page) is copied, so the
    // sidebar does not link to nothing.
    assert!(out.path().join("landing.yml").is_file());
    let crawl = site::crawl(out.path());
    assert!(crawl.failures.is_empty(), "{:#?}", crawl.failures);
}

/// A broken link is kept as the author wrote it, but from the page: one written in an included
/// file, or from the docset root (`~/`), is made relative to the page that shows it.
#[test]
fn broken_links_from_includes_lead_where_their_author_meant() {
    let dir = common::fixture(&[
        ("a.md", "# A\n\n[!INCLUDE [i](includes/i.md)]\n\n[root](~/gone.md#x) and [here](gone.md)\n"),
        ("includes/i.md", "[from the include](../gone.md)\n"),
    ]);
    let (_out, body) = article_of_a(dir.path());
    for link in [
        "<a href=\"gone.md\" class=\"kbc-unresolved\">from the include</a>",
        "<a href=\"gone.md#x\" class=\"kbc-unresolved\">root</a>",
        "<a href=\"gone.md\" class=\"kbc-unresolved\">here</a>",
    ] {
        assert!(body.contains(link), "{link}: {body}");
    }
}
