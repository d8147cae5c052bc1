//! The command line of `oj` (outputs.md): parsing, logging set-up, the commands (`commands`,
//! [`demo`]) and their exit codes 0/1/2/3 ([`error`]). A command returns its outcome (0, or 1 for
//! a failing check it was asked to run) or a typed error, printed once with its whole chain by
//! [`main`]; data goes to files.

mod commands;
pub mod demo;
pub mod error;

pub use commands::check_gate;
pub(crate) use commands::run_year;
pub use error::CliError;

use crate::exit::ExitStatus;
use crate::session::SessionOptions;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Öppna jämförelser – ekonomiskt bistånd: the yearly indicator pipeline.
#[derive(Debug, Parser)]
#[command(name = "oj", version, about)]
pub struct Cli {
    /// Folder holding pipelines/, data-contracts/ and sql/.
    #[arg(long, global = true, default_value = ".")]
    pub project: PathBuf,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub(crate) log_format: LogFormat,
    /// Memory the query engine may use, e.g. 1GiB, 4GiB, 512MiB.
    #[arg(long, global = true, default_value = "1GiB", value_parser = parse_bytes)]
    pub(crate) memory_limit: usize,
    /// Where the query engine spills when memory runs short (default: the system temp folder).
    #[arg(long, global = true)]
    pub(crate) spill_dir: Option<PathBuf>,
    /// OpenLineage run events of every stage that runs: a file (one JSON object a line,
    /// appended) or an http(s) URL (each event POSTed). Default: the environment variable
    /// OJ_LINEAGE.
    #[arg(long, global = true, value_name = "FILE|URL")]
    pub lineage: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

/// Log output formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate realistic drops and run the whole pipeline for each year.
    Demo(DemoArgs),
    /// Write synthetic drops only.
    Synth(SynthArgs),
    /// Run the pipeline for a year.
    Run(RunArgs),
    /// Check pipelines/, sql/ and data-contracts/ without touching data.
    Validate,
    /// Show what `run` would do and why.
    Plan(RunArgs),
    /// Run the data-quality checks of one stage boundary.
    Check(CheckArgs),
    /// What changed between two releases of a year.
    Diff(DiffArgs),
    /// A one-page HTML profile of one kommun or stadsdel.
    Report(ReportArgs),
    /// The intruder audit of a published release against the declared relations.
    Audit(AuditArgs),
    /// Remove abandoned run-scoped files and incomplete release folders from a lake.
    Gc(GcArgs),
    /// Break the lease of a year whose run is gone (after a crash on another host).
    Unlock(UnlockArgs),
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[arg(long)]
    pub year: i64,
    #[arg(long)]
    pub lake: String,
    /// The release to audit, e.g. v002 (default: the current one).
    pub version: Option<String>,
}

#[derive(Debug, Args)]
pub struct GcArgs {
    #[arg(long)]
    pub lake: String,
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    #[arg(long)]
    pub year: i64,
    #[arg(long)]
    pub lake: String,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[arg(long, default_value = "./oj-demo")]
    pub dir: PathBuf,
    #[arg(long, default_value = "2015..2017", value_parser = parse_years)]
    pub years: (i64, i64),
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_parser = parse_years)]
    pub years: Option<(i64, i64)>,
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    #[arg(long, default_value_t = 2017)]
    pub seed: u64,
    /// Defects to inject, comma-separated; `list` lists them.
    #[arg(long, value_delimiter = ',')]
    pub faults: Vec<String>,
}

