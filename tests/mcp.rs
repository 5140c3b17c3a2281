//! `kbc mcp` and `kbc ask` end to end: the Model Context Protocol over the real binary's stdio
//! (JSON-RPC written here by hand, so the wire format itself is checked), the official Python SDK
//! as a client nobody here wrote, and the lookup's hit rate on the dev corpus.

#![cfg(feature = "mcp")]

use crate::common;

use kbc::kb::{self, Kb};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

const SEED_ID: &str = "zh-CN/cdd4801a-2fe1-4aab-bbb6-db5f95f972d1";
const SEED_PAGE: &str = "troubleshooting-sign-in-errors-for-admins";

/// A `kbc mcp` process and a JSON-RPC session with it.
struct Session {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Session {
    /// Starts `kbc mcp ARGS` and completes the initialize handshake.
    fn start(args: &[&str]) -> (Session, Value) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kbc"))
            .arg("mcp")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kbc mcp");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut s = Session { child, stdin, stdout, next_id: 0 };
        let init = s.request(
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "kbc-tests", "version": "0"}
            }),
        );
        s.notify("notifications/initialized", json!({}));
        (s, init)
    }

    fn send(&mut self, message: &Value) {
        writeln!(self.stdin, "{message}").expect("write to kbc mcp");
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns the whole response (`result` or `error`). Every line on stdout
    /// must be a JSON-RPC message: notifications before the response are skipped.
    fn raw(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let mut line = String::new();
            let n = self.stdout.read_line(&mut line).expect("read from kbc mcp");
            assert!(n > 0, "kbc mcp closed stdout while `{method}` was pending");
            let msg: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout carried a non-JSON line ({e}): {line:?}"));
            assert_eq!(msg["jsonrpc"], "2.0", "not JSON-RPC: {line}");
            if msg["id"] == json!(id) {
                return msg;
            }
            assert!(
                msg.get("id").is_none() || msg.get("method").is_some(),
                "a response to another id: {line}"
            );
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let msg = self.raw(method, params);
        assert!(msg.get("error").is_none(), "`{method}` failed: {msg}");
        msg["result"].clone()
    }

    fn call(&mut self, tool: &str, arguments: Value) -> Value {
        self.request("tools/call", json!({"name": tool, "arguments": arguments}))
    }

    /// Closes stdin and returns what the server wrote to stderr; the server must exit cleanly.
    fn finish(self) -> String {
        let Session { child, stdin, stdout, .. } = self;
        drop(stdin);
        drop(stdout);
        let out = child.wait_with_output().expect("wait for kbc mcp");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(0), "kbc mcp exit status; stderr:\n{stderr}");
        stderr
    }
}

fn repo() -> String {
    common::repo_root().to_str().unwrap().to_string()
}

/// The output schema of every tool, by name.
fn output_schemas(s: &mut Session) -> std::collections::BTreeMap<String, Value> {
    let tools = s.request("tools/list", json!({}));
    tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_string(), t["outputSchema"].clone()))
        .collect()
}

