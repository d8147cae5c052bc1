//! The register model: households receiving ekonomiskt bistånd, simulated month by month.
//!
//! Every kommun *owns* a pool of households, simulated with its own random stream per year, so the
//! result never depends on the order kommuner are visited. A household's spell starts, may pause,
//! ends and may recur; chronic households stay for years, transient ones for a few months. Members
//! age with the calendar, co-applicants join and leave, children are born and, at 16, become listed
//! persons; young adults move out and may start their own household. Some households move to
//! another kommun (or district) during the year and are reported there from the next month.
//! Each month the pool is topped up to the kommun's target stock, which follows the national
//! target of the year, the kommun's population and its (synthetic) level of need.
//!
//! Guarantees: ids are pseudonymous and unique (see `streams`); a person is listed on at most one
//! household per month and once on it; every kommun has at least one row every month (a nil
//! report, `belopp_kr = 0`, when nobody was paid); ages are 16–110 for listed persons.

mod household;
mod pool;
#[cfg(test)]
mod tests;

use self::household::emit;
use self::pool::{pick_area, single_age};

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::geography::Geography;
use super::streams::{Label, pseudonym, stream};

/// Monthly probability that a chronic household's spell ends.
const P_EXIT_CHRONIC: f64 = 0.034;
/// Monthly probability that a transient household's spell ends.
const P_EXIT_TRANSIENT: f64 = 0.15;
/// Monthly probability that a chronic household pauses for one or two months.
const P_PAUSE: f64 = 0.006;
/// Monthly probability that a household whose spell ended comes back.
const P_RETURN: f64 = 0.02;
/// Months after which a household without a spell is forgotten.
const FORGET_AFTER: i32 = 36;
/// Share of new spells that are chronic (before the län factor and age adjustments).
const Q_CHRONIC: f64 = 0.40;
/// Monthly probability of moving to another kommun, and of moving within a city.
const P_MOVE: f64 = 0.003;
const P_AREA_MOVE: f64 = 0.004;
/// Share of paid household-months with nothing paid (a registered decision, `belopp_kr = 0`).
const P_ZERO: f64 = 0.012;
/// Odds ratio of being born abroad among recipients compared with the population.
const FOREIGN_ODDS: f64 = 6.0;
/// Households over the year per household in the monthly stock (measured on the model).
pub(crate) const TURNOVER: f64 = 1.68;
/// Monthly kronor for a single adult, per krona paid per household and year.
const AMOUNT_PER_KR_PER_HOUSEHOLD: f64 = 0.12;

/// Share of new single applicants aged 18–24 in a kommun with the national level of need.
const YOUNG_SINGLES: f64 = 0.53;

/// No district.
pub(crate) const NO_AREA: u16 = u16::MAX;

/// A listed person (16+).
#[derive(Clone, Copy, Default)]
pub(crate) struct Person {
    pub id: u64,
    /// Month of birth as `year * 12 + month - 1`.
    pub(crate) birth: i32,
    pub kon: u8,
    pub utrikes: bool,
}

impl Person {
    fn age(&self, ym: i32) -> i32 {
        (ym - self.birth).div_euclid(12)
    }
}

/// A person as reported on one row.
#[derive(Clone, Copy, Default)]
pub(crate) struct RowPerson {
    pub id: u64,
    pub kon: u8,
    pub alder: u8,
    pub utrikes: bool,
}

/// One household-month of the register.
#[derive(Clone, Copy)]
pub(crate) struct RegRow {
    /// Index into the geography's kommuner.
    pub kommun: u16,
    pub month: u8,
    /// Two-digit district, 0 = none.
    pub district: u8,
    pub household: u64,
    pub barn: u8,
    pub belopp: u32,
    pub n: u8,
    pub persons: [RowPerson; 5],
}

#[derive(Clone, Copy)]
enum State {
    Active,
    Paused { until: i32 },
    Inactive { since: i32 },
}

struct Household {
    id: u64,
    kommun: u16,
    area: u16,
    persons: [Person; 5],
    n: u8,
    coapp: bool,
    children: Vec<i32>,
    chronic: bool,
    state: State,
    level: f64,
}

/// The households one kommun owns.
pub(crate) struct Pool {
    owner: usize,
    households: Vec<Household>,
    next_person: u64,
    next_household: u64,
    /// Accumulated difference between the target stock and the stock reached.
    carry: f64,
}

/// Everything the simulation of one year needs, shared by all pools.
pub(crate) struct YearContext<'a> {
    pub(crate) geo: &'a Geography,
    pub seed: u64,
    pub year: i32,
    /// Target stock of paid households per owner kommun (already scaled).
    pub(crate) stock: Vec<f64>,
    /// Born-abroad share of each kommun this year.
    pub(crate) foreign: Vec<f64>,
    /// Chronic-spell factor of each kommun (its län's).
    pub(crate) chronic: Vec<f64>,
    /// Probability that a new single applicant is 18–24: young adults are over-represented
    /// everywhere, least where many inhabitants receive assistance.
    pub young: Vec<f64>,
    /// Cumulative population weights, nationally and per län (kommun indices).
    pub national: Vec<f64>,
    pub(crate) by_lan: Vec<(Vec<usize>, Vec<f64>)>,
    /// Monthly amount for a single adult.
    pub(crate) base_amount: f64,
}

