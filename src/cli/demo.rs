//! `oj demo` and `oj synth`: the front door. The demo writes realistic drops for the requested
//! years plus the history years the very-long-term window and the mean population need, ingests
//! the history years, runs the whole pipeline for every requested year, and says where the
//! releases are.

use super::CliError;
use crate::config::Project;
use crate::exit::ExitStatus;
use crate::pipeline::{RunOptions, Selection};
use crate::session::{self, SessionOptions};
use crate::store::Store;
use crate::synth::{self, Fault, SynthError, SynthOptions, YearDone};
use crate::vocab::StageId;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// The seed the demo uses (any fixed number: the demo is reproducible).
pub const DEMO_SEED: u64 = 2017;

/// Writes drops for `years` (inclusive) under `out`; prints the calibration report.
pub fn synthesize(
    project: &Project,
    out: &Path,
    years: (i64, i64),
    scale: f64,
    seed: u64,
    faults: Vec<Fault>,
) -> Result<(), CliError> {
    let options = SynthOptions {
        out: out.to_path_buf(),
        years: (years.0 as i32)..=(years.1 as i32),
        scale,
        seed,
        faults,
    };
    let start = Instant::now();
    let report = synth::generate(&options, &project.survey)?;
    note_written(&options, start);
    eprintln!("{report}");
    Ok(())
}

/// The progress line of a finished generation of `options` started at `start`.
fn note_written(options: &SynthOptions, start: Instant) {
    crate::events::note(&format!(
        "synth      wrote {}..{} at scale {} to {} in {:.1} s",
        options.years.start(),
        options.years.end(),
        options.scale,
        options.out.display(),
        start.elapsed().as_secs_f64()
    ));
}

/// Runs the demo in `dir`: drops in `dir/drops`, the lake in `dir/lake`.
///
/// The drops are generated on a thread of their own while the pipeline runs: each year runs as
/// soon as its drop is complete (the generator says so after writing the year's last file), so
/// the first years are ingested while later ones are still being generated. A failed run stops
/// the generator after the year it is writing.
pub async fn demo(
    project: &Project,
    dir: &Path,
    years: (i64, i64),
    scale: f64,
    options: &SessionOptions,
    lineage: Option<&crate::lineage::Lineage>,
) -> Result<ExitStatus, CliError> {
    let window = project.pipeline.params.register.very_long_term_window_years;
    let first_history = years.0 - (window - 1).max(1);
    let drops_dir = dir.join("drops");
    let started = Instant::now();
    let Generator {
        mut written,
        stop,
        handle,
    } = Generator::start(
        project,
        SynthOptions {
            out: drops_dir.clone(),
            years: (first_history as i32)..=(years.1 as i32),
            scale,
            seed: DEMO_SEED,
            faults: Vec::new(),
        },
    );
    let ran = run_years(
        project,
        dir,
        &drops_dir,
        (first_history, years),
        options,
        lineage,
        &mut written,
    )
    .await;
    if !matches!(ran, Ok(Some(_))) {
        stop.store(true, Ordering::Relaxed);
    }
    drop(written);
    let report = match handle.await {
        Ok(report) => report,
        Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
        Err(join) => return Err(CliError::Generator(join.to_string())),
    };
    // The generator's own failure comes first: it explains a run that found no drop or could
    // not open the drops (a failed run stops the generator, which then ends without an error).
    let (lake, report) = match (ran, report) {
        (_, Err(e)) => return Err(e.into()),
        (Err(e), Ok(_)) => return Err(e),
        (Ok(None), Ok(_)) => {
            return Err(CliError::Generator(
                "it ended before writing every year's drop".into(),
            ));
        }
        (Ok(Some(lake)), Ok(report)) => (lake, report),
    };
    eprintln!("{report}");
    eprintln!("demo finished in {:.1} s", started.elapsed().as_secs_f64());
    for year in years.0..=years.1 {
        match lake.get(&crate::layout::latest_file(year)).await {
            Ok(Some(v)) => println!(
                "{year}: {}",
                lake.display(&format!(
                    "{}/{}",
                    crate::layout::releases_dir(year),
                    String::from_utf8_lossy(&v).trim()
                ))
            ),
            _ => println!(
                "{year}: no release (see the run records in {})",
                lake.display(crate::layout::runs_dir())
            ),
        }
    }
    Ok(ExitStatus::Success)
}

/// The demo's generator: a blocking task writing the drops, telling which years are complete.
struct Generator {
    /// Each requested year as its drop is complete, in order; closed when the generator ends.
    written: tokio::sync::mpsc::UnboundedReceiver<i64>,
    /// Set to stop the generator after the year it is working on.
    stop: Arc<AtomicBool>,
    handle: tokio::task::JoinHandle<Result<synth::SynthReport, SynthError>>,
}

impl Generator {
    fn start(project: &Project, options: SynthOptions) -> Generator {
        let (tx, written) = tokio::sync::mpsc::unbounded_channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let survey = project.survey.clone();
        let handle = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let report = synth::generate_with(&options, &survey, &mut |done| {
                if let YearDone::Written(year) = done {
                    // The demo may have stopped listening; the stop flag says whether to go on.
                    let _ = tx.send(i64::from(year));
                }
                if stopped.load(Ordering::Relaxed) {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })?;
            if stopped.load(Ordering::Relaxed) {
                return Ok(report);
            }
            note_written(&options, started);
            Ok(report)
        });
        Generator {
            written,
            stop,
            handle,
        }
    }
}

/// Runs the pipeline for every year of `first_history ..= years.1` (the history years ingest
/// only), each once `written` says its drop is complete; returns the lake, or `None` when
/// `written` closed before a year's drop was complete (the generator ended early).
async fn run_years(
    project: &Project,
    dir: &Path,
    drops_dir: &Path,
    (first_history, years): (i64, (i64, i64)),
    options: &SessionOptions,
    lineage: Option<&crate::lineage::Lineage>,
    written: &mut tokio::sync::mpsc::UnboundedReceiver<i64>,
) -> Result<Option<Store>, CliError> {
    let drops = Store::open(drops_dir.to_str().unwrap_or(".")).map_err(CliError::Open)?;
    let lake = Store::open(dir.join("lake").to_str().unwrap_or(".")).map_err(CliError::Open)?;
    let ctx = session::build(options, &[&drops, &lake]).map_err(CliError::Session)?;
    let runner = super::commands::runner(project, &drops, &lake, &ctx, lineage);
    let bar = crate::progress::Bar::new((years.1 - first_history + 1) as u64, "demo");
    let mut complete_through = first_history - 1;
    for year in first_history..=years.1 {
        while complete_through < year {
            match written.recv().await {
                Some(y) => complete_through = y,
                None => return Ok(None),
            }
        }
        bar.step();
        let selection = if year < years.0 {
            Selection::Only(StageId::Ingest)
        } else {
            Selection::All
        };
        crate::events::note(&format!(
            "== {year}{}",
            if year < years.0 {
                " (history: ingest only)"
            } else {
                ""
            }
        ));
        let run = RunOptions {
            year,
            selection,
            force: false,
            dry_run: false,
            command: format!("oj demo (year {year})"),
        };
        let result = runner.run(&run).await?;
        if let Some(first) = result.failure {
            return Err(CliError::Run(Box::new(super::error::RunFailure {
                first,
                later: result.later_failures,
                record: None,
            })));
        }
    }
    Ok(Some(lake))
}
