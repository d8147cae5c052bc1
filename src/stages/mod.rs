//! The four stages, each a folder implementing [`Stage`]: what it reads from the drops and the
//! lake, which module of the work layer does the work, and what it writes back through the
//! run's transaction. The runner ([`crate::pipeline::runner`]) owns ordering, skipping, gates,
//! commits and the ledger; these folders own the data.

pub mod disclose;
pub mod ingest;
pub mod publish;
mod reuse;
pub mod transform;

use crate::lake;
use crate::pipeline::{Stage, StageError};
use crate::store::Store;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;

/// Every stage, in run order: what the runner is given.
pub static ALL: [&dyn Stage; 4] = [
    &ingest::Ingest,
    &transform::Transform,
    &disclose::Disclose,
    &publish::Publish,
];

/// Reads a committed dataset file of the lake that stage `produced_by` must have written.
pub(crate) async fn read_lake_file(
    ctx: &SessionContext,
    lake: &Store,
    relative: &str,
    produced_by: &'static str,
    year: i64,
) -> Result<DataFrame, StageError> {
    if lake.head(relative).await?.is_none() {
        return Err(StageError::MissingInput {
            file: lake.display(relative),
            year,
            producer: produced_by,
        });
    }
    Ok(lake::read_files(ctx, lake, &[relative.to_string()]).await?)
}
