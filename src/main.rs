//! The `kbc` command line. Each subcommand lives in `cmd/`; this file only parses arguments.

mod cmd;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc: the model is millions of small strings and vectors, and glibc's malloc and free were a
/// fifth of the model build's instructions; with mimalloc the build does a sixth fewer (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "kbc", version, about = "Compile a DocFX-flavoured troubleshooting knowledge base")]
struct Cli {
    /// Print only errors.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print notes and timings too.
    #[arg(long, short, global = true)]
    verbose: bool,
    /// When to use colours.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Check the content and write the outputs to the build directory.
    Build {
        /// A folder with a book.toml, or a plain folder of Markdown.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Where to write (default: `build-dir` of book.toml, else `book` under DIR).
        #[arg(long, short)]
        dest: Option<PathBuf>,
        #[command(flatten)]
        check: cmd::CheckArgs,
    },
    /// Check the content without writing anything.
    Check {
        /// A folder with a book.toml, or a plain folder of Markdown.
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        check: cmd::CheckArgs,
    },
    /// Print the JSON Schemas of the chatbot output (`api/v1/`), all of them or one by name.
    Schema {
        /// `manifest`, `article`, `troubleshooting-entry` or `chunk`.
        name: Option<String>,
    },
    /// Create a book.toml and a content folder with a sample article.
    Init {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Also copy the default HTML theme into `theme/` for editing (beside an existing book.toml too).
        #[arg(long)]
        theme: bool,
    },
    /// Serve the knowledge base to assistants: a Model Context Protocol server over stdio.
    #[cfg(feature = "mcp")]
    Mcp {
        /// A folder with a book.toml, or a plain folder of Markdown (built in memory).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Serve a build directory written by `kbc build` instead of building DIR.
        #[arg(long, value_name = "BUILD_DIR")]
        site: Option<PathBuf>,
    },
    /// Look up an error message: the matching troubleshooting entries as a checklist.
    Ask {
        /// The error message or symptom, as the user sees it.
        text: String,
        /// A folder with a book.toml, or a plain folder of Markdown (built in memory).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Read a build directory written by `kbc build` instead of building DIR.
        #[arg(long, value_name = "BUILD_DIR")]
        site: Option<PathBuf>,
        /// Print the ranked entries as JSON (the `lookup_error` tool's result).
        #[arg(long)]
        json: bool,
        /// How many entries at most.
        #[arg(long, short = 'n', default_value_t = 3)]
        limit: usize,
    },
    /// Build, serve the site on 127.0.0.1 and rebuild and reload open pages on every change.
    #[cfg(feature = "serve")]
    Serve {
        /// A folder with a book.toml, or a plain folder of Markdown.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Where to write (default: `build-dir` of book.toml, else `book` under DIR).
        #[arg(long, short)]
        dest: Option<PathBuf>,
        /// The port to listen on (0: any free port).
        #[arg(long, short, default_value_t = 3000)]
        port: u16,
        /// Open the site in the default browser.
        #[arg(long)]
        open: bool,
    },
    /// Build, then rebuild on every change of the content, the theme or book.toml.
    #[cfg(feature = "serve")]
    Watch {
        /// A folder with a book.toml, or a plain folder of Markdown.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Where to write (default: `build-dir` of book.toml, else `book` under DIR).
        #[arg(long, short)]
        dest: Option<PathBuf>,
    },
    /// Show how kbc reads one Markdown file (for debugging content or kbc itself).
    #[command(subcommand)]
    Debug(DebugCommand),
}

#[derive(Subcommand)]
enum DebugCommand {
    /// The pulldown-cmark events of a file, with byte ranges and line:column.
    Events { file: PathBuf },
    /// The model of a file parsed on its own (includes are not expanded), as JSON.
    Model { file: PathBuf },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            use std::io::IsTerminal;
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let ui = cmd::Ui { quiet: cli.quiet, verbose: cli.verbose, color };
    let code = match cli.command {
        Command::Build { dir, dest, check } => cmd::build::run(&ui, &dir, dest.as_deref(), &check, true),
        Command::Check { dir, check } => cmd::build::run(&ui, &dir, None, &check, false),
        #[cfg(feature = "serve")]
        Command::Serve { dir, dest, port, open } => cmd::serve::run(&ui, &dir, dest.as_deref(), port, open),
        #[cfg(feature = "serve")]
        Command::Watch { dir, dest } => cmd::watch::run(&ui, &dir, dest.as_deref()),
        Command::Init { dir, theme } => cmd::init::run(&ui, &dir, theme),
        Command::Debug(DebugCommand::Events { file }) => cmd::debug::events(&file),
        Command::Debug(DebugCommand::Model { file }) => cmd::debug::model(&file),
        Command::Schema { name } => cmd::schema::run(name.as_deref()),
        #[cfg(feature = "mcp")]
        Command::Mcp { dir, site } => cmd::mcp::run(&ui, &dir, site.as_deref()),
        Command::Ask { text, dir, site, json, limit } => {
            cmd::ask::run(&ui, &text, &dir, site.as_deref(), json, limit)
        }
    };
    ExitCode::from(code as u8)
}
