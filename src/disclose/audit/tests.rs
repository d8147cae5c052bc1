//! The audit on small tables worked out by hand, and its verdicts against exact intervals
//! solved from scratch, independently of the warm starts, shared solves and probes.

use super::*;
use crate::config::disclosure::RelationKind;
use crate::disclose::cells::{Cells, Mark, test_count as count};
use crate::disclose::relations::Relation;
use microlp::{ComparisonOp, OptimizationDirection, Problem};
use proptest::prelude::*;

/// An r × c table of counts with row, column and grand totals, every total an exact sum;
/// `hidden[i][j]` suppresses interior cell (i, j). Regions: `i{i}j{j}`, `r{i}`, `k{j}`, `t`.
fn two_way(values: &[Vec<f64>], hidden: &[Vec<bool>]) -> Table {
    let (rows, cols) = (values.len(), values[0].len());
    let mut cells = Vec::new();
    for (i, row) in values.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            cells.push(count(&format!("i{i}j{j}"), v));
        }
        cells.push(count(&format!("r{i}"), row.iter().sum()));
    }
    for j in 0..cols {
        cells.push(count(&format!("k{j}"), values.iter().map(|r| r[j]).sum()));
    }
    cells.push(count("t", values.iter().flatten().sum()));
    let cells = Cells::new(cells);
    let at = |region: &str| Term {
        cell: cells.find("antal", "x", region, "totalt").unwrap(),
        part: Part::Taljare,
        factor: 1.0,
    };
    let sum = |left: String, right: Vec<String>| Relation {
        name: "sum".into(),
        kind: RelationKind::Exact,
        left: at(left.as_str()),
        right: right.iter().map(|r| at(r.as_str())).collect(),
    };
    let mut relations = Vec::new();
    for i in 0..rows {
        relations.push(sum(
            format!("r{i}"),
            (0..cols).map(|j| format!("i{i}j{j}")).collect(),
        ));
    }
    for j in 0..cols {
        relations.push(sum(
            format!("k{j}"),
            (0..rows).map(|i| format!("i{i}j{j}")).collect(),
        ));
    }
    relations.push(sum(
        "t".into(),
        (0..rows).map(|i| format!("r{i}")).collect(),
    ));
    relations.push(sum(
        "t".into(),
        (0..cols).map(|j| format!("k{j}")).collect(),
    ));
    let mut table = Table::new(cells, relations);
    for (i, row) in hidden.iter().enumerate() {
        for (j, &h) in row.iter().enumerate() {
            if h {
                let cell = table
                    .cells
                    .find("antal", "x", &format!("i{i}j{j}"), "totalt");
                table.marks[cell.unwrap()] = Mark::Secondary;
            }
        }
    }
    table
}

fn region(table: &Table, cell: usize) -> &str {
    &table.cells[cell].region
}

/// The 2 × 2 table [[3, 7], [6, 4]] with all four interior cells hidden: rows 10, 10, columns
/// 9, 11. With a = i0j0: b = 10 − a, c = 9 − a, d = 1 + a, all ≥ 0, so a ∈ [0, 9],
/// b ∈ [1, 10], c ∈ [0, 9], d ∈ [1, 10].
fn square() -> Table {
    two_way(
        &[vec![3.0, 7.0], vec![6.0, 4.0]],
        &[vec![true, true], vec![true, true]],
    )
}

/// Points stored by several calls (a block keeps the earlier points it still satisfies) are
/// carried over once: the repair rounds' points must not multiply.
#[test]
fn earlier_points_are_carried_over_once() {
    let table = square();
    let terms: Vec<(usize, Part)> = (0..4).map(|c| (c, Part::Taljare)).collect();
    let stored = |call: usize, points: Vec<Vec<f64>>| Points {
        call,
        full: call == 0,
        terms: terms.clone(),
        points,
    };
    let a = vec![3.0, 7.0, 6.0, 4.0];
    let b = vec![0.0, 10.0, 9.0, 1.0];
    let c = vec![9.0, 1.0, 0.0, 10.0];
    let kept = [
        stored(0, vec![a.clone(), b.clone()]),
        stored(1, vec![a.clone(), b.clone(), c.clone()]),
        stored(2, vec![c.clone(), a.clone(), b.clone()]),
    ];
    assert_eq!(prior_points(&table, &terms, &kept), vec![a, b, c]);
}

