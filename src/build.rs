//! The pipeline: load, parse, resolve, check, render.

/// A loaded, parsed and resolved knowledge base.
pub struct Book {}
