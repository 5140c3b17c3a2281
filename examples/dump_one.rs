fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let (a, d, _) = kbc::parse::parse_text("x.md", &text);
    println!("{}", serde_json::to_string_pretty(&a).unwrap());
    eprintln!("{d:#?}");
    println!("{}", a.full_text());
}