#[test]
fn a_hidden_square_is_nine_wide_everywhere() {
    let table = square();
    let wide = audit(&table, &|_| Need::Width { width: 9.0 }).unwrap();
    assert_eq!(wide.audited, 4);
    assert!(wide.failures.is_empty());
    let wider = audit(&table, &|_| Need::Width { width: 9.5 }).unwrap();
    let mut got: Vec<(&str, f64, f64)> = wider
        .failures
        .iter()
        .map(|f| (region(&table, f.cell), f.lo, f.hi))
        .collect();
    got.sort_by(|a, b| a.0.cmp(b.0));
    let expected = [
        ("i0j0", 0.0, 9.0),
        ("i0j1", 1.0, 10.0),
        ("i1j0", 0.0, 9.0),
        ("i1j1", 1.0, 10.0),
    ];
    assert_eq!(got.len(), 4);
    for ((name, lo, hi), (want, wlo, whi)) in got.iter().zip(expected) {
        assert_eq!(*name, want);
        assert!(
            (lo - wlo).abs() < 1e-6 && (hi - whi).abs() < 1e-6,
            "{name}: [{lo}, {hi}]"
        );
    }
    assert!(wider.failures.iter().all(|f| f.exact));
}

#[test]
fn a_small_count_must_reach_zero_and_the_cells_at_one_do_not() {
    // b and d cannot go below 1: they fail "reaches zero"; a and c reach 0 and 5.
    let table = square();
    let report = audit(&table, &|_| Need::ReachesZero { upper: 5.0 }).unwrap();
    let mut failing: Vec<&str> = report
        .failures
        .iter()
        .map(|f| region(&table, f.cell))
        .collect();
    failing.sort();
    assert_eq!(failing, ["i0j1", "i1j1"]);
    // Up to 9 a reaches zero too; 9.5 is out of its reach.
    let to_nine = audit(&table, &|c| match region(&table, c) {
        "i0j0" => Need::ReachesZero { upper: 9.0 },
        _ => Need::Width { width: 1.0 },
    })
    .unwrap();
    assert!(to_nine.failures.is_empty());
    let beyond = audit(&table, &|c| match region(&table, c) {
        "i0j0" => Need::ReachesZero { upper: 9.5 },
        _ => Need::Width { width: 1.0 },
    })
    .unwrap();
    assert_eq!(beyond.failures.len(), 1);
    assert_eq!(region(&table, beyond.failures[0].cell), "i0j0");
}

#[test]
fn an_amount_needs_its_percent_on_both_sides() {
    // d = 4 ∈ [1, 10]: ±50 % is [2, 6], inside; ±80 % reaches 0.8, below 1.
    let table = square();
    let d = |c: usize| region(&table, c) == "i1j1";
    let half = audit(&table, &|c| match d(c) {
        true => Need::Percent { percent: 50.0 },
        false => Need::Width { width: 1.0 },
    })
    .unwrap();
    assert!(half.failures.is_empty());
    let most = audit(&table, &|c| match d(c) {
        true => Need::Percent { percent: 80.0 },
        false => Need::Width { width: 1.0 },
    })
    .unwrap();
    assert_eq!(most.failures.len(), 1);
    assert!((most.failures[0].lo - 1.0).abs() < 1e-6);
}

#[test]
fn probes_ask_for_the_ends_the_need_lacks() {
    let rz = Need::ReachesZero { upper: 5.0 };
    assert_eq!(probe_ends(rz, 3.0, 3.0, 3.0), (Some(5.0), Some(0.0)));
    assert_eq!(probe_ends(rz, 3.0, 0.0, 3.0), (Some(5.0), None));
    assert_eq!(probe_ends(rz, 3.0, 0.0, 6.0), (None, None));
    let pc = Need::Percent { percent: 10.0 };
    let (up, down) = probe_ends(pc, 100.0, 95.0, 100.0);
    assert!((up.unwrap() - 110.0).abs() < 1e-9 && (down.unwrap() - 90.0).abs() < 1e-9);
    let w = Need::Width { width: 5.0 };
    // [2, 4] seen: a point at 7 or at −1 would do; −1 is below zero, so only the upper one.
    assert_eq!(probe_ends(w, 3.0, 2.0, 4.0), (Some(7.0), None));
    assert_eq!(probe_ends(w, 8.0, 6.0, 8.0), (Some(11.0), Some(3.0)));
    assert_eq!(probe_ends(w, 8.0, 3.0, 8.0), (None, None));
    assert_eq!(
        probe_ends(w, 8.0, f64::INFINITY, f64::NEG_INFINITY),
        (None, None)
    );
}

