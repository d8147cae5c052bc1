//! `oj synth`: realistic, deterministic demo drops (drops.md) for a range of years, with optional
//! realistic defects, and a calibration report comparing the generated national totals with the
//! published figures.
//!
//! Guarantees: the output is byte-for-byte the same for the same seed, scale, years and faults
//! (every random draw comes from a ChaCha8 stream labelled by seed, purpose, year and region; all
//! collections are ordered). The simulation always starts in a fixed warm-up year (2006, or four
//! years before the first year if that is earlier), so a year's drop does not depend on which other
//! years were asked for as long as the first one is 2010 or later. Geography is real (regions.csv);
//! populations, profiles and behaviour are synthetic. Up to 1.0, `scale` multiplies register
//! households and persons only (the population drop stays national size, so recipient shares of
//! the population scale with it); above 1.0 the population grows with the register, so that
//! `--scale 10` is a plausible country ten times Sweden's size with Sweden's shares.

mod background;
mod calibration;
mod faults;
mod geography;
mod population;
mod register;
mod report;
mod streams;
mod survey;
mod writer;

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::ops::{ControlFlow, RangeInclusive};
use std::path::PathBuf;

pub use calibration::Figure;
pub use faults::{Fault, InjectedFault};
pub use report::{SynthReport, YearReport};

use calibration::Targets;
use geography::Geography;
use population::Population;
use register::{Pool, YearContext};

/// First year the generator accepts (the stadsdelar of regions.csv start in 2007).
pub(crate) const FIRST_YEAR: i32 = 2007;
/// Last year the generator accepts.
pub(crate) const LAST_YEAR: i32 = 2040;
/// Largest accepted scale (1.0 is national size; the generator's memory grows linearly).
pub const MAX_SCALE: f64 = 10.0;
/// The simulation warms up from this many years before the first year (or before 2010).
const WARM_UP_YEARS: i32 = 4;
const WARM_UP_BEFORE: i32 = 2010;

/// What to generate.
#[derive(Clone, Debug)]
pub struct SynthOptions {
    /// Drops root: files go to `<out>/<year>/`.
    pub out: PathBuf,
    /// Reference years to write.
    pub years: RangeInclusive<i32>,
    /// 1.0 = national size; multiplies households and persons (above 1.0 the population too),
    /// never kommuner.
    pub scale: f64,
    /// Seed of every random stream.
    pub seed: u64,
    /// Defects to inject into every year's drop.
    pub faults: Vec<Fault>,
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("cannot write {}: {source}; check that the directory is writable and the disk not full", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("years {start}..{end}: give a non-empty range within {FIRST_YEAR}..{LAST_YEAR}")]
    Years { start: i32, end: i32 },
    #[error("scale {0}: give a number above 0 and at most {MAX_SCALE} (1.0 = national size)")]
    Scale(f64),
    #[error("unknown fault `{name}`; known faults: {known}")]
    UnknownFault { name: String, known: String },
    #[error("built-in regions table, line {line}: {message} (fix src/synth/regions.csv)")]
    Regions { line: usize, message: String },
    #[error("built-in calibration table, line {line} is malformed (fix src/synth/calibration.csv)")]
    Calibration { line: usize },
}

/// The factor of the population drop: national size up to scale 1.0, the scale above it.
pub(crate) fn population_scale(scale: f64) -> f64 {
    scale.max(1.0)
}

/// Generates the drops of `opts.years` under `opts.out`; `questions` is the compiled survey
/// configuration (the survey columns per year). Returns the calibration report. Shows a bar over
/// the simulated years.
pub fn generate(
    opts: &SynthOptions,
    questions: &crate::config::survey::SurveyConfig,
) -> Result<SynthReport, SynthError> {
    let bar = crate::progress::Bar::new(simulated_years(opts), "synth");
    generate_with(opts, questions, &mut |_| {
        bar.step();
        ControlFlow::Continue(())
    })
}

