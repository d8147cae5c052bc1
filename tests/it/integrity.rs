//! Run integrity (issue 12): a release is exactly what its inputs say, or the run fails. Each test
//! reproduces one failure of the issue on the hand-written fixture drops: edited SQL is noticed,
//! a failed or interrupted stage never reaches later stages, one writer per year, the publish gate
//! before LATEST, only declared models, every input in the manifest, and the ledger's errors.

use super::fixtures::{self, write_drop};
use oj::commit::CommitError;
use oj::config::Project;
use oj::exit::ExitStatus;
use oj::ledger::StageStatus;
use oj::pipeline::{RunError, RunOptions, RunResult, Runner, Selection, StageError};
use oj::store::Store;
use oj::vocab::StageId;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

pub struct Lake {
    pub dir: tempfile::TempDir,
    pub drops: Store,
    pub lake: Store,
}

impl Lake {
    pub fn drops_path(&self) -> PathBuf {
        self.dir.path().join("drops")
    }

    pub fn lake_path(&self) -> PathBuf {
        self.dir.path().join("lake")
    }
}

pub fn lake_with_drops(years: &[i64]) -> Lake {
    let dir = tempfile::tempdir().unwrap();
    for y in years {
        write_drop(&dir.path().join("drops"), *y);
    }
    let drops = Store::open(dir.path().join("drops").to_str().unwrap()).unwrap();
    let lake = Store::open(dir.path().join("lake").to_str().unwrap()).unwrap();
    Lake { dir, drops, lake }
}

async fn run(project: &Project, l: &Lake, year: i64, selection: Selection) -> RunResult {
    fixtures::run(project, &l.drops, &l.lake, year, selection, false, false).await
}

async fn plan(project: &Project, l: &Lake, year: i64) -> RunResult {
    fixtures::run(
        project,
        &l.drops,
        &l.lake,
        year,
        Selection::All,
        false,
        true,
    )
    .await
}

/// 2015 and 2016 ingested (history), then all of 2017.
async fn published_2017(project: &Project, l: &Lake) {
    for y in [2015, 2016] {
        let r = run(project, l, y, Selection::Only(StageId::Ingest)).await;
        assert!(r.failure.is_none(), "{:?}", r.failure);
    }
    let r = run(project, l, 2017, Selection::All).await;
    assert!(r.failure.is_none(), "{:?}", r.failure);
}

fn status_of(r: &RunResult, stage: &str) -> (StageStatus, String) {
    let s = r.record.stages.iter().find(|s| s.name == stage).unwrap();
    (s.status, s.reason.clone())
}

async fn bytes(lake: &Store, relative: &str) -> Vec<u8> {
    lake.get(relative)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{relative} exists"))
        .to_vec()
}

async fn latest(lake: &Store, year: i64) -> Option<String> {
    lake.get(&oj::layout::latest_file(year))
        .await
        .unwrap()
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
}

