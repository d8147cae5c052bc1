//! The calibration report: national totals computed from the generator's own rows (not through
//! the SQL pipeline), next to the published figures, plus the list of injected faults.
//!
//! Guarantees: figures follow domain.md's national definitions – a person counts once, with the
//! sex and age of their latest paid month; children are the largest under-16 count of a household
//! over its paid months plus listed persons aged 16–17; the very long-term share is given only when
//! the two previous years were generated too. Figures describe the generated data before faults.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use super::calibration::{Figure, Kind, Published};
use super::faults::InjectedFault;
use super::population::{Population, count};
use super::register::RegRow;

/// One year of the report.
#[derive(Clone, Debug)]
pub struct YearReport {
    pub year: i32,
    generated: [Option<f64>; 14],
    published: [Option<f64>; 14],
}

impl YearReport {
    /// The figure as generated (at the generator's scale).
    pub fn generated(&self, f: Figure) -> Option<f64> {
        self.generated[f as usize]
    }

    /// The figure converted to scale 1.0: counts divided by the scale, the population by the
    /// population's factor (the scale above 1.0), shares of the population by their ratio.
    pub fn at_national_scale(&self, f: Figure, scale: f64) -> Option<f64> {
        let v = self.generated(f)?;
        let population = super::population_scale(scale);
        Some(match f.kind() {
            Kind::Population => v / population,
            Kind::Scaled => v / scale,
            Kind::PopulationShare => v * population / scale,
            Kind::Ratio => v,
        })
    }

    /// The published figure, if there is one for the year.
    pub fn published(&self, f: Figure) -> Option<f64> {
        self.published[f as usize]
    }
}

/// What was generated: per-year figures and injected faults.
#[derive(Clone, Debug)]
pub struct SynthReport {
    pub seed: u64,
    pub scale: f64,
    pub years: Vec<YearReport>,
    pub faults: Vec<InjectedFault>,
}

impl SynthReport {
    pub(crate) fn new(seed: u64, scale: f64) -> Self {
        SynthReport {
            seed,
            scale,
            years: Vec::new(),
            faults: Vec::new(),
        }
    }

    pub(crate) fn push_year(&mut self, year: i32, generated: [Option<f64>; 14], p: &[Published]) {
        let published = p
            .iter()
            .find(|p| p.year == year)
            .map_or([None; 14], |p| p.values);
        self.years.push(YearReport {
            year,
            generated,
            published,
        });
    }

    pub(crate) fn push_faults(&mut self, f: Vec<InjectedFault>) {
        self.faults.extend(f);
    }

    /// The report of one year.
    pub fn year(&self, year: i32) -> Option<&YearReport> {
        self.years.iter().find(|y| y.year == year)
    }
}

/// National figures of one year from its rows, and every person's paid months (for the very
/// long-term share of later years).
pub(crate) fn figures(
    rows: &[RegRow],
    pop: &Population,
    mean_population: f64,
    year: i32,
    history: &BTreeMap<i32, HashMap<u64, u8>>,
) -> ([Option<f64>; 14], HashMap<u64, u8>) {
    struct Agg {
        months: u16,
        last: u8,
        kon: u8,
        alder: u8,
    }
    let mut households: HashMap<u64, u8> = HashMap::new();
    let mut persons: HashMap<u64, Agg> = HashMap::new();
    let mut kronor = 0u64;
    for r in rows.iter().filter(|r| r.belopp > 0) {
        kronor += u64::from(r.belopp);
        let b = households.entry(r.household).or_insert(0);
        *b = (*b).max(r.barn);
        for p in &r.persons[..usize::from(r.n)] {
            let a = persons.entry(p.id).or_insert(Agg {
                months: 0,
                last: 0,
                kon: p.kon,
                alder: p.alder,
            });
            a.months |= 1 << (r.month - 1);
            if r.month >= a.last {
                a.last = r.month;
                a.kon = p.kon;
                a.alder = p.alder;
            }
        }
    }
    let (prev1, prev2) = (history.get(&(year - 1)), history.get(&(year - 2)));
    let (mut adults, mut women, mut men, mut teens, mut young, mut long, mut very_long) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    let mut months = HashMap::with_capacity(persons.len());
    for (id, a) in &persons {
        let m = a.months.count_ones() as u8;
        months.insert(*id, m);
        if a.alder < 18 {
            teens += 1;
            continue;
        }
        adults += 1;
        if a.kon == 2 {
            women += 1;
        } else {
            men += 1;
        }
        if a.alder <= 24 {
            young += 1;
        }
        if m >= 10 {
            long += 1;
        }
        if let (Some(p1), Some(p2)) = (prev1, prev2) {
            let total = u32::from(m)
                + u32::from(p1.get(id).copied().unwrap_or(0))
                + u32::from(p2.get(id).copied().unwrap_or(0));
            if total >= 27 {
                very_long += 1;
            }
        }
    }
    let children = households.values().map(|&b| u64::from(b)).sum::<u64>() + teens;
    let recipients = persons.len() as u64 + households.values().map(|&b| u64::from(b)).sum::<u64>();
    let sum = |lo, hi| {
        pop.kommun
            .iter()
            .map(|c| count(c, lo, hi, false))
            .sum::<u64>() as f64
    };
    let total = sum(0, 100);
    let pct = |n: u64, d: f64| Some(100.0 * n as f64 / d);
    let adults_f = adults.max(1) as f64;
    let mut out = [None; 14];
    out[Figure::Population as usize] = Some(total);
    out[Figure::Households as usize] = Some(households.len() as f64);
    out[Figure::Recipients as usize] = Some(recipients as f64);
    out[Figure::Adults as usize] = Some(adults as f64);
    out[Figure::Children as usize] = Some(children as f64);
    out[Figure::AdultWomen as usize] = Some(women as f64);
    out[Figure::AdultMen as usize] = Some(men as f64);
    out[Figure::Tkr as usize] = Some(kronor as f64 / 1000.0);
    out[Figure::SharePct as usize] = pct(recipients, total);
    out[Figure::LongTermPct as usize] = pct(long, adults_f);
    if prev1.is_some() && prev2.is_some() {
        out[Figure::VeryLongTermPct as usize] = pct(very_long, adults_f);
    }
    out[Figure::YoungAdultsPct as usize] = pct(young, sum(18, 24));
    out[Figure::ChildrenPct as usize] = pct(children, sum(0, 17));
    out[Figure::KrPerInhabitant as usize] = Some(kronor as f64 / mean_population);
    (out, months)
}

