//! The background drop model: the counts behind the seven background measures per kommun.
//!
//! Guarantees: every count is a whole number of the matching population of the year's
//! population model (18–64, born in Sweden 25–64, born abroad 18–64), so no count can exceed its
//! population; the unemployed without benefit are a subset of the unemployed; both stays in
//! Sweden together stay within those born abroad. Levels follow the kommun's need (low income
//! 10–45 %, unemployment 2–14 %), low education is more common in small kommuner.

use rand::Rng;

use super::geography::Geography;
use super::population::{Population, count};
use super::streams::{Label, stream};

/// One row of bakgrund.csv.
pub(crate) struct Background {
    pub kommun: usize,
    pub lag_inkomst: u64,
    pub arbetslosa: u64,
    pub(crate) arbetslosa_utan_ers: u64,
    pub(crate) forgymn_inrikes: u64,
    pub(crate) utrikes_0_5: u64,
    pub(crate) utrikes_6_10: u64,
}

/// Background counts for every kommun in `year`.
pub(crate) fn background(
    geo: &Geography,
    pop: &Population,
    need: &[f64],
    year: i32,
    seed: u64,
) -> Vec<Background> {
    let mean_need = need.iter().sum::<f64>() / need.len().max(1) as f64;
    geo.kommuner
        .iter()
        .enumerate()
        .map(|(k, kommun)| {
            let cells = &pop.kommun[k];
            let p18_64 = count(cells, 18, 64, false);
            let inrikes_25_64 = count(cells, 25, 64, true);
            let utrikes_18_64 = p18_64 - count(cells, 18, 64, true);
            let mut rng = stream(seed, Label::Background, &[year as u64, kommun.num]);
            let rel = need[k] / mean_need;
            let part = |n: u64, share: f64| (n as f64 * share.clamp(0.0, 1.0)).floor() as u64;
            let low_income = (0.12 + 0.06 * rel + rng.random_range(-0.02..0.02)).clamp(0.10, 0.45);
            let unemployed =
                (0.035 + 0.018 * rel + rng.random_range(-0.01..0.01)).clamp(0.02, 0.14);
            let arbetslosa = part(p18_64, unemployed);
            let small = 1.0 - ((kommun.base_population.log10() - 4.0) / 1.5).clamp(0.0, 1.0);
            let stay_0_5 = rng.random_range(0.18..0.35);
            let stay_6_10 = rng.random_range(0.10..0.20);
            Background {
                kommun: k,
                lag_inkomst: part(p18_64, low_income),
                arbetslosa,
                arbetslosa_utan_ers: part(arbetslosa, rng.random_range(0.30..0.55)),
                forgymn_inrikes: part(
                    inrikes_25_64,
                    0.06 + 0.07 * small + rng.random_range(0.0..0.03),
                ),
                utrikes_0_5: part(utrikes_18_64, stay_0_5),
                utrikes_6_10: part(utrikes_18_64, stay_6_10),
            }
        })
        .collect()
}
