//! The publish stage (outputs.md, "A release folder"): writes one immutable release
//! `<lake>/releases/<Y>/v<NNN>/` – `indikatorer.parquet`, `indikatorer.csv`, `kolada.csv`,
//! `kolada.json`, `datapackage.json`, the caller's extra files (Excel workbook, report),
//! `manifest.json` last ([`write_release`]); the caller checks it and then makes it current by
//! moving `LATEST` ([`make_current`]).
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

pub use crate::layout::release::{
    DATAPACKAGE, INDIKATORER_CSV, INDIKATORER_PARQUET, KOLADA_CSV, KOLADA_JSON, LATEST, MANIFEST,
    latest, version_dir, year_dir,
};
pub use diff::{CellChange, CellState, ReleaseDiff, diff};
pub use encode::kolada::kolada_schema;
pub use error::{BoxError, PublishError};
pub use manifest::{CellCounts, CodeVersion, FileHash, Manifest, content_hash, sha256_hex};
pub use read::{Release, latest_release, read_release, release_table};
pub use summary::ReleaseSummary;

use crate::clock::Clock;
use crate::disclose::DisclosureParams;
use crate::disclose::shape::release_schema;
use crate::layout::release_name;
use crate::session::scratch::Scratch;
use chrono::SecondsFormat;
use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::{DataFrame, SessionContext};
use object_store::ObjectStore;
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
#[derive(Debug, Clone, PartialEq)]
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

/// What [`publish`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishOutcome {
    /// A new release was written and is current.
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
            PublishOutcome::Unchanged { version, folder } => write!(
                f,
                "release unchanged: {} at {folder} already has this content; nothing written",
                release_name(*version)
            ),
        }
    }
}

/// Publishes the disclosed cells of `year` (the output of [`crate::disclose::disclose`]) as a
/// new release under `lake` in `store` and makes it current: [`write_release`], then
/// [`make_current`] (for callers without a gate between the two).
#[allow(clippy::too_many_arguments)]
pub async fn publish(
    ctx: &SessionContext,
    store: &dyn ObjectStore,
    lake: &Path,
    year: i64,
    disclosed: DataFrame,
    inputs: &ReleaseInputs,
    clock: &dyn Clock,
    extra_files: &ExtraFiles<'_>,
) -> Result<PublishOutcome, PublishError> {
    let outcome = write_release(
        ctx,
        store,
        lake,
        year,
        disclosed,
        inputs,
        clock,
        extra_files,
    )
    .await?;
    if let PublishOutcome::Published(summary) = &outcome {
        make_current(store, lake, year, summary.version).await?;
    }
    Ok(outcome)
}

/// Moves `LATEST` of `year` to `version` by compare-and-swap (see `commit`); refuses with
/// [`PublishError::Superseded`] when a newer version is already current.
pub async fn make_current(
    store: &dyn ObjectStore,
    lake: &Path,
    year: i64,
    version: u32,
) -> Result<(), PublishError> {
    Ok(crate::commit::release::move_latest(store, lake, year, version).await?)
}

