//! Themes: minijinja templates and static files. The default theme is built into the binary; a user
//! theme folder (`[output.html] theme`) overrides any of its files, and a file it lacks falls back
//! to the default one, as in mdBook.
//!
//! Templates auto-escape (`.html`), run with a fuel limit and a recursion limit so a broken theme
//! fails fast instead of hanging a build, and their errors name the template file and line.

use crate::render::RenderError;
use minijinja::Environment;
use std::path::{Path, PathBuf};

/// Instructions one page may execute (a page of the dev corpus uses a few thousand; the home page
/// of 10,000 articles about a million).
const FUEL: u64 = 20_000_000;
/// Nesting depth for includes, macros, loops and conditions.
const RECURSION_LIMIT: usize = 120;

/// The default theme's templates, by name.
pub const DEFAULT_TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../../themes/default/base.html")),
    ("article.html", include_str!("../../../themes/default/article.html")),
    ("index.html", include_str!("../../../themes/default/index.html")),
    ("404.html", include_str!("../../../themes/default/404.html")),
    ("checklist.html", include_str!("../../../themes/default/checklist.html")),
    ("checklist-index.html", include_str!("../../../themes/default/checklist-index.html")),
    ("partials/head.html", include_str!("../../../themes/default/partials/head.html")),
    ("partials/header.html", include_str!("../../../themes/default/partials/header.html")),
    ("partials/sidebar.html", include_str!("../../../themes/default/partials/sidebar.html")),
    ("partials/footer.html", include_str!("../../../themes/default/partials/footer.html")),
];

/// The default theme's static files, by name under `static/`.
pub const DEFAULT_STATIC: &[(&str, &str)] = &[
    ("kbc.css", include_str!("../../../themes/default/static/kbc.css")),
    ("kbc.js", include_str!("../../../themes/default/static/kbc.js")),
    ("checklist.css", include_str!("../../../themes/default/static/checklist.css")),
];

/// Every file of the default theme with its path inside the theme folder (for `kbc init --theme`).
pub fn default_files() -> Vec<(String, &'static str)> {
    DEFAULT_TEMPLATES
        .iter()
        .map(|(n, t)| (n.to_string(), *t))
        .chain(DEFAULT_STATIC.iter().map(|(n, t)| (format!("static/{n}"), *t)))
        .collect()
}

/// A loaded theme: the template environment and the static files to copy.
pub struct Theme {
    env: Environment<'static>,
    user_dir: Option<PathBuf>,
}

/// Template names never leave the theme folder.
fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains('\\')
        && name.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

impl Theme {
    pub fn load(user_dir: Option<&Path>) -> Theme {
        let mut env = Environment::new();
        env.set_fuel(Some(FUEL));
        env.set_recursion_limit(RECURSION_LIMIT);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        // HTML escaping of `&<>"'` only: minijinja's default also escapes `/`, which makes every
        // URL in an attribute read `a&#x2f;b`.
        env.set_formatter(|out, state, value| {
            if state.auto_escape() == minijinja::AutoEscape::Html
                && !value.is_safe()
                && let Some(s) = value.as_str()
            {
                return out.write_str(&super::sanitize::escape(s)).map_err(minijinja::Error::from);
            }
            minijinja::escape_formatter(out, state, value)
        });
        let dir = user_dir.map(Path::to_path_buf);
        let loader_dir = dir.clone();
        env.set_loader(move |name| {
            if !safe_name(name) {
                return Ok(None);
            }
            if let Some(dir) = &loader_dir {
                let path = dir.join(name);
                match std::fs::read_to_string(&path) {
                    Ok(text) => return Ok(Some(text)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(minijinja::Error::new(
                            minijinja::ErrorKind::TemplateNotFound,
                            format!("cannot read `{}`: {e}", path.display()),
                        ));
                    }
                }
            }
            Ok(DEFAULT_TEMPLATES.iter().find(|(n, _)| *n == name).map(|(_, t)| t.to_string()))
        });
        Theme { env, user_dir: dir }
    }

    /// Where template `name` comes from, for messages.
    pub fn origin(&self, name: &str) -> PathBuf {
        match &self.user_dir {
            Some(dir) if dir.join(name).is_file() => dir.join(name),
            _ => Path::new("themes/default").join(name),
        }
    }

    /// Renders template `name` with `ctx`. Errors name the innermost template file and its line.
    pub fn render(&self, name: &str, ctx: minijinja::Value) -> Result<String, RenderError> {
        let result = self.env.get_template(name).and_then(|t| t.render(ctx));
        result.map_err(|e| self.error(name, &e))
    }

