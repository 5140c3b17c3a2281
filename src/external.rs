//! Checking `http(s)` links over the network: `kbc check --external`, `[check.external]`.
//!
//! Off by default: only `--external` or `[check.external] enable = true` turns it on. It runs after
//! [`Book::load`] over every link that `resolve` classified as [`Resolved::External`] (articles,
//! includes and navigation files alike) and merges its diagnostics into `book.diagnostics` through
//! [`check::finalize`], so `[check.rules]` and `deny-warnings` apply to them as to any other.
//!
//! # What is checked, and how
//!
//! - Only `http:`, `https:` and protocol-relative `//host/…` (taken as `https:`) links; other schemes
//!   are skipped. Each unique URL (its `#fragment` removed) is fetched once, however many links use it;
//!   each link then gets its own diagnostic.
//! - A fixed pool of [`Options::concurrency`] worker threads; at most [`Options::per_host`] requests
//!   in flight to one host, and [`Options::host_delay`] between the starts of two requests to it.
//! - `HEAD` first; `GET` when `HEAD` fails with any status from 400 up (servers that refuse `HEAD`
//!   answer 405 or 501, and some wrongly 403 or 404), and straight away when a link has a fragment,
//!   whose anchor is then looked for in the page's `id` and `<a name>` attributes.
//! - Redirects are followed by hand up to [`Options::max_redirects`]; a URL seen twice is a loop.
//! - 429 and 5xx (but 501) are retried up to [`Options::max_retries`] times, waiting as `Retry-After`
//!   asks when it is at most [`Options::retry_after_cap`], else with exponential backoff from
//!   [`Options::backoff`]. Timeouts are not retried: a server that did not answer within
//!   [`Options::timeout`] seldom does on the next try, and retrying multiplies the wait.
//!
//! # Verdicts
//!
//! | outcome | code | default |
//! | --- | --- | --- |
//! | 404, 410, unknown host, connection refused, redirect loop, invalid URL | `external-link` | error |
//! | timeout, 5xx or 429 after retries, other 4xx, too many redirects, TLS or protocol failure, internationalised host name (not checked) | `external-link-unverified` | warning |
//! | the page has no anchor for the link's `#fragment` | `external-anchor` | warning |
//! | the URL redirects permanently (301, 308) | `external-redirect` | note, with the URL to use |
//!
//! Fragments that pages handle in script are not checked: text fragments (`#:~:text=`), routes
//! (`#/…`, `#!…`) and GitHub line anchors (`#L10`, `#L10-L20` on `github.com`). An anchor `x` is
//! also found as `user-content-x`, the id GitHub gives README headings.
//!
//! # Cache
//!
//! `.kbc-cache/external.json` in the knowledge base folder (the folder of `book.toml`, given on the
//! command line); see [`default_cache_path`]. It sits outside the build directory, which a build
//! replaces whole, and `load` skips folders whose names start with `.`. The format:
//!
//! ```json
//! {
//!   "version": 1,
//!   "entries": [
//!     { "url": "https://example.com/a", "status": 200, "checked_at": 1767225600,
//!       "moved_to": null, "body_read": true, "fragments": ["intro", "setup"] }
//!   ]
//! }
//! ```
//!
//! `checked_at` is in Unix seconds. `body_read` tells whether the page was fetched with `GET`;
//! `fragments` lists its anchors when it was HTML (`null` otherwise). Only successes are stored; a
//! failure is checked again on every run, so a fixed link, or a flaky server that recovered, is
//! seen at once. An entry younger than `cache-max-age-hours` stands for a request (`0` never reuses
//! one). Entries are sorted by URL and the file is written to a temporary file and renamed, so a
//! killed run never leaves half a cache. An unreadable cache is ignored.
//!
//! **Invariant:** this is the only module that does network IO.
//! **Invariant:** diagnostics hold no times; their order comes from [`check::finalize`].

use crate::build::Book;
use crate::check;
use crate::config::Config;
use crate::diag::{Code, Diagnostic};
use crate::resolve::Resolved;
use crate::source::Span;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The cache folder, inside the knowledge base folder.
pub const CACHE_DIR: &str = ".kbc-cache";
/// The cache file, inside [`CACHE_DIR`].
pub const CACHE_FILE: &str = "external.json";
const CACHE_VERSION: u32 = 1;

/// `<knowledge base folder>/.kbc-cache/external.json`.
pub fn default_cache_path(config: &Config) -> PathBuf {
    config.root.join(CACHE_DIR).join(CACHE_FILE)
}