#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    #[arg(long)]
    pub year: i64,
    /// The drops folder (`<drops>/<year>/…`); it must exist.
    #[arg(long)]
    pub drops: String,
    /// The lake; `run` creates a new one, `plan` reads an existing one.
    #[arg(long)]
    pub lake: String,
    /// Run only this stage.
    #[arg(long, conflicts_with = "from")]
    pub stage: Option<String>,
    /// Run this stage and every stage after it.
    #[arg(long)]
    pub from: Option<String>,
    /// Run selected stages even when their inputs are unchanged.
    #[arg(long)]
    pub force: bool,
    /// Only show what would run.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[arg(long)]
    pub year: i64,
    #[arg(long)]
    pub stage: String,
    /// The lake whose data the gate checks; it must exist.
    #[arg(long)]
    pub lake: String,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[arg(long)]
    pub year: i64,
    /// The lake; it must exist.
    #[arg(long)]
    pub lake: String,
    /// Two release versions, e.g. v001 v002 (default: the last two).
    pub versions: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[arg(long)]
    pub year: i64,
    #[arg(long)]
    pub region: String,
    /// The lake; it must exist.
    #[arg(long)]
    pub lake: String,
    /// Where to write the HTML (default: `profil_<region>_<year>.html`).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn parse_years(s: &str) -> Result<(i64, i64), String> {
    let (a, b) = s.split_once("..").unwrap_or((s, s));
    let a: i64 = a
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a year range like 2015..2017"))?;
    let b: i64 = b
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a year range like 2015..2017"))?;
    if a > b {
        return Err(format!("`{s}`: the first year is after the last"));
    }
    Ok((a, b))
}

fn parse_bytes(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let units = [
        ("GiB", 1usize << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
        ("G", 1 << 30),
        ("M", 1 << 20),
        ("B", 1),
    ];
    for (suffix, factor) in units {
        if let Some(n) = t.strip_suffix(suffix) {
            let v: f64 = n
                .trim()
                .parse()
                .map_err(|_| format!("`{s}` is not a size like 4GiB"))?;
            return Ok((v * factor as f64) as usize);
        }
    }
    t.parse()
        .map_err(|_| format!("`{s}` is not a size like 4GiB"))
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("OJ_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    crate::progress::enable(crate::progress::wanted(
        matches!(format, LogFormat::Json),
        terminal,
    ));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(terminal)
        .with_writer(|| crate::progress::Stderr);
    let _ = match format {
        LogFormat::Human => builder.event_format(crate::events::Human).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Runs the command line; returns the process exit code. `before_threads` is called with the
/// engine's memory limit (`--memory-limit`) once the command line is read and before any thread
/// is started (the binary tunes its allocator there).
pub fn main(before_threads: impl FnOnce(usize)) -> ExitCode {
    let cli = Cli::parse();
    before_threads(cli.memory_limit);
    init_logging(cli.log_format);
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)
        .and_then(|runtime| runtime.block_on(dispatch(cli)));
    let status = match outcome {
        Ok(status) => status,
        Err(e) => {
            error::report(&e);
            e.exit_status()
        }
    };
    ExitCode::from(status.code() as u8)
}

async fn dispatch(cli: Cli) -> Result<ExitStatus, CliError> {
    let options = SessionOptions {
        memory_limit: cli.memory_limit,
        spill_dir: cli.spill_dir.clone(),
        ..SessionOptions::default()
    };
    let project = || crate::pipeline::load_project(&cli.project).map_err(CliError::from);
    let lineage = || crate::lineage::Lineage::from_flag_or_env(cli.lineage.as_deref());
    match &cli.command {
        Command::Validate => commands::validate(&project()?),
        Command::Run(args) | Command::Plan(args) => {
            let dry_run = args.dry_run || matches!(cli.command, Command::Plan(_));
            run_year(&project()?, args, dry_run, &options, lineage().as_ref()).await
        }
        Command::Check(args) => check_gate(&project()?, args, &options).await,
        Command::Demo(args) => {
            demo::demo(
                &project()?,
                &args.dir,
                args.years,
                args.scale,
                &options,
                lineage().as_ref(),
            )
            .await
        }
        Command::Synth(args) => commands::synth(args, project),
        Command::Diff(args) => commands::diff(args, &options).await,
        Command::Audit(args) => commands::audit(&project()?, args, &options).await,
        Command::Report(args) => commands::report(&project()?, args, &options).await,
        Command::Gc(args) => commands::gc(&args.lake).await,
        Command::Unlock(args) => commands::unlock(args).await,
    }
}
