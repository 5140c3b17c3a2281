//! The pipeline, one step per line: load, parse, resolve, check. Rendering is the caller's choice
//! (`kbc check` stops here; `kbc build` goes on to `render`).

use crate::check;
use crate::config::Config;
use crate::config::LowMemory;
use crate::diag::Code;
use crate::diag::{Diagnostic, Severity};
use crate::load::{self, Content, LoadError, Role};
use crate::model::{Article, ArticleId};
use crate::nav::{self, Nav};
use crate::parse::{self, ParseInput};
use crate::resolve::{self, Resolution};
use crate::source::{FileId, ReadAgainError, SourceFile, Span};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::HashMap;

/// Asked during long work whether to give it up (see [`Book::load_until`]).
pub type Stop<'a> = &'a (dyn Fn() -> bool + Sync);

/// A loaded, parsed, resolved and checked knowledge base.
pub struct Book {
    pub config: Config,
    pub content: Content,
    /// Articles in content-path order; [`crate::model::ArticleId`] indexes this. In a
    /// low-memory build these are outlines ([`Article::outline`]): renderers take an article's
    /// content from [`Book::article`].
    pub articles: Vec<Article>,
    /// Whether [`Book::articles`] holds outlines (the content's article texts are released).
    lean: bool,
    /// In a low-memory build, each article's [`article_key`] as its load computed it: the text is
    /// not held to compute it again.
    text_keys: Vec<[u8; 32]>,
    /// Whether [`Book::diagnose`] has run.
    diagnosed: bool,
    pub navs: Vec<Nav>,
    pub resolution: Resolution,
    /// Every diagnostic, sorted, with the configured severities applied.
    pub diagnostics: Vec<Diagnostic>,
    /// The diagnostics before the book-wide checks and `[check]`, by where they came from, so a
    /// watch loop can replace one article's (see [`Book::diagnose`]).
    pub findings: Findings,
}

/// Diagnostics by origin. The resolution's are in [`Resolution`]; the book-wide checks are run
/// again by [`Book::diagnose`].
#[derive(Default)]
pub struct Findings {
    /// Loading, the navigation files, and the checks of files that are not articles: they change
    /// only when the content's layout does.
    pub layout: Vec<Diagnostic>,
    /// Per article: parsing and [`check::check_article`].
    pub articles: Vec<Vec<Diagnostic>>,
}

impl Book {
    /// Runs the pipeline up to and including the checks. Content problems are diagnostics; only a
    /// content root that cannot be read is an error.
    pub fn load(config: Config) -> Result<Book, LoadError> {
        // Nothing is kept for a next load, so the parsed articles move into the book instead of
        // being copied (a copy doubles the peak memory of a large book's load).
        match Book::load_inner(config, &mut ParseCache::default(), Retain::No, &|| false)? {
            Some(book) => Ok(book),
            None => unreachable!("a load that is never stopped finishes"),
        }
    }

    /// [`Book::load`], reusing the parsed articles in `cache` whose inputs are unchanged (a watch
    /// loop keeps one between builds). Resolution and checks always run over the whole book.
    pub fn load_cached(config: Config, cache: &mut ParseCache) -> Result<Book, LoadError> {
        match Book::load_until(config, cache, &|| false)? {
            Some(book) => Ok(book),
            None => unreachable!("a load that is never stopped finishes"),
        }
    }

    /// [`Book::load_cached`], giving up (`Ok(None)`) as soon as `stop` returns true: it is asked
    /// before each file is read, before each article is parsed and between the steps (a watch
    /// loop's follow-up build gives way to a newer edit). A load that gives up leaves `cache` as
    /// it was or emptier.
    pub fn load_until(
        config: Config,
        cache: &mut ParseCache,
        stop: Stop<'_>,
    ) -> Result<Option<Book>, LoadError> {
        Book::load_inner(config, cache, Retain::Yes, stop)
    }

