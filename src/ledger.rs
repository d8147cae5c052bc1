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
        let Some(bytes) = read_or_skip(lake, &rel).await else {
            continue;
        };
        if let Some(record) = parse_or_skip::<RunRecord>(lake, &rel, &bytes) {
            out.push(record);
        }
    }
    out.sort_by(|a, b| a.run_id.cmp(&b.run_id));
    Ok(out)
}

/// The bytes of the run record at `rel`; `None` when it is gone, or cannot be read (with a
/// warning naming it): a record the ledger cannot read counts as never written, so its stages
/// run again.
async fn read_or_skip(lake: &Store, rel: &str) -> Option<bytes::Bytes> {
    match lake.get(rel).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!(
                "skipping an unreadable run record: {}",
                LedgerError::Store(e)
            );
            None
        }
    }
}

/// `bytes` of the run record at `rel` read as `T`; `None`, with a warning naming the record,
/// when they are not one (one damaged file never blocks every run).
fn parse_or_skip<T: serde::de::DeserializeOwned>(
    lake: &Store,
    rel: &str,
    bytes: &[u8],
) -> Option<T> {
    match serde_json::from_slice::<T>(bytes) {
        Ok(parsed) => Some(parsed),
        Err(source) => {
            let e = LedgerError::Json {
                path: lake.display(rel),
                source,
            };
            tracing::warn!("skipping an unreadable run record: {e}");
            None
        }
    }
}

/// The run records that answer [`last_success_in`] and [`last_ran_or_skipped_in`] for every
/// `(year, stage)` of `wanted` as [`all_runs`] would, oldest first – without reading the lake's
/// whole history (of the runs skipped since a pair's last success, only the newest is kept). A
/// lake gains a record with every run and re-run, and reading all of them cost about 1 ms a
/// record (403 records, 23 MB: 0.45 s of every run; docs/benchmarks.md, session 12). Records are
/// taken newest first (run ids sort by start time); one whose id names a year with nothing left
/// to find is not read (once this year's stages are found, only the few history years' records
/// are); the others are first read for their stages' names and statuses only, and kept (read
/// whole) when one of them is the newest success of a wanted pair; the reading stops when every
/// pair has one. A record that
/// cannot be read or is not a run record is skipped with a warning, as in [`all_runs`].
pub async fn latest_successes(
    lake: &Store,
    wanted: &[(i64, &str)],
) -> Result<Vec<RunRecord>, LedgerError> {
    let mut missing: std::collections::BTreeSet<(i64, String)> =
        wanted.iter().map(|(y, s)| (*y, s.to_string())).collect();
    let mut paths: Vec<String> = lake
        .list(layout::runs_dir())
        .await?
        .into_iter()
        .filter(|rel| rel.ends_with("/run.json"))
        .collect();
    paths.sort_unstable_by(|a, b| b.cmp(a));
    // The pairs whose newest skipped run, newer than their last success, was kept already.
    let mut skip_kept: std::collections::BTreeSet<(i64, String)> = Default::default();
    let mut out = Vec::new();
    for rel in paths {
        if missing.is_empty() {
            break;
        }
        if year_of_record(&rel).is_some_and(|y| !missing.iter().any(|(m, _)| *m == y)) {
            continue;
        }
        let Some(bytes) = read_or_skip(lake, &rel).await else {
            continue;
        };
        let Some(summary) = parse_or_skip::<RunSummary>(lake, &rel, &bytes) else {
            continue;
        };
        let (found, skipped): (Vec<_>, Vec<_>) = summary
            .stages
            .into_iter()
            .filter(|stage| matches!(stage.status, StageStatus::Ran | StageStatus::Skipped))
            .map(|stage| (stage.status, (summary.year, stage.name)))
            .filter(|(_, pair)| missing.contains(pair))
            .partition(|(status, _)| *status == StageStatus::Ran);
        let skipped: Vec<(i64, String)> = skipped
            .into_iter()
            .map(|(_, pair)| pair)
            .filter(|pair| !skip_kept.contains(pair))
            .collect();
        if found.is_empty() && skipped.is_empty() {
            continue;
        }
        // Found only once the whole record reads: one that does not is skipped, as the whole
        // ledger skips it, and an older record answers.
        if let Some(record) = parse_or_skip::<RunRecord>(lake, &rel, &bytes) {
            for (_, pair) in &found {
                missing.remove(pair);
            }
            skip_kept.extend(skipped);
            out.push(record);
        }
    }
    out.sort_by(|a, b| a.run_id.cmp(&b.run_id));
    Ok(out)
}

/// The year a run record's path names: `runs/<time>-<sequence>-<year>-<suffix>/run.json` (see
/// [`new_run_id`]); `None` for an id of another shape (its record is read to find out).
fn year_of_record(rel: &str) -> Option<i64> {
    let id = rel.strip_suffix("/run.json")?.rsplit('/').next()?;
    let parts: Vec<&str> = id.split('-').collect();
    match parts.as_slice() {
        [_, _, year, _] => year.parse().ok(),
        _ => None,
    }
}

