//! The built seed site in a real headless Chromium, served over HTTP from 127.0.0.1.
//!
//! Chromium comes from Debian (`.ci/browser-deps.sh`); `KBC_CHROMIUM` names another binary. Without
//! one the test fails when `CI` is set and is skipped (loudly) otherwise. Screenshots go to
//! `target/test-output/browser/`. Needs the `search` feature (on by default).
#![cfg(feature = "search")]

use crate::common;
use crate::site;

use headless_chrome::protocol::cdp::Emulation;
use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::{Browser, LaunchOptions, Tab};
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SEED: &str = "troubleshooting-sign-in-errors-for-admins.html";

/// A static file server on 127.0.0.1 (ephemeral port) for one site folder; stops when dropped.
struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(root: PathBuf) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let root = root.clone();
                std::thread::spawn(move || {
                    let _ = serve(&root, conn);
                });
            }
        });
        Server { port, stop, thread: Some(thread) }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(OsStr::to_str).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "xml" => "application/xml",
        "md" => "text/markdown; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// One request per connection: GET or HEAD of a file; a missing one gets `404.html` with status 404.
fn serve(root: &Path, mut conn: TcpStream) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let path = kbc::parse::link::percent_decode(path.trim_start_matches('/'));
    let mut file = if path.split('/').any(|c| c == "..") { root.join("\0") } else { root.join(&path) };
    if file.is_dir() {
        file = file.join("index.html");
    }
    let (status, file) =
        if file.is_file() { ("200 OK", file) } else { ("404 Not Found", root.join("404.html")) };
    let body = std::fs::read(&file).unwrap_or_default();
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n",
        mime(&file),
        body.len()
    );
    conn.write_all(head.as_bytes())?;
    if method != "HEAD" {
        conn.write_all(&body)?;
    }
    conn.flush()
}

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KBC_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// Evaluates `js` (an expression, possibly a promise) and parses the JSON string it returns.
fn eval(tab: &Tab, js: &str) -> serde_json::Value {
    let wrapped = format!("(async () => JSON.stringify(await ({js})))()");
    let r = tab.evaluate(&wrapped, true).unwrap_or_else(|e| panic!("evaluate failed: {e}\n{js}"));
    let text = r
        .value
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no value from {js}: {:?}", r.description));
    serde_json::from_str(&text).expect("json from page")
}

/// Polls `js` (a boolean expression) until true.
fn wait_for(tab: &Tab, js: &str, what: &str) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if eval(tab, js) == serde_json::Value::Bool(true) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what} (`{js}`)");
}

fn screenshot(tab: &Tab, out: &Path, name: &str) {
    let png =
        tab.capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true).expect("screenshot");
    std::fs::write(out.join(name), png).expect("write screenshot");
}

fn media(tab: &Tab, media: Option<&str>, features: &[(&str, &str)]) {
    tab.call_method(Emulation::SetEmulatedMedia {
        media: media.map(str::to_string),
        features: Some(
            features
                .iter()
                .map(|(n, v)| Emulation::MediaFeature { name: n.to_string(), value: v.to_string() })
                .collect(),
        ),
    })
    .expect("emulate media");
}

fn viewport(tab: &Tab, width: u32, height: u32, mobile: bool) {
    tab.call_method(Emulation::SetDeviceMetricsOverride {
        width,
        height,
        device_scale_factor: 1.0,
        mobile,
        scale: None,
        screen_width: None,
        screen_height: None,
        position_x: None,
        position_y: None,
        dont_set_visible_size: None,
        screen_orientation: None,
        viewport: None,
        display_feature: None,
        device_posture: None,
    })
    .expect("viewport");
}

fn open(tab: &Tab, url: &str) {
    tab.navigate_to(url).expect("navigate").wait_until_navigated().expect("navigated");
    wait_for(tab, "document.readyState === 'complete'", "the page to load");
}

