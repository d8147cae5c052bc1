//! One household month by month: members ageing, births, partners joining and leaving, young
//! adults moving out, moves between kommuner and districts, and the row it reports.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::pool::pick_area;
use super::{
    Household, NO_AREA, P_AREA_MOVE, P_MOVE, P_ZERO, Person, RegRow, RowPerson, YearContext, pick,
};
use crate::synth::streams::{Label, pseudonym};

/// Monthly changes of composition: births, children turning 16, partners joining and leaving,
/// young adults moving out (some to a household of their own, collected in `spawned`).
pub(super) fn evolve(
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

pub(super) fn remove_person(h: &mut Household, j: usize) {
    for k in j..usize::from(h.n) - 1 {
        h.persons[k] = h.persons[k + 1];
    }
    h.n -= 1;
}

/// Moves between kommuner (mostly within the län) and between districts of a city.
pub(super) fn relocate(h: &mut Household, rng: &mut ChaCha8Rng, ctx: &YearContext) {
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
pub(super) fn emit(
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