/// How to check. [`Options::from_config`] fills it from `[check.external]`; the rest are fixed
/// defaults that tests shorten.
#[derive(Debug, Clone)]
pub struct Options {
    /// Worker threads, so requests in flight at once.
    pub concurrency: usize,
    /// Requests in flight to one host at once.
    pub per_host: usize,
    /// The least time between the starts of two requests to one host.
    pub host_delay: Duration,
    /// Time allowed for each request, from connecting to the end of the body.
    pub timeout: Duration,
    pub max_redirects: u32,
    /// Further attempts after a 429, a 5xx or a dropped connection.
    pub max_retries: u32,
    /// The first wait before a retry without `Retry-After`; it doubles with each retry.
    pub backoff: Duration,
    /// The longest `Retry-After` honoured; a server asking for more is reported as rate limiting.
    pub retry_after_cap: Duration,
    /// URLs not to check (fragment removed, compared as written). A pattern with `*` is a glob
    /// matching the whole URL, `*` standing for any run of characters
    /// (`https://*.sharepoint.com/*`); a pattern without `*` is a prefix (`https://intranet/`).
    pub exclude: Vec<String>,
    /// The cache file; `None` for no cache.
    pub cache: Option<PathBuf>,
    pub cache_max_age: Duration,
    /// At most this much of a page is read to look for anchors.
    pub max_body_bytes: u64,
    /// Use the proxy named by `ALL_PROXY`, `HTTPS_PROXY` or `HTTP_PROXY` (minus `NO_PROXY`), as
    /// CI behind a corporate proxy needs.
    pub env_proxy: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            concurrency: 8,
            per_host: 2,
            host_delay: Duration::from_millis(50),
            timeout: Duration::from_secs(10),
            max_redirects: 10,
            max_retries: 2,
            backoff: Duration::from_millis(500),
            retry_after_cap: Duration::from_secs(30),
            exclude: Vec::new(),
            cache: None,
            cache_max_age: Duration::from_secs(24 * 3600),
            max_body_bytes: 8 * 1024 * 1024,
            env_proxy: true,
        }
    }
}

impl Options {
    /// `[check.external]` of the knowledge base, with the cache at [`default_cache_path`].
    pub fn from_config(config: &Config) -> Options {
        let ext = &config.check.external;
        Options {
            concurrency: ext.concurrency.max(1),
            timeout: Duration::from_secs(ext.timeout_secs.max(1)),
            exclude: ext.exclude.clone(),
            cache: Some(default_cache_path(config)),
            cache_max_age: Duration::from_secs(ext.cache_max_age_hours.saturating_mul(3600)),
            ..Options::default()
        }
    }
}

/// What a run did, besides its diagnostics.
#[derive(Debug, Default)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    /// Links checked (excluded ones not counted).
    pub links: usize,
    /// Links skipped by `exclude`.
    pub excluded: usize,
    /// Unique URLs checked.
    pub urls: usize,
    /// Unique URLs answered from the cache.
    pub from_cache: usize,
    /// HTTP requests sent.
    pub requests: usize,
    /// The cache could not be read or written (the check itself went on).
    pub cache_error: Option<String>,
}

/// Checks the external links of `book` and merges the diagnostics into `book.diagnostics`, with
/// the configured levels applied. Returns what was done; `report.diagnostics` is left empty.
pub fn apply(book: &mut Book, options: &Options) -> Report {
    let mut report = check(book, options);
    let mut all = std::mem::take(&mut book.diagnostics);
    all.append(&mut report.diagnostics);
    book.diagnostics = check::finalize(all, &book.config.check);
    report
}

/// Checks the external links of `book`. The diagnostics come at their default levels, unsorted.
pub fn check(book: &Book, options: &Options) -> Report {
    let mut report = Report::default();
    let (uses, jobs) = plan(book, options, &mut report);
    report.urls = jobs.len();

    let now = unix_now();
    let (mut cache, cache_error) = match &options.cache {
        Some(path) => Cache::load(path),
        None => (Cache::default(), None),
    };
    report.cache_error = cache_error;
    let max_age = options.cache_max_age.as_secs();
    let mut outcomes: Vec<Option<Outcome>> = vec![None; jobs.len()];
    let mut to_fetch = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        match cache.fresh(&job.url, now, max_age, job.want_body) {
            Some(outcome) => {
                outcomes[i] = Some(outcome);
                report.from_cache += 1;
            }
            None => to_fetch.push(i),
        }
    }

    let requests = AtomicUsize::new(0);
    for (i, outcome) in fetch_all(&jobs, &to_fetch, options, &requests) {
        if let Some(slot) = outcomes.get_mut(i) {
            *slot = Some(outcome);
        }
    }
    report.requests = requests.into_inner();

    if let (Some(path), false) = (&options.cache, to_fetch.is_empty()) {
        for &i in &to_fetch {
            match (&jobs[i], &outcomes[i]) {
                (job, Some(Outcome::Ok(page))) => cache.store(&job.url, now, page),
                (job, _) => cache.forget(&job.url),
            }
        }
        cache.retain_fresh(now, max_age);
        if let Err(e) = cache.save(path) {
            report.cache_error.get_or_insert(e);
        }
    }

    for u in &uses {
        let outcome = u.job.and_then(|j| outcomes.get(j)).and_then(Option::as_ref);
        if let Some(d) = diagnose(u, outcome, options) {
            report.diagnostics.push(d);
        }
    }
    report
}

// ---------------------------------------------------------------------------------------------
// Planning: which links, which URLs

