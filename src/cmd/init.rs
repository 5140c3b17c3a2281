//! `kbc init`: a book.toml and a content folder to start from.

use super::{Exit, Ui};
use std::path::Path;

const BOOK_TOML: &str = r#"[book]
title = "Knowledge base"
language = "en-US"
src = "content"

[build]
build-dir = "book"
"#;

const SAMPLE: &str = r#"---
title: Troubleshoot sign-in errors
description: Common causes of sign-in errors and how to resolve them.
ms.date: 01/01/2026
ms.topic: troubleshooting
---

# Troubleshoot sign-in errors

Most sign-in problems have a few common causes.

## Common causes
<a name="common-causes"> </a>

|**Possible cause**|**Resolution**|
|:-----|:-----|
|Wrong password|Reset the password. See [Reset a password](#reset-a-password).|

## Reset a password

1. Open the admin center.
2. Select the user, then **Reset password**.
"#;

pub fn run(ui: &Ui, dir: &Path, theme: bool) -> Exit {
    let toml = dir.join("book.toml");
    if theme {
        // The default theme, to edit: into `theme/`, next to an existing book.toml or a new one.
        let theme_dir = dir.join("theme");
        if std::fs::read_dir(&theme_dir).is_ok_and(|mut d| d.next().is_some()) {
            eprintln!(
                "error: `{}` already exists and is not empty; nothing was changed",
                theme_dir.display()
            );
            return Exit::Failure;
        }
        if let Err(e) = write_theme(&theme_dir) {
            eprintln!("error: cannot write the theme to `{}`: {e}", theme_dir.display());
            return Exit::Failure;
        }
        if !ui.quiet {
            eprintln!("created `{}` (the default theme)", theme_dir.display());
        }
        if toml.exists() {
            if !ui.quiet {
                eprintln!(
                    "note: to use it, add to `{}`:\n\n[output.html]\ntheme = \"theme\"",
                    toml.display()
                );
            }
            return Exit::Success;
        }
    } else if toml.exists() {
        eprintln!("error: `{}` already exists; nothing was changed", toml.display());
        return Exit::Failure;
    }
    let book_toml = if theme {
        format!("{BOOK_TOML}\n[output.html]\ntheme = \"theme\"\n")
    } else {
        BOOK_TOML.to_string()
    };
    let content = dir.join("content");
    let result =
        std::fs::create_dir_all(&content).and_then(|_| std::fs::write(&toml, book_toml)).and_then(|_| {
            let sample = content.join("troubleshoot-sign-in.md");
            if sample.exists() { Ok(()) } else { std::fs::write(sample, SAMPLE) }
        });
    match result {
        Ok(()) => {
            if !ui.quiet {
                eprintln!("created `{}` and `{}`", toml.display(), content.display());
            }
            Exit::Success
        }
        Err(e) => {
            eprintln!("error: cannot initialise `{}`: {e}", dir.display());
            Exit::Failure
        }
    }
}

/// Writes every file of the built-in default theme under `dir`.
fn write_theme(dir: &Path) -> std::io::Result<()> {
    for (name, text) in kbc::render::html::theme::default_files() {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    Ok(())
}
