//! The commands besides `demo`: each opens what it needs, does its work through the library and
//! returns its outcome (0, or 1 for a blocking check or an unsafe release it was asked to look
//! at) or a typed [`CliError`].

use super::error::RunFailure;
use super::{AuditArgs, CheckArgs, CliError, DiffArgs, ReportArgs, RunArgs, SynthArgs, UnlockArgs};
use crate::clock::SystemClock;
use crate::config::Project;
use crate::exit::ExitStatus;
use crate::pipeline::{RunOptions, Runner, Selection};
use crate::publish::PublishError;
use crate::session::{self, SessionOptions};
use crate::store::Store;
use crate::vocab::StageId;
use datafusion::prelude::SessionContext;
use std::path::PathBuf;

/// Opens an existing lake (never creating one) and builds a session that reads it.
fn open_lake(
    location: &str,
    options: &SessionOptions,
) -> Result<(Store, SessionContext), CliError> {
    let lake = Store::open_existing(location).map_err(CliError::Open)?;
    let ctx = session::build(options, &[&lake]).map_err(CliError::Session)?;
    Ok((lake, ctx))
}

/// Opens the drops (which must exist) and the lake (created only when `create_lake`) and builds a
/// session that reads both.
fn open_drops_and_lake(
    drops: &str,
    lake: &str,
    create_lake: bool,
    options: &SessionOptions,
) -> Result<(Store, Store, SessionContext), CliError> {
    let drops = Store::open_existing(drops).map_err(CliError::Open)?;
    let lake = if create_lake {
        Store::open(lake)
    } else {
        Store::open_existing(lake)
    }
    .map_err(CliError::Open)?;
    let ctx = session::build(options, &[&drops, &lake]).map_err(CliError::Session)?;
    Ok((drops, lake, ctx))
}

fn parse_stage(name: &str) -> Result<StageId, CliError> {
    StageId::parse(name).ok_or_else(|| {
        CliError::Usage(format!(
            "unknown stage `{name}` (stages: ingest, transform, disclose, publish)"
        ))
    })
}

/// A release named by `version` (`v001`), or the current one.
fn release_name(version: &str) -> Result<u32, CliError> {
    crate::layout::parse_release_version(version).ok_or_else(|| {
        CliError::Usage(format!(
            "`{version}` is not a release folder name (hint: e.g. v001)"
        ))
    })
}

/// `oj validate`: the project compiled and type-checked (by the caller); says what it holds.
pub(super) fn validate(p: &Project) -> Result<ExitStatus, CliError> {
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
    Ok(ExitStatus::Success)
}

/// `oj gc`: removes what failed or killed runs left behind ([`crate::commit::gc`]).
pub(super) async fn gc(location: &str) -> Result<ExitStatus, CliError> {
    let lake = Store::open(location).map_err(CliError::Open)?;
    let report = crate::commit::gc(&lake).await?;
    let busy = if report.busy_years.is_empty() {
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
    };
    println!(
        "gc {}: removed {} run-scoped file(s) of failed or killed runs and {} file(s) of incomplete release folders{busy}",
        lake.display(""),
        report.pending_files,
        report.incomplete_release_files,
    );
    Ok(ExitStatus::Success)
}

/// `oj unlock`: breaks a year's lease, naming the holder it removed.
pub(super) async fn unlock(args: &UnlockArgs) -> Result<ExitStatus, CliError> {
    let lake = Store::open(&args.lake).map_err(CliError::Open)?;
    match crate::commit::break_lease(&lake, args.year).await? {
        Some(holder) => println!("unlocked {}: removed the lease of {holder}", args.year),
        None => println!("{}: no lease held", args.year),
    }
    Ok(ExitStatus::Success)
}

/// The current release of `year` in `lake`, or an error saying there is none.
async fn current_release(lake: &Store, year: i64) -> Result<crate::publish::Release, CliError> {
    crate::publish::latest_release(lake, year)
        .await?
        .ok_or_else(|| {
            CliError::Usage(format!(
                "{} has no release for {year} (hint: run `oj run --year {year}` first)",
                lake.display("")
            ))
        })
}