/// A successful tool result: structured content valid against the tool's output schema, its JSON
/// as the first text item, and resource links to `kb://` URIs.
fn structured(schema: &Value, result: &Value) -> Value {
    assert_ne!(result["isError"], true, "tool error: {result}");
    let data = result["structuredContent"].clone();
    let validator = jsonschema::validator_for(schema).expect("the output schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(&data).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "structuredContent does not match outputSchema: {errors:?}");
    let content = result["content"].as_array().unwrap();
    assert_eq!(content[0]["type"], "text");
    let text: Value = serde_json::from_str(content[0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text, data, "the text item is the structured content");
    for link in &content[1..] {
        assert_eq!(link["type"], "resource_link");
        assert!(link["uri"].as_str().unwrap().starts_with("kb://"), "{link}");
        assert_eq!(link["mimeType"], "text/markdown");
    }
    data
}

fn tool_error(result: &Value) -> String {
    assert_eq!(result["isError"], true, "expected a tool error: {result}");
    result["content"][0]["text"].as_str().unwrap().to_string()
}

#[test]
fn initialize_and_list_tools_with_schemas() {
    let (mut s, init) = Session::start(&["--quiet", &repo()]);
    assert_eq!(init["protocolVersion"], "2025-06-18");
    assert_eq!(init["serverInfo"]["name"], "kbc");
    assert!(
        init["capabilities"]["tools"].is_object() && init["capabilities"]["resources"].is_object(),
        "{init}"
    );
    assert!(init["instructions"].as_str().unwrap().contains("lookup_error"));

    let tools = s.request("tools/list", json!({}));
    let tools = tools["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["get_article", "list_articles", "lookup_error", "search_kb"]);
    for t in tools {
        assert!(!t["description"].as_str().unwrap().is_empty());
        assert_eq!(t["inputSchema"]["type"], "object", "{t}");
        assert_eq!(t["outputSchema"]["type"], "object", "{t}");
        assert_eq!(t["annotations"]["readOnlyHint"], true);
        jsonschema::validator_for(&t["inputSchema"]).expect("input schema compiles");
    }
    let by_name = |n: &str| tools.iter().find(|t| t["name"] == n).unwrap();
    assert_eq!(by_name("lookup_error")["inputSchema"]["required"], json!(["message"]));
    assert_eq!(by_name("search_kb")["inputSchema"]["required"], json!(["query"]));
    assert_eq!(by_name("get_article")["inputSchema"]["required"], json!(["id_or_url"]));
    // The output schemas embed the published types: the same descriptions as `kbc schema`.
    let published = kbc::render::json::schemas_by_name();
    let entry_schema = &published["troubleshooting-entry.schema.json"];
    let lookup = &by_name("lookup_error")["outputSchema"];
    assert_eq!(
        lookup["$defs"]["TroubleshootingEntry"]["properties"]["match_key"],
        entry_schema["properties"]["match_key"]
    );
    let chunk_schema = &published["chunk.schema.json"];
    assert_eq!(
        by_name("search_kb")["outputSchema"]["$defs"]["Chunk"]["properties"]["url"],
        chunk_schema["properties"]["url"]
    );
    let stderr = s.finish();
    assert!(!stderr.contains("serving"), "--quiet: {stderr}");
}

#[test]
fn lookup_error_finds_the_firewall_entry_first() {
    let (mut s, _) = Session::start(&[&repo()]);
    let schemas = output_schemas(&mut s);
    for message in ["找不到登录地址", "找不到登录地址。", "  找不到登录地址！ ", "找不到 登录地址"]
    {
        let result = s.call("lookup_error", json!({"message": message}));
        let data = structured(&schemas["lookup_error"], &result);
        let first = &data["results"][0];
        assert_eq!(first["rank"], 1);
        assert_eq!(first["entry"]["text"], "找不到登录地址", "{message}");
        assert_eq!(first["entry"]["kind"], "error_message");
        assert_eq!(first["entry"]["url"], format!("{SEED_PAGE}.html#__toc325626440"));
        let cause = &first["entry"]["causes"][0];
        assert!(cause["text"].as_str().unwrap().contains("msoidsvc.exe"));
        let procedure = &cause["resolution"]["procedure"];
        assert_eq!(procedure["url"], format!("{SEED_PAGE}.html#__add_a_firewall"));
        let steps = procedure["procedures"][0]["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 4);
        assert!(steps[0]["text"].as_str().unwrap().contains("Forefront"));
        assert_eq!(first["resource"], format!("kb://zh-CN/{SEED_PAGE}.md"));
        let links: Vec<&Value> = result["content"].as_array().unwrap()[1..].iter().collect();
        assert_eq!(links.len(), 1, "one link per article");
        assert_eq!(links[0]["uri"], format!("kb://zh-CN/{SEED_PAGE}.md"));
    }
    // A cause and an error message with the same text: the error message first.
    let data = s.call("lookup_error", json!({"message": "获得登录所需的个人证书时出现问题", "limit": 2}));
    let data = structured(&schemas["lookup_error"], &data);
    let kinds: Vec<&Value> =
        data["results"].as_array().unwrap().iter().map(|h| &h["entry"]["kind"]).collect();
    assert_eq!(kinds, [&json!("error_message"), &json!("cause")]);
    // Locale filter and limit.
    let data = s.call("lookup_error", json!({"message": "找不到登录地址", "locale": "en-US"}));
    assert_eq!(structured(&schemas["lookup_error"], &data)["results"], json!([]));
    let data = s.call("lookup_error", json!({"message": "登录", "limit": 1}));
    assert_eq!(structured(&schemas["lookup_error"], &data)["results"].as_array().unwrap().len(), 1);
    s.finish();
}

#[test]
fn search_get_and_list() {
    let (mut s, _) = Session::start(&[&repo()]);
    let schemas = output_schemas(&mut s);

    let data = structured(
        &schemas["search_kb"],
        &s.call("search_kb", json!({"query": "msoidsvc 防火墙 代理服务器"})),
    );
    let first = &data["results"][0];
    assert!(first["chunk"]["text"].as_str().unwrap().contains("msoidsvc"), "{first}");
    assert!(first["chunk"]["url"].as_str().unwrap().starts_with(SEED_PAGE));
    assert!(!first["heading_path"].as_array().unwrap().is_empty());
    let scores: Vec<f64> =
        data["results"].as_array().unwrap().iter().map(|h| h["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let data = s.call("search_kb", json!({"query": "DNS", "topic": "no-such-topic"}));
    assert_eq!(structured(&schemas["search_kb"], &data)["results"], json!([]));
    let data = s.call("search_kb", json!({"query": "DNS", "limit": 2}));
    assert_eq!(structured(&schemas["search_kb"], &data)["results"].as_array().unwrap().len(), 2);

    let data = structured(&schemas["list_articles"], &s.call("list_articles", json!({})));
    assert_eq!(data["count"], 1);
    assert_eq!(data["articles"][0]["id"], SEED_ID);
    let data = structured(&schemas["list_articles"], &s.call("list_articles", json!({"locale": "en-US"})));
    assert_eq!(data["count"], 0);
    let data =
        structured(&schemas["list_articles"], &s.call("list_articles", json!({"topic": "Troubleshooting"})));
    assert_eq!(data["count"], 1);

    // By id, as Markdown: the twin `kbc build` publishes.
    let data = structured(&schemas["get_article"], &s.call("get_article", json!({"id_or_url": SEED_ID})));
    let twin = data["markdown"].as_str().unwrap().to_string();
    assert!(twin.starts_with("# 解决管理员的 Skype for Business Online 登录错误\n"), "{twin:.80}");
    assert_eq!(data["url"], format!("{SEED_PAGE}.html"));
    // By deep URL: the section and its subsections.
    let url = format!("{SEED_PAGE}.html#__add_a_firewall");
    let data = structured(&schemas["get_article"], &s.call("get_article", json!({"id_or_url": url})));
    assert_eq!(data["section"], "__add_a_firewall");
    assert_eq!(data["url"], url);
    let md = data["markdown"].as_str().unwrap();
    assert!(md.starts_with("### 请将 msoidsvc.exe 的防火墙项添加到代理服务器"), "{md:.120}");
    assert!(md.contains("1. 在 Forefront 左窗格中"));
    assert!(!md.contains("## 更新 DNS 设置"), "only this section");
    // As JSON, whole and one section; by kb:// URI and by ms.assetid.
    let args = json!({"id_or_url": format!("kb://zh-CN/{SEED_PAGE}.md"), "format": "json"});
    let data = structured(&schemas["get_article"], &s.call("get_article", args));
    assert_eq!(data["article"]["id"], SEED_ID);
    assert!(data["markdown"].is_null());
    let args = json!({"id_or_url": "cdd4801a-2fe1-4aab-bbb6-db5f95f972d1", "format": "json", "section": "__update_dns_service"});
    let data = structured(&schemas["get_article"], &s.call("get_article", args));
    assert_eq!(data["section_json"]["id"], "__update_dns_service");
    assert!(data["article"].is_null());

    // The resource is the same Markdown.
    let list = s.request("resources/list", json!({}));
    let resources = list["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 1);
    assert_eq!(resources[0]["uri"], format!("kb://zh-CN/{SEED_PAGE}.md"));
    assert_eq!(resources[0]["name"], SEED_ID);
    assert_eq!(resources[0]["mimeType"], "text/markdown");
    let read = s.request("resources/read", json!({"uri": resources[0]["uri"]}));
    assert_eq!(read["contents"][0]["text"], twin);
    assert_eq!(read["contents"][0]["mimeType"], "text/markdown");
    let missing = s.raw("resources/read", json!({"uri": "kb://zh-CN/nope.md"}));
    assert!(missing["error"]["message"].as_str().unwrap().contains("kb://zh-CN/nope.md"), "{missing}");
    s.finish();
}

#[test]
fn bad_arguments_are_tool_errors() {
    let (mut s, _) = Session::start(&[&repo()]);
    let msg = tool_error(&s.call("lookup_error", json!({})));
    assert!(msg.contains("message"), "{msg}");
    let msg = tool_error(&s.call("lookup_error", json!({"message": 42})));
    assert!(msg.contains("string"), "{msg}");
    let msg = tool_error(&s.call("lookup_error", json!({"message": "找不到", "color": "red"})));
    assert!(msg.contains("color"), "{msg}");
    let msg = tool_error(&s.call("lookup_error", json!({"message": " 。！ "})));
    assert!(msg.contains("empty"), "{msg}");
    let msg = tool_error(&s.call("search_kb", json!({"query": "..."})));
    assert!(msg.contains("no words"), "{msg}");
    let msg = tool_error(&s.call("search_kb", json!({"query": "dns", "limit": -1})));
    assert!(msg.contains("-1"), "{msg}");
    let msg = tool_error(&s.call("get_article", json!({"id_or_url": "zh-CN/nope"})));
    assert!(msg.contains("no article `zh-CN/nope`") && msg.contains(SEED_ID), "{msg}");
    let msg = tool_error(&s.call("get_article", json!({"id_or_url": ""})));
    assert!(msg.contains("empty"), "{msg}");
    let msg = tool_error(&s.call("get_article", json!({"id_or_url": SEED_ID, "section": "nope"})));
    assert!(msg.contains("no section `nope`") && msg.contains("__add_a_firewall"), "{msg}");
    let msg = tool_error(&s.call("get_article", json!({"id_or_url": SEED_ID, "format": "html"})));
    assert!(msg.contains("format") || msg.contains("html"), "{msg}");
    // An unknown tool and an unknown method are protocol errors, and the session goes on.
    let unknown = s.raw("tools/call", json!({"name": "no_such_tool", "arguments": {}}));
    assert!(unknown.get("error").is_some() || unknown["result"]["isError"] == true, "{unknown}");
    let unknown = s.raw("no/such/method", json!({}));
    assert!(unknown["error"]["code"].is_i64(), "{unknown}");
    let still = s.call("lookup_error", json!({"message": "找不到登录地址"}));
    assert_ne!(still["isError"], true);
    s.finish();
}

#[test]
fn a_published_build_answers_like_the_content() {
    let build = tempfile::tempdir().unwrap();
    let dest = build.path().join("site");
    let out = Command::new(env!("CARGO_BIN_EXE_kbc"))
        .args(["build", "-q", &repo(), "--dest", dest.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let calls = [
        ("lookup_error", json!({"message": "服务器暂时不可用"})),
        ("search_kb", json!({"query": "DNS 设置"})),
        ("get_article", json!({"id_or_url": SEED_ID})),
        ("get_article", json!({"id_or_url": SEED_ID, "format": "json"})),
        ("list_articles", json!({})),
    ];
    let answers = |args: &[&str]| {
        let (mut s, _) = Session::start(args);
        let v: Vec<Value> = calls.iter().map(|(t, a)| s.call(t, a.clone())).collect();
        let r = s.request("resources/read", json!({"uri": format!("kb://zh-CN/{SEED_PAGE}.md")}));
        s.finish();
        (v, r)
    };
    let from_content = answers(&[&repo()]);
    let from_site = answers(&["--site", dest.to_str().unwrap()]);
    assert_eq!(from_content, from_site);
    // And the Markdown is the published twin, byte for byte.
    let twin = std::fs::read_to_string(dest.join(format!("{SEED_PAGE}.md"))).unwrap();
    assert_eq!(from_site.1["contents"][0]["text"], twin);

    let out =
        Command::new(env!("CARGO_BIN_EXE_kbc")).args(["mcp", "--site", "/nonexistent/kbc"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing but protocol on stdout");
    assert!(String::from_utf8_lossy(&out.stderr).contains("manifest.json"));
}

#[test]
fn ask_prints_a_checklist() {
    let kbc = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_kbc")).args(args).output().unwrap();
    let out = kbc(&["ask", "找不到登录地址！", &repo()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("1. 找不到登录地址\n"), "{text}");
    assert!(text.contains("     [ ] 1. 在 Forefront 左窗格中"), "{text}");
    assert!(text.contains(&format!("→ {SEED_PAGE}.html#__add_a_firewall")), "{text}");
    assert!(!text.contains("\n2. "), "an exact match stands alone: {text}");

    let out = kbc(&["ask", "--json", "-n", "2", "服务器暂时不可用", &repo()]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["results"][0]["entry"]["text"], "服务器暂时不可用");
    assert!(v["results"].as_array().unwrap().len() <= 2);

    let out = kbc(&["ask", "qwertyuiop zxcvbnm", &repo()]);
    assert_eq!(out.status.code(), Some(1), "nothing found");
    assert!(String::from_utf8_lossy(&out.stdout).contains("No troubleshooting entry matches"));
    assert_eq!(kbc(&["ask", "。", &repo()]).status.code(), Some(2));
}

/// The official Python SDK as the client (`pip install mcp`; `.ci/run` installs it). Fails, never
/// skips, when the SDK is missing.
#[test]
fn python_sdk_client() {
    let script = common::repo_root().join("tests/mcp_client.py");
    let probe = Command::new("python3").args(["-c", "import mcp"]).output().expect("python3 on PATH");
    assert!(
        probe.status.success(),
        "the Python MCP SDK is not importable: run `python3 -m pip install mcp` ({})",
        String::from_utf8_lossy(&probe.stderr)
    );
    let out = Command::new("python3")
        .arg(&script)
        .args([env!("CARGO_BIN_EXE_kbc"), &repo()])
        .output()
        .expect("run tests/mcp_client.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("python client: all checks passed"), "{stdout}");
}

/// Full-width punctuation to half-width and back.
fn swap_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ',' => '，',
            '.' => '。',
            ':' => '：',
            ';' => '；',
            '!' => '！',
            '?' => '？',
            '(' => '（',
            ')' => '）',
            '"' => '”',
            '，' => ',',
            '。' => '.',
            '：' => ':',
            '；' => ';',
            '！' => '!',
            '？' => '?',
            '（' => '(',
            '）' => ')',
            '“' | '”' => '"',
            c => c,
        })
        .collect()
}

/// Characters `from..to` of the text, as fractions of its length (at least 4 characters).
fn slice(s: &str, from: f64, to: f64) -> String {
    let n = s.chars().count();
    let a = (n as f64 * from) as usize;
    let b = ((n as f64 * to) as usize).max(a + 4);
    s.chars().skip(a).take(b - a).collect()
}

#[derive(Default)]
struct Rate {
    hits: usize,
    total: usize,
    misses: Vec<String>,
}

impl Rate {
    fn pct(&self) -> f64 {
        if self.total == 0 { 100.0 } else { 100.0 * self.hits as f64 / self.total as f64 }
    }
}

/// How a user might paste a message: whole, cut short, a piece of it, inside a log line, with the
/// other width of punctuation, in capitals.
const VARIANTS: [&str; 7] =
    ["exact", "first 2/3", "first half", "middle half", "in a log line", "punctuation swapped", "upper case"];

fn variants(text: &str) -> [String; 7] {
    [
        text.to_string(),
        slice(text, 0.0, 2.0 / 3.0),
        slice(text, 0.0, 0.5),
        slice(text, 0.25, 0.75),
        format!("2026-11-25 10:00:01 [ERROR] {text} (0x80070005)"),
        swap_width(text),
        text.to_uppercase(),
    ]
}

/// Every troubleshooting entry of the dev corpus, looked up by each variant of its text, comes
/// back first (or an entry with the same match key does). Error messages are what users paste, so
/// their floors are the highest; the rates are printed for the notes.
#[test]
fn lookup_quality_on_the_dev_corpus() {
    use kbc::render::json::types::EntryKind;
    // [kind][variant]: kinds error message, symptom, cause.
    let mut rates: [[Rate; 7]; 3] = Default::default();
    for root in common::corpus_roots() {
        let book = common::book(&root);
        let kb = Kb::from_book(&book).unwrap();
        let api = kbc::render::json::api(&book).unwrap();
        for e in api.articles.iter().flat_map(|a| &a.troubleshooting) {
            let kind = match e.kind {
                EntryKind::ErrorMessage => 0,
                EntryKind::Symptom => 1,
                EntryKind::Cause => 2,
            };
            for (rate, q) in rates[kind].iter_mut().zip(variants(&e.text)) {
                rate.total += 1;
                let out = kb::lookup::lookup(&kb, &q, Some(&e.locale), 1).unwrap();
                let first = out.results.first();
                let hit = first
                    .is_some_and(|h| h.entry["id"] == e.id || h.entry["match_key"] == e.match_key.as_str());
                if hit {
                    rate.hits += 1;
                } else {
                    let got = first.map(|h| format!("{:?} {}", h.match_kind, h.entry["text"]));
                    rate.misses.push(format!("{q:?} → {got:?}"));
                }
            }
        }
    }
    for (kind, r) in ["error message", "symptom", "cause"].iter().zip(&rates) {
        let line: Vec<String> = VARIANTS
            .iter()
            .zip(r)
            .map(|(v, rate)| format!("{v} {}/{} ({:.1}%)", rate.hits, rate.total, rate.pct()))
            .collect();
        eprintln!("lookup quality, {kind} entries: {}", line.join(", "));
        for (variant, rate) in VARIANTS.iter().zip(r) {
            for m in rate.misses.iter().take(5) {
                eprintln!("  {kind}, {variant} miss: {m}");
            }
        }
    }
    let [errors, _, causes] = &rates;
    assert!(errors[0].total >= 15, "the dev corpus has error-message entries: {}", errors[0].total);
    for (i, floor) in [100.0, 100.0, 95.0, 90.0, 100.0, 100.0, 100.0].into_iter().enumerate() {
        let r = &errors[i];
        assert!(
            r.pct() >= floor,
            "error messages, {}: {:.1}% < {floor}%: {:?}",
            VARIANTS[i],
            r.pct(),
            r.misses
        );
    }
    for (i, floor) in [100.0, 95.0, 90.0, 85.0, 95.0, 100.0, 100.0].into_iter().enumerate() {
        let r = &causes[i];
        assert!(r.pct() >= floor, "causes, {}: {:.1}% < {floor}%: {:?}", VARIANTS[i], r.pct(), r.misses);
    }
}

#[test]
fn from_book_and_from_site_agree_on_a_fixture_with_a_site_url() {
    let kb_dir = common::fixture(&[
        (
            "book.toml",
            "[book]\nlanguage = \"en-US\"\nsrc = \"src\"\n[output.html]\nsite-url = \"https://kb.example/docs/\"\n",
        ),
        (
            "src/dir name/a.md",
            "# Errors\n\n## Messages\n\n| Error message | Cause | Resolution |\n|---|---|---|\n| Sign-in address not found. | Blocked | [Fix](#fix) |\n\n## Fix\n\n1. Open the proxy.\n2. Allow msoidsvc.exe.\n",
        ),
    ]);
    let book = common::book(kb_dir.path());
    let site = tempfile::tempdir().unwrap();
    let dest = site.path().join("out");
    let out = Command::new(env!("CARGO_BIN_EXE_kbc"))
        .args(["build", "-q", kb_dir.path().to_str().unwrap(), "--dest", dest.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let a = Kb::from_book(&book).unwrap();
    let b = Kb::from_site(&dest).unwrap();
    let q = |kb: &Kb| {
        serde_json::to_value(kb::lookup::lookup(kb, "sign in address not found", None, 5).unwrap()).unwrap()
    };
    assert_eq!(q(&a), q(&b));
    let hit = &q(&a)["results"][0];
    assert_eq!(hit["match"], "normalized");
    assert_eq!(hit["resource"], "kb://en-US/dir%20name/a.md");
    let url = hit["entry"]["causes"][0]["resolution"]["procedure"]["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("https://kb.example/docs/"), "{url}");
    // An absolute deep URL finds the article and section, in both.
    for kb in [&a, &b] {
        let out = kb.article(&url, kb::Format::Markdown, None).unwrap();
        assert_eq!(out.section.as_deref(), Some("fix"));
        assert!(out.markdown.unwrap().contains("2. Allow msoidsvc.exe."));
    }
    assert_eq!(a.article(&url, kb::Format::Markdown, None).unwrap().id, b.resources().next().unwrap().id);
}
