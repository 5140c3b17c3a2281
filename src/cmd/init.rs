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

pub fn run(ui: &Ui, dir: &Path) -> Exit {
    let toml = dir.join("book.toml");
    if toml.exists() {
        eprintln!("error: `{}` already exists; nothing was changed", toml.display());
        return Exit::Failure;
    }
    let content = dir.join("content");
    let result =
        std::fs::create_dir_all(&content).and_then(|_| std::fs::write(&toml, BOOK_TOML)).and_then(|_| {
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
