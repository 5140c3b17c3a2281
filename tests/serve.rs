//! `kbc serve` end to end: the real binary on an ephemeral port over a temporary book; pages are
//! fetched over HTTP, files are edited, and the reload events and the error overlay's data are
//! seen. Waits poll with a generous timeout; nothing asserts how fast anything is.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// How long any one wait may take (debug builds on a busy machine are slow).
const PATIENCE: Duration = Duration::from_secs(120);

/// Kills the server when the test ends, passing or failing.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
    /// Lines of the server's stderr.
    log: Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kbc serve` over `dir` on an ephemeral port, once it has printed its URL.
pub(crate) fn start(dir: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kbc"))
        .args(["--color", "never", "serve", "--port", "0"])
        .arg(dir)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start kbc serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, log) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut server = Server { child, url: String::new(), log };
    let deadline = Instant::now() + PATIENCE;
    while server.url.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = server.log.recv_timeout(left).expect("kbc serve printed no URL");
        if let Some(at) = line.find("http://127.0.0.1:") {
            server.url = line[at..].split_whitespace().next().unwrap().to_string();
        }
    }
    assert!(server.url.ends_with('/'), "{}", server.url);
    server
}

fn agent() -> ureq::Agent {
    // Straight to 127.0.0.1 whatever the proxy variables say; 404 is an answer, not an error.
    ureq::Agent::config_builder().proxy(None).http_status_as_error(false).build().into()
}

fn get(url: &str) -> (u16, String) {
    let mut response = agent().get(url).call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().unwrap())
}

fn status(server: &Server) -> serde_json::Value {
    serde_json::from_str(&get(&format!("{}__kbc/status", server.url)).1).unwrap()
}

/// Polls `check` until it returns something, for at most [`PATIENCE`].
fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The event stream, read line by line on a thread of its own.
fn events(server: &Server) -> Receiver<String> {
    let url = format!("{}__kbc/events", server.url);
    let response = agent().get(&url).call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(
        response.headers().get("content-type").and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let reader = BufReader::new(response.into_body().into_reader());
        for line in reader.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for an `event: <name>` line and returns the data line after it.
fn next_event(rx: &Receiver<String>, name: &str) -> String {
    let deadline = Instant::now() + PATIENCE;
    let mut seen = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx.recv_timeout(left).unwrap_or_else(|_| panic!("no `{name}` event"));
        if line == format!("event: {name}") {
            seen = true;
        } else if seen && let Some(data) = line.strip_prefix("data: ") {
            return data.to_string();
        }
    }
}

/// The next event, whatever its name: `(name, data)`; a follow-up build's `refreshed`, which comes
/// whenever the test pauses long enough, is skipped.
fn any_event(rx: &Receiver<String>) -> (String, String) {
    let deadline = Instant::now() + PATIENCE;
    let mut name = None;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx.recv_timeout(left).expect("no event");
        if let Some(n) = line.strip_prefix("event: ") {
            name = Some(n.to_string()).filter(|n| n != "refreshed");
        } else if let (Some(n), Some(data)) = (&name, line.strip_prefix("data: ")) {
            return (n.clone(), data.to_string());
        }
    }
}

/// `kbc serve` over a book of `a.md` (with `a_md`) and `b.md`, without search, and its event
/// stream past `hello`.
fn served_alpha_and_beta(a_md: &str) -> (tempfile::TempDir, Server, Receiver<String>) {
    let kb = common::fixture(&[
        ("book.toml", "[book]\ntitle = \"Served\"\nsrc = \"content\"\n\n[output.html]\nsearch = false\n"),
        ("content/a.md", a_md),
        ("content/b.md", "# Beta\n\nBeta body.\n"),
    ]);
    let server = start(kb.path());
    let events = events(&server);
    next_event(&events, "hello");
    (kb, server, events)
}

#[test]
fn the_follow_up_build_at_a_pause_tells_pages_to_check_theirs() {
    let (kb, server, events) = served_alpha_and_beta("# Alpha\n\nFirst version.\n");
    let dir = kb.path();
    let llms = || std::fs::read_to_string(dir.join("book/llms-full.txt")).unwrap();
    assert!(llms().contains("First version."));

    // The edit is published in place (the page reloads); the files made from every article,
    // `llms-full.txt` among them, wait for the pause, after which pages are told to compare
    // theirs with what is served now.
    std::fs::write(dir.join("content/a.md"), "# Alpha\n\nSecond version.\n").unwrap();
    let reload: u64 = next_event(&events, "reload").parse().unwrap();
    let refreshed: u64 = next_event(&events, "refreshed").parse().unwrap();
    assert!(refreshed > reload, "{refreshed} after {reload}");
    assert!(llms().contains("Second version."), "the follow-up build came before the event");
    let s = status(&server);
    assert_eq!(
        (s["generation"].as_u64(), &s["published"]),
        (Some(refreshed), &serde_json::json!(true)),
        "{s}"
    );
}

#[test]
fn an_edit_is_previewed_then_rebuilt_and_a_broken_one_is_taken_back() {
    let (kb, server, events) = served_alpha_and_beta("# Alpha\n\nFirst version. See [beta](b.md#beta).\n");
    let dir = kb.path();

    // The preview puts the page in place and reloads; the rebuild that follows writes the same
    // page, so pages only refresh their overlay. The page is the one `kbc build` writes.
    std::fs::write(dir.join("content/a.md"), "# Alpha\n\nSecond version. See [beta](b.md#beta).\n").unwrap();
    assert_eq!(any_event(&events).0, "reload");
    assert_eq!(any_event(&events).0, "status");
    let served = std::fs::read(dir.join("book/a.html")).unwrap();
    assert!(String::from_utf8_lossy(&served).contains("Second version."));
    let clean = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kbc"))
        .args(["build", "-q"])
        .arg(dir)
        .arg("--dest")
        .arg(clean.path().join("book"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(served, std::fs::read(clean.path().join("book/a.html")).unwrap());

    // A new title changes other pages (b's previous link): the rebuild reloads them too.
    std::fs::write(dir.join("content/a.md"), "# Alef\n\nSecond version. See [beta](b.md#beta).\n").unwrap();
    assert_eq!(any_event(&events).0, "reload");
    assert_eq!(any_event(&events).0, "reload");
    assert!(std::fs::read_to_string(dir.join("book/b.html")).unwrap().contains("Alef"));

    // A broken anchor: the preview shows the edit, the rebuild fails, and the build folder is the
    // last good build again, byte for byte.
    let good = std::fs::read(dir.join("book/a.html")).unwrap();
    std::fs::write(dir.join("content/a.md"), "# Alef\n\nThird version. See [beta](b.md#gamma).\n").unwrap();
    assert_eq!(any_event(&events).0, "reload");
    assert_eq!(any_event(&events).0, "reload");
    let s = status(&server);
    assert_eq!((s["errors"].as_u64(), &s["published"]), (Some(1), &serde_json::json!(false)), "{s}");
    assert_eq!(std::fs::read(dir.join("book/a.html")).unwrap(), good);
}

#[test]
fn serve_rebuilds_reloads_and_shows_errors_until_fixed() {
    let kb = common::fixture(&[
        ("book.toml", "[book]\ntitle = \"Served\"\nsrc = \"content\"\n\n[output.html]\nsearch = false\n"),
        ("content/a.md", "# Alpha\n\nFirst version. See [beta](b.md).\n"),
        ("content/b.md", "# Beta\n\nBeta body.\n"),
    ]);
    let dir = kb.path();
    let server = start(dir);

    // The page is served with the live reload script; the published file has none.
    let (code, page) = get(&format!("{}a.html", server.url));
    assert_eq!(code, 200);
    assert!(page.contains("First version."), "{page}");
    assert!(page.contains("<script src=\"/__kbc/live.js\" data-generation=\"1\" data-page=\""), "{page}");
    let published = std::fs::read_to_string(dir.join("book/a.html")).unwrap();
    assert!(!published.contains("__kbc"), "published output stays as `kbc build` writes it");
    let (code, js) = get(&format!("{}__kbc/live.js", server.url));
    assert!(code == 200 && js.contains("EventSource"), "{js}");
    // kbc's own files in the build folder are not served.
    assert_eq!(get(&format!("{}.kbc-build", server.url)).0, 404);
    assert_eq!(get(&format!("{}%2Ekbc-cache/render/html/", server.url)).0, 404);
    let (code, missing) = get(&format!("{}no-such-page.html", server.url));
    assert!(code == 404 && missing.contains("/__kbc/live.js"), "{missing}");

    let events = events(&server);
    let first: u64 = next_event(&events, "hello").parse().unwrap();

    // An edit is rebuilt, served, and announced.
    std::fs::write(dir.join("content/a.md"), "# Alpha\n\nSecond version. See [beta](b.md).\n").unwrap();
    let generation: u64 = next_event(&events, "reload").parse().unwrap();
    assert!(generation > first);
    wait_for("the edit to be served", || {
        get(&format!("{}a.html", server.url)).1.contains("Second version.").then_some(())
    });
    // That reload came with the preview; the rebuild's status follows.
    let s = wait_for("the rebuild", || {
        let s = status(&server);
        (s["generation"].as_u64() > Some(generation)).then_some(s)
    });
    assert_eq!(s["errors"], 0, "{s}");
    assert_eq!(s["parsed"], 1, "only the edited file is parsed again: {s}");
    assert_eq!(s["rendered"], 1, "{s}");

    // A broken link: the overlay's data names the file, line and column; the last good build
    // stays served.
    std::fs::write(dir.join("content/a.md"), "# Alpha\n\nSecond version. See [gamma](gamma.md).\n").unwrap();
    next_event(&events, "reload");
    let s = wait_for("the error to be reported", || {
        let s = status(&server);
        (s["errors"].as_u64() > Some(0)).then_some(s)
    });
    assert_eq!(s["published"], false, "{s}");
    let d = &s["diagnostics"][0];
    assert_eq!(d["severity"], "error", "{s}");
    assert_eq!(d["code"], "missing-file", "{s}");
    assert_eq!(d["file"], "content/a.md", "{s}");
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(3), Some(29)), "{s}");
    assert!(get(&format!("{}a.html", server.url)).1.contains("Second version. See"));

    // Fixed: the error clears and the fix is served.
    std::fs::write(dir.join("content/a.md"), "# Alpha\n\nThird version. See [beta](b.md).\n").unwrap();
    next_event(&events, "reload");
    wait_for("the error to clear", || {
        let s = status(&server);
        (s["errors"] == 0 && s["published"] == true).then_some(())
    });
    assert!(get(&format!("{}a.html", server.url)).1.contains("Third version."));
    assert!(status(&server)["diagnostics"].as_array().unwrap().is_empty());
}

#[test]
fn watch_prints_the_diagnostics_of_each_rebuild() {
    let kb = common::fixture(&[
        ("book.toml", "[book]\nsrc = \"content\"\n\n[output.html]\nsearch = false\n"),
        ("content/a.md", "# Alpha\n\nSee [beta](b.md).\n"),
        ("content/b.md", "# Beta\n\n##\n"),
    ]);
    let dir = kb.path();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kbc"))
        .args(["--color", "never", "watch"])
        .arg(dir)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start kbc watch");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, log) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The same guard as the server's: the child is killed however the test ends.
    let _guard = Server { child, url: String::new(), log: channel().1 };
    let wait_line = |what: &str, pred: &mut dyn FnMut(&str) -> bool| {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = log.recv_timeout(left).unwrap_or_else(|_| panic!("kbc watch never printed {what}"));
            if pred(&line) {
                return line;
            }
        }
    };
    let first =
        wait_line("that it watches", &mut |l| l.starts_with("watching") || l.contains("content/b.md:3:"));
    assert!(first.contains("content/b.md:3:"), "the first build prints every warning: {first}");
    wait_line("that it watches", &mut |l| l.starts_with("watching"));

    // A new warning is printed; the old one is counted, not repeated.
    std::fs::write(dir.join("content/a.md"), "# Alpha\n\nSee [beta](b.md).\n\n##\n").unwrap();
    let mut lines = Vec::new();
    wait_line("the unchanged warning's note", &mut |l| {
        lines.push(l.to_string());
        l.starts_with("note: 1 warning unchanged since the last rebuild")
    });
    let at = |file: &str| lines.iter().filter(|l| l.contains(file)).count();
    assert_eq!((at("content/a.md:5:"), at("content/b.md")), (1, 0), "{lines:#?}");

    std::fs::write(dir.join("content/a.md"), "# Alpha\n\nSee [gamma](gamma.md).\n").unwrap();
    let at = wait_line("the broken link", &mut |l| l.contains("content/a.md:3:"));
    assert!(at.ends_with("content/a.md:3:13"), "{at}");
    wait_line("that the last good build is kept", &mut |l| l.contains("the last good build is kept"));
    assert!(dir.join("book/a.html").is_file());
}
