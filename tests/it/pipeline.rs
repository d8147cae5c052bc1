//! The whole pipeline on the hand-written fixture drops: every stage runs, a release appears with
//! hand-computed values, a second run skips everything, and `--from` re-runs the tail.

use super::fixtures::{self, write_drop};
use oj::ledger::StageStatus;
use oj::pipeline::{RunResult, Selection};
use oj::store::Store;
use oj::vocab::StageId;
use sha2::Digest;

struct Lake {
    _dir: tempfile::TempDir,
    drops: Store,
    lake: Store,
}

fn lake_with_drops(years: &[i64]) -> Lake {
    let dir = tempfile::tempdir().unwrap();
    for y in years {
        write_drop(&dir.path().join("drops"), *y);
    }
    let drops = Store::open(dir.path().join("drops").to_str().unwrap()).unwrap();
    let lake = Store::open(dir.path().join("lake").to_str().unwrap()).unwrap();
    Lake {
        _dir: dir,
        drops,
        lake,
    }
}

async fn run(l: &Lake, year: i64, selection: Selection) -> RunResult {
    let project = fixtures::project();
    fixtures::run(&project, &l.drops, &l.lake, year, selection, false, false).await
}

/// Replaces every `from` in the file at `path` (which must hold one) by `to`.
fn replace_in(path: &std::path::Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no `{from}`", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

/// Each stage of a run's record with its status, in order.
fn stages_of(run: &RunResult) -> Vec<(&str, StageStatus)> {
    run.record
        .stages
        .iter()
        .map(|s| (s.name.as_str(), s.status))
        .collect()
}

/// The file `name` of the year's current release.
async fn latest_release_file(l: &Lake, year: i64, name: &str) -> Vec<u8> {
    let latest = l
        .lake
        .get(&oj::layout::latest_file(year))
        .await
        .unwrap()
        .expect("LATEST exists");
    let version = String::from_utf8(latest.to_vec()).unwrap();
    let path = format!(
        "{}/{}/{name}",
        oj::layout::releases_dir(year),
        version.trim()
    );
    let bytes = l.lake.get(&path).await.unwrap();
    bytes.unwrap_or_else(|| panic!("{path} exists")).to_vec()
}

/// The release's indikatorer.csv as rows of fields.
async fn release_rows(l: &Lake, year: i64) -> Vec<Vec<String>> {
    String::from_utf8(latest_release_file(l, year, "indikatorer.csv").await)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// The unrounded `varde` of the totalt cells of `ind_indikatorer` (before disclosure control),
/// by (indikator, region).
async fn warehouse_values(
    l: &Lake,
    year: i64,
) -> std::collections::HashMap<(&'static str, &'static str), f64> {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Float64Type;
    let ctx = oj::session::build(&oj::session::SessionOptions::for_tests(), &[&l.lake]).unwrap();
    let file = oj::layout::warehouse_file("ind_indikatorer", year);
    let batches = oj::lake::read_files(&ctx, &l.lake, &[file])
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let wanted: [(&'static str, &'static str); 4] = [
        ("reg_belopp_tkr", "00"),
        ("reg_belopp_per_invanare", "00"),
        ("reg_belopp_per_invanare", "0301"),
        ("reg_belopp_tkr", "0301"),
    ];
    let mut out = std::collections::HashMap::new();
    for b in &batches {
        let text = |n: &str| {
            datafusion::arrow::compute::cast(
                b.column_by_name(n).unwrap(),
                &datafusion::arrow::datatypes::DataType::Utf8,
            )
            .unwrap()
        };
        let (ind, region, grupp) = (text("indikator"), text("region"), text("grupp"));
        let varde = b.column_by_name("varde").unwrap();
        let varde = varde.as_primitive::<Float64Type>();
        for i in 0..b.num_rows() {
            let (ind, region) = (
                ind.as_string::<i32>().value(i),
                region.as_string::<i32>().value(i),
            );
            if grupp.as_string::<i32>().value(i) != "totalt" || !varde.is_valid(i) {
                continue;
            }
            if let Some(k) = wanted.iter().find(|w| w.0 == ind && w.1 == region) {
                out.insert(*k, varde.value(i));
            }
        }
    }
    out
}

fn cell<'a>(rows: &'a [Vec<String>], indikator: &str, region: &str, grupp: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r[1] == indikator && r[3] == region && r[5] == grupp)
        .unwrap_or_else(|| panic!("no cell {indikator} {region} {grupp}"))
}

