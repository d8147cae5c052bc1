//! Reading releases back: the current release of a year (by LATEST only), a named version, and
//! its indikatorer table.
//!
//! Guarantees: a folder without `manifest.json` is never read.

use super::error::PublishError;
use super::manifest::Manifest;
use crate::commit::release::{is_complete, read_latest};
use crate::layout::release::{INDIKATORER_PARQUET, MANIFEST, version_dir};
use crate::layout::release_name;
use datafusion::arrow::array::RecordBatch;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// A complete release.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    /// The reference year.
    pub year: i64,
    /// The version number (`v003` → 3).
    pub version: u32,
    /// The release folder.
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
pub async fn latest_release(
    store: &dyn ObjectStore,
    lake: &Path,
    year: i64,
) -> Result<Option<Release>, PublishError> {
    match read_latest(store, lake, year).await? {
        Some(pointer) => Ok(Some(
            read_release(store, lake, year, pointer.version).await?,
        )),
        None => Ok(None),
    }
}

/// Release `version` of `year`; [`PublishError::Incomplete`] when its folder has no manifest.
pub async fn read_release(
    store: &dyn ObjectStore,
    lake: &Path,
    year: i64,
    version: u32,
) -> Result<Release, PublishError> {
    let folder = version_dir(lake, year, version);
    if !is_complete(store, lake, year, version).await? {
        return Err(PublishError::Incomplete {
            path: folder.to_string(),
        });
    }
    let path = folder.clone().join(MANIFEST);
    let bytes = get_bytes(store, &path).await?;
    let manifest = serde_json::from_slice(&bytes).map_err(|source| PublishError::Json {
        path: path.to_string(),
        source,
    })?;
    Ok(Release {
        year,
        version,
        folder,
        manifest,
    })
}

/// The `indikatorer` table of a release.
pub async fn release_table(
    store: &dyn ObjectStore,
    release: &Release,
) -> Result<Vec<RecordBatch>, PublishError> {
    let path = release.folder.clone().join(INDIKATORER_PARQUET);
    let got = store
        .get(&path)
        .await
        .map_err(|e| PublishError::store(&path, e))?;
    let bytes = got
        .bytes()
        .await
        .map_err(|e| PublishError::store(&path, e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)?.build()?;
    Ok(reader.collect::<Result<Vec<_>, _>>()?)
}

/// The bytes of one object.
pub(crate) async fn get_bytes(
    store: &dyn ObjectStore,
    path: &Path,
) -> Result<Vec<u8>, PublishError> {
    let got = store
        .get(path)
        .await
        .map_err(|e| PublishError::store(path, e))?;
    let bytes = got
        .bytes()
        .await
        .map_err(|e| PublishError::store(path, e))?;
    Ok(bytes.to_vec())
}
