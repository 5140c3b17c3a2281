//! Tools for `benches/run.sh`, the whole-build benchmark: a generator of N-article knowledge bases made
//! from the dev corpus, and the floor (pulldown-cmark rendering the same files to HTML, nothing else).
//!
//! ```text
//! cargo bench --bench kb -- gen N OUT      # OUT/book.toml, OUT/content/, OUT/nosearch/, OUT/mdbook/
//! cargo bench --bench kb -- floor SRC OUT [--parallel]
//! cargo bench --bench kb -- parse floor|model   # one pass over the dev corpus, for callgrind
//! ```
//!
//! `parse` runs what `benches/parse.rs` times, once and on one thread, so that an instruction count
//! (`valgrind --tool=callgrind --toggle-collect='kb::parse_*'`) compares the model build with bare
//! pulldown-cmark event iteration without the noise of a busy machine.
//!
//! The generator copies `../shared/corpus/dev` (every root) into `content/r0000/`, `content/r0001/`, ...
//! until N articles are written. In every replica each Markdown file gets the suffix `-rNNNN`
//! (`TOC.md`, `index.md`, `README.md` and files named by a GUID keep their names, so navigation still
//! works), relative `.md` links are rewritten to the renamed files, and every `ms.assetid` of the corpus
//! gets the replica number in its last group, in front matter and in `<assetid>.md` links alike. So each
//! replica links only into itself, link density and content stay those of real articles, and assetids
//! stay unique across replicas. The last replica stops at N articles; its links to the articles it drops
//! are broken (a few dozen diagnostics at most).
//!
//! A `harness = false` bench target rather than an example so that it lives with the benchmarks and is
//! built with the same `bench` (release) profile; `cargo bench` appends `--bench`, which is ignored.

/// The allocator kbc's binary uses (`src/main.rs`), so the floor, the generator and the model build
/// are measured as kbc runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use walkdir::WalkDir;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["gen", n, out] => match n.replace(['_', ','], "").parse::<usize>() {
            Ok(n) if n > 0 => generate(n, Path::new(out)),
            _ => Err(format!("not a positive article count: {n}")),
        },
        ["floor", src, out] => floor(Path::new(src), Path::new(out), false),
        ["floor", src, out, "--parallel"] => floor(Path::new(src), Path::new(out), true),
        ["parse", what @ ("floor" | "model")] => parse_corpus(*what == "model"),
        _ => Err("usage: kb gen N OUT | kb floor SRC OUT [--parallel] | kb parse floor|model".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The dev corpus folder, next to the repository (or next to the main checkout, from a worktree).
fn corpus_dir() -> Result<PathBuf, String> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [manifest.join("../shared/corpus/dev"), manifest.join("../../shared/corpus/dev")];
    candidates
        .iter()
        .find(|p| p.is_dir())
        .cloned()
        .ok_or_else(|| format!("dev corpus not found; looked at {candidates:?}"))
}

/// One file of the corpus: its path relative to the corpus folder and its bytes.
struct CorpusFile {
    rel: String,
    bytes: Vec<u8>,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// A Markdown file that is not navigation and not under an `includes/` folder.
    Article,
    /// Markdown or YAML whose links are rewritten (fragments, `TOC.md`, `toc.yml`).
    Text,
    /// Copied byte for byte.
    Other,
}

fn is_md(name: &str) -> bool {
    name.len() > 3 && name[name.len() - 3..].eq_ignore_ascii_case(".md")
}

/// Every file of every root of the corpus, sorted by path (root folders first level).
fn read_corpus(dir: &Path) -> Result<Vec<CorpusFile>, String> {
    let mut files = Vec::new();
    for root in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let root = root.map_err(|e| e.to_string())?;
        if !root.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        for entry in WalkDir::new(root.path()).sort_by_file_name() {
            let entry = entry.map_err(|e| e.to_string())?;
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry.path().strip_prefix(dir).map_err(|e| e.to_string())?;
            let rel = rel.to_string_lossy().replace('\\', "/");
            let bytes =
                std::fs::read(entry.path()).map_err(|e| format!("{}: {e}", entry.path().display()))?;
            let name = rel.rsplit('/').next().unwrap_or(&rel).to_ascii_lowercase();
            let kind = if is_md(&name) {
                if name == "toc.md" || rel.split('/').any(|c| c.eq_ignore_ascii_case("includes")) {
                    Kind::Text
                } else {
                    Kind::Article
                }
            } else if name.ends_with(".yml") || name.ends_with(".yaml") {
                Kind::Text
            } else {
                Kind::Other
            };
            files.push(CorpusFile { rel, bytes, kind });
        }
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(files)
}

