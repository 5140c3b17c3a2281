//! The chatbot and RAG output (`render::json`): every file validates against its published schema,
//! the seed's output is reviewed by hand (snapshots), a chatbot answers from the published files
//! alone, and chunks keep their promises over the whole dev corpus.

use crate::common;

use kbc::Book;
use kbc::model::{ArticleId, Block};
use kbc::render::json::{self, Tokens};
use kbc::render::markdown::{Links, Markdown, Slotted};
use kbc::render::urls;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A knowledge base and its JSON output in a temporary folder.
struct Published {
    root: PathBuf,
    book: Book,
    out: tempfile::TempDir,
}

impl Published {
    fn new(root: &Path) -> Published {
        let book = common::book(root);
        let out = tempfile::tempdir().expect("tempdir");
        json::write(&book, out.path()).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
        Published { root: root.to_path_buf(), book, out }
    }

    fn dir(&self) -> &Path {
        self.out.path()
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn json(&self, rel: &str) -> Value {
        serde_json::from_str(&self.read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn lines(&self, rel: &str) -> Vec<Value> {
        self.read(rel)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{rel}: {e}")))
            .collect()
    }

    fn name(&self) -> String {
        self.root.file_name().map_or_else(|| "seed".into(), |n| n.to_string_lossy().into_owned())
    }
}

fn seed() -> &'static Published {
    static SEED: OnceLock<Published> = OnceLock::new();
    SEED.get_or_init(|| Published::new(&common::repo_root()))
}

/// Every dev corpus root, published once for all the tests of this file.
fn corpus() -> &'static [Published] {
    static CORPUS: OnceLock<Vec<Published>> = OnceLock::new();
    CORPUS.get_or_init(|| common::corpus_roots().iter().map(|r| Published::new(r)).collect())
}

/// The build writes the manifest around its articles, streamed to a spool as they are rendered:
/// it must be byte for byte the manifest printed whole.
#[test]
fn the_streamed_manifest_is_the_manifest_printed_whole() {
    for p in std::iter::once(seed()).chain(corpus()) {
        let whole = json::pretty(&json::api(&p.book).expect("api").manifest).expect("print");
        assert!(p.read("api/v1/manifest.json") == whole, "{}: the streamed manifest differs", p.name());
    }
}

/// Every file under `dir` (relative, sorted) with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).expect("prefix").to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// Schemas

/// Validates every JSON and JSONL file of a build against the schemas the build published.
fn validate(p: &Published) -> usize {
    let schema = |name: &str| {
        let value = p.json(&format!("schemas/v1/{name}"));
        jsonschema::validator_for(&value).unwrap_or_else(|e| panic!("{name} is not a valid schema: {e}"))
    };
    let (manifest, article, entry, chunk) = (
        schema(json::MANIFEST_SCHEMA),
        schema(json::ARTICLE_SCHEMA),
        schema(json::ENTRY_SCHEMA),
        schema(json::CHUNK_SCHEMA),
    );
    let mut problems = Vec::new();
    let mut check = |v: &jsonschema::Validator, doc: &Value, what: String| {
        for e in v.iter_errors(doc).take(3) {
            problems.push(format!("{what}: {e} at {}", e.instance_path()));
        }
    };
    let mut checked = 0;
    let m = p.json("api/v1/manifest.json");
    check(&manifest, &m, "manifest.json".into());
    checked += 1;
    for file in tree(p.dir()).keys().filter(|f| f.starts_with("api/v1/articles/")) {
        check(&article, &p.json(file), file.clone());
        checked += 1;
    }
    for (i, e) in p.lines("api/v1/troubleshooting.jsonl").iter().enumerate() {
        check(&entry, e, format!("troubleshooting.jsonl:{}", i + 1));
        checked += 1;
    }
    for (i, c) in p.lines("api/v1/chunks.jsonl").iter().enumerate() {
        check(&chunk, c, format!("chunks.jsonl:{}", i + 1));
        checked += 1;
    }
    assert!(problems.is_empty(), "{}: {:#?}", p.name(), &problems[..problems.len().min(20)]);
    let articles = m["articles"].as_array().map_or(0, Vec::len);
    assert_eq!(articles, p.book.articles.len(), "{}: one manifest entry per article", p.name());
    checked
}

/// The JSON renderer writes each article's twin and sections from one render with a slot for each
/// internal link's URL: for every article of the seed and the dev corpus, and every way of
/// writing links, that is exactly what rendering with those links gives.
#[test]
fn slotted_renders_are_direct_renders() {
    let (mut articles, mut slots) = (0, 0);
    for p in std::iter::once(seed()).chain(corpus()) {
        let book = &p.book;
        for i in 0..book.articles.len() {
            let id = ArticleId(i as u32);
            let a = book.article(id).unwrap();
            let slotted = Slotted::new(book, id, &a);
            for links in [Links::Page, Links::Site, Links::RelativeTo("zh-cn/llms-full.txt".into())] {
                let md = Markdown::new(book, id, &a, links.clone());
                let (direct, filled) = (md.article(), slotted.article(&links));
                assert!(direct == filled, "{}: {links:?}\n{direct}\n---\n{filled}", a.rel_path);
                for s in 0..a.sections.len() {
                    let sid = kbc::model::SectionId(s as u32);
                    assert_eq!(md.section(sid), slotted.section(sid, &links), "{} {s}", a.rel_path);
                }
            }
            articles += 1;
            slots += a.links.len();
        }
    }
    assert!(articles > 400 && slots > 4_000, "{articles} articles, {slots} links");

    // URLs that Markdown must wrap in `<>` (parentheses in a file name), in a table cell, a file
    // name that is not NFC (its URL is normalized with the text around it), and an article whose
    // text holds the slot character.
    let kb = common::fixture(&[
        ("book.toml", "[book]\ntitle = \"Slots\"\nsrc = \"content\"\n"),
        ("content/a (1).md", "# One\n\n## Fix it\n\nText.\n"),
        ("content/cafe\u{301}.md", "# Cafe\n\nText.\n"),
        // Holds the character slots are written with: rendered without slots.
        ("content/odd.md", "# Odd\n\nA \u{fdd0} and [one](<a (1).md>).\n"),
        (
            "content/b.md",
            "# Two\n\nSee [one](<a (1).md#fix-it>) and [cafe](cafe\u{301}.md).\n\n| Cause | Fix |\n|---|---|\n| [one](<a (1).md>) | ![x](<a (1).md>) |\n",
        ),
    ]);
    let book = common::book(kb.path());
    for i in 0..book.articles.len() {
        let id = ArticleId(i as u32);
        let a = book.article(id).unwrap();
        let slotted = Slotted::new(&book, id, &a);
        for links in [Links::Page, Links::Site, Links::RelativeTo("x/llms-full.txt".into())] {
            let md = Markdown::new(&book, id, &a, links.clone());
            assert_eq!(md.article(), slotted.article(&links), "{}", a.rel_path);
            for s in 0..a.sections.len() {
                let sid = kbc::model::SectionId(s as u32);
                assert_eq!(md.section(sid), slotted.section(sid, &links), "{} {s}", a.rel_path);
            }
        }
    }
    let b = book.articles.iter().position(|a| a.rel_path == "b.md").unwrap();
    let twin = Markdown::new(&book, ArticleId(b as u32), &book.articles[b], Links::Page).article();
    assert!(twin.contains("(<a%20(1).html#fix-it>)") && twin.contains("caf\u{e9}.html"), "{twin}");
}

/// The `llms` files of a book in two locales: the root's hold every article, each locale's its
/// own, in the root's order, with links relative to the file (the texts of all sets are rendered
/// together, each article once).
#[test]
fn llms_files_of_two_locales() {
    let kb = common::fixture(&[
        ("book.toml", "[book]\ntitle = \"Two locales\"\nsrc = \"content\"\n"),
        (
            "content/en-us/sign-in.md",
            "# Sign-in errors\n\nSee [the Chinese page](../zh-cn/deng-lu.md#chong-qi) and [DNS](dns.md).\n",
        ),
        ("content/en-us/dns.md", "# DNS\n\nUpdate the record.\n"),
        (
            "content/zh-cn/deng-lu.md",
            "# 登录错误\n\n## 重启 {#chong-qi}\n\n请重启客户端，参见 [DNS](../en-us/dns.md)。\n",
        ),
        ("content/zh-cn/wang-luo.md", "# 网络\n\n检查 [登录](deng-lu.md)。\n"),
    ]);
    let book = common::book(kb.path());
    let out = tempfile::tempdir().unwrap();
    json::write(&book, out.path()).unwrap();
    for file in ["llms-full.txt", "en-us/llms-full.txt", "zh-cn/llms-full.txt"] {
        let text = std::fs::read_to_string(out.path().join(file)).unwrap();
        insta::assert_snapshot!(format!("llms_two_locales_{}", file.replace('/', "_")), text);
    }
}

#[test]
fn seed_files_validate_against_their_schemas() {
    assert!(validate(seed()) > 10);
}

#[test]
fn corpus_files_validate_against_their_schemas() {
    for p in corpus() {
        let n = validate(p);
        assert!(n > p.book.articles.len(), "{}: {n} documents", p.name());
    }
}

#[test]
fn published_schemas_are_the_generated_ones_and_carry_the_major_version() {
    for (name, schema) in json::schemas() {
        assert_eq!(seed().json(&format!("schemas/v1/{name}")), schema, "{name}");
        assert_eq!(schema["$id"], format!("https://kbc.dev/schemas/v1/{name}"));
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
        // Consumers must be able to ignore fields added by a minor version.
        assert!(!json::pretty(&schema).unwrap().contains("\"additionalProperties\": false"), "{name}");
    }
    insta::assert_snapshot!("schemas", json::pretty(&json::schemas_by_name()).unwrap());
}

// ---------------------------------------------------------------------------------------------
// The seed, reviewed by hand

#[test]
fn seed_markdown_twin() {
    let p = seed();
    insta::assert_snapshot!("seed_twin", p.read("troubleshooting-sign-in-errors-for-admins.md"));
}

#[test]
fn seed_article_json() {
    let p = seed();
    let mut article = p.json("api/v1/articles/zh-CN/cdd4801a-2fe1-4aab-bbb6-db5f95f972d1.json");
    // The entries have a snapshot of their own.
    let ids: Vec<Value> = article["troubleshooting"]
        .as_array()
        .map(|es| es.iter().map(|e| e["id"].clone()).collect())
        .unwrap_or_default();
    article["troubleshooting"] = Value::Array(ids);
    insta::assert_yaml_snapshot!("seed_article", article);
}

#[test]
fn seed_troubleshooting_entries() {
    insta::assert_yaml_snapshot!("seed_entries", seed().lines("api/v1/troubleshooting.jsonl"));
}

/// Chunks as a reviewer reads them: the fields, then the text to embed.
#[test]
fn seed_chunks() {
    let mut out = String::new();
    for c in seed().lines("api/v1/chunks.jsonl") {
        let mut fields = c.clone();
        let text = fields.as_object_mut().and_then(|o| o.remove("text")).unwrap_or_default();
        let context = fields.as_object_mut().and_then(|o| o.remove("context")).unwrap_or_default();
        out.push_str(&format!(
            "=== {fields}\n{}\n\n{}\n\n",
            context.as_str().unwrap_or(""),
            text.as_str().unwrap_or("")
        ));
    }
    insta::assert_snapshot!("seed_chunks", out);
}

#[test]
fn seed_manifest_and_llms_txt() {
    let p = seed();
    insta::assert_snapshot!("seed_manifest", p.read("api/v1/manifest.json"));
    let manifest = p.json("api/v1/manifest.json");
    let twin = p.read("troubleshooting-sign-in-errors-for-admins.md");
    assert_eq!(
        manifest["articles"][0]["content_sha256"],
        json::sha256_hex(&twin),
        "the hash is the twin file's"
    );
    insta::assert_snapshot!("seed_llms_txt", p.read("llms.txt"));
    insta::assert_snapshot!("seed_llms_txt_zh_cn", p.read("zh-cn/llms.txt"));
    let full = p.read("llms-full.txt");
    assert!(
        full.starts_with("# Skype for Business Online 疑难解答知识库\n\n> 管理员登录错误的疑难解答文章\n")
    );
    assert!(full.contains("<!-- source: troubleshooting-sign-in-errors-for-admins.html -->"));
    assert!(full.contains(&p.read("troubleshooting-sign-in-errors-for-admins.md")));
    // One folder down, links climb back to the pages.
    let zh = p.read("zh-cn/llms-full.txt");
    assert!(zh.contains("](../troubleshooting-sign-in-errors-for-admins.html#__add_a_firewall)"), "{zh}");
}

#[test]
fn seed_entries_are_what_the_issue_promises() {
    let p = seed();
    let entries = p.lines("api/v1/troubleshooting.jsonl");
    let kinds: Vec<&str> = entries.iter().map(|e| e["kind"].as_str().unwrap_or("")).collect();
    // 8 common causes; 6 error rows, the two 服务器暂时不可用 rows forming one entry with two causes.
    assert_eq!(kinds.iter().filter(|k| **k == "cause").count(), 8);
    assert_eq!(kinds.iter().filter(|k| **k == "error_message").count(), 5);
    let unavailable = entries.iter().find(|e| e["text"] == "服务器暂时不可用").expect("服务器暂时不可用");
    assert_eq!(unavailable["causes"].as_array().map(Vec::len), Some(2));
    let ids: HashSet<&str> = entries.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(ids.len(), entries.len(), "entry ids are unique");
    for e in &entries {
        let id = e["id"].as_str().unwrap_or("");
        assert!(id.starts_with("zh-CN/cdd4801a-2fe1-4aab-bbb6-db5f95f972d1#__toc32"), "{id}");
    }

    let firewall = entries.iter().find(|e| e["text"] == "找不到登录地址").expect("找不到登录地址");
    let cause = &firewall["causes"][0];
    assert!(cause["text"].as_str().is_some_and(|t| t.contains("msoidsvc.exe")), "{cause}");
    let procedure = &cause["resolution"]["procedure"];
    assert_eq!(procedure["section_id"], "__add_a_firewall");
    let steps = procedure["procedures"][0]["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 4);
    assert!(steps[0]["markdown"].as_str().is_some_and(|s| s.contains("Forefront")));
    let last = steps[3]["markdown"].as_str().unwrap_or("");
    assert!(last.contains("| **msoidsvc** | Disable | 0 |"), "{last}");
    assert!(last.contains("| **msoidsvc** | DisableEx | 0 |"), "{last}");
    // The Plan E notice applies to every entry of that table.
    let alerts = firewall["alerts"].as_array().expect("alerts");
    assert!(alerts.iter().any(|a| a["kind"] == "important" && a["section_id"] == "__toc325626440"));
}

// ---------------------------------------------------------------------------------------------
// A chatbot, using only the published files

/// Percent-decoding of the URLs kbc writes.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Answers a user's message from `troubleshooting.jsonl` the way an integrator would: normalise
/// the text to a match key, look it up, print causes, steps and the deep link.
fn chatbot(dir: &Path, user_text: &str) -> Option<String> {
    let read = |rel: &str| std::fs::read_to_string(dir.join(decode(rel))).ok();
    let manifest: Value = serde_json::from_str(&read("api/v1/manifest.json")?).ok()?;
    // Published URLs are absolute under the site URL when there is one: here the site is `dir`.
    let url = manifest["files"]["troubleshooting"].as_str()?;
    let local = match manifest["site_url"].as_str() {
        Some(site) => url.strip_prefix(site)?.trim_start_matches('/'),
        None => url,
    };
    let entries = read(local)?;
    let key = json::match_key(user_text);
    let entry: Value = entries
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["match_key"] == key)?;
    let mut answer = format!("「{}」 ({})\n", entry["text"].as_str()?, entry["article_title"].as_str()?);
    for alert in entry["alerts"].as_array()? {
        answer.push_str(&format!("[{}] {}\n", alert["kind"].as_str()?, alert["text"].as_str()?));
    }
    for (i, cause) in entry["causes"].as_array()?.iter().enumerate() {
        answer.push_str(&format!("\nCause {}: {}\n", i + 1, cause["text"].as_str().unwrap_or("-")));
        let resolution = &cause["resolution"];
        answer.push_str(&format!("Fix: {}\n", resolution["text"].as_str().unwrap_or("-")));
        if let Some(procedure) = resolution["procedure"].as_object() {
            for p in procedure["procedures"].as_array()? {
                if let Some(intro) = p["intro"].as_str() {
                    answer.push_str(&format!("{intro}\n"));
                }
                for step in p["steps"].as_array()? {
                    let lines: Vec<String> = step["markdown"]
                        .as_str()?
                        .lines()
                        .map(|l| if l.is_empty() { String::new() } else { format!("   {l}") })
                        .collect();
                    let text = lines.join("\n");
                    let text = text.trim_start();
                    answer.push_str(&format!("{}. {text}\n", step["number"]));
                }
            }
            answer.push_str(&format!("More: {}\n", procedure["url"].as_str()?));
        }
    }
    Some(answer)
}

#[test]
fn a_chatbot_answers_from_the_published_files() {
    let p = seed();
    let answer = chatbot(p.dir(), "找不到登录地址").expect("the entry is found by its match key");
    // Full-width and trailing punctuation, spaces: the same key.
    assert_eq!(chatbot(p.dir(), " 找不到登录地址。").as_deref(), Some(answer.as_str()));
    assert!(chatbot(p.dir(), "找不到").is_none(), "exact lookup, not a substring search");
    assert!(answer.contains("Microsoft Online Services 登录助手 (msoidsvc.exe)"), "{answer}");
    assert!(answer.contains("4. 在\" **应用程序项目设置**\"对话框中"), "{answer}");
    assert!(answer.contains("| **msoidsvc** | DisableEx | 0 |"), "{answer}");
    assert!(
        answer.contains("More: troubleshooting-sign-in-errors-for-admins.html#__add_a_firewall"),
        "{answer}"
    );

    // The deep link's page and anchor are published.
    let manifest = p.json("api/v1/manifest.json");
    let article = &manifest["articles"][0];
    assert_eq!(article["urls"]["html"], "troubleshooting-sign-in-errors-for-admins.html");
    let doc = p.json(&decode(article["urls"]["json"].as_str().unwrap_or("")));
    let anchors: Vec<&Value> = doc["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["anchors"].as_array())
        .flatten()
        .collect();
    assert!(anchors.iter().any(|a| *a == "__add_a_firewall"));
    insta::assert_snapshot!("chatbot_answer", answer);
}

// ---------------------------------------------------------------------------------------------
// Chunks over the dev corpus

fn check_chunks(p: &Published) -> (usize, Vec<u32>) {
    let config = &p.book.config.output.json;
    let bounds = json::Bounds::new(config);
    let tokens = Tokens::default();
    let chunks = p.lines("api/v1/chunks.jsonl");
    let name = p.name();

    // Pages and anchors as the model makes them (the HTML renderer publishes these).
    let mut pages: HashMap<String, usize> = HashMap::new();
    for (i, a) in p.book.articles.iter().enumerate() {
        pages.insert(urls::page_path(a, "html"), i);
    }
    let mut texts_by_article: HashMap<&str, String> = HashMap::new();
    let mut ids = HashSet::new();
    let mut sizes = Vec::new();
    for (n, c) in chunks.iter().enumerate() {
        let at = format!("{name}: chunks.jsonl:{}", n + 1);
        let id = c["id"].as_str().expect("id");
        assert!(ids.insert(id.to_string()), "{at}: repeated id {id}");
        let (context, text) = (c["context"].as_str().unwrap_or(""), c["text"].as_str().unwrap_or(""));
        let embed = format!("{context}\n\n{text}");
        let count = tokens.count(&embed);
        assert_eq!(c["tokens"], count, "{at}: recorded token count");
        assert!(count <= bounds.cap, "{at}: {count} tokens, over the cap of {}", bounds.cap);
        assert_eq!(c["content_sha256"], json::sha256_hex(&embed), "{at}");
        assert_eq!(c["tokenizer"], "o200k_base");
        sizes.push(count as u32);

        // The deep link names a published page and one of its anchors.
        let url = decode(c["url"].as_str().expect("url"));
        let (page, fragment) = url.split_once('#').map_or((url.as_str(), None), |(p, f)| (p, Some(f)));
        let Some(&article) = pages.get(page) else { panic!("{at}: no page `{page}`") };
        if let Some(f) = fragment {
            let a = &p.book.articles[article];
            assert!(a.anchors.iter().any(|x| x.id == f), "{at}: `{page}` has no anchor `#{f}`");
        }
        texts_by_article
            .entry(c["article_id"].as_str().unwrap_or(""))
            .or_default()
            .push_str(&format!("{text}\n\n"));

        // Neighbours point at each other.
        if let Some(next) = c["next"].as_str() {
            let following = chunks.get(n + 1).expect("a next chunk follows");
            assert_eq!(following["id"], next, "{at}");
            assert_eq!(following["prev"], id, "{at}");
        }
    }

    // No table row and no numbered step is split: each appears whole in its article's chunks,
    // unless it alone is larger than a chunk may be.
    let ids = json::article_ids_of(&p.book);
    let mut whole = 0;
    for (i, article_id) in ids.iter().enumerate() {
        let a = p.book.article(ArticleId(i as u32)).unwrap();
        let md = Markdown::new(&p.book, ArticleId(i as u32), &a, Links::Site);
        let all = texts_by_article.get(article_id.as_str()).map_or("", String::as_str);
        let mut pieces = Vec::new();
        collect_atoms(&md, &a.preamble, &mut pieces);
        for s in &a.sections {
            collect_atoms(&md, &s.blocks, &mut pieces);
        }
        for piece in pieces {
            if tokens.count(&piece) + 100 > bounds.cap {
                continue;
            }
            assert!(all.contains(&piece), "{name}: {}: split across chunks:\n{piece}", a.rel_path);
            whole += 1;
        }
    }
    (whole, sizes)
}

/// Table rows and numbered steps of a block list, rendered as the chunks hold them.
fn collect_atoms(md: &Markdown<'_>, blocks: &[Block], out: &mut Vec<String>) {
    for b in blocks {
        match b {
            Block::Table(t) => out.extend(t.rows.iter().map(|r| md.table_row(t, r))),
            Block::List(l) if l.start.is_some() => out.extend((0..l.items.len()).map(|i| md.list_item(l, i))),
            Block::Container { blocks, .. } | Block::Div { blocks, .. } => collect_atoms(md, blocks, out),
            _ => {}
        }
    }
}

#[test]
fn corpus_chunks_keep_their_promises() {
    let mut report = Vec::new();
    for p in corpus() {
        let (whole, mut sizes) = check_chunks(p);
        sizes.sort_unstable();
        let bounds = json::Bounds::new(&p.book.config.output.json);
        let inside = sizes.iter().filter(|&&s| s as usize >= bounds.low && s as usize <= bounds.high).count();
        report.push(format!(
            "{}: {} chunks, tokens min {} median {} max {}, {inside} within {}..{}, {whole} rows and steps whole",
            p.name(),
            sizes.len(),
            sizes.first().unwrap_or(&0),
            sizes.get(sizes.len() / 2).unwrap_or(&0),
            sizes.last().unwrap_or(&0),
            bounds.low,
            bounds.high
        ));
        // Most chunks are within the target range; the rest are short articles and last sections.
        assert!(inside * 10 >= sizes.len() * 7, "{}", report.join("\n"));
    }
    eprintln!("{}", report.join("\n"));
}

#[test]
fn seed_chunks_keep_their_promises() {
    let (whole, sizes) = check_chunks(seed());
    assert!(whole >= 30, "{whole}");
    assert!(sizes.iter().all(|&s| s <= 800));
}

// ---------------------------------------------------------------------------------------------
// The Markdown twin reads back as the same article

/// What must survive a round trip through the Markdown twin.
/// White space runs count as one space: Markdown does not keep more at line starts and ends.
fn outline(book: &Book, i: usize) -> Vec<String> {
    raw_outline(book, i).iter().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect()
}

fn raw_outline(book: &Book, i: usize) -> Vec<String> {
    let a = &book.articles[i];
    let mut out = Vec::new();
    for s in a.sections.iter().filter(|s| !s.title.trim().is_empty()) {
        out.push(format!("{} {}", "#".repeat(s.level as usize), s.title.trim()));
    }
    for e in &a.troubleshooting {
        out.push(format!("{:?} {:?} | {:?} | {:?}", e.kind, e.message_text, e.cause_text, e.resolution_text));
    }
    for p in &a.procedures {
        out.push(format!("procedure {:?}", p.intro));
        out.extend(p.steps.iter().map(|s| format!("  {} ({} attached)", s.text, s.attached.len())));
    }
    for x in &a.alerts {
        out.push(format!("{} {}", x.kind.name(), x.text));
    }
    blocks_outline(&a.preamble, &mut out);
    for s in &a.sections {
        blocks_outline(&s.blocks, &mut out);
    }
    out
}

/// Every paragraph, cell, list and code block, as plain text.
fn blocks_outline(blocks: &[Block], out: &mut Vec<String>) {
    use kbc::parse::plain_text;
    for b in blocks {
        match b {
            Block::Paragraph { inlines, .. } => out.push(plain_text(inlines)),
            Block::Table(t) => {
                for row in std::iter::once(&t.header).chain(&t.rows) {
                    let cells: Vec<String> = row.cells.iter().map(|c| plain_text(&c.inlines)).collect();
                    out.push(format!("| {}", cells.join(" | ")));
                }
            }
            Block::List(l) => {
                out.push(format!("list {:?} of {}", l.start, l.items.len()));
                for item in &l.items {
                    blocks_outline(&item.blocks, out);
                }
            }
            // A fenced block always ends with a newline, whatever the source block did.
            Block::Code { lang, code, .. } => {
                out.push(format!("code {lang:?} {:?}", code.trim_end_matches('\n')))
            }
            Block::Alert { blocks, .. }
            | Block::BlockQuote { blocks, .. }
            | Block::Container { blocks, .. }
            | Block::Div { blocks, .. }
            | Block::FootnoteDefinition { blocks, .. } => blocks_outline(blocks, out),
            // The twin shows a DocFX image as a Markdown image, a paragraph of its own.
            Block::DocfxImage { alt, .. } => out.push(alt.clone()),
            // The twin shows a video as a link named "Video".
            Block::Video { .. } => out.push("Video".into()),
            _ => {}
        }
    }
}

fn round_trip(p: &Published) -> usize {
    let files: Vec<(String, String)> = p
        .book
        .articles
        .iter()
        .map(|a| (urls::page_path(a, "md"), p.read(&urls::page_path(a, "md"))))
        .collect();
    let refs: Vec<(&str, &str)> = files.iter().map(|(f, t)| (f.as_str(), t.as_str())).collect();
    let dir = common::fixture(&refs);
    let again = common::book(dir.path());
    let by_path: HashMap<&str, usize> =
        again.articles.iter().enumerate().map(|(i, a)| (a.rel_path.as_str(), i)).collect();
    let mut compared = 0;
    for (i, a) in p.book.articles.iter().enumerate() {
        let twin = by_path[urls::page_path(a, "md").as_str()];
        let (before, mut after) = (outline(&p.book, i), outline(&again, twin));
        // The twin starts with the title as an H1 when the article has none.
        if a.sections.first().is_none_or(|s| s.level != 1)
            && after.first() == Some(&format!("# {}", a.title.trim()))
        {
            after.remove(0);
        }
        assert!(before == after, "{}: {}\n{}", p.name(), a.rel_path, diff(&before, &after));
        compared += 1;
    }
    compared
}

fn diff(a: &[String], b: &[String]) -> String {
    let mut out = String::new();
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i), b.get(i));
        if x != y {
            out.push_str(&format!("- {x:?}\n+ {y:?}\n"));
        }
    }
    out
}

