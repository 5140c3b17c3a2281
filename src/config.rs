//! `book.toml`: the knowledge base's configuration.
//!
//! Loading happens in two layers, as in mdBook and ripgrep: a raw serde mirror of the file
//! (private, every field optional, unknown keys rejected) and the resolved [`Config`] the pipeline
//! reads (absolute paths, typed enums, defaults filled in). Errors in the file come back as a
//! [`ConfigError`] that points at the offending key or value.
//!
//! A folder without `book.toml` is a valid knowledge base: every default applies and the folder
//! itself is the content root, so `kbc check some/docs-repo` works as is.
//!
//! # Example
//!
//! Every key, with its default unless noted:
//!
//! ```toml
//! [book]
//! title = "Contoso Support"            # no default
//! description = "Troubleshooting articles for Contoso products"
//! language = "en-US"                   # BCP-47-ish tag, case kept as written
//! authors = ["Support Engineering"]
//! src = "content"                      # relative to the folder of book.toml
//!
//! [build]
//! build-dir = "book"                   # relative to the folder of book.toml
//! low-memory = "auto"                  # or true, false: hold outlines, parse again to render
//!
//! [output.html]
//! enable = true
//! theme = "theme"                      # optional folder, relative to the folder of book.toml
//! site-url = "https://support.contoso.com/kb"  # http:// or https://; trailing slash dropped
//! search = true
//! search-shards = 2                    # optional; by default 1 up to 500 pages, 2 up to 6,000, then 1 per 3,000
//! iframe-hosts = ["www.youtube.com", "www.youtube-nocookie.com", "player.vimeo.com",
//!                 "learn.microsoft.com", "channel9.msdn.com"]
//!
//! [output.json]
//! enable = true
//! llms-full-max-bytes = 4000000
//! chunk-target-tokens = 350
//! chunk-max-tokens = 800
//!
//! [output.checklist]
//! enable = true
//! paper = "a4"                         # "a4" | "letter"
//! topics = []                          # empty: every article with entries or procedures
//!
//! [output.model]
//! enable = false                       # model/<path>.json: the parsed model, for inspection
//!
//! [check]
//! absolute-links = "ignore"            # "ignore" | "warn" | "error"
//! deny-warnings = false
//!
//! [check.rules]                        # diagnostic code → "allow" | "warn" | "deny"
//! orphan = "allow"
//! case-mismatch = "deny"
//!
//! [check.external]
//! enable = false
//! exclude = ["https://contoso.sharepoint.com/"]
//! timeout-secs = 10
//! concurrency = 8
//! cache-max-age-hours = 24
//! ```

use crate::diag::{Code, Severity};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The name of the configuration file inside the knowledge base folder.
pub const CONFIG_FILE: &str = "book.toml";

/// The resolved configuration of one build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The folder given on the command line, absolute.
    pub root: PathBuf,
    /// `root/book.toml` when it exists (absolute).
    pub config_file: Option<PathBuf>,
    pub book: BookConfig,
    pub build: BuildConfig,
    pub output: OutputConfig,
    pub check: CheckConfig,
}

/// `[book]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookConfig {
    pub title: Option<String>,
    pub description: Option<String>,
    /// A BCP-47-ish language tag, case as written.
    pub language: Option<String>,
    pub authors: Vec<String>,
    /// The content folder, absolute.
    pub src: PathBuf,
}

/// `[build]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildConfig {
    /// Where output goes, absolute.
    pub build_dir: PathBuf,
    /// Whether a build holds only each article's outline and parses it again to render it.
    pub low_memory: LowMemory,
}

/// `[build] low-memory`: `true`, `false` or `"auto"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LowMemory {
    /// On when the articles' Markdown is larger than [`LowMemory::AUTO_BYTES`].
    #[default]
    Auto,
    On,
    Off,
}

impl LowMemory {
    /// Where `auto` turns on: about 15,000 articles of the size of the dev corpus's. Below it the
    /// model of every article fits in a few hundred MB and parsing again would only cost time.
    pub const AUTO_BYTES: u64 = 256 << 20;

    /// Whether a book whose articles' Markdown is `bytes` long is built with outlines only.
    pub fn applies(self, bytes: u64) -> bool {
        match self {
            LowMemory::Auto => bytes > LowMemory::AUTO_BYTES,
            LowMemory::On => true,
            LowMemory::Off => false,
        }
    }
}

/// `[output.*]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputConfig {
    pub html: HtmlConfig,
    pub json: JsonConfig,
    pub checklist: ChecklistConfig,
    pub model: ModelConfig,
}

/// `[output.model]`: the debug dump of each article's parsed model. Off by default: it is as large
/// as every other output together and only people working on kbc or a theme read it (`kbc debug
/// model FILE` shows one article without a build).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelConfig {
    pub enable: bool,
}

