//! The ingest stage on small hand-written drops: clean drops in both encodings and both survey
//! formats, every bad-input case with its message, rejects and tolerance, fingerprint skipping,
//! stage selection and that a failed ingest leaves the previous staged data in place.

use super::fixtures::{self, write_drop};
use datafusion::prelude::SessionContext;
use oj::config::{Encoding, Project};
use oj::exit::ExitStatus;
use oj::ledger::StageStatus;
use oj::pipeline::{RunError, RunResult, Selection, StageError};
use oj::session::{self, SessionOptions};
use oj::store::Store;
use oj::vocab::StageId;
use std::path::Path;

struct Env {
    _dir: tempfile::TempDir,
    drops_path: std::path::PathBuf,
    drops: Store,
    lake: Store,
}

fn env(year: i64) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let drops_path = dir.path().join("drops");
    write_drop(&drops_path, year);
    let drops = Store::open(drops_path.to_str().unwrap()).unwrap();
    let lake = Store::open(dir.path().join("lake").to_str().unwrap()).unwrap();
    Env {
        _dir: dir,
        drops_path,
        drops,
        lake,
    }
}

async fn run(
    project: &Project,
    env: &Env,
    year: i64,
    selection: Selection,
    force: bool,
    dry_run: bool,
) -> RunResult {
    fixtures::run(
        project, &env.drops, &env.lake, year, selection, force, dry_run,
    )
    .await
}

