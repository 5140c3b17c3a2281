//! Any bytes, read as (lossy) UTF-8 Markdown: parsing never panics, the model's text can be
//! extracted, and its diagnostics can be drawn.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (article, diags, sources) = kbc::parse::parse_text("a.md", &text);
    let _ = article.full_text();
    let len = sources.get(article.file).len() as u32;
    for d in &diags {
        if let Some(span) = d.span {
            assert!(span.start <= span.end && span.end <= len, "span out of bounds: {d:?}");
        }
    }
    let cwd = std::path::Path::new("/");
    let opts = kbc::diag::render::RenderOptions { format: kbc::diag::render::Format::Human, color: false, cwd };
    let _ = kbc::diag::render::render(&diags, &sources, &opts);
});
