//! Secondary suppression over all linked tables jointly, to a fixpoint: no exact or movers
//! relation may have exactly one term an intruder lacks when that term belongs to a suppressed
//! cell (movers relations count as exact here: an intruder may assume there are no movers).
//!
//! Only numerators are protected. A missing or not-applicable term, or the denominator of a
//! suppressed cell, that is the only unknown of a relation is one an intruder can derive; it then counts as known for the other relations it is in (a län marked `-` for
//! a bortfall kommun follows from riket and the other län, and must not give away a suppressed
//! kommun of that län).
//!
//! Choice, deterministic: in the relation to protect, the published term with the smallest
//! non-zero number (value × factor) is suppressed (a zero hides nothing; zeros come last); ties go to the cell whose suppression leaves the fewest
//! further relations with a single unknown, then to the cell first in key order. Relations are
//! processed in declaration order, each again whenever one of its cells changes.

use super::cells::Mark;
use super::relations::Term;
use super::table::Table;
use crate::config::disclosure::{Part, RelationKind};
use std::collections::{BTreeSet, HashSet};

/// Suppresses cells until no exact or movers relation reveals a suppressed cell. Returns the
/// relations that could not be protected (no published term left to suppress).
pub fn protect(table: &mut Table) -> Vec<usize> {
    let mut derived: HashSet<(usize, Part)> = HashSet::new();
    let mut queue: BTreeSet<usize> = (0..table.relations.len())
        .filter(|&r| table.relations[r].kind != RelationKind::AtMost)
        .collect();
    let mut stuck = BTreeSet::new();
    while let Some(r) = queue.pop_first() {
        let rel = &table.relations[r];
        if rel.kind == RelationKind::AtMost {
            continue;
        }
        let unknown: Vec<Term> = rel
            .terms()
            .filter(|t| table.unknown(t) && !derived.contains(&(t.cell, t.part)))
            .copied()
            .collect();
        let [only] = unknown.as_slice() else {
            continue;
        };
        if !(table.marks[only.cell].suppressed() && only.part == Part::Taljare) {
            // A missing or not-applicable number, or the denominator of a suppressed cell
            // (confidential only as another cell's numerator): derivable, not protected here.
            derived.insert((only.cell, only.part));
            queue.extend(table.relations_of[only.cell].iter().copied());
            continue;
        }
        match cheapest(table, r, &derived) {
            Some(cell) => {
                table.marks[cell] = Mark::Secondary;
                queue.extend(table.relations_of[cell].iter().copied());
            }
            None => {
                stuck.insert(r);
            }
        }
    }
    stuck.into_iter().collect()
}

/// The published term of relation `r` to suppress next, by the documented order.
pub fn cheapest(table: &Table, r: usize, derived: &HashSet<(usize, Part)>) -> Option<usize> {
    table.relations[r]
        .terms()
        .filter(|t| candidate(table, t))
        .map(|t| {
            let singles = table.relations_of[t.cell]
                .iter()
                .filter(|&&o| {
                    let rel = &table.relations[o];
                    rel.kind != RelationKind::AtMost
                        && rel
                            .terms()
                            .all(|x| !table.unknown(x) || derived.contains(&(x.cell, x.part)))
                })
                .count();
            let cost = table.cost(t);
            (cost == 0.0, cost, singles, t.cell)
        })
        .min_by(|a, b| {
            a.0.cmp(&b.0)
                .then(a.1.total_cmp(&b.1))
                .then(a.2.cmp(&b.2))
                .then(a.3.cmp(&b.3))
        })
        .map(|(_, _, _, cell)| cell)
}

/// Whether suppressing the term's cell hides something: the cell is published and the term is
/// not already known from an earlier release.
pub(crate) fn candidate(table: &Table, t: &Term) -> bool {
    table.marks[t.cell] == Mark::Published
        && table.cells[t.cell].computed()
        && !match t.part {
            Part::Taljare => table.frozen[t.cell].0,
            Part::Namnare => table.frozen[t.cell].1,
        }
}
