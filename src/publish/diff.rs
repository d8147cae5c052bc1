//! `oj diff`: which cells changed between two releases of a year.
//!
//! Guarantees: reads complete releases only and writes nothing. A cell changed when its
//! published value or its status differs, or when it exists in one release only. Cells are
//! listed sorted by indikator, niva, region, grupp.

use super::error::PublishError;
use super::read::{read_release, release_table};
use crate::commit::release::{is_complete, read_latest};
use crate::disclose::shape::{conform, release_schema};
use crate::layout::release_name;
use crate::session::scratch::{Scratch, floats, ints, texts};
use crate::store::Store;
use datafusion::common::ParamValues;
use datafusion::prelude::SessionContext;
use std::fmt;

const CHANGES_SQL: &str = "
SELECT COALESCE(b.indikator, a.indikator) AS indikator,
       COALESCE(b.niva, a.niva) AS niva,
       COALESCE(b.region, a.region) AS region,
       COALESCE(b.grupp, a.grupp) AS grupp,
       a.varde AS varde_a, b.varde AS varde_b, a.status AS status_a, b.status AS status_b
FROM a FULL OUTER JOIN b
  ON a.indikator = b.indikator AND a.niva = b.niva AND a.region = b.region AND a.grupp = b.grupp
WHERE a.indikator IS NULL OR b.indikator IS NULL
   OR (a.varde IS DISTINCT FROM b.varde) OR (a.status <> b.status)
ORDER BY 1, 2, 3, 4";

const PER_INDICATOR_SQL: &str = "
SELECT indikator, COUNT(*) AS cells FROM changes GROUP BY indikator ORDER BY indikator";

/// One side of a changed cell: its value and status, or absent.
#[derive(Debug, Clone, PartialEq)]
pub struct CellState {
    /// The published value (null unless status is empty).
    pub varde: Option<f64>,
    /// The status marker.
    pub status: String,
}

impl fmt::Display for CellState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.varde, self.status.as_str()) {
            (Some(v), "") => write!(f, "{v}"),
            (None, "") => f.write_str("(no value)"),
            (_, marker) => f.write_str(marker),
        }
    }
}

/// A cell that differs between the two releases.
#[derive(Debug, Clone, PartialEq)]
pub struct CellChange {
    /// Indicator id.
    pub indikator: String,
    /// Level.
    pub niva: String,
    /// Region code.
    pub region: String,
    /// Group.
    pub grupp: String,
    /// In the older release (`None`: the cell was not there).
    pub before: Option<CellState>,
    /// In the newer release (`None`: the cell is gone).
    pub after: Option<CellState>,
}

/// The changes between release `from` and release `to` of `year`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseDiff {
    /// The year.
    pub year: i64,
    /// The older version.
    pub from: u32,
    /// The newer version.
    pub to: u32,
    /// Changed cells per indicator, sorted by indicator.
    pub per_indicator: Vec<(String, u64)>,
    /// Every changed cell.
    pub cells: Vec<CellChange>,
}

impl fmt::Display for ReleaseDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "releases/{}: {} → {}: {} cell(s) changed",
            self.year,
            release_name(self.from),
            release_name(self.to),
            self.cells.len()
        )?;
        if self.cells.is_empty() {
            return Ok(());
        }
        writeln!(f, "per indicator:")?;
        for (indikator, n) in &self.per_indicator {
            writeln!(f, "  {indikator}: {n}")?;
        }
        writeln!(f, "cells:")?;
        let side =
            |s: &Option<CellState>| s.as_ref().map_or("(absent)".to_string(), |s| s.to_string());
        for c in &self.cells {
            writeln!(
                f,
                "  {} {} {} {}: {} → {}",
                c.indikator,
                c.niva,
                c.region,
                c.grupp,
                side(&c.before),
                side(&c.after)
            )?;
        }
        Ok(())
    }
}

/// Compares two complete releases of `year`: `versions = Some((from, to))`, or by default the
/// current release (LATEST) and the newest complete release before it.
pub async fn diff(
    ctx: &SessionContext,
    lake: &Store,
    year: i64,
    versions: Option<(u32, u32)>,
) -> Result<ReleaseDiff, PublishError> {
    let (from, to) = match versions {
        Some(pair) => pair,
        None => default_pair(lake, year).await?,
    };
    let scratch = Scratch::new(ctx);
    let schema = release_schema();
    for (name, version) in [("a", from), ("b", to)] {
        let release = read_release(lake, year, version).await?;
        let batches = release_table(lake, &release)
            .await?
            .iter()
            .map(|b| conform(b, &schema))
            .collect::<Result<Vec<_>, _>>()?;
        scratch.put(name, schema.clone(), batches)?;
    }
    let none = || ParamValues::List(Vec::new());
    scratch.materialize("changes", CHANGES_SQL, none()).await?;
    let mut cells = Vec::new();
    for batch in scratch.query("SELECT * FROM changes", none()).await? {
        let text = |i| texts(&batch, i);
        let (indikator, niva, region, grupp) = (text(0)?, text(1)?, text(2)?, text(3)?);
        let (varde_a, varde_b) = (floats(&batch, 4)?, floats(&batch, 5)?);
        let (status_a, status_b) = (text(6)?, text(7)?);
        for i in 0..batch.num_rows() {
            let state = |varde: &[Option<f64>], status: &[Option<String>]| {
                status[i].clone().map(|status| CellState {
                    varde: varde[i],
                    status,
                })
            };
            cells.push(CellChange {
                indikator: indikator[i].clone().unwrap_or_default(),
                niva: niva[i].clone().unwrap_or_default(),
                region: region[i].clone().unwrap_or_default(),
                grupp: grupp[i].clone().unwrap_or_default(),
                before: state(&varde_a, &status_a),
                after: state(&varde_b, &status_b),
            });
        }
    }
    let mut per_indicator = Vec::new();
    for batch in scratch.query(PER_INDICATOR_SQL, none()).await? {
        for (id, n) in texts(&batch, 0)?.into_iter().zip(ints(&batch, 1)?) {
            per_indicator.push((id.unwrap_or_default(), n.unwrap_or_default() as u64));
        }
    }
    Ok(ReleaseDiff {
        year,
        from,
        to,
        per_indicator,
        cells,
    })
}

/// LATEST and the newest complete release below it.
async fn default_pair(lake: &Store, year: i64) -> Result<(u32, u32), PublishError> {
    let latest = read_latest(lake, year)
        .await?
        .ok_or_else(|| PublishError::NoSuchRelease {
            year,
            message: "no release (no LATEST); nothing to compare".to_string(),
        })?
        .version;
    let mut candidate = latest;
    while candidate > 1 {
        candidate -= 1;
        if is_complete(lake, year, candidate).await? {
            return Ok((candidate, latest));
        }
    }
    Err(PublishError::NoSuchRelease {
        year,
        message: format!(
            "only one complete release ({}); nothing to compare (hint: name two versions)",
            release_name(latest)
        ),
    })
}
