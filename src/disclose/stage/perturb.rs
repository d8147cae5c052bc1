//! Repair by perturbation, for a suppressed cell the audit keeps finding too narrow: the
//! published cells whose suppression lets its numerator move by its protection while every
//! relation near it still holds (the attacker subproblem of Fischetti and Salazar's cell
//! suppression, one linear program per direction the cell must move in).
//!
//! One more suppression in the relation that pins a cell most (the first repair) cannot help
//! when no single cell adds freedom: a respondent of the survey is in four exact relations at
//! once (riket, län, kommungrupp, storleksklass), so it can move only along a cycle – another
//! respondent moving the other way, and the totals of every group the two do not share moving
//! with them. This program finds such a cycle directly.
//!
//! A direction is a change `y` of the numbers. `y` of the failing cell's numerator is fixed at
//! the shift its protection asks for (a count: `+width`, or `−width` where the number allows it;
//! a small count: down to 0 and up to its upper level; an amount: `± p·value`). Every relation
//! keeps its kind at the true numbers: the changes of an exact or movers relation sum to zero,
//! an inequality stays true (a movers parent stays at least each part). No number goes below
//! zero. A number an intruder knows does not change: frozen by an earlier release, or in a
//! relation outside the neighbourhood (the relations within [`MAX_DEPTH`] steps of the cell, at
//! most [`MAX_RELATIONS`], nearest first: a wider neighbourhood only adds ways to move, so one
//! program over it finds the cheapest).
//! The program minimises the total change of published numbers, a unit of change of a published
//! number `x` costing `1 + ln(1 + |x|)` (small numbers first, as in the first repair, without
//! amounts of billions outweighing every count) and of a number already unknown 10⁻⁶; the
//! published cells that change are the ones to suppress.
//!
//! Guarantees: only published, computed, not-frozen cells are returned; the same table gives
//! the same cells. The audit that follows decides: the intruder's no-movers model can be
//! narrower than the true numbers plus `y` show.

use crate::config::disclosure::{Part, RelationKind};
use crate::disclose::audit::{Audited, Need};
use crate::disclose::cells::Mark;
use crate::disclose::relations::Term;
use crate::disclose::secondary;
use crate::disclose::table::Table;
use microlp::{ComparisonOp, OptimizationDirection, Problem};
use std::collections::{BTreeMap, BTreeSet};

/// The neighbourhood, in relation steps from the failing cell.
pub(super) const MAX_DEPTH: usize = 3;
/// The most relations a neighbourhood holds (the program stays small).
pub(super) const MAX_RELATIONS: usize = 2000;
/// The cost of a unit of change of a number an intruder lacks already.
const UNKNOWN_COST: f64 = 1e-6;
/// A change smaller than this (in units of the shift) is no change.
const MOVED: f64 = 1e-7;

/// The published cells to suppress so that `failure` reaches its protection, or `None` when the
/// neighbourhood does not let it move in every direction it must, or when the
/// program needs no published cell (the audit's model is narrower than this one: the first
/// repair decides then).
pub(super) fn protect_cell(table: &Table, failure: &Audited) -> Option<BTreeSet<usize>> {
    let needs = shifts(failure);
    if needs.is_empty() {
        return None;
    }
    let relations = neighbourhood(table, failure.cell, MAX_DEPTH);
    let free = free_terms(table, failure.cell, &relations)?;
    let mut chosen = BTreeSet::new();
    for alternatives in &needs {
        let cells = alternatives
            .iter()
            .find_map(|&shift| solve(table, failure.cell, shift, &relations, &free))?;
        chosen.extend(cells);
    }
    (!chosen.is_empty()).then_some(chosen)
}

/// The moves of the failing cell's numerator its protection needs, from its interval now: each
/// a list of alternative shifts, tried in order.
fn shifts(failure: &Audited) -> Vec<Vec<f64>> {
    let v = failure.value;
    match failure.need {
        // Up, or down where the number allows it.
        Need::Width { width } if v >= width => vec![vec![width, -width]],
        Need::Width { width } => vec![vec![width]],
        Need::ReachesZero { upper } => {
            let mut s = Vec::new();
            if v > 0.0 && failure.lo > 0.0 {
                s.push(vec![-v]);
            }
            if failure.hi < upper && upper > v {
                s.push(vec![upper - v]);
            }
            s
        }
        Need::Percent { percent } => {
            let p = percent / 100.0 * v.abs();
            let mut s = Vec::new();
            if p > 0.0 && failure.lo > v - p {
                s.push(vec![-p]);
            }
            if p > 0.0 && failure.hi < v + p {
                s.push(vec![p]);
            }
            s
        }
    }
}

