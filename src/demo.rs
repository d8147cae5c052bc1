//! `oj demo` and `oj synth`: the front door. The demo writes realistic drops for the requested
//! years plus the history years the very-long-term window and the mean population need, ingests
//! the history years, runs the whole pipeline for every requested year, and says where the
//! releases are.

use crate::clock::SystemClock;
use crate::config::{Project, Stage};
use crate::exit::ExitStatus;
use crate::runner::{RunOptions, Runner, Selection};
use crate::session::{self, SessionOptions};
use crate::store::Store;
use crate::synth::{self, Fault, SynthOptions};
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
) -> Result<(), ExitStatus> {
    let questions = project
        .sources
        .get("pipelines/enkat.yaml")
        .cloned()
        .unwrap_or_default();
    let options = SynthOptions {
        out: out.to_path_buf(),
        years: (years.0 as i32)..=(years.1 as i32),
        scale,
        seed,
        faults,
    };
    let start = Instant::now();
    match synth::generate(&options, &questions) {
        Ok(report) => {
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
        Err(e) => {
            crate::cli::print_error(&e);
            Err(ExitStatus::Invalid)
        }
    }
}

/// Runs the demo in `dir`: drops in `dir/drops`, the lake in `dir/lake`.
pub async fn demo(
    project: &Project,
    dir: &Path,
    years: (i64, i64),
    scale: f64,
    options: &SessionOptions,
    lineage: Option<&crate::lineage::Lineage>,
) -> ExitStatus {
    let window = project.pipeline.params.register.very_long_term_window_years;
    let first_history = years.0 - (window - 1).max(1);
    let drops_dir = dir.join("drops");
    let started = Instant::now();
    if let Err(status) = synthesize(
        project,
        &drops_dir,
        (first_history, years.1),
        scale,
        DEMO_SEED,
        Vec::new(),
    ) {
        return status;
    }
    let (drops, lake) = match (
        Store::open(drops_dir.to_str().unwrap_or(".")),
        Store::open(dir.join("lake").to_str().unwrap_or(".")),
    ) {
        (Ok(d), Ok(l)) => (d, l),
        (Err(e), _) | (_, Err(e)) => {
            crate::cli::print_error(&e);
            return ExitStatus::Invalid;
        }
    };
    let ctx = match session::build(options, &[&drops, &lake]) {
        Ok(c) => c,
        Err(e) => {
            crate::cli::print_error(&e);
            return ExitStatus::Runtime;
        }
    };
    let runner = Runner {
        project,
        drops: &drops,
        lake: &lake,
        ctx: &ctx,
        clock: &SystemClock,
        lineage,
    };
    let bar = crate::progress::Bar::new((years.1 - first_history + 1) as u64, "demo");
    for year in first_history..=years.1 {
        bar.step();
        let selection = if year < years.0 {
            Selection::Only(Stage::Ingest)
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
        match runner.run(&run).await {
            Ok(result) => {
                if let Some(e) = result.failure {
                    crate::cli::print_error(&e);
                    for later in &result.later_failures {
                        crate::cli::print_error(later);
                    }
                    return e.exit_status();
                }
            }
            Err(e) => {
                crate::cli::print_error(&e);
                return e.exit_status();
            }
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
    ExitStatus::Success
}
