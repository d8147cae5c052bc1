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
use crate::synth::{self, Fault, SynthOptions};
use crate::vocab::StageId;
use std::path::Path;
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
    crate::events::note(&format!(
        "synth      wrote {}..{} at scale {scale} to {} in {:.1} s",
        years.0,
        years.1,
        out.display(),
        start.elapsed().as_secs_f64()
    ));
    eprintln!("{report}");
    Ok(())
}

/// Runs the demo in `dir`: drops in `dir/drops`, the lake in `dir/lake`.
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
    synthesize(
        project,
        &drops_dir,
        (first_history, years.1),
        scale,
        DEMO_SEED,
        Vec::new(),
    )?;
    let drops = Store::open(drops_dir.to_str().unwrap_or(".")).map_err(CliError::Open)?;
    let lake = Store::open(dir.join("lake").to_str().unwrap_or(".")).map_err(CliError::Open)?;
    let ctx = session::build(options, &[&drops, &lake]).map_err(CliError::Session)?;
    let runner = super::commands::runner(project, &drops, &lake, &ctx, lineage);
    let bar = crate::progress::Bar::new((years.1 - first_history + 1) as u64, "demo");
    for year in first_history..=years.1 {
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
    drop(bar);
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
