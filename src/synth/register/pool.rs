//! A kommun's pool of households through one year: spells starting, pausing, ending and
//! recurring, the monthly top-up to the target stock, and the shape of new households.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::household::{emit, evolve, relocate};
use super::{
    FOREIGN_ODDS, FORGET_AFTER, Household, NO_AREA, P_EXIT_CHRONIC, P_EXIT_TRANSIENT, P_PAUSE,
    P_RETURN, Person, Pool, Q_CHRONIC, RegRow, State, YearContext, pick,
};
use crate::synth::geography::Geography;
use crate::synth::streams::{Label, pseudonym, stream};

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
    pub(crate) fn simulate_year(&mut self, ctx: &YearContext, rows: &mut Vec<RegRow>) {
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
pub(super) enum Kind {
    Single,
    SingleMan,
    SingleWoman,
    SingleMother,
    SingleFather,
    Couple,
}

/// Share of new spells that are chronic: lower for the young, higher from 50.
pub(super) fn chronic_share(ctx: &YearContext, owner: usize, age: i32) -> f64 {
    let age_factor = match age {
        ..=24 => 0.6,
        25..=49 => 1.0,
        _ => 1.35,
    };
    (Q_CHRONIC * ctx.chronic[owner] * age_factor).min(0.9)
}

/// Age of a single applicant: 18–24 with probability `young`, otherwise mostly 25–49, few over 65.
pub(super) fn single_age(rng: &mut ChaCha8Rng, young: f64) -> i32 {
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
pub(super) fn pick_area(geo: &Geography, k: usize, rng: &mut ChaCha8Rng) -> u16 {
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