async fn ingest(project: &Project, env: &Env, year: i64) -> RunResult {
    run(
        project,
        env,
        year,
        Selection::Only(StageId::Ingest),
        false,
        false,
    )
    .await
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

async fn staged_rows(env: &Env, dataset: &str, year: i64) -> usize {
    let ctx = session::build(&SessionOptions::for_tests(), &[&env.lake]).unwrap();
    let df = oj::lake::read_files(&ctx, &env.lake, &[oj::layout::staging_file(dataset, year)])
        .await
        .unwrap();
    df.count().await.unwrap()
}

/// `sql` over one file of the lake, registered as the table `t`.
async fn query_file(
    env: &Env,
    file: String,
    sql: &str,
) -> Vec<datafusion::arrow::array::RecordBatch> {
    let ctx = session::build(&SessionOptions::for_tests(), &[&env.lake]).unwrap();
    let table = oj::lake::read_files(&ctx, &env.lake, &[file])
        .await
        .unwrap();
    ctx.register_table("t", table.into_view()).unwrap();
    ctx.sql(sql).await.unwrap().collect().await.unwrap()
}

/// `columns` of the register's rejects file of 2017, by line.
async fn register_rejects(env: &Env, columns: &str) -> Vec<datafusion::arrow::array::RecordBatch> {
    let sql = format!("SELECT {columns} FROM t ORDER BY line");
    query_file(env, oj::layout::rejects_file("register", 2017), &sql).await
}

/// The name of region `kod` in the staged regioner of 2017, as a printed table.
async fn staged_region_name(ctx: &SessionContext, env: &Env, kod: &str) -> String {
    let regioner = oj::lake::read_files(
        ctx,
        &env.lake,
        &[oj::layout::staging_file("regioner", 2017)],
    )
    .await
    .unwrap()
    .filter(datafusion::prelude::col("kod").eq(datafusion::prelude::lit(kod)))
    .unwrap()
    .select_columns(&["namn"])
    .unwrap();
    let b = regioner.collect().await.unwrap();
    datafusion::arrow::util::pretty::pretty_format_batches(&b)
        .unwrap()
        .to_string()
}

fn drop_file(env: &Env, year: i64, name: &str) -> std::path::PathBuf {
    env.drops_path.join(year.to_string()).join(name)
}

#[tokio::test]
async fn a_clean_drop_is_staged_whole() {
    let project = fixtures::project();
    let env = env(2017);
    let result = ingest(&project, &env, 2017).await;
    assert!(result.failure.is_none(), "{:?}", result.failure);
    // regioner: 6 lines; befolkning: 8; register: 12 months × 2 households; bakgrund: 2.
    assert_eq!(staged_rows(&env, "regioner", 2017).await, 6);
    assert_eq!(staged_rows(&env, "befolkning", 2017).await, 8);
    assert_eq!(staged_rows(&env, "register", 2017).await, 24);
    assert_eq!(staged_rows(&env, "bakgrund", 2017).await, 2);
    // enkat is long: 3 respondents × the 2017 questions.
    let questions = fixtures::survey_columns(2017).len();
    assert_eq!(staged_rows(&env, "enkat", 2017).await, 3 * questions);
    let stage = &result.record.stages[0];
    assert_eq!(stage.status, StageStatus::Ran);
    assert_eq!(stage.rows_out, (6 + 8 + 24 + 2 + 3 * questions) as u64);
}

#[tokio::test]
async fn staged_values_are_typed() {
    let project = fixtures::project();
    let env = env(2017);
    assert!(ingest(&project, &env, 2017).await.failure.is_none());
    let ctx = session::build(&SessionOptions::for_tests(), &[&env.lake]).unwrap();
    let df = oj::lake::read_files(
        &ctx,
        &env.lake,
        &[oj::layout::staging_file("register", 2017)],
    )
    .await
    .unwrap();
    let schema = df.schema().inner().clone();
    assert_eq!(
        schema.field_with_name("belopp_kr").unwrap().data_type(),
        &datafusion::arrow::datatypes::DataType::Int64
    );
    // Text is staged as Utf8; DataFusion reads Parquet text back as Utf8View.
    assert!(matches!(
        schema.field_with_name("kommun").unwrap().data_type(),
        datafusion::arrow::datatypes::DataType::Utf8
            | datafusion::arrow::datatypes::DataType::Utf8View
    ));
    ctx.register_table("r", df.into_view()).unwrap();
    // Sum of belopp_kr: 12 × 5000 + 12 × 4000 = 108 000; distrikt is NULL (not "") for 0301.
    let batches = ctx
        .sql("SELECT sum(belopp_kr) AS s, count(*) FILTER (WHERE distrikt IS NULL) AS n FROM r")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
        .unwrap()
        .to_string();
    assert!(text.contains("| 108000 | 12 |"), "{text}");
}

#[tokio::test]
async fn windows_1252_is_an_error_under_a_utf8_contract_and_decodes_under_its_own() {
    let mut project = fixtures::project();
    let env = env(2017);
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(fixtures::REGIONER);
    std::fs::write(drop_file(&env, 2017, "regioner.csv"), &bytes).unwrap();
    let result = ingest(&project, &env, 2017).await;
    let msg = ingest_error(&result);
    // "niva;…;enkat_respondent\n" is 54 bytes, "riket;00;Riket;;;0\n" 19, "lan;03;Uppsala l" 16:
    // the first non-UTF-8 byte (ä = 0xE4) is at offset 89, on line 3.
    assert!(
        msg.contains("regioner.csv: line 3: byte offset 89: byte 0xE4 is not valid utf-8"),
        "{msg}"
    );
    assert_eq!(
        result.failure.as_ref().unwrap().exit_status(),
        ExitStatus::DataQuality
    );

    project
        .contracts
        .get_mut("regioner")
        .unwrap()
        .format
        .encoding = Encoding::Windows1252;
    let result = ingest(&project, &env, 2017).await;
    assert!(result.failure.is_none(), "{:?}", result.failure);
    let ctx = session::build(&SessionOptions::for_tests(), &[&env.lake]).unwrap();
    let name = staged_region_name(&ctx, &env, "0302").await;
    assert!(name.contains("Östad"), "{name}");
}

#[tokio::test]
async fn the_survey_may_come_as_xlsx() {
    let project = fixtures::project();
    let env = env(2017);
    let csv = std::fs::read_to_string(drop_file(&env, 2017, "enkat.csv")).unwrap();
    std::fs::remove_file(drop_file(&env, 2017, "enkat.csv")).unwrap();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, line) in csv.lines().enumerate() {
        for (c, cell) in line.split(';').enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r as u32, c as u16, cell).unwrap();
            }
        }
    }
    workbook.save(drop_file(&env, 2017, "enkat.xlsx")).unwrap();
    let result = ingest(&project, &env, 2017).await;
    assert!(result.failure.is_none(), "{:?}", result.failure);
    let questions = fixtures::survey_columns(2017).len();
    assert_eq!(staged_rows(&env, "enkat", 2017).await, 3 * questions);
}