/// The fixture population without kommun 0301: the ingest gate's `befolkning.every_kommun`
/// fails on it.
fn population_without_0301() -> String {
    fixtures::BEFOLKNING
        .lines()
        .filter(|l| !l.starts_with("0301;"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[tokio::test]
async fn edited_sql_is_noticed_and_reruns_transform_and_later_stages() {
    let copy = fixtures::copy_of_project();
    let project = oj::pipeline::load_project(copy.path()).unwrap();
    let l = lake_with_drops(&[2015, 2016, 2017]);
    published_2017(&project, &l).await;
    let before = plan(&project, &l, 2017).await;
    assert!(
        before
            .record
            .stages
            .iter()
            .all(|s| s.status == StageStatus::Skipped),
        "{:?}",
        before.record.stages
    );

    // A data engineer changes a model's definition.
    let model = copy.path().join("sql/int_barn.sql");
    let text = std::fs::read_to_string(&model).unwrap();
    std::fs::write(&model, format!("{text}\n-- definition fixed\n")).unwrap();
    let project = oj::pipeline::load_project(copy.path()).unwrap();

    let planned = plan(&project, &l, 2017).await;
    assert_eq!(status_of(&planned, "ingest").0, StageStatus::Skipped);
    let (status, reason) = status_of(&planned, "transform");
    assert_eq!(status, StageStatus::WouldRun);
    assert_eq!(reason, "inputs changed: sql/int_barn.sql");
    assert_eq!(status_of(&planned, "disclose").0, StageStatus::WouldRun);
    assert_eq!(status_of(&planned, "publish").0, StageStatus::WouldRun);

    let ran = run(&project, &l, 2017, Selection::All).await;
    assert!(ran.failure.is_none(), "{:?}", ran.failure);
    assert_eq!(status_of(&ran, "ingest").0, StageStatus::Skipped);
    for stage in ["transform", "disclose", "publish"] {
        assert_eq!(status_of(&ran, stage).0, StageStatus::Ran, "{stage}");
    }
    // The record keeps the fingerprint's parts: the model's text is one of them.
    let transform = ran
        .record
        .stages
        .iter()
        .find(|s| s.name == "transform")
        .unwrap();
    assert!(transform.inputs.contains_key("sql/int_barn.sql"));
    assert!(transform.inputs.contains_key("staging/register/ar=2015"));
    assert!(transform.inputs.contains_key(oj::fingerprint::PROGRAM));
}

#[tokio::test]
async fn a_failed_gate_keeps_the_committed_data_and_the_next_year_refuses() {
    let project = fixtures::project();
    let l = lake_with_drops(&[2015, 2016, 2017]);
    for y in [2015, 2016] {
        let r = run(&project, &l, y, Selection::Only(StageId::Ingest)).await;
        assert!(r.failure.is_none(), "{:?}", r.failure);
    }
    let committed = oj::layout::staging_file("befolkning", 2016);
    let good = bytes(&l.lake, &committed).await;

    // A bad 2016 population drop: the blocking gate fails.
    std::fs::write(
        l.drops_path().join("2016/befolkning.csv"),
        population_without_0301(),
    )
    .unwrap();
    let failed = run(&project, &l, 2016, Selection::Only(StageId::Ingest)).await;
    let Some(RunError::Gate { failed: checks, .. }) = &failed.failure else {
        panic!("{:?}", failed.failure)
    };
    assert!(checks.contains(&"befolkning.every_kommun".to_string()));
    // The committed 2016 data is exactly the good data, and nothing run-scoped is left.
    assert_eq!(bytes(&l.lake, &committed).await, good);
    assert!(
        l.lake
            .list(&oj::layout::pending_year_dir(2016))
            .await
            .unwrap()
            .is_empty()
    );

    // 2017 reads 2016 (history, previous year's population): refused, naming what and the fix.
    let next = run(&project, &l, 2017, Selection::All).await;
    let failure = next.failure.as_ref().expect("2017 is refused");
    assert!(
        matches!(
            failure,
            RunError::Commit(CommitError::UpstreamFailed { year: 2016, .. })
        ),
        "{failure:?}"
    );
    assert_eq!(failure.exit_status(), ExitStatus::DataQuality);
    let text = failure.to_string();
    assert!(text.contains("staging/befolkning"), "{text}");
    assert!(text.contains("befolkning.every_kommun"), "{text}");
    assert!(text.contains("oj run --year 2016"), "{text}");
    assert_eq!(status_of(&next, "ingest").0, StageStatus::Ran);
    assert_eq!(status_of(&next, "transform").0, StageStatus::Failed);
    assert_eq!(latest(&l.lake, 2017).await, None);
    // `plan` says the same instead of "up to date".
    let planned = plan(&project, &l, 2017).await;
    assert!(planned.failure.is_some());

    // Fixed drop: 2016 is re-ingested (its last attempt failed), then 2017 publishes.
    write_drop(&l.drops_path(), 2016);
    let fixed = run(&project, &l, 2016, Selection::Only(StageId::Ingest)).await;
    assert!(fixed.failure.is_none(), "{:?}", fixed.failure);
    let (status, reason) = status_of(&fixed, "ingest");
    assert_eq!(status, StageStatus::Ran);
    assert!(reason.contains("its last attempt failed"), "{reason}");
    let again = run(&project, &l, 2017, Selection::All).await;
    assert!(again.failure.is_none(), "{:?}", again.failure);
    assert_eq!(latest(&l.lake, 2017).await.as_deref(), Some("v001"));
}

/// Runs the built `oj` binary on the fixture lake; returns its exit status and stderr.
pub fn oj(l: &Lake, args: &[&str], crash_at: Option<&str>) -> (Option<i32>, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_oj"));
    cmd.arg("--project")
        .arg(fixtures::project_root())
        .args(args)
        .arg("--drops")
        .arg(l.drops_path())
        .arg("--lake")
        .arg(l.lake_path())
        .env("OJ_LOG", "info");
    match crash_at {
        Some(point) => cmd.env("OJ_CRASH_AT", point),
        None => cmd.env_remove("OJ_CRASH_AT"),
    };
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[tokio::test]
async fn a_crash_mid_stage_leaves_the_committed_data_intact() {
    let l = lake_with_drops(&[2016]);
    let (code, err) = oj(&l, &["run", "--year", "2016", "--stage", "ingest"], None);
    assert_eq!(code, Some(0), "{err}");
    let committed = oj::layout::staging_file("befolkning", 2016);
    let good = bytes(&l.lake, &committed).await;

    // A new (valid) population: 0301's men are 101, not 100. And a renamed stadsdel: every
    // contract refers to the regions, so all five datasets are read again and the commit has
    // five files to promote (a dataset whose drops are unchanged would keep its staged file).
    let changed = fixtures::BEFOLKNING.replace("0301;1;30;0;100", "0301;1;30;0;101");
    std::fs::write(l.drops_path().join("2016/befolkning.csv"), changed).unwrap();
    let renamed = fixtures::REGIONER.replace("Norr", "Norra");
    std::fs::write(l.drops_path().join("2016/regioner.csv"), renamed).unwrap();
    for point in ["ingest:written", "ingest:checked"] {
        let (code, err) = oj(
            &l,
            &["run", "--year", "2016", "--stage", "ingest"],
            Some(point),
        );
        // Killed (abort): no exit code.
        assert_eq!(code, None, "{point}: {err}");
        assert_eq!(bytes(&l.lake, &committed).await, good, "{point}");
    }
    // Killed between two promotions of one commit: the stage counts as failed, so the transform
    // refuses the partly committed data (exit 1) instead of reading it.
    let (code, err) = oj(
        &l,
        &["run", "--year", "2016", "--stage", "ingest"],
        Some("ingest:committing"),
    );
    assert_eq!(code, None, "{err}");
    let (code, err) = oj(&l, &["run", "--year", "2016", "--from", "transform"], None);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("its commit was interrupted"), "{err}");
    // That run broke the killed process's lease.
    assert!(err.contains("breaking the stale lease"), "{err}");
    // The next run re-ingests and commits the new data.
    let (code, err) = oj(&l, &["run", "--year", "2016", "--stage", "ingest"], None);
    assert_eq!(code, Some(0), "{err}");
    assert_ne!(bytes(&l.lake, &committed).await, good);
    // Abandoned run-scoped files were removed by that commit, and their folders with them: on a
    // local lake a renamed file leaves its folders, which every later run would list again.
    assert!(
        l.lake
            .list(&oj::layout::pending_year_dir(2016))
            .await
            .unwrap()
            .is_empty()
    );
    let pending = l
        .lake
        .local_file(&oj::layout::pending_year_dir(2016))
        .unwrap();
    assert!(!pending.exists(), "{} is left", pending.display());
}

fn runner<'a>(
    project: &'a Project,
    drops: &'a Store,
    lake: &'a Store,
    ctx: &'a datafusion::prelude::SessionContext,
    clock: &'a oj::clock::FixedClock,
) -> Runner<'a> {
    Runner {
        project,
        drops,
        lake,
        ctx,
        clock,
        lineage: None,
        stages: &oj::stages::ALL,
    }
}

fn options(year: i64, selection: Selection) -> RunOptions {
    RunOptions {
        year,
        selection,
        force: true,
        dry_run: false,
        command: "test".into(),
    }
}

/// Two runs of one year at once on `lake`: exactly one refuses with the holder named (exit 3);
/// the release LATEST names is complete and its files match its manifest.
async fn one_writer_per_year(drops: &Store, lake: &Store) {
    let project = fixtures::project();
    let clock = oj::clock::FixedClock(
        chrono::DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .to_utc(),
    );
    let session =
        || oj::session::build(&oj::session::SessionOptions::for_tests(), &[drops, lake]).unwrap();
    let (ctx_a, ctx_b) = (session(), session());
    let a = runner(&project, drops, lake, &ctx_a, &clock);
    let b = runner(&project, drops, lake, &ctx_b, &clock);
    let opts = options(2017, Selection::All);
    let (ra, rb) = tokio::join!(a.run(&opts), b.run(&opts));
    let (ok, refused) = match (ra, rb) {
        (Ok(r), Err(e)) | (Err(e), Ok(r)) => (r, e),
        (ra, rb) => panic!("expected one refusal: {ra:?} {rb:?}"),
    };
    assert!(ok.failure.is_none(), "{:?}", ok.failure);
    assert!(
        matches!(
            refused,
            RunError::Commit(CommitError::Leased { year: 2017, .. })
        ),
        "{refused:?}"
    );
    assert_eq!(refused.exit_status(), ExitStatus::Runtime);
    let text = refused.to_string();
    assert!(text.contains(&ok.record.run_id), "{text}");
    assert!(
        text.contains(&format!("pid {}", std::process::id())),
        "{text}"
    );
    assert!(text.contains("oj unlock --year 2017"), "{text}");
    // The lease is given back: a later run proceeds.
    let later = a.run(&options(2017, Selection::All)).await.unwrap();
    assert!(later.failure.is_none(), "{:?}", later.failure);
    // The current release is complete and matches its manifest, which lists only its files.
    let release = oj::publish::latest_release(lake, 2017)
        .await
        .unwrap()
        .unwrap();
    let folder = oj::layout::release_dir(2017, release.version);
    let mut listed: Vec<String> = release
        .manifest
        .files
        .iter()
        .map(|f| format!("{folder}/{}", f.name))
        .collect();
    listed.push(format!("{folder}/manifest.json"));
    listed.sort();
    assert_eq!(lake.list(&folder).await.unwrap(), listed);
    for f in &release.manifest.files {
        let got = bytes(lake, &format!("{folder}/{}", f.name)).await;
        assert_eq!(
            format!("{:x}", Sha256::digest(&got)),
            f.sha256,
            "{}",
            f.name
        );
    }
}

#[tokio::test]
async fn two_runs_of_one_year_on_a_local_lake_one_refuses() {
    let l = lake_with_drops(&[2015, 2016, 2017]);
    let project = fixtures::project();
    for y in [2015, 2016] {
        let r = run(&project, &l, y, Selection::Only(StageId::Ingest)).await;
        assert!(r.failure.is_none(), "{:?}", r.failure);
    }
    one_writer_per_year(&l.drops, &l.lake).await;
}

#[tokio::test]
async fn two_runs_of_one_year_on_an_object_store_one_refuses() {
    let l = lake_with_drops(&[2015, 2016, 2017]);
    let lake = Store::open("memory://integrity-one-writer/lake").unwrap();
    let project = fixtures::project();
    for y in [2015, 2016] {
        let r = fixtures::run(
            &project,
            &l.drops,
            &lake,
            y,
            Selection::Only(StageId::Ingest),
            false,
            false,
        )
        .await;
        assert!(r.failure.is_none(), "{:?}", r.failure);
    }
    one_writer_per_year(&l.drops, &lake).await;
}

#[tokio::test]
async fn runs_of_different_years_proceed_together() {
    let l = lake_with_drops(&[2016, 2017]);
    let project = fixtures::project();
    let clock = oj::clock::FixedClock(chrono::Utc::now());
    let session = || {
        oj::session::build(
            &oj::session::SessionOptions::for_tests(),
            &[&l.drops, &l.lake],
        )
        .unwrap()
    };
    let (ctx_a, ctx_b) = (session(), session());
    let a = runner(&project, &l.drops, &l.lake, &ctx_a, &clock);
    let b = runner(&project, &l.drops, &l.lake, &ctx_b, &clock);
    let (oa, ob) = (
        options(2016, Selection::Only(StageId::Ingest)),
        options(2017, Selection::Only(StageId::Ingest)),
    );
    let (ra, rb) = tokio::join!(a.run(&oa), b.run(&ob));
    assert!(ra.unwrap().failure.is_none());
    assert!(rb.unwrap().failure.is_none());
}

#[tokio::test]
async fn the_version_inside_the_report_is_the_claimed_folder() {
    let l = lake_with_drops(&[2015, 2016, 2017]);
    let project = fixtures::project();
    // Another publisher claimed v001 and died before writing a file.
    l.lake
        .put(&oj::layout::release_claim(2017, 1), b"claimed".to_vec())
        .await
        .unwrap();
    published_2017(&project, &l).await;
    assert_eq!(latest(&l.lake, 2017).await.as_deref(), Some("v002"));
    let html = bytes(&l.lake, "releases/2017/v002/rapport.html").await;
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("Utgåva v002"), "the report states its folder");
    assert!(!html.contains("Utgåva v001"));
    // The claim marker is not in the release folder.
    assert!(
        !l.lake
            .list("releases/2017/v002")
            .await
            .unwrap()
            .iter()
            .any(|f| f.ends_with("_claim"))
    );
}