/// One link to check.
struct Use {
    span: Span,
    /// As written, fragment removed (what messages show).
    written: String,
    fragment: Option<String>,
    /// The [`Job`] fetching its URL; `None` for an invalid URL.
    job: Option<usize>,
    /// The verdict when it needs no request (an invalid URL).
    invalid: Option<Outcome>,
}

/// One unique URL to fetch.
struct Job {
    /// The URL as requested: fragment removed, scheme and host lower-cased, unsafe bytes escaped.
    url: String,
    host: String,
    /// Some link has a fragment to look for, so the page must be read.
    want_body: bool,
}

fn plan(book: &Book, options: &Options, report: &mut Report) -> (Vec<Use>, Vec<Job>) {
    let mut found: Vec<(&str, Span)> = Vec::new();
    for (article, resolved) in book.articles.iter().zip(&book.resolution.links) {
        for (link, r) in article.links.iter().zip(resolved) {
            if let Resolved::External { url } = r {
                found.push((url, link.dest_span));
            }
        }
    }
    for (nav, resolved) in book.navs.iter().zip(&book.resolution.nav_links) {
        for (link, r) in nav.links().into_iter().zip(resolved) {
            if let Resolved::External { url } = r {
                found.push((url, link.span));
            }
        }
    }
    // An include's links come once per including article, with the same span.
    found.sort_by_key(|&(url, span)| (span.file, span.start, span.end, url));
    found.dedup();

    let mut uses = Vec::new();
    let mut jobs: Vec<Job> = Vec::new();
    let mut by_url: HashMap<String, usize> = HashMap::new();
    for (url, span) in found {
        let Some(target) = Target::parse(url) else { continue };
        if is_excluded(&target.written, &options.exclude) {
            report.excluded += 1;
            continue;
        }
        report.links += 1;
        let fragment = target.fragment.filter(|f| checkable_fragment(f, &target.host));
        let job = match &target.invalid {
            Some(_) => None,
            None => {
                let next = jobs.len();
                let i = *by_url.entry(target.url.clone()).or_insert(next);
                if i == next {
                    jobs.push(Job { url: target.url, host: target.host, want_body: false });
                }
                if fragment.is_some() {
                    jobs[i].want_body = true;
                }
                Some(i)
            }
        };
        uses.push(Use { span, written: target.written, fragment, job, invalid: target.invalid });
    }
    (uses, jobs)
}

/// An external link destination, taken apart.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    written: String,
    url: String,
    host: String,
    fragment: Option<String>,
    /// The verdict when it needs no request.
    invalid: Option<Outcome>,
}

impl Target {
    /// `None` for schemes other than http(s).
    fn parse(dest: &str) -> Option<Target> {
        let dest = dest.trim();
        let (base, fragment) = match dest.split_once('#') {
            Some((b, f)) => (b, Some(crate::parse::link::percent_decode(f))),
            None => (dest, None),
        };
        let base = match base.strip_prefix("//") {
            Some(rest) => format!("https://{rest}"),
            None => base.to_string(),
        };
        let (scheme, rest) = base.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..auth_end];
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = match host_port.strip_prefix('[') {
            Some(v6) => v6.split_once(']').map_or(v6, |(h, _)| h),
            None => host_port.split_once(':').map_or(host_port, |(h, _)| h),
        }
        .to_ascii_lowercase();
        let invalid = if host.is_empty() {
            Some(Outcome::Broken(Failure::BadUrl("it has no host".into())))
        } else if host.contains(|c: char| c.is_whitespace()) {
            Some(Outcome::Broken(Failure::BadUrl("its host contains a space".into())))
        } else if !host.is_ascii() {
            Some(Outcome::Unverified(Failure::Other(
                "kbc does not check internationalised host names".into(),
            )))
        } else {
            None
        };
        let path = &rest[auth_end..];
        let url = format!("{scheme}://{}{}", authority.to_ascii_lowercase(), escape(path));
        Some(Target { written: base.clone(), url, host, fragment, invalid })
    }
}

/// Percent-encodes the bytes a request line cannot carry (spaces, non-ASCII, `"<>\^`{|}`); existing
/// `%XX` escapes are kept.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_graphic() && !matches!(c, '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}') {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// Whether the fragment names an anchor kbc can look for in the page's HTML.
fn checkable_fragment(fragment: &str, host: &str) -> bool {
    if fragment.is_empty() || fragment.starts_with(":~:") || fragment.starts_with(['/', '!']) {
        return false;
    }
    if host == "github.com" || host.ends_with(".github.com") {
        let line = |s: &str| {
            s.strip_prefix('L').is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        };
        let mut parts = fragment.splitn(2, '-');
        let first = parts.next().unwrap_or("");
        if line(first) && parts.next().is_none_or(line) {
            return false;
        }
    }
    true
}

/// Whether `url` matches one of the `exclude` patterns (see [`Options::exclude`]).
pub fn is_excluded(url: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| if p.contains('*') { glob(p, url) } else { url.starts_with(p.as_str()) })
}

/// Whole-string match with `*` for any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

// ---------------------------------------------------------------------------------------------
// Outcomes and diagnostics

