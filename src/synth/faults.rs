//! Realistic defects the generator can inject into a drop, so that every check of the pipeline can
//! be demonstrated: what each defect is, and where it goes in a given year.
//!
//! Guarantees: the places are chosen deterministically from the seed and the year; a defect that
//! touches register rows picks a kommun that keeps other rows that month, so it does not also make
//! the kommun bortfall; each injected defect is listed (year, file, where) in the report.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use rand::Rng;

use super::SynthError;
use super::geography::Geography;
use super::register::RegRow;
use super::streams::{Label, stream};

/// A named realistic defect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    Windows1252,
    BadKommun,
    Duplicates,
    MissingMonth,
    Truncated,
    NegativeAmount,
    BadHeader,
    SurveyUnknownQuestion,
    PopulationGap,
}

impl Fault {
    /// Every fault, in a stable order.
    pub fn all() -> &'static [Fault] {
        &[
            Fault::Windows1252,
            Fault::BadKommun,
            Fault::Duplicates,
            Fault::MissingMonth,
            Fault::Truncated,
            Fault::NegativeAmount,
            Fault::BadHeader,
            Fault::SurveyUnknownQuestion,
            Fault::PopulationGap,
        ]
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Windows1252 => "windows1252",
            Fault::BadKommun => "bad_kommun",
            Fault::Duplicates => "duplicates",
            Fault::MissingMonth => "missing_month",
            Fault::Truncated => "truncated",
            Fault::NegativeAmount => "negative_amount",
            Fault::BadHeader => "bad_header",
            Fault::SurveyUnknownQuestion => "survey_unknown_question",
            Fault::PopulationGap => "population_gap",
        }
    }

    /// What the defect is, for `--help` and the report.
    pub fn description(self) -> &'static str {
        match self {
            Fault::Windows1252 => {
                "regioner.csv and register.tsv saved in Windows-1252 (register with Swedish header names år, månad, hushåll_id)"
            }
            Fault::BadKommun => "3 register rows carry kommun 9999, which is not in regioner.csv",
            Fault::Duplicates => "5 register rows exported twice (same household and month)",
            Fault::MissingMonth => "one kommun sends no register rows for one month (bortfall)",
            Fault::Truncated => "register.tsv ends in the middle of its last row",
            Fault::NegativeAmount => {
                "2 register rows with a negative belopp_kr (a repayment booked as payment)"
            }
            Fault::BadHeader => "register.tsv header says `belopp` instead of `belopp_kr`",
            Fault::SurveyUnknownQuestion => {
                "enkat.csv has an extra question column `overenskommelse_bup` the configuration does not know"
            }
            Fault::PopulationGap => "one kommun is missing from befolkning.csv",
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fault {
    type Err = SynthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Fault::all()
            .iter()
            .copied()
            .find(|f| f.name().eq_ignore_ascii_case(t))
            .ok_or_else(|| SynthError::UnknownFault {
                name: s.to_string(),
                known: Fault::all()
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// A defect as injected: which year and file, and where in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InjectedFault {
    pub year: i32,
    pub fault: Fault,
    pub file: &'static str,
    pub(crate) detail: String,
}

/// Where the defects of one year go (row indices refer to the sorted rows of the year).
#[derive(Default)]
pub(crate) struct FaultPlan {
    pub(crate) regioner_1252: bool,
    pub(crate) register_1252: bool,
    pub(crate) register_bad_header: bool,
    pub dropped: Option<(u16, u8)>,
    pub(crate) bad_kommun_rows: Range<usize>,
    pub(crate) duplicate_rows: Range<usize>,
    pub(crate) negative_rows: Range<usize>,
    pub(crate) truncate: bool,
    pub population_gap: Option<usize>,
    pub(crate) unknown_question: bool,
    pub injected: Vec<InjectedFault>,
}

/// The bad kommun code written by [`Fault::BadKommun`].
pub(crate) const BAD_KOMMUN: &str = "9999";
/// The extra survey column written by [`Fault::SurveyUnknownQuestion`].
pub(crate) const UNKNOWN_QUESTION: &str = "overenskommelse_bup";

/// Chooses where the requested faults go in `year`.
pub(crate) fn plan(
    faults: &[Fault],
    geo: &Geography,
    rows: &[RegRow],
    year: i32,
    seed: u64,
) -> FaultPlan {
    let mut rng = stream(seed, Label::Faults, &[year as u64]);
    let mut p = FaultPlan::default();
    let mut used: Vec<u16> = Vec::new();
    let mut sorted: Vec<Fault> = faults.to_vec();
    sorted.sort();
    sorted.dedup();
    for f in sorted {
        let mut note = |file: &'static str, detail: String| {
            p.injected.push(InjectedFault {
                year,
                fault: f,
                file,
                detail,
            })
        };
        match f {
            Fault::Windows1252 => {
                p.regioner_1252 = true;
                p.register_1252 = true;
                note("regioner.csv", "whole file in Windows-1252".into());
                note(
                    "register.tsv",
                    "header år/månad/hushåll_id in Windows-1252".into(),
                );
            }
            Fault::BadHeader => {
                p.register_bad_header = true;
                note(
                    "register.tsv",
                    "line 1: `belopp` instead of `belopp_kr`".into(),
                );
            }
            Fault::Truncated => {
                p.truncate = true;
                note("register.tsv", "last row cut in the middle".into());
            }
            Fault::SurveyUnknownQuestion => {
                p.unknown_question = true;
                note("enkat.csv", format!("extra column `{UNKNOWN_QUESTION}`"));
            }
            Fault::PopulationGap => {
                let k = pick_kommun(geo, year, &mut rng, &used);
                used.push(k as u16);
                p.population_gap = Some(k);
                note(
                    "befolkning.csv",
                    format!(
                        "no rows for kommun {} ({})",
                        geo.kommuner[k].code, geo.kommuner[k].name
                    ),
                );
            }
            Fault::MissingMonth => {
                let month = rng.random_range(1..=12u8);
                let k = pick_kommun(geo, year, &mut rng, &used);
                used.push(k as u16);
                p.dropped = Some((k as u16, month));
                note(
                    "register.tsv",
                    format!(
                        "no rows for kommun {} ({}) in month {month}",
                        geo.kommuner[k].code, geo.kommuner[k].name
                    ),
                );
            }
            Fault::BadKommun | Fault::Duplicates | Fault::NegativeAmount => {
                let (n, min_rows) = match f {
                    Fault::BadKommun => (3, 4),
                    Fault::Duplicates => (5, 1),
                    _ => (2, 3),
                };
                let month = rng.random_range(1..=12u8);
                let Some((k, range)) = pick_rows(geo, rows, year, month, min_rows, &used) else {
                    note(
                        "register.tsv",
                        "not injected: no kommun has enough rows".into(),
                    );
                    continue;
                };
                used.push(k);
                let range = range.start..range.start + n.min(range.len());
                let what = match f {
                    Fault::BadKommun => {
                        p.bad_kommun_rows = range.clone();
                        format!("kommun {BAD_KOMMUN}")
                    }
                    Fault::Duplicates => {
                        p.duplicate_rows = range.clone();
                        "written twice".to_string()
                    }
                    _ => {
                        p.negative_rows = range.clone();
                        "negative belopp_kr".to_string()
                    }
                };
                let kommun = &geo.kommuner[usize::from(k)];
                note(
                    "register.tsv",
                    format!(
                        "{} rows of kommun {} ({}) month {month}: {what}",
                        range.len(),
                        kommun.code,
                        kommun.name
                    ),
                );
            }
        }
    }
    p
}

/// A kommun without stadsdelar that year, not yet used by another fault.
fn pick_kommun(geo: &Geography, year: i32, rng: &mut impl Rng, used: &[u16]) -> usize {
    let candidates: Vec<usize> = (0..geo.kommuner.len())
        .filter(|&k| !geo.has_districts(k, year) && !used.contains(&(k as u16)))
        .collect();
    candidates[rng.random_range(0..candidates.len())]
}

/// The rows of the kommun (preferably without stadsdelar, not yet used) with the most rows in
/// `month`, if it has at least `min_rows`.
fn pick_rows(
    geo: &Geography,
    rows: &[RegRow],
    year: i32,
    month: u8,
    min_rows: usize,
    used: &[u16],
) -> Option<(u16, Range<usize>)> {
    let range_of = |k: u16| {
        let lo = rows.partition_point(|r| (r.kommun, r.month) < (k, month));
        let hi = rows.partition_point(|r| (r.kommun, r.month) <= (k, month));
        lo..hi
    };
    let best = |districts_ok: bool| {
        (0..geo.kommuner.len() as u16)
            .filter(|&k| {
                !used.contains(&k) && (districts_ok || !geo.has_districts(usize::from(k), year))
            })
            .map(|k| (k, range_of(k)))
            .filter(|(_, r)| r.len() >= min_rows)
            .max_by_key(|(k, r)| (r.len(), std::cmp::Reverse(*k)))
    };
    best(false).or_else(|| best(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_known_ones() {
        for f in Fault::all() {
            assert_eq!(f.name().parse::<Fault>().unwrap(), *f);
            assert!(!f.description().is_empty());
        }
        assert_eq!(Fault::all().len(), 9);
        let e = "encoding".parse::<Fault>().unwrap_err().to_string();
        assert!(e.contains("encoding") && e.contains("missing_month"), "{e}");
    }
}