/// The relations within `depth` steps of `cell` (a step: from a cell to every relation it is
/// in, then to every cell of those), in ascending order, cut at [`MAX_RELATIONS`].
fn neighbourhood(table: &Table, cell: usize, depth: usize) -> BTreeSet<usize> {
    let mut relations = BTreeSet::new();
    let mut cells: BTreeSet<usize> = BTreeSet::from([cell]);
    let mut frontier = vec![cell];
    for _ in 0..depth {
        let mut next = Vec::new();
        for &c in &frontier {
            for &r in &table.relations_of[c] {
                if relations.len() >= MAX_RELATIONS {
                    return relations;
                }
                if relations.insert(r) {
                    for t in table.relations[r].terms() {
                        if cells.insert(t.cell) {
                            next.push(t.cell);
                        }
                    }
                }
            }
        }
        frontier = next;
    }
    relations
}

/// The true number of a cell's part (no factor).
fn raw(table: &Table, (cell, part): (usize, Part)) -> Option<f64> {
    table.value(&Term {
        cell,
        part,
        factor: 1.0,
    })
}

/// The numbers of `relations` that may change, numbered in key order (each becomes `up − down`
/// in the programs), or `None` when the failing cell's numerator cannot.
fn free_terms(
    table: &Table,
    target: usize,
    relations: &BTreeSet<usize>,
) -> Option<BTreeMap<(usize, Part), usize>> {
    let key = (target, Part::Taljare);
    let free: BTreeMap<(usize, Part), usize> = relations
        .iter()
        .flat_map(|&r| table.relations[r].terms())
        .filter(|t| may_change(table, t, relations, key))
        .map(|t| (t.cell, t.part))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .enumerate()
        .map(|(i, k)| (k, i))
        .collect();
    free.contains_key(&key).then_some(free)
}

/// One direction: the published cells that change when the failing cell's numerator moves by
/// `shift` at the least total change, or `None` when it cannot move so within `relations`.
fn solve(
    table: &Table,
    target: usize,
    shift: f64,
    relations: &BTreeSet<usize>,
    free: &BTreeMap<(usize, Part), usize>,
) -> Option<BTreeSet<usize>> {
    let unit = shift.abs();
    let key = (target, Part::Taljare);
    let mut p = Problem::new(OptimizationDirection::Minimize);
    let mut cols = Vec::with_capacity(free.len());
    for &k in free.keys() {
        let number = raw(table, k).unwrap_or(0.0);
        let cost = if table.marks[k.0] == Mark::Published {
            1.0 + number.abs().ln_1p()
        } else {
            UNKNOWN_COST
        };
        // No number below zero; a number that is not there (a `-` parent) only grows.
        let floor = number.max(0.0) / unit;
        let up = p.add_var(cost, (0.0, f64::INFINITY));
        let down = p.add_var(cost, (0.0, floor));
        cols.push((up, down));
    }
    // A row over y: coefficients by free term, merged (a term may appear twice), expanded to
    // up − down.
    let expand = |coefs: BTreeMap<usize, f64>| -> Vec<(microlp::Variable, f64)> {
        coefs
            .into_iter()
            .filter(|&(_, f)| f != 0.0)
            .flat_map(|(i, f)| [(cols[i].0, f), (cols[i].1, -f)])
            .collect()
    };
    let add = |coefs: &mut BTreeMap<usize, f64>, t: &Term, sign: f64| {
        if let Some(&i) = free.get(&(t.cell, t.part)) {
            *coefs.entry(i).or_insert(0.0) += sign * t.factor;
        }
    };
    let (up, down) = cols[free[&key]];
    p.add_constraint([(up, 1.0), (down, -1.0)], ComparisonOp::Eq, shift / unit);
    for &r in relations {
        let rel = &table.relations[r];
        // left − Σ right at the true numbers (unknown when a number is not there).
        let slack = table
            .value(&rel.left)
            .and_then(|l| {
                rel.right
                    .iter()
                    .try_fold(l, |acc, t| Some(acc - table.value(t)?))
            })
            .map_or(0.0, |s| s / unit);
        let mut coefs = BTreeMap::new();
        add(&mut coefs, &rel.left, 1.0);
        for t in &rel.right {
            add(&mut coefs, t, -1.0);
        }
        let row = expand(coefs);
        if row.is_empty() {
            continue;
        }
        match rel.kind {
            RelationKind::Exact => p.add_constraint(row, ComparisonOp::Eq, 0.0),
            RelationKind::AtLeastSum => p.add_constraint(row, ComparisonOp::Ge, -slack.max(0.0)),
            RelationKind::AtMost => p.add_constraint(row, ComparisonOp::Le, (-slack).max(0.0)),
            RelationKind::Movers => {
                p.add_constraint(row, ComparisonOp::Eq, 0.0);
                // The parent stays at least each part.
                for t in &rel.right {
                    let mut pair = BTreeMap::new();
                    add(&mut pair, &rel.left, 1.0);
                    add(&mut pair, t, -1.0);
                    let gap = match (table.value(&rel.left), table.value(t)) {
                        (Some(l), Some(x)) => (l - x) / unit,
                        _ => 0.0,
                    };
                    let pair = expand(pair);
                    if !pair.is_empty() {
                        p.add_constraint(pair, ComparisonOp::Ge, -gap.max(0.0));
                    }
                }
            }
        }
    }
    let solution = p.solve().ok()?.into_solution().ok()?;
    Some(
        free.iter()
            .filter(|&(&(cell, _), &i)| {
                let (u, d) = cols[i];
                // A published number may change only when its cell can be suppressed.
                cell != target
                    && table.marks[cell] == Mark::Published
                    && (solution[u] - solution[d]).abs() > MOVED
            })
            .map(|(&(cell, _), _)| cell)
            .collect(),
    )
}