/// Contrast ratio of an element's text against the page background (WCAG formula).
const CONTRAST_JS: &str = r#"(() => {
  const rgb = s => s.match(/[\d.]+/g).slice(0, 3).map(Number);
  const lum = c => { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const bg = rgb(getComputedStyle(document.body).backgroundColor);
  const pick = sel => document.querySelector(sel);
  const out = {};
  for (const [name, sel] of [["text", ".kbc-body p"], ["link", ".kbc-body a"], ["meta", ".kbc-meta span"], ["alert", ".kbc-alert-title"]]) {
    const el = pick(sel); if (el) out[name] = ratio(rgb(getComputedStyle(el).color), bg);
  }
  out.bg = bg;
  return out;
})()"#;

/// Chromium, headless, with one tab whose console errors, uncaught exceptions and failed loads
/// are collected from here on.
#[allow(clippy::type_complexity)]
fn launch(chrome: PathBuf, profile: &Path) -> (Browser, Arc<Tab>, Arc<Mutex<Vec<String>>>) {
    let args: Vec<&OsStr> = [
        "--headless=new",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--hide-scrollbars",
        "--font-render-hinting=none",
    ]
    .iter()
    .map(OsStr::new)
    .collect();
    let options = LaunchOptions::default_builder()
        .path(Some(chrome))
        .headless(true)
        .sandbox(false)
        .user_data_dir(Some(profile.to_path_buf()))
        .window_size(Some((1280, 900)))
        .idle_browser_timeout(Duration::from_secs(120))
        .args(args)
        .build()
        .expect("launch options");
    let browser = Browser::new(options).expect("launch Chromium");
    let tab = browser.new_tab().expect("tab");
    tab.set_default_timeout(Duration::from_secs(30));

    // Console errors, uncaught exceptions and failed loads, from here on.
    let errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = errors.clone();
    tab.enable_log().expect("log domain");
    tab.enable_runtime().expect("runtime domain");
    tab.add_event_listener(Arc::new(move |event: &Event| {
        let msg = match event {
            Event::LogEntryAdded(e) if format!("{:?}", e.params.entry.level) == "Error" => {
                Some(format!("log: {} {:?}", e.params.entry.text, e.params.entry.url))
            }
            Event::RuntimeConsoleAPICalled(e) if format!("{:?}", e.params.Type) == "Error" => Some(format!(
                "console.error: {:?}",
                e.params.args.iter().map(|a| a.value.clone()).collect::<Vec<_>>()
            )),
            Event::RuntimeExceptionThrown(e) => {
                Some(format!("exception: {:?}", e.params.exception_details.text))
            }
            _ => None,
        };
        if let Some(m) = msg {
            sink.lock().expect("errors").push(m);
        }
    }))
    .expect("listener");
    (browser, tab, errors)
}

/// Chromium or, without it, a skip outside CI and a failure in CI.
fn chromium_or_skip() -> Option<PathBuf> {
    let chrome = chromium();
    if chrome.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("Chromium is missing: run .ci/browser-deps.sh (the browser tests never skip in CI)");
        }
        eprintln!("SKIPPED: no Chromium at /usr/bin/chromium (set KBC_CHROMIUM, or run .ci/browser-deps.sh)");
    }
    chrome
}

