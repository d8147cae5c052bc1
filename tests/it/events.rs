//! Structured progress events (`oj::events`): the same run logged as JSON carries every progress
//! line as an object with stable fields, and the human format prints the lines as before.

use super::fixtures::{self, project_root};
use std::process::Command;

/// Runs the `oj` binary with `args`; returns (exit code, stderr).
fn oj(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_oj"))
        .arg("--project")
        .arg(project_root())
        .args(args)
        .env_remove("OJ_LOG")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// `oj --log-format json run --year 2017 --stage ingest` over `drops` into `lake`.
fn ingest_json(drops: &std::path::Path, lake: &std::path::Path) -> (i32, String) {
    oj(&[
        "--log-format",
        "json",
        "run",
        "--year",
        "2017",
        "--drops",
        drops.to_str().unwrap(),
        "--lake",
        lake.to_str().unwrap(),
        "--stage",
        "ingest",
    ])
}

/// Data rows of a CSV/TSV drop file (all lines but the header).
fn data_rows(path: &std::path::Path) -> u64 {
    std::fs::read_to_string(path).unwrap().lines().count() as u64 - 1
}

#[test]
fn json_log_carries_every_progress_line_as_fields() {
    let (_dir, drops, lake) = fixtures::drop_2017_and_lake();
    let (code, stderr) = ingest_json(&drops, &lake);
    assert_eq!(code, 0, "{stderr}");
    let events: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .filter(|e: &serde_json::Value| e["target"] == "oj::progress")
        .collect();
    let of = |name: &str| -> Vec<&serde_json::Value> {
        events.iter().filter(|e| e["event"] == name).collect()
    };
    // Every event names the run and the year; the run id is the run record's folder.
    let run_id = events[0]["run_id"].as_str().unwrap().to_string();
    assert!(lake.join("runs").join(&run_id).join("run.json").exists());
    for e in events.iter().filter(|e| e["event"] != "run_done") {
        assert_eq!(e["run_id"], run_id.as_str(), "{e}");
        assert_eq!(e["year"], 2017, "{e}");
    }
    // One event per dataset; with no rejects (the fixture is valid) rows_in is the drop file's
    // data rows and rows_out the same – except the survey, staged long: one row per respondent
    // and question of the year.
    let questions = super::fixtures::project()
        .survey
        .questions_for_year(2017)
        .len() as u64;
    let drop = drops.join("2017");
    for (dataset, file) in [
        ("regioner", "regioner.csv"),
        ("befolkning", "befolkning.csv"),
        ("register", "register.tsv"),
        ("bakgrund", "bakgrund.csv"),
        ("enkat", "enkat.csv"),
    ] {
        let e = of("dataset_ingested")
            .into_iter()
            .find(|e| e["dataset"] == dataset)
            .unwrap_or_else(|| panic!("no event for {dataset}: {stderr}"));
        let rows = data_rows(&drop.join(file));
        let staged = if dataset == "enkat" {
            rows * questions
        } else {
            rows
        };
        assert_eq!(
            (&e["stage"], &e["rows_in"], &e["rows_out"], &e["rejected"]),
            (
                &serde_json::json!("ingest"),
                &serde_json::json!(rows),
                &serde_json::json!(staged),
                &serde_json::json!(0)
            ),
            "{e}"
        );
        assert!(e["seconds"].as_f64().is_some());
    }
    // The first run of the year has no record to take hashes from: every drop file was read.
    let hashed = of("drops_hashed");
    assert_eq!(hashed.len(), 1);
    assert_eq!(
        (&hashed[0]["recorded"], &hashed[0]["read"]),
        (
            &serde_json::json!(""),
            &serde_json::json!(
                "2017/regioner.csv,2017/befolkning.csv,2017/register.tsv,2017/bakgrund.csv,2017/enkat.csv"
            )
        )
    );
    assert_eq!(
        hashed[0]["message"],
        "ingest     drops     5 files read and hashed"
    );
    // The stage's totals are the sums of its datasets; every check of the gate passed.
    let done = of("stage_done");
    assert_eq!(done.len(), 1);
    let sum = |field: &str| -> u64 {
        of("dataset_ingested")
            .iter()
            .map(|e| e[field].as_u64().unwrap())
            .sum()
    };
    let (rows_in, rows_out) = (sum("rows_in"), sum("rows_out"));
    assert_eq!(
        (&done[0]["rows_in"], &done[0]["rows_out"]),
        (&rows_in.into(), &rows_out.into())
    );
    assert_eq!(done[0]["stage"], "ingest");
    assert_eq!(done[0]["outcome"], "ok");
    let checks = of("check");
    assert!(!checks.is_empty());
    // Each check's fields say what its line says: `check PASS       id` or `check WARN n     id`.
    for c in &checks {
        let id = c["check"].as_str().unwrap();
        let head = match c["outcome"].as_str().unwrap() {
            "pass" => "PASS".to_string(),
            "warn" => format!("WARN {}", c["failing"]),
            other => panic!("unexpected outcome {other}: {c}"),
        };
        let message = c["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("ingest     check {head:<10} {id}")),
            "{c}"
        );
    }
    // The fixture's survey has respondents without answers: the one warning of the gate.
    let warned: Vec<&str> = checks
        .iter()
        .filter(|c| c["outcome"] == "warn")
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(warned, ["enkat.response_rate"]);
    assert_eq!(of("gate_done")[0]["checks"], checks.len());
    // The human line is kept as the message.
    assert!(done[0]["message"].as_str().unwrap().starts_with(&format!(
        "ingest     done      {rows_in} rows in, {rows_out} rows out, "
    )));
    assert_eq!(of("run_done")[0]["ran"], 1);
}

#[test]
fn human_log_prints_the_lines_alone() {
    let (_dir, drops, lake) = fixtures::drop_2017_and_lake();
    let (code, stderr) = oj(&[
        "run",
        "--year",
        "2017",
        "--drops",
        drops.to_str().unwrap(),
        "--lake",
        lake.to_str().unwrap(),
        "--stage",
        "ingest",
    ]);
    assert_eq!(code, 0, "{stderr}");
    // Lines as before the events existed: stage column, then the text; no `key=value` fields.
    let rows = data_rows(&drops.join("2017").join("regioner.csv"));
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("ingest     regioner   ")
                && l.contains(&format!(" {rows} rows staged,     0 rejected  "))),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("ingest     running   "))
    );
    assert!(!stderr.contains("run_id="), "{stderr}");
    assert!(!stderr.contains("event="), "{stderr}");
}

