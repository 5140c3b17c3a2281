//! Markdown → model. The one place that decides pulldown-cmark options and recognises DocFX extensions.

pub mod front_matter;
pub mod html;
pub mod link;
pub mod slug;
