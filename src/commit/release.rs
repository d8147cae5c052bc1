//! The commit protocol of a release, in the manner of delta-rs commits: claim a fresh version,
//! write every file into its folder, write `manifest.json` last; the caller checks the release
//! (the publish gate) and only then moves `LATEST` (`move_latest`). Every step is a conditional
//! put of the lake's [`Store`] (`Store::put_if`), so the protocol is the same on every store.
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

use crate::layout::{self, parse_release_version, release_name};
use crate::store::{Store, StoreError};
use bytes::Bytes;
use object_store::UpdateVersion;

/// Why the release commit protocol failed.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
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
    /// A file of a claimed release folder is there already: another publisher wrote into a folder
    /// it did not claim.
    #[error(
        "{path}: already exists; a release file is never replaced (hint: something wrote \
         into this release folder without claiming it; re-run, the next run claims a new version)"
    )]
    Exists {
        /// The file.
        path: String,
    },
}

/// How many version numbers (claim) or LATEST moves one publisher tries before giving up.
const MAX_ATTEMPTS: u32 = 16;

/// LATEST as read: the version it names and the store's version of the object.
pub(crate) struct LatestPointer {
    /// The version number LATEST names.
    pub(crate) version: u32,
    /// The e_tag / version to make the next put conditional on.
    tag: UpdateVersion,
}

/// Reads `<Y>/LATEST`; `None` when absent.
pub(crate) async fn read_latest(
    lake: &Store,
    year: i64,
) -> Result<Option<LatestPointer>, ReleaseError> {
    let path = layout::latest_file(year);
    let Some((bytes, tag)) = lake.get_versioned(&path).await? else {
        return Ok(None);
    };
    let content = String::from_utf8_lossy(&bytes).trim().to_string();
    let version = parse_release_version(&content).ok_or_else(|| ReleaseError::CorruptLatest {
        path: lake.display(&path),
        content: content.clone(),
    })?;
    Ok(Some(LatestPointer { version, tag }))
}

/// Version numbers of the folders directly below `relative` (`v001`, …), sorted.
async fn versions_below(lake: &Store, relative: &str) -> Result<Vec<u32>, ReleaseError> {
    let mut versions: Vec<u32> = lake
        .list_dirs(relative)
        .await?
        .iter()
        .filter_map(|name| parse_release_version(name))
        .collect();
    versions.sort_unstable();
    Ok(versions)
}

/// Whether version `n` of `year` has its manifest (is a complete release).
pub(crate) async fn is_complete(lake: &Store, year: i64, n: u32) -> Result<bool, ReleaseError> {
    let path = layout::release_file(year, n, layout::release::MANIFEST);
    Ok(lake.head(&path).await?.is_some())
}

/// Claims the next free version of `year` and returns its number.
pub(crate) async fn claim_version(
    lake: &Store,
    year: i64,
    claimed_at: &str,
) -> Result<u32, ReleaseError> {
    let folders = versions_below(lake, &layout::releases_dir(year)).await?;
    let claims = versions_below(lake, &layout::release_claims_dir(year)).await?;
    let mut next = folders
        .iter()
        .chain(claims.iter())
        .max()
        .map_or(1, |v| v + 1);
    for _ in 0..MAX_ATTEMPTS {
        let path = layout::release_claim(year, next);
        let body = format!("claimed {claimed_at}\n").into_bytes();
        if lake.put_if(&path, body, None).await? {
            return Ok(next);
        }
        next += 1;
    }
    Err(ReleaseError::VersionConflict {
        year,
        attempts: MAX_ATTEMPTS,
        last: release_name(next.saturating_sub(1)),
    })
}

/// Gives up the claim of `version` when nothing was written under it (the release files could
/// not be made), so a failed attempt leaves nothing behind.
pub(crate) async fn unclaim(lake: &Store, year: i64, version: u32) -> Result<(), ReleaseError> {
    Ok(lake.delete(&layout::release_claim(year, version)).await?)
}

/// Puts a new object; never replaces an existing one where the store can tell.
pub(crate) async fn put_new(
    lake: &Store,
    relative: &str,
    bytes: Vec<u8>,
) -> Result<(), ReleaseError> {
    let bytes = Bytes::from(bytes);
    match lake.put_if(relative, bytes.clone(), None).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ReleaseError::Exists {
            path: lake.display(relative),
        }),
        Err(e) if e.is_unsupported() => Ok(lake.put(relative, bytes).await?),
        Err(e) => Err(e.into()),
    }
}

/// Moves `<Y>/LATEST` forward to version `ours`.
pub(crate) async fn move_latest(lake: &Store, year: i64, ours: u32) -> Result<(), ReleaseError> {
    let path = layout::latest_file(year);
    let body = format!("{}\n", release_name(ours)).into_bytes();
    for _ in 0..MAX_ATTEMPTS {
        let current = read_latest(lake, year).await?;
        let current_version = current.as_ref().map(|p| p.version);
        let expected = match current {
            Some(ref pointer) if pointer.version > ours => {
                return Err(ReleaseError::Superseded {
                    year,
                    ours: release_name(ours),
                    latest: release_name(pointer.version),
                });
            }
            Some(pointer) => Some(pointer.tag),
            None => None,
        };
        match lake.put_if(&path, body.clone(), expected).await {
            Ok(true) => return Ok(()),
            Ok(false) => continue,
            Err(e) if e.is_unsupported() => {
                // No conditional update here: compare again just before the atomic replace.
                let again = read_latest(lake, year).await?.map(|p| p.version);
                if again != current_version {
                    continue;
                }
                return Ok(lake.put(&path, body).await?);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ReleaseError::Superseded {
        year,
        ours: release_name(ours),
        latest: "a version written concurrently".to_string(),
    })
}