    fn error(&self, name: &str, e: &minijinja::Error) -> RenderError {
        // The innermost error with a position: an include's, or the template's own.
        let mut at: (&str, Option<usize>) = (e.name().unwrap_or(name), e.line());
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            if let Some(inner) = s.downcast_ref::<minijinja::Error>()
                && let Some(n) = inner.name()
            {
                at = (n, inner.line());
            }
            source = s.source();
        }
        let path = self.origin(at.0);
        let mut message = describe(e);
        if !self.user_dir.as_deref().is_some_and(|d| path.starts_with(d)) {
            message.push_str(" (in the built-in default theme)");
        }
        let path = match at.1 {
            Some(line) => PathBuf::from(format!("{}:{line}", path.display())),
            None => path,
        };
        RenderError { path, message }
    }

    /// Static files to write under `_kbc/`: the default ones, each replaced by the user theme's
    /// `static/<name>` when it has one, plus any other file in that folder.
    pub fn static_files(&self) -> Result<Vec<(String, Vec<u8>)>, RenderError> {
        let mut out: Vec<(String, Vec<u8>)> =
            DEFAULT_STATIC.iter().map(|(n, t)| (n.to_string(), t.as_bytes().to_vec())).collect();
        let Some(dir) = &self.user_dir else { return Ok(out) };
        let dir = dir.join("static");
        if !dir.is_dir() {
            return Ok(out);
        }
        for entry in walkdir::WalkDir::new(&dir).sort_by_file_name().follow_links(false) {
            let entry = entry.map_err(|e| RenderError { path: dir.clone(), message: e.to_string() })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = match entry.path().strip_prefix(&dir) {
                Ok(r) => crate::source::slash_path(r),
                Err(_) => continue,
            };
            let bytes = std::fs::read(entry.path()).map_err(|e| RenderError::io(entry.path(), e))?;
            match out.iter_mut().find(|(n, _)| *n == rel) {
                Some(slot) => slot.1 = bytes,
                None => out.push((rel, bytes)),
            }
        }
        Ok(out)
    }
}

/// The error's kind and detail, without minijinja's own "(in template:line)" suffix.
fn describe(e: &minijinja::Error) -> String {
    match e.detail() {
        Some(d) => format!("{}: {d}", e.kind()),
        None => e.kind().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    fn theme_with(files: &[(&str, &str)]) -> (tempfile::TempDir, Theme) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let theme = Theme::load(Some(dir.path()));
        (dir, theme)
    }

    #[test]
    fn user_templates_override_and_missing_ones_fall_back() {
        let (_dir, theme) = theme_with(&[("404.html", "custom {{ x }}")]);
        assert_eq!(theme.render("404.html", context! { x => "<b>" }).unwrap(), "custom &lt;b&gt;");
        // Not in the user theme: the default one loads.
        assert!(theme.env.get_template("article.html").is_ok());
        assert!(theme.env.get_template("../secret.html").is_err());
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let (dir, theme) = theme_with(&[("404.html", "a\nb\n{{ 1 + }}\n")]);
        let e = theme.render("404.html", context! {}).unwrap_err();
        let shown = e.to_string();
        assert!(shown.starts_with(&format!("{}:3: ", dir.path().join("404.html").display())), "{shown}");
        assert!(shown.contains("syntax error"), "{shown}");

        let (dir, theme) = theme_with(&[
            ("404.html", "x\n{% include \"partials/bad.html\" %}"),
            ("partials/bad.html", "\n\n{{ nope(1) }}"),
        ]);
        let e = theme.render("404.html", context! {}).unwrap_err();
        assert!(
            e.to_string().starts_with(&format!("{}:3: ", dir.path().join("partials/bad.html").display())),
            "{e}"
        );
    }

    #[test]
    fn runaway_templates_stop() {
        let (_dir, theme) = theme_with(&[(
            "404.html",
            "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}",
        )]);
        // 10^10 iterations: only the fuel limit makes this return at all.
        let e = theme.render("404.html", context! {}).unwrap_err();
        assert!(e.to_string().contains("fuel"), "{e}");

        let (_dir, theme) =
            theme_with(&[("404.html", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}")]);
        let e = theme.render("404.html", context! {}).unwrap_err();
        assert!(e.to_string().contains("recursion"), "{e}");
    }
}
