use kbc::config::Config;
fn main() {
    let mode = std::env::args().nth(1).unwrap();
    let roots: Vec<_> = std::fs::read_dir("../shared/corpus/dev")
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    let mut n = 0usize;
    for r in roots {
        let config = Config::load(&r).unwrap();
        let content = kbc::load::load(&config.book.src, None).unwrap();
        let inc = content.include_context();
        for f in content.articles() {
            if mode == "floor" {
                for ev in pulldown_cmark::Parser::new_ext(&content.sources.get(f).text, kbc::parse::options())
                    .into_offset_iter()
                {
                    n += std::hint::black_box(&ev).1.start & 1;
                }
            } else if mode == "model" {
                let loc = content.default_locale(None, f);
                let input = kbc::parse::ParseInput {
                    sources: &content.sources,
                    includes: &inc,
                    default_locale: &loc,
                };
                let (a, d) = kbc::parse::parse_article(&input, f);
                n += a.links.len() + d.len();
            }
        }
    }
    println!("{n}");
}
