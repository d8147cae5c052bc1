//! The command line of `oj` (outputs.md): parsing, logging set-up, and mapping every outcome to
//! the exit codes 0/1/2/3. Errors are printed with their whole chain; data goes to files.

use crate::clock::SystemClock;
use crate::config::{self, Stage};
use crate::exit::ExitStatus;
use crate::runner::{RunOptions, Runner, Selection};
use crate::session::{self, SessionOptions};
use crate::store::Store;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Öppna jämförelser – ekonomiskt bistånd: the yearly indicator pipeline.
#[derive(Debug, Parser)]
#[command(name = "oj", version, about)]
pub struct Cli {
    /// Folder holding pipelines/, data-contracts/ and sql/.
    #[arg(long, global = true, default_value = ".")]
    pub project: PathBuf,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// Memory the query engine may use, e.g. 4GiB, 512MiB.
    #[arg(long, global = true, default_value = "4GiB", value_parser = parse_bytes)]
    pub memory_limit: usize,
    /// Where the query engine spills when memory runs short (default: the system temp folder).
    #[arg(long, global = true)]
    pub spill_dir: Option<PathBuf>,
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
    /// Where to write the HTML (default: profil_<region>_<year>.html).
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

/// Opens an existing lake (never creating one) and builds a session that reads it; errors are
/// printed.
fn open_lake(
    location: &str,
    options: &SessionOptions,
) -> Result<(Store, datafusion::prelude::SessionContext), ExitStatus> {
    let lake = Store::open_existing(location).map_err(|e| {
        print_error(&e);
        ExitStatus::Invalid
    })?;
    let ctx = session::build(options, &[&lake]).map_err(|e| {
        print_error(&e);
        ExitStatus::Runtime
    })?;
    Ok((lake, ctx))
}

/// Opens the drops (which must exist) and the lake (created only when `create_lake`) and builds a
/// session that reads both; errors are printed.
fn open_drops_and_lake(
    drops: &str,
    lake: &str,
    create_lake: bool,
    options: &SessionOptions,
) -> Result<(Store, Store, datafusion::prelude::SessionContext), ExitStatus> {
    let invalid = |e: crate::store::StoreError| {
        print_error(&e);
        ExitStatus::Invalid
    };
    let drops = Store::open_existing(drops).map_err(invalid)?;
    let lake = if create_lake {
        Store::open(lake)
    } else {
        Store::open_existing(lake)
    }
    .map_err(invalid)?;
    let ctx = session::build(options, &[&drops, &lake]).map_err(|e| {
        print_error(&e);
        ExitStatus::Runtime
    })?;
    Ok((drops, lake, ctx))
}

/// `oj gc`: removes what failed or killed runs left behind ([`crate::commit::gc`]).
async fn gc_command(location: &str) -> ExitStatus {
    let lake = match Store::open(location) {
        Ok(l) => l,
        Err(e) => {
            print_error(&e);
            return ExitStatus::Invalid;
        }
    };
    match crate::commit::gc(&lake).await {
        Ok(report) => {
            println!(
                "gc {}: removed {} run-scoped file(s) of failed or killed runs and {} file(s) of incomplete release folders{}",
                lake.display(""),
                report.pending_files,
                report.incomplete_release_files,
                if report.busy_years.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; skipped years being written: {}",
                        report
                            .busy_years
                            .iter()
                            .map(|y| y.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            );
            ExitStatus::Success
        }
        Err(e) => {
            print_error(&e);
            ExitStatus::Runtime
        }
    }
}

/// `oj unlock`: breaks a year's lease, naming the holder it removed.
async fn unlock_command(args: &UnlockArgs) -> ExitStatus {
    let lake = match Store::open(&args.lake) {
        Ok(l) => l,
        Err(e) => {
            print_error(&e);
            return ExitStatus::Invalid;
        }
    };
    match crate::commit::break_lease(&lake, args.year).await {
        Ok(Some(holder)) => {
            println!("unlocked {}: removed the lease of {holder}", args.year);
            ExitStatus::Success
        }
        Ok(None) => {
            println!("{}: no lease held", args.year);
            ExitStatus::Success
        }
        Err(e) => {
            print_error(&e);
            ExitStatus::Runtime
        }
    }
}

/// Prints an error with its whole source chain to stderr.
pub fn print_error(error: &(dyn std::error::Error + 'static)) {
    eprintln!("error: {error}");
    let mut source = error.source();
    while let Some(s) = source {
        eprintln!("  caused by: {s}");
        source = s.source();
    }
}

fn parse_stage(name: &str) -> Result<Stage, ExitStatus> {
    Stage::parse(name).ok_or_else(|| {
        eprintln!("error: unknown stage `{name}` (stages: ingest, transform, disclose, publish)");
        ExitStatus::Invalid
    })
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            print_error(&e);
            return ExitStatus::Runtime.code();
        }
    };
    let status = runtime.block_on(dispatch(cli));
    status.code()
}

async fn dispatch(cli: Cli) -> ExitStatus {
    let options = SessionOptions {
        memory_limit: cli.memory_limit,
        spill_dir: cli.spill_dir.clone(),
        ..SessionOptions::default()
    };
    let project = || match config::load_project(&cli.project) {
        Ok(p) => Ok(p),
        Err(e) => {
            print_error(&e);
            Err(ExitStatus::Invalid)
        }
    };
    match &cli.command {
        Command::Validate => match project() {
            Ok(p) => {
                let survey_years = p
                    .survey
                    .questions_for_year(chrono::Datelike::year(&chrono::Utc::now()) as i64 - 1)
                    .len();
                println!(
                    "ok: {} {} – {} datasets, {} contracts, {} register and background indicators, {} survey questions last year; every sql/ model and check of pipelines/checks.yaml plans against the schemas it reads",
                    p.pipeline.name,
                    p.pipeline.version,
                    p.pipeline.datasets.len(),
                    p.contracts.len(),
                    p.pipeline.indicators.len(),
                    survey_years
                );
                ExitStatus::Success
            }
            Err(s) => s,
        },
        Command::Run(args) | Command::Plan(args) => {
            let dry_run = args.dry_run || matches!(cli.command, Command::Plan(_));
            let p = match project() {
                Ok(p) => p,
                Err(s) => return s,
            };
            let lineage = crate::lineage::Lineage::from_flag_or_env(cli.lineage.as_deref());
            run_year(&p, args, dry_run, &options, lineage.as_ref()).await
        }
        Command::Check(args) => match project() {
            Ok(p) => check_gate(&p, args, &options).await,
            Err(s) => s,
        },
        Command::Demo(args) => {
            let p = match project() {
                Ok(p) => p,
                Err(s) => return s,
            };
            let lineage = crate::lineage::Lineage::from_flag_or_env(cli.lineage.as_deref());
            crate::demo::demo(
                &p,
                &args.dir,
                args.years,
                args.scale,
                &options,
                lineage.as_ref(),
            )
            .await
        }
        Command::Synth(args) => synth_command(args, project),
        Command::Diff(args) => diff_command(args, &options).await,
        Command::Audit(args) => {
            let p = match project() {
                Ok(p) => p,
                Err(s) => return s,
            };
            audit_command(&p, args, &options).await
        }
        Command::Report(args) => {
            let p = match project() {
                Ok(p) => p,
                Err(s) => return s,
            };
            report_command(&p, args, &options).await
        }
        Command::Gc(args) => gc_command(&args.lake).await,
        Command::Unlock(args) => unlock_command(args).await,
    }
}

/// `oj audit`: audits the suppression pattern of a release (the current one by default) against
/// the year's true numbers in the warehouse and every relation of `pipelines/disclosure.yaml`,
/// as an intruder holding that release and every earlier one of the year; writes nothing.
/// Exit 0 when every suppressed cell keeps its protection level, 1 when one does not.
async fn audit_command(
    project: &config::Project,
    args: &AuditArgs,
    options: &SessionOptions,
) -> ExitStatus {
    let (lake, ctx) = match open_lake(&args.lake, options) {
        Ok(opened) => opened,
        Err(status) => return status,
    };
    let store = lake.object_store();
    let release = match &args.version {
        Some(v) => match crate::layout::parse_release_version(v) {
            Some(n) => crate::publish::read_release(store.as_ref(), &lake.path(""), args.year, n)
                .await
                .map(Some),
            None => {
                eprintln!("error: oj audit: `{v}` is not a release folder name (hint: e.g. v001)");
                return ExitStatus::Invalid;
            }
        },
        None => crate::publish::latest_release(store.as_ref(), &lake.path(""), args.year).await,
    };
    let release = match release {
        Ok(Some(r)) => r,
        Ok(None) => {
            eprintln!(
                "error: {} has no release for {} (hint: run `oj run --year {}` first)",
                lake.display(""),
                args.year,
                args.year
            );
            return ExitStatus::Invalid;
        }
        Err(e) => {
            print_error(&e);
            return ExitStatus::Invalid;
        }
    };
    let table = match crate::publish::release_table(store.as_ref(), &release).await {
        Ok(t) => t,
        Err(e) => {
            print_error(&e);
            return ExitStatus::Runtime;
        }
    };
    let inputs = match crate::stages::disclose::load(&ctx, &lake, project, args.year).await {
        Ok(i) => i,
        Err(e) => {
            print_error(&e);
            return e.exit_status();
        }
    };
    let input = inputs.input(project, Some(release.version));
    match crate::disclose::audit_release(&ctx, input, &table).await {
        Ok((report, failures)) => {
            println!(
                "audit of {}: {} suppressed cells audited in {} blocks ({} LPs, {:.2} s); {} \
                 narrower than their protection level",
                release.id(),
                report.audited,
                report.blocks,
                report.solves,
                report.seconds,
                failures.len()
            );
            for f in &failures {
                println!("  {f}");
            }
            if failures.is_empty() {
                ExitStatus::Success
            } else {
                ExitStatus::DataQuality
            }
        }
        Err(e) => {
            print_error(&e);
            ExitStatus::Runtime
        }
    }
}

/// `oj diff`: prints which cells changed between two releases of a year; writes nothing.
/// `oj report`: the one-page profile of a kommun or stadsdel from the year's current release.
async fn report_command(
    project: &config::Project,
    args: &ReportArgs,
    options: &SessionOptions,
) -> ExitStatus {
    let (lake, ctx) = match open_lake(&args.lake, options) {
        Ok(opened) => opened,
        Err(status) => return status,
    };
    let store = lake.object_store();
    let release =
        match crate::publish::latest_release(store.as_ref(), &lake.path(""), args.year).await {
            Ok(Some(r)) => r,
            Ok(None) => {
                eprintln!(
                    "error: {} has no release for {} (hint: run `oj run --year {}` first)",
                    lake.display(""),
                    args.year,
                    args.year
                );
                return ExitStatus::Invalid;
            }
            Err(e) => {
                print_error(&e);
                return ExitStatus::Runtime;
            }
        };
    let rows = match crate::publish::release_table(store.as_ref(), &release).await {
        Ok(r) => r,
        Err(e) => {
            print_error(&e);
            return ExitStatus::Runtime;
        }
    };
    let context =
        match crate::stages::publication::load(&ctx, project, &lake, args.year, "report").await {
            Ok(c) => c,
            Err(e) => {
                print_error(&e);
                return e.exit_status();
            }
        };
    let info = crate::publication::ReleaseInfo {
        year: args.year,
        version: crate::layout::release_name(release.version),
        created: chrono::DateTime::parse_from_rfc3339(&release.manifest.created)
            .map(|t| t.to_utc())
            .unwrap_or_else(|_| chrono::Utc::now()),
        sources: Vec::new(),
    };
    let input = crate::publication::PublicationInput {
        rows: &rows,
        meta: &context.meta,
        info: &info,
        regions: context.facts.as_ref(),
        earlier: &context.earlier,
    };
    let html = match crate::publication::region_profile_html(&input, &args.region) {
        Ok(h) => h,
        Err(e) => {
            print_error(&e);
            return ExitStatus::Invalid;
        }
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("profil_{}_{}.html", args.region, args.year)));
    if let Err(e) = std::fs::write(&out, html) {
        eprintln!("error: cannot write {}: {e}", out.display());
        return ExitStatus::Runtime;
    }
    println!("{}", out.display());
    ExitStatus::Success
}