#[test]
fn the_seed_twin_reads_back_as_the_same_article() {
    assert_eq!(round_trip(seed()), 1);
}

#[test]
fn corpus_twins_read_back_as_the_same_articles() {
    let n: usize = corpus().iter().map(round_trip).sum();
    assert!(n > 400, "{n}");
}

// ---------------------------------------------------------------------------------------------
// Determinism

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let root = common::repo_root();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool")
        .install(|| Published::new(&root));
    assert!(tree(one.dir()) == tree(seed().dir()), "seed: 1 thread and many differ");
    let p = corpus().iter().find(|p| p.name() == "en-US_skype_2017-12").expect("root");
    let again = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool")
        .install(|| Published::new(&p.root));
    assert!(tree(again.dir()) == tree(p.dir()), "{}: 1 thread and many differ", p.name());
}

// ---------------------------------------------------------------------------------------------
// A small multilingual site with a navigation file and a site URL

const SIGN_IN_EN: &str = "---
title: Sign-in errors
description: What to do when sign-in fails.
ms.assetid: 11111111-2222-3333-4444-555555555555
ms.date: 01/02/2024
ms.topic: troubleshooting
---

# Sign-in errors

> [!NOTE]
> Applies to the desktop client.

## Error messages

|Error message|Cause|Resolution|
|---|---|---|
|Cannot find the sign-in address.|The proxy blocks the sign-in service.|[Configure the proxy](proxy.md#configure-the-proxy)|
";

const PROXY_EN: &str = "---
title: Proxy settings
ms.assetid: 66666666-7777-8888-9999-000000000000
---

# Proxy settings

## Configure the proxy

> [!IMPORTANT]
> You need administrator rights.

To let the client through, do this:

1. Open the proxy console.
2. Add `signin.exe` to the allowed applications.
3. Restart the proxy.
";

const SIGN_IN_ZH: &str = "---
title: 登录错误
ms.assetid: 11111111-2222-3333-4444-555555555555
---

# 登录错误

## 错误消息

|错误消息|原因|解决方法|
|---|---|---|
|找不到登录地址。|代理阻止了登录服务。|配置代理。|
";

fn multilingual(max_bytes: u64) -> tempfile::TempDir {
    let toml = format!(
        "[book]\ntitle = \"Contoso KB\"\ndescription = \"Fixes for Contoso\"\n\n[output.html]\nsite-url = \"https://kb.contoso.com/docs/\"\n\n[output.json]\nllms-full-max-bytes = {max_bytes}\n"
    );
    let dup = "---\nms.assetid: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n---\n\n# Duplicate\n\nSame asset id as another article.\n";
    common::fixture(&[
        ("book.toml", &toml),
        (
            "content/TOC.md",
            "# Contoso\n## Sign-in\n### [Sign-in errors](en-us/sign-in.md)\n### [登录错误](zh-cn/sign-in.md)\n## Network\n### [Proxy settings](en-us/proxy.md)\n",
        ),
        ("content/en-us/sign-in.md", SIGN_IN_EN),
        ("content/en-us/proxy.md", PROXY_EN),
        ("content/en-us/dup-1.md", dup),
        ("content/en-us/dup-2.md", dup),
        ("content/zh-cn/sign-in.md", SIGN_IN_ZH),
    ])
}

#[test]
fn a_multilingual_site_with_a_site_url() {
    let dir = multilingual(1_000_000);
    let p = Published::new(dir.path());
    validate(&p);
    let m = p.json("api/v1/manifest.json");
    assert_eq!(m["locales"], serde_json::json!(["en-US", "zh-CN"]));
    assert_eq!(m["site_url"], "https://kb.contoso.com/docs");
    let ids: Vec<&str> =
        m["articles"].as_array().expect("articles").iter().filter_map(|a| a["id"].as_str()).collect();
    assert_eq!(
        ids,
        [
            "en-US/en-us/dup-1",
            "en-US/en-us/dup-2",
            "en-US/66666666-7777-8888-9999-000000000000",
            "en-US/11111111-2222-3333-4444-555555555555",
            "zh-CN/11111111-2222-3333-4444-555555555555"
        ],
        "a shared asset id within one locale falls back to paths"
    );
    let en = p.json("api/v1/articles/en-US/11111111-2222-3333-4444-555555555555.json");
    assert_eq!(en["urls"]["html"], "https://kb.contoso.com/docs/en-us/sign-in.html");
    assert_eq!(
        en["translations"],
        serde_json::json!([{
            "id": "zh-CN/11111111-2222-3333-4444-555555555555",
            "locale": "zh-CN",
            "title": "登录错误",
            "html": "https://kb.contoso.com/docs/zh-cn/sign-in.html"
        }])
    );
    let crumbs: Vec<&str> =
        en["breadcrumbs"].as_array().expect("crumbs").iter().filter_map(|b| b["title"].as_str()).collect();
    assert_eq!(crumbs, ["Contoso", "Sign-in"]);
    assert_eq!(en["date"], "2024-01-02");

    // The entry reaches into the other article for its steps; its alerts come from both.
    let entries = p.lines("api/v1/troubleshooting.jsonl");
    let entry = entries.iter().find(|e| e["match_key"] == "cannot find the sign-in address").expect("entry");
    let procedure = &entry["causes"][0]["resolution"]["procedure"];
    assert_eq!(procedure["article_id"], "en-US/66666666-7777-8888-9999-000000000000");
    assert_eq!(procedure["url"], "https://kb.contoso.com/docs/en-us/proxy.html#configure-the-proxy");
    assert_eq!(
        procedure["procedures"][0]["steps"][1]["markdown"],
        "Add `signin.exe` to the allowed applications."
    );
    let alerts: Vec<&str> =
        entry["alerts"].as_array().expect("alerts").iter().filter_map(|a| a["kind"].as_str()).collect();
    assert_eq!(alerts, ["note", "important"]);
    assert_eq!(chatbot(p.dir(), "找不到登录地址").map(|a| a.contains("代理阻止了登录服务")), Some(true));

    for c in p.lines("api/v1/chunks.jsonl") {
        assert!(c["url"].as_str().is_some_and(|u| u.starts_with("https://kb.contoso.com/docs/")), "{c}");
    }
    // The twin links relatively to the HTML pages; JSON Markdown links absolutely.
    assert!(p.read("en-us/sign-in.md").contains("[Configure the proxy](proxy.html#configure-the-proxy)"));
    let markdown = entry["causes"][0]["resolution"]["markdown"].as_str().unwrap_or("");
    assert_eq!(
        markdown,
        "[Configure the proxy](https://kb.contoso.com/docs/en-us/proxy.html#configure-the-proxy)"
    );

    // llms.txt: groups from the navigation, per locale, absolute links to the twins.
    let llms = p.read("llms.txt");
    assert!(llms.starts_with("# Contoso KB\n\n> Fixes for Contoso\n"), "{llms}");
    assert!(llms.contains("## Sign-in (en-US)\n\n- [Sign-in errors](https://kb.contoso.com/docs/en-us/sign-in.md): What to do when sign-in fails.\n"), "{llms}");
    assert!(
        llms.contains("## Sign-in (zh-CN)\n\n- [登录错误](https://kb.contoso.com/docs/zh-cn/sign-in.md)"),
        "{llms}"
    );
    assert!(llms.contains("## Other articles (en-US)\n"), "{llms}");
    assert!(llms.contains("- [zh-CN](https://kb.contoso.com/docs/zh-cn/llms.txt)"), "{llms}");
    let zh = p.read("zh-cn/llms.txt");
    assert!(zh.starts_with("# Contoso KB (zh-CN)\n") && !zh.contains("Proxy"), "{zh}");
    assert!(p.read("en-us/llms-full.txt").contains("Add `signin.exe` to the allowed applications."));
}

#[test]
fn a_large_llms_full_is_split_along_the_navigation() {
    let dir = multilingual(900);
    let p = Published::new(dir.path());
    let index = p.read("en-us/llms-full.txt");
    assert!(index.contains("The full text is split in"), "{index}");
    let parts: Vec<String> =
        tree(p.dir()).keys().filter(|f| f.starts_with("en-us/llms-full-")).cloned().collect();
    assert!(parts.len() >= 2, "{parts:?}");
    let mut all = String::new();
    for part in &parts {
        let text = p.read(part);
        assert!(index.contains(part.trim_start_matches("en-us/")), "{part} is listed");
        all.push_str(&text);
    }
    for title in ["# Sign-in errors", "# Proxy settings", "# Duplicate"] {
        assert!(all.contains(title), "{title} is in a part");
    }
    assert!(
        p.read("en-us/llms.txt")
            .contains("[Full text, part 1](https://kb.contoso.com/docs/en-us/llms-full-1.txt)")
    );
}

#[test]
fn an_empty_knowledge_base_still_has_a_valid_api() {
    let dir = common::fixture(&[("book.toml", "[book]\ntitle = \"Empty\"\n"), ("content/.keep", "")]);
    let p = Published::new(dir.path());
    validate(&p);
    assert_eq!(p.read("api/v1/chunks.jsonl"), "");
    assert_eq!(p.read("api/v1/troubleshooting.jsonl"), "");
    assert!(p.read("llms.txt").starts_with("# Empty\n"));
}

#[test]
fn kbc_schema_prints_the_schemas() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kbc")).args(args).output().expect("kbc runs")
    };
    let all: Value = serde_json::from_slice(&run(&["schema"]).stdout).expect("JSON");
    assert_eq!(all.as_object().map(|o| o.len()), Some(4));
    let one: Value = serde_json::from_slice(&run(&["schema", "chunk"]).stdout).expect("JSON");
    assert_eq!(one["$id"], "https://kbc.dev/schemas/v1/chunk.schema.json");
    let bad = run(&["schema", "nope"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no schema named `nope`"));
}

#[test]
fn oversized_and_odd_content_stays_within_the_cap() {
    let long_sentence = "word ".repeat(1500);
    let long_cjk = "很长的没有标点的文字".repeat(400);
    let code: String = (0..400).map(|i| format!("Write-Output \"line {i} of a long script\"\n")).collect();
    let big_cell = (0..200).map(|i| format!("value {i} of the cell")).collect::<Vec<_>>().join(" <br/> ");
    let article = format!(
        "# Odd content\n\n{long_sentence}\n\n{long_cjk}\n\n```powershell\n{code}```\n\n## \n\n|Key|Value|\n|---|---|\n|big|{big_cell}|\n|small|one|\n\n|Only|\n|---|\n|{big_cell}|\n\n## Steps\n\n1. {long_sentence}\n2. Short step.\n\n|a|b|\n|-|-|\n|1|2|3|\n\nText with a control \u{97} character and *emphasis*__strong__.\n"
    );
    let dir = common::fixture(&[("content/odd.md", &article)]);
    let p = Published::new(dir.path());
    validate(&p);
    let (_, sizes) = check_chunks(&p);
    assert!(sizes.len() > 20, "{}", sizes.len());
    // Every word of the long paragraph made it into some chunk, once.
    let words: usize = p
        .lines("api/v1/chunks.jsonl")
        .iter()
        .map(|c| c["text"].as_str().unwrap_or("").matches("word").count())
        .sum();
    assert_eq!(words, 3000);
}

// ---------------------------------------------------------------------------------------------
// A book larger than one batch of the streamed JSONL files

#[test]
fn jsonl_files_follow_the_manifest_across_batches() {
    // More articles than the renderer streams at a time (256), so the JSONL files are written
    // in several batches; each line must still come in manifest order, and a one-thread build
    // must write the same bytes.
    let files: Vec<(String, String)> = (0..700)
        .map(|i| {
            let text = format!(
                "# Article {i}\n\n## Errors\n\n|Error message|Cause|Resolution|\n|---|---|---|\n|Error {i} occurred.|Cause {i}.|Fix {i}.|\n"
            );
            (format!("content/a{i:03}.md"), text)
        })
        .collect();
    let mut all: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    all.push(("book.toml", "[book]\ntitle = \"Many\"\nsrc = \"content\"\n"));
    let kb = common::fixture(&all);
    let p = Published::new(kb.path());

    let order: Vec<String> = p.json("api/v1/manifest.json")["articles"]
        .as_array()
        .expect("articles")
        .iter()
        .map(|a| a["id"].to_string())
        .collect();
    assert_eq!(order.len(), 700);
    for file in ["api/v1/troubleshooting.jsonl", "api/v1/chunks.jsonl"] {
        let mut seen: Vec<String> = p.lines(file).iter().map(|l| l["article_id"].to_string()).collect();
        seen.dedup();
        assert_eq!(seen, order, "{file}: one run of lines per article, in manifest order");
    }

    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool")
        .install(|| Published::new(kb.path()));
    assert!(tree(one.dir()) == tree(p.dir()), "1 thread and many differ");
}

/// A known-issues table (`Issue title | Behavior / Symptom | Known workaround`) from a real Teams
/// article (`tests/fixtures/real`) gives one entry per issue, resolved by its workaround.
#[test]
fn real_known_issues_table_gives_entries() {
    let p = Published::new(&common::repo_root().join("tests/fixtures/real"));
    assert!(validate(&p) > 0, "the fixture's files follow their schemas");
    let entries: Vec<String> = p
        .lines("api/v1/troubleshooting.jsonl")
        .iter()
        .map(|e| {
            let cause = &e["causes"][0];
            let fix = cause["resolution"]["text"].as_str().unwrap_or("-");
            let field = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            let fix: String = fix.chars().take(60).collect();
            format!("{} {}: {} → {fix}", field("article_id"), field("kind"), field("text"))
        })
        .collect();
    insta::assert_yaml_snapshot!(entries);
}

/// DocFX tab labels (`# [Bicep](#tab/bicep)` ... `---`) from a real Azure article
/// (`tests/fixtures/real`) name tabs inside the section they are in: the article's sections, as a
/// chatbot sees them, are its real headings, and what follows a tab group is back in its section.
#[test]
fn real_tab_groups_stay_in_their_section() {
    let p = Published::new(&common::repo_root().join("tests/fixtures/real"));
    let article = p.json("api/v1/articles/en-US/azure-resource-manager/troubleshooting/error-not-found.json");
    let paths: Vec<String> = article["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s["heading_path"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap())
                .collect::<Vec<_>>()
                .join(" > ")
        })
        .collect();
    insta::assert_yaml_snapshot!(paths);
}