/// Whether the number `t` may change: the target's numerator always; otherwise a number of a
/// published cell repair may suppress ([`secondary::candidate`]: computed, not frozen) or of a
/// hidden cell that an intruder lacks, in no relation outside `relations`.
fn may_change(table: &Table, t: &Term, relations: &BTreeSet<usize>, target: (usize, Part)) -> bool {
    if (t.cell, t.part) == target {
        return true;
    }
    let changeable = if table.marks[t.cell] == Mark::Published {
        secondary::candidate(table, t)
    } else {
        table.unknown(t)
    };
    if !changeable {
        return false;
    }
    table.relations_of[t.cell].iter().all(|r| {
        relations.contains(r)
            || !table.relations[*r]
                .terms()
                .any(|x| x.cell == t.cell && x.part == t.part)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclose::audit::audit;
    use crate::disclose::cells::{Cells, test_count as count};
    use crate::disclose::relations::Relation;

    /// Four respondents a, b (län L1), c, d (län L2); a, c in group G1, b, d in G2; the riket
    /// total T over all four – the survey's crossing hierarchies in small. `hidden` regions are
    /// suppressed.
    fn crossing(a: f64, b: f64, c: f64, d: f64, hidden: &[&str]) -> Table {
        use RelationKind::Exact;
        linked(
            &[
                ("a", a),
                ("b", b),
                ("c", c),
                ("d", d),
                ("L1", a + b),
                ("L2", c + d),
                ("G1", a + c),
                ("G2", b + d),
                ("T", a + b + c + d),
            ],
            &[
                (Exact, "L1", &["a", "b"]),
                (Exact, "L2", &["c", "d"]),
                (Exact, "G1", &["a", "c"]),
                (Exact, "G2", &["b", "d"]),
                (Exact, "T", &["a", "b", "c", "d"]),
            ],
            hidden,
        )
    }

    /// A table of counts (`region`, number) linked by `(kind, left, right)` relations, with the
    /// `hidden` regions suppressed.
    fn linked(
        counts: &[(&str, f64)],
        relations: &[(RelationKind, &str, &[&str])],
        hidden: &[&str],
    ) -> Table {
        let cells = Cells::new(counts.iter().map(|&(r, n)| count(r, n)).collect());
        let at = |region: &str| Term {
            cell: cells.find("antal", "x", region, "totalt").unwrap(),
            part: Part::Taljare,
            factor: 1.0,
        };
        let relations = relations
            .iter()
            .map(|&(kind, left, right)| Relation {
                name: "test".into(),
                kind,
                left: at(left),
                right: right.iter().map(|r| at(r)).collect(),
            })
            .collect();
        let mut table = Table::new(cells, relations);
        for r in hidden {
            let cell = find(&table, r);
            table.marks[cell] = Mark::Secondary;
        }
        table
    }

    /// Repairs `region` (pinned under a width of 5) by perturbation, suppresses what the repair
    /// returns, checks that the audit then passes, and returns the suppressed regions.
    fn freed_by(table: &mut Table, region: &str) -> Vec<String> {
        let need = Need::Width { width: 5.0 };
        let failure = pinned(table, need, region);
        let cells = protect_cell(table, &failure).expect("the cell can be freed");
        let names = regions(table, &cells);
        for c in cells {
            table.marks[c] = Mark::Secondary;
        }
        let after = audit(table, &|_| need).unwrap();
        assert!(after.failures.is_empty(), "{:?}", after.failures);
        names
    }

    /// The audit's failure of `region` under `need` (it must fail).
    fn pinned(table: &Table, need: Need, region: &str) -> Audited {
        audit(table, &|_| need)
            .unwrap()
            .failures
            .into_iter()
            .find(|f| f.cell == find(table, region))
            .expect("the cell is pinned")
    }

    fn find(table: &Table, region: &str) -> usize {
        table.cells.find("antal", "x", region, "totalt").unwrap()
    }

    fn regions(table: &Table, cells: &BTreeSet<usize>) -> Vec<String> {
        cells
            .iter()
            .map(|&c| table.cells[c].region.clone())
            .collect()
    }

    /// a = 20 and b = 30 hidden in L1: a = G1 − c with c published. One more suppression in a
    /// relation of a never frees it (c: then c = L2 − d; G1: then b = G2 − d and a = L1 − b).
    /// The cheapest change moving a by +5: b −5, c −5, d +5 (cost of c and d: 2 + ln 41 + ln 3
    /// = 6.8; the other two-cell change, G1 +5 and G2 −5: 2 + ln 61 + ln 33 = 9.6; three-cell
    /// changes cost more). With c and d hidden too, b = 50 − a, c = 60 − a, d = a − 18: the
    /// audit puts a in [18, 50].
    #[test]
    fn a_respondent_pinned_by_crossing_groups_is_freed_by_a_rectangle() {
        let mut table = crossing(20.0, 30.0, 40.0, 2.0, &["a", "b"]);
        assert_eq!(freed_by(&mut table, "a"), ["c", "d"]);
        let a = find(&table, "a");
        let (lo, hi) = audit_interval(&table, a);
        assert!(
            (lo - 18.0).abs() < 1e-6 && (hi - 50.0).abs() < 1e-6,
            "[{lo}, {hi}]"
        );
    }

    /// a = 3, primary (it must reach 0 and 5): down 3 and up 2 both take c and d (cost
    /// 2 + ln 44 + ln 13 = 8.3 against G1, G2: 2 + ln 44 + ln 43 = 9.5). Then b = 33 − a,
    /// c = 43 − a, d = 9 + a: a in [0, 33].
    #[test]
    fn a_small_count_is_moved_to_zero_and_to_its_upper_level() {
        let mut table = crossing(3.0, 30.0, 40.0, 12.0, &["a", "b"]);
        let failure = pinned(&table, Need::ReachesZero { upper: 5.0 }, "a");
        assert_eq!(shifts(&failure), vec![vec![-3.0], vec![2.0]]);
        let cells = protect_cell(&table, &failure).expect("a can be freed");
        assert_eq!(regions(&table, &cells), ["c", "d"]);
        for c in cells {
            table.marks[c] = Mark::Secondary;
        }
        let (lo, hi) = audit_interval(&table, find(&table, "a"));
        assert!(lo.abs() < 1e-6 && (hi - 33.0).abs() < 1e-6, "[{lo}, {hi}]");
    }

    /// c and G1 were published in an earlier release: a = G1 − c whatever is suppressed now,
    /// so no change frees a and the repair says so (the first repair and the audit decide).
    #[test]
    fn numbers_an_intruder_knows_never_change() {
        let mut table = crossing(20.0, 30.0, 40.0, 2.0, &["a", "b", "c"]);
        for r in ["c", "G1"] {
            let cell = find(&table, r);
            table.frozen[cell] = (true, true);
        }
        let failure = pinned(&table, Need::Width { width: 5.0 }, "a");
        assert_eq!(protect_cell(&table, &failure), None);
    }

    /// A count too small to go down by its width moves up only: a = 3 with width 5.
    #[test]
    fn a_count_smaller_than_its_width_only_moves_up() {
        let table = crossing(3.0, 30.0, 40.0, 2.0, &["a", "b"]);
        let failure = pinned(&table, Need::Width { width: 5.0 }, "a");
        assert_eq!(shifts(&failure), vec![vec![5.0]]);
        let big = crossing(20.0, 30.0, 40.0, 2.0, &["a", "b"]);
        let failure = pinned(&big, Need::Width { width: 5.0 }, "a");
        assert_eq!(shifts(&failure), vec![vec![5.0, -5.0]]);
    }

    /// Kommuner a = 20 and b = 30 hidden in a län L = 45 with movers (5 persons counted in both
    /// kommuner: L is at least each kommun and at most their sum, and a change of the kommuner
    /// moves L by as much); groups G1 = a + c = 60 and G2 = b + d = 32 exact, c = 40 and d = 2
    /// published. a = G1 − c is pinned. Moving a by +5: b −5, c −5, d +5 keeps G1, G2 and L
    /// (Δa + Δb = 0, and L = 45 stays at least a = 25 and b = 25), costing c and d
    /// 2 + ln 41 + ln 3 = 6.8 a unit; moving L instead costs 1 + ln 46 = 4.8 a unit beside
    /// G1's 5.1 or c's 4.7, 9.5 or more. So c and d, and after them the audit frees a. (The
    /// movers relation's inequalities do not bind here; its changes must still add up.)
    #[test]
    fn a_kommun_in_a_lan_with_movers_is_freed_without_moving_the_lan() {
        use RelationKind::{Exact, Movers};
        let mut table = linked(
            &[
                ("a", 20.0),
                ("b", 30.0),
                ("c", 40.0),
                ("d", 2.0),
                ("L", 45.0),
                ("G1", 60.0),
                ("G2", 32.0),
            ],
            &[
                (Movers, "L", &["a", "b"]),
                (Exact, "G1", &["a", "c"]),
                (Exact, "G2", &["b", "d"]),
            ],
            &["a", "b"],
        );
        assert_eq!(freed_by(&mut table, "a"), ["c", "d"]);
    }

    /// A repair round counts what perturbation did: with a = 20 and b = 30 hidden, the audit
    /// (width 5) pins a (a = G1 − c) and b (b = G2 − d). a failed the round before too, so it is
    /// repaired by perturbation: c and d (worked out in the test above), both published before –
    /// one cell repaired, two suppressed. b shares the relation L1 with a and waits for the next
    /// round. Without a persistent failure nothing is counted.
    #[test]
    fn a_repair_round_counts_what_perturbation_suppressed() {
        let width = |_| Need::Width { width: 5.0 };
        let mut table = crossing(20.0, 30.0, 40.0, 2.0, &["a", "b"]);
        let report = audit(&table, &width).unwrap();
        let mut failing: Vec<String> = report
            .failures
            .iter()
            .map(|f| table.cells[f.cell].region.clone())
            .collect();
        failing.sort();
        assert_eq!(failing, ["a", "b"]);
        let persistent = BTreeSet::from([find(&table, "a")]);
        let mut perturbed = crate::disclose::report::Perturbed::default();
        assert!(super::super::protect::repair(
            &mut table,
            &report,
            &persistent,
            &mut perturbed
        ));
        assert_eq!(perturbed.cells, 1);
        assert_eq!(perturbed.suppressed, 2);
        let hidden: BTreeSet<usize> = (0..table.cells.len())
            .filter(|&c| table.marks[c].suppressed())
            .collect();
        assert_eq!(regions(&table, &hidden), ["a", "b", "c", "d"]);

        let mut table = crossing(20.0, 30.0, 40.0, 2.0, &["a", "b"]);
        let mut none = crate::disclose::report::Perturbed::default();
        assert!(super::super::protect::repair(
            &mut table,
            &report,
            &BTreeSet::new(),
            &mut none
        ));
        assert_eq!(none, crate::disclose::report::Perturbed::default());
    }

    /// The exact interval of a cell's numerator, from the audit with a need no interval meets.
    fn audit_interval(table: &Table, cell: usize) -> (f64, f64) {
        let report = audit(table, &|_| Need::Width { width: 1e9 }).unwrap();
        let f = report
            .failures
            .iter()
            .find(|f| f.cell == cell)
            .expect("every cell fails an impossible need");
        assert!(f.exact);
        (f.lo, f.hi)
    }
}
