//! The population drop model: every kommun's population 31 December by sex, age 0–100 and born
//! abroad, and the same breakdown for the fine areas of the three cities.
//!
//! Guarantees: kommun totals follow the national target of the year exactly (largest-remainder
//! rounding), every kommun's cells sum to its total, and the fine areas of a city sum cell by cell
//! to the city. The model is synthetic: an age pyramid shaped like Sweden's, younger in big
//! kommuner and older in small ones, about 19 % born abroad (more in cities and among 25–64).

use super::calibration::Targets;
use super::geography::Geography;

/// Ages 0..=100 (100 = 100+).
pub(crate) const AGES: usize = 101;
/// Cells per region: sex × age × born abroad.
pub(crate) const CELLS: usize = 2 * AGES * 2;

/// The cell index of (kon 1|2, alder, utrikes_fodd).
pub(crate) fn cell(kon: u8, alder: usize, utrikes: bool) -> usize {
    ((usize::from(kon) - 1) * AGES + alder) * 2 + usize::from(utrikes)
}

/// The population of one year.
pub(crate) struct Population {
    /// Cells per kommun, in geography order.
    pub kommun: Vec<Vec<u32>>,
    /// Cells per stadsdel index; filled for fine areas only.
    pub(crate) area: Vec<Vec<u32>>,
}

impl Population {
    /// The population of `year`, `scale` times the national target (the generator passes 1.0
    /// up to scale 1.0).
    pub fn build(geo: &Geography, targets: &Targets, year: i32, scale: f64) -> Self {
        let totals = kommun_totals(geo, targets, year, scale);
        let foreign_g = foreign_profile_norm();
        let mut kommun = Vec::with_capacity(geo.kommuner.len());
        let mut weights = vec![0.0; CELLS];
        for (k, total) in geo.kommuner.iter().zip(&totals) {
            let urban = urbanity(k.base_population);
            let f = (k.foreign * (1.0 + 0.025 * f64::from(year - 2017))).clamp(0.02, 0.6);
            for a in 0..AGES {
                let w = age_weight(a, urban);
                let fa = (f * foreign_profile(a) / foreign_g).min(0.85);
                let m = male_share(a);
                for (kon, s) in [(1u8, m), (2u8, 1.0 - m)] {
                    weights[cell(kon, a, false)] = w * s * (1.0 - fa);
                    weights[cell(kon, a, true)] = w * s * fa;
                }
            }
            let mut cells = vec![0u32; CELLS];
            apportion(*total, &weights, &mut cells);
            kommun.push(cells);
        }
        let mut area = vec![Vec::new(); geo.stadsdelar.len()];
        let mut aw = Vec::new();
        let mut split = Vec::new();
        for (ki, k) in geo.kommuner.iter().enumerate() {
            if k.areas.is_empty() {
                continue;
            }
            let mut cells = vec![vec![0u32; CELLS]; k.areas.len()];
            for c in 0..CELLS {
                let utr = c % 2 == 1;
                aw.clear();
                aw.extend(k.areas.iter().map(|&s| {
                    let s = &geo.stadsdelar[s];
                    s.base_population * if utr { s.foreign_factor } else { 1.0 }
                }));
                split.clear();
                split.resize(k.areas.len(), 0);
                apportion(u64::from(kommun[ki][c]), &aw, &mut split);
                for (dst, v) in cells.iter_mut().zip(&split) {
                    dst[c] = *v;
                }
            }
            for (&s, c) in k.areas.iter().zip(cells) {
                area[s] = c;
            }
        }
        Population { kommun, area }
    }

    /// Cells of a stadsdel valid in `year`: the sum of the fine areas that map to it.
    pub fn stadsdel(&self, geo: &Geography, s: usize, year: i32) -> Vec<u32> {
        let mut out = vec![0u32; CELLS];
        for &a in &geo.kommuner[geo.stadsdelar[s].kommun].areas {
            if geo.stadsdel_of(a, year) == Some(s) {
                for (o, v) in out.iter_mut().zip(&self.area[a]) {
                    *o += v;
                }
            }
        }
        out
    }
}

/// Persons in `cells` aged `lo..=hi`, optionally only born in Sweden.
pub(crate) fn count(cells: &[u32], lo: usize, hi: usize, only_inrikes: bool) -> u64 {
    let mut n = 0u64;
    for kon in [1, 2] {
        for a in lo..=hi {
            n += u64::from(cells[cell(kon, a, false)]);
            if !only_inrikes {
                n += u64::from(cells[cell(kon, a, true)]);
            }
        }
    }
    n
}

/// Whole-number kommun totals for `year`, summing to `scale` times the national target.
fn kommun_totals(geo: &Geography, targets: &Targets, year: i32, scale: f64) -> Vec<u64> {
    let grown: Vec<f64> = geo
        .kommuner
        .iter()
        .map(|k| {
            let t = ((k.base_population.log10() - 4.0) / 1.0).clamp(0.0, 1.0);
            let g = -0.004 + 0.016 * t;
            k.base_population * (1.0 + g).powi(year - 2017)
        })
        .collect();
    let mut out = vec![0u64; grown.len()];
    let mut tmp = vec![0u32; grown.len()];
    apportion(
        (targets.population(year) * scale).round() as u64,
        &grown,
        &mut tmp,
    );
    for (o, t) in out.iter_mut().zip(tmp) {
        *o = u64::from(t);
    }
    out
}

