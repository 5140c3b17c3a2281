//! Renderers: pure functions from the resolved model to files. They never re-parse Markdown.

pub mod model;