async fn diff_command(args: &DiffArgs, options: &SessionOptions) -> ExitStatus {
    let versions = match args.versions.as_slice() {
        [] => None,
        [a, b] => match (
            crate::layout::parse_release_version(a),
            crate::layout::parse_release_version(b),
        ) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => {
                eprintln!(
                    "error: oj diff: `{a} {b}` are not release folder names (hint: e.g. v001 v002)"
                );
                return ExitStatus::Invalid;
            }
        },
        _ => {
            eprintln!(
                "error: oj diff takes no versions (the last two) or exactly two, e.g. v001 v002"
            );
            return ExitStatus::Invalid;
        }
    };
    let (lake, ctx) = match open_lake(&args.lake, options) {
        Ok(opened) => opened,
        Err(status) => return status,
    };
    let store = lake.object_store();
    match crate::publish::diff(&ctx, store.as_ref(), &lake.path(""), args.year, versions).await {
        Ok(diff) => {
            print!("{diff}");
            ExitStatus::Success
        }
        Err(
            e @ (crate::publish::PublishError::NoSuchRelease { .. }
            | crate::publish::PublishError::Incomplete { .. }),
        ) => {
            print_error(&e);
            ExitStatus::Invalid
        }
        Err(e) => {
            print_error(&e);
            ExitStatus::Runtime
        }
    }
}