#[tokio::test]
async fn the_whole_pipeline_publishes_hand_computed_values() {
    let (l, r) = lake_with_2017_run().await;
    assert!(
        r.record.stages.iter().all(|s| s.status == StageStatus::Ran),
        "{:?}",
        r.record.stages
    );

    let rows = release_rows(&l, 2017).await;
    assert_eq!(
        rows[0],
        [
            "ar",
            "indikator",
            "niva",
            "region",
            "regionnamn",
            "grupp",
            "varde",
            "taljare",
            "namnare",
            "status",
            "varde_foregaende_ar",
            "forandring"
        ]
    );
    // Paid in 2017: 12 × 5 000 (H1 in 0301) + 12 × 4 000 (H2 in 0302) = 108 000 kr = 108 tkr,
    // by two households: every amount cell has fewer than 5 households behind it, so the release
    // shows '..' (disclosure.amounts.min_contributors); the unrounded values are checked in the
    // warehouse.
    let tkr = cell(&rows, "reg_belopp_tkr", "00", "totalt");
    assert_eq!((tkr[6].as_str(), tkr[9].as_str()), ("", ".."));
    let warehouse = warehouse_values(&l, 2017).await;
    assert_eq!(warehouse[&("reg_belopp_tkr", "00")], 108.0);
    // Mean population of riket: (720 + 720) / 2 = 720 (0301: 220, 0302: 500 both years);
    // 108 000 / 720 = 150 kr per inhabitant.
    assert_eq!(warehouse[&("reg_belopp_per_invanare", "00")], 150.0);
    // 0301: 60 000 / 220 = 272.727…
    assert!((warehouse[&("reg_belopp_per_invanare", "0301")] - 60_000.0 / 220.0).abs() < 1e-9);
    let per_inv = cell(&rows, "reg_belopp_per_invanare", "0301", "totalt");
    assert_eq!((per_inv[6].as_str(), per_inv[9].as_str()), ("", ".."));
    // One household in 0301: numerator 1 is primary-suppressed, and carries no numbers.
    let hh = cell(&rows, "reg_hushall_antal", "0301", "totalt");
    assert_eq!(
        (hh[6].as_str(), hh[7].as_str(), hh[9].as_str()),
        ("", "", "..")
    );

    // The manifest lists the year's five drop files.
    let version = String::from_utf8(
        l.lake
            .get(&oj::layout::latest_file(2017))
            .await
            .unwrap()
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    let manifest = l
        .lake
        .get(&format!(
            "{}/{}/manifest.json",
            oj::layout::releases_dir(2017),
            version.trim()
        ))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8(manifest.to_vec()).unwrap();
    for file in [
        "2017/regioner.csv",
        "2017/befolkning.csv",
        "2017/register.tsv",
        "2017/bakgrund.csv",
        "2017/enkat.csv",
    ] {
        assert!(text.contains(file), "manifest lacks {file}");
    }
}

#[tokio::test]
async fn an_unchanged_year_skips_every_stage_and_from_reruns_the_tail() {
    let (l, _) = lake_with_2017_run().await;
    let released = release_rows(&l, 2017).await;
    let again = run(&l, 2017, Selection::All).await;
    assert!(again.failure.is_none());
    let statuses: Vec<StageStatus> = again.record.stages.iter().map(|s| s.status).collect();
    assert_eq!(statuses, [StageStatus::Skipped; 4]);

    // Re-ingesting a changed history year changes transform's inputs: transform and everything
    // after it re-run, ingest of 2017 stays skipped. Only the changed 2016 drop (an amount of
    // household H1, which no 2017 cell uses) is read again; the other four datasets keep their
    // staged files.
    std::fs::write(
        std::path::Path::new(&l.drops.display("2016/register.tsv")),
        fixtures::register(2016).replace("\t5000\t", "\t5001\t"),
    )
    .unwrap();
    let history = run(&l, 2016, Selection::Only(StageId::Ingest)).await;
    assert!(history.failure.is_none(), "{:?}", history.failure);
    assert_eq!(
        datasets_by(&history, false),
        ["register"],
        "{:?}",
        history.record.stages[0].details
    );
    let after = run(&l, 2017, Selection::All).await;
    assert!(after.failure.is_none(), "{:?}", after.failure);
    let statuses: Vec<StageStatus> = after.record.stages.iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        [
            StageStatus::Skipped,
            StageStatus::Ran,
            StageStatus::Ran,
            StageStatus::Ran
        ]
    );
    // Identical numbers for 2017 (a new release all the same: its manifest names the new drop).
    assert_eq!(release_rows(&l, 2017).await, released);
    // Every model reads the 2016 register directly or through another model (int_bortfall
    // reads it, and int_kommun, int_region, … read int_bortfall), except five survey models
    // that read only the survey, the population, the regions and the survey's configuration:
    // those are taken from the warehouse.
    assert_eq!(
        models_by(&after, true),
        [
            "int_enkat_medlemskap",
            "int_enkat_ogiltiga_svar",
            "int_enkat_poang",
            "int_enkat_respondenter",
            "stg_enkat_svar"
        ]
    );
}