#[test]
fn seed_site_in_chromium() {
    let Some(chrome) = chromium_or_skip() else { return };
    let out = site::test_output("browser");
    let site_dir = out.join("site");
    let book = common::book(&common::repo_root());
    site::write_site(&book, &site_dir);
    let server = Server::start(site_dir.clone());

    let profile = tempfile::tempdir().expect("profile dir");
    let (_browser, tab, errors) = launch(chrome, profile.path());
    media(&tab, None, &[("prefers-reduced-motion", "reduce"), ("prefers-color-scheme", "light")]);
    viewport(&tab, 1280, 900, false);

    // The error listener works: a console error reaches it.
    open(&tab, &server.url(SEED));
    eval(&tab, "(console.error('kbc-selftest'), true)");
    wait_for(&tab, "new Promise(r => setTimeout(() => r(true), 50))", "a moment");
    let seen = std::mem::take(&mut *errors.lock().expect("errors"));
    assert!(seen.iter().any(|e| e.contains("kbc-selftest")), "console errors are not captured: {seen:?}");

    // 1. The seed page: JavaScript built the navigation; no console errors.
    open(&tab, &server.url(SEED));
    wait_for(
        &tab,
        "!!document.querySelector('#kbc-nav .kbc-nav-tree a[aria-current=page]')",
        "the navigation tree",
    );
    assert_eq!(eval(&tab, "document.documentElement.lang"), "zh-CN");
    screenshot(&tab, &out, "seed-desktop.png");
    // The rest of the page, a screen at a time, for a person to look at.
    let height = eval(&tab, "document.documentElement.scrollHeight").as_f64().unwrap_or(0.0);
    let mut y = 800.0;
    let mut n = 2;
    while y < height && n <= 8 {
        eval(&tab, &format!("(scrollTo(0, {y}), true)"));
        screenshot(&tab, &out, &format!("seed-desktop-{n}.png"));
        y += 800.0;
        n += 1;
    }
    eval(&tab, "(scrollTo(0, 0), true)");

    // 2. Every link of the in-page table of contents lands on an element, which becomes :target.
    let toc = eval(
        &tab,
        r#"(() => {
          const bad = [];
          const links = [...document.querySelectorAll('#kbc-toc a')];
          for (const a of links) {
            const id = decodeURIComponent(a.getAttribute('href').slice(1));
            const el = document.getElementById(id);
            a.click();
            const target = document.querySelector(':target');
            const r = el ? el.getBoundingClientRect() : null;
            if (!el || target !== el || r.bottom < 0 || r.top > innerHeight) bad.push(id);
          }
          return { count: links.length, bad };
        })()"#,
    );
    assert_eq!(toc["count"], 11, "{toc}");
    assert_eq!(toc["bad"], serde_json::json!([]), "TOC links that do not land: {toc}");

    // 3. Contrast (WCAG AA: 4.5:1 for text) in light mode.
    let light = eval(&tab, CONTRAST_JS);
    for k in ["text", "link", "meta", "alert"] {
        assert!(light[k].as_f64().unwrap_or(0.0) >= 4.5, "light {k}: {light}");
    }

    // 4. Search, Chinese: the error message's table row.
    let hits = search(&tab, "找不到登录地址");
    assert!(
        hits.first().is_some_and(|h| h == &format!("{SEED}#entry-2-1")),
        "找不到登录地址 should lead to the error entry first: {hits:?}"
    );
    follow_first_sub_result(&tab, "entry-2-1");
    screenshot(&tab, &out, "search-zh.png");

    // 5. Search, English word in Chinese text: the registry section.
    open(&tab, &server.url(SEED));
    let hits = search(&tab, "TrustModelData");
    assert!(
        hits.first().is_some_and(|h| h == &format!("{SEED}#__modify_trustmodeldata_registry")),
        "TrustModelData should lead to the registry section first: {hits:?}"
    );
    follow_first_sub_result(&tab, "__modify_trustmodeldata_registry");

    // 6. Dark mode.
    media(&tab, None, &[("prefers-reduced-motion", "reduce"), ("prefers-color-scheme", "dark")]);
    open(&tab, &server.url(SEED));
    let dark = eval(&tab, CONTRAST_JS);
    let bg: Vec<f64> = dark["bg"].as_array().expect("bg").iter().filter_map(|v| v.as_f64()).collect();
    assert!(bg.iter().all(|&c| c < 60.0), "dark background: {dark}");
    for k in ["text", "link", "meta", "alert"] {
        assert!(dark[k].as_f64().unwrap_or(0.0) >= 4.5, "dark {k}: {dark}");
    }
    screenshot(&tab, &out, "seed-dark.png");

    // 7. A narrow viewport: no horizontal scroll of the page; tables scroll inside their box.
    media(&tab, None, &[("prefers-reduced-motion", "reduce"), ("prefers-color-scheme", "light")]);
    viewport(&tab, 375, 812, true);
    open(&tab, &server.url(SEED));
    let widths = eval(
        &tab,
        "({ scroll: document.documentElement.scrollWidth, view: innerWidth, body: document.body.scrollWidth })",
    );
    assert!(widths["scroll"].as_f64() <= widths["view"].as_f64(), "horizontal scroll at 375 px: {widths}");
    screenshot(&tab, &out, "seed-mobile.png");
    viewport(&tab, 1280, 900, false);

    // 8. Print: no chrome, external URLs written out.
    media(&tab, Some("print"), &[("prefers-reduced-motion", "reduce")]);
    open(&tab, &server.url(SEED));
    let print = eval(
        &tab,
        r#"({
          header: getComputedStyle(document.querySelector('.kbc-header')).display,
          nav: getComputedStyle(document.querySelector('#kbc-nav')).display,
          toc: getComputedStyle(document.querySelector('#kbc-toc')).display,
          after: getComputedStyle(document.querySelector('.kbc-body a.kbc-ext'), '::after').content,
          href: document.querySelector('.kbc-body a.kbc-ext').getAttribute('href'),
        })"#,
    );
    assert_eq!(print["header"], "none", "{print}");
    assert_eq!(print["nav"], "none", "{print}");
    assert_eq!(print["toc"], "none", "{print}");
    let href = print["href"].as_str().unwrap_or("");
    assert!(print["after"].as_str().is_some_and(|a| a.contains(href)), "{print}");
    let pdf = tab.print_to_pdf(None).expect("print to PDF");
    assert!(pdf.starts_with(b"%PDF"));
    std::fs::write(out.join("seed-print.pdf"), pdf).expect("write pdf");
    media(&tab, None, &[("prefers-reduced-motion", "reduce"), ("prefers-color-scheme", "light")]);

    // 9. The 404 page, served with status 404 for a missing URL.
    open(&tab, &server.url("no-such-article.html"));
    assert_eq!(eval(&tab, "document.querySelector('h1').textContent"), "找不到页面");
    assert_eq!(
        eval(&tab, "getComputedStyle(document.querySelector('.kbc-header')).position"),
        "sticky",
        "the stylesheet loaded"
    );
    screenshot(&tab, &out, "404.png");

    // 10. The home page lists the article.
    open(&tab, &server.url(""));
    assert_eq!(eval(&tab, &format!("!!document.querySelector('.kbc-home a[href=\"{SEED}\"]')")), true);

    // 11. Without JavaScript: the page keeps its navigation branch and table of contents.
    tab.call_method(Emulation::SetScriptExecutionDisabled { value: true }).expect("disable js");
    open(&tab, &server.url(SEED));
    tab.call_method(Emulation::SetScriptExecutionDisabled { value: false }).expect("enable js");
    let html = tab.get_content().expect("content");
    assert!(html.contains("kbc-nav-static") && html.contains("aria-current=\"page\""), "no-JS navigation");

    let errors = errors.lock().expect("errors").clone();
    // The 404 page is requested on purpose; Chromium logs its status as an error.
    let errors: Vec<_> = errors.into_iter().filter(|e| !e.contains("404 (Not Found)")).collect();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

