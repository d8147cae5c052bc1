//! The run ledger: one `run.json` per run under `<lake>/runs/<run_id>/`, recording every stage
//! (ran, skipped or failed, and why), its input fingerprint, rows, time and check results. The
//! runner asks it for the last successful fingerprint of a stage to decide what to skip.

use crate::layout;
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};

/// What happened to a stage in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    /// The stage ran and succeeded.
    Ran,
    /// The stage was up to date and did not run.
    Skipped,
    /// The stage ran and failed.
    Failed,
    /// The stage was not selected (`--stage`/`--from`).
    NotSelected,
    /// A dry run: the stage would run.
    WouldRun,
}

/// One stage of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageRecord {
    pub name: String,
    pub status: StageStatus,
    /// Why it ran or was skipped.
    pub reason: String,
    /// SHA-256 over everything the stage reads.
    pub fingerprint: String,
    /// The fingerprint's parts: label (a file, `sql/<model>.sql`, a committed dataset, the program
    /// build) → SHA-256 of that part, so a later run can say which input changed.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub inputs: std::collections::BTreeMap<String, String>,
    /// The committed datasets the stage read: `staging/<d>/ar=<Y>` → version (see
    /// [`crate::commit::version`]).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub datasets: std::collections::BTreeMap<String, String>,
    pub seconds: f64,
    pub rows_in: u64,
    pub rows_out: u64,
    /// Peak resident memory of the process while the stage ran (Linux), bytes.
    #[serde(default)]
    pub(crate) peak_memory_bytes: Option<u64>,
    /// Stage-specific facts: input files, per-dataset rows, per-model times, release path…
    #[serde(default)]
    pub details: serde_json::Value,
    /// Data-quality check results of the gate after the stage.
    #[serde(default)]
    pub checks: Vec<serde_json::Value>,
}

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Running,
    Success,
    Failed,
    DryRun,
}

/// The record of one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    pub run_id: String,
    pub year: i64,
    pub command: String,
    pub started: String,
    pub(crate) finished: Option<String>,
    pub outcome: Outcome,
    pub code_version: String,
    pub stages: Vec<StageRecord>,
    pub error: Option<String>,
}

/// A ledger failure.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: not a run record: {source}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
}

/// Runs started by this process so far: orders runs that share a timestamp (a fixed clock, or
/// two runs in one millisecond).
static RUNS_STARTED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// A new run id: UTC time to the millisecond, a sequence number within this process, the year
/// and a random suffix, so ids sort by start time and two concurrent runs never share one.
pub(crate) fn new_run_id(now: chrono::DateTime<chrono::Utc>, year: i64) -> String {
    let seq = RUNS_STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let suffix: u16 = rand::random();
    format!(
        "{}-{seq:06}-{year}-{suffix:04x}",
        now.format("%Y%m%dT%H%M%S%3fZ")
    )
}

/// Writes (or rewrites) a run's record.
pub async fn write(lake: &Store, record: &RunRecord) -> Result<(), LedgerError> {
    let path = layout::run_record(&record.run_id);
    let json = serde_json::to_vec_pretty(record).map_err(|source| LedgerError::Json {
        path: lake.display(&path),
        source,
    })?;
    lake.put(&path, json).await?;
    Ok(())
}

/// Every readable run record in the lake, oldest first. A record that cannot be read or is not a
/// run record is skipped with a warning naming it (its stages then count as never run, so they
/// run again): one damaged file never blocks every run.
pub async fn all_runs(lake: &Store) -> Result<Vec<RunRecord>, LedgerError> {
    let mut out = Vec::new();
    for rel in lake.list(layout::runs_dir()).await? {
        if !rel.ends_with("/run.json") {
            continue;
        }
        let parsed = match lake.get(&rel).await {
            Ok(Some(bytes)) => {
                serde_json::from_slice::<RunRecord>(&bytes).map_err(|source| LedgerError::Json {
                    path: lake.display(&rel),
                    source,
                })
            }
            Ok(None) => continue,
            Err(e) => Err(LedgerError::Store(e)),
        };
        match parsed {
            Ok(record) => out.push(record),
            Err(e) => tracing::warn!("skipping an unreadable run record: {e}"),
        }
    }
    out.sort_by(|a, b| a.run_id.cmp(&b.run_id));
    Ok(out)
}

