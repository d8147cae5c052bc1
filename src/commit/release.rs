//! The commit protocol of a release, in the manner of delta-rs commits: claim a fresh version,
//! write every file into its folder, write `manifest.json` last; the caller checks the release
//! (the publish gate) and only then moves `LATEST` ([`move_latest`]).
//!
//! - Claim: `<lake>/_commit/claims/<Y>/v<NNN>/_claim` is put with `PutMode::Create`; of two
//!   publishers racing for one number exactly one wins, the other tries the next number. Numbers
//!   are never reused, not even those of crashed attempts, so a release folder is written by one
//!   publisher only. The claim lives outside the release folder, which holds release files only.
//! - Files are put with `PutMode::Create` too: nothing in a release folder is ever overwritten.
//! - `LATEST` only moves forward, by compare-and-swap: replaced with `PutMode::Update` on the
//!   e_tag/version read just before (created with `PutMode::Create` when absent); a lost race
//!   re-reads and retries, and a publisher that finds a newer version in LATEST stops with
//!   [`ReleaseError::Superseded`].
//! - Stores without conditional updates (the local file system: `PutMode::Update` is not
//!   implemented there) re-read LATEST just before replacing it and retry when it changed; the
//!   replacement is a write to a temporary file and an atomic rename, so LATEST is never
//!   half-written. The year's lease ([`crate::commit`]) makes the run the only writer of LATEST,
//!   which closes the window between that re-read and the rename.
//!
//! Guarantees: a crash at any point leaves LATEST naming a complete release (or absent); readers
//! only follow LATEST and never read a folder without `manifest.json`.

use crate::layout::release::{MANIFEST, claim, claims_dir, latest, version_dir, year_dir};
use crate::layout::{parse_release_version, release_name};
use object_store::path::Path;
use object_store::{
    GetOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion,
};

/// Why the release commit protocol failed.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
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
}

impl ReleaseError {
    /// Wraps an object-store error with the path it concerns.
    pub(crate) fn store(path: &Path, source: object_store::Error) -> Self {
        ReleaseError::Store {
            path: path.to_string(),
            source,
        }
    }
}

/// How many version numbers (claim) or LATEST moves one publisher tries before giving up.
const MAX_ATTEMPTS: u32 = 16;

/// LATEST as read: the version it names and the store's version tag of the object.
pub(crate) struct LatestPointer {
    /// The version number LATEST names.
    pub version: u32,
    /// The e_tag / version to make the next put conditional on.
    pub tag: UpdateVersion,
}

/// Reads `<Y>/LATEST`; `None` when absent.
pub(crate) async fn read_latest(
    store: &dyn ObjectStore,
    lake: &Path,
    year: i64,
) -> Result<Option<LatestPointer>, ReleaseError> {
    let path = latest(lake, year);
    let got = match store.get_opts(&path, GetOptions::default()).await {
        Ok(got) => got,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(ReleaseError::store(&path, e)),
    };
    let tag = UpdateVersion {
        e_tag: got.meta.e_tag.clone(),
        version: got.meta.version.clone(),
    };
    let bytes = got
        .bytes()
        .await
        .map_err(|e| ReleaseError::store(&path, e))?;
    let content = String::from_utf8_lossy(&bytes).trim().to_string();
    let version = parse_release_version(&content).ok_or_else(|| ReleaseError::CorruptLatest {
        path: path.to_string(),
        content: content.clone(),
    })?;
    Ok(Some(LatestPointer { version, tag }))
}

/// Version numbers of every folder under `<Y>/`, complete or not.
pub(crate) async fn version_folders(
    store: &dyn ObjectStore,
    lake: &Path,
    year: i64,
) -> Result<Vec<u32>, ReleaseError> {
    let dir = year_dir(lake, year);
    let listing = store
        .list_with_delimiter(Some(&dir))
        .await
        .map_err(|e| ReleaseError::store(&dir, e))?;
    let mut versions: Vec<u32> = listing
        .common_prefixes
        .iter()
        .filter_map(|p| p.filename().and_then(parse_release_version))
        .collect();
    versions.sort_unstable();
    Ok(versions)
}

/// Whether version `n` of `year` has its manifest (is a complete release).
pub(crate) async fn is_complete(
    store: &dyn ObjectStore,
    lake: &Path,
    year: i64,
    n: u32,
) -> Result<bool, ReleaseError> {
    let path = version_dir(lake, year, n).join(MANIFEST);
    match store.head(&path).await {
        Ok(_) => Ok(true),
        Err(object_store::Error::NotFound { .. }) => Ok(false),
        Err(e) => Err(ReleaseError::store(&path, e)),
    }
}

