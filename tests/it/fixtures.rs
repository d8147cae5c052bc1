//! Small hand-written drops for integration tests: one län (03) with two kommuner (0301, 0302),
//! kommun 0302 split into two stadsdelar (030201, 030202), and a tiny register.

use std::path::Path;

/// The project folder (pipelines/, data-contracts/, sql/) of this checkout.
pub fn project_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A temp folder holding a copy of the project's configuration (pipelines/, data-contracts/,
/// sql/), for tests that break one file of it.
pub fn copy_of_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["pipelines", "data-contracts", "sql"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        for entry in std::fs::read_dir(project_root().join(sub)).unwrap() {
            let p = entry.unwrap().path();
            std::fs::copy(&p, dir.path().join(sub).join(p.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Runs `year` of the pipeline with a test session and a fixed clock.
pub async fn run(
    project: &oj::config::Project,
    drops: &oj::store::Store,
    lake: &oj::store::Store,
    year: i64,
    selection: oj::pipeline::Selection,
    force: bool,
    dry_run: bool,
) -> oj::pipeline::RunResult {
    let options = oj::session::SessionOptions::for_tests();
    let ctx = oj::session::build(&options, &[drops, lake]).unwrap();
    let clock = oj::clock::FixedClock(
        chrono::DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .to_utc(),
    );
    let runner = oj::pipeline::Runner {
        project,
        drops,
        lake,
        ctx: &ctx,
        clock: &clock,
        lineage: None,
        stages: &oj::stages::ALL,
    };
    let options = oj::pipeline::RunOptions {
        year,
        selection,
        force,
        dry_run,
        command: "test".into(),
    };
    runner.run(&options).await.unwrap()
}

/// Copies the project's configuration, replaces the first `from` in `file` by `to` and compiles
/// it: the diagnostics (none when it compiles).
pub fn with_edit(file: &str, from: &str, to: &str) -> Vec<oj::config::Diagnostic> {
    let dir = copy_of_project();
    let target = dir.path().join(file);
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(text.contains(from), "{file} has no `{from}`");
    std::fs::write(&target, text.replacen(from, to, 1)).unwrap();
    match oj::pipeline::load_project(dir.path()) {
        Ok(_) => Vec::new(),
        Err(e) => e.0,
    }
}

/// The 1-based line of the first line of the project's `file` containing `needle`.
pub fn line_of(file: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(project_root().join(file)).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

/// The project's own configuration, loaded (and type-checked, which plans every model) once
/// per test binary.
pub fn project() -> oj::config::Project {
    static PROJECT: std::sync::LazyLock<oj::config::Project> = std::sync::LazyLock::new(|| {
        oj::pipeline::load_project(project_root()).expect("the project's configuration compiles")
    });
    PROJECT.clone()
}

pub const REGIONER: &str = "niva;kod;namn;overordnad;kommungrupp;enkat_respondent
riket;00;Riket;;;0
lan;03;Uppsala län;00;;0
kommun;0301;Åby;03;B3;1
kommun;0302;Östad;03;A1;0
stadsdel;030201;Norr;0302;;1
stadsdel;030202;Söder;0302;;1
";

pub const BEFOLKNING: &str = "region;kon;alder;utrikes_fodd;antal
0301;1;30;0;100
0301;2;30;1;120
0302;1;40;0;300
0302;2;40;0;200
030201;1;40;0;150
030201;2;40;0;100
030202;1;40;0;150
030202;2;40;0;100
";

pub const REGISTER_HEADER: &str = "ar\tmanad\tkommun\tdistrikt\thushall_id\tbarn_under_16\tbelopp_kr\tpnr1\tkon1\talder1\tutrikes1\tpnr2\tkon2\talder2\tutrikes2\tpnr3\tkon3\talder3\tutrikes3\tpnr4\tkon4\talder4\tutrikes4\tpnr5\tkon5\talder5\tutrikes5";

/// One register row with a single applicant (the register's own column order).
#[allow(clippy::too_many_arguments)]
pub fn register_row(
    year: i64,
    month: i64,
    kommun: &str,
    distrikt: &str,
    hushall: &str,
    barn: i64,
    belopp: i64,
    pnr: &str,
) -> String {
    format!(
        "{year}\t{month}\t{kommun}\t{distrikt}\t{hushall}\t{barn}\t{belopp}\t{pnr}\t2\t30\t0{}",
        "\t".repeat(16)
    )
}

/// A register where both kommuner report every month (household H1 in 0301, H2 in stadsdel 01 of 0302).
pub fn register(year: i64) -> String {
    let mut s = String::from(REGISTER_HEADER);
    s.push('\n');
    for m in 1..=12 {
        s.push_str(&register_row(
            year,
            m,
            "0301",
            "",
            "H1",
            1,
            5000,
            "00000000000000a1",
        ));
        s.push('\n');
        s.push_str(&register_row(
            year,
            m,
            "0302",
            "01",
            "H2",
            0,
            4000,
            "00000000000000b2",
        ));
        s.push('\n');
    }
    s
}

pub const BAKGRUND: &str = "kommun;lag_inkomst_18_64;arbetslosa_18_64;arbetslosa_utan_ers_18_64;forgymn_inrikes_25_64;utrikes_vist_0_5_18_64;utrikes_vist_6_10_18_64
0301;20;10;3;15;5;4
0302;40;25;10;30;20;10
";

/// The survey columns the questionnaire of `year` has, in configuration order.
pub fn survey_columns(year: i64) -> Vec<String> {
    project()
        .survey
        .questions_for_year(year)
        .into_iter()
        .map(|q| format!("{}:{}", q.column, q.answer_type.name()))
        .collect()
}

/// A survey answered by 0301 and stadsdel 030201; 030202 did not return it.
pub fn enkat(year: i64) -> String {
    let cols = survey_columns(year);
    let names: Vec<&str> = cols.iter().map(|c| c.split(':').next().unwrap()).collect();
    let answer = |kind: &str, yes: bool| match kind {
        "ja_nej" => {
            if yes {
                "Ja"
            } else {
                "Nej"
            }
        }
        "helt_delvis" => {
            if yes {
                "Helt"
            } else {
                "Delvis"
            }
        }
        _ => {
            if yes {
                "7"
            } else {
                "2,5"
            }
        }
    };
    let row = |who: &str, date: &str, yes: bool| {
        let mut r = format!("{who};{date}");
        for c in &cols {
            let kind = c.split(':').nth(1).unwrap();
            r.push(';');
            if !date.is_empty() {
                r.push_str(answer(kind, yes));
            }
        }
        r
    };
    format!(
        "respondent;inkommen;{}\n{}\n{}\n{}\n",
        names.join(";"),
        row("0301", &format!("{year}-03-01"), true),
        row("030201", &format!("{year}-03-05"), false),
        row("030202", "", false)
    )
}

/// A temporary folder with a complete valid 2017 drop in `drops/` and the path of a lake not yet
/// created beside it: `(folder, drops, lake)`.
pub fn drop_2017_and_lake() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let drops = dir.path().join("drops");
    let lake = dir.path().join("lake");
    write_drop(&drops, 2017);
    (dir, drops, lake)
}

/// Writes a complete valid drop for `year` under `drops/<year>/`.
pub fn write_drop(drops: &Path, year: i64) {
    let dir = drops.join(year.to_string());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("regioner.csv"), REGIONER).unwrap();
    std::fs::write(dir.join("befolkning.csv"), BEFOLKNING).unwrap();
    std::fs::write(dir.join("register.tsv"), register(year)).unwrap();
    std::fs::write(dir.join("bakgrund.csv"), BAKGRUND).unwrap();
    std::fs::write(dir.join("enkat.csv"), enkat(year)).unwrap();
}