fn synth_command(
    args: &SynthArgs,
    project: impl Fn() -> Result<config::Project, ExitStatus>,
) -> ExitStatus {
    if args.faults.iter().any(|f| f == "list") {
        for fault in crate::synth::Fault::all() {
            println!("{:<24} {}", fault.name(), fault.description());
        }
        return ExitStatus::Success;
    }
    let (Some(out), Some(years)) = (&args.out, args.years) else {
        eprintln!("error: oj synth needs --out DIR and --years A..B (or --faults list)");
        return ExitStatus::Invalid;
    };
    let mut faults = Vec::new();
    for name in &args.faults {
        match name.parse::<crate::synth::Fault>() {
            Ok(f) => faults.push(f),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitStatus::Invalid;
            }
        }
    }
    let p = match project() {
        Ok(p) => p,
        Err(s) => return s,
    };
    match crate::demo::synthesize(&p, out, years, args.scale, args.seed, faults) {
        Ok(()) => ExitStatus::Success,
        Err(s) => s,
    }
}

/// `oj check`: runs the gate after one stage alone and prints a line per check; exit 1 when an
/// `error` check fails, with the failing checks in the last line.
pub async fn check_gate(
    project: &config::Project,
    args: &CheckArgs,
    options: &SessionOptions,
) -> ExitStatus {
    let stage = match parse_stage(&args.stage) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let (lake, ctx) = match open_lake(&args.lake, options) {
        Ok(opened) => opened,
        Err(status) => return status,
    };
    match crate::gates::run_gate(&ctx, project, &lake, stage, args.year).await {
        Ok(report) => {
            for line in report.lines() {
                println!("{:<10} {line}", stage.name());
            }
            if report.blocking() {
                println!(
                    "gate after {} failed for {}: blocking check(s) {}",
                    stage.name(),
                    args.year,
                    report.failed().join(", ")
                );
                ExitStatus::DataQuality
            } else {
                println!("gate after {} passed for {}", stage.name(), args.year);
                ExitStatus::Success
            }
        }
        Err(e) => {
            print_error(&e);
            e.exit_status()
        }
    }
}

