//! Any bytes, read as (lossy) UTF-8, as a file that may start with YAML front matter: reading it
//! never panics, and every span stays inside the text.
#![no_main]

use kbc::source::FileId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let fm = kbc::parse::front_matter::parse(FileId(0), &text);
    assert!(fm.body_start <= text.len());
    assert!(text.is_char_boundary(fm.body_start));
    for d in &fm.diagnostics {
        if let Some(span) = d.span {
            assert!(span.start <= span.end && span.end as usize <= text.len(), "span out of bounds: {d:?}");
        }
    }
});
