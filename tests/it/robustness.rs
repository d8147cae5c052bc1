//! Bad input at the edges (issue 12): implausible and overflowing amounts, engine errors inside a
//! gate, oversized lines and quoted newlines in drops, CLI paths that must exist, and text in the
//! CSV releases that a spreadsheet would run as a formula.

use super::fixtures::{self, write_drop};
use oj::exit::ExitStatus;
use oj::pipeline::{RunError, RunResult, Selection, StageError};
use oj::session::{self, SessionOptions};
use oj::store::Store;
use oj::vocab::StageId;

struct Env {
    dir: tempfile::TempDir,
    drops: Store,
    lake: Store,
}

impl Env {
    fn new(year: i64) -> Env {
        let dir = tempfile::tempdir().unwrap();
        write_drop(&dir.path().join("drops"), year);
        let drops = Store::open(dir.path().join("drops").to_str().unwrap()).unwrap();
        let lake = Store::open(dir.path().join("lake").to_str().unwrap()).unwrap();
        Env { dir, drops, lake }
    }

    fn drop_file(&self, year: i64, name: &str) -> std::path::PathBuf {
        self.dir
            .path()
            .join("drops")
            .join(year.to_string())
            .join(name)
    }

    async fn run(&self, project: &oj::config::Project, year: i64, s: Selection) -> RunResult {
        fixtures::run(project, &self.drops, &self.lake, year, s, false, false).await
    }

    /// `(line, rules)` of every reject of `dataset`, by line.
    async fn rules(&self, dataset: &str, year: i64) -> Vec<(i64, String)> {
        let rejects = self.rejects(dataset, year).await;
        rejects
            .into_iter()
            .map(|(line, rules, _)| (line, rules))
            .collect()
    }

    /// `(line, rules, raw)` of every reject of `dataset`, by line.
    async fn rejects(&self, dataset: &str, year: i64) -> Vec<(i64, String, String)> {
        let ctx = session::build(&SessionOptions::for_tests(), &[&self.lake]).unwrap();
        let df = oj::lake::read_files(&ctx, &self.lake, &[oj::layout::rejects_file(dataset, year)])
            .await
            .unwrap();
        ctx.register_table("rej", df.into_view()).unwrap();
        let batches = ctx
            .sql("SELECT line, rules, raw FROM rej ORDER BY line")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let mut out = Vec::new();
        for b in batches {
            use datafusion::arrow::array::AsArray;
            use datafusion::arrow::compute::cast;
            use datafusion::arrow::datatypes::{DataType, Int64Type};
            let lines = b.column(0).as_primitive::<Int64Type>().clone();
            let rules = cast(b.column(1), &DataType::Utf8).unwrap();
            let raws = cast(b.column(2), &DataType::Utf8).unwrap();
            for i in 0..b.num_rows() {
                out.push((
                    lines.value(i),
                    rules.as_string::<i32>().value(i).to_string(),
                    raws.as_string::<i32>().value(i).to_string(),
                ));
            }
        }
        out
    }
}

fn ingest_error(result: &RunResult) -> String {
    match &result.failure {
        Some(RunError::Stage {
            source: StageError::Ingest(e),
            ..
        }) => e.to_string(),
        other => panic!("expected an ingest error, got {other:?}"),
    }
}

/// The fixture register (header + 24 rows, lines 1–25) plus one row with `belopp` on line 26.
fn register_with_amount(belopp: i64) -> String {
    let mut text = fixtures::register(2017);
    text.push_str(&fixtures::register_row(
        2017,
        3,
        "0301",
        "",
        "H5",
        0,
        belopp,
        "00000000000000e5",
    ));
    text.push('\n');
    text
}

/// Writes `register` as the 2017 register drop and runs the ingest, which must fail: the
/// environment and the stage's error.
async fn ingest_failing(register: String) -> (Env, String, RunResult) {
    let project = fixtures::project();
    let env = Env::new(2017);
    std::fs::write(env.drop_file(2017, "register.tsv"), register).unwrap();
    let result = env
        .run(&project, 2017, Selection::Only(StageId::Ingest))
        .await;
    let msg = ingest_error(&result);
    (env, msg, result)
}

async fn amount_is_rejected(belopp: i64) {
    let (env, msg, result) = ingest_failing(register_with_amount(belopp)).await;
    // 1 of 25 rows = 4 % > 0.1 %: the stage fails (exit 1) and names file, line and rule.
    assert!(
        msg.contains("register: 1 of 25 rows rejected (4.000 %)"),
        "{msg}"
    );
    let expected = format!(
        "register.tsv:26: column belopp_kr = \"{belopp}\" is above the maximum 1000000 (parameter ingest.max_belopp_kr_per_household_month)"
    );
    assert!(msg.contains(&expected), "{msg}");
    assert_eq!(
        result.failure.as_ref().unwrap().exit_status(),
        ExitStatus::DataQuality
    );
    let rejects = env.rejects("register", 2017).await;
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert_eq!(rejects[0].0, 26);
    assert_eq!(rejects[0].1, "maximum:belopp_kr");
    assert!(
        rejects[0].2.contains(&format!("\t{belopp}\t")),
        "{rejects:?}"
    );
}

