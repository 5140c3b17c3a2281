//! kbc: a knowledge-base content compiler for DocFX-flavoured troubleshooting Markdown.
//!
//! The pipeline, one module per step:
//! [`config`] → [`load`] → [`parse`] (events → [`model`]) → [`resolve`] → [`check`] → `render`.
//! [`external`] checks `http(s)` links over the network when asked to.
//! [`build`] runs it; the binary's `cmd/` modules are glue.
//! [`kb`] answers questions from the published JSON (`kbc mcp`, `kbc ask`).
//! [`build`] runs it; [`incremental`] lets renderers reuse a previous build's work; the binary's
//! `cmd/` modules are glue.

pub mod build;
pub mod check;
pub mod config;
pub mod diag;
pub mod external;
pub mod incremental;
pub mod kb;
pub mod load;
pub mod memory;
pub mod model;
pub mod nav;
pub mod output;
pub mod parse;
pub mod render;
pub mod resolve;
#[cfg(feature = "serve")]
pub mod serve;
pub mod source;
#[cfg(test)]
mod test_corpus;

pub use build::Book;