    fn load_inner(
        config: Config,
        cache: &mut ParseCache,
        retain: Retain,
        stop: Stop<'_>,
    ) -> Result<Option<Book>, LoadError> {
        // A watch loop keeps whole articles for its next load: it never holds outlines.
        let low_memory = if retain == Retain::No { config.build.low_memory } else { LowMemory::Off };
        let Some(content) =
            load::load_until(&config.book.src, Some(&config.build.build_dir), low_memory, stop)?
        else {
            return Ok(None);
        };
        let mut layout = content.diagnostics.clone();

        let lean = content.released;
        let Some(ParseOutput { mut articles, mut per_article, text_keys, navs, nav_diagnostics }) =
            parse_all(&config, &content, cache, retain, stop)
        else {
            return Ok(None);
        };
        layout.extend(nav_diagnostics);
        layout.extend(check::check_other_files(&content));

        let resolution = resolve::resolve(&mut articles, &navs, &content, config.check.absolute_links);
        if stop() {
            return Ok(None);
        }

        let hosts = &config.output.html.iframe_hosts;
        per_article
            .par_iter_mut()
            .zip(&articles)
            .for_each(|(diags, article)| diags.extend(check::check_article(article, hosts)));
        let findings = Findings { layout, articles: per_article };
        let mut book = Book {
            config,
            content,
            articles,
            lean,
            text_keys: if lean { text_keys } else { Vec::new() },
            diagnosed: false,
            navs,
            resolution,
            diagnostics: Vec::new(),
            findings,
        };
        book.diagnose();
        Ok(Some(book))
    }

    /// Runs the book-wide checks and puts every finding, with `[check]` applied, in
    /// [`Book::diagnostics`]. A low-memory book moves its per-article findings there instead of
    /// copying them (it is never edited, and they are tens of MB in a large book): it is diagnosed
    /// once, by its load, and later calls leave the list as it is.
    pub fn diagnose(&mut self) {
        if self.lean && self.diagnosed {
            return;
        }
        self.diagnosed = true;
        let mut all: Vec<Diagnostic> =
            self.findings.layout.iter().chain(&self.resolution.nav_diagnostics).cloned().collect();
        if self.lean {
            let parts = [
                std::mem::take(&mut self.findings.articles),
                std::mem::take(&mut self.resolution.article_diagnostics),
            ];
            all.extend(parts.into_iter().flatten().flatten());
        } else {
            // Tens of thousands in a large book: cloned in parallel (a watch loop does this per edit).
            let parts = [&self.findings.articles, &self.resolution.article_diagnostics];
            all.par_extend(parts.par_iter().flat_map(|p| p.par_iter()).flat_map_iter(|d| d.iter().cloned()));
        }
        all.extend(check::check_book(&self.articles, &self.navs, &self.resolution));
        self.diagnostics = check::finalize(all, &self.config.check);
    }

    /// Article `id` with its content: the one held, or in a low-memory build the article parsed
    /// again from its text read back from disk (the same text, includes and layout give the same
    /// model) with its procedures filled in as `resolve` filled them. An error when the file
    /// changed since it was loaded.
    pub fn article(&self, id: ArticleId) -> Result<WholeArticle<'_>, ReadAgainError> {
        let held = &self.articles[id.0 as usize];
        let source = self.content.sources.get(held.file);
        if !self.lean {
            return Ok(WholeArticle { article: Cow::Borrowed(held), source: Cow::Borrowed(source) });
        }
        let text = source.read_again()?;
        let includes = self.content.include_context();
        let default_locale = self.content.default_locale(self.config.book.language.as_deref(), held.file);
        let input = ParseInput {
            sources: &self.content.sources,
            includes: &includes,
            default_locale: &default_locale,
        };
        let (mut article, _) = parse::parse_released(&input, held.file, &text);
        if let Some(links) = self.resolution.links.get(id.0 as usize) {
            resolve::fill_procedures(&mut article, links);
        }
        // The text read back stays with the article: a renderer that shows positions in it
        // (the JSON's line numbers) need not read it a second time.
        let source = SourceFile::new(source.rel_path.clone(), source.disk_path.clone(), text, source.had_bom);
        Ok(WholeArticle { article: Cow::Owned(article), source: Cow::Owned(source) })
    }

    /// What the text of article `id` and of its includes hashes to ([`article_key`]), whether or
    /// not its text is held.
    pub(crate) fn text_key(&self, id: ArticleId) -> [u8; 32] {
        let i = id.0 as usize;
        match self.text_keys.get(i) {
            Some(key) => *key,
            None => {
                let a = &self.articles[i];
                article_key(&self.content, self.content.sources.get(a.file).text().unwrap_or(""), Some(a))
            }
        }
    }

    /// Whether [`Book::articles`] holds outlines (`[build] low-memory`).
    pub fn is_lean(&self) -> bool {
        self.lean
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == severity).count()
    }

    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }
}

