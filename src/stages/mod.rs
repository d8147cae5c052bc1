//! The work of each stage, called by [`crate::runner`]: what a stage reads from the lake, which
//! module does the work, and what it writes back. The runner owns ordering, skipping and the
//! ledger; these functions own the data.

pub mod disclose;
pub mod publication;
pub mod publish;
pub mod transform;

use crate::exit::ExitStatus;
use crate::lake::{self, LakeError};
use crate::layout;
use crate::runner::{RunError, Runner};
use datafusion::dataframe::DataFrame;

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
    if runner.lake.head(relative).await?.is_none() {
        return Err(RunError::Stage {
            stage,
            message: format!(
                "{} is missing (hint: run `oj run --year {year} --from {produced_by}`)",
                runner.lake.display(relative)
            ),
            status: ExitStatus::Runtime,
        });
    }
    lake::read_files(runner.ctx, runner.lake, &[relative.to_string()])
        .await
        .map_err(|e| engine(stage, e))
}

/// The staged regions of a year.
pub(crate) async fn regions(
    runner: &Runner<'_>,
    stage: &'static str,
    year: i64,
) -> Result<DataFrame, RunError> {
    read_required(
        runner,
        stage,
        &layout::staging_file("regioner", year),
        "ingest",
        year,
    )
    .await
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