/// A year the simulation has finished, as [`generate_with`] tells its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YearDone {
    /// A warm-up year (simulated, nothing written).
    WarmUp(i32),
    /// A requested year: its drop is complete on disk.
    Written(i32),
}

/// How many years [`generate`] simulates for `opts` (warm-up years included).
fn simulated_years(opts: &SynthOptions) -> u64 {
    let last = *opts.years.end();
    (last - first_simulated(*opts.years.start()) + 1).max(0) as u64
}

/// The warm-up year the simulation starts in when `first` is the first year asked for.
fn first_simulated(first: i32) -> i32 {
    first.min(WARM_UP_BEFORE) - WARM_UP_YEARS
}

/// [`generate`] without a bar: `on_year` hears of every simulated year as soon as it is done
/// (a requested year once its files are complete, so a caller may read them while later years are
/// generated) and may stop the generation with [`ControlFlow::Break`]: the years already written
/// stay, and the report covers them.
pub fn generate_with(
    opts: &SynthOptions,
    questions: &crate::config::survey::SurveyConfig,
    on_year: &mut dyn FnMut(YearDone) -> ControlFlow<()>,
) -> Result<SynthReport, SynthError> {
    let (first, last) = (*opts.years.start(), *opts.years.end());
    if first > last || first < FIRST_YEAR || last > LAST_YEAR {
        return Err(SynthError::Years {
            start: first,
            end: last,
        });
    }
    if !(opts.scale > 0.0 && opts.scale <= MAX_SCALE) {
        return Err(SynthError::Scale(opts.scale));
    }
    let geo = Geography::load()?;
    let published = calibration::published()?;
    let targets = Targets::new(&published);
    let need = register::need_rates(&geo, opts.seed);
    let mut pools: Vec<Pool> = (0..geo.kommuner.len()).map(Pool::new).collect();
    let mut report = SynthReport::new(opts.seed, opts.scale);
    let mut history: BTreeMap<i32, HashMap<u64, u8>> = BTreeMap::new();
    let start = first_simulated(first);
    let mut previous_total = None;
    let mut rows = Vec::new();
    for year in start..=last {
        let pop = Population::build(&geo, &targets, year, population_scale(opts.scale));
        let totals: Vec<u64> = pop
            .kommun
            .iter()
            .map(|c| population::count(c, 0, 100, false))
            .collect();
        let ctx = YearContext::new(
            &geo,
            opts.seed,
            year,
            &totals,
            &need,
            targets.households(year) / register::TURNOVER * opts.scale,
            targets.kr_per_household(year),
        );
        rows.clear();
        for pool in &mut pools {
            pool.simulate_year(&ctx, &mut rows);
        }
        register::fill_nil_reports(&ctx, &mut rows);
        let total: u64 = totals.iter().sum();
        if opts.years.contains(&year) {
            rows.sort_unstable_by_key(|r| (r.kommun, r.month, r.household));
            let mean_population = (previous_total.unwrap_or(total) + total) as f64 / 2.0;
            let (figures, months) = report::figures(&rows, &pop, mean_population, year, &history);
            history.insert(year, months);
            history.retain(|y, _| *y > year - 3);
            report.push_year(year, figures, &published);
            let plan = faults::plan(&opts.faults, &geo, &rows, year, opts.seed);
            let ctx = writer::YearFiles {
                geo: &geo,
                year,
                seed: opts.seed,
                population: &pop,
                need: &need,
                rows: &rows,
                questions,
                plan: &plan,
            };
            writer::write_year(&opts.out, &ctx)?;
            tracing::info!(
                year,
                register_rows = rows.len(),
                dir = %opts.out.join(year.to_string()).display(),
                "wrote synthetic drop"
            );
            report.push_faults(plan.injected);
        }
        previous_total = Some(total);
        let done = if opts.years.contains(&year) {
            YearDone::Written(year)
        } else {
            YearDone::WarmUp(year)
        };
        if on_year(done).is_break() {
            break;
        }
    }
    Ok(report)
}
