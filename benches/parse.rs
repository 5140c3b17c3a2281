//! kbc's model build against the floor of bare pulldown-cmark event iteration, over the dev corpus
//! (`../shared/corpus/dev/*`, each folder one knowledge base).
//!
//! Run with `cargo bench --bench parse`; filter with e.g. `cargo bench --bench parse -- floor`.
//! All four benchmarks share one throughput: the bytes of every Markdown file of every root.

/// The allocator kbc's binary uses, so both sides are measured as kbc runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kbc::Book;
use kbc::config::Config;
use kbc::load::{self, Content};
use kbc::parse::{self, IncludeContext, ParseInput};
use kbc::source::FileId;
use rayon::prelude::*;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

/// The dev corpus folder, next to the repository (or next to the main checkout, from a worktree).
fn corpus_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [manifest.join("../shared/corpus/dev"), manifest.join("../../shared/corpus/dev")];
    candidates
        .iter()
        .find(|p| p.is_dir())
        .cloned()
        .unwrap_or_else(|| panic!("dev corpus not found; looked at {candidates:?}"))
}

/// Every knowledge base root: each folder directly under the corpus folder, sorted.
fn roots() -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("read corpus folder")
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    roots.sort();
    assert!(!roots.is_empty(), "no knowledge base under the corpus folder");
    roots
}

/// One root, loaded once, with each article's default locale.
struct Root {
    content: Content,
    articles: Vec<(FileId, String)>,
}

impl Root {
    fn load(config: &Config) -> Root {
        let content = load::load(&config.book.src, Some(&config.build.build_dir)).expect("load content root");
        let language = config.book.language.as_deref();
        let articles = content.articles().map(|f| (f, content.default_locale(language, f))).collect();
        Root { content, articles }
    }

    /// Markdown texts (articles, fragments, `TOC.md`), as the floor parses them.
    fn markdown_texts(&self) -> impl Iterator<Item = &str> {
        self.content.files.iter().filter_map(|&(file, _)| {
            let src = self.content.sources.get(file);
            src.rel_path.to_ascii_lowercase().ends_with(".md").then(|| src.text()).flatten()
        })
    }

    /// Parses one article into the model, exactly as `build::parse_all` does.
    fn parse(&self, includes: &IncludeContext<'_>, file: FileId, locale: &str) -> usize {
        let input = ParseInput { sources: &self.content.sources, includes, default_locale: locale };
        let (article, diags) = parse::parse_article(&input, file);
        black_box(&article);
        black_box(diags.len())
    }
}

fn bench_parse(c: &mut Criterion) {
    let configs: Vec<Config> = roots().iter().map(|r| Config::load(r).expect("load config")).collect();
    let loaded: Vec<Root> = configs.iter().map(Root::load).collect();
    let texts: Vec<&str> = loaded.iter().flat_map(Root::markdown_texts).collect();
    let total_bytes: usize = texts.iter().map(|t| t.len()).sum();
    let n_articles: usize = loaded.iter().map(|r| r.articles.len()).sum();
    eprintln!(
        "corpus: {} roots, {} Markdown files, {} articles, {:.2} MB of Markdown",
        loaded.len(),
        texts.len(),
        n_articles,
        total_bytes as f64 / 1e6
    );

    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(total_bytes as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(8));

    group.bench_function("floor/pulldown-cmark-events", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for &text in &texts {
                for ev in pulldown_cmark::Parser::new_ext(text, parse::options()).into_offset_iter() {
                    black_box(&ev);
                    n += 1;
                }
            }
            n
        })
    });

    group.bench_function("kbc/parse-model-1-thread", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for root in &loaded {
                let includes = root.content.include_context();
                for (file, locale) in &root.articles {
                    n += root.parse(&includes, *file, locale);
                }
            }
            n
        })
    });

    group.bench_function("kbc/parse-model-rayon", |b| {
        b.iter(|| {
            loaded
                .iter()
                .map(|root| {
                    let includes = root.content.include_context();
                    root.articles
                        .par_iter()
                        .map(|(file, locale)| root.parse(&includes, *file, locale))
                        .sum::<usize>()
                })
                .sum::<usize>()
        })
    });

    group.bench_function("kbc/check-whole-corpus", |b| {
        b.iter_batched(
            || configs.clone(),
            |configs| {
                let mut n = 0usize;
                for config in configs {
                    let book = Book::load(config).expect("load book");
                    n += book.diagnostics.len();
                    // Dropping the book is part of what `kbc check` pays.
                    drop(black_box(book));
                }
                n
            },
            BatchSize::SmallInput,
        )
    });

    group.finish();
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