/// One-column constraints become the column's bounds, worked out by hand: 2·x0 ≤ 6 and
/// −x0 ≤ −1 give x0 in [1, 3]; x1 = 4; x2 ≥ 5 with no upper bound; x3 only x ≥ 0. Bounds that
/// contradict each other leave no program; a crossing within round-off is closed.
#[test]
fn one_column_constraints_are_bounds() {
    use super::lp::{Row, column_bounds};
    let rows: Vec<Row> = vec![
        (vec![(0, 2.0)], ComparisonOp::Le, 6.0),
        (vec![(0, -1.0)], ComparisonOp::Le, -1.0),
        (vec![(1, 1.0)], ComparisonOp::Eq, 4.0),
        (vec![(2, 1.0)], ComparisonOp::Ge, 5.0),
    ];
    assert_eq!(
        column_bounds(4, &rows),
        Some(vec![
            (1.0, 3.0),
            (4.0, 4.0),
            (5.0, f64::INFINITY),
            (0.0, f64::INFINITY)
        ])
    );
    let contradiction: Vec<Row> = vec![
        (vec![(0, 1.0)], ComparisonOp::Le, 1.0),
        (vec![(0, 1.0)], ComparisonOp::Ge, 2.0),
    ];
    assert_eq!(column_bounds(1, &contradiction), None);
    // x = 3 from one relation and x ≥ 5 from another: the no-movers model has no solution.
    let equal_and_above: Vec<Row> = vec![
        (vec![(0, 1.0)], ComparisonOp::Eq, 3.0),
        (vec![(0, 1.0)], ComparisonOp::Ge, 5.0),
    ];
    assert_eq!(column_bounds(1, &equal_and_above), None);
    let round_off: Vec<Row> = vec![
        (vec![(0, 1.0)], ComparisonOp::Eq, 1.0),
        (vec![(0, 1.0)], ComparisonOp::Le, 1.0 - 1e-12),
    ];
    assert_eq!(column_bounds(1, &round_off), Some(vec![(1.0, 1.0)]));
}

/// Movers, worked out by hand. Län L = 10 is published over kommuner A and B, hidden; A = A1 + A2
/// with A1 = 6 published and A2 hidden, B = B1 + B2 with B1 = 5 published and B2 hidden (true
/// values A2 = 1, B2 = 2, so A = 7, B = 7: 4 persons moved between A and B). Without movers
/// L = A + B would need A + B = 10 while A ≥ 6 and B ≥ 5: no solution, so the true model is
/// audited, max(A, B) ≤ 10 ≤ A + B: A in [6, 10], B in [5, 10], A2 in [0, 4], B2 in [0, 5]
/// (A ≤ 10 and B ≤ 10 are one-column constraints, the program's bounds).
#[test]
fn visible_movers_are_audited_in_the_true_model() {
    let cells = Cells::new(
        [
            ("L", 10.0),
            ("A", 7.0),
            ("A1", 6.0),
            ("A2", 1.0),
            ("B", 7.0),
            ("B1", 5.0),
            ("B2", 2.0),
        ]
        .iter()
        .map(|(r, v)| count(r, *v))
        .collect(),
    );
    let at = |region: &str| Term {
        cell: cells.find("antal", "x", region, "totalt").unwrap(),
        part: Part::Taljare,
        factor: 1.0,
    };
    let relation = |kind: RelationKind, left: &str, right: &[&str]| Relation {
        name: "r".into(),
        kind,
        left: at(left),
        right: right.iter().map(|r| at(r)).collect(),
    };
    let relations = vec![
        relation(RelationKind::Movers, "L", &["A", "B"]),
        relation(RelationKind::Exact, "A", &["A1", "A2"]),
        relation(RelationKind::Exact, "B", &["B1", "B2"]),
    ];
    let mut table = Table::new(cells, relations);
    for r in ["A", "A2", "B", "B2"] {
        let c = table.cells.find("antal", "x", r, "totalt").unwrap();
        table.marks[c] = Mark::Secondary;
    }
    let report = audit(&table, &|_| Need::Width { width: 1.0 }).unwrap();
    assert_eq!(report.movers_visible_blocks, 1);
    assert_eq!(report.audited, 4);
    assert!(report.failures.is_empty());
    let narrowest = report.narrowest.unwrap();
    // Widths 4, 5, 4, 5: the narrowest is A or A2 (width 4).
    assert!(["A", "A2"].contains(&region(&table, narrowest.cell)));
    assert!(
        (narrowest.hi - narrowest.lo - 4.0).abs() < 1e-6,
        "{narrowest:?}"
    );
    // Exact intervals of each cell, with a need no feasible point can prove (width 100).
    let report = audit(&table, &|_| Need::Width { width: 100.0 }).unwrap();
    let interval = |r: &str| {
        let a = report
            .failures
            .iter()
            .find(|a| region(&table, a.cell) == r)
            .unwrap();
        assert!(a.exact);
        ((a.lo * 1e6).round() / 1e6, (a.hi * 1e6).round() / 1e6)
    };
    assert_eq!(interval("A"), (6.0, 10.0));
    assert_eq!(interval("B"), (5.0, 10.0));
    assert_eq!(interval("A2"), (0.0, 4.0));
    assert_eq!(interval("B2"), (0.0, 5.0));
}