/// What fetching one URL found.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Ok(Page),
    /// Certainly broken.
    Broken(Failure),
    /// Could not be confirmed either way.
    Unverified(Failure),
}

/// A page that answered 2xx.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Page {
    status: u16,
    /// Where the link should point instead: the URL after the leading run of permanent redirects.
    moved_to: Option<String>,
    body_read: bool,
    /// The page's anchors, when its body was read and was HTML.
    fragments: Option<HashSet<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Failure {
    Status { code: u16, attempts: u32 },
    RateLimited { retry_after: u64 },
    RedirectLoop { back_to: String },
    TooManyRedirects(u32),
    NoLocation(u16),
    Timeout(Duration),
    HostNotFound(String),
    Refused,
    BadUrl(String),
    Other(String),
}

fn diagnose(u: &Use, outcome: Option<&Outcome>, options: &Options) -> Option<Diagnostic> {
    let url = &u.written;
    let outcome = u.invalid.as_ref().or(outcome)?;
    match outcome {
        Outcome::Ok(page) => {
            if let (Some(fragment), Some(ids)) = (&u.fragment, &page.fragments)
                && !ids.contains(fragment)
                && !ids.contains(&format!("user-content-{fragment}"))
            {
                let mut d = Diagnostic::new(
                    Code::ExternalAnchor,
                    u.span,
                    format!("`{url}` has no anchor `#{fragment}`"),
                )
                .with_label("no such anchor on the page");
                let mut sorted: Vec<&str> = ids.iter().map(String::as_str).collect();
                sorted.sort_unstable();
                if let Some(best) = crate::resolve::suggest(fragment, sorted.into_iter()) {
                    d = d.with_help(format!("a similar anchor exists: `#{best}`"));
                }
                return Some(d);
            }
            let to = page.moved_to.as_ref()?;
            let to = match &u.fragment {
                Some(f) => format!("{to}#{f}"),
                None => to.clone(),
            };
            Some(
                Diagnostic::new(Code::ExternalRedirect, u.span, format!("`{url}` redirects permanently"))
                    .with_label("moved")
                    .with_help(format!("update the link to `{to}`")),
            )
        }
        Outcome::Broken(f) | Outcome::Unverified(f) => {
            let code = if matches!(outcome, Outcome::Broken(_)) {
                Code::ExternalLink
            } else {
                Code::ExternalLinkUnverified
            };
            let (message, label, note) = describe(url, f, options);
            let mut d = Diagnostic::new(code, u.span, message).with_label(label);
            if let Some(note) = note {
                d = d.with_note(note);
            }
            Some(d)
        }
    }
}

fn describe(url: &str, f: &Failure, options: &Options) -> (String, &'static str, Option<String>) {
    match f {
        Failure::Status { code: 404, .. } => (format!("`{url}` returned 404"), "not found", None),
        Failure::Status { code: 410, .. } => (format!("`{url}` returned 410"), "gone", None),
        Failure::Status { code: 429, attempts } => (
            format!("`{url}` returned 429 after {}", attempts_text(*attempts)),
            "rate limited",
            Some("the server asks kbc to slow down; a rate limit is not a broken link".into()),
        ),
        Failure::Status { code, attempts } if *code >= 500 => (
            format!("`{url}` returned {code} after {}", attempts_text(*attempts)),
            "server error",
            Some("server errors are often temporary; this is a warning, not an error".into()),
        ),
        Failure::Status { code, .. } => (
            format!("`{url}` returned {code}"),
            "not confirmed",
            (400..500).contains(code).then(|| {
                "the page may need a login or block robots; kbc cannot tell whether it exists".into()
            }),
        ),
        Failure::RateLimited { retry_after } => (
            format!("`{url}` returned 429 and asks to wait {retry_after} s"),
            "rate limited",
            Some(format!(
                "kbc waits at most {} s for a rate-limited server",
                options.retry_after_cap.as_secs()
            )),
        ),
        Failure::RedirectLoop { back_to } => (
            format!("`{url}` redirects in a loop"),
            "redirect loop",
            Some(format!("the redirects come back to `{back_to}`")),
        ),
        Failure::TooManyRedirects(n) => {
            (format!("`{url}` redirects more than {n} times"), "too many redirects", None)
        }
        Failure::NoLocation(code) => {
            (format!("`{url}` returned {code} without a `Location`"), "broken redirect", None)
        }
        Failure::Timeout(t) => (
            format!("`{url}` did not answer within {} s", t.as_secs_f64()),
            "timed out",
            Some("a slow server is not a broken link; this is a warning, not an error".into()),
        ),
        Failure::HostNotFound(host) => {
            (format!("`{url}` cannot be reached: host `{host}` not found"), "unknown host", None)
        }
        Failure::Refused => (format!("`{url}` cannot be reached: connection refused"), "unreachable", None),
        Failure::BadUrl(reason) => (format!("`{url}` is not a valid URL: {reason}"), "invalid URL", None),
        Failure::Other(reason) => (format!("`{url}` could not be checked: {reason}"), "not confirmed", None),
    }
}