/// Types `query` into the search box; returns the sub-result links of the results, in order.
fn search(tab: &Tab, query: &str) -> Vec<String> {
    search_links(tab, query, "a.kbc-sub-result")
}

/// Types `query` into the search box; returns the `href`s of the result links that `selector`
/// picks (`a.kbc-result-title`: pages; `a.kbc-sub-result`: sections), in order.
fn search_links(tab: &Tab, query: &str, selector: &str) -> Vec<String> {
    let q = serde_json::to_string(query).expect("query");
    eval(
        tab,
        &format!(
            "(() => {{ const i = document.getElementById('kbc-search-input'); i.focus(); i.value = {q}; i.dispatchEvent(new Event('input')); return true; }})()"
        ),
    );
    wait_for(
        tab,
        &format!("!!document.querySelector('#kbc-search-results {selector}')"),
        &format!("search results for {query}"),
    );
    let hits = eval(
        tab,
        &format!(
            "[...document.querySelectorAll('#kbc-search-results {selector}')].map(a => a.getAttribute('href'))"
        ),
    );
    hits.as_array().expect("hits").iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
}

fn follow_first_sub_result(tab: &Tab, id: &str) {
    eval(tab, "(document.querySelector('#kbc-search-results a.kbc-sub-result').click(), true)");
    let js = format!(
        "!!document.querySelector(':target') && document.querySelector(':target').id === {}",
        serde_json::to_string(id).expect("id")
    );
    wait_for(tab, &js, &format!("#{id} to be the target"));
}

