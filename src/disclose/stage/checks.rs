//! What the disclose stage refuses and freezes before it protects anything: invalid statuses,
//! duplicate keys, missing columns, declared relations that do not hold on the true numbers, and
//! the cells earlier releases of the year already published.

use super::{DUPLICATE_SQL, INVALID_STATUS_SQL};
use crate::config::disclosure::RelationKind;
use crate::disclose::error::DiscloseError;
use crate::disclose::table::Table;
use crate::session::scratch::{Scratch, ints, texts};
use crate::vocab::IndicatorKind;
use datafusion::arrow::array::RecordBatch;
use datafusion::common::ParamValues;
use datafusion::prelude::DataFrame;
use std::collections::HashMap;

/// Every declared exact relation holds on the true numbers (to rounding): otherwise the
/// declaration or a model is wrong, and nothing can be audited. An inequality (movers, long-term
/// counts, subsets) that does not hold for some cells (a person who is long-term in two parts,
/// say) cannot be relied on there, by the audit or an intruder: those instances are left out and
/// counted. Returns the table to work on and the number left out.
pub(super) fn check_relations_hold(table: Table) -> Result<(Table, usize), DiscloseError> {
    let mut broken = Vec::new();
    let mut dropped = Vec::new();
    for (r, rel) in table.relations.iter().enumerate() {
        // Relations over cells without numbers (`-`, `.`) say nothing checkable.
        let Some(left) = table.value(&rel.left) else {
            continue;
        };
        let right: Option<Vec<f64>> = rel.right.iter().map(|t| table.value(t)).collect();
        let Some(right) = right else { continue };
        if !table.cells[rel.left.cell].computed()
            || rel.right.iter().any(|t| !table.cells[t.cell].computed())
        {
            continue;
        }
        let sum: f64 = right.iter().sum();
        let tol = 1e-6 * left.abs().max(sum.abs()).max(1.0);
        let max = right.iter().copied().fold(0.0, f64::max);
        let holds = match rel.kind {
            RelationKind::Exact => (left - sum).abs() <= tol,
            RelationKind::Movers => left <= sum + tol && left >= max - tol,
            RelationKind::AtLeastSum => left >= sum - tol,
            RelationKind::AtMost => left <= sum + tol,
        };
        if holds {
            continue;
        }
        if rel.kind == RelationKind::Exact {
            broken.push(format!(
                "{}: left = {left}, parts sum to {sum}",
                rel.describe(&table.cells)
            ));
        } else {
            dropped.push(r);
        }
    }
    if !broken.is_empty() {
        return Err(DiscloseError::RelationDoesNotHold {
            count: broken.len(),
            examples: broken.into_iter().take(10).collect(),
        });
    }
    if dropped.is_empty() {
        return Ok((table, 0));
    }
    let Table {
        cells, relations, ..
    } = table;
    let kept = relations
        .into_iter()
        .enumerate()
        .filter(|(r, _)| dropped.binary_search(r).is_err())
        .map(|(_, rel)| rel)
        .collect();
    Ok((Table::new(cells, kept), dropped.len()))
}

/// Marks the cells an earlier release of the year published with the numbers they have now.
pub(super) fn freeze_earlier(
    table: &mut Table,
    earlier: &[RecordBatch],
) -> Result<(), DiscloseError> {
    let mut published: HashMap<usize, (Option<f64>, Option<f64>)> = HashMap::new();
    for batch in earlier {
        let col = |name: &str| batch.schema().index_of(name).ok();
        let (Some(i), Some(n), Some(r), Some(g), Some(s)) = (
            col("indikator"),
            col("niva"),
            col("region"),
            col("grupp"),
            col("status"),
        ) else {
            continue;
        };
        let indikator = texts(batch, i)?;
        let niva = texts(batch, n)?;
        let region = texts(batch, r)?;
        let grupp = texts(batch, g)?;
        let status = texts(batch, s)?;
        let number = |name: &str| -> Result<Vec<Option<f64>>, DiscloseError> {
            Ok(match col(name) {
                Some(c) => crate::session::scratch::floats(batch, c)?,
                None => vec![None; batch.num_rows()],
            })
        };
        let varde = number("varde")?;
        let taljare = number("taljare")?;
        let namnare = number("namnare")?;
        for row in 0..batch.num_rows() {
            if status[row].as_deref() != Some("") {
                continue;
            }
            let key = (&indikator[row], &niva[row], &region[row], &grupp[row]);
            let (Some(i), Some(n), Some(r), Some(g)) = key else {
                continue;
            };
            if let Some(cell) = table.cells.find(i, n, r, g) {
                let numerator = match table.cells[cell].kind {
                    IndicatorKind::Antal | IndicatorKind::Tkr => taljare[row].or(varde[row]),
                    _ => taljare[row],
                };
                published.insert(cell, (numerator, namnare[row]));
            }
        }
    }
    for (cell, (numerator, namnare)) in published {
        let c = &table.cells[cell];
        // Published numbers are rounded (one decimal, whole tkr): equal within that.
        let same = |old: Option<f64>, now: Option<f64>| match (old, now) {
            (Some(a), Some(b)) => (a - b).abs() <= 0.5,
            _ => false,
        };
        table.frozen[cell] = (same(numerator, c.numerator()), same(namnare, c.namnare));
    }
    Ok(())
}

/// No bound parameters.
pub(crate) fn no_params() -> ParamValues {
    ParamValues::List(Vec::new())
}

/// Fails with [`DiscloseError::Shape`] when `df` lacks one of `columns`.
pub(crate) fn require_columns(
    table: &'static str,
    df: &DataFrame,
    columns: &[&str],
) -> Result<(), DiscloseError> {
    let schema = df.schema();
    let missing: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| schema.index_of_column_by_name(None, c).is_none())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(DiscloseError::Shape {
            table,
            message: format!("missing column(s) {}", missing.join(", ")),
        })
    }
}

/// Rejects rows the stage cannot decide about: statuses the models may not set, duplicate
/// keys. (An unknown indicator kind is refused when the cells are read.)
pub(super) async fn check_input(scratch: &Scratch) -> Result<(), DiscloseError> {
    for batch in scratch.query(INVALID_STATUS_SQL, no_params()).await? {
        if batch.num_rows() > 0 {
            let text = |i: usize| -> Result<String, DiscloseError> {
                Ok(texts(&batch, i)?.swap_remove(0).unwrap_or_default())
            };
            return Err(DiscloseError::InvalidStatus {
                indikator: text(0)?,
                niva: text(1)?,
                region: text(2)?,
                grupp: text(3)?,
                status: text(4)?,
            });
        }
    }
    for batch in scratch.query(DUPLICATE_SQL, no_params()).await? {
        if batch.num_rows() > 0 {
            let text = |i: usize| -> Result<String, DiscloseError> {
                Ok(texts(&batch, i)?.swap_remove(0).unwrap_or_default())
            };
            return Err(DiscloseError::DuplicateCell {
                ar: ints(&batch, 0)?[0].unwrap_or_default(),
                indikator: text(1)?,
                niva: text(2)?,
                region: text(3)?,
                grupp: text(4)?,
                count: ints(&batch, 5)?[0].unwrap_or_default(),
            });
        }
    }
    Ok(())
}