fn attempts_text(n: u32) -> String {
    if n == 1 { "1 attempt".to_string() } else { format!("{n} attempts") }
}

// ---------------------------------------------------------------------------------------------
// The worker pool

/// Jobs waiting, per host, shared by the workers.
struct Pool {
    state: Mutex<PoolState>,
    wake: Condvar,
    per_host: usize,
    host_delay: Duration,
}

struct PoolState {
    hosts: BTreeMap<String, HostQueue>,
    waiting: usize,
}

struct HostQueue {
    jobs: VecDeque<usize>,
    in_flight: usize,
    next_start: Instant,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // A worker that panicked leaves consistent counters behind: every change is one statement.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next job a worker may start, waiting for per-host limits; `None` when none are left.
    fn take(&self) -> Option<(usize, String)> {
        let mut state = self.lock();
        loop {
            if state.waiting == 0 {
                return None;
            }
            let now = Instant::now();
            let mut earliest: Option<Instant> = None;
            let mut chosen = None;
            for (host, q) in state.hosts.iter_mut() {
                if q.jobs.is_empty() || q.in_flight >= self.per_host {
                    continue;
                }
                if q.next_start > now {
                    earliest = Some(earliest.map_or(q.next_start, |e| e.min(q.next_start)));
                    continue;
                }
                if let Some(job) = q.jobs.pop_front() {
                    q.in_flight += 1;
                    q.next_start = now.checked_add(self.host_delay).unwrap_or(now);
                    chosen = Some((job, host.clone()));
                    break;
                }
            }
            if let Some(chosen) = chosen {
                state.waiting -= 1;
                self.wake.notify_all();
                return Some(chosen);
            }
            state = match earliest {
                Some(t) => {
                    self.wake
                        .wait_timeout(state, t.saturating_duration_since(now))
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
                None => self.wake.wait(state).unwrap_or_else(|e| e.into_inner()),
            };
        }
    }

    fn done(&self, host: &str) {
        let mut state = self.lock();
        if let Some(q) = state.hosts.get_mut(host) {
            q.in_flight = q.in_flight.saturating_sub(1);
        }
        self.wake.notify_all();
    }

    /// Keeps new requests off a host that asked to wait.
    fn defer(&self, host: &str, until: Instant) {
        let mut state = self.lock();
        if let Some(q) = state.hosts.get_mut(host) {
            q.next_start = q.next_start.max(until);
        }
    }
}

fn fetch_all(
    jobs: &[Job],
    which: &[usize],
    options: &Options,
    requests: &AtomicUsize,
) -> Vec<(usize, Outcome)> {
    if which.is_empty() {
        return Vec::new();
    }
    let mut hosts: BTreeMap<String, HostQueue> = BTreeMap::new();
    let start = Instant::now();
    for &i in which {
        hosts
            .entry(jobs[i].host.clone())
            .or_insert_with(|| HostQueue { jobs: VecDeque::new(), in_flight: 0, next_start: start })
            .jobs
            .push_back(i);
    }
    let pool = Pool {
        state: Mutex::new(PoolState { hosts, waiting: which.len() }),
        wake: Condvar::new(),
        per_host: options.per_host.max(1),
        host_delay: options.host_delay,
    };
    let agent = agent(options);
    let results = Mutex::new(Vec::with_capacity(which.len()));
    let workers = options.concurrency.clamp(1, which.len());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                while let Some((i, host)) = pool.take() {
                    let job = &jobs[i];
                    let fetch = Fetch { agent: &agent, options, pool: &pool, host: &host, requests };
                    let outcome = fetch.probe(&job.url, job.want_body);
                    pool.done(&host);
                    results.lock().unwrap_or_else(|e| e.into_inner()).push((i, outcome));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    results
}

fn agent(options: &Options) -> ureq::Agent {
    let mut config = ureq::Agent::config_builder();
    if !options.env_proxy {
        config = config.proxy(None);
    }
    config
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(options.timeout))
        .user_agent(concat!("kbc/", env!("CARGO_PKG_VERSION"), " (link checker)"))
        .accept("text/html,application/xhtml+xml,*/*;q=0.8")
        .build()
        .new_agent()
}

// ---------------------------------------------------------------------------------------------
// Fetching one URL

struct Fetch<'a> {
    agent: &'a ureq::Agent,
    options: &'a Options,
    pool: &'a Pool,
    host: &'a str,
    requests: &'a AtomicUsize,
}

/// The 5xx statuses worth a retry (501 means the method is not supported, which will not change).
fn retryable(status: u16) -> bool {
    status == 429 || ((500..600).contains(&status) && status != 501)
}