/// 0 for kommuner of 10 000, 1 for 300 000 and more.
fn urbanity(pop: f64) -> f64 {
    ((pop.log10() - 4.0) / 1.5).clamp(0.0, 1.0)
}

/// Relative number of persons of age `a` (a Swedish-shaped pyramid), younger adults in cities,
/// more elderly in small kommuner.
fn age_weight(a: usize, urban: f64) -> f64 {
    let base = match a {
        0..=17 => 1.18,
        18..=24 => 1.15,
        25..=34 => 1.38,
        35..=44 => 1.27,
        45..=54 => 1.33,
        55..=64 => 1.17,
        65..=74 => 1.10,
        75..=84 => 0.72,
        85..=89 => 0.32,
        90..=94 => 0.15,
        95..=99 => 0.04,
        _ => 0.01,
    };
    let modifier = match a {
        19..=39 => 0.72 + 0.6 * urban,
        65.. => 1.3 - 0.55 * urban,
        _ => 1.0,
    };
    base * modifier
}

/// Share of men at age `a`.
fn male_share(a: usize) -> f64 {
    match a {
        0..=64 => 0.51,
        65..=79 => 0.48,
        80..=89 => 0.42,
        _ => 0.30,
    }
}

/// Born-abroad share at age `a` relative to the kommun's overall share.
fn foreign_profile(a: usize) -> f64 {
    match a {
        0..=5 => 0.12,
        6..=17 => 0.45,
        18..=24 => 0.95,
        25..=44 => 1.65,
        45..=64 => 1.2,
        _ => 0.6,
    }
}

/// The population-weighted mean of [`foreign_profile`], so that shares average to the kommun's.
fn foreign_profile_norm() -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for a in 0..AGES {
        let w = age_weight(a, 0.5);
        num += w * foreign_profile(a);
        den += w;
    }
    num / den
}

/// Splits `total` into whole numbers proportional to `weights` (largest remainder; ties go to the
/// lower index), so the parts always sum to `total`. All-zero weights give everything to part 0.
pub(crate) fn apportion(total: u64, weights: &[f64], out: &mut [u32]) {
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 {
        out.fill(0);
        if let Some(o) = out.first_mut() {
            *o = total as u32;
        }
        return;
    }
    let mut given = 0u64;
    let mut rema: Vec<(f64, usize)> = Vec::with_capacity(weights.len());
    for (i, (w, o)) in weights.iter().zip(out.iter_mut()).enumerate() {
        let q = total as f64 * w / sum;
        let f = q.floor();
        *o = f as u32;
        given += f as u64;
        rema.push((q - f, i));
    }
    rema.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in rema.iter().take(total.saturating_sub(given) as usize) {
        out[i] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::super::calibration::{Targets, published};
    use super::*;

    #[test]
    fn apportion_sums_exactly_and_breaks_ties_low() {
        let mut out = [0u32; 3];
        // 10 × (1,1,1)/3 = 3.33 each: floors 3,3,3, one left goes to index 0.
        apportion(10, &[1.0, 1.0, 1.0], &mut out);
        assert_eq!(out, [4, 3, 3]);
        // 7 × (0.5, 0.25, 0.25) = 3.5, 1.75, 1.75: floors 3,1,1; two left to .75, .75.
        apportion(7, &[0.5, 0.25, 0.25], &mut out);
        assert_eq!(out, [3, 2, 2]);
    }

    #[test]
    fn national_size_shape_and_exact_city_split() {
        let geo = Geography::load().unwrap();
        let t = Targets::new(&published().unwrap());
        let p = Population::build(&geo, &t, 2017, 1.0);
        let total: u64 = p.kommun.iter().map(|c| count(c, 0, 100, false)).sum();
        // calibration.md: ≈10.12 M on 31 Dec 2017, hit exactly by apportioning.
        assert_eq!(total, 10_120_000);
        // Above scale 1 the country grows: ten times the target, still exact.
        let big = Population::build(&geo, &t, 2017, 10.0);
        let big_total: u64 = big.kommun.iter().map(|c| count(c, 0, 100, false)).sum();
        assert_eq!(big_total, 101_200_000);
        let abroad: u64 = p
            .kommun
            .iter()
            .map(|c| count(c, 0, 100, false) - count(c, 0, 100, true))
            .sum();
        let share = abroad as f64 / total as f64;
        assert!((0.17..0.21).contains(&share), "born abroad {share}");
        let sthlm = geo.kommuner.iter().position(|k| k.code == "0180").unwrap();
        let s_total = count(&p.kommun[sthlm], 0, 100, false);
        assert!((900_000..1_000_000).contains(&s_total), "{s_total}");
        let smallest = p
            .kommun
            .iter()
            .map(|c| count(c, 0, 100, false))
            .min()
            .unwrap();
        assert!((2_200..2_800).contains(&smallest), "{smallest}");
        // The 14 fine areas of Stockholm sum cell by cell to the kommun.
        for c in 0..CELLS {
            let sum: u32 = geo.kommuner[sthlm]
                .areas
                .iter()
                .map(|&a| p.area[a][c])
                .sum();
            assert_eq!(sum, p.kommun[sthlm][c]);
        }
    }
}
