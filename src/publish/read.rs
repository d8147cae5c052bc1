//! Reading releases back: the current release of a year (by LATEST only), a named version, and
//! its indikatorer table.
//!
//! Guarantees: a folder without `manifest.json` is never read.

use super::error::PublishError;
use super::manifest::Manifest;
use crate::commit::release::{is_complete, read_latest};
use crate::layout::release::{INDIKATORER_PARQUET, MANIFEST};
use crate::layout::{self, release_name};
use crate::store::Store;
use datafusion::arrow::array::RecordBatch;
use object_store::path::Path;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// A complete release.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    /// The reference year.
    pub year: i64,
    /// The version number (`v003` → 3).
    pub version: u32,
    /// The release folder in the lake's object store.
    pub folder: Path,
    /// Its manifest.
    pub manifest: Manifest,
}

impl Release {
    /// `<Y>/v<NNN>`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.year, release_name(self.version))
    }
}

/// The current release of `year`: the folder LATEST names; `None` when the year has none.
pub async fn latest_release(lake: &Store, year: i64) -> Result<Option<Release>, PublishError> {
    match read_latest(lake, year).await? {
        Some(pointer) => Ok(Some(read_release(lake, year, pointer.version).await?)),
        None => Ok(None),
    }
}

/// Release `version` of `year`; [`PublishError::Incomplete`] when its folder has no manifest.
pub async fn read_release(lake: &Store, year: i64, version: u32) -> Result<Release, PublishError> {
    let folder = layout::release_dir(year, version);
    if !is_complete(lake, year, version).await? {
        return Err(PublishError::Incomplete {
            path: lake.display(&folder),
        });
    }
    let path = layout::release_file(year, version, MANIFEST);
    let bytes = lake.read(&path).await?;
    let manifest = serde_json::from_slice(&bytes).map_err(|source| PublishError::Json {
        path: lake.display(&path),
        source,
    })?;
    Ok(Release {
        year,
        version,
        folder: lake.path(&folder),
        manifest,
    })
}

/// The `indikatorer` table of a release.
pub async fn release_table(
    lake: &Store,
    release: &Release,
) -> Result<Vec<RecordBatch>, PublishError> {
    let path = layout::release_file(release.year, release.version, INDIKATORER_PARQUET);
    let bytes = lake.read(&path).await?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)?.build()?;
    Ok(reader.collect::<Result<Vec<_>, _>>()?)
}