impl fmt::Display for SynthReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scaled = self.scale != 1.0;
        writeln!(
            f,
            "Synthetic drops: seed {}, scale {}. National figures of the generated register and population{}.",
            self.seed,
            self.scale,
            if scaled {
                "; 'at 1.0' divides counts, kronor and population shares by the scale"
            } else {
                ""
            }
        )?;
        for y in &self.years {
            writeln!(f)?;
            write!(f, "{:<40} {:>14}", format!("riket {}", y.year), "generated")?;
            if scaled {
                write!(f, " {:>14}", "at 1.0")?;
            }
            writeln!(f, " {:>14} {:>8}", "published", "diff")?;
            for fig in Figure::ALL {
                let g = y.at_national_scale(fig, self.scale);
                let p = y.published(fig);
                let diff = match (g, p) {
                    (Some(g), Some(p)) if p != 0.0 => format!("{:+.1} %", 100.0 * (g - p) / p),
                    _ => String::new(),
                };
                write!(f, "{:<40} {:>14}", fig.label(), show(fig, y.generated(fig)))?;
                if scaled {
                    write!(f, " {:>14}", show(fig, g))?;
                }
                writeln!(f, " {:>14} {:>8}", show(fig, p), diff)?;
            }
        }
        if !self.faults.is_empty() {
            writeln!(f)?;
            writeln!(f, "Injected faults:")?;
            for x in &self.faults {
                writeln!(
                    f,
                    "  {} {} {}: {}",
                    x.year,
                    x.fault.name(),
                    x.file,
                    x.detail
                )?;
            }
        }
        Ok(())
    }
}

fn show(fig: Figure, v: Option<f64>) -> String {
    match v {
        None => "–".to_string(),
        Some(v) if fig.label().contains('%') => format!("{v:.1}"),
        Some(v) => format!("{v:.0}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_convert_to_national_scale_by_kind() {
        let mut generated = [None; 14];
        generated[Figure::Population as usize] = Some(101_200_000.0);
        generated[Figure::Households as usize] = Some(2_000_000.0);
        generated[Figure::SharePct as usize] = Some(4.0);
        generated[Figure::LongTermPct as usize] = Some(40.0);
        let y = YearReport {
            year: 2017,
            generated,
            published: [None; 14],
        };
        // At scale 10 the population is ten times national size too: population and counts are
        // divided by 10, a share of the population stays, a share among recipients stays.
        assert_eq!(
            y.at_national_scale(Figure::Population, 10.0),
            Some(10_120_000.0)
        );
        assert_eq!(
            y.at_national_scale(Figure::Households, 10.0),
            Some(200_000.0)
        );
        assert_eq!(y.at_national_scale(Figure::SharePct, 10.0), Some(4.0));
        assert_eq!(y.at_national_scale(Figure::LongTermPct, 10.0), Some(40.0));
        // At scale 0.5 the population is national size: counts and population shares double.
        assert_eq!(
            y.at_national_scale(Figure::Population, 0.5),
            Some(101_200_000.0)
        );
        assert_eq!(
            y.at_national_scale(Figure::Households, 0.5),
            Some(4_000_000.0)
        );
        assert_eq!(y.at_national_scale(Figure::SharePct, 0.5), Some(8.0));
        assert_eq!(y.at_national_scale(Figure::LongTermPct, 0.5), Some(40.0));
    }
}
