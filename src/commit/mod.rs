//! The lake's commit protocol: write, check, then commit. Every stage of a run writes its outputs
//! under a run-scoped location (`_commit/pending/ar=<Y>/<run_id>/…`, [`Txn::target`]); the gate
//! after the stage reads them there ([`View`]); only a passing gate promotes them, each dataset
//! partition by one atomic rename onto its committed path (`staging/<d>/ar=<Y>/data.parquet`,
//! `warehouse/<m>/ar=<Y>/data.parquet`), and a release by moving `LATEST`.
//!
//! Guarantees:
//! - A failed or killed stage leaves the committed data exactly as it was; later stages read
//!   committed data only. A stage whose last attempt failed leaves a marker
//!   (`_commit/failed/<stage>/ar=<Y>.json`) and every later stage that would read its (older)
//!   committed output refuses with [`CommitError::UpstreamFailed`], naming the year, the failure and
//!   the command that fixes it. A commit writes the marker before its first promotion and the
//!   runner removes it after recording the stage, so a process killed mid-commit counts as failed.
//! - One writer per year: a run holds the lease `_commit/leases/ar=<Y>.json`, created with
//!   `PutMode::Create` (on object stores and the local file system alike); a second run of the
//!   year is refused with [`CommitError::Leased`] naming the holder. The lease of a process that no
//!   longer exists on this host is broken automatically; any other is broken by `oj unlock`.
//! - Abandoned run-scoped files (of failed or killed runs) are removed by the next successful
//!   commit of the year and by [`gc`] (`oj gc`).
//! - A committed dataset's version ([`version`]) is the store's e_tag and size of its file: it
//!   changes whenever a commit replaces the file, so fingerprints and manifests name what was read.

mod gc;
mod lease;
pub mod release;

pub use gc::{GcReport, gc};
pub use lease::{Holder, Lease, break_lease};

use crate::layout;
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// Why a commit, a lease or a read of committed data was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Another run holds the year's lease.
    #[error(
        "year {year} is being written by another run: {holder} (lease {path}); wait for it to finish, or, if that process is gone, break the stale lease with `oj unlock --year {year} --lake {lake}`"
    )]
    Leased {
        year: i64,
        holder: Holder,
        path: String,
        lake: String,
    },
    /// The last attempt of the stage that produces data this stage reads failed.
    #[error(
        "{what} of {year} is not usable: the last {stage} of {year} failed (run {run_id}): {error} (hint: fix it and run `oj run --year {year} --from {stage} --drops D --lake {lake}`)"
    )]
    UpstreamFailed {
        what: String,
        stage: String,
        year: i64,
        run_id: String,
        error: String,
        lake: String,
    },
    /// A commit record that is not JSON.
    #[error("{path}: not a commit record: {source}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    /// Moving LATEST failed.
    #[error(transparent)]
    Release(#[from] release::ReleaseError),
}

pub(super) async fn read_json<T: serde::de::DeserializeOwned>(
    lake: &Store,
    relative: &str,
) -> Result<Option<T>, CommitError> {
    let Some(bytes) = lake.get(relative).await? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|source| CommitError::Json {
            path: lake.display(relative),
            source,
        })
}

/// The record of a stage's failed attempt for a year.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Failure {
    pub run_id: String,
    pub stage: String,
    pub year: i64,
    pub error: String,
}

/// Records that `stage` of `year` failed in `run_id` (its committed output was kept).
pub async fn mark_failed(
    lake: &Store,
    stage: &str,
    year: i64,
    run_id: &str,
    error: &str,
) -> Result<(), CommitError> {
    let failure = Failure {
        run_id: run_id.to_string(),
        stage: stage.to_string(),
        year,
        error: error.lines().next().unwrap_or_default().to_string(),
    };
    let path = layout::failed_marker(stage, year);
    let json = serde_json::to_vec_pretty(&failure).map_err(|source| CommitError::Json {
        path: lake.display(&path),
        source,
    })?;
    lake.put(&path, json).await?;
    Ok(())
}

