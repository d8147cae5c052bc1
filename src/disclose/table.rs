//! The linked table disclosure control works on: cells, their marks, the relations between
//! them, and what an intruder already knows from earlier releases of the year.
//!
//! Guarantees: the value an intruder knows of a term is decided here only ([`Table::known`]):
//! a published cell's numbers, and the numbers of a cell published with the same numerator in an
//! earlier release of the year (*frozen*), whatever it shows now.

use super::cells::{Cells, Mark};
use super::relations::{Relation, Term};
use crate::config::disclosure::Part;

/// Cells, marks and relations.
#[derive(Debug)]
pub struct Table {
    pub cells: Cells,
    pub marks: Vec<Mark>,
    pub relations: Vec<Relation>,
    /// For every cell, the relations it is a term of (ascending).
    pub(crate) relations_of: Vec<Vec<usize>>,
    /// Per cell, whether an earlier release of the year published its (numerator, denominator)
    /// with the value it has now: an intruder knows those numbers whatever the cell shows now.
    pub frozen: Vec<(bool, bool)>,
}

impl Table {
    /// A table with every computed cell published and `-`/`.` cells as the models marked them.
    pub fn new(cells: Cells, relations: Vec<Relation>) -> Self {
        let n = cells.len();
        let marks = cells.cells.iter().map(|c| c.input).collect();
        let mut relations_of = vec![Vec::new(); n];
        for (r, rel) in relations.iter().enumerate() {
            for t in rel.terms() {
                if relations_of[t.cell].last() != Some(&r) {
                    relations_of[t.cell].push(r);
                }
            }
        }
        Table {
            cells,
            marks,
            relations,
            relations_of,
            frozen: vec![(false, false); n],
        }
    }

    /// The true value of a term (before any suppression), when the cell has that number.
    pub fn value(&self, t: &Term) -> Option<f64> {
        let c = &self.cells[t.cell];
        let v = match t.part {
            Part::Taljare => c.numerator(),
            Part::Namnare => c.namnare,
        };
        v.map(|v| v * t.factor)
    }

    /// The value of a term an intruder knows: from the release being made when the cell is
    /// published, or from an earlier release when the cell is frozen.
    pub fn known(&self, t: &Term) -> Option<f64> {
        let (taljare, namnare) = self.frozen[t.cell];
        let frozen = match t.part {
            Part::Taljare => taljare,
            Part::Namnare => namnare,
        };
        if self.marks[t.cell] == Mark::Published || frozen {
            self.value(t)
        } else {
            None
        }
    }

    /// Whether a cell's numerator is confidential and hidden: suppressed and not frozen.
    pub fn confidential(&self, cell: usize) -> bool {
        self.marks[cell].suppressed() && !self.frozen[cell].0
    }

    /// Whether an intruder lacks this term (it is suppressed, missing or not applicable, and
    /// not known from an earlier release).
    pub fn unknown(&self, t: &Term) -> bool {
        self.known(t).is_none()
    }

    /// The cost of suppressing a cell as the term of a relation: the size of the number that
    /// would be hidden (smaller costs less).
    pub fn cost(&self, t: &Term) -> f64 {
        self.value(t).map(f64::abs).unwrap_or(0.0)
    }
}