/// Opens the stores, builds the session and runs (or plans) one year.
pub async fn run_year(
    project: &config::Project,
    args: &RunArgs,
    dry_run: bool,
    options: &SessionOptions,
    lineage: Option<&crate::lineage::Lineage>,
) -> ExitStatus {
    let selection = match (&args.stage, &args.from) {
        (Some(s), _) => match parse_stage(s) {
            Ok(s) => Selection::Only(s),
            Err(e) => return e,
        },
        (None, Some(s)) => match parse_stage(s) {
            Ok(s) => Selection::From(s),
            Err(e) => return e,
        },
        (None, None) => Selection::All,
    };
    let (drops, lake, ctx) = match open_drops_and_lake(&args.drops, &args.lake, !dry_run, options) {
        Ok(opened) => opened,
        Err(status) => return status,
    };
    let runner = Runner {
        project,
        drops: &drops,
        lake: &lake,
        ctx: &ctx,
        clock: &SystemClock,
        lineage,
    };
    let run_options = RunOptions {
        year: args.year,
        selection,
        force: args.force,
        dry_run,
        command: std::env::args().collect::<Vec<_>>().join(" "),
    };
    match runner.run(&run_options).await {
        Ok(result) => {
            let ran = result
                .record
                .stages
                .iter()
                .filter(|s| s.status == crate::ledger::StageStatus::Ran)
                .count();
            let skipped = result
                .record
                .stages
                .iter()
                .filter(|s| s.status == crate::ledger::StageStatus::Skipped)
                .count();
            match &result.failure {
                None => {
                    crate::events::run_done(
                        crate::events::Scope {
                            run_id: &result.record.run_id,
                            year: args.year,
                        },
                        dry_run,
                        ran,
                        skipped,
                        &lake.display(&crate::layout::run_record(&result.record.run_id)),
                    );
                    ExitStatus::Success
                }
                Some(e) => {
                    print_error(e);
                    for later in &result.later_failures {
                        print_error(later);
                    }
                    if !dry_run {
                        eprintln!(
                            "run {} failed; record: {}",
                            result.record.run_id,
                            lake.display(&crate::layout::run_record(&result.record.run_id))
                        );
                    }
                    e.exit_status()
                }
            }
        }
        Err(e) => {
            print_error(&e);
            e.exit_status()
        }
    }
}
