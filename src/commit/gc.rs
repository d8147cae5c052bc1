//! Removing what failed or killed runs left behind: run-scoped files of a year ([`sweep`], also
//! after every successful commit) and release folders without a manifest ([`gc`], `oj gc`), never
//! for a year whose lease a live run holds.

use super::{CommitError, Holder, read_json};
use crate::layout;
use crate::store::Store;
use std::collections::BTreeSet;

/// Deletes the run-scoped files of `year` (left by failed or killed runs, or by a store's
/// temporary upload files); returns how many. Called under the year's lease or by [`gc`].
pub(super) async fn sweep(lake: &Store, year: i64) -> Result<usize, CommitError> {
    let mut removed = 0;
    for file in lake.list(&layout::pending_year_dir(year)).await? {
        lake.delete(&file).await?;
        removed += 1;
    }
    // On a local lake the folders of every run's pending files stay behind when the files are
    // promoted or deleted: without this each later run lists more of them.
    lake.remove_empty_dirs(&layout::pending_year_dir(year))
        .await?;
    Ok(removed)
}

/// What [`gc`] removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Run-scoped files of failed or killed runs.
    pub(crate) pending_files: usize,
    /// Files of release folders without a manifest (abandoned publishes).
    pub(crate) incomplete_release_files: usize,
    /// Years skipped because a run holds their lease.
    pub(crate) busy_years: Vec<i64>,
}

/// Removes the abandoned run-scoped files and incomplete release folders of every year whose
/// lease nobody holds (`oj gc`).
pub async fn gc(lake: &Store) -> Result<GcReport, CommitError> {
    let mut report = GcReport::default();
    let mut years = BTreeSet::new();
    for file in lake
        .list(&format!("{}/pending", layout::commit_dir()))
        .await?
    {
        if let Some(y) = file
            .split('/')
            .nth(2)
            .and_then(|p| p.strip_prefix("ar="))
            .and_then(|y| y.parse::<i64>().ok())
        {
            years.insert(y);
        }
    }
    for file in lake.list("releases").await? {
        if let Some(y) = file.split('/').nth(1).and_then(|y| y.parse::<i64>().ok()) {
            years.insert(y);
        }
    }
    for year in years {
        let held: Option<Holder> = read_json(lake, &layout::lease_file(year)).await?;
        if held.is_some_and(|h| !h.is_gone()) {
            report.busy_years.push(year);
            continue;
        }
        report.pending_files += sweep(lake, year).await?;
        let files = lake.list(&layout::releases_dir(year)).await?;
        let folders: BTreeSet<&str> = files
            .iter()
            .filter_map(|f| f.split('/').nth(2))
            .filter(|n| layout::parse_release_version(n).is_some())
            .collect();
        for folder in folders {
            let prefix = format!("{}/{folder}/", layout::releases_dir(year));
            let inside: Vec<&String> = files.iter().filter(|f| f.starts_with(&prefix)).collect();
            if inside
                .iter()
                .any(|f| f.ends_with(&format!("/{}", crate::layout::release::MANIFEST)))
            {
                continue;
            }
            for f in inside {
                lake.delete(f).await?;
                report.incomplete_release_files += 1;
            }
            // A local lake keeps the emptied folder: it goes too.
            lake.remove_empty_dirs(&prefix).await?;
        }
    }
    Ok(report)
}