impl<'a> YearContext<'a> {
    /// Builds the context from kommun populations and relative need rates.
    pub fn new(
        geo: &'a Geography,
        seed: u64,
        year: i32,
        population: &[u64],
        need: &[f64],
        national_stock: f64,
        kr_per_household: f64,
    ) -> Self {
        let weight: Vec<f64> = population
            .iter()
            .zip(need)
            .map(|(p, n)| *p as f64 * n)
            .collect();
        let sum: f64 = weight.iter().sum();
        let stock: Vec<f64> = weight.iter().map(|w| national_stock * w / sum).collect();
        let total_pop: u64 = population.iter().sum();
        let mean_rate = sum / total_pop.max(1) as f64;
        let young = population
            .iter()
            .zip(&weight)
            .map(|(p, w)| {
                let rel = w / (*p).max(1) as f64 / mean_rate;
                (YOUNG_SINGLES * rel.powf(-0.35)).clamp(0.25, 0.65)
            })
            .collect();
        let foreign = geo
            .kommuner
            .iter()
            .map(|k| (k.foreign * (1.0 + 0.025 * f64::from(year - 2017))).clamp(0.02, 0.6))
            .collect();
        let chronic = geo
            .kommuner
            .iter()
            .map(|k| match geo.lan[k.lan].code.as_str() {
                "05" => 1.2,
                "09" => 0.45,
                "01" => 0.9,
                _ => 1.0,
            })
            .collect();
        let cumulative = |idx: &[usize]| -> Vec<f64> {
            let mut acc = 0.0;
            idx.iter()
                .map(|&i| {
                    acc += population[i] as f64;
                    acc
                })
                .collect()
        };
        let all: Vec<usize> = (0..geo.kommuner.len()).collect();
        let national = cumulative(&all);
        let by_lan = (0..geo.lan.len())
            .map(|l| {
                let idx: Vec<usize> = all
                    .iter()
                    .copied()
                    .filter(|&k| geo.kommuner[k].lan == l)
                    .collect();
                let c = cumulative(&idx);
                (idx, c)
            })
            .collect();
        YearContext {
            geo,
            seed,
            year,
            stock,
            foreign,
            chronic,
            young,
            national,
            by_lan,
            base_amount: kr_per_household * AMOUNT_PER_KR_PER_HOUSEHOLD,
        }
    }

    fn district(&self, kommun: u16, area: u16) -> u8 {
        if area == NO_AREA {
            return 0;
        }
        let a = self.geo.kommuner[usize::from(kommun)].areas[usize::from(area)];
        self.geo
            .stadsdel_of(a, self.year)
            .map_or(0, |s| self.geo.stadsdelar[s].district())
    }
}

/// Relative need rate per kommun: its profile, its län, its share born abroad and a seeded
/// kommun-specific factor (so kommuner differ like real ones, from under 1 % to over 15 %).
pub(crate) fn need_rates(geo: &Geography, seed: u64) -> Vec<f64> {
    geo.kommuner
        .iter()
        .map(|k| {
            let lan = match geo.lan[k.lan].code.as_str() {
                "04" => 1.45,
                "01" => 0.75,
                "05" => 1.15,
                "09" => 0.6,
                "13" => 0.75,
                "06" => 0.85,
                "12" | "19" | "17" => 1.1,
                _ => 1.0,
            };
            let mut rng = stream(seed, Label::Profile, &[k.num]);
            let z = normal(&mut rng);
            k.need * lan * (0.3 + 0.7 * k.foreign / 0.185).powf(1.2) * (0.3 * z).exp()
        })
        .collect()
}

/// A standard normal draw (Box–Muller).
pub(crate) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Index of the first cumulative weight above a uniform draw.
fn pick(rng: &mut ChaCha8Rng, cumulative: &[f64]) -> usize {
    let total = cumulative.last().copied().unwrap_or(0.0);
    let x = rng.random::<f64>() * total;
    cumulative
        .partition_point(|&c| c <= x)
        .min(cumulative.len().saturating_sub(1))
}

/// Adds a nil report (`belopp_kr = 0`) for every kommun-month without a row, from the kommun's
/// own stream, so that only a deliberately dropped month makes a kommun bortfall.
pub(crate) fn fill_nil_reports(ctx: &YearContext, rows: &mut Vec<RegRow>) {
    let nk = ctx.geo.kommuner.len();
    let mut seen = vec![[false; 12]; nk];
    for r in rows.iter() {
        seen[usize::from(r.kommun)][usize::from(r.month) - 1] = true;
    }
    for (k, months) in seen.iter().enumerate() {
        let kommun = &ctx.geo.kommuner[k];
        let mut rng = stream(ctx.seed, Label::Nil, &[ctx.year as u64, kommun.num]);
        for (m, present) in months.iter().enumerate() {
            if *present {
                continue;
            }
            let month = m as u8 + 1;
            let ym = ctx.year * 12 + m as i32;
            let serial = ctx.year as u64 * 100 + u64::from(month);
            let owner = kommun.num + 10_000;
            let age = single_age(&mut rng, 0.5);
            let applicant = Person {
                id: pseudonym(ctx.seed, Label::PersonId, owner, serial),
                birth: ym - age * 12 - rng.random_range(0..12),
                kon: 1 + u8::from(rng.random_bool(0.45)),
                utrikes: rng.random_bool(0.5),
            };
            let mut h = Household {
                id: pseudonym(ctx.seed, Label::HouseholdId, owner, serial),
                kommun: k as u16,
                area: pick_area(ctx.geo, k, &mut rng),
                persons: [Person::default(); 5],
                n: 1,
                coapp: false,
                children: Vec::new(),
                chronic: false,
                state: State::Active,
                level: 1.0,
            };
            h.persons[0] = applicant;
            emit(&h, ctx, &mut rng, ym, month, rows);
            if let Some(last) = rows.last_mut() {
                last.belopp = 0;
            }
        }
    }
}