#[tokio::test]
async fn a_missing_file_names_the_folder_and_the_pattern() {
    let project = fixtures::project();
    let env = env(2017);
    std::fs::remove_file(drop_file(&env, 2017, "bakgrund.csv")).unwrap();
    let msg = ingest_error(&ingest(&project, &env, 2017).await);
    assert!(
        msg.contains("no file for dataset `bakgrund` (expected bakgrund.csv)"),
        "{msg}"
    );
    assert!(msg.contains("drops/2017"), "{msg}");
}

#[tokio::test]
async fn an_empty_file_is_an_error() {
    let project = fixtures::project();
    let env = env(2017);
    std::fs::write(drop_file(&env, 2017, "befolkning.csv"), "").unwrap();
    let msg = ingest_error(&ingest(&project, &env, 2017).await);
    assert!(msg.contains("befolkning.csv: the file is empty"), "{msg}");
}

#[tokio::test]
async fn a_header_only_file_is_an_error() {
    let project = fixtures::project();
    let env = env(2017);
    std::fs::write(
        drop_file(&env, 2017, "bakgrund.csv"),
        fixtures::BAKGRUND.lines().next().unwrap(),
    )
    .unwrap();
    let msg = ingest_error(&ingest(&project, &env, 2017).await);
    assert!(
        msg.contains("bakgrund.csv: the file has a header but no data rows"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_truncated_register_names_the_cut_line() {
    let project = fixtures::project();
    let env = env(2017);
    let text = fixtures::register(2017);
    // Cut the last row after its 8th field: header is line 1, 24 rows → the cut row is line 25.
    let cut = text.trim_end().rsplit_once('\t').unwrap().0;
    let cut = &cut[..cut.rfind("00000000000000b2").unwrap() + 16];
    std::fs::write(drop_file(&env, 2017, "register.tsv"), cut).unwrap();
    let msg = ingest_error(&ingest(&project, &env, 2017).await);
    assert!(
        msg.contains(
            "register.tsv: line 25: the file ends in the middle of a row (8 of 27 fields)"
        ),
        "{msg}"
    );
}

#[tokio::test]
async fn wrong_and_duplicated_headers_are_listed_together() {
    let project = fixtures::project();
    let env = env(2017);
    let text = fixtures::BEFOLKNING.replacen("region;kon;alder", "region;kön;ALDER ;alder", 1);
    // a duplicated `alder` (ALDER and alder), `kön` is an alias of kon; one more field per data row
    // is not needed for the header check, which comes first.
    std::fs::write(drop_file(&env, 2017, "befolkning.csv"), text).unwrap();
    let msg = ingest_error(&ingest(&project, &env, 2017).await);
    assert!(
        msg.contains("befolkning.csv:1: the header does not match the contract"),
        "{msg}"
    );
    assert!(
        msg.contains("column 4 `alder` repeats column 3 (`alder`)"),
        "{msg}"
    );

    let text = fixtures::BEFOLKNING.replacen("antal", "antal_personer", 1);
    std::fs::write(drop_file(&env, 2017, "befolkning.csv"), text).unwrap();
    let msg = ingest_error(&ingest(&project, &env, 2017).await);
    assert!(
        msg.contains("column 5 `antal_personer` is unknown"),
        "{msg}"
    );
    assert!(msg.contains("column `antal` is missing"), "{msg}");
}

#[tokio::test]
async fn an_unknown_survey_question_points_at_the_question_configuration() {
    let project = fixtures::project();
    let env = env(2017);
    let text = fixtures::enkat(2017)
        .replacen("inkommen;", "inkommen;ny_fraga;", 1)
        .replace("-01;", "-01;Ja;")
        .replace("-05;", "-05;Ja;")
        .replace("030202;;", "030202;;;");
    std::fs::write(drop_file(&env, 2017, "enkat.csv"), text).unwrap();
    let msg = ingest_error(&ingest(&project, &env, 2017).await);
    assert!(msg.contains("column 3 `ny_fraga` is unknown"), "{msg}");
    assert!(msg.contains("pipelines/enkat.yaml"), "{msg}");
}

#[tokio::test]
async fn rejects_over_tolerance_fail_with_exit_1_and_are_kept() {
    let project = fixtures::project();
    let env = env(2017);
    let mut text = fixtures::register(2017);
    // line 26: a kommun that is not in regioner; line 27: a repeat of line 2's household-month.
    text.push_str(&fixtures::register_row(
        2017,
        1,
        "9999",
        "",
        "H9",
        0,
        100,
        "00000000000000c3",
    ));
    text.push('\n');
    text.push_str(&fixtures::register_row(
        2017,
        1,
        "0301",
        "",
        "H1",
        1,
        5000,
        "00000000000000a1",
    ));
    text.push('\n');
    std::fs::write(drop_file(&env, 2017, "register.tsv"), text).unwrap();
    let result = ingest(&project, &env, 2017).await;
    let msg = ingest_error(&result);
    // 2 of 26 rows = 7.692 % > 0.1 %.
    assert!(
        msg.contains("register: 2 of 26 rows rejected (7.692 %), more than the tolerance of 0.1 %"),
        "{msg}"
    );
    assert!(
        msg.contains(
            "register.tsv:26: kommun = \"9999\" is not a regioner.kod where niva = 'kommun'"
        ),
        "{msg}"
    );
    assert!(
        msg.contains(
            "register.tsv:27: duplicate of (ar, manad, kommun, hushall_id): first at line 2"
        ),
        "{msg}"
    );
    assert_eq!(
        result.failure.as_ref().unwrap().exit_status(),
        ExitStatus::DataQuality
    );

    let b = register_rejects(&env, "line, rules, raw").await;
    let text = datafusion::arrow::util::pretty::pretty_format_batches(&b)
        .unwrap()
        .to_string();
    assert!(text.contains("| 26   | reference:kommun"), "{text}");
    assert!(text.contains("| 27   | unique_household_month"), "{text}");
    assert!(text.contains("2017\t1\t9999\t\tH9"), "{text}");
}

/// Ingests `text` as 2017's register drop: the ingest must pass with `staged` rows staged and
/// exactly one rejected; returns that reject's message.
async fn ingest_register_with_one_reject(
    project: &Project,
    env: &Env,
    text: String,
    staged: usize,
) -> String {
    std::fs::write(drop_file(env, 2017, "register.tsv"), text).unwrap();
    let result = ingest(project, env, 2017).await;
    assert!(result.failure.is_none(), "{:?}", result.failure);
    assert_eq!(staged_rows(env, "register", 2017).await, staged);
    let details = &result.record.stages[0].details["register"];
    assert_eq!(details["rows_rejected"], 1);
    details["first_rejects"][0].as_str().unwrap().to_string()
}

/// The fixture project with the register contract tolerating `percent` % rejected rows.
fn tolerating_register_rejects(percent: f64) -> Project {
    let mut project = fixtures::project();
    project
        .contracts
        .get_mut("register")
        .unwrap()
        .reject_tolerance_percent = Some(percent);
    project
}

#[tokio::test]
async fn rejects_within_tolerance_are_kept_and_the_rest_staged() {
    let project = tolerating_register_rejects(10.0);
    let env = env(2017);
    let mut text = fixtures::register(2017);
    // line 26: negative amount and a bad district; 1 of 25 rows = 4 % ≤ 10 %.
    text.push_str(&fixtures::register_row(
        2017,
        2,
        "0302",
        "07",
        "H7",
        0,
        -5,
        "00000000000000d4",
    ));
    text.push('\n');
    let first = ingest_register_with_one_reject(&project, &env, text, 24).await;
    assert!(first.ends_with("register.tsv:26: column belopp_kr = \"-5\" is below the minimum 0; kommun || distrikt = \"030207\" is not a regioner.kod where niva = 'stadsdel'"), "{first}");
}

/// Every value is trimmed of surrounding whitespace before it is typed and checked, and a value
/// that is blank after trimming is empty (NULL): line 26 pads kommun, hushall_id and belopp_kr with
/// spaces and gives distrikt as two spaces, and is staged as 0302 / no district / H9 / 700; line 27
/// gives hushall_id as three spaces, which is a missing required value.
#[tokio::test]
async fn values_are_trimmed_and_blank_values_are_empty() {
    let project = tolerating_register_rejects(10.0);
    let env = env(2017);
    let mut text = fixtures::register(2017);
    for (month, hushall) in [(3, " H9 "), (4, "   ")] {
        text.push_str(&fixtures::register_row(
            2017,
            month,
            " 0302 ",
            "  ",
            hushall,
            0,
            0,
            "00000000000000d4",
        ));
        text.push('\n');
    }
    let text = text.replace("\t0\t00000000000000d4", "\t 700 \t00000000000000d4");
    let first = ingest_register_with_one_reject(&project, &env, text, 25).await;
    assert!(
        first.ends_with("register.tsv:27: column hushall_id is required but empty"),
        "{first}"
    );
    let batches = query_file(
        &env,
        oj::layout::staging_file("register", 2017),
        "SELECT kommun, distrikt IS NULL AS utan_distrikt, hushall_id, belopp_kr \
         FROM t WHERE manad = 3 AND hushall_id LIKE '%9%'",
    )
    .await;
    let shown = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
        .unwrap()
        .to_string();
    assert_eq!(
        shown,
        "+--------+---------------+------------+-----------+\n\
         | kommun | utan_distrikt | hushall_id | belopp_kr |\n\
         +--------+---------------+------------+-----------+\n\
         | 0302   | true          | H9         | 700       |\n\
         +--------+---------------+------------+-----------+",
    );
}

/// Issue 15: drops are read in chunks (`ingest.read_chunk_bytes`). With chunks of 5 bytes every
/// record, the quoted newline, the Windows-1252 letters of regioner and the UTF-8 byte-order mark of
/// the register cross chunk boundaries; what is staged and rejected is what the whole files give.
/// Hand-counted: register line 1 header, 2–25 the fixture's 24 rows, 26–27 one record with
/// hushall_id `"H⏎8"` and belopp -5, 28 a repeat of line 2's household-month, 29 a kommun not in
/// regioner: three rejects of 27 rows, 24 rows staged.
#[tokio::test]
async fn chunks_of_a_few_bytes_stage_and_reject_what_whole_files_do() {
    let mut project = tolerating_register_rejects(20.0);
    project.pipeline.params.ingest.read_chunk_bytes = 5;
    project
        .contracts
        .get_mut("regioner")
        .unwrap()
        .format
        .encoding = Encoding::Windows1252;
    let env = env(2017);
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(fixtures::REGIONER);
    std::fs::write(drop_file(&env, 2017, "regioner.csv"), &bytes).unwrap();
    let mut text = String::from("\u{feff}");
    text.push_str(&fixtures::register(2017));
    for (month, kommun, hushall, barn, belopp, pnr) in [
        (4, "0301", "\"H\n8\"", 0, -5, "00000000000000f6"),
        (1, "0301", "H1", 1, 5000, "00000000000000a1"),
        (4, "9999", "H9", 0, 100, "00000000000000c3"),
    ] {
        text.push_str(&fixtures::register_row(
            2017, month, kommun, "", hushall, barn, belopp, pnr,
        ));
        text.push('\n');
    }
    std::fs::write(drop_file(&env, 2017, "register.tsv"), text).unwrap();
    let result = ingest(&project, &env, 2017).await;
    assert!(result.failure.is_none(), "{:?}", result.failure);
    assert_eq!(staged_rows(&env, "register", 2017).await, 24);
    assert_eq!(staged_rows(&env, "regioner", 2017).await, 6);
    let details = &result.record.stages[0].details["register"];
    assert_eq!(details["rows_read"], 27);
    assert_eq!(details["rows_rejected"], 3);

    let b = register_rejects(&env, "line, rules, reason, raw").await;
    let mut rows = Vec::new();
    for batch in &b {
        let strings = |i: usize| {
            datafusion::arrow::compute::cast(
                batch.column(i),
                &datafusion::arrow::datatypes::DataType::Utf8,
            )
            .unwrap()
        };
        let (lines, rules, reasons, raws) = (strings(0), strings(1), strings(2), strings(3));
        let text = |a: &datafusion::arrow::array::ArrayRef, i: usize| {
            a.as_any()
                .downcast_ref::<datafusion::arrow::array::StringArray>()
                .unwrap()
                .value(i)
                .to_string()
        };
        for i in 0..batch.num_rows() {
            rows.push((
                text(&lines, i),
                text(&rules, i),
                text(&reasons, i),
                text(&raws, i),
            ));
        }
    }
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.as_str(), rows[0].2.as_str()),
        (
            "26",
            "minimum:belopp_kr",
            "column belopp_kr = \"-5\" is below the minimum 0"
        )
    );
    assert!(
        rows[0].3.starts_with("2017\t4\t0301\t\t\"H\n8\"\t0\t-5\t"),
        "{rows:?}"
    );
    assert_eq!(
        (rows[1].0.as_str(), rows[1].1.as_str(), rows[1].2.as_str()),
        (
            "28",
            "unique_household_month",
            "duplicate of (ar, manad, kommun, hushall_id): first at line 2"
        )
    );
    assert!(
        rows[1].3.starts_with("2017\t1\t0301\t\tH1\t1\t5000\t"),
        "{rows:?}"
    );
    assert_eq!(
        (rows[2].0.as_str(), rows[2].1.as_str()),
        ("29", "reference:kommun")
    );

    let ctx = session::build(&SessionOptions::for_tests(), &[&env.lake]).unwrap();
    let name = staged_region_name(&ctx, &env, "0302").await;
    assert!(name.contains("Östad"), "{name}");
}

/// The `regioner` dataset of the project and its contract.
fn regioner(project: &Project) -> (&oj::config::Dataset, &oj::config::Contract) {
    let dataset = project
        .pipeline
        .datasets
        .iter()
        .find(|d| d.name == "regioner")
        .unwrap();
    (dataset, project.contract_of(dataset))
}

/// A drop file replaced after the run fingerprinted it (a delivery overwritten mid-run) is not
/// ingested: its bytes no longer have the SHA-256 the run started with.
#[tokio::test]
async fn a_file_replaced_after_its_fingerprint_is_not_ingested() {
    let project = fixtures::project();
    let env = env(2017);
    let (dataset, contract) = regioner(&project);
    let files = oj::ingest::fingerprint_drop(
        &env.drops,
        2017,
        dataset,
        contract,
        4096,
        64,
        &Default::default(),
    )
    .await
    .unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].problem, None);
    let path = env.drops_path.join("2017").join("regioner.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    // The same size and rows, one region name changed.
    let replaced = text.replacen("Östad", "Östa_", 1);
    assert_ne!(replaced, text);
    std::fs::write(&path, replaced).unwrap();
    let ctx = session::build(&SessionOptions::for_tests(), &[&env.lake]).unwrap();
    let txn = oj::commit::Txn::new(&env.lake, 2017, "replaced-drop", "ingest");
    let err =
        oj::ingest::ingest_dataset(&ctx, &project, dataset, 2017, &files, &env.drops, &txn, &[])
            .await
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: the file changed while it was ingested (its SHA-256 is not the one it had when \
             the run started) (hint: a delivery was replaced during the run; run again)",
            env.drops.display("2017/regioner.csv")
        )
    );
}

