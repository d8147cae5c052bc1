//! The publish stage (outputs.md, "A release folder"): writes one immutable release
//! `<lake>/releases/<Y>/v<NNN>/` – `indikatorer.parquet`, `indikatorer.csv`, `kolada.csv`,
//! `kolada.json`, `datapackage.json`, the caller's extra files (Excel workbook, report),
//! `manifest.json` last ([`ReleaseBuilder::write`]); the caller checks it and then makes it
//! current by moving `LATEST` (its commit; [`ReleaseBuilder::publish`] does both at once).
//! Also reads releases back, compares two of them ([`diff`]) and summarises one for `oj run`.
//!
//! Guarantees: releases are never modified; a crash at any point leaves the previous release
//! visible; concurrent publishers of one year get distinct versions or a typed refusal (see
//! `commit`); publishing the same content (indikatorer table and input files) as the current
//! release writes nothing and says so ([`PublishOutcome::Unchanged`]).

mod diff;
mod encode;
mod error;
mod manifest;
mod read;
mod summary;
mod table;
mod write;

pub use crate::layout::release::{
    DATAPACKAGE, INDIKATORER_CSV, INDIKATORER_PARQUET, KOLADA_CSV, KOLADA_JSON, LATEST, MANIFEST,
};
pub use diff::{CellChange, CellState, ReleaseDiff, diff};
pub use error::{BoxError, PublishError};
pub use manifest::{CellCounts, CodeVersion, FileHash, Manifest, sha256_hex};
pub use read::{Release, latest_release, read_release, release_table};
pub use summary::ReleaseSummary;
pub use write::ReleaseBuilder;

use crate::disclose::DisclosureParams;
use crate::layout::release_name;
use datafusion::arrow::array::RecordBatch;
use object_store::path::Path;
use std::collections::BTreeMap;
use std::fmt;

/// A file the caller adds to the release folder (the Excel workbook, `rapport.html`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseFile {
    /// Plain file name inside the release folder.
    pub name: String,
    /// Its content.
    pub bytes: Vec<u8>,
}

/// Produces the extra files from the final `indikatorer` batches (release schema, sorted by
/// key) and the claimed version's folder name (`v003`, the version the files may state). Called
/// once per publish that writes a release, before the manifest.
pub type ExtraFiles<'a> =
    dyn Fn(&[RecordBatch], &str) -> Result<Vec<ReleaseFile>, BoxError> + Send + Sync + 'a;

/// Everything about a release that is not its table: recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReleaseInputs {
    /// Pipeline name (`pipeline:` of the pipeline file).
    pub pipeline: String,
    /// Pipeline version.
    pub pipeline_version: String,
    /// Data contract name → version.
    pub contract_versions: BTreeMap<String, String>,
    /// Every input drop file with its SHA-256 (history years included).
    pub input_files: Vec<FileHash>,
    /// The committed datasets the release was built from → their versions.
    pub datasets: BTreeMap<String, String>,
    /// All data-quality check results of the run.
    pub checks: serde_json::Value,
    /// The disclosure thresholds applied.
    pub disclosure: DisclosureParams,
    /// The disclosure rules, audit and information loss (see [`Manifest::disclosure_control`]).
    pub disclosure_control: serde_json::Value,
    /// Kommuner excluded as bortfall.
    pub excluded_kommuner: Vec<String>,
    /// Indicator ids renamed since the previous year: (current id, previous id).
    pub renamed_indicators: Vec<(String, String)>,
    /// Indicator id → Kolada KPI id, where the indicator declares one (`kolada_kpi:`).
    pub kolada_kpis: BTreeMap<String, String>,
}

/// What writing a release did ([`ReleaseBuilder`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishOutcome {
    /// A new, complete release was written (current once LATEST names it:
    /// [`ReleaseBuilder::publish`] moves LATEST, after [`ReleaseBuilder::write`] the caller's
    /// commit does).
    Published(ReleaseSummary),
    /// The current release already has this content; nothing was written.
    Unchanged {
        /// The current version.
        version: u32,
        /// Its folder.
        folder: Path,
    },
}

impl fmt::Display for PublishOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublishOutcome::Published(summary) => summary.fmt(f),
            PublishOutcome::Unchanged { version, .. } => write!(
                f,
                "release unchanged: {} already has this content; nothing written",
                release_name(*version)
            ),
        }
    }
}
