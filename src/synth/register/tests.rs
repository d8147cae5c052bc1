//! Unit tests of the register model: weighted picks, a pool's stock and listing, nil reports.

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
