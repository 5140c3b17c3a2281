//! The pipeline, one step per line: load, parse, resolve, check. Rendering is the caller's choice
//! (`kbc check` stops here; `kbc build` goes on to `render`).

use crate::check;
use crate::config::Config;
use crate::diag::{Diagnostic, Severity};
use crate::load::{self, Content, LoadError, Role};
use crate::model::{Article, ArticleId};
use crate::nav::{self, Nav};
use crate::parse::{self, ParseInput};
use crate::resolve::{self, Resolution};
use crate::source::FileId;
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
    /// Whether [`Book::articles`] holds outlines.
    lean: bool,
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
        let Some(content) = load::load_until(&config.book.src, Some(&config.build.build_dir), stop)? else {
            return Ok(None);
        };
        let mut layout = content.diagnostics.clone();

        // A watch loop keeps whole articles for its next load: it never holds outlines.
        let lean = retain == Retain::No && config.build.low_memory.applies(content.article_bytes());
        let Some((mut articles, mut per_article, navs, nav_diags)) =
            parse_all(&config, &content, cache, retain, lean, stop)
        else {
            return Ok(None);
        };
        layout.extend(nav_diags);
        layout.extend(check::check_other_files(&content));

        let resolution = resolve::resolve(&mut articles, &navs, &content, config.check.absolute_links);
        if stop() {
            return Ok(None);
        }

        let hosts = &config.output.html.iframe_hosts;
        per_article
            .par_iter_mut()
            .zip(&articles)
            .for_each(|(diags, article)| diags.extend(check::check_article(article, &content, hosts)));
        let findings = Findings { layout, articles: per_article };
        let mut book = Book {
            config,
            content,
            articles,
            lean,
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
    /// again (the same text, includes and layout give the same model) with its procedures filled
    /// in as `resolve` filled them.
    pub fn article(&self, id: ArticleId) -> Cow<'_, Article> {
        let held = &self.articles[id.0 as usize];
        if !self.lean {
            return Cow::Borrowed(held);
        }
        let includes = self.content.include_context();
        let default_locale = self.content.default_locale(self.config.book.language.as_deref(), held.file);
        let input = ParseInput {
            sources: &self.content.sources,
            includes: &includes,
            default_locale: &default_locale,
        };
        let (mut article, _) = parse::parse_article(&input, held.file);
        if let Some(links) = self.resolution.links.get(id.0 as usize) {
            resolve::fill_procedures(&mut article, links);
        }
        Cow::Owned(article)
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
            h.update(src.text.as_bytes());
        }
        h.update([0xff]);
    }
    h.finalize().into()
}

/// An article's own text and the text of every file its previous parse included.
pub(crate) fn article_key(content: &Content, file: FileId, previous: Option<&Article>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(content.sources.get(file).text.as_bytes());
    for inc in previous.map_or(&[][..], |a| a.includes.as_slice()) {
        h.update([0xff]);
        if let Some(f) = inc.file.filter(|f| (f.0 as usize) < content.sources.len()) {
            h.update(content.sources.get(f).text.as_bytes());
        }
    }
    h.finalize().into()
}

/// The articles, each article's diagnostics, the navigation files and theirs.
type ParseOutput = (Vec<Article>, Vec<Vec<Diagnostic>>, Vec<Nav>, Vec<Diagnostic>);

/// Whether a load keeps its parsed articles in its [`ParseCache`] for the next load.
#[derive(Clone, Copy, PartialEq)]
enum Retain {
    Yes,
    No,
}

/// Parses every article (in parallel) and navigation file; `None` when `stop` said so. Output
/// order is content-path order, whatever the thread count.
fn parse_all(
    config: &Config,
    content: &Content,
    cache: &mut ParseCache,
    retain: Retain,
    lean: bool,
    stop: Stop<'_>,
) -> Option<ParseOutput> {
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
            let key = article_key(content, file, previous.map(|p| &p.article));
            if previous.is_some_and(|p| p.key == key) {
                return Some((file, None));
            }
            let default_locale = content.default_locale(language, file);
            let input = ParseInput {
                sources: &content.sources,
                includes: &includes,
                default_locale: &default_locale,
            };
            let (parsed, diagnostics) = parse::parse_article(&input, file);
            // A clone allocates every list and string at its length: the model is held for the
            // whole build, and lists and strings grown by pushes while parsing have up to twice
            // the room they need (a third of a large book's model was such room).
            let article = if lean { parsed.outline() } else { parsed.clone() };
            drop(parsed);
            // Keyed by what this parse included, for the next load.
            let key = article_key(content, file, Some(&article));
            Some((file, Some(Parsed { key, article, diagnostics })))
        })
        .collect::<Option<_>>()?;
    cache.parsed = parsed.iter().filter(|(_, p)| p.is_some()).count();
    let mut per_article = Vec::with_capacity(parsed.len());
    let mut articles = Vec::with_capacity(parsed.len());
    let mut kept = HashMap::with_capacity(parsed.len());
    for (file, fresh) in parsed {
        let Some(entry) = fresh.or_else(|| cache.entries.remove(&file)) else { continue };
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
        let (nav, d) =
            if is_md { nav::parse_toc_md(file, &src.text) } else { nav::parse_toc_yml(file, &src.text) };
        navs.push(nav);
        diagnostics.extend(d);
    }
    Some((articles, per_article, navs, diagnostics))
}