/// A site whose search is split into three indexes (`search-shards = 3`): the browser merges them,
/// so a page of the first and of the last index are both found.
#[test]
fn sharded_search_in_chromium() {
    let Some(chrome) = chromium_or_skip() else { return };
    let out = site::test_output("browser-shards");
    let site_dir = out.join("site");
    let root =
        common::corpus_roots().into_iter().find(|r| r.ends_with("en-US_skype_2017-12")).expect("en-US root");
    let mut book = common::book(&root);
    book.config.output.html.search_shards = Some(3);
    let stats = site::write_site(&book, &site_dir);
    assert!(stats.search_files > 0);
    for dir in ["", "1/", "2/"] {
        let entry = site_dir.join(format!("_kbc/search/{dir}pagefind-entry.json"));
        assert!(entry.is_file(), "{} is missing", entry.display());
    }
    assert!(!site_dir.join("_kbc/search/3").exists(), "three indexes, not four");
    let server = Server::start(site_dir.clone());
    let profile = tempfile::tempdir().expect("profile dir");
    let (_browser, tab, errors) = launch(chrome, profile.path());

    // The first and the last article (by content path) are in the first and the last index.
    let page = |a: &kbc::model::Article| kbc::render::urls::encode(&kbc::render::urls::page_path(a, "html"));
    let (first, last) = (book.articles.first().expect("articles"), book.articles.last().expect("articles"));
    for article in [first, last] {
        // From the home page, at the site root, result links are the pages' paths.
        open(&tab, &server.url(""));
        let hits = search_links(&tab, &article.title, "a.kbc-result-title");
        assert!(
            hits.contains(&page(article)),
            "searching {:?} should find {}: {hits:?}",
            article.title,
            page(article)
        );
    }
    let errors = errors.lock().expect("errors").clone();
    // Chromium asks for /favicon.ico on its own; kbc's pages name none.
    let errors: Vec<_> = errors.into_iter().filter(|e| !e.contains("/favicon.ico")).collect();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

/// Holds back the live reload script's event stream until the page calls `kbcConnect()`.
const HOLD_EVENT_STREAM: &str = r#"(() => {
  const Real = window.EventSource;
  const held = [];
  window.kbcConnect = () => { held.splice(0).forEach(connect => connect()); return true; };
  window.EventSource = function (url) {
    const listeners = [];
    this.addEventListener = (name, f) => listeners.push([name, f]);
    held.push(() => {
      const real = new Real(url);
      listeners.forEach(([name, f]) => real.addEventListener(name, f));
    });
  };
})()"#;

