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
    /// Prints the book's diagnostics that this terminal shows (errors always, warnings unless
    /// quiet, notes when verbose) in `format`: machine formats to stdout so they can be piped,
    /// people's to stderr. Each is written as it is rendered.
    pub fn print_diagnostics(&self, book: &Book, format: Format) {
        let shown: Vec<&Diagnostic> = book.diagnostics.iter().filter(|d| self.shows(d)).collect();
        let cwd = std::env::current_dir().unwrap_or_default();
        let opts = RenderOptions { format, color: self.color, cwd: &cwd };
        let out: Box<dyn std::io::Write> = match format {
            Format::Json | Format::Sarif | Format::Github => Box::new(std::io::stdout().lock()),
            Format::Human => Box::new(std::io::stderr().lock()),
        };
        let mut out = std::io::BufWriter::new(out);
        // A closed pipe (`kbc check | head`) is the reader's choice; the exit code still tells.
        let _ = render::write(&shown, &book.content.sources, &opts, &mut out);
        let _ = std::io::Write::flush(&mut out);
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
        let opts = RenderOptions { format, color: self.color, cwd: &cwd };
        render::render(diags, &book.content.sources, &opts)
    }
}
