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
    pub birth: i32,
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
    pub geo: &'a Geography,
    pub seed: u64,
    pub year: i32,
    /// Target stock of paid households per owner kommun (already scaled).
    pub stock: Vec<f64>,
    /// Born-abroad share of each kommun this year.
    pub foreign: Vec<f64>,
    /// Chronic-spell factor of each kommun (its län's).
    pub chronic: Vec<f64>,
    /// Probability that a new single applicant is 18–24: young adults are over-represented
    /// everywhere, least where many inhabitants receive assistance.
    pub young: Vec<f64>,
    /// Cumulative population weights, nationally and per län (kommun indices).
    pub national: Vec<f64>,
    pub by_lan: Vec<(Vec<usize>, Vec<f64>)>,
    /// Monthly amount for a single adult.
    pub base_amount: f64,
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

impl Pool {
    pub fn new(owner: usize) -> Self {
        Pool {
            owner,
            households: Vec::new(),
            next_person: 0,
            next_household: 0,
            carry: 0.0,
        }
    }

    /// Simulates the twelve months of `ctx.year`, appending the rows of paid and registered
    /// household-months to `rows`.
    pub fn simulate_year(&mut self, ctx: &YearContext, rows: &mut Vec<RegRow>) {
        let num = ctx.geo.kommuner[self.owner].num;
        let mut rng = stream(ctx.seed, Label::Register, &[ctx.year as u64, num]);
        let mut spawned = Vec::new();
        for month in 1..=12u8 {
            self.step(ctx, &mut rng, month, rows, &mut spawned);
        }
    }

    fn step(
        &mut self,
        ctx: &YearContext,
        rng: &mut ChaCha8Rng,
        month: u8,
        rows: &mut Vec<RegRow>,
        spawned: &mut Vec<Person>,
    ) {
        let ym = ctx.year * 12 + i32::from(month) - 1;
        let mut active = 0usize;
        let mut i = 0;
        while i < self.households.len() {
            let h = &mut self.households[i];
            let paid = match h.state {
                State::Active => true,
                State::Paused { until } => {
                    if ym >= until {
                        h.state = State::Active;
                        true
                    } else {
                        false
                    }
                }
                State::Inactive { since } => {
                    if ym - since > FORGET_AFTER {
                        self.households.swap_remove(i);
                        continue;
                    }
                    if rng.random_bool(P_RETURN) {
                        h.state = State::Active;
                        h.chronic = rng.random_bool(chronic_share(ctx, self.owner, 30));
                        true
                    } else {
                        false
                    }
                }
            };
            if paid {
                let age = h.persons[0].age(ym);
                if age >= 65 && rng.random_bool(0.12) {
                    self.households.swap_remove(i);
                    continue;
                }
                let exit = if h.chronic {
                    P_EXIT_CHRONIC
                } else {
                    P_EXIT_TRANSIENT
                };
                if rng.random_bool(exit) {
                    h.state = State::Inactive { since: ym };
                } else if h.chronic && rng.random_bool(P_PAUSE) {
                    h.state = State::Paused {
                        until: ym + 2 + rng.random_range(0..2),
                    };
                } else {
                    evolve(h, rng, ym, &mut self.next_person, ctx, self.owner, spawned);
                    relocate(h, rng, ctx);
                    emit(h, ctx, rng, ym, month, rows);
                    active += 1;
                }
            }
            i += 1;
        }
        for p in spawned.drain(..) {
            let mut h = self.household(ctx, rng, ym, Some(p));
            h.kommun = self.owner as u16;
            emit(&h, ctx, rng, ym, month, rows);
            self.households.push(h);
            active += 1;
        }
        // Top up to the target stock with memory of past surpluses and shortfalls (an integral
        // controller), so the mean stock equals the target even when it is below one household.
        let want = self.carry + ctx.stock[self.owner] - active as f64;
        let n = want.max(0.0).floor() as usize;
        self.carry = want - n as f64;
        for _ in 0..n {
            let h = self.household(ctx, rng, ym, None);
            emit(&h, ctx, rng, ym, month, rows);
            self.households.push(h);
        }
    }

    fn person_id(&mut self, ctx: &YearContext) -> u64 {
        self.next_person += 1;
        let owner = ctx.geo.kommuner[self.owner].num;
        pseudonym(ctx.seed, Label::PersonId, owner, self.next_person)
    }