/// `kbc serve` in Chromium: after the follow-up build at a writer's pause, a page made from every
/// article (the checklist index, whose item counts an in-place edit leaves for later) reloads with
/// the new count, and a page the follow-up did not change stays as it is.
#[cfg(feature = "serve")]
#[test]
fn served_pages_reload_after_the_follow_up_build_only_when_theirs_changed() {
    let Some(chrome) = chromium_or_skip() else { return };
    let steps = |n: usize| -> String {
        let lines: Vec<String> = (1..=n).map(|i| format!("{i}. Do step {i}.")).collect();
        format!("# Alpha\n\n## Fix it\n\n{}\n", lines.join("\n"))
    };
    let kb = common::fixture(&[
        ("book.toml", "[book]\ntitle = \"Served\"\nsrc = \"content\"\n\n[output.html]\nsearch = false\n"),
        ("content/a.md", &steps(2)),
        ("content/b.md", "# Beta\n\nBeta body.\n"),
    ]);
    let server = crate::serve::start(kb.path());
    let profile = tempfile::tempdir().expect("profile dir");
    let (browser, index, errors) = launch(chrome, profile.path());
    let other = browser.new_tab().expect("a second tab");
    other.set_default_timeout(Duration::from_secs(30));
    // Each load of the second tab is counted, in storage that outlives a reload.
    other
        .call_method(headless_chrome::protocol::cdp::Page::AddScriptToEvaluateOnNewDocument {
            source: "sessionStorage.kbcLoads = String(Number(sessionStorage.kbcLoads || 0) + 1)".into(),
            world_name: None,
            include_command_line_api: None,
            run_immediately: None,
        })
        .expect("count loads");
    let loads = |tab: &Tab| eval(tab, "Number(sessionStorage.kbcLoads)");
    let count = "document.querySelector('.cl-count').textContent.trim()";
    open(&index, &format!("{}checklists/index.html", server.url));
    assert_eq!(eval(&index, count), "2 items");
    open(&other, &format!("{}b.html", server.url));
    assert_eq!(loads(&other), 1);

    // The edit's preview reloads every open page, and the rebuild in place after it leaves them;
    // the count waits for the follow-up build, which reloads only the pages it changed.
    std::fs::write(kb.path().join("content/a.md"), steps(3)).expect("edit");
    wait_for(
        &other,
        "document.readyState === 'complete' && Number(sessionStorage.kbcLoads) === 2",
        "the preview's reload",
    );
    wait_for(
        &index,
        &format!("document.readyState === 'complete' && {count} === '3 items'"),
        "the new count",
    );
    // The follow-up's event reached both pages at once; give the other one time to compare.
    wait_for(&other, "new Promise(r => setTimeout(() => r(true), 1000))", "a moment");
    assert_eq!(loads(&other), 2, "an unchanged page does not reload after the follow-up build");

    // A page whose event stream connects only after the follow-up build (it was still loading, on
    // a slow machine) catches up when it connects: here the stream is held until the build is done.
    let late = browser.new_tab().expect("a third tab");
    late.set_default_timeout(Duration::from_secs(30));
    late.call_method(headless_chrome::protocol::cdp::Page::AddScriptToEvaluateOnNewDocument {
        source: HOLD_EVENT_STREAM.into(),
        world_name: None,
        include_command_line_api: None,
        run_immediately: None,
    })
    .expect("hold the event stream");
    open(&late, &format!("{}checklists/index.html", server.url));
    assert_eq!(eval(&late, count), "3 items");
    std::fs::write(kb.path().join("content/a.md"), steps(4)).expect("edit");
    wait_for(
        &index,
        &format!("document.readyState === 'complete' && {count} === '4 items'"),
        "the follow-up build",
    );
    assert_eq!(eval(&late, count), "3 items", "the held page has not heard of the edit");
    eval(&late, "window.kbcConnect()");
    wait_for(
        &late,
        &format!("document.readyState === 'complete' && {count} === '4 items'"),
        "the late page to catch up",
    );
    let errors = errors.lock().expect("errors").clone();
    let errors: Vec<_> = errors.into_iter().filter(|e| !e.contains("/favicon.ico")).collect();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}