/// Whether an `<iframe>` may show `url`: an `https:` (or `http:`, or protocol-relative) URL on one of
/// `hosts` (lower case). The checks warn and the sanitizer removes by this one rule.
pub fn iframe_allowed(hosts: &[String], url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .or_else(|| url.strip_prefix("//"));
    let Some(rest) = rest else { return false };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("").to_ascii_lowercase();
    hosts.contains(&host)
}

/// `[output.html]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlConfig {
    pub enable: bool,
    /// A theme folder, absolute (resolved against the root).
    pub theme: Option<PathBuf>,
    /// `http://` or `https://` URL without a trailing slash.
    pub site_url: Option<String>,
    pub search: bool,
    /// How many independent search indexes the pages are split into (built in parallel, merged
    /// in the browser); `None` decides from the number of pages.
    pub search_shards: Option<u32>,
    /// Hosts whose `<iframe>`s (videos) are kept.
    pub iframe_hosts: Vec<String>,
}

/// The most search indexes `search-shards` may ask for (each costs a reader a download on the first
/// search).
pub const MAX_SEARCH_SHARDS: u32 = 16;

/// The `iframe-hosts` allowlist when `book.toml` does not set one.
pub const DEFAULT_IFRAME_HOSTS: &[&str] = &[
    "www.youtube.com",
    "www.youtube-nocookie.com",
    "player.vimeo.com",
    "learn.microsoft.com",
    "channel9.msdn.com",
];

impl Default for HtmlConfig {
    fn default() -> HtmlConfig {
        HtmlConfig {
            enable: true,
            theme: None,
            site_url: None,
            search: true,
            search_shards: None,
            iframe_hosts: DEFAULT_IFRAME_HOSTS.iter().map(|h| h.to_string()).collect(),
        }
    }
}

/// `[output.json]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonConfig {
    pub enable: bool,
    pub llms_full_max_bytes: u64,
    pub chunk_target_tokens: u32,
    pub chunk_max_tokens: u32,
}

impl Default for JsonConfig {
    fn default() -> JsonConfig {
        JsonConfig {
            enable: true,
            llms_full_max_bytes: 4_000_000,
            chunk_target_tokens: 350,
            chunk_max_tokens: 800,
        }
    }
}

/// Paper size of printable checklists. `book.toml` spelling: `"a4"` | `"letter"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Paper {
    #[default]
    #[serde(alias = "A4")]
    A4,
    #[serde(alias = "Letter")]
    Letter,
}

/// `[output.checklist]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistConfig {
    pub enable: bool,
    pub paper: Paper,
    /// Empty: every article that has entries or procedures.
    pub topics: Vec<String>,
}

impl Default for ChecklistConfig {
    fn default() -> ChecklistConfig {
        ChecklistConfig { enable: true, paper: Paper::A4, topics: Vec::new() }
    }
}

/// A rule level in `[check.rules]`: `"allow"` | `"warn"` | `"deny"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

/// What to do with site-absolute `/path` links: `"ignore"` (default) | `"warn"` | `"error"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AbsoluteLinks {
    #[default]
    Ignore,
    Warn,
    Error,
}

/// `[check]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckConfig {
    pub rules: BTreeMap<Code, Level>,
    pub absolute_links: AbsoluteLinks,
    pub deny_warnings: bool,
    pub external: ExternalConfig,
}

/// `[check.external]`: checking `http(s)` links over the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalConfig {
    pub enable: bool,
    pub exclude: Vec<String>,
    pub timeout_secs: u64,
    pub concurrency: usize,
    pub cache_max_age_hours: u64,
}

impl Default for ExternalConfig {
    fn default() -> ExternalConfig {
        ExternalConfig {
            enable: false,
            exclude: Vec::new(),
            timeout_secs: 10,
            concurrency: 8,
            cache_max_age_hours: 24,
        }
    }
}

/// A problem with `book.toml` (or with the folder it describes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file (or folder) the problem is in, as given.
    pub path: PathBuf,
    /// The file's text, when it was read.
    pub text: Option<String>,
    /// Byte range in `text` of the offending key or value.
    pub range: Option<Range<usize>>,
    pub message: String,
}

impl ConfigError {
    fn new(path: &Path, message: impl Into<String>) -> ConfigError {
        ConfigError { path: path.to_path_buf(), text: None, range: None, message: message.into() }
    }