/// A register row listing persons 1 to 3 (ids `p1`, `p2`, `p3`) on household `hushall` in month 3.
fn row_with_three_persons(hushall: &str, p1: &str, p2: &str, p3: &str) -> String {
    let one = fixtures::register_row(2017, 3, "0301", "", hushall, 0, 100, p1);
    let persons = format!("\t{p2}\t1\t40\t0\t{p3}\t2\t20\t1{}", "\t".repeat(8));
    format!("{}{persons}", one.strip_suffix(&"\t".repeat(16)).unwrap())
}

/// The contract's rule `person_once_per_household_month`: a household-month listing the same
/// person twice (here person 3 = person 1, line 26) is rejected naming the rule; three different
/// persons (line 27) are staged.
#[tokio::test]
async fn a_person_listed_twice_on_a_household_month_is_rejected() {
    let mut text = fixtures::register(2017);
    for row in [
        row_with_three_persons(
            "H6",
            "00000000000000b1",
            "00000000000000b2",
            "00000000000000b1",
        ),
        row_with_three_persons(
            "H7",
            "00000000000000c1",
            "00000000000000c2",
            "00000000000000c3",
        ),
    ] {
        text.push_str(&row);
        text.push('\n');
    }
    let (env, msg, _) = ingest_failing(text).await;
    // 1 of 26 rows = 3.846 % > 0.1 %: the stage fails (exit 1) and names file, line and rule.
    assert!(
        msg.contains("register: 1 of 26 rows rejected (3.846 %)"),
        "{msg}"
    );
    assert!(
        msg.contains("register.tsv:26: rule person_once_per_household_month violated"),
        "{msg}"
    );
    let rejects = env.rejects("register", 2017).await;
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert_eq!(rejects[0].0, 26);
    assert_eq!(rejects[0].1, "person_once_per_household_month");
}

/// Issue 12, item 7: i64::MAX kr in one household-month passed every check; now it is a reject.
#[tokio::test]
async fn a_belopp_of_i64_max_is_rejected_with_file_line_and_rule() {
    amount_is_rejected(i64::MAX).await;
}

/// Issue 12, item 7: 10^12 kr in one household-month was published; it is above the plausible
/// maximum of pipelines/ (1 000 000 kr) and rejected.
#[tokio::test]
async fn ten_to_the_twelve_kronor_in_one_household_month_is_rejected() {
    amount_is_rejected(1_000_000_000_000).await;
}

/// The maximum itself is plausible: exactly 1 000 000 kr is staged.
#[tokio::test]
async fn the_plausible_maximum_itself_is_staged() {
    let project = fixtures::project();
    let env = Env::new(2017);
    std::fs::write(
        env.drop_file(2017, "register.tsv"),
        register_with_amount(1_000_000),
    )
    .unwrap();
    let result = env
        .run(&project, 2017, Selection::Only(StageId::Ingest))
        .await;
    assert!(result.failure.is_none(), "{:?}", result.failure);
    assert!(env.rejects("register", 2017).await.is_empty());
}

/// Issue 12, item 9: a 2.2 GB line panicked with exit 101 and 8.9 GB of memory. A line above
/// `ingest.max_line_bytes` is now an error naming the file and the line, found before the file is
/// decoded or parsed (here with a limit of one byte less than line 26); a line of exactly the
/// limit is read.
#[tokio::test]
async fn a_line_above_max_line_bytes_names_file_and_line() {
    let env = Env::new(2017);
    let long = fixtures::register_row(
        2017,
        3,
        "0301",
        "",
        &"H".repeat(500),
        0,
        100,
        "00000000000000e5",
    );
    let mut text = fixtures::register(2017);
    text.push_str(&long);
    text.push('\n');
    std::fs::write(env.drop_file(2017, "register.tsv"), text).unwrap();
    let mut project = fixtures::project();
    project.pipeline.params.ingest.max_line_bytes = long.len() as u64 - 1;
    let result = env
        .run(&project, 2017, Selection::Only(StageId::Ingest))
        .await;
    let msg = ingest_error(&result);
    let expected = format!(
        "register.tsv: line 26: the line is longer than {} bytes (parameter ingest.max_line_bytes)",
        long.len() - 1
    );
    assert!(msg.contains(&expected), "{msg}");
    assert_eq!(
        result.failure.as_ref().unwrap().exit_status(),
        ExitStatus::DataQuality
    );
    project.pipeline.params.ingest.max_line_bytes = long.len() as u64;
    let result = env
        .run(&project, 2017, Selection::Only(StageId::Ingest))
        .await;
    assert!(result.failure.is_none(), "{:?}", result.failure);
}