/// The interval of hidden cell `cell`, solved from scratch: its own program (rows from the
/// relations over the hidden cells, nothing carried over), minimised and maximised.
fn from_scratch(table: &Table, cell: usize) -> (f64, f64) {
    let hidden: Vec<usize> = (0..table.cells.len())
        .filter(|&c| table.marks[c].suppressed())
        .collect();
    let solve = |direction: OptimizationDirection| {
        let mut p = Problem::new(direction);
        let vars: HashMap<usize, microlp::Variable> = hidden
            .iter()
            .map(|&c| {
                (
                    c,
                    p.add_var(if c == cell { 1.0 } else { 0.0 }, (0.0, f64::INFINITY)),
                )
            })
            .collect();
        for rel in &table.relations {
            let mut expr = Vec::new();
            let mut rhs = 0.0;
            for (t, sign) in
                std::iter::once((&rel.left, 1.0)).chain(rel.right.iter().map(|t| (t, -1.0)))
            {
                match vars.get(&t.cell) {
                    Some(&v) => expr.push((v, sign)),
                    None => rhs -= sign * table.value(t).unwrap(),
                }
            }
            if !expr.is_empty() {
                p.add_constraint(expr, ComparisonOp::Eq, rhs);
            }
        }
        let solution = p.solve().unwrap().into_solution().unwrap();
        solution.objective()
    };
    (
        solve(OptimizationDirection::Minimize),
        solve(OptimizationDirection::Maximize),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    /// Whatever proves a cell (shared solves, probes, exact warm solves), the verdict is the
    /// one of the cell's exact interval solved from scratch: a cell passes exactly when that
    /// interval meets its need.
    #[test]
    fn every_verdict_is_that_of_the_exact_interval(
        values in proptest::collection::vec(proptest::collection::vec(0u8..15, 3), 3..5),
        hidden in proptest::collection::vec(proptest::collection::vec(proptest::bool::weighted(0.5), 3), 5),
        widths in proptest::collection::vec(0u8..4, 15),
    ) {
        let values: Vec<Vec<f64>> = values.iter().map(|r| r.iter().map(|&v| f64::from(v)).collect()).collect();
        let hidden: Vec<Vec<bool>> = hidden[..values.len()].to_vec();
        let table = two_way(&values, &hidden);
        // Needs by cell, a mix of the three kinds.
        let need = |c: usize| {
            let k = usize::from(widths[c % widths.len()]);
            match k {
                0 => Need::ReachesZero { upper: 5.0 },
                1 => Need::Width { width: 3.0 },
                2 => Need::Width { width: 8.0 },
                _ => Need::Percent { percent: 30.0 },
            }
        };
        let report = audit(&table, &need).unwrap();
        let failing: BTreeSet<usize> = report.failures.iter().map(|f| f.cell).collect();
        for c in (0..table.cells.len()).filter(|&c| table.marks[c].suppressed()) {
            let value = table.cells[c].numerator().unwrap();
            let (lo, hi) = from_scratch(&table, c);
            let pass = need(c).met(value, lo, hi, tolerance(value));
            prop_assert_eq!(!failing.contains(&c), pass, "cell {} [{}, {}] {:?}", region(&table, c), lo, hi, need(c));
        }
    }
}