/// Whether `s` is a GUID (8-4-4-4-12 hex digits).
fn is_guid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Every `ms.assetid` value of the corpus, lower-cased.
fn assetids(files: &[CorpusFile]) -> HashSet<String> {
    let mut ids = HashSet::new();
    for f in files.iter().filter(|f| f.kind != Kind::Other) {
        for line in f.bytes.split(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(line);
            if let Some(rest) = line.trim_start().strip_prefix("ms.assetid:") {
                let v = rest.trim().trim_matches(|c| c == '"' || c == '\'');
                if is_guid(v.as_bytes()) {
                    ids.insert(v.to_ascii_lowercase());
                }
            }
        }
    }
    ids
}

/// The suffix that makes a file name unique to its replica.
fn suffix(replica: usize) -> String {
    format!("-r{replica:04}")
}

/// A Markdown file name keeps its name when navigation or assetid links depend on it.
fn keeps_name(file_name: &str) -> bool {
    let lower = file_name.to_ascii_lowercase();
    matches!(lower.as_str(), "toc.md" | "index.md" | "readme.md")
        || lower.strip_suffix(".md").is_some_and(|stem| is_guid(stem.as_bytes()))
}

/// The path of a corpus file in replica `replica`.
fn replica_path(rel: &str, replica: usize) -> String {
    let (dir, name) = rel.rsplit_once('/').map_or(("", rel), |(d, n)| (d, n));
    let name = if is_md(name) && !keeps_name(name) {
        format!("{}{}{}", &name[..name.len() - 3], suffix(replica), &name[name.len() - 3..])
    } else {
        name.to_string()
    };
    let prefix = format!("r{replica:04}/");
    if dir.is_empty() { format!("{prefix}{name}") } else { format!("{prefix}{dir}/{name}") }
}

/// The assetid of replica `replica`: the first four digits of the last group become the replica
/// number (decimal digits are hex digits in either case).
fn replica_guid(guid: &[u8], replica: usize) -> Vec<u8> {
    let mut out = guid.to_vec();
    out[24..28].copy_from_slice(format!("{replica:04}").as_bytes());
    out
}

/// Bytes that end a link destination or a path in prose, looking backwards from `.md`.
fn is_path_delimiter(c: u8) -> bool {
    c.is_ascii_whitespace() || b"()[]\"'<>`|,;=:*".contains(&c)
}