/// Issue 12, item 9: reject line numbers shifted by one after a quoted field with a newline.
/// Hand-counted: line 1 header, lines 2–25 the fixture's 24 rows, lines 26–27 one record whose
/// hushall_id is `"H⏎8"` (and belopp -5, a reject), line 28 a kommun not in regioner (a reject).
#[tokio::test]
async fn reject_line_numbers_stay_right_after_a_quoted_newline() {
    let mut project = fixtures::project();
    project
        .contracts
        .get_mut("register")
        .unwrap()
        .reject_tolerance_percent = Some(10.0);
    let env = Env::new(2017);
    let mut text = fixtures::register(2017);
    text.push_str(&fixtures::register_row(
        2017,
        4,
        "0301",
        "",
        "\"H\n8\"",
        0,
        -5,
        "00000000000000f6",
    ));
    text.push('\n');
    text.push_str(&fixtures::register_row(
        2017,
        4,
        "9999",
        "",
        "H9",
        0,
        100,
        "00000000000000c3",
    ));
    text.push('\n');
    std::fs::write(env.drop_file(2017, "register.tsv"), text).unwrap();
    let result = env
        .run(&project, 2017, Selection::Only(StageId::Ingest))
        .await;
    // 2 of 26 rows = 7.7 % ≤ 10 %: staged, with two rejects.
    assert!(result.failure.is_none(), "{:?}", result.failure);
    let rejects = env.rejects("register", 2017).await;
    assert_eq!(rejects.len(), 2, "{rejects:?}");
    assert_eq!(
        (rejects[0].0, rejects[0].1.as_str()),
        (26, "minimum:belopp_kr")
    );
    // The raw text of a reject is its whole record, both lines.
    assert!(
        rejects[0]
            .2
            .starts_with("2017\t4\t0301\t\t\"H\n8\"\t0\t-5\t"),
        "{rejects:?}"
    );
    assert_eq!(
        (rejects[1].0, rejects[1].1.as_str()),
        (28, "reference:kommun")
    );
    assert!(rejects[1].2.starts_with("2017\t4\t9999\t"), "{rejects:?}");
}

/// Population cells are bounded too (20 000 000, above Sweden's whole population): a cell of
/// i64::MAX, which would wrap the population sums, is rejected on its line (the fixture's header
/// and 8 rows are lines 1–9; the cell is line 10). befolkning tolerates no rejects.
#[tokio::test]
async fn a_population_cell_of_i64_max_is_rejected() {
    let project = fixtures::project();
    let env = Env::new(2017);
    let text = format!("{}0301;1;50;0;{}\n", fixtures::BEFOLKNING, i64::MAX);
    std::fs::write(env.drop_file(2017, "befolkning.csv"), text).unwrap();
    let result = env
        .run(&project, 2017, Selection::Only(StageId::Ingest))
        .await;
    let msg = ingest_error(&result);
    assert!(
        msg.contains(
            "befolkning.csv:10: column antal = \"9223372036854775807\" is above the maximum 20000000"
        ),
        "{msg}"
    );
    assert_eq!(
        env.rules("befolkning", 2017).await,
        [(10, "maximum:antal".to_string())]
    );
}

/// The datasets that refer only to the regions are read at once, after the regions. When two of
/// them fail, both are read to the end (each keeps its rejects file) and the stage's error is the
/// one earlier in the pipeline's order (befolkning before register), whichever finished first.
#[tokio::test]
async fn two_failing_datasets_read_together_report_the_first_in_order() {
    let project = fixtures::project();
    let env = Env::new(2017);
    let text = format!("{}0301;1;50;0;{}\n", fixtures::BEFOLKNING, i64::MAX);
    std::fs::write(env.drop_file(2017, "befolkning.csv"), text).unwrap();
    std::fs::write(
        env.drop_file(2017, "register.tsv"),
        register_with_amount(2_000_000),
    )
    .unwrap();
    let result = env
        .run(&project, 2017, Selection::Only(StageId::Ingest))
        .await;
    let msg = ingest_error(&result);
    assert!(msg.contains("befolkning.csv:10: column antal"), "{msg}");
    assert!(!msg.contains("register.tsv"), "{msg}");
    assert_eq!(
        env.rules("befolkning", 2017).await,
        [(10, "maximum:antal".to_string())]
    );
    assert_eq!(
        env.rules("register", 2017).await,
        [(26, "maximum:belopp_kr".to_string())]
    );
}
