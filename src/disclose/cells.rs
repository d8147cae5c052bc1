//! The cells of one year's indicator table as plain Rust values, and the marks disclosure
//! control gives them.
//!
//! Guarantees: cells are in key order (ar, indikator, niva, region, grupp), so the index of a
//! cell is a deterministic tie-break; a cell's numerator is defined in one place
//! ([`Cell::numerator`]).

use super::error::DiscloseError;
use super::kind::IndicatorKinds;
use crate::session::scratch::{floats, ints, texts};
use crate::vocab::IndicatorKind;
use datafusion::arrow::array::RecordBatch;
use std::collections::HashMap;
use std::fmt;

/// What a cell shows after disclosure control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mark {
    /// Value, numerator and denominator are published.
    Published,
    /// `..` by a primary rule.
    Primary(PrimaryReason),
    /// `..` to protect another suppressed cell.
    Secondary,
    /// `-`, from the models.
    Missing,
    /// `.`, from the models.
    NotApplicable,
}

/// Which primary rule suppressed a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrimaryReason {
    /// Numerator in `1..min_numerator`.
    Numerator,
    /// Denominator below `min_denominator`.
    Denominator,
    /// Fewer than `min_contributors` households behind an amount.
    Contributors,
    /// The p % dominance rule of amounts.
    Dominance,
    /// A respondent's households per case worker with 0 < households < `min_households`.
    Households,
}

impl Mark {
    /// The published status text.
    pub fn status(self) -> &'static str {
        match self {
            Mark::Published => "",
            Mark::Primary(_) | Mark::Secondary => "..",
            Mark::Missing => "-",
            Mark::NotApplicable => ".",
        }
    }

    /// Suppressed (`..`) by any rule.
    pub fn suppressed(self) -> bool {
        matches!(self, Mark::Primary(_) | Mark::Secondary)
    }
}

/// One cell of the indicator table before rounding.
#[derive(Debug, Clone)]
pub struct Cell {
    pub ar: i64,
    pub indikator: String,
    pub niva: String,
    pub region: String,
    pub regionnamn: Option<String>,
    pub grupp: String,
    pub kind: IndicatorKind,
    pub varde: Option<f64>,
    pub taljare: Option<f64>,
    pub namnare: Option<f64>,
    /// The mark the models gave it: `Published` (computed), `Missing` or `NotApplicable`.
    pub input: Mark,
}

impl Cell {
    /// The numerator: `taljare`, and for counts and tkr (no separate numerator) the value.
    pub fn numerator(&self) -> Option<f64> {
        match self.kind {
            IndicatorKind::Antal | IndicatorKind::Tkr => self.taljare.or(self.varde),
            _ => self.taljare,
        }
    }

    /// Computed by the models (not `-` or `.`).
    pub fn computed(&self) -> bool {
        self.input == Mark::Published
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {}",
            self.ar, self.indikator, self.niva, self.region, self.grupp
        )
    }
}

/// All cells of a table, in key order, with an index by key.
#[derive(Debug, Default)]
pub struct Cells {
    pub cells: Vec<Cell>,
    index: HashMap<(String, String, String, String), usize>,
}

impl Cells {
    /// Builds the table from cells (sorted here by key).
    pub fn new(mut cells: Vec<Cell>) -> Self {
        cells.sort_by(|a, b| {
            (a.ar, &a.indikator, &a.niva, &a.region, &a.grupp).cmp(&(
                b.ar,
                &b.indikator,
                &b.niva,
                &b.region,
                &b.grupp,
            ))
        });
        let index = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    (
                        c.indikator.clone(),
                        c.niva.clone(),
                        c.region.clone(),
                        c.grupp.clone(),
                    ),
                    i,
                )
            })
            .collect();
        Cells { cells, index }
    }

    /// Reads indicator rows (ar, indikator, niva, region, regionnamn, grupp, varde, taljare, namnare, status)
    /// from batches; `kinds` gives each indicator's kind.
    pub(crate) fn from_batches(
        batches: &[RecordBatch],
        kinds: &IndicatorKinds,
    ) -> Result<Self, DiscloseError> {
        let mut cells = Vec::new();
        for batch in batches {
            let col = |name: &str| {
                batch
                    .schema()
                    .index_of(name)
                    .map_err(|_| DiscloseError::Shape {
                        table: "indicator rows",
                        message: format!("missing column {name}"),
                    })
            };
            let ar = ints(batch, col("ar")?)?;
            let indikator = texts(batch, col("indikator")?)?;
            let niva = texts(batch, col("niva")?)?;
            let region = texts(batch, col("region")?)?;
            let regionnamn = texts(batch, col("regionnamn")?)?;
            let grupp = texts(batch, col("grupp")?)?;
            let varde = floats(batch, col("varde")?)?;
            let taljare = floats(batch, col("taljare")?)?;
            let namnare = floats(batch, col("namnare")?)?;
            let status = texts(batch, col("status")?)?;
            for i in 0..batch.num_rows() {
                let id = indikator[i].clone().unwrap_or_default();
                let kind = *kinds.get(&id).ok_or_else(|| DiscloseError::UnknownKind {
                    indikator: id.clone(),
                })?;
                let input = match status[i].as_deref() {
                    Some("-") => Mark::Missing,
                    Some(".") => Mark::NotApplicable,
                    _ => Mark::Published,
                };
                cells.push(Cell {
                    ar: ar[i].unwrap_or_default(),
                    indikator: id,
                    niva: niva[i].clone().unwrap_or_default(),
                    region: region[i].clone().unwrap_or_default(),
                    regionnamn: regionnamn[i].clone(),
                    grupp: grupp[i].clone().unwrap_or_default(),
                    kind,
                    varde: varde[i],
                    taljare: taljare[i],
                    namnare: namnare[i],
                    input,
                });
            }
        }
        Ok(Cells::new(cells))
    }

    /// The index of the cell with this key.
    pub fn find(&self, indikator: &str, niva: &str, region: &str, grupp: &str) -> Option<usize> {
        self.index
            .get(&(
                indikator.to_string(),
                niva.to_string(),
                region.to_string(),
                grupp.to_string(),
            ))
            .copied()
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether there are no cells.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

impl std::ops::Index<usize> for Cells {
    type Output = Cell;
    fn index(&self, i: usize) -> &Cell {
        &self.cells[i]
    }
}

/// A count cell of indicator `antal` at level `x`, group `totalt`, published, with numerator and
/// value `t`: the cell of the hand-worked disclosure tests.
#[cfg(test)]
pub(crate) fn test_count(region: &str, t: f64) -> Cell {
    Cell {
        ar: 2017,
        indikator: "antal".into(),
        niva: "x".into(),
        region: region.into(),
        regionnamn: None,
        grupp: "totalt".into(),
        kind: crate::vocab::IndicatorKind::Antal,
        varde: Some(t),
        taljare: Some(t),
        namnare: None,
        input: Mark::Published,
    }
}
