//! (temporary stand-in; replaced by the real navigation parser)
use crate::diag::Diagnostic;
use crate::model::LinkTarget;
use crate::source::{FileId, Span};
pub struct NavLink {
    pub dest: String,
    pub target: LinkTarget,
    pub span: Span,
}
pub struct NavItem {
    pub title: String,
    pub href: Option<NavLink>,
    pub children: Vec<NavItem>,
    pub span: Span,
}
pub struct Nav {
    pub file: FileId,
    pub items: Vec<NavItem>,
}
impl Nav {
    pub fn links(&self) -> Vec<&NavLink> {
        Vec::new()
    }
}
pub fn parse_toc_md(file: FileId, _text: &str) -> (Nav, Vec<Diagnostic>) {
    (Nav { file, items: Vec::new() }, Vec::new())
}
pub fn parse_toc_yml(file: FileId, _text: &str) -> (Nav, Vec<Diagnostic>) {
    (Nav { file, items: Vec::new() }, Vec::new())
}
pub fn is_nav_file(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "toc.md" || n == "toc.yml" || n == "toc.yaml"
}
