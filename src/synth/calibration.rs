//! The published national figures the generator is calibrated to (from the project's
//! calibration reference, carried in `calibration.csv`), and the yearly targets derived from them.
//!
//! Guarantees: targets exist for every year – between published years they are interpolated
//! linearly, outside them households and kronor per household are held at the nearest published
//! year and the population follows the published trend (−0.9 % a year before 2014, +0.6 % after 2020).

use super::SynthError;

const PUBLISHED: &str = include_str!("calibration.csv");

/// How a figure compares across scales.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    /// Population counts: national size up to scale 1.0, proportional to the scale above it.
    Population,
    /// Counts and kronor: proportional to the scale.
    Scaled,
    /// Shares of the population: proportional to the scale up to 1.0, independent of it above.
    PopulationShare,
    /// Shares among recipients: independent of the scale.
    Ratio,
}

/// A national figure of the calibration report, in the column order of `calibration.csv`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Figure {
    /// Population 31 December.
    Population,
    /// Households with at least one paid month.
    Households,
    /// Recipients of all ages (persons 16+ plus children counts).
    Recipients,
    /// Recipients aged 18+.
    Adults,
    /// Children 0–17 in recipient households.
    Children,
    /// Adult women.
    AdultWomen,
    /// Adult men.
    AdultMen,
    /// Kronor paid, in thousands.
    Tkr,
    /// Recipients as a share of the population, %.
    SharePct,
    /// Adults with at least 10 paid months, % of adult recipients.
    LongTermPct,
    /// Adults with at least 27 paid months over three years, % of adult recipients.
    VeryLongTermPct,
    /// Recipients aged 18–24, % of the population 18–24.
    YoungAdultsPct,
    /// Children in recipient households, % of the population 0–17.
    ChildrenPct,
    /// Kronor paid per inhabitant (mean population of the year).
    KrPerInhabitant,
}

impl Figure {
    /// Every figure, in report order.
    pub const ALL: [Figure; 14] = [
        Figure::Population,
        Figure::Households,
        Figure::Recipients,
        Figure::Adults,
        Figure::Children,
        Figure::AdultWomen,
        Figure::AdultMen,
        Figure::Tkr,
        Figure::SharePct,
        Figure::LongTermPct,
        Figure::VeryLongTermPct,
        Figure::YoungAdultsPct,
        Figure::ChildrenPct,
        Figure::KrPerInhabitant,
    ];

    /// The label in the report.
    pub fn label(self) -> &'static str {
        match self {
            Figure::Population => "population 31 Dec",
            Figure::Households => "households",
            Figure::Recipients => "recipients, all ages",
            Figure::Adults => "adult recipients 18+",
            Figure::Children => "children 0-17",
            Figure::AdultWomen => "adult women",
            Figure::AdultMen => "adult men",
            Figure::Tkr => "paid, tkr",
            Figure::SharePct => "share of population, %",
            Figure::LongTermPct => "long-term >=10 months, % of adults",
            Figure::VeryLongTermPct => "very long-term >=27/36, % of adults",
            Figure::YoungAdultsPct => "young adults 18-24, % of population",
            Figure::ChildrenPct => "children 0-17, % of population",
            Figure::KrPerInhabitant => "kronor per inhabitant",
        }
    }

    pub(crate) fn kind(self) -> Kind {
        match self {
            Figure::Population => Kind::Population,
            Figure::LongTermPct | Figure::VeryLongTermPct => Kind::Ratio,
            Figure::SharePct
            | Figure::YoungAdultsPct
            | Figure::ChildrenPct
            | Figure::KrPerInhabitant => Kind::PopulationShare,
            _ => Kind::Scaled,
        }
    }
}

/// One year of published figures; `None` where nothing was published.
pub(crate) struct Published {
    pub year: i32,
    pub values: [Option<f64>; 14],
}

/// Parses the embedded table.
pub(crate) fn published() -> Result<Vec<Published>, SynthError> {
    parse(PUBLISHED)
}

