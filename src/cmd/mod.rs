//! Subcommands: glue between the command line and the library.

pub mod ask;
pub mod build;
pub mod debug;
pub mod init;
#[cfg(feature = "mcp")]
pub mod mcp;
pub mod schema;
#[cfg(feature = "serve")]
pub mod serve;
#[cfg(feature = "serve")]
pub mod watch;

use kbc::Book;
use kbc::diag::render::{self, Format, RenderOptions};
use kbc::diag::{Diagnostic, Severity};

/// Exit codes, documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success = 0,
    /// The content has errors.
    ContentErrors = 1,
    /// Usage, configuration or IO failure.
    Failure = 2,
}

/// How to talk to the person at the terminal.
pub struct Ui {
    pub quiet: bool,
    pub verbose: bool,
    pub color: bool,
}

#[derive(clap::Args)]
pub struct CheckArgs {
    /// Output format for diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Treat every warning as an error.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Also check http(s) links over the network (as `[check.external] enable = true`).
    #[arg(long)]
    pub external: bool,
}

impl Ui {
    /// The book's diagnostics that this terminal shows (errors always, warnings unless quiet, notes
    /// when verbose), rendered in `format`.
    pub fn diagnostics(&self, book: &Book, format: Format) -> String {
        let shown: Vec<&Diagnostic> = book.diagnostics.iter().filter(|d| self.shows(d)).collect();
        self.render(book, &shown, format)
    }

    /// Whether `d` is printed at this verbosity.
    pub fn shows(&self, d: &Diagnostic) -> bool {
        match d.severity {
            Severity::Error => true,
            Severity::Warning => !self.quiet,
            Severity::Note => self.verbose,
        }
    }

    /// `diags`, of `book`, as `format`.
    pub fn render(&self, book: &Book, diags: &[&Diagnostic], format: Format) -> String {
        let cwd = std::env::current_dir().unwrap_or_default();
        let shown: Vec<Diagnostic> = diags.iter().map(|&d| d.clone()).collect();
        let opts = RenderOptions { format, color: self.color, cwd: &cwd };
        render::render(&shown, &book.content.sources, &opts)
    }
}