/// Rewrites one file's text for replica `replica`: known assetids get the replica's number, relative
/// links to `.md` files get the replica suffix.
fn rewrite(text: &[u8], replica: usize, ids: &HashSet<String>) -> Vec<u8> {
    // Assetids, wherever they appear (front matter, `<assetid>.md` links).
    let mut out = Vec::with_capacity(text.len() + 256);
    let mut i = 0;
    while i < text.len() {
        if i + 36 <= text.len()
            && is_guid(&text[i..i + 36])
            && (i == 0 || !text[i - 1].is_ascii_alphanumeric())
            && ids.contains(&String::from_utf8_lossy(&text[i..i + 36]).to_ascii_lowercase())
        {
            out.extend_from_slice(&replica_guid(&text[i..i + 36], replica));
            i += 36;
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    // Relative `.md` paths: `x.md`, `../a/x.md`, followed by `#`, `?`, `)`, quote, space or the end.
    let text = out;
    let mut out = Vec::with_capacity(text.len() + 256);
    let mut copied = 0;
    let mut i = 0;
    while i + 3 <= text.len() {
        let ends_here = text[i] == b'.'
            && text[i + 1..i + 3].eq_ignore_ascii_case(b"md")
            && text.get(i + 3).is_none_or(|&c| !(c.is_ascii_alphanumeric() || c == b'_' || c == b'-'));
        if ends_here {
            let mut start = i;
            while start > 0 && !is_path_delimiter(text[start - 1]) {
                start -= 1;
            }
            let path = &text[start..i + 3];
            let name_start = path.iter().rposition(|&c| c == b'/').map_or(0, |p| p + 1);
            let name = String::from_utf8_lossy(&path[name_start..]);
            let relative = !path.starts_with(b"/") && !path.starts_with(b"#") && !path.contains(&b'\\');
            if relative && name.len() > 3 && !keeps_name(&name) {
                out.extend_from_slice(&text[copied..i]);
                out.extend_from_slice(suffix(replica).as_bytes());
                copied = i;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    out.extend_from_slice(&text[copied..]);
    out
}

/// The title of an article for mdBook's `SUMMARY.md`: front matter `title:`, else the file name.
fn title(bytes: &[u8], rel: &str) -> String {
    let text = String::from_utf8_lossy(bytes);
    let from_front_matter = text
        .lines()
        .take(40)
        .find_map(|l| l.strip_prefix("title:"))
        .map(|t| t.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
        .filter(|t| !t.is_empty());
    let title = from_front_matter.unwrap_or_else(|| rel.rsplit('/').next().unwrap_or(rel).to_string());
    // Brackets and backslashes would end or escape the link text.
    title.replace(['[', ']', '\\'], " ")
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes an `n`-article knowledge base into `out` (which must not exist yet).
fn generate(n: usize, out: &Path) -> Result<(), String> {
    if out.exists() {
        return Err(format!("{} exists; remove it first", out.display()));
    }
    let files = read_corpus(&corpus_dir()?)?;
    let per_replica = files.iter().filter(|f| f.kind == Kind::Article).count();
    if per_replica == 0 {
        return Err("the corpus has no article".to_string());
    }
    let ids = assetids(&files);
    let replicas = n.div_ceil(per_replica);
    // Replica assetids must not collide with each other (two corpus ids differing only in the
    // replaced digits would).
    let mut seen = HashMap::new();
    for id in &ids {
        for r in 0..replicas {
            if let Some(other) = seen.insert(replica_guid(id.as_bytes(), r), id) {
                return Err(format!("assetids {id} and {other} collide in replica {r}"));
            }
        }
    }

    let content = out.join("content");
    let mdbook_src = out.join("mdbook/src");
    let mut summary = String::from("# Summary\n\n");
    let (mut articles, mut bytes) = (0usize, 0usize);
    for r in 0..replicas {
        let _ = writeln!(summary, "- [Replica {r}]()");
        for f in &files {
            if f.kind == Kind::Article && articles == n {
                continue;
            }
            let rel = replica_path(&f.rel, r);
            let data = if f.kind == Kind::Other { f.bytes.clone() } else { rewrite(&f.bytes, r, &ids) };
            write(&content.join(&rel), &data)?;
            // mdBook gets the same files through hard links (a copy where links are not possible).
            let twin = mdbook_src.join(&rel);
            if let Some(parent) = twin.parent() {
                std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
            }
            if std::fs::hard_link(content.join(&rel), &twin).is_err() {
                write(&twin, &data)?;
            }
            if f.kind == Kind::Article {
                articles += 1;
                bytes += data.len();
                let _ = writeln!(summary, "  - [{}]({})", title(&data, &rel), rel.replace(' ', "%20"));
            }
        }
    }
    // The corpus's own broken links and duplicate assetids (translations), replicated, are errors that
    // would stop kbc from writing: reported as warnings instead, so the build writes every output.
    let rules = "[check.rules]\nfront-matter-syntax = \"warn\"\nfront-matter-value = \"warn\"\n\
                 missing-include = \"warn\"\nmissing-file = \"warn\"\nmissing-anchor = \"warn\"\n\
                 missing-image = \"warn\"\nduplicate-assetid = \"warn\"\n";
    let book = |src: &str, html: &str| {
        format!(
            "[book]\ntitle = \"kbc benchmark\"\nsrc = \"{src}\"\n\n[build]\nbuild-dir = \"book\"\n\n{html}{rules}"
        )
    };
    write(&out.join("book.toml"), book("content", "").as_bytes())?;
    write(
        &out.join("nosearch/book.toml"),
        book("../content", "[output.html]\nsearch = false\n\n").as_bytes(),
    )?;
    write(&out.join("mdbook/book.toml"), b"[book]\ntitle = \"kbc benchmark\"\nsrc = \"src\"\n")?;
    write(&mdbook_src.join("SUMMARY.md"), summary.as_bytes())?;
    println!(
        "{}: {articles} articles in {replicas} replicas, {:.1} MB of article Markdown",
        out.display(),
        bytes as f64 / 1e6
    );
    Ok(())
}

/// Renders every Markdown file under `src` to HTML under `out` with pulldown-cmark and kbc's parser
/// options: read, parse, render, write, nothing else. Prints the files, bytes and seconds.
fn floor(src: &Path, out: &Path, parallel: bool) -> Result<(), String> {
    let started = Instant::now();
    let mut paths = Vec::new();
    for entry in WalkDir::new(src).sort_by_file_name() {
        let entry = entry.map_err(|e| e.to_string())?;
        if entry.file_type().is_file() && is_md(&entry.file_name().to_string_lossy()) {
            paths.push(entry.into_path());
        }
    }
    let render = |path: &PathBuf| -> Result<usize, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let text = String::from_utf8_lossy(&bytes);
        let mut html = String::with_capacity(text.len() * 3 / 2);
        pulldown_cmark::html::push_html(
            &mut html,
            pulldown_cmark::Parser::new_ext(&text, kbc::parse::options()),
        );
        let rel = path.strip_prefix(src).map_err(|e| e.to_string())?;
        write(&out.join(rel).with_extension("html"), html.as_bytes())?;
        Ok(bytes.len())
    };
    let sizes: Vec<Result<usize, String>> =
        if parallel { paths.par_iter().map(render).collect() } else { paths.iter().map(render).collect() };
    let mut total = 0;
    for size in sizes {
        total += size?;
    }
    println!(
        "floor: {} Markdown files, {:.1} MB, {:.3} s{}",
        paths.len(),
        total as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        if parallel { " (parallel)" } else { "" }
    );
    Ok(())
}

/// Loads every root of the dev corpus, then parses it once on this thread: bare pulldown-cmark
/// events over every Markdown file (`floor`), or kbc's model of every article (`model`).
fn parse_corpus(model: bool) -> Result<(), String> {
    use kbc::config::Config;
    let dir = corpus_dir()?;
    let mut roots: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    roots.sort();
    let mut loaded = Vec::new();
    for root in &roots {
        let config = Config::load(root).map_err(|e| format!("{}: {e}", root.display()))?;
        let content = kbc::load::load(&config.book.src, Some(&config.build.build_dir))
            .map_err(|e| format!("{}: {e}", root.display()))?;
        loaded.push((config, content));
    }
    let count = if model { parse_model(&loaded) } else { parse_floor(&loaded) };
    println!("{} {count}", if model { "articles" } else { "events" });
    Ok(())
}

#[inline(never)]
fn parse_floor(loaded: &[(kbc::config::Config, kbc::load::Content)]) -> usize {
    let mut n = 0;
    for (_, content) in loaded {
        for &(file, _) in &content.files {
            let src = content.sources.get(file);
            if src.rel_path.to_ascii_lowercase().ends_with(".md") {
                for ev in pulldown_cmark::Parser::new_ext(src.text().unwrap_or(""), kbc::parse::options())
                    .into_offset_iter()
                {
                    std::hint::black_box(&ev);
                    n += 1;
                }
            }
        }
    }
    n
}

#[inline(never)]
fn parse_model(loaded: &[(kbc::config::Config, kbc::load::Content)]) -> usize {
    let mut n = 0;
    for (config, content) in loaded {
        let includes = content.include_context();
        let language = config.book.language.as_deref();
        for file in content.articles() {
            let locale = content.default_locale(language, file);
            let input = kbc::parse::ParseInput {
                sources: &content.sources,
                includes: &includes,
                default_locale: &locale,
            };
            let (article, diags) = kbc::parse::parse_article(&input, file);
            std::hint::black_box((&article, &diags));
            n += 1;
        }
    }
    n
}