#[tokio::test]
async fn a_failing_publish_check_leaves_latest_where_it_was() {
    let l = lake_with_drops(&[2015, 2016, 2017]);
    published_2017(&fixtures::project(), &l).await;
    assert_eq!(latest(&l.lake, 2017).await.as_deref(), Some("v001"));

    // A project whose publish gate has a blocking check the new release fails, and new data.
    let copy = fixtures::copy_of_project();
    let checks = copy.path().join("pipelines/checks.yaml");
    let text = std::fs::read_to_string(&checks).unwrap();
    let failing = "    - id: release.test_blocks\n      kind: row_count\n      table: indikatorer\n      max: 0\n      severity: error\n      description: fails on every release\n";
    let text = text.replacen(
        "    - id: release.unique\n",
        &format!("{failing}    - id: release.unique\n"),
        1,
    );
    std::fs::write(&checks, text).unwrap();
    let project = oj::pipeline::load_project(copy.path()).unwrap();
    let register = std::fs::read_to_string(l.drops_path().join("2017/register.tsv")).unwrap();
    std::fs::write(
        l.drops_path().join("2017/register.tsv"),
        register.replace("\t5000\t", "\t5100\t"),
    )
    .unwrap();

    let r = run(&project, &l, 2017, Selection::All).await;
    let Some(failure) = &r.failure else {
        panic!("the publish gate must fail")
    };
    assert!(
        matches!(failure, RunError::Gate { stage: StageId::Publish, failed } if failed == &vec!["release.test_blocks".to_string()]),
        "{failure:?}"
    );
    assert_eq!(failure.exit_status(), ExitStatus::DataQuality);
    // v002 was written and checked, but LATEST still names v001.
    assert!(
        l.lake
            .head("releases/2017/v002/manifest.json")
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(latest(&l.lake, 2017).await.as_deref(), Some("v001"));
}

#[tokio::test]
async fn a_deleted_models_old_warehouse_file_is_not_read() {
    let copy = fixtures::copy_of_project();
    // An extra model, and a transform check reading it (a table needs at least 1 row).
    std::fs::write(
        copy.path().join("sql/int_extra.sql"),
        "SELECT region FROM int_region\n",
    )
    .unwrap();
    let checks = copy.path().join("pipelines/checks.yaml");
    let text = std::fs::read_to_string(&checks)
        .unwrap()
        .replacen(
            "tables:\n",
            "tables:\n  - name: extra\n    warehouse: int_extra\n",
            1,
        )
        .replacen(
            "  transform:\n",
            "  transform:\n    - id: extra.rows\n      kind: row_count\n      table: extra\n      min: 1\n      severity: warn\n      description: the extra model has rows\n",
            1,
        );
    std::fs::write(&checks, text).unwrap();
    let project = oj::pipeline::load_project(copy.path()).unwrap();
    let l = lake_with_drops(&[2015, 2016, 2017]);
    published_2017(&project, &l).await;
    let stale = oj::layout::warehouse_file("int_extra", 2017);
    assert!(l.lake.head(&stale).await.unwrap().is_some());
    let check = |r: &RunResult| {
        r.record
            .stages
            .iter()
            .flat_map(|s| s.checks.iter())
            .find(|c| c["id"] == "extra.rows")
            .map(|c| c["status"].as_str().unwrap_or_default().to_string())
    };

    // The model is deleted: `oj validate` now refuses a check reading a model that does not
    // exist, so the check goes with it. Transform re-runs; the old file is retired, never read.
    std::fs::remove_file(copy.path().join("sql/int_extra.sql")).unwrap();
    std::fs::copy(
        fixtures::project_root().join("pipelines/checks.yaml"),
        copy.path().join("pipelines/checks.yaml"),
    )
    .unwrap();
    let project = oj::pipeline::load_project(copy.path()).unwrap();
    let r = run(&project, &l, 2017, Selection::All).await;
    assert!(r.failure.is_none(), "{:?}", r.failure);
    assert_eq!(check(&r), None);
    assert!(l.lake.head(&stale).await.unwrap().is_none());
}

/// Publish with its ledger lookups left undeclared: everything else is publish's own.
struct UndeclaredPublish;

impl oj::pipeline::Stage for UndeclaredPublish {
    fn id(&self) -> StageId {
        StageId::Publish
    }
    fn inputs<'a>(
        &'a self,
        cx: &'a oj::pipeline::StageContext<'a>,
    ) -> futures::future::BoxFuture<'a, Result<oj::pipeline::Inputs, StageError>> {
        oj::stages::ALL[3].inputs(cx)
    }
    fn outputs(&self, project: &Project, year: i64) -> Vec<String> {
        oj::stages::ALL[3].outputs(project, year)
    }
    fn run<'a>(
        &'a self,
        cx: &'a oj::pipeline::StageContext<'a>,
        inputs: oj::pipeline::Inputs,
        txn: &'a oj::commit::Txn<'a>,
    ) -> futures::future::BoxFuture<'a, Result<oj::pipeline::StageOutput, StageError>> {
        oj::stages::ALL[3].run(cx, inputs, txn)
    }
}