/// Removes the failure marker of `stage` for `year`: its last attempt committed and is recorded.
pub async fn clear_failure(lake: &Store, stage: &str, year: i64) -> Result<(), CommitError> {
    lake.delete(&layout::failed_marker(stage, year)).await?;
    Ok(())
}

/// The failure of the last attempt of `stage` for `year`, when it failed.
pub async fn last_failure(
    lake: &Store,
    stage: &str,
    year: i64,
) -> Result<Option<Failure>, CommitError> {
    read_json(lake, &layout::failed_marker(stage, year)).await
}

/// Refuses when the last attempt of `stage` for `year` failed: `what` (its output) is then older
/// than its inputs and must not be read.
pub async fn require_intact(
    lake: &Store,
    stage: &str,
    year: i64,
    what: &str,
) -> Result<(), CommitError> {
    match last_failure(lake, stage, year).await? {
        None => Ok(()),
        Some(f) => Err(CommitError::UpstreamFailed {
            what: what.to_string(),
            stage: f.stage,
            year,
            run_id: f.run_id,
            error: f.error,
            lake: lake.display(""),
        }),
    }
}

/// The committed version of a dataset file: the store's e_tag (or modification time) and size;
/// `absent` when there is none.
pub async fn version(lake: &Store, committed: &str) -> Result<String, CommitError> {
    Ok(match lake.head(committed).await? {
        Some(meta) => version_of(&meta),
        None => "absent".to_string(),
    })
}

/// The version of a file the store described with `meta` (see [`version`]).
pub fn version_of(meta: &object_store::ObjectMeta) -> String {
    format!(
        "{} {}",
        meta.e_tag
            .clone()
            .unwrap_or_else(|| meta.last_modified.to_rfc3339()),
        meta.size
    )
}

/// What a gate (or a stage reading its own outputs) sees: this stage's pending files in place of
/// the committed ones, files being retired as absent, and the pending release of a year.
#[derive(Debug, Clone, Default)]
pub struct View {
    pending: BTreeMap<String, String>,
    retired: BTreeSet<String>,
    release: Option<(i64, u32)>,
}

impl View {
    /// The file to read for the committed path `committed`; `None` when it is being retired.
    pub fn file(&self, committed: &str) -> Option<String> {
        if let Some(p) = self.pending.get(committed) {
            return Some(p.clone());
        }
        (!self.retired.contains(committed)).then(|| committed.to_string())
    }

    /// The files this stage wrote: (committed path, where it is until the commit).
    pub fn outputs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pending.iter().map(|(c, p)| (c.as_str(), p.as_str()))
    }

    /// The release of `year` this stage wrote and has not made current yet.
    pub fn release(&self, year: i64) -> Option<u32> {
        self.release.filter(|(y, _)| *y == year).map(|(_, v)| v)
    }
}

/// The outputs of one stage of one run, written run-scoped and committed after its gate.
#[derive(Debug)]
pub struct Txn<'a> {
    lake: &'a Store,
    year: i64,
    run_id: String,
    stage: &'static str,
    view: Mutex<View>,
}

impl<'a> Txn<'a> {
    /// A transaction of `stage` for `year` in run `run_id`.
    pub fn new(lake: &'a Store, year: i64, run_id: &str, stage: &'static str) -> Self {
        Txn {
            lake,
            year,
            run_id: run_id.to_string(),
            stage,
            view: Mutex::new(View::default()),
        }
    }