/// What [`latest_successes`] reads of every record it looks at (the rest of the JSON, the large
/// details and checks, is skipped without being built).
#[derive(Deserialize)]
struct RunSummary {
    year: i64,
    stages: Vec<StageSummary>,
}

#[derive(Deserialize)]
struct StageSummary {
    name: String,
    status: StageStatus,
}

/// The newest record of `stage` for `year` that ran or was skipped as up to date, in run records
/// already read (oldest first): the last success, or a skipped run since, whose record carries the
/// success's details (the ingest's with its drop files' stats as found then).
pub(crate) fn last_ran_or_skipped_in(
    runs: &[RunRecord],
    year: i64,
    stage: &str,
) -> Option<StageRecord> {
    newest_in(runs, year, stage, |s| {
        matches!(s, StageStatus::Ran | StageStatus::Skipped)
    })
}

/// The latest successful execution of `stage` for `year` (a stage that ran, in any run) in run
/// records already read (oldest first), so a run reads the ledger once.
pub(crate) fn last_success_in(runs: &[RunRecord], year: i64, stage: &str) -> Option<StageRecord> {
    newest_in(runs, year, stage, |s| s == StageStatus::Ran)
}

/// The newest record of `stage` for `year` whose status `wanted` accepts, in `runs` (oldest first).
fn newest_in(
    runs: &[RunRecord],
    year: i64,
    stage: &str,
    wanted: impl Fn(StageStatus) -> bool,
) -> Option<StageRecord> {
    runs.iter()
        .rev()
        .filter(|r| r.year == year)
        .flat_map(|r| r.stages.iter())
        .find(|s| s.name == stage && wanted(s.status))
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
        use StageStatus::{Failed, Ran, Skipped};
        let lake = Store::open("memory://ledger-test/lake").unwrap();
        for r in [
            record(1, 2017, &[("ingest", Ran, "f1")]),
            record(2, 2017, &[("ingest", Failed, "f2")]),
            record(3, 2016, &[("ingest", Ran, "f3")]),
            record(4, 2017, &[("ingest", Skipped, "f1")]),
        ] {
            write(&lake, &r).await.unwrap();
        }
        let runs = all_runs(&lake).await.unwrap();
        let last = last_success_in(&runs, 2017, "ingest").unwrap();
        assert_eq!(last.fingerprint, "f1");
        assert!(last_success_in(&runs, 2015, "ingest").is_none());
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

    fn record(minute: u32, year: i64, stages: &[(&str, StageStatus, &str)]) -> RunRecord {
        RunRecord {
            run_id: format!("20261203T10{minute:02}00000Z-000000-{year}-ab12"),
            year,
            command: "run".into(),
            started: String::new(),
            finished: None,
            outcome: Outcome::Success,
            code_version: "t".into(),
            stages: stages.iter().map(|(n, st, fp)| stage(n, *st, fp)).collect(),
            error: None,
        }
    }

    #[tokio::test]
    async fn latest_successes_answers_what_the_whole_ledger_answers_from_the_records_it_needs() {
        use StageStatus::{Failed, Ran, Skipped};
        let lake = Store::open("memory://ledger-latest-test/lake").unwrap();
        let (i, t) = ("ingest", "transform");
        let runs = [
            record(1, 2015, &[(i, Ran, "i15")]),
            record(2, 2016, &[(i, Ran, "i16a")]),
            record(3, 2016, &[(i, Ran, "i16b")]),
            record(4, 2017, &[(i, Ran, "i17"), (t, Ran, "t17a")]),
            record(5, 2017, &[(i, Skipped, "i17"), (t, Failed, "x")]),
            record(6, 2014, &[(i, Ran, "i14")]),
            record(7, 2017, &[(i, Skipped, "i17"), (t, Ran, "t17b")]),
            record(8, 2017, &[(i, Failed, "y")]),
        ];
        for r in &runs {
            write(&lake, r).await.unwrap();
        }
        let wanted = [
            (2017, "ingest"),
            (2017, "transform"),
            (2017, "publish"),
            (2016, "ingest"),
            (2015, "ingest"),
        ];
        let latest = latest_successes(&lake, &wanted).await.unwrap();
        let all = all_runs(&lake).await.unwrap();
        let fingerprint = |runs: &[RunRecord], (y, s): (i64, &str)| {
            last_success_in(runs, y, s).map(|r| r.fingerprint)
        };
        for pair in wanted {
            assert_eq!(
                fingerprint(&latest, pair),
                fingerprint(&all, pair),
                "{pair:?}"
            );
        }
        // By hand: ingest 2017 ran last in minute 4, transform 2017 in minute 7, ingest 2016 in
        // minute 3 and ingest 2015 in minute 1; publish never ran.
        assert_eq!(
            fingerprint(&latest, (2017, "ingest")).as_deref(),
            Some("i17")
        );
        assert_eq!(
            fingerprint(&latest, (2017, "transform")).as_deref(),
            Some("t17b")
        );
        assert_eq!(
            fingerprint(&latest, (2016, "ingest")).as_deref(),
            Some("i16b")
        );
        assert_eq!(fingerprint(&latest, (2017, "publish")), None);
        // Only those four records are kept, oldest first (2014 is not wanted at all).
        let ids: Vec<&str> = latest.iter().map(|r| &r.run_id[11..13]).collect();
        assert_eq!(ids, ["01", "03", "04", "07"]);
    }

    /// The newest run skipped since a pair's last success is kept too (its record carries the
    /// ingest's drop file stats as found then); older skipped runs are not read whole.
    #[tokio::test]
    async fn the_newest_skipped_run_since_the_last_success_is_kept() {
        use StageStatus::{Ran, Skipped};
        let lake = Store::open("memory://ledger-skipped-test/lake").unwrap();
        let i = "ingest";
        let runs = [
            record(1, 2017, &[(i, Skipped, "old")]),
            record(2, 2017, &[(i, Ran, "i17")]),
            record(3, 2017, &[(i, Skipped, "i17")]),
            record(4, 2017, &[(i, Skipped, "i17")]),
        ];
        for r in &runs {
            write(&lake, r).await.unwrap();
        }
        let latest = latest_successes(&lake, &[(2017, i)]).await.unwrap();
        let ids: Vec<&str> = latest.iter().map(|r| &r.run_id[11..13]).collect();
        assert_eq!(ids, ["02", "04"]);
        let newest = last_ran_or_skipped_in(&latest, 2017, i).unwrap();
        assert_eq!(
            (newest.status, newest.fingerprint.as_str()),
            (Skipped, "i17")
        );
        assert_eq!(last_success_in(&latest, 2017, i).unwrap().status, Ran);
        // The same answers as the whole ledger's.
        let all = all_runs(&lake).await.unwrap();
        let newest_all = last_ran_or_skipped_in(&all, 2017, i).unwrap();
        assert_eq!(newest_all.status, Skipped);
        assert_eq!(
            all.iter()
                .rev()
                .find(|r| r.stages.iter().any(|s| s.status == Skipped))
                .map(|r| &r.run_id[11..13]),
            Some("04")
        );
    }

    #[tokio::test]
    async fn a_record_whose_id_names_a_year_not_wanted_is_not_read() {
        let lake = Store::open("memory://ledger-latest-year-test/lake").unwrap();
        // An id says 2015 while the record says 2017 (never written so: ids carry the run's
        // year): the whole ledger counts it for 2017, the run of 2017 does not read it.
        let mut odd = record(1, 2015, &[("ingest", StageStatus::Ran, "odd")]);
        odd.year = 2017;
        write(&lake, &odd).await.unwrap();
        let all = all_runs(&lake).await.unwrap();
        assert!(last_success_in(&all, 2017, "ingest").is_some());
        let latest = latest_successes(&lake, &[(2017, "ingest")]).await.unwrap();
        assert!(latest.is_empty());
        // An id of another shape is read to find its year.
        let mut other = odd.clone();
        other.run_id = "hand-made".into();
        write(&lake, &other).await.unwrap();
        let latest = latest_successes(&lake, &[(2017, "ingest")]).await.unwrap();
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].run_id, "hand-made");
    }

    #[tokio::test]
    async fn a_record_whose_stages_read_but_whose_whole_does_not_is_skipped_for_an_older_one() {
        let lake = Store::open("memory://ledger-latest-half-test/lake").unwrap();
        let good = record(1, 2017, &[("ingest", StageStatus::Ran, "good")]);
        write(&lake, &good).await.unwrap();
        let newer = record(2, 2017, &[("ingest", StageStatus::Ran, "newer")]);
        let mut json = serde_json::to_value(&newer).unwrap();
        json["stages"][0]["rows_in"] = serde_json::json!(-1);
        lake.put(
            &layout::run_record(&newer.run_id),
            serde_json::to_vec(&json).unwrap(),
        )
        .await
        .unwrap();
        let latest = latest_successes(&lake, &[(2017, "ingest")]).await.unwrap();
        let all = all_runs(&lake).await.unwrap();
        let fingerprint =
            |runs: &[RunRecord]| last_success_in(runs, 2017, "ingest").map(|r| r.fingerprint);
        assert_eq!(fingerprint(&all).as_deref(), Some("good"));
        assert_eq!(fingerprint(&latest).as_deref(), Some("good"));
    }

    #[tokio::test]
    async fn latest_successes_skips_an_unreadable_record_and_reads_on() {
        let lake = Store::open("memory://ledger-latest-unreadable-test/lake").unwrap();
        let good = record(1, 2017, &[("ingest", StageStatus::Ran, "good")]);
        write(&lake, &good).await.unwrap();
        let newer = record(2, 2017, &[]);
        lake.put(&layout::run_record(&newer.run_id), b"{ not json".to_vec())
            .await
            .unwrap();
        let latest = latest_successes(&lake, &[(2017, "ingest")]).await.unwrap();
        assert_eq!(
            last_success_in(&latest, 2017, "ingest")
                .map(|r| r.fingerprint)
                .as_deref(),
            Some("good")
        );
    }
}
