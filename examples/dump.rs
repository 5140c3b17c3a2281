fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let config = kbc::config::Config::load(std::path::Path::new(&dir)).unwrap();
    let book = kbc::Book::load(config).unwrap();
    for (i, _) in book.articles.iter().enumerate() {
        println!("{}", kbc::render::model::article_json(&book, i));
    }
}