/// The latest successful execution of `stage` for `year` (a stage that ran, in any run).
pub async fn last_success(
    lake: &Store,
    year: i64,
    stage: &str,
) -> Result<Option<StageRecord>, LedgerError> {
    Ok(last_success_in(&all_runs(lake).await?, year, stage))
}

/// [`last_success`] over run records already read (oldest first), so a run reads the ledger once.
pub(crate) fn last_success_in(runs: &[RunRecord], year: i64, stage: &str) -> Option<StageRecord> {
    runs.iter()
        .rev()
        .filter(|r| r.year == year)
        .flat_map(|r| r.stages.iter())
        .find(|s| s.name == stage && s.status == StageStatus::Ran)
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(name: &str, status: StageStatus, fp: &str) -> StageRecord {
        StageRecord {
            name: name.into(),
            status,
            reason: String::new(),
            fingerprint: fp.into(),
            inputs: Default::default(),
            datasets: Default::default(),
            seconds: 0.0,
            rows_in: 0,
            rows_out: 0,
            peak_memory_bytes: None,
            details: serde_json::Value::Null,
            checks: vec![],
        }
    }

    #[tokio::test]
    async fn last_success_takes_the_newest_run_that_ran_the_stage() {
        let lake = Store::open("memory://ledger-test/lake").unwrap();
        let mk = |id: &str, year, stages| RunRecord {
            run_id: id.into(),
            year,
            command: "run".into(),
            started: String::new(),
            finished: None,
            outcome: Outcome::Success,
            code_version: "t".into(),
            stages,
            error: None,
        };
        write(
            &lake,
            &mk("a", 2017, vec![stage("ingest", StageStatus::Ran, "f1")]),
        )
        .await
        .unwrap();
        write(
            &lake,
            &mk("b", 2017, vec![stage("ingest", StageStatus::Failed, "f2")]),
        )
        .await
        .unwrap();
        write(
            &lake,
            &mk("c", 2016, vec![stage("ingest", StageStatus::Ran, "f3")]),
        )
        .await
        .unwrap();
        write(
            &lake,
            &mk("d", 2017, vec![stage("ingest", StageStatus::Skipped, "f1")]),
        )
        .await
        .unwrap();
        let last = last_success(&lake, 2017, "ingest").await.unwrap().unwrap();
        assert_eq!(last.fingerprint, "f1");
        assert!(last_success(&lake, 2015, "ingest").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn an_unreadable_run_record_is_skipped() {
        let lake = Store::open("memory://ledger-unreadable-test/lake").unwrap();
        let good = RunRecord {
            run_id: "b".into(),
            year: 2017,
            command: "run".into(),
            started: String::new(),
            finished: None,
            outcome: Outcome::Success,
            code_version: "t".into(),
            stages: vec![stage("ingest", StageStatus::Ran, "f1")],
            error: None,
        };
        write(&lake, &good).await.unwrap();
        lake.put(&layout::run_record("a"), b"{truncated".to_vec())
            .await
            .unwrap();
        let runs = all_runs(&lake).await.unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].run_id, "b");
    }

    #[test]
    fn run_ids_sort_by_time() {
        let t1 = chrono::DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z")
            .unwrap()
            .to_utc();
        let t2 = chrono::DateTime::parse_from_rfc3339("2026-01-01T10:00:01Z")
            .unwrap()
            .to_utc();
        assert!(new_run_id(t1, 2017) < new_run_id(t2, 2017));
        assert!(new_run_id(t1, 2017).contains("-2017-"));
        // The same instant: the later run still sorts after the earlier one.
        let (a, b) = (new_run_id(t1, 2017), new_run_id(t1, 2017));
        assert!(a < b, "{a} {b}");
    }
}