    fn at(path: &Path, text: &str, range: Range<usize>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            path: path.to_path_buf(),
            text: Some(text.to_string()),
            range: Some(range),
            message: message.into(),
        }
    }

    /// 1-based line and column (in characters) of the start of `range`, when both it and the text
    /// are known.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        let text = self.text.as_deref()?;
        let mut offset = self.range.as_ref()?.start.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let col = before[line_start..].chars().count() + 1;
        Some((line, col))
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line_col() {
            Some((line, col)) => {
                write!(f, "{}:{line}:{col}: {}", self.path.display(), self.message)
            }
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

// ---------------------------------------------------------------------------------------------
// The raw layer: a mirror of the file. Everything optional; defaults live in the resolved types.

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
struct RawConfig {
    book: RawBook,
    build: RawBuild,
    output: RawOutput,
    check: RawCheck,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
struct RawBook {
    title: Option<String>,
    description: Option<String>,
    language: Option<Spanned<String>>,
    authors: Option<Vec<String>>,
    src: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
struct RawBuild {
    build_dir: Option<String>,
    low_memory: Option<Spanned<RawLowMemory>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawLowMemory {
    Switch(bool),
    Word(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
struct RawOutput {
    html: RawHtml,
    json: RawJson,
    checklist: RawChecklist,
    model: RawModel,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
struct RawModel {
    enable: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
struct RawHtml {
    enable: Option<bool>,
    theme: Option<Spanned<String>>,
    site_url: Option<Spanned<String>>,
    search: Option<bool>,
    search_shards: Option<Spanned<u32>>,
    iframe_hosts: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
struct RawJson {
    enable: Option<bool>,
    llms_full_max_bytes: Option<u64>,
    chunk_target_tokens: Option<Spanned<u32>>,
    chunk_max_tokens: Option<Spanned<u32>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
struct RawChecklist {
    enable: Option<bool>,
    paper: Option<Paper>,
    topics: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
struct RawCheck {
    rules: BTreeMap<Spanned<String>, Level>,
    absolute_links: Option<AbsoluteLinks>,
    deny_warnings: Option<bool>,
    external: RawExternal,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
struct RawExternal {
    enable: Option<bool>,
    exclude: Option<Vec<String>>,
    timeout_secs: Option<Spanned<u64>>,
    concurrency: Option<Spanned<usize>>,
    cache_max_age_hours: Option<u64>,
}

// ---------------------------------------------------------------------------------------------

impl Config {
    /// Loads the configuration of the knowledge base in `dir`.
    ///
    /// `dir` is either a folder with a `book.toml`, or a plain folder of Markdown. Without
    /// `book.toml`, defaults apply and `book.src` is `dir` itself (so `kbc check some/docs-repo`
    /// works with no config). With `book.toml`, `src` defaults to `"content"` and `build-dir` to
    /// `"book"`, both relative to `dir`.
    pub fn load(dir: &Path) -> Result<Config, ConfigError> {
        match std::fs::metadata(dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(ConfigError::new(dir, "not a directory")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ConfigError::new(dir, "directory does not exist"));
            }
            Err(e) => return Err(ConfigError::new(dir, format!("cannot read directory: {e}"))),
        }
        let path = dir.join(CONFIG_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Config::defaults(dir);
            }
            Err(e) => return Err(ConfigError::new(&path, format!("cannot read file: {e}"))),
        };
        let text = String::from_utf8(bytes)
            .map_err(|e| ConfigError::new(&path, format!("file is not valid UTF-8: {e}")))?;
        // Editors do not count a byte order mark, and neither do our columns.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        Config::from_str(dir, &path, text)
    }

    /// The configuration of a folder without `book.toml`: defaults, with `book.src` = `dir` and
    /// `build-dir` = `dir/book`. Fails only if `dir` is not an existing folder.
    fn defaults(dir: &Path) -> Result<Config, ConfigError> {
        let root = absolute(dir).map_err(|e| ConfigError::new(dir, e))?;
        if !root.is_dir() {
            return Err(ConfigError::new(dir, "source folder does not exist or is not a directory"));
        }
        Ok(Config {
            build: BuildConfig { build_dir: root.join("book"), low_memory: LowMemory::Auto },
            book: BookConfig {
                title: None,
                description: None,
                language: None,
                authors: Vec::new(),
                src: root.clone(),
            },
            root,
            config_file: None,
            output: OutputConfig::default(),
            check: CheckConfig::default(),
        })
    }

    /// Parses `text`, the contents of `path`; `dir` is the root relative paths resolve against.
    ///
    /// `path` is used as given in errors and made absolute for [`Config::config_file`]. The
    /// content folder (`book.src`) must exist.
    pub fn from_str(dir: &Path, path: &Path, text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            text: Some(text.to_string()),
            range: e.span(),
            message: e.message().trim_end().to_string(),
        })?;
        let err = |range: Range<usize>, message: String| ConfigError::at(path, text, range, message);

        let root = absolute(dir).map_err(|e| ConfigError::new(dir, e))?;
        let config_file = absolute(path).ok();

        // [book]
        let language = match raw.book.language {
            Some(lang) => {
                if !is_language_tag(lang.get_ref()) {
                    return Err(err(
                        lang.span(),
                        format!(
                            "`{}` is not a language tag (expected letters, digits and `-`, like `en-US`)",
                            lang.get_ref()
                        ),
                    ));
                }
                Some(lang.into_inner())
            }
            None => None,
        };
        let src = match &raw.book.src {
            Some(src) => root.join(src.get_ref()),
            None => root.join("content"),
        };
        let src = absolute(&src).unwrap_or(src);
        if !src.is_dir() {
            let what = if src.exists() { "is not a directory" } else { "does not exist" };
            let message = format!("source folder `{}` {what}", src.display());
            return Err(match &raw.book.src {
                Some(s) => err(s.span(), message),
                None => ConfigError {
                    path: path.to_path_buf(),
                    text: Some(text.to_string()),
                    range: None,
                    message: format!("{message} (set `src` in `[book]` to change it)"),
                },
            });
        }
        let book = BookConfig {
            title: raw.book.title,
            description: raw.book.description,
            language,
            authors: raw.book.authors.unwrap_or_default(),
            src,
        };

        // [build]
        let build_dir = root.join(raw.build.build_dir.as_deref().unwrap_or("book"));
        let low_memory = match raw.build.low_memory {
            None => LowMemory::Auto,
            Some(v) => match v.get_ref() {
                RawLowMemory::Switch(true) => LowMemory::On,
                RawLowMemory::Switch(false) => LowMemory::Off,
                RawLowMemory::Word(w) if w == "auto" => LowMemory::Auto,
                RawLowMemory::Word(_) => {
                    return Err(err(
                        v.span(),
                        "`low-memory` must be `true`, `false` or `\"auto\"`".to_string(),
                    ));
                }
            },
        };
        let build = BuildConfig { build_dir: absolute(&build_dir).unwrap_or(build_dir), low_memory };

        // [output.html]
        let defaults = HtmlConfig::default();
        let raw_html = raw.output.html;
        let site_url = match raw_html.site_url {
            Some(url) => Some(normalize_site_url(url.get_ref()).map_err(|m| err(url.span(), m.to_string()))?),
            None => None,
        };
        let iframe_hosts = match raw_html.iframe_hosts {
            Some(hosts) => {
                let mut out = Vec::with_capacity(hosts.len());
                for host in hosts {
                    let h = host.get_ref();
                    if !is_host_name(h) {
                        return Err(err(
                            host.span(),
                            format!("`{h}` is not a host name (write only the host, like `www.youtube.com`)"),
                        ));
                    }
                    out.push(h.to_ascii_lowercase());
                }
                out
            }
            None => defaults.iframe_hosts,
        };
        let search_shards = match raw_html.search_shards {
            Some(n) if !(1..=MAX_SEARCH_SHARDS).contains(n.get_ref()) => {
                return Err(err(n.span(), format!("`search-shards` must be from 1 to {MAX_SEARCH_SHARDS}")));
            }
            Some(n) => Some(*n.get_ref()),
            None => None,
        };
        let html = HtmlConfig {
            enable: raw_html.enable.unwrap_or(defaults.enable),
            theme: match raw_html.theme {
                Some(t) => {
                    let path = root.join(t.get_ref());
                    // A typo here would silently build with the default theme.
                    if !path.is_dir() {
                        return Err(err(
                            t.span(),
                            format!("theme folder `{}` does not exist", path.display()),
                        ));
                    }
                    Some(absolute(&path).unwrap_or(path))
                }
                None => None,
            },
            site_url,
            search: raw_html.search.unwrap_or(defaults.search),
            search_shards,
            iframe_hosts,
        };

        // [output.json]
        let defaults = JsonConfig::default();
        let raw_json = raw.output.json;
        let chunk_target_tokens =
            raw_json.chunk_target_tokens.as_ref().map_or(defaults.chunk_target_tokens, |t| *t.get_ref());
        let chunk_max_tokens =
            raw_json.chunk_max_tokens.as_ref().map_or(defaults.chunk_max_tokens, |t| *t.get_ref());
        if let Some(t) = &raw_json.chunk_target_tokens
            && chunk_target_tokens == 0
        {
            return Err(err(t.span(), "`chunk-target-tokens` must be at least 1".into()));
        }
        if chunk_max_tokens < chunk_target_tokens {
            let message = format!(
                "`chunk-max-tokens` ({chunk_max_tokens}) is less than `chunk-target-tokens` ({chunk_target_tokens})"
            );
            let span = raw_json
                .chunk_max_tokens
                .as_ref()
                .or(raw_json.chunk_target_tokens.as_ref())
                .map(|s| s.span());
            return Err(ConfigError {
                path: path.to_path_buf(),
                text: Some(text.to_string()),
                range: span,
                message,
            });
        }
        let json = JsonConfig {
            enable: raw_json.enable.unwrap_or(defaults.enable),
            llms_full_max_bytes: raw_json.llms_full_max_bytes.unwrap_or(defaults.llms_full_max_bytes),
            chunk_target_tokens,
            chunk_max_tokens,
        };

        // [output.checklist]
        let defaults = ChecklistConfig::default();
        let raw_checklist = raw.output.checklist;
        let checklist = ChecklistConfig {
            enable: raw_checklist.enable.unwrap_or(defaults.enable),
            paper: raw_checklist.paper.unwrap_or(defaults.paper),
            topics: raw_checklist.topics.unwrap_or(defaults.topics),
        };
        let model = ModelConfig { enable: raw.output.model.enable.unwrap_or(false) };

        // [check], [check.rules]
        let mut rules = BTreeMap::new();
        for (name, level) in raw.check.rules {
            let Some(code) = Code::from_name(name.get_ref()) else {
                let mut message = format!("unknown diagnostic code `{}`", name.get_ref());
                if let Some(close) = suggest_code(name.get_ref()) {
                    message.push_str(&format!("; did you mean `{close}`?"));
                }
                return Err(err(name.span(), message));
            };
            rules.insert(code, level);
        }

        // [check.external]
        let defaults = ExternalConfig::default();
        let raw_ext = raw.check.external;
        let timeout_secs = match raw_ext.timeout_secs {
            Some(t) if *t.get_ref() == 0 => {
                return Err(err(t.span(), "`timeout-secs` must be at least 1".into()));
            }
            Some(t) => t.into_inner(),
            None => defaults.timeout_secs,
        };
        let concurrency = match raw_ext.concurrency {
            Some(c) if *c.get_ref() == 0 => {
                return Err(err(c.span(), "`concurrency` must be at least 1".into()));
            }
            Some(c) => c.into_inner(),
            None => defaults.concurrency,
        };
        let external = ExternalConfig {
            enable: raw_ext.enable.unwrap_or(defaults.enable),
            exclude: raw_ext.exclude.unwrap_or(defaults.exclude),
            timeout_secs,
            concurrency,
            cache_max_age_hours: raw_ext.cache_max_age_hours.unwrap_or(defaults.cache_max_age_hours),
        };
        let check = CheckConfig {
            rules,
            absolute_links: raw.check.absolute_links.unwrap_or_default(),
            deny_warnings: raw.check.deny_warnings.unwrap_or(false),
            external,
        };

        Ok(Config {
            root,
            config_file,
            book,
            build,
            output: OutputConfig { html, json, checklist, model },
            check,
        })
    }

    /// The severity a diagnostic code gets under this config: `None` when the rule is `"allow"`;
    /// `"warn"` → Warning, `"deny"` → Error, not configured → [`Code::default_severity`].
    /// With `deny-warnings`, Warning becomes Error (Note stays Note).
    pub fn severity(&self, code: Code) -> Option<Severity> {
        let severity = match self.check.rules.get(&code) {
            Some(Level::Allow) => return None,
            Some(Level::Warn) => Severity::Warning,
            Some(Level::Deny) => Severity::Error,
            None => code.default_severity(),
        };
        if self.check.deny_warnings && severity == Severity::Warning {
            Some(Severity::Error)
        } else {
            Some(severity)
        }
    }
}

fn absolute(path: &Path) -> Result<PathBuf, String> {
    std::path::absolute(path).map_err(|e| format!("cannot make the path absolute: {e}"))
}

/// Loose BCP-47: subtags of 1 to 8 ASCII letters or digits joined by `-`, the first one letters.
fn is_language_tag(tag: &str) -> bool {
    let mut subtags = tag.split('-');
    let first_ok = subtags
        .next()
        .is_some_and(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok && subtags.all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Checks the scheme of a `site-url` and drops trailing slashes.
fn normalize_site_url(url: &str) -> Result<String, &'static str> {
    let has_scheme = |scheme: &str| url.get(..scheme.len()).is_some_and(|s| s.eq_ignore_ascii_case(scheme));
    let scheme_len = if has_scheme("https://") {
        "https://".len()
    } else if has_scheme("http://") {
        "http://".len()
    } else {
        return Err("`site-url` must start with `http://` or `https://`");
    };
    let (scheme, rest) = url.split_at(scheme_len);
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() || rest.starts_with('/') {
        return Err("`site-url` has no host");
    }
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("`site-url` contains white space");
    }
    Ok(format!("{scheme}{rest}"))
}

/// A host name as it appears in a URL: no scheme, path, or white space.
fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

/// The one diagnostic code closest to `name`, if it is within edit distance 2 and no other code
/// is as close.
fn suggest_code(name: &str) -> Option<&'static str> {
    let mut best: Option<(usize, &'static str)> = None;
    let mut tied = false;
    for code in Code::ALL {
        let d = edit_distance(name, code.name());
        if d > 2 {
            continue;
        }
        match best {
            Some((bd, _)) if d > bd => {}
            Some((bd, _)) if d == bd => tied = true,
            _ => {
                best = Some((d, code.name()));
                tied = false;
            }
        }
    }
    if tied { None } else { best.map(|(_, n)| n) }
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(dir: &Path, text: &str) -> Result<Config, ConfigError> {
        Config::from_str(dir, Path::new("book.toml"), text)
    }

    /// A temporary root with a `content` folder.
    fn root() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("content")).unwrap();
        dir
    }

    #[test]
    fn defaults_without_book_toml() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::load(dir.path()).unwrap();
        let root = std::path::absolute(dir.path()).unwrap();
        assert_eq!(config.root, root);
        assert_eq!(config.config_file, None);
        assert_eq!(config.book.src, root);
        assert_eq!(config.book.title, None);
        assert!(config.book.authors.is_empty());
        assert_eq!(config.build.build_dir, root.join("book"));
        assert_eq!(config.output, OutputConfig::default());
        assert!(config.output.html.enable && config.output.html.search);
        assert_eq!(config.output.html.iframe_hosts.len(), 5);
        assert_eq!(config.output.json.llms_full_max_bytes, 4_000_000);
        assert_eq!(config.output.json.chunk_target_tokens, 350);
        assert_eq!(config.output.json.chunk_max_tokens, 800);
        assert_eq!(config.output.checklist.paper, Paper::A4);
        assert_eq!(config.check, CheckConfig::default());
        assert_eq!(config.check.absolute_links, AbsoluteLinks::Ignore);
        assert!(!config.check.external.enable);
        assert_eq!(config.check.external.timeout_secs, 10);
        assert_eq!(config.check.external.concurrency, 8);
        assert_eq!(config.check.external.cache_max_age_hours, 24);
    }

    #[test]
    fn empty_book_toml_uses_content_and_book() {
        let dir = root();
        std::fs::write(dir.path().join("book.toml"), "").unwrap();
        let config = Config::load(dir.path()).unwrap();
        let root = std::path::absolute(dir.path()).unwrap();
        assert_eq!(config.config_file, Some(root.join("book.toml")));
        assert_eq!(config.book.src, root.join("content"));
        assert_eq!(config.build.build_dir, root.join("book"));
    }

    #[test]
    fn missing_folder_and_missing_src() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("nope");
        let e = Config::load(&gone).unwrap_err();
        assert_eq!(e.path, gone);
        assert_eq!(e.range, None);

        // book.toml present, `content` defaulted but absent: no range, names the path.
        std::fs::write(dir.path().join("book.toml"), "[book]\ntitle = \"x\"\n").unwrap();
        let e = Config::load(dir.path()).unwrap_err();
        assert_eq!(e.range, None);
        assert!(e.message.contains("content"), "{e}");

        // `src` from the file: points at the value.
        let text = "[book]\nsrc = \"docs\"\n";
        let e = parse(dir.path(), text).unwrap_err();
        assert_eq!(e.range.clone().map(|r| &text[r]), Some("\"docs\""));
        assert!(e.to_string().starts_with("book.toml:2:7: source folder"), "{e}");
    }

    #[test]
    fn unreadable_book_toml_has_no_range() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("book.toml")).unwrap();
        let e = Config::load(dir.path()).unwrap_err();
        assert_eq!(e.range, None);
        assert_eq!(e.text, None);
        assert!(e.to_string().contains("cannot read"), "{e}");
    }

    #[test]
    fn full_book_toml() {
        let dir = root();
        std::fs::create_dir(dir.path().join("docs")).unwrap();
        std::fs::create_dir(dir.path().join("theme")).unwrap();
        let text = r#"
[book]
title = "Contoso Support"
description = "Troubleshooting"
language = "en-US"
authors = ["Ann", "Bob"]
src = "docs"

[build]
build-dir = "out"

[output.html]
enable = false
theme = "theme"
site-url = "https://support.contoso.com/kb/"
search = false
search-shards = 3
iframe-hosts = ["www.youtube.com", "Example.COM"]

[output.json]
enable = false
llms-full-max-bytes = 1000
chunk-target-tokens = 100
chunk-max-tokens = 200

[output.checklist]
enable = false
paper = "letter"
topics = ["printers", "network"]

[output.model]
enable = true

[check]
absolute-links = "error"
deny-warnings = true

[check.rules]
orphan = "deny"
case-mismatch = "allow"
missing-anchor = "warn"

[check.external]
enable = true
exclude = ["https://intranet/"]
timeout-secs = 5
concurrency = 2
cache-max-age-hours = 1
"#;
        std::fs::write(dir.path().join("book.toml"), text).unwrap();
        let config = Config::load(dir.path()).unwrap();
        let root = std::path::absolute(dir.path()).unwrap();
        let expected = Config {
            root: root.clone(),
            config_file: Some(root.join("book.toml")),
            book: BookConfig {
                title: Some("Contoso Support".into()),
                description: Some("Troubleshooting".into()),
                language: Some("en-US".into()),
                authors: vec!["Ann".into(), "Bob".into()],
                src: root.join("docs"),
            },
            build: BuildConfig { build_dir: root.join("out"), low_memory: LowMemory::Auto },
            output: OutputConfig {
                html: HtmlConfig {
                    enable: false,
                    theme: Some(root.join("theme")),
                    site_url: Some("https://support.contoso.com/kb".into()),
                    search: false,
                    search_shards: Some(3),
                    iframe_hosts: vec!["www.youtube.com".into(), "example.com".into()],
                },
                json: JsonConfig {
                    enable: false,
                    llms_full_max_bytes: 1000,
                    chunk_target_tokens: 100,
                    chunk_max_tokens: 200,
                },
                checklist: ChecklistConfig {
                    enable: false,
                    paper: Paper::Letter,
                    topics: vec!["printers".into(), "network".into()],
                },
                model: ModelConfig { enable: true },
            },
            check: CheckConfig {
                rules: BTreeMap::from([
                    (Code::Orphan, Level::Deny),
                    (Code::CaseMismatch, Level::Allow),
                    (Code::MissingAnchor, Level::Warn),
                ]),
                absolute_links: AbsoluteLinks::Error,
                deny_warnings: true,
                external: ExternalConfig {
                    enable: true,
                    exclude: vec!["https://intranet/".into()],
                    timeout_secs: 5,
                    concurrency: 2,
                    cache_max_age_hours: 1,
                },
            },
        };
        assert_eq!(config, expected);
    }

    #[test]
    fn unknown_key_points_at_its_line() {
        let dir = root();
        let text = "[book]\ntitle = \"x\"\ntitel = \"y\"\n";
        let e = parse(dir.path(), text).unwrap_err();
        let shown = e.to_string();
        assert!(shown.starts_with("book.toml:3:"), "{shown}");
        assert!(shown.contains("titel"), "{shown}");

        // Unknown sections too.
        let e = parse(dir.path(), "[book]\n\n[preprocessor.foo]\n").unwrap_err();
        assert!(e.to_string().starts_with("book.toml:3:"), "{e}");
        let e = parse(dir.path(), "[output.pdf]\nenable = true\n").unwrap_err();
        assert!(e.to_string().starts_with("book.toml:1:"), "{e}");
    }

    #[test]
    fn wrong_type_points_at_its_line() {
        let dir = root();
        let text = "[book]\ntitle = \"x\"\n\n[output.json]\nchunk-max-tokens = \"many\"\n";
        let e = parse(dir.path(), text).unwrap_err();
        assert!(e.to_string().starts_with("book.toml:5:20: "), "{e}");

        let text = "[output.checklist]\npaper = \"legal\"\n";
        let e = parse(dir.path(), text).unwrap_err();
        assert!(e.to_string().starts_with("book.toml:2:9: "), "{e}");

        let text = "[check]\nabsolute-links = true\n";
        let e = parse(dir.path(), text).unwrap_err();
        assert!(e.to_string().starts_with("book.toml:2:"), "{e}");

        // Negative numbers do not fit unsigned fields.
        let text = "[check.external]\n\nconcurrency = -1\n";
        let e = parse(dir.path(), text).unwrap_err();
        assert!(e.to_string().starts_with("book.toml:3:"), "{e}");

        // TOML syntax errors have a position too.
        let e = parse(dir.path(), "[book\n").unwrap_err();
        assert!(e.to_string().starts_with("book.toml:1:"), "{e}");
    }

    #[test]
    fn unknown_rule_name_suggests_the_closest() {
        let dir = root();
        let text = "[check.rules]\norphan = \"allow\"\norphn = \"deny\"\n";
        let e = parse(dir.path(), text).unwrap_err();
        assert_eq!(e.range.clone().map(|r| &text[r]), Some("orphn"));
        assert_eq!(e.to_string(), "book.toml:3:1: unknown diagnostic code `orphn`; did you mean `orphan`?");

        let text = "[check.rules]\nmissing-anchors = \"warn\"\n";
        let e = parse(dir.path(), text).unwrap_err();
        assert!(e.message.ends_with("did you mean `missing-anchor`?"), "{e}");

        let text = "[check.rules]\nspelling = \"warn\"\n";
        let e = parse(dir.path(), text).unwrap_err();
        assert_eq!(e.message, "unknown diagnostic code `spelling`");

        // A bad level points at the value.
        let text = "[check.rules]\norphan = \"error\"\n";
        let e = parse(dir.path(), text).unwrap_err();
        assert!(e.to_string().starts_with("book.toml:2:10: "), "{e}");
    }

    #[test]
    fn severity_follows_rules_and_deny_warnings() {
        let dir = root();
        let text = "[check.rules]\norphan = \"allow\"\nmissing-file = \"warn\"\nno-title = \"deny\"\n";
        let mut config = parse(dir.path(), text).unwrap();
        assert_eq!(config.severity(Code::Orphan), None);
        assert_eq!(config.severity(Code::MissingFile), Some(Severity::Warning));
        assert_eq!(config.severity(Code::NoTitle), Some(Severity::Error));
        // Not configured: the code's default.
        assert_eq!(config.severity(Code::EmptyLink), Some(Severity::Warning));
        assert_eq!(config.severity(Code::MissingAnchor), Some(Severity::Error));

        config.check.deny_warnings = true;
        assert_eq!(config.severity(Code::Orphan), None);
        assert_eq!(config.severity(Code::MissingFile), Some(Severity::Error));
        assert_eq!(config.severity(Code::EmptyLink), Some(Severity::Error));

        // Notes stay notes.
        let config = parse(dir.path(), "[check]\ndeny-warnings = true\n").unwrap();
        assert!(config.check.deny_warnings);
        assert_eq!(config.severity(Code::Orphan), Some(Severity::Note));
    }

    #[test]
    fn language_and_site_url_are_validated() {
        let dir = root();
        let config = parse(dir.path(), "[book]\nlanguage = \"zh-Hant-TW\"\n").unwrap();
        assert_eq!(config.book.language.as_deref(), Some("zh-Hant-TW"));
        for bad in ["en_US", "", "en-", "1en", "en--us", "français"] {
            let text = format!("[book]\nlanguage = \"{bad}\"\n");
            let e = parse(dir.path(), &text).unwrap_err();
            assert!(e.to_string().starts_with("book.toml:2:12: "), "{bad}: {e}");
        }

        let config = parse(dir.path(), "[output.html]\nsite-url = \"http://kb.example//\"\n").unwrap();
        assert_eq!(config.output.html.site_url.as_deref(), Some("http://kb.example"));
        for bad in ["kb.example", "ftp://kb.example", "https://", "https:///x", "https://a b"] {
            let text = format!("[output.html]\nsite-url = \"{bad}\"\n");
            let e = parse(dir.path(), &text).unwrap_err();
            assert!(e.to_string().starts_with("book.toml:2:12: "), "{bad}: {e}");
        }

        let text = "[output.html]\niframe-hosts = [\"https://www.youtube.com/\"]\n";
        let e = parse(dir.path(), text).unwrap_err();
        assert!(e.to_string().starts_with("book.toml:2:17: "), "{e}");
    }

    #[test]
    fn chunk_sizes_and_limits_are_checked() {
        let dir = root();
        let text = "[output.json]\nchunk-target-tokens = 900\n";
        let e = parse(dir.path(), text).unwrap_err();
        assert!(e.to_string().starts_with("book.toml:2:23: "), "{e}");
        let text = "[output.json]\nchunk-target-tokens = 0\nchunk-max-tokens = 10\n";
        assert!(parse(dir.path(), text).is_err());
        let text = "[check.external]\ntimeout-secs = 0\n";
        assert!(parse(dir.path(), text).is_err());
        for shards in ["0", "17"] {
            let e = parse(dir.path(), &format!("[output.html]\nsearch-shards = {shards}\n")).unwrap_err();
            assert_eq!(e.to_string(), "book.toml:2:17: `search-shards` must be from 1 to 16", "{shards}");
        }
        let e = parse(dir.path(), "[build]\nlow-memory = \"yes\"\n").unwrap_err();
        assert_eq!(e.to_string(), "book.toml:2:14: `low-memory` must be `true`, `false` or `\"auto\"`");
    }

    #[test]
    fn low_memory_is_a_switch_or_auto() {
        let dir = root();
        let low = |text: &str| parse(dir.path(), text).map(|c| c.build.low_memory).ok();
        assert_eq!(low(""), Some(LowMemory::Auto));
        assert_eq!(low("[build]\nlow-memory = \"auto\"\n"), Some(LowMemory::Auto));
        assert_eq!(low("[build]\nlow-memory = true\n"), Some(LowMemory::On));
        assert_eq!(low("[build]\nlow-memory = false\n"), Some(LowMemory::Off));
        assert!(
            LowMemory::Auto.applies(LowMemory::AUTO_BYTES + 1)
                && !LowMemory::Auto.applies(LowMemory::AUTO_BYTES)
        );
        assert!(LowMemory::On.applies(0) && !LowMemory::Off.applies(u64::MAX));
    }

    #[test]
    fn line_col_counts_chars() {
        let e = ConfigError {
            path: PathBuf::from("book.toml"),
            text: Some("a = 1\r\nb = \"é\" x\n".into()),
            range: Some(16..17),
            message: "m".into(),
        };
        assert_eq!(e.line_col(), Some((2, 9)));
        assert_eq!(e.to_string(), "book.toml:2:9: m");
        let e = ConfigError { range: Some(999..1000), ..e };
        assert_eq!(e.line_col(), Some((3, 1)));
        let e = ConfigError { text: None, ..e };
        assert_eq!(e.to_string(), "book.toml: m");
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let dir = root();
        std::fs::write(dir.path().join("book.toml"), "\u{feff}[book]\nbad = 1\n").unwrap();
        let e = Config::load(dir.path()).unwrap_err();
        assert!(e.to_string().contains("book.toml:2:1: "), "{e}");
    }
}
