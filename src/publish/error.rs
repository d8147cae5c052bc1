//! Errors of the publish stage and of reading releases back.

use datafusion::error::DataFusionError;

/// A boxed error from a caller-supplied callback.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a release could not be published or read.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The release commit protocol failed (claiming a version, moving LATEST).
    #[error(transparent)]
    Release(#[from] crate::commit::release::ReleaseError),
    /// A release folder without `manifest.json` was about to be read.
    #[error(
        "{path}: release folder has no manifest.json, so it is not a complete release \
             (hint: readers use LATEST; a folder without manifest is left over from a crash)"
    )]
    Incomplete {
        /// The folder.
        path: String,
    },
    /// A manifest could not be read or written as JSON.
    #[error("{path}: manifest JSON: {source}")]
    Json {
        /// The manifest object.
        path: String,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// The extra-files callback failed.
    #[error("release files of year {year}: extra files: {source}")]
    ExtraFiles {
        /// The year.
        year: i64,
        /// The callback's error.
        source: BoxError,
    },
    /// An extra file has a name that is not a plain file name or is reserved.
    #[error(
        "extra release file {name:?}: not allowed (hint: a plain file name other than \
             indikatorer.*, kolada.*, datapackage.json, manifest.json, LATEST)"
    )]
    ExtraFileName {
        /// The rejected name.
        name: String,
    },
    /// Fewer than two complete releases exist, or a named one does not.
    #[error("releases/{year}: {message}")]
    NoSuchRelease {
        /// The year.
        year: i64,
        /// What is missing.
        message: String,
    },
    /// The query engine failed.
    #[error("publish: query engine: {0}")]
    Engine(#[from] DataFusionError),
    /// Arrow failed (CSV writing, casting).
    #[error("publish: arrow: {0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    /// Parquet failed.
    #[error("publish: parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
}