impl Fetch<'_> {
    fn probe(&self, url: &str, want_body: bool) -> Outcome {
        let mut current = url.to_string();
        let mut seen = HashSet::from([current.clone()]);
        let mut get = want_body;
        let mut attempts = 0u32;
        let mut redirects = 0u32;
        let mut moved_to = None;
        let mut permanent_so_far = true;
        loop {
            self.requests.fetch_add(1, Ordering::Relaxed);
            let result = if get { self.agent.get(&current).call() } else { self.agent.head(&current).call() };
            attempts += 1;
            let mut response = match result {
                Ok(r) => r,
                Err(e) => {
                    let (outcome, retry) = error_outcome(e, &current, self.options.timeout);
                    if retry && attempts <= self.options.max_retries {
                        self.wait(self.backoff(attempts));
                        continue;
                    }
                    return outcome;
                }
            };
            let status = response.status().as_u16();
            if !get && status >= 400 && status != 429 {
                // Confirm with GET: some servers refuse or mishandle HEAD.
                get = true;
                attempts = 0;
                continue;
            }
            if retryable(status) {
                let asked = retry_after(&response);
                if let Some(asked) = asked
                    && asked > self.options.retry_after_cap
                {
                    return Outcome::Unverified(Failure::RateLimited { retry_after: asked.as_secs() });
                }
                if attempts <= self.options.max_retries {
                    let wait =
                        asked.unwrap_or_else(|| self.backoff(attempts)).min(self.options.retry_after_cap);
                    let now = Instant::now();
                    self.pool.defer(self.host, now.checked_add(wait).unwrap_or(now));
                    self.wait(wait);
                    continue;
                }
                return Outcome::Unverified(Failure::Status { code: status, attempts });
            }
            if (300..400).contains(&status) && status != 304 {
                let location = response.headers().get("location").and_then(|v| v.to_str().ok());
                let Some(next) = location.and_then(|l| join(&current, l)) else {
                    return Outcome::Unverified(Failure::NoLocation(status));
                };
                if !seen.insert(next.clone()) {
                    return Outcome::Broken(Failure::RedirectLoop { back_to: next });
                }
                redirects += 1;
                if redirects > self.options.max_redirects {
                    return Outcome::Unverified(Failure::TooManyRedirects(self.options.max_redirects));
                }
                if permanent_so_far && matches!(status, 301 | 308) {
                    moved_to = Some(next.clone());
                } else {
                    permanent_so_far = false;
                }
                current = next;
                attempts = 0;
                continue;
            }
            if (200..300).contains(&status) {
                let html = response
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|t| t.to_ascii_lowercase().contains("html"));
                if !get {
                    return Outcome::Ok(Page { status, moved_to, body_read: false, fragments: None });
                }
                let mut body = Vec::new();
                let read =
                    response.body_mut().as_reader().take(self.options.max_body_bytes).read_to_end(&mut body);
                if let Err(e) = read {
                    let timed_out =
                        matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock)
                            || e.to_string().contains("timeout");
                    return Outcome::Unverified(if timed_out {
                        Failure::Timeout(self.options.timeout)
                    } else {
                        Failure::Other(format!("reading the page failed: {e}"))
                    });
                }
                let fragments = html.then(|| {
                    let text = String::from_utf8_lossy(&body);
                    crate::parse::html::anchor_ids(&text).into_iter().map(|(id, _)| id).collect()
                });
                return Outcome::Ok(Page { status, moved_to, body_read: true, fragments });
            }
            let failure = Failure::Status { code: status, attempts };
            return if matches!(status, 404 | 410) {
                Outcome::Broken(failure)
            } else {
                Outcome::Unverified(failure)
            };
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.options.backoff.saturating_mul(1 << attempt.saturating_sub(1).min(10))
    }

    fn wait(&self, d: Duration) {
        std::thread::sleep(d.min(self.options.retry_after_cap));
    }
}

/// What a transport error means, and whether another attempt may help.
fn error_outcome(e: ureq::Error, url: &str, timeout: Duration) -> (Outcome, bool) {
    use std::io::ErrorKind;
    match e {
        ureq::Error::Timeout(_) => (Outcome::Unverified(Failure::Timeout(timeout)), false),
        ureq::Error::HostNotFound => {
            let host = Target::parse(url).map(|t| t.host).unwrap_or_default();
            (Outcome::Broken(Failure::HostNotFound(host)), false)
        }
        ureq::Error::BadUri(reason) => (Outcome::Broken(Failure::BadUrl(reason)), false),
        ureq::Error::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused => (Outcome::Broken(Failure::Refused), false),
            ErrorKind::TimedOut | ErrorKind::WouldBlock => {
                (Outcome::Unverified(Failure::Timeout(timeout)), false)
            }
            _ => (Outcome::Unverified(Failure::Other(io.to_string())), true),
        },
        ureq::Error::Protocol(p) => (Outcome::Unverified(Failure::Other(p.to_string())), true),
        other => (Outcome::Unverified(Failure::Other(other.to_string())), false),
    }
}

