//! What `oj run` prints after publishing: where the release is and how many cells it
//! publishes, suppresses, misses and finds not applicable.

use super::error::PublishError;
use super::manifest::CellCounts;
use crate::session::scratch::{Scratch, ints, texts};
use datafusion::common::ParamValues;
use object_store::path::Path;
use std::fmt;

/// A published release in numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseSummary {
    /// The reference year.
    pub year: i64,
    /// The version number.
    pub version: u32,
    /// The release folder in the lake's store.
    pub folder: Path,
    /// Cells by status.
    pub cells: CellCounts,
}

impl fmt::Display for ReleaseSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.cells;
        write!(
            f,
            "release {}/v{:03}: {} cells – {} published, {} suppressed (..), {} missing (-), \
             {} not applicable (.)",
            self.year,
            self.version,
            c.published + c.suppressed + c.missing + c.not_applicable,
            c.published,
            c.suppressed,
            c.missing,
            c.not_applicable
        )
    }
}

/// Counts the cells of the registered `release` table by status.
pub(crate) async fn count_cells(scratch: &Scratch) -> Result<CellCounts, PublishError> {
    let mut counts = CellCounts::default();
    let batches = scratch
        .query(
            "SELECT status, COUNT(*) FROM release GROUP BY status",
            ParamValues::List(Vec::new()),
        )
        .await?;
    for batch in &batches {
        for (status, n) in texts(batch, 0)?.into_iter().zip(ints(batch, 1)?) {
            let n = n.unwrap_or_default() as u64;
            match status.as_deref() {
                Some("") => counts.published += n,
                Some("..") => counts.suppressed += n,
                Some("-") => counts.missing += n,
                _ => counts.not_applicable += n,
            }
        }
    }
    Ok(counts)
}
