//! `oj validate` compiles what `run` runs (issue 12, item 9): each of the seven broken projects
//! that used to pass validate and fail at run time, plus the parameter limits of the run, is a
//! diagnostic naming the file and the line.

use super::fixtures::{copy_of_project, line_of, project_root, with_edit};
use oj::config::Diagnostic;
use oj::pipeline::load_project;

#[track_caller]
fn one(d: &[Diagnostic], file: &str, line: usize, words: &[&str]) {
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].file, file, "{}", d[0]);
    assert_eq!(d[0].line, Some(line), "{}", d[0]);
    for w in words {
        assert!(d[0].message.contains(w), "`{w}` not in: {}", d[0]);
    }
}

#[test]
fn unknown_column_in_a_checks_columns() {
    let d = with_edit(
        "pipelines/checks.yaml",
        "columns: [kommun]",
        "columns: [kommunn]",
    );
    let line = line_of("pipelines/checks.yaml", "id: register.kommun_in_regioner");
    one(
        &d,
        "pipelines/checks.yaml",
        line,
        &["check `register.kommun_in_regioner`", "kommunn"],
    );
}

#[test]
fn unknown_column_in_a_checks_sql() {
    let d = with_edit(
        "pipelines/checks.yaml",
        "WHEN b.forgymn_inrikes_25_64 >",
        "WHEN b.forgymn_25_64 >",
    );
    let line = line_of("pipelines/checks.yaml", "id: bakgrund.within_population");
    one(
        &d,
        "pipelines/checks.yaml",
        line,
        &["check `bakgrund.within_population`", "forgymn_25_64"],
    );
}

#[test]
fn unknown_column_in_a_checks_where() {
    let d = with_edit(
        "pipelines/checks.yaml",
        "where: indikator LIKE '%andel'",
        "where: indikatorn LIKE '%andel'",
    );
    let line = line_of("pipelines/checks.yaml", "id: ind_register.share_0_100");
    one(
        &d,
        "pipelines/checks.yaml",
        line,
        &["check `ind_register.share_0_100`", "indikatorn"],
    );
}

#[test]
fn unknown_column_in_a_model() {
    let from = "SELECT kod AS kommun, overordnad AS lan, kommungrupp\n";
    let d = with_edit(
        "sql/int_kommun.sql",
        from,
        "SELECT kod AS kommun, overordnad AS lan, kommungruppen\n",
    );
    let line = line_of("sql/int_kommun.sql", from.trim_end());
    one(
        &d,
        "sql/int_kommun.sql",
        line,
        &["model `int_kommun`", "kommungruppen"],
    );
}

#[test]
fn union_of_different_column_counts_in_a_model() {
    let from = "SELECT ar, indikator, niva, region, regionnamn, grupp, varde, taljare, namnare, status\nFROM ind_enkat";
    let d = with_edit(
        "sql/ind_indikatorer.sql",
        from,
        "SELECT ar, indikator, niva, region, regionnamn, grupp, varde, taljare, status\nFROM ind_enkat",
    );
    // The diagnostic points at the first UNION of the model.
    let line = line_of("sql/ind_indikatorer.sql", "UNION ALL");
    one(
        &d,
        "sql/ind_indikatorer.sql",
        line,
        &["model `ind_indikatorer`", "UNION"],
    );
}

#[test]
fn unknown_parameter_in_a_model() {
    let from = "    WHERE ar = $year AND niva = 'kommun'";
    let d = with_edit(
        "sql/int_kommun.sql",
        from,
        "    WHERE ar = $yeer AND niva = 'kommun'",
    );
    let line = line_of("sql/int_kommun.sql", from);
    one(
        &d,
        "sql/int_kommun.sql",
        line,
        &["model `int_kommun`", "$yeer"],
    );
}

#[test]
fn the_model_the_disclose_stage_reads_is_missing() {
    let dir = copy_of_project();
    std::fs::remove_file(dir.path().join("sql/ind_indikatorer.sql")).unwrap();
    let d = load_project(dir.path()).unwrap_err().0;
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].file, "sql/ind_indikatorer.sql");
    assert!(
        d[0].message
            .contains("the model `ind_indikatorer` is missing: the disclose stage reads it"),
        "{}",
        d[0]
    );
}

/// The run refuses a window above 5 years (its months are bits of a 64-bit number); validate
/// used to accept up to 10. 5 compiles, 6 is a diagnostic on the parameter's line.
#[test]
fn the_window_parameter_has_the_runs_limit() {
    let from = "very_long_term_window_years: 3";
    assert!(
        with_edit(
            "pipelines/ekonomiskt_bistand.yaml",
            from,
            "very_long_term_window_years: 5"
        )
        .is_empty()
    );
    let d = with_edit(
        "pipelines/ekonomiskt_bistand.yaml",
        from,
        "very_long_term_window_years: 6",
    );
    let line = line_of("pipelines/ekonomiskt_bistand.yaml", from);
    one(
        &d,
        "pipelines/ekonomiskt_bistand.yaml",
        line,
        &["very_long_term_window_years = 6 is outside 1..=5"],
    );
}

/// A contract bound naming a parameter that does not exist names the bound's line and the
/// column where its value starts.
#[test]
fn a_contract_maximum_naming_an_unknown_parameter() {
    let from = "maximum: $ingest.max_belopp_kr_per_household_month";
    let d = with_edit(
        "data-contracts/register.yaml",
        from,
        "maximum: $ingest.max_belopp",
    );
    let line = line_of("data-contracts/register.yaml", from);
    // The value starts after `maximum: `, indented as the file indents it.
    let text =
        std::fs::read_to_string(project_root().join("data-contracts/register.yaml")).unwrap();
    let column = text.lines().nth(line - 1).unwrap().find('$').unwrap() + 1;
    assert_eq!(d.first().and_then(|d| d.column), Some(column), "{d:?}");
    one(
        &d,
        "data-contracts/register.yaml",
        line,
        &[
            "column `belopp_kr`",
            "`$ingest.max_belopp` is not a numeric parameter",
        ],
    );
}

/// The bound is the pipeline's parameter: the compiled contract carries its value.
#[test]
fn the_register_maximum_comes_from_the_pipeline() {
    let p = load_project(project_root()).unwrap();
    let column = p.contracts["register"].column("belopp_kr").unwrap();
    assert_eq!(column.maximum, Some(1_000_000.0));
    assert_eq!(
        column.maximum_parameter.as_deref(),
        Some("ingest.max_belopp_kr_per_household_month")
    );
}
