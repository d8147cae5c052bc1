//! How a run fails: [`StageError`] is what a stage's work returns (each variant keeps its typed
//! source), [`RunError`] is what the run reports (the stage it happened in, a blocking gate, the
//! ledger or the lake's commit protocol).
//!
//! Guarantees: the exit status of every failure of a run is decided here, in
//! [`RunError::exit_status`] and [`StageError::exit_status`], and nowhere else: a bad delivery,
//! a blocking check or an unsafe disclosure is a data-quality failure (1), an invalid check or
//! model is invalid configuration (2), storage and engine failures are runtime failures (3).

use crate::commit::CommitError;
use crate::disclose::DiscloseError;
use crate::exit::ExitStatus;
use crate::gates::GateError;
use crate::ingest::IngestError;
use crate::lake::LakeError;
use crate::ledger::LedgerError;
use crate::publish::PublishError;
use crate::render::PublicationError;
use crate::store::StoreError;
use crate::transform::TransformError;
use crate::vocab::StageId;
use datafusion::error::DataFusionError;

/// Why a stage's work failed.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Transform(#[from] TransformError),
    #[error(transparent)]
    Disclose(#[from] DiscloseError),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error(transparent)]
    Publication(#[from] PublicationError),
    /// The gate after the stage could not run (its checks did not plan, or the engine failed).
    #[error(transparent)]
    Gate(#[from] GateError),
    /// A lake file the stage reads is not there.
    #[error("{file} is missing (hint: run `oj run --year {year} --from {producer}`)")]
    MissingInput {
        /// The file as the lake shows it.
        file: String,
        year: i64,
        producer: &'static str,
    },
    /// A staged dataset the stage reads is not in the lake for the year.
    #[error("{dataset} is not staged for {year} (hint: run `oj run --year {year} --stage ingest`)")]
    NotStaged { dataset: String, year: i64 },
    /// The blocking verification of disclosed cells found unsafe cells.
    #[error(
        "disclosure verification failed: {} unsafe cell(s); nothing was published:\n{}",
        .count,
        .examples.iter().map(|v| format!("  {v}")).collect::<Vec<_>>().join("\n")
    )]
    Unsafe { count: usize, examples: Vec<String> },
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Commit(#[from] CommitError),
    #[error(transparent)]
    Engine(#[from] DataFusionError),
}

impl StageError {
    /// The process exit status of this failure.
    pub fn exit_status(&self) -> ExitStatus {
        use ExitStatus::{DataQuality, Invalid, Runtime};
        match self {
            StageError::Ingest(e) => match e {
                IngestError::Engine { .. }
                | IngestError::Changed { .. }
                | IngestError::Store(_)
                | IngestError::Lake(_) => Runtime,
                _ => DataQuality,
            },
            StageError::Transform(TransformError::MissingHistory { .. }) => DataQuality,
            StageError::Transform(_) => Runtime,
            StageError::Disclose(
                DiscloseError::Audit { .. } | DiscloseError::RelationDoesNotHold { .. },
            ) => DataQuality,
            StageError::Disclose(_) => Runtime,
            StageError::Unsafe { .. } => DataQuality,
            StageError::Gate(GateError::CheckInvalid { .. }) => Invalid,
            StageError::Gate(_) => Runtime,
            StageError::Commit(CommitError::UpstreamFailed { .. }) => DataQuality,
            StageError::Publish(_)
            | StageError::Publication(_)
            | StageError::MissingInput { .. }
            | StageError::NotStaged { .. }
            | StageError::Lake(_)
            | StageError::Store(_)
            | StageError::Commit(_)
            | StageError::Engine(_) => Runtime,
        }
    }
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A stage (or the reading of its inputs) failed.
    #[error("{}: {source}", .stage.name())]
    Stage {
        stage: StageId,
        #[source]
        source: StageError,
    },
    /// The gate after a stage has failing blocking checks: nothing of the stage was committed.
    #[error("gate after {} failed: blocking check(s) {}", .stage.name(), .failed.join(", "))]
    Gate { stage: StageId, failed: Vec<String> },
    #[error("run ledger: {0}")]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Commit(#[from] CommitError),
}

impl RunError {
    /// A failure of `stage`'s work.
    pub fn stage(stage: StageId, source: impl Into<StageError>) -> RunError {
        RunError::Stage {
            stage,
            source: source.into(),
        }
    }

    /// The process exit status for this failure.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            RunError::Stage { source, .. } => source.exit_status(),
            RunError::Gate { .. } => ExitStatus::DataQuality,
            RunError::Commit(CommitError::UpstreamFailed { .. }) => ExitStatus::DataQuality,
            RunError::Ledger(_) | RunError::Store(_) | RunError::Commit(_) => ExitStatus::Runtime,
        }
    }
}