fn parse(text: &str) -> Result<Vec<Published>, SynthError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let bad = || SynthError::Calibration { line: i + 1 };
        let f: Vec<&str> = line.split(';').collect();
        if f.len() != 15 {
            return Err(bad());
        }
        let mut values = [None; 14];
        for (v, s) in values.iter_mut().zip(&f[1..]) {
            if !s.is_empty() {
                *v = Some(s.parse::<f64>().map_err(|_| bad())?);
            }
        }
        out.push(Published {
            year: f[0].parse().map_err(|_| bad())?,
            values,
        });
    }
    Ok(out)
}

/// Yearly national targets at scale 1.0.
pub(crate) struct Targets {
    population: Vec<(i32, f64)>,
    households: Vec<(i32, f64)>,
    kr_per_household: Vec<(i32, f64)>,
}

impl Targets {
    pub fn new(published: &[Published]) -> Self {
        let series = |f: &dyn Fn(&Published) -> Option<f64>| -> Vec<(i32, f64)> {
            published
                .iter()
                .filter_map(|p| f(p).map(|v| (p.year, v)))
                .collect()
        };
        Targets {
            population: series(&|p| p.values[0]),
            households: series(&|p| p.values[1]),
            kr_per_household: series(&|p| Some(p.values[7]? * 1000.0 / p.values[1]?)),
        }
    }

    /// Population 31 December.
    pub fn population(&self, year: i32) -> f64 {
        let (first, last) = (
            self.population[0],
            self.population[self.population.len() - 1],
        );
        if year < first.0 {
            first.1 * 0.991f64.powi(first.0 - year)
        } else if year > last.0 {
            last.1 * 1.006f64.powi(year - last.0)
        } else {
            interpolate(&self.population, year)
        }
    }

    /// Households with at least one paid month.
    pub fn households(&self, year: i32) -> f64 {
        interpolate(&self.households, year)
    }

    /// Kronor paid per household and year.
    pub(crate) fn kr_per_household(&self, year: i32) -> f64 {
        interpolate(&self.kr_per_household, year)
    }
}

/// Linear interpolation in a year-sorted series, held constant outside it.
fn interpolate(points: &[(i32, f64)], year: i32) -> f64 {
    match points.iter().position(|p| p.0 >= year) {
        None => points[points.len() - 1].1,
        Some(0) => points[0].1,
        Some(i) => {
            let (a, b) = (points[i - 1], points[i]);
            a.1 + (b.1 - a.1) * f64::from(year - a.0) / f64::from(b.0 - a.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_table_holds_the_reference_figures() {
        let p = published().unwrap();
        let y2016 = p.iter().find(|p| p.year == 2016).unwrap();
        // calibration.md: 2016 households 220 112, 10 513 930 tkr, women 126 313, men 143 004.
        assert_eq!(y2016.values[1], Some(220_112.0));
        assert_eq!(y2016.values[7], Some(10_513_930.0));
        assert_eq!(
            (y2016.values[5], y2016.values[6]),
            (Some(126_313.0), Some(143_004.0))
        );
    }

    #[test]
    fn malformed_rows_name_the_line() {
        let e = parse("header\n2012;1;2\n").err().unwrap();
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = parse("header\n2012;;x;;;;;;;;;;;;\n").err().unwrap();
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    #[test]
    fn targets_interpolate_and_extrapolate() {
        let t = Targets::new(&published().unwrap());
        // 2013 households are published: 228 056.
        assert_eq!(t.households(2013), 228_056.0);
        // Before 2012 held at 2012 (225 106), after 2020 at 2020 (198 514).
        assert_eq!(t.households(2008), 225_106.0);
        assert_eq!(t.households(2023), 198_514.0);
        // Population 2015 published 9.85 M; 2013 = 9.75 M × 0.991.
        assert_eq!(t.population(2015), 9_850_000.0);
        assert!((t.population(2013) - 9_662_250.0).abs() < 1e-6);
        // Kronor per household 2016: 10 513 930 000 / 220 112 = 47 766.27 (calibration.md: 47 766).
        assert!((t.kr_per_household(2016) - 47_766.27).abs() < 0.01);
    }
}