/// The ids of the checks of the gate after stage `stage` (0 ingest … 3 publish) whose results
/// were taken from the stage's last successful run (`true`) or computed (`false`), sorted.
fn checks_by(run: &RunResult, stage: usize, reused: bool) -> Vec<String> {
    let mut ids: Vec<String> = run.record.stages[stage]
        .checks
        .iter()
        .filter(|c| c.get("reused").and_then(|r| r.as_bool()).unwrap_or(false) == reused)
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// The manifest of the year's current release.
async fn latest_manifest(l: &Lake, year: i64) -> serde_json::Value {
    serde_json::from_slice(&latest_release_file(l, year, "manifest.json").await).unwrap()
}

/// The datasets of the run's ingest stage that kept their staged file (`true`) or were read
/// again (`false`), in the pipeline's order.
fn datasets_by(run: &RunResult, reused: bool) -> Vec<String> {
    let ingest = &run.record.stages[0];
    assert_eq!(ingest.name, "ingest");
    ["regioner", "befolkning", "register", "bakgrund", "enkat"]
        .into_iter()
        .filter(|d| ingest.details[*d]["reused"] == reused)
        .map(str::to_string)
        .collect()
}

/// The survey of 2017 re-delivered with the same answers, 030201's dated a day later, written
/// over the drop file: its text.
fn redeliver_survey(drops: &Store) -> String {
    let enkat = fixtures::enkat(2017);
    assert!(enkat.contains("2017-03-05"));
    let enkat = enkat.replace("2017-03-05", "2017-03-06");
    std::fs::write(
        std::path::Path::new(&drops.display("2017/enkat.csv")),
        &enkat,
    )
    .unwrap();
    enkat
}

/// The models that read the survey, directly or through another, sorted: the two that read it
/// and every model that reads them (the other 18 models read no survey).
const SURVEY_MODELS: [&str; 8] = [
    "ind_enkat",
    "ind_indikatorer",
    "int_enkat_hushall",
    "int_enkat_medlemskap",
    "int_enkat_ogiltiga_svar",
    "int_enkat_poang",
    "int_enkat_respondenter",
    "stg_enkat_svar",
];

/// After a re-delivered survey, the ingest gate runs again only the checks that read the survey;
/// the other 17 read unchanged staged files and keep their earlier results.
fn assert_only_the_survey_checks_ran(run: &RunResult) {
    assert_eq!(
        checks_by(run, 0, false),
        [
            "contract.enkat.required",
            "contract.enkat.unique_respondent",
            "enkat.response_rate"
        ]
    );
    assert_eq!(checks_by(run, 0, true).len(), 17);
}

#[tokio::test]
async fn a_redelivered_survey_is_read_again_alone_and_only_its_models_run() {
    let (l, _) = lake_with_2017_run().await;
    let released = release_rows(&l, 2017).await;
    let enkat = redeliver_survey(&l.drops);
    let again = run(&l, 2017, Selection::All).await;
    assert!(again.failure.is_none(), "{:?}", again.failure);
    assert_eq!(datasets_by(&again, false), ["enkat"]);
    assert_eq!(
        datasets_by(&again, true),
        ["regioner", "befolkning", "register", "bakgrund"]
    );
    assert_only_the_survey_checks_ran(&again);
    // The two models that read the survey, and every model that reads them; the other 18 are
    // taken from the warehouse.
    assert_eq!(models_by(&again, false), SURVEY_MODELS);
    assert_eq!(release_rows(&l, 2017).await, released);
    // The new release's manifest names the survey as delivered now, the kept datasets as before.
    let manifest = latest_manifest(&l, 2017).await;
    let sha = |name: &str| {
        manifest["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name)
            .map(|i| i["sha256"].as_str().unwrap().to_string())
    };
    let hex = |text: String| format!("{:x}", sha2::Sha256::digest(text.as_bytes()));
    assert_eq!(sha("2017/enkat.csv"), Some(hex(enkat)));
    assert_eq!(
        sha("2017/register.tsv"),
        Some(hex(fixtures::register(2017)))
    );

    // The regions are read by every contract (each refers to them): all five are read again.
    std::fs::write(
        std::path::Path::new(&l.drops.display("2017/regioner.csv")),
        fixtures::REGIONER.replace("Norr", "Norra"),
    )
    .unwrap();
    let regions = run(&l, 2017, Selection::Only(StageId::Ingest)).await;
    assert!(regions.failure.is_none(), "{:?}", regions.failure);
    assert!(datasets_by(&regions, true).is_empty());
}

/// The models of the run's transform stage that were reused (`true`) or computed (`false`),
/// sorted.
fn models_by(run: &RunResult, reused: bool) -> Vec<String> {
    let transform = &run.record.stages[1];
    assert_eq!(transform.name, "transform");
    let mut names: Vec<String> = transform.details["models"]
        .as_array()
        .expect("the transform's models")
        .iter()
        .filter(|m| m["reused"] == reused)
        .map(|m| m["model"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// Ingests the history years 2015 and 2016.
async fn ingest_history(l: &Lake) {
    for y in [2015, 2016] {
        let ingested = run(l, y, Selection::Only(StageId::Ingest)).await;
        assert!(ingested.failure.is_none(), "{:?}", ingested.failure);
    }
}

/// A lake where 2015 and 2016 are ingested and 2017 has run whole: the run.
async fn lake_with_2017_run() -> (Lake, RunResult) {
    let l = lake_with_drops(&[2015, 2016, 2017]);
    ingest_history(&l).await;
    let first = run(&l, 2017, Selection::All).await;
    assert!(first.failure.is_none(), "{:?}", first.failure);
    (l, first)
}

/// Runs 2017 (not forced, or `force`) with the project whose `sql/<model>.sql` has one more
/// comment line: a change of that model's text only.
async fn run_with_edited(l: &Lake, model: &str, force: bool) -> RunResult {
    run_edited(l, model, force, false).await
}

/// [`run_with_edited`], as a dry run when `dry_run`.
async fn run_edited(l: &Lake, model: &str, force: bool, dry_run: bool) -> RunResult {
    let dir = fixtures::copy_of_project();
    let file = dir.path().join(format!("sql/{model}.sql"));
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{text}\n-- edited\n")).unwrap();
    let edited = oj::pipeline::load_project(dir.path()).unwrap();
    let result = fixtures::run(
        &edited,
        &l.drops,
        &l.lake,
        2017,
        Selection::All,
        force,
        dry_run,
    )
    .await;
    assert!(result.failure.is_none(), "{:?}", result.failure);
    result
}

/// What a dry run's stage `stage` (0 ingest, 1 transform) planned to keep (`true`) or compute
/// (`false`), sorted.
fn planned(plan: &RunResult, stage: usize, kept: bool) -> Vec<String> {
    planned_in(plan, stage, if kept { "kept" } else { "computed" })
}

/// The checks of the gate after stage `stage` whose results the plan would keep (`true`) or run.
fn planned_checks(plan: &RunResult, stage: usize, kept: bool) -> Vec<String> {
    planned_in(plan, stage, if kept { "checks_kept" } else { "checks_run" })
}

fn planned_in(plan: &RunResult, stage: usize, field: &str) -> Vec<String> {
    let rec = &plan.record.stages[stage];
    assert_eq!(rec.status, StageStatus::WouldRun, "{}", rec.name);
    let mut names: Vec<String> = rec.details[field]
        .as_array()
        .unwrap_or_else(|| panic!("{} has no plan: {}", rec.name, rec.details))
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// On an object store, where a commit copies each file (a new version), a re-run still keeps the
/// results of the checks whose tables it kept: a table written or kept by the stage is known by
/// the key of its part (dataset, model), not by the version of its file.
#[tokio::test]
async fn on_an_object_store_a_rerun_keeps_the_results_of_checks_on_kept_tables() {
    let l = lake_with_drops(&[2015, 2016, 2017]);
    let lake = Store::open("memory://pipeline-gate-reuse/lake").unwrap();
    let project = fixtures::project();
    let go =
        |year, selection| fixtures::run(&project, &l.drops, &lake, year, selection, false, false);
    for y in [2015, 2016] {
        let r = go(y, Selection::Only(StageId::Ingest)).await;
        assert!(r.failure.is_none(), "{:?}", r.failure);
    }
    let first = go(2017, Selection::All).await;
    assert!(first.failure.is_none(), "{:?}", first.failure);
    redeliver_survey(&l.drops);
    let again = go(2017, Selection::All).await;
    assert!(again.failure.is_none(), "{:?}", again.failure);
    assert_eq!(datasets_by(&again, false), ["enkat"]);
    // As on a local disk (a_redelivered_survey_is_read_again_alone_and_only_its_models_run).
    assert_only_the_survey_checks_ran(&again);
    // The transform's checks of the kept ind_register and ind_bakgrund are kept too.
    let transform_kept = checks_by(&again, 1, true);
    assert!(
        transform_kept.contains(&"ind_register.unique".to_string()),
        "{transform_kept:?}"
    );
    assert!(!transform_kept.iter().any(|c| c.starts_with("ind_enkat.")));
}

/// Two releases of a year with the same table (the second after a survey re-delivered with a
/// later date only) are read once by disclosure control, as the first.
#[tokio::test]
async fn disclosure_reads_a_table_two_releases_published_once() {
    let (l, _) = lake_with_2017_run().await;
    redeliver_survey(&l.drops);
    let again = run(&l, 2017, Selection::All).await;
    assert!(again.failure.is_none(), "{:?}", again.failure);
    assert_eq!(
        again.record.stages[3].details["release"],
        "releases/2017/v002"
    );
    let manifest_of = |v: &str| {
        let bytes =
            std::fs::read(l.lake.display(&format!("releases/2017/{v}/manifest.json"))).unwrap();
        let m: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        m["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "indikatorer.parquet")
            .unwrap()["sha256"]
            .clone()
    };
    assert_eq!(manifest_of("v001"), manifest_of("v002"));
    let project = fixtures::project();
    let ctx = oj::session::build(&oj::session::SessionOptions::for_tests(), &[&l.lake]).unwrap();
    let loaded = oj::stages::disclose::load(&ctx, &l.lake, &project, 2017)
        .await
        .unwrap();
    let versions: Vec<u32> = loaded.earlier.iter().map(|(v, _)| *v).collect();
    assert_eq!(versions, [1]);
    let rows: usize = loaded.earlier[0].1.iter().map(|b| b.num_rows()).sum();
    // The release's CSV: a header and a line per row.
    assert_eq!(rows, release_rows(&l, 2017).await.len() - 1);
}

#[tokio::test]
async fn a_run_records_the_stat_of_its_stable_drop_files() {
    let l = lake_with_drops(&[2017]);
    let folder = std::path::PathBuf::from(l.drops.display("2017"));
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for entry in std::fs::read_dir(&folder).unwrap() {
        std::fs::File::options()
            .write(true)
            .open(entry.unwrap().path())
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
    }
    let stat = |r: &RunResult, dataset: &str| {
        r.record.stages[0].details[dataset]["files"][0]["stat"]
            .as_str()
            .map(str::to_string)
    };
    let first = run(&l, 2017, Selection::Only(StageId::Ingest)).await;
    assert!(first.failure.is_none(), "{:?}", first.failure);
    let register = stat(&first, "register").expect("the register's stat");
    assert!(stat(&first, "enkat").is_some());
    // A survey delivered just now is read, and its stat is not recorded (it may still change
    // within its modification time); the kept register keeps its stat.
    redeliver_survey(&l.drops);
    let again = run(&l, 2017, Selection::Only(StageId::Ingest)).await;
    assert!(again.failure.is_none(), "{:?}", again.failure);
    assert_eq!(datasets_by(&again, false), ["enkat"]);
    assert_eq!(stat(&again, "register"), Some(register));
    assert_eq!(stat(&again, "enkat"), None);
}

#[tokio::test]
async fn a_plan_names_what_a_rerun_would_keep_and_compute() {
    let (l, _) = lake_with_2017_run().await;
    let project = fixtures::project();
    let plan = |force| {
        fixtures::run(
            &project,
            &l.drops,
            &l.lake,
            2017,
            Selection::All,
            force,
            true,
        )
    };

    // A re-delivered survey: the plan sees that ingest would read the survey alone, so that
    // the survey's staged file changes and exactly its eight models would be computed.
    redeliver_survey(&l.drops);
    let survey = plan(false).await;
    assert!(survey.failure.is_none(), "{:?}", survey.failure);
    assert_eq!(planned(&survey, 0, false), ["enkat"]);
    assert_eq!(
        planned(&survey, 0, true),
        ["bakgrund", "befolkning", "regioner", "register"]
    );
    assert_eq!(planned(&survey, 1, false), SURVEY_MODELS);
    assert_eq!(planned(&survey, 1, true).len(), 18);
    // The gates: the ingest's would run only the three survey checks; the transform's would run
    // the checks of the survey's indicators and the two drift checks (no release of 2016: they
    // skip, and a skipped result is never kept).
    assert_eq!(
        planned_checks(&survey, 0, false),
        [
            "contract.enkat.required",
            "contract.enkat.unique_respondent",
            "enkat.response_rate"
        ]
    );
    assert_eq!(planned_checks(&survey, 0, true).len(), 17);
    let transform_checks = [
        "ind_bakgrund.drift",
        "ind_enkat.numerator_le_denominator",
        "ind_enkat.share_0_100",
        "ind_enkat.unique",
        "ind_register.drift",
    ];
    assert_eq!(planned_checks(&survey, 1, false), transform_checks);
    assert_eq!(planned_checks(&survey, 1, true).len(), 11);
    // Under --force the plan keeps nothing.
    let forced = plan(true).await;
    assert!(planned(&forced, 0, true).is_empty());
    assert_eq!(planned(&forced, 0, false).len(), 5);
    assert!(planned(&forced, 1, true).is_empty());
    assert_eq!(planned(&forced, 1, false).len(), 26);
    assert!(planned_checks(&forced, 0, true).is_empty());
    assert!(planned_checks(&forced, 1, true).is_empty());

    // The run does what the plan said.
    let ran = run(&l, 2017, Selection::All).await;
    assert!(ran.failure.is_none(), "{:?}", ran.failure);
    assert_eq!(datasets_by(&ran, false), ["enkat"]);
    assert_eq!(models_by(&ran, false), SURVEY_MODELS);
    assert_only_the_survey_checks_ran(&ran);
    assert_eq!(checks_by(&ran, 1, false), transform_checks);
    assert_eq!(checks_by(&ran, 1, true), planned_checks(&survey, 1, true));

    // An edited model with unchanged drops: ingest is up to date, the transform would compute
    // the model and its one reader.
    let edited = run_edited(&l, "ind_register", false, true).await;
    assert_eq!(edited.record.stages[0].status, StageStatus::Skipped);
    assert_eq!(
        planned(&edited, 1, false),
        ["ind_indikatorer", "ind_register"]
    );
    assert_eq!(planned(&edited, 1, true).len(), 24);
    // Nothing was written: the same edit, run, computes the same two models.
    let after = run_with_edited(&l, "ind_register", false).await;
    assert_eq!(
        models_by(&after, false),
        ["ind_indikatorer", "ind_register"]
    );
}

/// A dry run whose preview of a gate cannot read the lake fails that stage, as a run would: the
/// stage is in the record as failed, with the store's error naming the file, and the plan stops
/// there (it used to return the error without any record of the stages planned so far).
#[tokio::test]
async fn a_plan_whose_gate_preview_cannot_read_the_lake_records_the_failed_stage() {
    let (l, _) = lake_with_2017_run().await;
    // The transform gate's drift checks read the 2016 release through releases/2016/LATEST;
    // a link to itself cannot be opened (ELOOP), an error and not a missing file.
    let latest = l.lake.display(&oj::layout::latest_file(2016));
    std::fs::create_dir_all(std::path::Path::new(&latest).parent().unwrap()).unwrap();
    std::os::unix::fs::symlink("LATEST", &latest).unwrap();
    let project = fixtures::project();
    let plan = fixtures::run(
        &project,
        &l.drops,
        &l.lake,
        2017,
        Selection::All,
        true,
        true,
    )
    .await;
    let failure = plan.failure.as_ref().expect("the plan fails").to_string();
    assert!(failure.contains("releases/2016/LATEST"), "{failure}");
    assert_eq!(
        stages_of(&plan),
        [
            ("ingest", StageStatus::WouldRun),
            ("transform", StageStatus::Failed)
        ]
    );
    assert_eq!(plan.record.error.as_deref(), Some(failure.as_str()));
}

/// The transform stage adds up the bytes of every staged file its models read (the window's
/// register and regions, two years of population, the year's other datasets) and hands them to
/// the model tables' budget: files this small take far less than an eighth of the test session's
/// 1 GiB, so model tables may hold half of it (a quarter when the bytes are not passed on). The
/// run record also says how each source's years were read.
#[tokio::test]
async fn the_transform_budgets_model_tables_by_the_bytes_of_the_staged_files_it_reads() {
    let (l, first) = lake_with_2017_run().await;
    let project = fixtures::project();
    let mut files = 0u64;
    for (dataset, year) in oj::stages::transform::staged_inputs(&project, 2017) {
        let path = l.lake.display(&oj::layout::staging_file(dataset, year));
        files += std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .len();
    }
    // Every staged dataset of the window: 2015 – 2017 of register and regioner (six files),
    // 2016 and 2017 of befolkning, 2017 of bakgrund and enkat.
    assert_eq!(
        oj::stages::transform::staged_inputs(&project, 2017).len(),
        10
    );
    let budget = &first.record.stages[1].details["model_tables"];
    assert_eq!(budget["source_bytes"], files, "{budget}");
    assert!(files > 0 && files < (1 << 30) / 8);
    assert_eq!(budget["budget_bytes"], 1u64 << 29, "{budget}");
    // run.json says how each source was read: the register's three small yearly files (one row
    // group each, so no year in parts) one year per partition, all three grouped at once (more
    // files than the test session's two target partitions, a tiny share of its 1 GiB); the two
    // population years no more than the target partitions, so split in byte ranges.
    let sources = &first.record.stages[1].details["sources"];
    let register = &sources["register"];
    assert_eq!(
        register["years"],
        serde_json::json!([2015, 2016, 2017]),
        "{sources}"
    );
    assert_eq!(register["missing"], serde_json::json!([]), "{sources}");
    assert_eq!(register["partitions"], 3, "{sources}");
    assert_eq!(register["at_once"], 3, "{sources}");
    assert_eq!(
        sources["befolkning"]["years"],
        serde_json::json!([2016, 2017])
    );
    assert!(sources["befolkning"]["partitions"].is_null(), "{sources}");
    let bytes: u64 = sources
        .as_object()
        .unwrap()
        .values()
        .map(|s| s["bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(bytes, files, "{sources}");
}

/// A register contract edited to accept person ids that `int_person_plats` cannot number
/// (upper-case hex) without the model: the ingest stages the ids, and the transform stops naming
/// the function and the first such id; nothing of the transform is committed.
#[tokio::test]
async fn person_ids_the_model_cannot_number_stop_the_transform_naming_the_id() {
    let dir = fixtures::copy_of_project();
    replace_in(
        &dir.path().join("data-contracts/register.yaml"),
        "pattern: '^[0-9a-f]{16}$'",
        "pattern: '^[0-9a-fA-F]{16}$'",
    );
    let project = oj::pipeline::load_project(dir.path()).unwrap();
    let l = lake_with_drops(&[2015, 2016, 2017]);
    replace_in(
        std::path::Path::new(&l.drops.display("2017/register.tsv")),
        "00000000000000b2",
        "00000000000000B2",
    );
    let go =
        |year, selection| fixtures::run(&project, &l.drops, &l.lake, year, selection, false, false);
    for y in [2015, 2016] {
        let r = go(y, Selection::Only(StageId::Ingest)).await;
        assert!(r.failure.is_none(), "{:?}", r.failure);
    }
    let run = go(2017, Selection::All).await;
    let failure = run
        .failure
        .as_ref()
        .expect("the transform fails")
        .to_string();
    assert!(
        failure
            .contains("oj_pnr_number: person id `00000000000000B2` is not 16 lowercase hex digits"),
        "{failure}"
    );
    assert!(failure.contains("int_person_plats"), "{failure}");
    assert_eq!(
        stages_of(&run),
        [
            ("ingest", StageStatus::Ran),
            ("transform", StageStatus::Failed)
        ]
    );
    // The staged register holds the id as delivered; the warehouse has nothing of 2017.
    assert!(
        l.lake
            .head(&oj::layout::staging_file("register", 2017))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        l.lake
            .head(&oj::layout::warehouse_file("ind_indikatorer", 2017))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_changed_model_recomputes_itself_and_its_readers_and_reuses_the_rest() {
    let (l, first) = lake_with_2017_run().await;
    assert!(models_by(&first, true).is_empty());
    let released = release_rows(&l, 2017).await;

    // A changed definition of ind_register (here only its text): ind_register and its one
    // reader, ind_indikatorer, run again; the 24 other models are taken from the warehouse.
    let again = run_with_edited(&l, "ind_register", false).await;
    assert_eq!(again.record.stages[0].status, StageStatus::Skipped);
    assert_eq!(again.record.stages[1].status, StageStatus::Ran);
    assert_eq!(
        models_by(&again, false),
        ["ind_indikatorer", "ind_register"]
    );
    assert_eq!(models_by(&again, true).len(), 24);
    // The reused tables are the committed ones: the numbers are the same.
    assert_eq!(again.record.stages[3].details["unchanged"], true);
    assert_eq!(release_rows(&l, 2017).await, released);

    // Of the transform gate, the checks of the recomputed ind_register run again, and the
    // drift checks, skipped for want of a 2016 release (a skip is never taken over); the checks
    // of ind_bakgrund and ind_enkat keep their results.
    assert_eq!(
        checks_by(&again, 1, false),
        [
            "ind_bakgrund.drift",
            "ind_register.drift",
            "ind_register.every_region_once",
            "ind_register.numerator_le_denominator",
            "ind_register.riket_recipients_bounds",
            "ind_register.share_0_100",
            "ind_register.status",
            "ind_register.unique",
            "ind_register.value_iff_computed"
        ]
    );
    assert_eq!(checks_by(&again, 1, true).len(), 7);

    // --force computes every model again, and runs every check.
    let forced = run_with_edited(&l, "ind_register", true).await;
    assert!(models_by(&forced, true).is_empty());
    for stage in 0..4 {
        assert!(checks_by(&forced, stage, true).is_empty(), "stage {stage}");
    }
    assert_eq!(models_by(&forced, false).len(), 26);
    assert_eq!(release_rows(&l, 2017).await, released);
}

#[tokio::test]
async fn a_model_whose_committed_table_is_gone_is_computed_again() {
    let (l, _) = lake_with_2017_run().await;
    std::fs::remove_file(
        l.lake
            .display(&oj::layout::warehouse_file("int_person_plats", 2017)),
    )
    .unwrap();
    // The stage's own output (ind_indikatorer) is there, so only a changed input re-runs it:
    // here the text of an unrelated model.
    let again = run_with_edited(&l, "ind_bakgrund", false).await;
    assert_eq!(
        models_by(&again, false),
        ["ind_bakgrund", "ind_indikatorer", "int_person_plats"]
    );
    assert!(
        l.lake
            .head(&oj::layout::warehouse_file("int_person_plats", 2017))
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn missing_history_fails_transform_with_exit_1() {
    let l = lake_with_drops(&[2017]);
    let r = run(&l, 2017, Selection::All).await;
    let e = r.failure.expect("the run fails without history");
    assert_eq!(e.exit_status(), oj::exit::ExitStatus::DataQuality);
    let msg = e.to_string();
    assert!(msg.contains("2015") && msg.contains("2016"), "{msg}");
    assert_eq!(r.record.stages[1].status, StageStatus::Failed);
    // Nothing after the failed stage ran.
    assert_eq!(r.record.stages.len(), 2);
}

#[tokio::test]
async fn a_bortfall_kommun_is_marked_and_listed_in_the_manifest() {
    let l = lake_with_drops(&[2015, 2016, 2017]);
    // 0302 sends no row for December 2017: it is bortfall for 2017 (domain.md).
    let path = std::path::PathBuf::from(l.drops.display("2017/register.tsv"));
    let text: String = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with("2017\t12\t0302\t"))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(&path, text).unwrap();
    ingest_history(&l).await;
    let r = run(&l, 2017, Selection::All).await;
    assert!(r.failure.is_none(), "{:?}", r.failure);
    let rows = release_rows(&l, 2017).await;
    // The kommun, its län and its stadsdel are missing ("-"); 0301 is still published.
    assert_eq!(cell(&rows, "reg_belopp_tkr", "0302", "totalt")[9], "-");
    assert_eq!(cell(&rows, "reg_belopp_tkr", "03", "totalt")[9], "-");
    assert_eq!(cell(&rows, "reg_belopp_tkr", "030201", "totalt")[9], "-");
    // Riket counts reporting kommuner only: 0301's 12 × 5 000 kr = 60 tkr (one household: '..'
    // in the release, the value in the warehouse).
    assert_eq!(cell(&rows, "reg_belopp_tkr", "00", "totalt")[9], "..");
    assert_eq!(
        warehouse_values(&l, 2017).await[&("reg_belopp_tkr", "00")],
        60.0
    );
    let version = String::from_utf8(
        l.lake
            .get(&oj::layout::latest_file(2017))
            .await
            .unwrap()
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(
        &l.lake
            .get(&format!(
                "{}/{}/manifest.json",
                oj::layout::releases_dir(2017),
                version.trim()
            ))
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["excluded_kommuner"], serde_json::json!(["0302"]));
}

#[tokio::test]
async fn after_a_failed_transform_every_model_is_computed_again() {
    let (l, _) = lake_with_2017_run().await;
    // As a commit interrupted halfway leaves it: some tables may be of the failed attempt.
    oj::commit::mark_failed(&l.lake, "transform", 2017, "crashed", "killed mid-commit")
        .await
        .unwrap();
    let again = run(&l, 2017, Selection::All).await;
    assert!(again.failure.is_none(), "{:?}", again.failure);
    assert_eq!(again.record.stages[1].status, StageStatus::Ran);
    assert!(models_by(&again, true).is_empty());
    assert_eq!(models_by(&again, false).len(), 26);
}
