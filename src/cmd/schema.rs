//! `kbc schema`: prints the JSON Schemas of the chatbot output.

use super::Exit;

/// Prints one schema (by name: `article`, or file name: `article.schema.json`), or all of them as
/// one JSON object keyed by file name.
pub fn run(name: Option<&str>) -> Exit {
    let schemas = kbc::render::json::schemas();
    let value = match name {
        None => serde_json::Value::Object(schemas.into_iter().map(|(f, s)| (f.to_string(), s)).collect()),
        Some(name) => {
            let wanted =
                if name.ends_with(".schema.json") { name.to_string() } else { format!("{name}.schema.json") };
            match schemas.into_iter().find(|(f, _)| *f == wanted) {
                Some((_, s)) => s,
                None => {
                    let known: Vec<&str> = kbc::render::json::schemas()
                        .iter()
                        .map(|(f, _)| f.trim_end_matches(".schema.json"))
                        .collect();
                    eprintln!("error: no schema named `{name}`; known: {}", known.join(", "));
                    return Exit::Failure;
                }
            }
        }
    };
    match kbc::render::json::pretty(&value) {
        Ok(text) => {
            print!("{text}");
            Exit::Success
        }
        Err(e) => {
            eprintln!("error: {e}");
            Exit::Failure
        }
    }
}