/// `Retry-After` as seconds or as an HTTP date.
fn retry_after(response: &ureq::http::Response<ureq::Body>) -> Option<Duration> {
    let value = response.headers().get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = parse_http_date(value)?;
    Some(Duration::from_secs(at.saturating_sub(unix_now())))
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) as Unix seconds.
fn parse_http_date(s: &str) -> Option<u64> {
    let mut parts = s.split_ascii_whitespace();
    let _weekday = parts.next()?;
    let day: u64 = parts.next()?.parse().ok()?;
    let month = parts.next()?;
    let year: i64 = parts.next()?.parse().ok().filter(|y| (1970..=9999).contains(y))?;
    let mut hms = parts.next()?.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if parts.next()? != "GMT" || !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|&n| n == month)? as i64 + 1;
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days).ok().map(|d| d * 86_400 + h * 3600 + m * 60 + sec)
}

/// Resolves a `Location` against the URL it came from (RFC 3986 reference resolution, without
/// the fragment).
fn join(base: &str, location: &str) -> Option<String> {
    let location = location.trim();
    let location = location.split_once('#').map_or(location, |(l, _)| l);
    let (scheme, rest) = base.split_once("://")?;
    if let Some(t) = Target::parse(location) {
        return t.invalid.is_none().then_some(t.url);
    }
    if location.contains("://") {
        // Another scheme (`ftp://`): nothing kbc can follow.
        return None;
    }
    if let Some(r) = location.strip_prefix("//") {
        return Target::parse(&format!("{scheme}://{r}")).map(|t| t.url);
    }
    let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let origin = &base[..scheme.len() + 3 + auth_end];
    let path_query = &rest[auth_end..];
    let path = path_query.split_once('?').map_or(path_query, |(p, _)| p);
    let joined = if location.is_empty() {
        path_query.to_string()
    } else if location.starts_with('?') {
        format!("{path}{location}")
    } else if location.starts_with('/') {
        remove_dot_segments(location)
    } else {
        let dir = path.rfind('/').map_or("/", |i| &path[..=i]);
        let dir = if dir.is_empty() { "/" } else { dir };
        remove_dot_segments(&format!("{dir}{location}"))
    };
    Some(format!("{origin}{}", escape(&joined)))
}