    /// The lake the transaction writes.
    pub fn lake(&self) -> &'a Store {
        self.lake
    }

    fn with_view<T>(&self, f: impl FnOnce(&mut View) -> T) -> T {
        let mut guard = self.view.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// Where to write the future committed file `committed` (a lake path) now.
    pub fn target(&self, committed: &str) -> String {
        let pending = layout::pending_file(self.year, &self.run_id, committed);
        self.with_view(|v| {
            v.retired.remove(committed);
            v.pending.insert(committed.to_string(), pending.clone());
        });
        pending
    }

    /// Deletes the committed file `committed` when the transaction commits.
    pub fn retire(&self, committed: &str) {
        self.with_view(|v| {
            v.retired.insert(committed.to_string());
        });
    }

    /// Makes release `version` of the year current when the transaction commits.
    pub fn stage_release(&self, version: u32) {
        self.with_view(|v| v.release = Some((self.year, version)));
    }

    /// What the gate reads.
    pub fn view(&self) -> View {
        self.with_view(|v| v.clone())
    }

    /// Promotes every pending file onto its committed path (one atomic rename each), deletes the
    /// retired files, makes a staged release current and removes abandoned run-scoped files of the
    /// year. A marker saying the commit is under way is written first and stays until the caller
    /// has recorded the stage ([`clear_failure`]): a process killed mid-commit leaves partly
    /// promoted outputs that later stages then refuse and the next run replaces.
    pub async fn commit(self) -> Result<(), CommitError> {
        let view = self.view();
        crash_point(self.stage, "checked");
        mark_failed(
            self.lake,
            self.stage,
            self.year,
            &self.run_id,
            "its commit was interrupted; its outputs may be partly committed",
        )
        .await?;
        for (i, (committed, pending)) in view.pending.iter().enumerate() {
            if i == 1 {
                crash_point(self.stage, "committing");
            }
            self.lake.rename(pending, committed).await?;
        }
        for retired in &view.retired {
            self.lake.delete(retired).await?;
        }
        if let Some((year, version)) = view.release {
            release::move_latest(self.lake, year, version).await?;
        }
        gc::sweep(self.lake, self.year).await?;
        Ok(())
    }

    /// Drops the pending files: the committed data stays as it was.
    pub async fn abort(self) -> Result<(), CommitError> {
        let dir = format!("{}/{}", layout::pending_year_dir(self.year), self.run_id);
        for file in self.lake.list(&dir).await? {
            self.lake.delete(&file).await?;
        }
        self.lake.remove_empty_dirs(&dir).await?;
        Ok(())
    }
}

