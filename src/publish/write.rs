//! Writing a release, as a builder over the lake's store (the manner of delta-rs operations):
//!
//! ```text
//! ReleaseBuilder::new(ctx, &lake, year, disclosed)
//!     .with_inputs(&inputs)            // what the manifest records
//!     .with_clock(&clock)              // the manifest's `created` (default: the system clock)
//!     .with_extra_files(&extra)        // workbook, report (default: none)
//!     .write()                         // a complete folder, not yet current
//!     .await?;
//! ```
//!
//! [`ReleaseBuilder::write`] leaves LATEST alone: the publish stage's gate checks the folder and
//! its commit moves LATEST. [`ReleaseBuilder::publish`] writes and makes the release current at
//! once, for callers without a gate between the two.
//!
//! Guarantees: the files are written through the release protocol of `commit::release` (claimed
//! version, files never replaced, `manifest.json` last); a release with the content of the current
//! one is not written ([`PublishOutcome::Unchanged`]); a failure before the first file gives the
//! claim back.

use super::error::{BoxError, PublishError};
use super::manifest::{CodeVersion, FileHash, Manifest, content_hash};
use super::read::latest_release;
use super::summary::{ReleaseSummary, count_cells};
use super::{ExtraFiles, PublishOutcome, ReleaseFile, ReleaseInputs, encode, table};
use crate::clock::{Clock, SystemClock};
use crate::commit::release::{claim_version, move_latest, put_new, unclaim};
use crate::disclose::shape::release_schema;
use crate::layout::release::{
    DATAPACKAGE, INDIKATORER_CSV, INDIKATORER_PARQUET, KOLADA_CSV, KOLADA_JSON, LATEST, MANIFEST,
};
use crate::layout::{self, release_name};
use crate::session::scratch::Scratch;
use crate::store::Store;
use chrono::SecondsFormat;
use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::{DataFrame, SessionContext};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// One release of a year to write from its disclosed cells (the output of
/// [`crate::disclose::disclose`]). The previous year's current release, when there is one,
/// fills `varde_foregaende_ar` and `forandring`.
pub struct ReleaseBuilder<'a> {
    ctx: &'a SessionContext,
    lake: &'a Store,
    year: i64,
    disclosed: DataFrame,
    inputs: Cow<'a, ReleaseInputs>,
    clock: &'a dyn Clock,
    extra_files: Option<&'a ExtraFiles<'a>>,
}

impl<'a> ReleaseBuilder<'a> {
    /// A release of `year` in `lake` from the `disclosed` cells, with empty
    /// [`ReleaseInputs`], the system clock and no extra files until told otherwise.
    pub fn new(ctx: &'a SessionContext, lake: &'a Store, year: i64, disclosed: DataFrame) -> Self {
        ReleaseBuilder {
            ctx,
            lake,
            year,
            disclosed,
            inputs: Cow::Owned(ReleaseInputs::default()),
            clock: &SystemClock,
            extra_files: None,
        }
    }

    /// What the manifest records about the run (pipeline, inputs, checks, disclosure).
    pub fn with_inputs(mut self, inputs: &'a ReleaseInputs) -> Self {
        self.inputs = Cow::Borrowed(inputs);
        self
    }

    /// The clock the manifest's `created` is read from.
    pub fn with_clock(mut self, clock: &'a dyn Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The files the caller adds to the release folder (see [`ExtraFiles`]).
    pub fn with_extra_files(mut self, extra_files: &'a ExtraFiles<'a>) -> Self {
        self.extra_files = Some(extra_files);
        self
    }

    /// Writes the release and makes it current (moves LATEST by compare-and-swap; refuses with
    /// `Superseded` when a newer version is already current).
    pub async fn publish(self) -> Result<PublishOutcome, PublishError> {
        let (lake, year) = (self.lake, self.year);
        let outcome = self.write().await?;
        if let PublishOutcome::Published(summary) = &outcome {
            move_latest(lake, year, summary.version).await?;
        }
        Ok(outcome)
    }

    /// Writes the release as a new, complete folder without making it current.
    pub async fn write(self) -> Result<PublishOutcome, PublishError> {
        let ReleaseBuilder {
            ctx,
            lake,
            year,
            disclosed,
            inputs,
            clock,
            extra_files,
        } = self;
        let scratch = Scratch::new(ctx);
        let schema = release_schema();
        let (batches, previous) =
            table::release_batches(&scratch, lake, year, disclosed, &inputs.renamed_indicators)
                .await?;
        scratch.put("release", schema.clone(), batches.clone())?;
        let csv = encode::csv_bytes(&schema, &batches, b',')?;
        let content = content_hash(&csv, &inputs.input_files);
        if let Some(current) = latest_release(lake, year).await?
            && current.manifest.content_hash == content
        {
            return Ok(PublishOutcome::Unchanged {
                version: current.version,
                folder: current.folder,
            });
        }

        let parquet = encode::parquet_bytes(&schema, &batches)?;
        let kolada = encode::kolada::kolada(&scratch, &inputs.kolada_kpis).await?;
        let cells = count_cells(&scratch).await?;
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
        let version = claim_version(lake, year, &created).await?;
        let release_files = match release_files(year, version, &batches, extra_files, base_files) {
            Ok(files) => files,
            Err(e) => {
                unclaim(lake, year, version).await?;
                return Err(e);
            }
        };
        let mut hashes = Vec::with_capacity(release_files.len());
        for file in release_files {
            hashes.push(FileHash::of(&file.name, &file.bytes));
            put_new(
                lake,
                &layout::release_file(year, version, &file.name),
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
        let manifest_path = layout::release_file(year, version, MANIFEST);
        let json = serde_json::to_vec_pretty(&manifest).map_err(|source| PublishError::Json {
            path: lake.display(&manifest_path),
            source,
        })?;
        put_new(lake, &manifest_path, json).await?;
        Ok(PublishOutcome::Published(ReleaseSummary {
            year,
            version,
            folder: lake.path(&layout::release_dir(year, version)),
            cells,
        }))
    }
}

/// The files of a release: the tables, then the caller's extra files for the claimed `version`.
fn release_files(
    year: i64,
    version: u32,
    batches: &[RecordBatch],
    extra_files: Option<&ExtraFiles<'_>>,
    mut files: Vec<ReleaseFile>,
) -> Result<Vec<ReleaseFile>, PublishError> {
    let Some(extra_files) = extra_files else {
        return Ok(files);
    };
    let extras = extra_files(batches, &release_name(version))
        .map_err(|source: BoxError| PublishError::ExtraFiles { year, source })?;
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