/// `oj audit`: audits the suppression pattern of a release (the current one by default) against
/// the year's true numbers in the warehouse and every relation of `pipelines/disclosure.yaml`,
/// as an intruder holding that release and every earlier one of the year; writes nothing.
/// Exit 0 when every suppressed cell keeps its protection level, 1 when one does not.
pub(super) async fn audit(
    project: &Project,
    args: &AuditArgs,
    options: &SessionOptions,
) -> Result<ExitStatus, CliError> {
    let (lake, ctx) = open_lake(&args.lake, options)?;
    let release = match &args.version {
        Some(v) => {
            let n = release_name(v)?;
            crate::publish::read_release(&lake, args.year, n)
                .await
                .map_err(CliError::NoRelease)?
        }
        None => current_release(&lake, args.year).await?,
    };
    let table = crate::publish::release_table(&lake, &release).await?;
    let inputs = crate::stages::disclose::load(&ctx, &lake, project, args.year).await?;
    let input = inputs.input(project, Some(release.version));
    let (report, failures) = crate::disclose::audit_release(&ctx, input, &table).await?;
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
    Ok(if failures.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::DataQuality
    })
}

/// `oj report`: the one-page profile of a kommun or stadsdel from the year's current release.
pub(super) async fn report(
    project: &Project,
    args: &ReportArgs,
    options: &SessionOptions,
) -> Result<ExitStatus, CliError> {
    let (lake, ctx) = open_lake(&args.lake, options)?;
    let release = current_release(&lake, args.year).await?;
    let rows = crate::publish::release_table(&lake, &release).await?;
    let context =
        crate::stages::publish::publication::load(&ctx, project, &lake, args.year).await?;
    let info = crate::render::ReleaseInfo {
        year: args.year,
        version: crate::layout::release_name(release.version),
        created: chrono::DateTime::parse_from_rfc3339(&release.manifest.created)
            .map(|t| t.to_utc())
            .unwrap_or_else(|_| chrono::Utc::now()),
        sources: Vec::new(),
    };
    let input = crate::render::PublicationInput {
        rows: &rows,
        meta: &context.meta,
        info: &info,
        regions: context.facts.as_ref(),
        earlier: &context.earlier,
    };
    let html =
        crate::render::region_profile_html(&input, &args.region).map_err(CliError::Region)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("profil_{}_{}.html", args.region, args.year)));
    std::fs::write(&out, html).map_err(|source| CliError::Write {
        path: out.display().to_string(),
        source,
    })?;
    println!("{}", out.display());
    Ok(ExitStatus::Success)
}

/// `oj diff`: prints which cells changed between two releases of a year; writes nothing.
pub(super) async fn diff(
    args: &DiffArgs,
    options: &SessionOptions,
) -> Result<ExitStatus, CliError> {
    let versions = match args.versions.as_slice() {
        [] => None,
        [a, b] => match (
            crate::layout::parse_release_version(a),
            crate::layout::parse_release_version(b),
        ) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => {
                return Err(CliError::Usage(format!(
                    "oj diff: `{a} {b}` are not release folder names (hint: e.g. v001 v002)"
                )));
            }
        },
        _ => {
            return Err(CliError::Usage(
                "oj diff takes no versions (the last two) or exactly two, e.g. v001 v002".into(),
            ));
        }
    };
    let (lake, ctx) = open_lake(&args.lake, options)?;
    let diff = crate::publish::diff(&ctx, &lake, args.year, versions)
        .await
        .map_err(|e| match e {
            PublishError::NoSuchRelease { .. } | PublishError::Incomplete { .. } => {
                CliError::NoRelease(e)
            }
            e => CliError::Publish(e),
        })?;
    print!("{diff}");
    Ok(ExitStatus::Success)
}

