//! A small knowledge base made from the input: the bytes are split at NUL bytes into up to five
//! files, `a.md`, `sub/b.md`, `includes/c.md`, `toc.yml` and `sub/TOC.md`, written to a temporary folder and run
//! through the whole pipeline (load, parse with includes, resolve, check); the diagnostics are drawn
//! in every format. Nothing may panic, and every span must lie inside its file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const NAMES: [&str; 5] = ["a.md", "sub/b.md", "includes/c.md", "toc.yml", "sub/TOC.md"];

fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("sub")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join("includes")).expect("mkdir");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let root = dir().path();
    let mut parts = data.splitn(NAMES.len(), |&b| b == 0);
    for name in NAMES {
        let path = root.join(name);
        match parts.next() {
            Some(bytes) => std::fs::write(&path, bytes).expect("write"),
            None => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let config = kbc::config::Config::load(root).expect("config of a folder without book.toml");
    let book = kbc::Book::load(config).expect("load");
    for d in &book.diagnostics {
        for span in d.span.iter().chain(d.secondary.iter().map(|l| &l.span)) {
            let len = book.content.sources.get(span.file).len() as u32;
            assert!(span.start <= span.end && span.end <= len, "span out of bounds: {d:?}");
        }
    }
    use kbc::diag::render::{Format, RenderOptions, render};
    for format in [Format::Human, Format::Json, Format::Github, Format::Sarif] {
        let opts = RenderOptions { format, color: false, cwd: root };
        let _ = render(&book.diagnostics, &book.content.sources, &opts);
    }
});