/// The `read` field of the one `drops_hashed` event of an `oj run --stage ingest` (JSON log).
fn files_read(drops: &std::path::Path, lake: &std::path::Path) -> (String, String) {
    let (code, stderr) = ingest_json(drops, lake);
    assert_eq!(code, 0, "{stderr}");
    let events: Vec<serde_json::Value> = stderr
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let of = |name: &str| {
        events
            .iter()
            .find(|e| e["event"] == name)
            .unwrap_or_else(|| panic!("no {name}: {stderr}"))
    };
    let decided = events
        .iter()
        .find(|e| e["event"] == "stage_started" || e["event"] == "stage_skipped")
        .unwrap_or_else(|| panic!("no decision: {stderr}"));
    (
        of("drops_hashed")["read"].as_str().unwrap().to_string(),
        decided["event"].as_str().unwrap().to_string(),
    )
}

/// A drop file written again with the same bytes is read once: the skipped ingest records its new
/// stat, and the next run takes its SHA-256 from that record.
#[test]
fn a_drop_file_rewritten_with_the_same_bytes_is_read_once() {
    let (_dir, drops, lake) = fixtures::drop_2017_and_lake();
    let folder = drops.join("2017");
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let age = |path: &std::path::Path| {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(an_hour_ago)
            .unwrap();
    };
    for entry in std::fs::read_dir(&folder).unwrap() {
        age(&entry.unwrap().path());
    }
    let (read, decided) = files_read(&drops, &lake);
    assert_eq!(decided, "stage_started");
    assert_eq!(read.split(',').count(), 5, "{read}");
    // The survey written again, the same bytes, its modification time an hour back: the inode's
    // change time is new, so its stat is not the recorded one.
    let survey = folder.join("enkat.csv");
    std::fs::write(&survey, std::fs::read(&survey).unwrap()).unwrap();
    age(&survey);
    assert_eq!(
        files_read(&drops, &lake),
        ("2017/enkat.csv".to_string(), "stage_skipped".to_string())
    );
    // Its new stat was recorded by the skipped run: nothing is read.
    assert_eq!(
        files_read(&drops, &lake),
        (String::new(), "stage_skipped".to_string())
    );
}