/// `oj synth`: writes synthetic drops (or lists the faults it can inject).
pub(super) fn synth(
    args: &SynthArgs,
    project: impl Fn() -> Result<Project, CliError>,
) -> Result<ExitStatus, CliError> {
    if args.faults.iter().any(|f| f == "list") {
        for fault in crate::synth::Fault::all() {
            println!("{:<24} {}", fault.name(), fault.description());
        }
        return Ok(ExitStatus::Success);
    }
    let (Some(out), Some(years)) = (&args.out, args.years) else {
        return Err(CliError::Usage(
            "oj synth needs --out DIR and --years A..B (or --faults list)".into(),
        ));
    };
    let faults = args
        .faults
        .iter()
        .map(|name| name.parse::<crate::synth::Fault>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    super::demo::synthesize(&project()?, out, years, args.scale, args.seed, faults)?;
    Ok(ExitStatus::Success)
}

/// `oj check`: runs the gate after one stage alone and prints a line per check; exit 1 when an
/// `error` check fails, with the failing checks in the last line.
pub async fn check_gate(
    project: &Project,
    args: &CheckArgs,
    options: &SessionOptions,
) -> Result<ExitStatus, CliError> {
    let stage = parse_stage(&args.stage)?;
    let (lake, ctx) = open_lake(&args.lake, options)?;
    let report = crate::gates::run_gate(&ctx, project, &lake, stage, args.year)
        .await
        .map_err(crate::pipeline::StageError::from)?;
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
        Ok(ExitStatus::DataQuality)
    } else {
        println!("gate after {} passed for {}", stage.name(), args.year);
        Ok(ExitStatus::Success)
    }
}

/// The runner of every stage, on the system clock.
pub(super) fn runner<'a>(
    project: &'a Project,
    drops: &'a Store,
    lake: &'a Store,
    ctx: &'a SessionContext,
    lineage: Option<&'a crate::lineage::Lineage>,
) -> Runner<'a> {
    Runner {
        project,
        drops,
        lake,
        ctx,
        clock: &SystemClock,
        lineage,
        stages: &crate::stages::ALL,
    }
}

/// Opens the stores, builds the session and runs (or plans) one year.
pub async fn run_year(
    project: &Project,
    args: &RunArgs,
    dry_run: bool,
    options: &SessionOptions,
    lineage: Option<&crate::lineage::Lineage>,
) -> Result<ExitStatus, CliError> {
    let selection = match (&args.stage, &args.from) {
        (Some(s), _) => Selection::Only(parse_stage(s)?),
        (None, Some(s)) => Selection::From(parse_stage(s)?),
        (None, None) => Selection::All,
    };
    let (drops, lake, ctx) = open_drops_and_lake(&args.drops, &args.lake, !dry_run, options)?;
    let runner = runner(project, &drops, &lake, &ctx, lineage);
    let run_options = RunOptions {
        year: args.year,
        selection,
        force: args.force,
        dry_run,
        command: std::env::args().collect::<Vec<_>>().join(" "),
    };
    let result = runner.run(&run_options).await?;
    let record = lake.display(&crate::layout::run_record(&result.record.run_id));
    if let Some(first) = result.failure {
        return Err(CliError::Run(Box::new(RunFailure {
            first,
            later: result.later_failures,
            record: (!dry_run).then(|| (result.record.run_id.clone(), record)),
        })));
    }
    let count = |status| {
        result
            .record
            .stages
            .iter()
            .filter(|s| s.status == status)
            .count()
    };
    crate::events::run_done(
        crate::events::Scope {
            run_id: &result.record.run_id,
            year: args.year,
        },
        dry_run,
        // A plan's stages would run; nothing ran.
        count(if dry_run {
            crate::ledger::StageStatus::WouldRun
        } else {
            crate::ledger::StageStatus::Ran
        }),
        count(crate::ledger::StageStatus::Skipped),
        &record,
    );
    Ok(ExitStatus::Success)
}
