//! Renderers: read the resolved model, write outputs.
