//! kbc's integration tests, one test binary: each module below was its own binary once, but every binary
//! links kbc and its dependencies again (about 200 MB each in a debug build), which filled CI's disk.

mod common;
mod site;

mod browser;
mod checklist;
mod cli;
mod corpus;
mod diagnostics;
mod external;
mod hostile;
mod html;
mod incremental;
mod json;
mod low_memory;
mod mcp;
mod oracle;
mod robustness;
mod seed;
#[cfg(feature = "serve")]
mod serve;
