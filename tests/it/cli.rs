//! The command line's paths (issue 12, item 9): `run`, `plan`, `check`, `diff` and `report`
//! require `--lake`; a drops folder is never created; `plan`, `check`, `diff` and `report` never
//! create the lake they are pointed at; `plan` names no run record it does not write. Each test
//! runs the `oj` binary and reads its exit code and stderr.

use super::fixtures::{project_root, write_drop};
use std::path::Path;
use std::process::Output;

fn oj(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_oj"))
        .arg("--project")
        .arg(project_root())
        .args(args)
        .env("OJ_LOG", "info")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn run_plan_check_diff_and_report_require_lake() {
    let dir = tempfile::tempdir().unwrap();
    let drops = dir.path().join("drops");
    write_drop(&drops, 2017);
    let commands: [&[&str]; 5] = [
        &["run", "--year", "2017", "--drops", path(&drops)],
        &["plan", "--year", "2017", "--drops", path(&drops)],
        &["check", "--year", "2017", "--stage", "ingest"],
        &["diff", "--year", "2017"],
        &["report", "--year", "2017", "--region", "0301"],
    ];
    for args in commands {
        let o = oj(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("--lake"), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn a_mistyped_drops_folder_is_an_error_and_never_created() {
    let dir = tempfile::tempdir().unwrap();
    write_drop(&dir.path().join("drops"), 2017);
    let typo = dir.path().join("drosp");
    let lake = dir.path().join("lake");
    for command in ["run", "plan"] {
        let o = oj(&[
            command,
            "--year",
            "2017",
            "--drops",
            path(&typo),
            "--lake",
            path(&lake),
        ]);
        assert_eq!(o.status.code(), Some(2), "{command}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(&format!("{}: no such folder", path(&typo))),
            "{command}: {err}"
        );
        assert!(!typo.exists(), "{command} created the drops folder");
    }
}

#[test]
fn plan_check_diff_and_report_never_create_the_lake() {
    let dir = tempfile::tempdir().unwrap();
    let drops = dir.path().join("drops");
    write_drop(&drops, 2017);
    let lake = dir.path().join("no-lake");
    let commands: [&[&str]; 4] = [
        &[
            "plan",
            "--year",
            "2017",
            "--drops",
            path(&drops),
            "--lake",
            path(&lake),
        ],
        &[
            "check",
            "--year",
            "2017",
            "--stage",
            "ingest",
            "--lake",
            path(&lake),
        ],
        &["diff", "--year", "2017", "--lake", path(&lake)],
        &[
            "report",
            "--year",
            "2017",
            "--region",
            "0301",
            "--lake",
            path(&lake),
        ],
    ];
    for args in commands {
        let o = oj(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!("{}: no such folder", path(&lake))),
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(!lake.exists(), "{args:?} created the lake");
    }
}

#[test]
fn plan_names_no_run_record_and_writes_none() {
    let dir = tempfile::tempdir().unwrap();
    let drops = dir.path().join("drops");
    write_drop(&drops, 2017);
    let lake = dir.path().join("lake");
    std::fs::create_dir_all(&lake).unwrap();
    let o = oj(&[
        "plan",
        "--year",
        "2017",
        "--drops",
        path(&drops),
        "--lake",
        path(&lake),
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("ingest     would run never ran for this year"),
        "{err}"
    );
    // The summary counts the stages that would run (all four: the lake is empty).
    assert!(
        err.contains("plan for 2017: 4 stage(s) would run, 0 up to date; nothing was written"),
        "{err}"
    );
    assert!(!err.contains("run record"), "{err}");
    assert!(!err.contains("run.json"), "{err}");
    assert_eq!(
        std::fs::read_dir(&lake).unwrap().count(),
        0,
        "plan wrote to the lake"
    );
}

/// `oj demo` generates its drops on a thread while the years run: a generator that cannot start
/// or cannot write is the command's error, with synth's own message and exit code 2 (invalid
/// usage), and no year is run.
#[test]
fn a_demo_whose_drops_cannot_be_generated_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let o = oj(&[
        "demo",
        "--dir",
        path(&demo),
        "--scale",
        "0",
        "--years",
        "2015..2015",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("scale 0: give a number above 0"),
        "{}",
        stderr(&o)
    );
    assert!(!demo.join("lake").join("runs").exists(), "a year ran");

    // The drops folder is a file: the demo stops before any year with an error naming it.
    let blocked = dir.path().join("blocked");
    std::fs::create_dir_all(&blocked).unwrap();
    std::fs::write(blocked.join("drops"), "not a folder").unwrap();
    let o = oj(&[
        "demo",
        "--dir",
        path(&blocked),
        "--scale",
        "0.01",
        "--years",
        "2015..2015",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    let drops = blocked.join("drops");
    assert!(err.contains(path(&drops)), "{err}");
    assert!(!err.contains("synth      wrote"), "{err}");
    assert!(!blocked.join("lake").join("runs").exists(), "a year ran");
}
