//! The parser never panics, whatever it is given.

use proptest::prelude::*;

/// Pieces of DocFX Markdown, combined at random into documents that exercise the builder's paths.
fn markdownish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("---\ntitle: T\nms.date: 01/02/2017\n---\n".to_string()),
        Just("# Heading\n".to_string()),
        Just("## \n<a name=\"x\"> </a>\n".to_string()),
        Just("> [!NOTE]\n> note\n".to_string()),
        Just("> [!div class=\"x\"]\n> - [a](b.md)\n".to_string()),
        Just("|**原因**|**解决方法**|\n|:-|:-|\n|a <br/> b|[fix](#x) <br/>|\n".to_string()),
        Just("1. step\n   1. sub\n2. step\n".to_string()),
        Just("[!INCLUDE[t](x.md)]\n".to_string()),
        Just("text [!INCLUDE[t](x.md)] more\n".to_string()),
        Just(":::image type=\"content\" source=\"a.png\" alt-text=\"A\":::\n".to_string()),
        Just(":::zone pivot=\"a\"\n".to_string()),
        Just(":::zone-end\n".to_string()),
        Just("<a name=\"y\"></a><span id='z'>\n".to_string()),
        Just("[ref]: http://x\n[a][ref] [b][missing] [c]\n".to_string()),
        Just("```ps\n$x | y\n```\n".to_string()),
        Just("\u{97}\r\n".to_string()),
        Just("[^1]\n\n[^1]: foot\n".to_string()),
        "[ -~\u{4e00}-\u{4e10}\n]{0,40}",
    ];
    prop::collection::vec(piece, 0..30).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = kbc::parse::parse_text("a.md", &text);
    }

    #[test]
    fn markdownish_documents_never_panic_and_spans_stay_in_bounds(text in markdownish()) {
        let (article, diags, sources) = kbc::parse::parse_text("a.md", &text);
        let len = sources.get(article.file).len() as u32;
        for a in &article.anchors {
            prop_assert!(a.span.end <= len && a.span.start <= a.span.end);
        }
        for l in &article.links {
            prop_assert!(l.dest_span.end <= len && l.span.end <= len);
        }
        for d in &diags {
            if let Some(s) = d.span {
                prop_assert!(s.end <= len);
                let _ = sources.line_col(s);
            }
        }
        let _ = article.full_text();
    }
}

#[test]
fn deep_nesting_is_fine() {
    let quotes = ">".repeat(10_000) + " deep\n";
    let _ = kbc::parse::parse_text("q.md", &quotes);
    let lists: String = (0..2_000).map(|i| format!("{}- item\n", "  ".repeat(i))).collect();
    let _ = kbc::parse::parse_text("l.md", &lists);
}
