//! The work of each stage, called by [`crate::runner`]: what a stage reads from the lake, which
//! module does the work, and what it writes back. The runner owns ordering, skipping and the
//! ledger; these functions own the data.

pub mod disclose;
pub mod publication;
pub mod publish;
pub mod transform;

use crate::exit::ExitStatus;
use crate::lake::{self, LakeError};
use crate::runner::{RunError, Runner};
use crate::store::Store;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;

/// Whether the current `sql/` declares `model` (`sql/<model>.sql` exists): the warehouse output of
/// a model that was deleted or renamed is never read.
pub(crate) fn declared_model(project: &crate::config::Project, model: &str) -> bool {
    project
        .root
        .join("sql")
        .join(format!("{model}.sql"))
        .is_file()
}

/// Reads a committed dataset file of the lake that an earlier stage must have written.
pub(crate) async fn read_required(
    runner: &Runner<'_>,
    stage: &'static str,
    relative: &str,
    produced_by: &str,
    year: i64,
) -> Result<DataFrame, RunError> {
    read_lake_file(runner.ctx, runner.lake, stage, relative, produced_by, year).await
}

/// [`read_required`] outside a run: the lake and session are given.
pub(crate) async fn read_lake_file(
    ctx: &SessionContext,
    lake: &Store,
    stage: &'static str,
    relative: &str,
    produced_by: &str,
    year: i64,
) -> Result<DataFrame, RunError> {
    if lake.head(relative).await?.is_none() {
        return Err(RunError::Stage {
            stage,
            message: format!(
                "{} is missing (hint: run `oj run --year {year} --from {produced_by}`)",
                lake.display(relative)
            ),
            status: ExitStatus::Runtime,
        });
    }
    lake::read_files(ctx, lake, &[relative.to_string()])
        .await
        .map_err(|e| engine(stage, e))
}

/// A lake failure inside a stage.
pub(crate) fn engine(stage: &'static str, e: impl std::fmt::Display) -> RunError {
    RunError::Stage {
        stage,
        message: e.to_string(),
        status: ExitStatus::Runtime,
    }
}

impl From<LakeError> for RunError {
    fn from(e: LakeError) -> Self {
        RunError::Stage {
            stage: "lake",
            message: e.to_string(),
            status: ExitStatus::Runtime,
        }
    }
}