/// An article with its content ([`Book::article`]), and the file it was parsed from with its text.
/// It derefs to the article.
pub struct WholeArticle<'a> {
    article: Cow<'a, Article>,
    source: Cow<'a, SourceFile>,
}

impl WholeArticle<'_> {
    /// The article's file, with its text (read back in a low-memory build).
    pub fn source(&self) -> &SourceFile {
        &self.source
    }
}

impl std::ops::Deref for WholeArticle<'_> {
    type Target = Article;

    fn deref(&self) -> &Article {
        &self.article
    }
}

/// Parsed articles kept between loads. An article is parsed again when its text, the text of a
/// file it includes, or the layout of the content (the set of paths, every fragment's text, the
/// language) changed; otherwise its previous model is reused as is (its spans stay valid because
/// the same layout gives the same file ids).
#[derive(Default)]
pub struct ParseCache {
    layout: [u8; 32],
    entries: HashMap<FileId, Parsed>,
    /// Articles parsed by the last load (the rest came from the cache).
    pub parsed: usize,
}

struct Parsed {
    key: [u8; 32],
    article: Article,
    diagnostics: Vec<Diagnostic>,
}

/// What every article's parse depends on besides its own text and includes.
fn layout_key(config: &Config, content: &Content) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(format!("{:?}\0{:?}\0", config.book.language, content.publish_locale));
    for p in content.paths.iter().chain(&content.dirs).chain(content.not_read.keys()) {
        h.update(p.as_bytes());
        h.update([0]);
    }
    for &(file, role) in &content.files {
        let src = content.sources.get(file);
        h.update(format!("{role:?}\0{}\0", src.rel_path));
        if role == Role::Fragment {
            h.update(src.text().unwrap_or("").as_bytes());
        }
        h.update([0xff]);
    }
    h.finalize().into()
}

/// An article's own text and the text of every file its previous parse included (fragments,
/// always held).
fn article_key(content: &Content, text: &str, previous: Option<&Article>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(text.as_bytes());
    for inc in previous.map_or(&[][..], |a| a.includes.as_slice()) {
        h.update([0xff]);
        if let Some(f) = inc.file.filter(|f| (f.0 as usize) < content.sources.len()) {
            h.update(content.sources.get(f).text().unwrap_or("").as_bytes());
        }
    }
    h.finalize().into()
}

/// What [`parse_all`] gives: the articles, each article's diagnostics and [`article_key`], the
/// navigation files and theirs.
struct ParseOutput {
    articles: Vec<Article>,
    per_article: Vec<Vec<Diagnostic>>,
    text_keys: Vec<[u8; 32]>,
    navs: Vec<Nav>,
    nav_diagnostics: Vec<Diagnostic>,
}

/// Whether a load keeps its parsed articles in its [`ParseCache`] for the next load.
#[derive(Clone, Copy, PartialEq)]
enum Retain {
    Yes,
    No,
}

