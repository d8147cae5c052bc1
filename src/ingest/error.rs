//! Why a dataset could not be ingested: each error names the file, line or rule it is about.

use super::{decode, read};
use crate::lake::LakeError;
use crate::store::StoreError;
use datafusion::error::DataFusionError;

/// Why a dataset could not be ingested.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// No file of the dataset in the year's drop folder.
    #[error(
        "{dir}: no file for dataset `{dataset}` (expected {patterns}) (hint: the delivery is missing; put the file in {dir} or fix `files` in pipelines/)"
    )]
    Missing {
        dataset: String,
        dir: String,
        patterns: String,
    },
    /// The file's bytes or structure are unusable.
    #[error("{file}: {source}")]
    Text {
        file: String,
        #[source]
        source: decode::TextError,
    },
    /// Rows cannot be read.
    #[error("{file}: {source}")]
    Read {
        file: String,
        #[source]
        source: read::ReadError,
    },
    /// The header does not match the contract.
    #[error("{file}:1: the header does not match the contract:\n{}", .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Header { file: String, problems: Vec<String> },
    /// A file with a header but no data rows.
    #[error("{file}: the file has a header but no data rows (hint: the delivery is incomplete)")]
    NoRows { file: String },
    /// A drop file whose bytes changed between its fingerprint and its reading.
    #[error(
        "{file}: the file changed while it was ingested (its SHA-256 is not the one it had when the run started) (hint: a delivery was replaced during the run; run again)"
    )]
    Changed { file: String },
    /// A dataset this one refers to is not staged for the year.
    #[error(
        "dataset `{dataset}` refers to `{target}`, which is not staged for {year} (hint: run `oj run --year {year} --stage ingest`; {target} is ingested first)"
    )]
    ReferenceNotStaged {
        dataset: String,
        target: String,
        year: i64,
    },
    /// More rejected rows than the contract tolerates.
    #[error("{dataset}: {rejected} of {total} rows rejected ({percent:.3} %), more than the tolerance of {tolerance} %; rejected rows are in {rejects}. First rejects:\n{}", .examples.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    TooManyRejects {
        dataset: String,
        rejected: u64,
        total: u64,
        percent: f64,
        tolerance: f64,
        rejects: String,
        examples: Vec<String>,
    },
    /// The engine failed.
    #[error("{dataset}: {source}")]
    Engine {
        dataset: String,
        #[source]
        source: DataFusionError,
    },
    /// Reading the drop failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the lake failed.
    #[error(transparent)]
    Lake(#[from] LakeError),
}