/// Writes the disclosed cells of `year` as a new, complete release folder without making it
/// current. The previous year's current release, when there is one, fills
/// `varde_foregaende_ar` and `forandring`.
#[allow(clippy::too_many_arguments)]
pub async fn write_release(
    ctx: &SessionContext,
    store: &dyn ObjectStore,
    lake: &Path,
    year: i64,
    disclosed: DataFrame,
    inputs: &ReleaseInputs,
    clock: &dyn Clock,
    extra_files: &ExtraFiles<'_>,
) -> Result<PublishOutcome, PublishError> {
    let scratch = Scratch::new(ctx);
    let schema = release_schema();
    let (batches, previous) = table::release_batches(
        &scratch,
        store,
        lake,
        year,
        disclosed,
        &inputs.renamed_indicators,
    )
    .await?;
    scratch.put("release", schema.clone(), batches.clone())?;
    let csv = encode::csv_bytes(&schema, &batches, b',')?;
    let content = content_hash(&csv, &inputs.input_files);
    if let Some(current) = latest_release(store, lake, year).await?
        && current.manifest.content_hash == content
    {
        return Ok(PublishOutcome::Unchanged {
            version: current.version,
            folder: current.folder,
        });
    }

    let parquet = encode::parquet_bytes(&schema, &batches)?;
    let kolada = encode::kolada::kolada(&scratch, &inputs.kolada_kpis).await?;
    let cells = summary::count_cells(&scratch).await?;
    let base_files = vec![
        ReleaseFile {
            name: INDIKATORER_PARQUET.to_string(),
            bytes: parquet,
        },
        ReleaseFile {
            name: INDIKATORER_CSV.to_string(),
            bytes: csv,
        },
        ReleaseFile {
            name: KOLADA_CSV.to_string(),
            bytes: kolada.csv,
        },
        ReleaseFile {
            name: KOLADA_JSON.to_string(),
            bytes: kolada.json,
        },
        ReleaseFile {
            name: DATAPACKAGE.to_string(),
            bytes: encode::datapackage::datapackage(&schema, year)?,
        },
    ];
    let created = clock.now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let version = crate::commit::release::claim_version(store, lake, year, &created).await?;
    let release_files = match release_files(year, version, &batches, extra_files, base_files) {
        Ok(files) => files,
        Err(e) => {
            crate::commit::release::unclaim(store, lake, year, version).await?;
            return Err(e);
        }
    };
    let folder = version_dir(lake, year, version);
    let mut hashes = Vec::with_capacity(release_files.len());
    for file in release_files {
        hashes.push(FileHash::of(&file.name, &file.bytes));
        crate::commit::release::put_new(
            store,
            &folder.clone().join(file.name.as_str()),
            file.bytes,
        )
        .await?;
    }
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let manifest = Manifest {
        release: format!("{year}/{}", release_name(version)),
        year,
        version: release_name(version),
        created,
        code_version: CodeVersion::current(),
        pipeline: inputs.pipeline.clone(),
        pipeline_version: inputs.pipeline_version.clone(),
        contracts: inputs.contract_versions.clone(),
        inputs: inputs.input_files.clone(),
        datasets: inputs.datasets.clone(),
        files: hashes,
        rows: BTreeMap::from([
            ("indikatorer".to_string(), rows as u64),
            ("kolada".to_string(), kolada.rows as u64),
        ]),
        cells,
        checks: inputs.checks.clone(),
        disclosure: inputs.disclosure,
        disclosure_control: inputs.disclosure_control.clone(),
        excluded_kommuner: inputs.excluded_kommuner.clone(),
        previous_release: previous.map(|p| p.id()),
        renamed_indicators: inputs.renamed_indicators.clone(),
        content_hash: content,
    };
    let manifest_path = folder.clone().join(MANIFEST);
    let json = serde_json::to_vec_pretty(&manifest).map_err(|source| PublishError::Json {
        path: manifest_path.to_string(),
        source,
    })?;
    crate::commit::release::put_new(store, &manifest_path, json).await?;
    Ok(PublishOutcome::Published(ReleaseSummary {
        year,
        version,
        folder,
        cells,
    }))
}

/// The files of a release: the tables, then the caller's extra files for the claimed `version`.
fn release_files(
    year: i64,
    version: u32,
    batches: &[RecordBatch],
    extra_files: &ExtraFiles<'_>,
    mut files: Vec<ReleaseFile>,
) -> Result<Vec<ReleaseFile>, PublishError> {
    let extras = extra_files(batches, &release_name(version))
        .map_err(|source| PublishError::ExtraFiles { year, source })?;
    for extra in extras {
        check_extra_name(&extra.name, &files)?;
        files.push(extra);
    }
    Ok(files)
}

/// An extra file must be a plain, new, non-reserved name.
fn check_extra_name(name: &str, taken: &[ReleaseFile]) -> Result<(), PublishError> {
    let reserved = [MANIFEST, LATEST];
    let plain = !name.is_empty()
        && !name.contains(['/', '\\'])
        && name != "."
        && name != ".."
        && !reserved.contains(&name)
        && !taken.iter().any(|f| f.name == name);
    if plain {
        Ok(())
    } else {
        Err(PublishError::ExtraFileName {
            name: name.to_string(),
        })
    }
}