/// Version numbers claimed for `year`, written or not.
async fn claimed_versions(
    store: &dyn ObjectStore,
    lake: &Path,
    year: i64,
) -> Result<Vec<u32>, ReleaseError> {
    let dir = claims_dir(lake, year);
    let listing = store
        .list_with_delimiter(Some(&dir))
        .await
        .map_err(|e| ReleaseError::store(&dir, e))?;
    Ok(listing
        .common_prefixes
        .iter()
        .filter_map(|p| p.filename().and_then(parse_release_version))
        .collect())
}

/// Claims the next free version of `year` and returns its number.
pub(crate) async fn claim_version(
    store: &dyn ObjectStore,
    lake: &Path,
    year: i64,
    claimed_at: &str,
) -> Result<u32, ReleaseError> {
    let folders = version_folders(store, lake, year).await?;
    let claims = claimed_versions(store, lake, year).await?;
    let mut next = folders
        .iter()
        .chain(claims.iter())
        .max()
        .map_or(1, |v| v + 1);
    for _ in 0..MAX_ATTEMPTS {
        let path = claim(lake, year, next);
        let body = format!("claimed {claimed_at}\n").into_bytes();
        match put_new(store, &path, body).await {
            Ok(()) => return Ok(next),
            Err(ReleaseError::Store {
                source: object_store::Error::AlreadyExists { .. },
                ..
            }) => next += 1,
            Err(e) => return Err(e),
        }
    }
    Err(ReleaseError::VersionConflict {
        year,
        attempts: MAX_ATTEMPTS,
        last: release_name(next.saturating_sub(1)),
    })
}

/// Gives up the claim of `version` when nothing was written under it (the release files could
/// not be made), so a failed attempt leaves nothing behind.
pub(crate) async fn unclaim(
    store: &dyn ObjectStore,
    lake: &Path,
    year: i64,
    version: u32,
) -> Result<(), ReleaseError> {
    let path = claim(lake, year, version);
    match store.delete(&path).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(ReleaseError::store(&path, e)),
    }
}

/// Puts a new object; never replaces an existing one where the store can tell.
pub(crate) async fn put_new(
    store: &dyn ObjectStore,
    path: &Path,
    bytes: Vec<u8>,
) -> Result<(), ReleaseError> {
    let payload = PutPayload::from(bytes);
    match store
        .put_opts(path, payload.clone(), PutOptions::from(PutMode::Create))
        .await
    {
        Ok(_) => Ok(()),
        Err(object_store::Error::NotImplemented { .. }) => store
            .put_opts(path, payload, PutOptions::from(PutMode::Overwrite))
            .await
            .map(|_| ())
            .map_err(|e| ReleaseError::store(path, e)),
        Err(e) => Err(ReleaseError::store(path, e)),
    }
}

/// Moves `<Y>/LATEST` forward to version `ours`.
pub(crate) async fn move_latest(
    store: &dyn ObjectStore,
    lake: &Path,
    year: i64,
    ours: u32,
) -> Result<(), ReleaseError> {
    let path = latest(lake, year);
    let body = format!("{}\n", release_name(ours)).into_bytes();
    for _ in 0..MAX_ATTEMPTS {
        let current = read_latest(store, lake, year).await?;
        let current_version = current.as_ref().map(|p| p.version);
        let mode = match current {
            Some(ref pointer) if pointer.version > ours => {
                return Err(ReleaseError::Superseded {
                    year,
                    ours: release_name(ours),
                    latest: release_name(pointer.version),
                });
            }
            Some(pointer) => PutMode::Update(pointer.tag),
            None => PutMode::Create,
        };
        let payload = PutPayload::from(body.clone());
        match store
            .put_opts(&path, payload.clone(), PutOptions::from(mode))
            .await
        {
            Ok(_) => return Ok(()),
            Err(object_store::Error::Precondition { .. })
            | Err(object_store::Error::AlreadyExists { .. }) => continue,
            Err(object_store::Error::NotImplemented { .. }) => {
                // No conditional update here: compare again just before the atomic replace.
                let again = read_latest(store, lake, year).await?.map(|p| p.version);
                if again != current_version {
                    continue;
                }
                return store
                    .put_opts(&path, payload, PutOptions::from(PutMode::Overwrite))
                    .await
                    .map(|_| ())
                    .map_err(|e| ReleaseError::store(&path, e));
            }
            Err(e) => return Err(ReleaseError::store(&path, e)),
        }
    }
    Err(ReleaseError::Superseded {
        year,
        ours: release_name(ours),
        latest: "a version written concurrently".to_string(),
    })
}
