//! `kbc check --external` against an HTTP server on 127.0.0.1 that the tests start: no traffic
//! leaves the machine.

use crate::common;

use kbc::Book;
use kbc::diag::{Code, Severity};
use kbc::external::{self, Options};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// The test server

/// A tiny HTTP/1.1 server: one thread per connection, `Connection: close`, answers by path.
struct Server {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
}

#[derive(Default)]
struct State {
    /// Requests per path (query included).
    hits: Mutex<HashMap<String, usize>>,
    /// Every request, as `METHOD path`, in arrival order.
    log: Mutex<Vec<String>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
}

fn reply(status: u16) -> Reply {
    Reply { status, headers: Vec::new(), body: String::new(), delay: Duration::ZERO }
}

fn redirect(status: u16, to: &str) -> Reply {
    Reply { headers: vec![("Location", to.to_string())], ..reply(status) }
}

const PAGE: &str = r#"<!DOCTYPE html><html><body>
<h2 id="present">Present</h2><p><a name="legacy"></a>Old anchor</p>
<h2 id="user-content-readme-heading">GitHub style</h2></body></html>"#;

/// The routes. `hit` is how many times the path was requested before, this request included.
fn route(method: &str, path: &str, hit: usize, port: u16) -> Reply {
    match path {
        "/ok" => Reply { body: "ok".into(), ..reply(200) },
        "/page" => Reply {
            headers: vec![("Content-Type", "text/html; charset=utf-8".into())],
            body: PAGE.into(),
            ..reply(200)
        },
        "/missing" => reply(404),
        "/gone" => reply(410),
        "/private" => reply(403),
        "/head-refused" if method == "HEAD" => reply(405),
        "/head-refused" => Reply { body: "fine".into(), ..reply(200) },
        "/chain/1" => redirect(301, "/chain/2"),
        "/chain/2" => redirect(308, &format!("http://127.0.0.1:{port}/chain/3")),
        "/chain/3" => redirect(301, "../page"),
        "/temp" => redirect(302, "/ok"),
        "/loop/a" => redirect(302, "/loop/b"),
        "/loop/b" => redirect(307, "/loop/a"),
        "/slow" => Reply { delay: Duration::from_secs(3), ..reply(200) },
        "/busy" if hit == 1 => Reply { headers: vec![("Retry-After", "1".into())], ..reply(429) },
        "/busy" => reply(200),
        "/too-busy" => Reply { headers: vec![("Retry-After", "3600".into())], ..reply(429) },
        "/down" => reply(503),
        p if p.starts_with("/held/") => Reply { delay: Duration::from_millis(150), ..reply(200) },
        _ => reply(404),
    }
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let st = st.clone();
                std::thread::spawn(move || serve(conn, &st, addr.port()));
            }
        });
        Server { addr, state, stop }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.addr.port())
    }

    fn hits(&self, path: &str) -> usize {
        self.state.hits.lock().expect("hits").get(path).copied().unwrap_or(0)
    }

    fn total(&self) -> usize {
        self.state.log.lock().expect("log").len()
    }

    fn log(&self) -> Vec<String> {
        self.state.log.lock().expect("log").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(mut conn: TcpStream, state: &State, port: u16) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut first = head.lines().next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let path = first.next().unwrap_or("").to_string();
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let hit = {
        let mut hits = state.hits.lock().expect("hits");
        let n = hits.entry(path.clone()).or_insert(0);
        *n += 1;
        *n
    };
    state.log.lock().expect("log").push(format!("{method} {path}"));
    let r = route(&method, &path, hit, port);
    std::thread::sleep(r.delay);
    let mut out =
        format!("HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n", r.status, r.body.len());
    for (k, v) in &r.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    if method != "HEAD" {
        out.push_str(&r.body);
    }
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    let _ = conn.write_all(out.as_bytes());
    let _ = conn.flush();
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// Options for tests: short timeouts and waits, no politeness delay, no cache.
fn fast() -> Options {
    Options {
        concurrency: 4,
        per_host: 8,
        host_delay: Duration::ZERO,
        timeout: Duration::from_secs(1),
        max_retries: 2,
        backoff: Duration::from_millis(20),
        retry_after_cap: Duration::from_secs(5),
        cache: None,
        env_proxy: false,
        ..Options::default()
    }
}

/// A knowledge base with one article whose lines are `lines`.
fn kb(lines: &[String]) -> (tempfile::TempDir, Book) {
    let text = format!("# Links\n\n{}\n", lines.join("\n\n"));
    let dir = common::fixture(&[("index.md", &text)]);
    let book = common::book(dir.path());
    (dir, book)
}

/// `index.md:line:col code severity message [help]`, in the order `finalize` gives.
fn run(book: &mut Book, options: &Options) -> (Vec<String>, external::Report) {
    let before = book.diagnostics.len();
    let report = external::apply(book, options);
    let shown = book
        .diagnostics
        .iter()
        .filter(|d| d.code.name().starts_with("external-"))
        .map(|d| {
            let at = d.span.map(|s| book.content.sources.location(s)).unwrap_or_default();
            let help = d.help.as_deref().map(|h| format!(" [{h}]")).unwrap_or_default();
            format!("{at} {} {} {}{help}", d.code, d.severity, d.message)
        })
        .collect();
    assert!(book.diagnostics.len() >= before);
    (shown, report)
}

fn link(text: &str, url: &str) -> String {
    format!("[{text}]({url})")
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn can_tell_broken_from_flaky_from_fine() {
    let s = Server::start();
    let refused = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        drop(l);
        format!("http://127.0.0.1:{port}/x")
    };
    let lines = vec![
        link("ok", &s.url("/ok")),
        link("present", &s.url("/page#present")),
        link("legacy", &s.url("/page#legacy")),
        link("github", &s.url("/page#readme-heading")),
        link("absent", &s.url("/page#presnet")),
        link("missing", &s.url("/missing")),
        link("missing again", &s.url("/missing")),
        link("gone", &s.url("/gone")),
        link("private", &s.url("/private")),
        link("head refused", &s.url("/head-refused")),
        link("chain", &s.url("/chain/1#present")),
        link("temporary", &s.url("/temp")),
        link("loop", &s.url("/loop/a")),
        link("refused", &refused),
        format!("<a href=\"{}\">html</a>", s.url("/missing")),
        link("ftp is skipped", "ftp://127.0.0.1/file"),
        link("no host", "https:///path"),
    ];
    let (_dir, mut book) = kb(&lines);
    let (shown, report) = run(&mut book, &fast());
    let u = |p: &str| s.url(p);
    let expected = vec![
        format!(
            "index.md:11:10 external-anchor warning `{}` has no anchor `#presnet` [a similar anchor exists: `#present`]",
            u("/page")
        ),
        format!("index.md:13:11 external-link error `{}` returned 404", u("/missing")),
        format!("index.md:15:17 external-link error `{}` returned 404", u("/missing")),
        format!("index.md:17:8 external-link error `{}` returned 410", u("/gone")),
        format!("index.md:19:11 external-link-unverified warning `{}` returned 403", u("/private")),
        format!(
            "index.md:23:9 external-redirect note `{}` redirects permanently [update the link to `{}#present`]",
            u("/chain/1"),
            u("/page")
        ),
        format!("index.md:27:8 external-link error `{}` redirects in a loop", u("/loop/a")),
        format!("index.md:29:11 external-link error `{refused}` cannot be reached: connection refused"),
        format!("index.md:31:10 external-link error `{}` returned 404", u("/missing")),
        "index.md:35:11 external-link error `https:///path` is not a valid URL: it has no host".to_string(),
    ];
    assert_eq!(shown, expected, "server log: {:#?}", s.log());
    assert_eq!(report.links, 16, "ftp is not checked");
    assert_eq!(report.urls, 10, "one fetch per unique URL, fragments removed");
    // `/page` three times with fragments: fetched once, with GET since anchors are wanted (and once
    // more at the end of the redirect chain, a URL of its own).
    assert_eq!(s.hits("/page"), 2);
    assert!(s.log().contains(&"GET /page".to_string()));
    // HEAD first, GET when HEAD is refused; 404 is confirmed with GET.
    assert_eq!(s.hits("/head-refused"), 2);
    assert_eq!(s.hits("/ok"), 2, "`/temp` redirects to `/ok`");
    assert!(s.log().contains(&"HEAD /ok".to_string()));
    assert_eq!(s.hits("/missing"), 2, "HEAD then GET, once for three links");
}

#[test]
fn can_time_out_as_a_warning() {
    let s = Server::start();
    let (_dir, mut book) = kb(&[link("slow", &s.url("/slow"))]);
    // The server holds `/slow` for 3 s, past the 1 s timeout: the warning says kbc gave up.
    let (shown, _) = run(&mut book, &fast());
    assert_eq!(
        shown,
        [format!(
            "index.md:3:8 external-link-unverified warning `{}` did not answer within 1 s",
            s.url("/slow")
        )]
    );
    assert_eq!(s.hits("/slow"), 1, "timeouts are not retried");
}

#[test]
fn can_retry_after_429_and_5xx() {
    let s = Server::start();
    let lines =
        [link("busy", &s.url("/busy")), link("too busy", &s.url("/too-busy")), link("down", &s.url("/down"))];
    let (_dir, mut book) = kb(&lines);
    let started = Instant::now();
    let (shown, _) = run(&mut book, &fast());
    let elapsed = started.elapsed();
    assert_eq!(
        shown,
        [
            format!(
                "index.md:5:12 external-link-unverified warning `{}` returned 429 and asks to wait 3600 s",
                s.url("/too-busy")
            ),
            format!(
                "index.md:7:8 external-link-unverified warning `{}` returned 503 after 3 attempts",
                s.url("/down")
            ),
        ]
    );
    assert_eq!(s.hits("/busy"), 2, "429, then 200 after `Retry-After: 1`");
    assert!(elapsed >= Duration::from_secs(1), "`Retry-After: 1` was honoured ({elapsed:?})");
    assert!(elapsed < Duration::from_secs(4), "no waiting for `Retry-After: 3600` ({elapsed:?})");
    assert_eq!(s.hits("/too-busy"), 1);
    assert_eq!(s.hits("/down"), 4, "HEAD, then GET and two retries");
}

#[test]
fn can_reuse_the_cache() {
    let s = Server::start();
    let cache_dir = tempfile::tempdir().expect("tempdir");
    let cache = cache_dir.path().join("sub/external.json");
    let lines = [
        link("ok", &s.url("/ok")),
        link("anchor", &s.url("/page#present")),
        link("moved", &s.url("/chain/1")),
        link("missing", &s.url("/missing")),
    ];
    let (_dir, mut first) = kb(&lines);
    let options = Options { cache: Some(cache.clone()), ..fast() };
    let (shown1, r1) = run(&mut first, &options);
    assert_eq!(r1.from_cache, 0);
    assert!(r1.cache_error.is_none(), "{:?}", r1.cache_error);
    let after_first = s.log();

    let text = std::fs::read_to_string(&cache).expect("cache written");
    let json: serde_json::Value = serde_json::from_str(&text).expect("cache is JSON");
    assert_eq!(json["version"], 1);
    let entries = json["entries"].as_array().expect("entries");
    let urls: Vec<&str> = entries.iter().filter_map(|e| e["url"].as_str()).collect();
    assert_eq!(urls, [s.url("/chain/1"), s.url("/ok"), s.url("/page")], "sorted, successes only");
    let page = &entries[2];
    assert_eq!(page["status"], 200);
    assert!(page["checked_at"].as_u64().is_some_and(|t| t > 1_600_000_000));
    assert_eq!(page["fragments"], serde_json::json!(["legacy", "present", "user-content-readme-heading"]));
    assert_eq!(entries[0]["moved_to"], s.url("/page"));
    let files: Vec<_> = std::fs::read_dir(cache.parent().expect("dir"))
        .expect("cache dir")
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    assert_eq!(files, ["external.json"], "no temporary file left behind");

    // A second run asks only about the failure.
    let (_dir2, mut second) = kb(&lines);
    let (shown2, r2) = run(&mut second, &options);
    assert_eq!(shown2, shown1, "cached results give the same diagnostics");
    assert_eq!(r2.from_cache, 3);
    let new: Vec<String> = s.log()[after_first.len()..].to_vec();
    assert_eq!(new, ["HEAD /missing", "GET /missing"]);

    // All successes: no request at all.
    let (_dir3, mut third) = kb(&lines[..3]);
    let before = s.total();
    let (_, r3) = run(&mut third, &options);
    assert_eq!((r3.from_cache, r3.requests, s.total()), (3, 0, before));

    // Too old: asked again.
    let (_dir4, mut fourth) = kb(&lines[..3]);
    let (_, r4) = run(&mut fourth, &Options { cache_max_age: Duration::ZERO, ..options.clone() });
    assert_eq!(r4.from_cache, 0);
    assert!(s.total() > before);

    // A broken cache file is ignored, reported, and replaced.
    std::fs::write(&cache, "{ not json").expect("write");
    let (_dir5, mut fifth) = kb(&lines[..1]);
    let (_, r5) = run(&mut fifth, &options);
    assert!(r5.cache_error.is_some());
    assert!(std::fs::read_to_string(&cache).expect("rewritten").contains("\"version\": 1"));
}

#[test]
fn can_exclude_urls() {
    let s = Server::start();
    let lines = [
        link("prefix", &s.url("/missing")),
        link("glob", &s.url("/gone?x=1")),
        link("kept", &s.url("/private")),
    ];
    let (_dir, mut book) = kb(&lines);
    let options = Options { exclude: vec![s.url("/miss"), "http://127.0.0.1:*/gone*".into()], ..fast() };
    let (shown, report) = run(&mut book, &options);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!((report.excluded, report.links), (2, 1));
    assert_eq!((s.hits("/missing"), s.hits("/gone?x=1")), (0, 0));
}

#[test]
fn can_bound_concurrency() {
    let s = Server::start();
    let lines: Vec<String> = (0..12).map(|i| link("held", &s.url(&format!("/held/{i}")))).collect();
    let (_dir, mut book) = kb(&lines);
    let (shown, report) = run(&mut book, &Options { concurrency: 3, ..fast() });
    assert!(shown.is_empty(), "{shown:?}");
    assert_eq!(report.requests, 12);
    let max = s.state.max_in_flight.load(Ordering::SeqCst);
    assert!((2..=3).contains(&max), "at most 3 in flight, and more than one: {max}");
}

#[test]
fn can_be_polite_to_one_host() {
    let s = Server::start();
    let lines: Vec<String> = (0..4).map(|i| link("held", &s.url(&format!("/held/{i}")))).collect();
    let (_dir, mut book) = kb(&lines);
    let options = Options { concurrency: 4, per_host: 1, host_delay: Duration::from_millis(100), ..fast() };
    let started = Instant::now();
    let (shown, _) = run(&mut book, &options);
    assert!(shown.is_empty(), "{shown:?}");
    assert_eq!(s.state.max_in_flight.load(Ordering::SeqCst), 1);
    // Four requests held 150 ms each, one at a time.
    assert!(started.elapsed() >= Duration::from_millis(600), "{:?}", started.elapsed());
}

#[test]
fn can_apply_configured_levels() {
    let s = Server::start();
    let (_dir, mut book) = kb(&[link("missing", &s.url("/missing")), link("down", &s.url("/down"))]);
    book.config.check.rules.insert(Code::ExternalLink, kbc::config::Level::Warn);
    book.config.check.deny_warnings = false;
    let (shown, _) = run(&mut book, &Options { max_retries: 0, ..fast() });
    assert_eq!(shown.len(), 2);
    assert!(book.diagnostics.iter().all(|d| d.severity != Severity::Error), "{shown:?}");
}

#[test]
fn can_fail_the_kbc_binary_with_a_position() {
    let s = Server::start();
    let article = format!(
        "# Links\n\nA fine [page]({}).\n\nSee\n  [the broken one]({}) for details.\n",
        s.url("/ok"),
        s.url("/missing")
    );
    let dir = common::fixture(&[
        ("book.toml", "[check.external]\ntimeout-secs = 1\n"),
        ("content/index.md", &article),
    ]);
    let kbc = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kbc"))
            .args(args)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("NO_PROXY", "127.0.0.1")
            .env("no_proxy", "127.0.0.1")
            .output()
            .expect("run kbc")
    };

    // Off by default.
    let out = kbc(&["check", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(s.total(), 0);

    let out = kbc(&["check", ".", "--external", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let diags: Vec<serde_json::Value> =
        stdout.lines().map(|l| serde_json::from_str(l).expect("one JSON object a line")).collect();
    assert_eq!(diags.len(), 1, "{stdout}");
    let d = &diags[0];
    assert_eq!(d["code"], "external-link");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["message"], format!("`{}` returned 404", s.url("/missing")));
    assert_eq!(
        (d["file"].as_str(), d["line"].as_u64(), d["column"].as_u64()),
        (Some("content/index.md"), Some(6), Some(20))
    );
    assert!(dir.path().join(".kbc-cache/external.json").is_file());

    // `kbc build --external` fails the same way and writes nothing.
    let out = kbc(&["build", ".", "--external", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.path().join("book").exists());

    // `enable = true` in book.toml does what `--external` does.
    std::fs::write(dir.path().join("book.toml"), "[check.external]\nenable = true\ntimeout-secs = 1\n")
        .expect("write");
    let out = kbc(&["check", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
}