/// Parses every article (in parallel) and navigation file, and checks each article's text; `None`
/// when `stop` said so. Output order is content-path order, whatever the thread count. The text of
/// an article the load released is read back for its parse and let go again: each is kept as its
/// outline.
fn parse_all(
    config: &Config,
    content: &Content,
    cache: &mut ParseCache,
    retain: Retain,
    stop: Stop<'_>,
) -> Option<ParseOutput> {
    let lean = content.released;
    let includes = content.include_context();
    let language = config.book.language.as_deref();
    let layout = layout_key(config, content);
    if layout != cache.layout {
        cache.entries.clear();
        cache.layout = layout;
    }
    let article_files: Vec<_> = content.articles().collect();
    let entries = &cache.entries;
    let parsed: Vec<(FileId, Option<Parsed>)> = article_files
        .par_iter()
        .map(|&file| {
            if stop() {
                return None;
            }
            let previous = entries.get(&file);
            let (text, unread) = match content.sources.get(file).text() {
                Some(text) => (Cow::Borrowed(text), None),
                None => match content.sources.get(file).read_again() {
                    Ok(text) => (Cow::Owned(text), None),
                    Err(e) => (Cow::Owned(String::new()), Some(e)),
                },
            };
            let key = article_key(content, &text, previous.map(|p| &p.article));
            if previous.is_some_and(|p| p.key == key) {
                return Some((file, None));
            }
            let default_locale = content.default_locale(language, file);
            let input = ParseInput {
                sources: &content.sources,
                includes: &includes,
                default_locale: &default_locale,
            };
            let (parsed, mut diagnostics) = parse::parse_released(&input, file, &text);
            diagnostics.extend(check::check_text(file, &text));
            if let Some(e) = unread {
                let message = format!("cannot read the file again: {}", e.reason);
                diagnostics.push(Diagnostic::new(Code::Io, Span::new(file, 0..0), message));
            }
            // A clone allocates every list and string at its length: the model is held for the
            // whole build, and lists and strings grown by pushes while parsing have up to twice
            // the room they need (a third of a large book's model was such room).
            let article = if lean { parsed.outline() } else { parsed.clone() };
            drop(parsed);
            // Keyed by what this parse included, for the next load.
            let key = article_key(content, &text, Some(&article));
            Some((file, Some(Parsed { key, article, diagnostics })))
        })
        .collect::<Option<_>>()?;
    cache.parsed = parsed.iter().filter(|(_, p)| p.is_some()).count();
    let mut per_article = Vec::with_capacity(parsed.len());
    let mut articles = Vec::with_capacity(parsed.len());
    let mut text_keys = Vec::with_capacity(if lean { parsed.len() } else { 0 });
    let mut kept = HashMap::with_capacity(parsed.len());
    for (file, fresh) in parsed {
        let Some(entry) = fresh.or_else(|| cache.entries.remove(&file)) else { continue };
        if lean {
            text_keys.push(entry.key);
        }
        if retain == Retain::No {
            articles.push(entry.article);
            per_article.push(entry.diagnostics);
            continue;
        }
        articles.push(entry.article.clone());
        per_article.push(entry.diagnostics.clone());
        kept.insert(file, entry);
    }
    cache.entries = kept;
    let mut diagnostics = Vec::new();
    let mut navs = Vec::new();
    for &(file, role) in &content.files {
        if role != Role::Navigation {
            continue;
        }
        let src = content.sources.get(file);
        let is_md = src.rel_path.to_ascii_lowercase().ends_with(".md");
        let text = src.text().unwrap_or("");
        let (nav, d) = if is_md { nav::parse_toc_md(file, text) } else { nav::parse_toc_yml(file, text) };
        navs.push(nav);
        diagnostics.extend(d);
    }
    Some(ParseOutput { articles, per_article, text_keys, navs, nav_diagnostics: diagnostics })
}