/// Removes `.` and `..` segments from a path (the query is kept as is).
fn remove_dot_segments(path_query: &str) -> String {
    let (path, query) = match path_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_query, None),
    };
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let mut joined = out.join("/");
    if !joined.starts_with('/') {
        joined.insert(0, '/');
    }
    match query {
        Some(q) => format!("{joined}?{q}"),
        None => joined,
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

// ---------------------------------------------------------------------------------------------
// The cache

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    entries: Vec<CacheEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CacheEntry {
    url: String,
    status: u16,
    /// Unix seconds.
    checked_at: u64,
    moved_to: Option<String>,
    body_read: bool,
    fragments: Option<Vec<String>>,
}

#[derive(Debug, Default)]
struct Cache {
    entries: BTreeMap<String, CacheEntry>,
}

impl Cache {
    /// The cache at `path`; empty when there is none. A cache that cannot be read is ignored and
    /// the reason returned.
    fn load(path: &Path) -> (Cache, Option<String>) {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Cache::default(), None),
            Err(e) => return (Cache::default(), Some(format!("cannot read `{}`: {e}", path.display()))),
        };
        match serde_json::from_str::<CacheFile>(&text) {
            Ok(file) if file.version == CACHE_VERSION => {
                let entries = file.entries.into_iter().map(|e| (e.url.clone(), e)).collect();
                (Cache { entries }, None)
            }
            Ok(_) => (Cache::default(), None),
            Err(e) => (Cache::default(), Some(format!("ignored `{}`: {e}", path.display()))),
        }
    }

    fn fresh(&self, url: &str, now: u64, max_age: u64, want_body: bool) -> Option<Outcome> {
        let e = self.entries.get(url)?;
        let young = e.checked_at <= now && now - e.checked_at < max_age;
        if !young || (want_body && !e.body_read) {
            return None;
        }
        Some(Outcome::Ok(Page {
            status: e.status,
            moved_to: e.moved_to.clone(),
            body_read: e.body_read,
            fragments: e.fragments.as_ref().map(|f| f.iter().cloned().collect()),
        }))
    }

    fn store(&mut self, url: &str, now: u64, page: &Page) {
        let fragments = page.fragments.as_ref().map(|f| {
            let mut v: Vec<String> = f.iter().cloned().collect();
            v.sort_unstable();
            v
        });
        let entry = CacheEntry {
            url: url.to_string(),
            status: page.status,
            checked_at: now,
            moved_to: page.moved_to.clone(),
            body_read: page.body_read,
            fragments,
        };
        self.entries.insert(url.to_string(), entry);
    }

    fn forget(&mut self, url: &str) {
        self.entries.remove(url);
    }

    fn retain_fresh(&mut self, now: u64, max_age: u64) {
        self.entries.retain(|_, e| e.checked_at <= now && now - e.checked_at < max_age);
    }

    /// Writes the cache through a temporary file and a rename.
    fn save(&self, path: &Path) -> Result<(), String> {
        let fail = |e: std::io::Error| format!("cannot write `{}`: {e}", path.display());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let file = CacheFile { version: CACHE_VERSION, entries: self.entries.values().cloned().collect() };
        let text = serde_json::to_string_pretty(&file).map_err(|e| e.to_string())?;
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(".tmp{}", std::process::id()));
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, text + "\n").map_err(fail)?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            fail(e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_taken_apart() {
        let t = Target::parse("HTTPS://Example.COM:8443/a b/Größe?q=1#Frag%20x").expect("http");
        assert_eq!(t.url, "https://example.com:8443/a%20b/Gr%C3%B6%C3%9Fe?q=1");
        assert_eq!(t.host, "example.com");
        assert_eq!(t.fragment.as_deref(), Some("Frag x"));
        assert_eq!(t.written, "HTTPS://Example.COM:8443/a b/Größe?q=1");
        assert_eq!(Target::parse("//cdn.x/y").expect("relative").url, "https://cdn.x/y");
        assert!(Target::parse("ftp://x/y").is_none());
        assert!(Target::parse("https:///path").expect("http").invalid.is_some());
        assert!(matches!(
            Target::parse("https://bücher.de/").expect("http").invalid,
            Some(Outcome::Unverified(_))
        ));
        assert!(matches!(Target::parse("https://a b/").expect("http").invalid, Some(Outcome::Broken(_))));
        assert_eq!(Target::parse("http://[::1]:80/").expect("v6").host, "::1");
        assert_eq!(Target::parse("http://u:p@h.x/").expect("userinfo").host, "h.x");
    }

    #[test]
    fn exclude_patterns() {
        let p = vec!["https://intranet/".to_string(), "https://*.sharepoint.com/*".to_string()];
        assert!(is_excluded("https://intranet/a", &p));
        assert!(!is_excluded("https://intranet.example/a", &p));
        assert!(is_excluded("https://contoso.sharepoint.com/sites/x", &p));
        assert!(!is_excluded("https://sharepoint.com/sites/x", &p));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
        assert!(glob("*", ""));
    }

    #[test]
    fn fragments_handled_by_script_are_skipped() {
        assert!(checkable_fragment("install", "example.com"));
        assert!(!checkable_fragment(":~:text=hello", "example.com"));
        assert!(!checkable_fragment("/route", "example.com"));
        assert!(!checkable_fragment("!shebang", "example.com"));
        assert!(!checkable_fragment("L10", "github.com"));
        assert!(!checkable_fragment("L10-L20", "github.com"));
        assert!(checkable_fragment("L10", "example.com"));
        assert!(checkable_fragment("Lx", "github.com"));
    }

    #[test]
    fn locations_are_resolved() {
        let base = "https://h.x/a/b/c?q";
        assert_eq!(join(base, "https://o.x/p").as_deref(), Some("https://o.x/p"));
        assert_eq!(join(base, "//o.x/p").as_deref(), Some("https://o.x/p"));
        assert_eq!(join(base, "/p").as_deref(), Some("https://h.x/p"));
        assert_eq!(join(base, "d").as_deref(), Some("https://h.x/a/b/d"));
        assert_eq!(join(base, "../d").as_deref(), Some("https://h.x/a/d"));
        assert_eq!(join(base, "./").as_deref(), Some("https://h.x/a/b/"));
        assert_eq!(join(base, "?z").as_deref(), Some("https://h.x/a/b/c?z"));
        assert_eq!(join("https://h.x", "d").as_deref(), Some("https://h.x/d"));
        assert_eq!(join(base, "ftp://x/").as_deref(), None);
        assert_eq!(join(base, "/a b#f").as_deref(), Some("https://h.x/a%20b"));
    }

    #[test]
    fn http_dates() {
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784111777));
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_http_date("not a date"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 PST"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 9223372036854775807 08:49:37 GMT"), None);
    }

    #[test]
    fn transport_errors_are_classified() {
        let t = Duration::from_secs(1);
        let (o, retry) = error_outcome(ureq::Error::HostNotFound, "https://nope.invalid/x", t);
        assert_eq!(o, Outcome::Broken(Failure::HostNotFound("nope.invalid".into())));
        assert!(!retry);
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(
            error_outcome(ureq::Error::Io(refused), "http://h/", t).0,
            Outcome::Broken(Failure::Refused)
        );
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let (o, retry) = error_outcome(ureq::Error::Io(reset), "http://h/", t);
        assert!(matches!(o, Outcome::Unverified(Failure::Other(_))));
        assert!(retry);
    }

    #[test]
    fn cache_freshness() {
        let mut cache = Cache::default();
        let page = Page { status: 200, moved_to: None, body_read: false, fragments: None };
        cache.store("https://h/", 1000, &page);
        assert!(cache.fresh("https://h/", 1010, 60, false).is_some());
        assert!(
            cache.fresh("https://h/", 1010, 60, true).is_none(),
            "a HEAD result cannot answer for anchors"
        );
        assert!(cache.fresh("https://h/", 1060, 60, false).is_none());
        assert!(cache.fresh("https://h/", 1010, 0, false).is_none());
        assert!(cache.fresh("https://h/", 900, 60, false).is_none(), "an entry from the future is stale");
        cache.retain_fresh(2000, 60);
        assert!(cache.entries.is_empty());
    }
}
