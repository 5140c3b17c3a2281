//! `kbc debug events|model FILE`: what kbc sees in one file.

use super::Exit;
use std::path::Path;

fn read(file: &Path) -> Option<String> {
    match std::fs::read(file) {
        Ok(bytes) => Some(String::from_utf8_lossy(kbc::load::split_bom(&bytes).0).into_owned()),
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", file.display());
            None
        }
    }
}

pub fn events(file: &Path) -> Exit {
    let Some(text) = read(file) else { return Exit::Failure };
    // The body only, as kbc parses it; ranges are offsets in the whole file.
    let body_start = kbc::parse::front_matter::parse(kbc::source::FileId(0), &text).body_start;
    let body = text.get(body_start..).unwrap_or("");
    let source =
        kbc::source::SourceFile::new(file.display().to_string(), file.to_path_buf(), text.clone(), false);
    let parser = pulldown_cmark::Parser::new_ext(body, kbc::parse::options());
    for (event, range) in pulldown_cmark::TextMergeWithOffset::new(parser.into_offset_iter()) {
        let range = range.start + body_start..range.end + body_start;
        let at = source.line_col(range.start);
        println!("{}:{} {:?} {:?}", at.line, at.col, range, event);
    }
    Exit::Success
}

pub fn model(file: &Path) -> Exit {
    let Some(text) = read(file) else { return Exit::Failure };
    let name = file.file_name().map_or_else(|| "file.md".to_string(), |n| n.to_string_lossy().into_owned());
    let (article, diags, sources) = kbc::parse::parse_text(&name, &text);
    match serde_json::to_string_pretty(&article) {
        Ok(json) => println!("{json}"),
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Failure;
        }
    }
    for d in diags {
        let at = d.span.map(|s| sources.location(s)).unwrap_or_default();
        eprintln!("{} {} {at}: {}", d.severity, d.code, d.message);
    }
    Exit::Success
}