/// Sets a file's modification time `seconds` into the past.
fn age(path: &std::path::Path, seconds: u64) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(seconds))
        .unwrap();
}

/// A drop file whose stat (size, modification time, ETag, inode change time, text checks) is the
/// one recorded with its SHA-256 is not read: the recorded SHA-256 is taken. Any other stat, or
/// a file modified less than two seconds before, is read and hashed.
#[tokio::test]
async fn a_drop_file_with_its_recorded_stat_is_not_read_again() {
    use oj::ingest::Hashed;
    use sha2::Digest;
    let project = fixtures::project();
    let env = env(2017);
    let (dataset, contract) = regioner(&project);
    let path = env.drops_path.join("2017").join("regioner.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let sha = format!("{:x}", sha2::Sha256::digest(text.as_bytes()));
    let fingerprint = |recorded: oj::ingest::RecordedHashes, max_line: usize| {
        let env = &env;
        async move {
            let files = oj::ingest::fingerprint_drop(
                &env.drops, 2017, dataset, contract, max_line, 64, &recorded,
            )
            .await
            .unwrap();
            assert_eq!(files.len(), 1);
            files.into_iter().next().unwrap()
        }
    };
    // Written just now: hashed, and no stat to record.
    let fresh = fingerprint(Default::default(), 4096).await;
    assert_eq!(fresh.sha256, sha);
    assert_eq!(fresh.stat, None);
    assert_eq!(fresh.hashed, Hashed::NotRecorded);

    age(&path, 3600);
    let aged = fingerprint(Default::default(), 4096).await;
    assert_eq!(aged.sha256, sha);
    let stat = aged.stat.clone().expect("a stable file's stat");
    assert!(
        stat.starts_with(&format!("{} bytes, modified ", text.len())),
        "{stat}"
    );
    // With its stat recorded (here with a made-up hash, to see that the file is not read).
    let recorded = |stat: &str| {
        oj::ingest::RecordedHashes::from([(
            "2017/regioner.csv".to_string(),
            (stat.to_string(), "recorded".to_string()),
        )])
    };
    let taken = fingerprint(recorded(&stat), 4096).await;
    assert_eq!(taken.sha256, "recorded");
    assert_eq!(taken.hashed, Hashed::Recorded);
    // Other settings of the text checks: read again.
    let other = fingerprint(recorded(&stat), 2048).await;
    assert_eq!(other.sha256, sha);
    assert_eq!(other.hashed, Hashed::Changed);
    // The same bytes written again in place, with the modification time set back to the same
    // instant: size, modification time and ETag are the same, the inode's change time is not.
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    std::fs::write(&path, &text).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let rewritten = fingerprint(recorded(&stat), 4096).await;
    assert_eq!(rewritten.sha256, sha);
    assert_ne!(rewritten.stat.as_deref(), Some(stat.as_str()));
    assert_eq!(rewritten.hashed, Hashed::Changed);
    // Written just now, with a record: read, and its stat not compared.
    std::fs::write(&path, &text).unwrap();
    let just_now = fingerprint(recorded(&stat), 4096).await;
    assert_eq!(just_now.sha256, sha);
    assert_eq!(just_now.hashed, Hashed::JustModified);
}

#[tokio::test]
async fn unchanged_inputs_skip_and_changed_inputs_rerun() {
    let project = fixtures::project();
    let env = env(2017);
    let first = ingest(&project, &env, 2017).await;
    assert_eq!(first.record.stages[0].status, StageStatus::Ran);
    let second = ingest(&project, &env, 2017).await;
    assert_eq!(second.record.stages[0].status, StageStatus::Skipped);
    assert_eq!(
        second.record.stages[0].fingerprint,
        first.record.stages[0].fingerprint
    );
    let forced = run(
        &project,
        &env,
        2017,
        Selection::Only(StageId::Ingest),
        true,
        false,
    )
    .await;
    assert_eq!(forced.record.stages[0].status, StageStatus::Ran);
    std::fs::write(
        drop_file(&env, 2017, "bakgrund.csv"),
        fixtures::BAKGRUND.replace("0301;20", "0301;21"),
    )
    .unwrap();
    let changed = ingest(&project, &env, 2017).await;
    assert_eq!(changed.record.stages[0].status, StageStatus::Ran);
    // The reason names the input that changed.
    assert_eq!(
        changed.record.stages[0].reason,
        "inputs changed: 2017/bakgrund.csv"
    );
    assert_ne!(
        changed.record.stages[0].fingerprint,
        first.record.stages[0].fingerprint
    );
    // Every run wrote its record.
    assert_eq!(oj::ledger::all_runs(&env.lake).await.unwrap().len(), 4);
}

#[tokio::test]
async fn dry_run_plans_without_writing() {
    let project = fixtures::project();
    let env = env(2017);
    let plan = run(
        &project,
        &env,
        2017,
        Selection::Only(StageId::Ingest),
        false,
        true,
    )
    .await;
    assert_eq!(plan.record.stages[0].status, StageStatus::WouldRun);
    assert_eq!(plan.record.stages[0].reason, "never ran for this year");
    assert!(env.lake.list("").await.unwrap().is_empty());
}

#[test]
fn stage_selection() {
    assert!(Selection::From(StageId::Transform).includes(StageId::Publish));
    assert!(!Selection::From(StageId::Transform).includes(StageId::Ingest));
    assert!(Selection::Only(StageId::Disclose).includes(StageId::Disclose));
    assert!(!Selection::Only(StageId::Disclose).includes(StageId::Publish));
    assert!(Selection::All.includes(StageId::Ingest));
}

#[tokio::test]
async fn a_failed_ingest_leaves_the_previous_staged_data() {
    let project = fixtures::project();
    let env = env(2017);
    assert!(ingest(&project, &env, 2017).await.failure.is_none());
    let staged = env
        .lake
        .get(&oj::layout::staging_file("register", 2017))
        .await
        .unwrap()
        .unwrap();
    let mut text = fixtures::register(2017);
    text = text.replace("\t5000\t", "\t-1\t");
    std::fs::write(drop_file(&env, 2017, "register.tsv"), text).unwrap();
    assert!(ingest(&project, &env, 2017).await.failure.is_some());
    let after = env
        .lake
        .get(&oj::layout::staging_file("register", 2017))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        staged, after,
        "the staged register must be untouched by a failed ingest"
    );
    assert!(
        Path::new(
            &env.lake
                .display(&oj::layout::rejects_file("register", 2017))
        )
        .exists()
    );
}