/// A stage that looks up a ledger record it did not declare in `ledger_reads` would silently find
/// nothing (the run reads only what is declared): a debug build (the tests) stops on it.
#[tokio::test]
#[should_panic(expected = "is not declared in Stage::ledger_reads")]
async fn an_undeclared_ledger_lookup_stops_a_debug_build() {
    let l = lake_with_drops(&[2015, 2016, 2017]);
    let project = fixtures::project();
    published_2017(&project, &l).await;
    assert_eq!(oj::stages::ALL[3].id(), StageId::Publish);
    let ctx = oj::session::build(
        &oj::session::SessionOptions::for_tests(),
        &[&l.drops, &l.lake],
    )
    .unwrap();
    let clock = oj::clock::FixedClock(
        chrono::DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .to_utc(),
    );
    let stages: [&dyn oj::pipeline::Stage; 4] = [
        oj::stages::ALL[0],
        oj::stages::ALL[1],
        oj::stages::ALL[2],
        &UndeclaredPublish,
    ];
    let runner = Runner {
        stages: &stages,
        ..runner(&project, &l.drops, &l.lake, &ctx, &clock)
    };
    let _ = runner
        .run(&options(2017, Selection::Only(StageId::Publish)))
        .await;
}

#[tokio::test]
async fn the_manifest_lists_the_history_years_inputs() {
    let l = lake_with_drops(&[2015, 2016, 2017]);
    let project = fixtures::project();
    published_2017(&project, &l).await;
    let release = oj::publish::latest_release(&l.lake, 2017)
        .await
        .unwrap()
        .unwrap();
    let inputs: std::collections::BTreeMap<String, String> = release
        .manifest
        .inputs
        .iter()
        .map(|f| (f.name.clone(), f.sha256.clone()))
        .collect();
    // The transform of 2017 reads register and regioner of 2015–2017 (the 3-year window),
    // befolkning of 2016 and 2017, bakgrund and enkat of 2017: every file with its SHA-256.
    let mut expected = std::collections::BTreeMap::new();
    for (file, years) in [
        ("register.tsv", vec![2015, 2016, 2017]),
        ("regioner.csv", vec![2015, 2016, 2017]),
        ("befolkning.csv", vec![2016, 2017]),
        ("bakgrund.csv", vec![2017]),
        ("enkat.csv", vec![2017]),
    ] {
        for y in years {
            let path = l.drops_path().join(format!("{y}/{file}"));
            let sha = format!("{:x}", Sha256::digest(std::fs::read(path).unwrap()));
            expected.insert(format!("{y}/{file}"), sha);
        }
    }
    assert_eq!(inputs, expected);
    // The committed dataset versions read, history years included.
    let datasets = &release.manifest.datasets;
    for key in [
        "staging/register/ar=2015",
        "staging/befolkning/ar=2016",
        "warehouse/rel_indikatorer/ar=2017",
    ] {
        assert!(datasets.contains_key(key), "{key}: {datasets:?}");
    }
}