    /// A new household starting a spell in the owner kommun; `leaver` is a young adult who moved
    /// out of a recipient household and becomes the applicant.
    fn household(
        &mut self,
        ctx: &YearContext,
        rng: &mut ChaCha8Rng,
        ym: i32,
        leaver: Option<Person>,
    ) -> Household {
        self.next_household += 1;
        let owner = ctx.geo.kommuner[self.owner].num;
        let id = pseudonym(ctx.seed, Label::HouseholdId, owner, self.next_household);
        let area = pick_area(ctx.geo, self.owner, rng);
        let f = match area {
            NO_AREA => ctx.foreign[self.owner],
            a => {
                let s = ctx.geo.kommuner[self.owner].areas[usize::from(a)];
                (ctx.foreign[self.owner] * ctx.geo.stadsdelar[s].foreign_factor).min(0.9)
            }
        };
        let utrikes = rng.random_bool(f * FOREIGN_ODDS / (f * FOREIGN_ODDS + 1.0 - f));
        // Families with children: about a quarter of new spells, growing over the years.
        let family = (0.32 * (1.0 + 0.03 * f64::from(ctx.year - 2015))).clamp(0.2, 0.4);
        let r: f64 = rng.random();
        let within: f64 = rng.random();
        let (kind, parent) = match (leaver.is_some(), r < family) {
            (true, _) => (Kind::Single, false),
            (false, true) => match within {
                ..0.62 => (Kind::SingleMother, true),
                ..0.72 => (Kind::SingleFather, true),
                _ => (Kind::Couple, true),
            },
            (false, false) => match within {
                ..0.66 => (Kind::SingleMan, false),
                ..0.92 => (Kind::SingleWoman, false),
                _ => (Kind::Couple, false),
            },
        };
        let mut persons = [Person::default(); 5];
        let mut n = 1u8;
        let applicant = match leaver {
            Some(p) => p,
            None => {
                let age = if parent {
                    rng.random_range(21..=50)
                } else {
                    single_age(rng, ctx.young[self.owner])
                };
                let kon = match kind {
                    Kind::SingleMan | Kind::SingleFather => 1,
                    Kind::SingleWoman | Kind::SingleMother => 2,
                    _ => 1 + u8::from(rng.random_bool(0.4)),
                };
                Person {
                    id: self.person_id(ctx),
                    birth: ym - age * 12 - rng.random_range(0..12),
                    kon,
                    utrikes,
                }
            }
        };
        persons[0] = applicant;
        let app_age = applicant.age(ym);
        let coapp = kind == Kind::Couple;
        if coapp {
            persons[1] = Person {
                id: self.person_id(ctx),
                birth: applicant.birth + rng.random_range(-60..=60),
                kon: 3 - applicant.kon,
                utrikes: if rng.random_bool(0.9) {
                    applicant.utrikes
                } else {
                    !applicant.utrikes
                },
            };
            if persons[1].age(ym) < 18 {
                persons[1].birth = ym - 18 * 12;
            }
            n = 2;
        }
        let mut children = Vec::new();
        if parent {
            let count = match rng.random::<f64>() {
                ..0.35 => 1,
                ..0.67 => 2,
                ..0.86 => 3,
                ..0.95 => 4,
                _ => 5,
            };
            let oldest = (app_age - 18).clamp(0, 15);
            for _ in 0..count {
                children.push(ym - rng.random_range(0..=oldest) * 12 - rng.random_range(0..12));
            }
            if app_age >= 36 && rng.random_bool(0.3) {
                persons[usize::from(n)] = Person {
                    id: self.person_id(ctx),
                    birth: ym - rng.random_range(16..=21) * 12 - rng.random_range(0..12),
                    kon: 1 + u8::from(rng.random_bool(0.5)),
                    utrikes: applicant.utrikes && rng.random_bool(0.6),
                };
                n += 1;
            }
        }
        let young = if app_age <= 24 { 10 } else { 30 };
        Household {
            id,
            kommun: self.owner as u16,
            area,
            persons,
            n,
            coapp,
            children,
            chronic: rng.random_bool(chronic_share(ctx, self.owner, young.max(app_age))),
            state: State::Active,
            level: rng.random_range(0.75..1.25),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Single,
    SingleMan,
    SingleWoman,
    SingleMother,
    SingleFather,
    Couple,
}

/// Share of new spells that are chronic: lower for the young, higher from 50.
fn chronic_share(ctx: &YearContext, owner: usize, age: i32) -> f64 {
    let age_factor = match age {
        ..=24 => 0.6,
        25..=49 => 1.0,
        _ => 1.35,
    };
    (Q_CHRONIC * ctx.chronic[owner] * age_factor).min(0.9)
}

/// Age of a single applicant: 18–24 with probability `young`, otherwise mostly 25–49, few over 65.
fn single_age(rng: &mut ChaCha8Rng, young: f64) -> i32 {
    if rng.random_bool(young) {
        return rng.random_range(18..=24);
    }
    match rng.random::<f64>() {
        ..0.417 => rng.random_range(25..=34),
        ..0.729 => rng.random_range(35..=49),
        ..0.969 => rng.random_range(50..=64),
        _ => rng.random_range(65..=75),
    }
}

/// A fine area of kommun `k` (weighted by population and need), or [`NO_AREA`].
fn pick_area(geo: &Geography, k: usize, rng: &mut ChaCha8Rng) -> u16 {
    let areas = &geo.kommuner[k].areas;
    if areas.is_empty() {
        return NO_AREA;
    }
    let mut acc = 0.0;
    let cumulative: Vec<f64> = areas
        .iter()
        .map(|&a| {
            let s = &geo.stadsdelar[a];
            acc += s.base_population * s.need_factor;
            acc
        })
        .collect();
    pick(rng, &cumulative) as u16
}

/// Monthly changes of composition: births, children turning 16, partners joining and leaving,
/// young adults moving out (some to a household of their own, collected in `spawned`).
fn evolve(
    h: &mut Household,
    rng: &mut ChaCha8Rng,
    ym: i32,
    next_person: &mut u64,
    ctx: &YearContext,
    owner: usize,
    spawned: &mut Vec<Person>,
) {
    let owner_num = ctx.geo.kommuner[owner].num;
    let mut new_id = || {
        *next_person += 1;
        pseudonym(ctx.seed, Label::PersonId, owner_num, *next_person)
    };
    let mut c = 0;
    while c < h.children.len() {
        if ym - h.children[c] >= 16 * 12 {
            let birth = h.children.swap_remove(c);
            if h.n < 5 {
                h.persons[usize::from(h.n)] = Person {
                    id: new_id(),
                    birth,
                    kon: 1 + u8::from(rng.random_bool(0.5)),
                    utrikes: h.persons[0].utrikes && rng.random_bool(0.4),
                };
                h.n += 1;
            }
        } else {
            c += 1;
        }
    }
    let parents = 1 + usize::from(h.coapp);
    let mother = h.persons[..parents]
        .iter()
        .any(|p| p.kon == 2 && (18..=44).contains(&p.age(ym)));
    if mother && h.children.len() < 8 && rng.random_bool(0.004) {
        h.children.push(ym);
    }
    if h.coapp && rng.random_bool(0.004) {
        remove_person(h, 1);
        h.coapp = false;
    } else if !h.coapp
        && h.n < 5
        && (20..60).contains(&h.persons[0].age(ym))
        && rng.random_bool(0.0025)
    {
        let a = h.persons[0];
        for j in (1..usize::from(h.n)).rev() {
            h.persons[j + 1] = h.persons[j];
        }
        h.persons[1] = Person {
            id: new_id(),
            birth: (a.birth + rng.random_range(-60..=60)).min(ym - 18 * 12),
            kon: 3 - a.kon,
            utrikes: a.utrikes,
        };
        h.n += 1;
        h.coapp = true;
    }
    let mut j = 1 + usize::from(h.coapp);
    while j < usize::from(h.n) {
        let age = h.persons[j].age(ym);
        let p_leave = match age {
            ..18 => 0.0,
            18..=24 => 0.03,
            _ => 0.06,
        };
        if p_leave > 0.0 && rng.random_bool(p_leave) {
            let p = h.persons[j];
            remove_person(h, j);
            if rng.random_bool(0.5) {
                spawned.push(p);
            }
        } else {
            j += 1;
        }
    }
}

fn remove_person(h: &mut Household, j: usize) {
    for k in j..usize::from(h.n) - 1 {
        h.persons[k] = h.persons[k + 1];
    }
    h.n -= 1;
}

/// Moves between kommuner (mostly within the län) and between districts of a city.
fn relocate(h: &mut Household, rng: &mut ChaCha8Rng, ctx: &YearContext) {
    if rng.random_bool(P_MOVE) {
        let here = usize::from(h.kommun);
        let dest = if rng.random_bool(0.6) {
            let (idx, cum) = &ctx.by_lan[ctx.geo.kommuner[here].lan];
            idx[pick(rng, cum)]
        } else {
            pick(rng, &ctx.national)
        };
        if dest != here {
            h.kommun = dest as u16;
            h.area = pick_area(ctx.geo, dest, rng);
        }
    } else if h.area != NO_AREA && rng.random_bool(P_AREA_MOVE) {
        h.area = pick_area(ctx.geo, usize::from(h.kommun), rng);
    }
}

/// Appends the household's row for the month.
fn emit(
    h: &Household,
    ctx: &YearContext,
    rng: &mut ChaCha8Rng,
    ym: i32,
    month: u8,
    rows: &mut Vec<RegRow>,
) {
    let barn = h.children.iter().filter(|&&b| ym - b < 16 * 12).count() as u8;
    let extras = usize::from(h.n) - 1 - usize::from(h.coapp);
    let size =
        1.0 + if h.coapp { 0.6 } else { 0.0 } + 0.45 * extras as f64 + 0.28 * f64::from(barn);
    let noise: f64 = rng.random_range(0.72..1.08);
    let belopp = if rng.random_bool(P_ZERO) {
        0
    } else {
        (ctx.base_amount * size * h.level * noise).round() as u32
    };
    let mut persons = [RowPerson::default(); 5];
    for (dst, p) in persons.iter_mut().zip(&h.persons[..usize::from(h.n)]) {
        *dst = RowPerson {
            id: p.id,
            kon: p.kon,
            alder: p.age(ym).clamp(16, 110) as u8,
            utrikes: p.utrikes,
        };
    }
    rows.push(RegRow {
        kommun: h.kommun,
        month,
        district: ctx.district(h.kommun, h.area),
        household: h.id,
        barn,
        belopp,
        n: h.n,
        persons,
    });
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

#[cfg(test)]
mod tests {
    use super::*;

    fn context(geo: &Geography, scale: f64) -> YearContext<'_> {
        let pop: Vec<u64> = geo
            .kommuner
            .iter()
            .map(|k| k.base_population as u64)
            .collect();
        let need = vec![1.0; pop.len()];
        // 120 000 households in the monthly stock nationally at scale 1.0, 48 000 kr a year.
        YearContext::new(geo, 5, 2017, &pop, &need, 120_000.0 * scale, 48_000.0)
    }

    #[test]
    fn pick_follows_cumulative_weights() {
        let mut rng = stream(1, Label::Register, &[0]);
        let mut hits = [0u32; 3];
        for _ in 0..10_000 {
            hits[pick(&mut rng, &[1.0, 1.0, 4.0])] += 1;
        }
        // Weights 1, 0, 3 → shares 1/4, 0, 3/4.
        assert_eq!(hits[1], 0);
        assert!((2_300..2_700).contains(&hits[0]), "{hits:?}");
    }

    #[test]
    fn a_pool_keeps_its_stock_and_lists_each_person_once_a_month() {
        let geo = Geography::load().unwrap();
        let ctx = context(&geo, 0.05);
        let owner = geo.kommuner.iter().position(|k| k.code == "0380").unwrap();
        let mut pool = Pool::new(owner);
        let mut rows = Vec::new();
        pool.simulate_year(&ctx, &mut rows);
        let dec: Vec<&RegRow> = rows.iter().filter(|r| r.month == 12).collect();
        // The monthly stock is topped up to the target (moves and 0-kr months aside).
        let target = ctx.stock[owner];
        assert!((dec.len() as f64) > 0.8 * target && (dec.len() as f64) < 1.2 * target);
        let mut seen = std::collections::HashSet::new();
        for r in &rows {
            for p in &r.persons[..usize::from(r.n)] {
                assert!(
                    seen.insert((r.month, p.id)),
                    "person twice in month {}",
                    r.month
                );
                assert!((16..=110).contains(&p.alder));
            }
            let single = r.n == 1 && r.barn == 0;
            if single && r.belopp > 0 {
                // 48 000 × 0.12 = 5 760 kr × level 0.75–1.25 × month 0.72–1.08: 3 110–7 776 kr.
                assert!((3_110..=7_776).contains(&r.belopp), "{}", r.belopp);
            }
        }
    }

    #[test]
    fn nil_reports_fill_every_empty_kommun_month() {
        let geo = Geography::load().unwrap();
        let ctx = context(&geo, 0.0);
        let mut rows = Vec::new();
        fill_nil_reports(&ctx, &mut rows);
        // Nobody is paid at scale 0: one nil report per kommun and month.
        assert_eq!(rows.len(), 290 * 12);
        assert!(rows.iter().all(|r| r.belopp == 0 && r.n == 1));
        // Stockholm's nil reports carry a district (it has stadsdelar in 2017), Uppsala's none.
        assert!(
            rows.iter()
                .filter(|r| geo.kommuner[usize::from(r.kommun)].code == "0180")
                .all(|r| r.district > 0)
        );
        assert!(
            rows.iter()
                .filter(|r| geo.kommuner[usize::from(r.kommun)].code == "0380")
                .all(|r| r.district == 0)
        );
    }
}
