//! Errors of the publish stage and of reading releases back.

use datafusion::error::DataFusionError;

/// A boxed error from a caller-supplied callback.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a release could not be published or read.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The object store failed.
    #[error("{path}: object store: {source}")]
    Store {
        /// The object or folder.
        path: String,
        /// What the store said.
        source: object_store::Error,
    },
    /// Every version folder this publisher tried to claim was claimed by another publisher.
    #[error(
        "releases/{year}: could not claim a version folder after {attempts} attempts – other \
         publishers claimed {last} and the ones before it (hint: another `oj run` is publishing \
         this year; wait for it and re-run)"
    )]
    VersionConflict {
        /// The year.
        year: i64,
        /// How many folders were tried.
        attempts: u32,
        /// The last folder tried.
        last: String,
    },
    /// A concurrent publisher moved LATEST past this release.
    #[error(
        "releases/{year}/{ours} was written completely, but a concurrent publisher made {latest} \
         current first; LATEST stays at {latest} and {ours} is not published (hint: re-run if \
         {ours} should be current)"
    )]
    Superseded {
        /// The year.
        year: i64,
        /// The folder this publisher wrote.
        ours: String,
        /// The folder LATEST names.
        latest: String,
    },
    /// LATEST does not name a version folder.
    #[error(
        "{path}: holds {content:?}, not a release folder name such as v001 (hint: LATEST is \
             written by `oj run` only; restore it to the last complete folder)"
    )]
    CorruptLatest {
        /// The LATEST object.
        path: String,
        /// What it holds.
        content: String,
    },
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

impl PublishError {
    /// Wraps an object-store error with the path it concerns.
    pub(crate) fn store(path: &object_store::path::Path, source: object_store::Error) -> Self {
        PublishError::Store {
            path: path.to_string(),
            source,
        }
    }
}