#[tokio::test]
async fn the_stages_error_comes_first_when_the_run_record_cannot_be_written() {
    let l = lake_with_drops(&[2017]);
    // A drop that fails the ingest stage itself (a header that is not the contract's).
    std::fs::write(
        l.drops_path().join("2017/bakgrund.csv"),
        "fel;rubrik\n0301;1\n",
    )
    .unwrap();
    let project = fixtures::project();
    let clock = oj::clock::FixedClock(chrono::Utc::now());
    let ctx = oj::session::build(
        &oj::session::SessionOptions::for_tests(),
        &[&l.drops, &l.lake],
    )
    .unwrap();
    let r = runner(&project, &l.drops, &l.lake, &ctx, &clock);
    let runs = l.lake_path().join("runs");
    // As soon as the run has written its first record, its path becomes a folder: the final
    // record cannot be written.
    let watcher = async {
        loop {
            let found = std::fs::read_dir(&runs)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path().join("run.json"))
                .find(|p| p.is_file());
            if let Some(record) = found {
                std::fs::remove_file(&record).unwrap();
                std::fs::create_dir_all(record.join("blocked")).unwrap();
                return;
            }
            tokio::task::yield_now().await;
        }
    };
    let opts = options(2017, Selection::Only(StageId::Ingest));
    let (result, ()) = tokio::join!(r.run(&opts), watcher);
    let result = result.unwrap();
    let first = result.failure.as_ref().expect("the stage failed");
    assert!(
        matches!(
            first,
            RunError::Stage {
                source: StageError::Ingest(_),
                ..
            }
        ),
        "{first:?}"
    );
    assert!(first.to_string().contains("bakgrund.csv"), "{first}");
    assert_eq!(
        result.later_failures.len(),
        1,
        "{:?}",
        result.later_failures
    );
    assert!(
        matches!(result.later_failures[0], RunError::Ledger(_)),
        "{:?}",
        result.later_failures
    );
}