/// Fault injection for crash tests: when the environment variable `OJ_CRASH_AT` is
/// `<stage>:<point>` the process aborts at that point, as a `kill -9` would stop it. Points:
/// `written` (outputs written, gate not run), `checked` (gate passed, nothing committed),
/// `committing` (between two promotions of one commit).
pub fn crash_point(stage: &str, point: &str) {
    if std::env::var("OJ_CRASH_AT").is_ok_and(|v| v == format!("{stage}:{point}")) {
        eprintln!("OJ_CRASH_AT={stage}:{point}: aborting");
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_holder_is_refused_and_named() {
        let lake = Store::open("memory://commit-lease-test/lake").unwrap();
        let a = Holder::this_process("run-a", "t0");
        let lease = Lease::acquire(&lake, 2017, &a).await.unwrap();
        let b = Holder::this_process("run-b", "t1");
        let err = Lease::acquire(&lake, 2017, &b).await.unwrap_err();
        let text = err.to_string();
        assert!(text.contains("run run-a on host"), "{text}");
        assert!(text.contains("oj unlock --year 2017"), "{text}");
        // Another year is free.
        let other = Lease::acquire(&lake, 2016, &b).await.unwrap();
        lease.release().await.unwrap();
        Lease::acquire(&lake, 2017, &b)
            .await
            .unwrap()
            .release()
            .await
            .unwrap();
        other.release().await.unwrap();
    }

    #[tokio::test]
    async fn the_lease_of_a_process_that_is_gone_is_broken() {
        if !std::path::Path::new("/proc/self").exists() {
            return;
        }
        let lake = Store::open("memory://commit-stale-test/lake").unwrap();
        // pid 0 is never a process in /proc.
        let dead = Holder {
            pid: 0,
            ..Holder::this_process("dead", "t0")
        };
        let json = serde_json::to_vec(&dead).unwrap();
        lake.put(&layout::lease_file(2017), json).await.unwrap();
        let lease = Lease::acquire(&lake, 2017, &Holder::this_process("new", "t1"))
            .await
            .unwrap();
        lease.release().await.unwrap();
        assert!(
            lake.head(&layout::lease_file(2017))
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn pending_files_are_seen_by_the_view_and_promoted_on_commit() {
        let lake = Store::open("memory://commit-txn-test/lake").unwrap();
        let committed = layout::staging_file("register", 2017);
        lake.put(&committed, b"old".to_vec()).await.unwrap();
        let txn = Txn::new(&lake, 2017, "r1", "ingest");
        let target = txn.target(&committed);
        lake.put(&target, b"new".to_vec()).await.unwrap();
        assert_eq!(txn.view().file(&committed), Some(target.clone()));
        // Aborted: the committed file is untouched and the pending one is gone.
        txn.abort().await.unwrap();
        assert_eq!(
            lake.get(&committed).await.unwrap().unwrap().as_ref(),
            b"old"
        );
        assert!(lake.get(&target).await.unwrap().is_none());
        // Committed: the new bytes are in place.
        mark_failed(&lake, "ingest", 2017, "r1", "bad")
            .await
            .unwrap();
        let txn = Txn::new(&lake, 2017, "r2", "ingest");
        let target = txn.target(&committed);
        lake.put(&target, b"new".to_vec()).await.unwrap();
        txn.commit().await.unwrap();
        assert_eq!(
            lake.get(&committed).await.unwrap().unwrap().as_ref(),
            b"new"
        );
        // Until the runner has recorded the stage and cleared it, the commit counts as
        // interrupted.
        let marker = last_failure(&lake, "ingest", 2017).await.unwrap().unwrap();
        assert_eq!(marker.run_id, "r2");
        assert!(marker.error.contains("interrupted"), "{}", marker.error);
        clear_failure(&lake, "ingest", 2017).await.unwrap();
        assert!(last_failure(&lake, "ingest", 2017).await.unwrap().is_none());
        assert!(lake.list("_commit/pending").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn gc_removes_what_dead_runs_left_and_spares_years_being_written() {
        let lake = Store::open("memory://commit-gc-test/lake").unwrap();
        gc_case(&lake).await;
    }

    /// On a local lake the folders that gc empties go as well.
    #[tokio::test]
    async fn gc_on_a_local_lake_leaves_no_empty_folders() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Store::open(dir.path().to_str().unwrap()).unwrap();
        gc_case(&lake).await;
        assert!(!dir.path().join("releases/2016/v002").exists());
        assert!(
            dir.path()
                .join("releases/2016/v001/manifest.json")
                .is_file()
        );
        assert!(!dir.path().join(layout::pending_year_dir(2016)).exists());
    }

    async fn gc_case(lake: &Store) {
        let lake = lake.clone();
        let staging = layout::staging_file("register", 2016);
        // 2016: a killed run's pending file, an incomplete release folder, a complete release.
        lake.put(&layout::pending_file(2016, "dead", &staging), b"x".to_vec())
            .await
            .unwrap();
        lake.put("releases/2016/v002/indikatorer.csv", b"half".to_vec())
            .await
            .unwrap();
        lake.put("releases/2016/v001/indikatorer.csv", b"a".to_vec())
            .await
            .unwrap();
        lake.put("releases/2016/v001/manifest.json", b"{}".to_vec())
            .await
            .unwrap();
        // 2017: a run of this process holds the lease; its pending file stays.
        let lease = Lease::acquire(&lake, 2017, &Holder::this_process("live", "t0"))
            .await
            .unwrap();
        let live = layout::pending_file(2017, "live", &layout::staging_file("register", 2017));
        lake.put(&live, b"y".to_vec()).await.unwrap();

        let report = gc(&lake).await.unwrap();
        assert_eq!(
            report,
            GcReport {
                pending_files: 1,
                incomplete_release_files: 1,
                busy_years: vec![2017],
            }
        );
        assert!(
            lake.list(&layout::pending_year_dir(2016))
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            lake.list("releases/2016").await.unwrap(),
            vec![
                "releases/2016/v001/indikatorer.csv".to_string(),
                "releases/2016/v001/manifest.json".to_string()
            ]
        );
        assert!(lake.head(&live).await.unwrap().is_some());
        lease.release().await.unwrap();
    }
}