#[tokio::test]
async fn an_unreadable_run_record_is_skipped_with_a_warning() {
    let l = lake_with_drops(&[2016]);
    let broken = l.lake_path().join("runs/broken/run.json");
    std::fs::create_dir_all(broken.parent().unwrap()).unwrap();
    std::fs::write(&broken, "{ not a run").unwrap();
    let (code, err) = oj(&l, &["run", "--year", "2016", "--stage", "ingest"], None);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("skipping an unreadable run record"), "{err}");
    assert!(err.contains("runs/broken/run.json"), "{err}");
}

#[tokio::test]
async fn a_run_opens_no_record_of_another_year_nor_one_older_than_what_it_looks_up() {
    let l = lake_with_drops(&[2016]);
    let (code, err) = oj(&l, &["run", "--year", "2016", "--stage", "ingest"], None);
    assert_eq!(code, Some(0), "{err}");
    // Broken records a run would have to open to notice: one of 2010 (named so by its id) and
    // one of 2016 older than the ingest that succeeded.
    for id in [
        "20300101T000000000Z-000000-2010-0001",
        "20000101T000000000Z-000000-2016-0002",
    ] {
        let broken = l.lake_path().join(format!("runs/{id}/run.json"));
        std::fs::create_dir_all(broken.parent().unwrap()).unwrap();
        std::fs::write(&broken, "{ not a run").unwrap();
    }
    let (code, err) = oj(&l, &["run", "--year", "2016", "--stage", "ingest"], None);
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("unreadable run record"), "{err}");
    // The ingest was found up to date from the newer record.
    assert!(err.contains("up to date"), "{err}");
}

/// Every committed dataset file of the lake reads back as Parquet; returns how many there are.
async fn committed_files_read_back(lake: &Store) -> usize {
    let ctx = oj::session::build(&oj::session::SessionOptions::for_tests(), &[lake]).unwrap();
    let mut files = lake.list("staging").await.unwrap();
    files.extend(lake.list("warehouse").await.unwrap());
    files.retain(|f| f.ends_with("/data.parquet"));
    for f in &files {
        let df = oj::lake::read_files(&ctx, lake, std::slice::from_ref(f))
            .await
            .unwrap_or_else(|e| panic!("{f}: {e}"));
        df.count().await.unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    files.len()
}

/// LATEST of `year`, when present, names a complete release: the folder holds exactly the files
/// its manifest lists (and the manifest) and each matches its SHA-256. Returns the manifest's
/// input files.
async fn latest_is_complete(lake: &Store, year: i64) -> Option<Vec<oj::publish::FileHash>> {
    let release = oj::publish::latest_release(lake, year).await.unwrap()?;
    let folder = oj::layout::release_dir(year, release.version);
    let mut listed: Vec<String> = release
        .manifest
        .files
        .iter()
        .map(|f| format!("{folder}/{}", f.name))
        .collect();
    listed.push(format!("{folder}/manifest.json"));
    listed.sort();
    assert_eq!(lake.list(&folder).await.unwrap(), listed);
    for f in &release.manifest.files {
        let got = bytes(lake, &format!("{folder}/{}", f.name)).await;
        assert_eq!(
            format!("{:x}", Sha256::digest(&got)),
            f.sha256,
            "{}",
            f.name
        );
    }
    Some(release.manifest.inputs)
}

#[tokio::test]
async fn killed_runs_leave_a_consistent_lake_and_the_next_run_succeeds() {
    use rand::{Rng, SeedableRng};
    let l = lake_with_drops(&[2015, 2016, 2017]);
    for y in ["2015", "2016"] {
        let (code, err) = oj(&l, &["run", "--year", y, "--stage", "ingest"], None);
        assert_eq!(code, Some(0), "{err}");
    }
    let started = std::time::Instant::now();
    let (code, err) = oj(&l, &["run", "--year", "2017"], None);
    assert_eq!(code, Some(0), "{err}");
    // Kill points spread over one whole run.
    let full_run = started.elapsed().as_secs_f64() / 3.0;
    let points = [
        "ingest:written",
        "ingest:checked",
        "ingest:committing",
        "transform:written",
        "transform:committing",
        "disclose:written",
        "publish:written",
        "publish:checked",
    ];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
    let register = std::fs::read_to_string(l.drops_path().join("2017/register.tsv")).unwrap();
    for kill in 0..8 {
        // New data each time, so every run has something to commit.
        let amount = format!("\t{}\t", 5000 + kill + 1);
        let drop = register.replace("\t5000\t", &amount);
        std::fs::write(l.drops_path().join("2017/register.tsv"), &drop).unwrap();
        if kill % 2 == 0 {
            let point = points[rng.random_range(0..points.len())];
            let (code, err) = oj(&l, &["run", "--year", "2017"], Some(point));
            assert_eq!(code, None, "{point}: {err}");
        } else {
            let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_oj"))
                .arg("--project")
                .arg(fixtures::project_root())
                .args(["run", "--year", "2017", "--drops"])
                .arg(l.drops_path())
                .arg("--lake")
                .arg(l.lake_path())
                .env_remove("OJ_CRASH_AT")
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            let delay = rng.random_range(0.0..full_run.max(0.05));
            std::thread::sleep(std::time::Duration::from_secs_f64(delay));
            let _ = child.kill();
            child.wait().unwrap();
        }
        // After the kill: LATEST is a complete release and the committed data reads back.
        latest_is_complete(&l.lake, 2017).await.expect("LATEST");
        assert!(committed_files_read_back(&l.lake).await > 0);
        // The next run succeeds and publishes exactly this drop.
        let (code, err) = oj(&l, &["run", "--year", "2017"], None);
        assert_eq!(code, Some(0), "kill {kill}: {err}");
        let inputs = latest_is_complete(&l.lake, 2017).await.expect("LATEST");
        let sha = format!("{:x}", Sha256::digest(drop.as_bytes()));
        assert!(
            inputs
                .iter()
                .any(|f| f.name == "2017/register.tsv" && f.sha256 == sha),
            "kill {kill}: {inputs:?}"
        );
        assert!(
            l.lake
                .list(&oj::layout::pending_year_dir(2017))
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn a_lease_held_on_another_host_refuses_with_exit_3_until_unlocked() {
    let l = lake_with_drops(&[2016]);
    let holder = oj::commit::Holder {
        run_id: "20261201T000000000Z-000000-2016-beef".into(),
        host: "other-host".into(),
        pid: 4242,
        started: "2026-12-01T00:00:00+00:00".into(),
    };
    l.lake
        .put(
            &oj::layout::lease_file(2016),
            serde_json::to_vec(&holder).unwrap(),
        )
        .await
        .unwrap();
    let (code, err) = oj(&l, &["run", "--year", "2016", "--stage", "ingest"], None);
    assert_eq!(code, Some(3), "{err}");
    for part in [
        "run 20261201T000000000Z-000000-2016-beef on host other-host, pid 4242",
        "oj unlock --year 2016",
    ] {
        assert!(err.contains(part), "{part}: {err}");
    }
    // Nothing was written for the year.
    assert!(l.lake.list("staging").await.unwrap().is_empty());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oj"))
        .args(["unlock", "--year", "2016", "--lake"])
        .arg(l.lake_path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("other-host"));
    let (code, err) = oj(&l, &["run", "--year", "2016", "--stage", "ingest"], None);
    assert_eq!(code, Some(0), "{err}");
}
