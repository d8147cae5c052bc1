//! Unit tests of the checks compiler: the project's own file, contract-derived checks, and every
//! problem reported at once with its line, column and hint.

use super::*;

fn project() -> crate::config::Project {
    crate::config::compile_project(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn compile_text(text: &str) -> Result<Checks, Vec<Diagnostic>> {
    let p = project();
    compile(text, &p.pipeline, &p.contracts)
}

#[test]
fn the_projects_checks_compile() {
    let p = project();
    let ingest = p.checks.of(StageId::Ingest);
    assert!(
        ingest
            .iter()
            .any(|c| c.id == "contract.register.unique_household_month")
    );
    assert!(!p.checks.of(StageId::Transform).is_empty());
}

#[test]
fn contract_keys_become_checks() {
    let c = compile_text("contract_checks: warn\ngates: {}\n").unwrap();
    let enkat = c
        .of(StageId::Ingest)
        .iter()
        .find(|c| c.id == "contract.enkat.unique_respondent")
        .unwrap();
    // The survey is staged long, so its key gains the question column.
    assert_eq!(
        enkat.kind,
        Kind::Unique {
            columns: vec!["respondent".into(), "fraga".into()]
        }
    );
    assert_eq!(enkat.severity, Severity::Warn);
    let off = compile_text("contract_checks: 'off'\ngates: {}\n").unwrap();
    assert!(off.of(StageId::Ingest).is_empty());
}

#[test]
fn problems_carry_line_and_hint() {
    let text = "gates:\n  ingest:\n    - id: a\n      kind: nope\n      severity: error\n    - id: b\n      kind: range\n      table: register\n      column: manad\n      severity: fatal\n    - id: c\n      kind: not_null\n      table: nowhere\n      columns: [x]\n      pattern: 'x'\n      severity: warn\n";
    let d = compile_text(text).unwrap_err();
    let msgs: Vec<String> = d.iter().map(|d| d.to_string()).collect();
    let joined = msgs.join("\n");
    assert!(
        joined.contains("pipelines/checks.yaml:4:13: check `a` has unknown kind `nope`"),
        "{joined}"
    );
    assert!(
        joined.contains(":6:11: check `b` (range) needs `min or max`"),
        "{joined}"
    );
    assert!(
        joined.contains(":10:17: check `b`: severity `fatal`"),
        "{joined}"
    );
    assert!(
        joined.contains(":13:14: check `c` reads table `nowhere`"),
        "{joined}"
    );
    assert!(
        joined.contains(":15:7: check `c`: field `pattern` does not apply"),
        "{joined}"
    );
}

#[test]
fn unknown_fields_and_bad_sql_are_reported() {
    let d = compile_text(
        "gates:\n  ingest:\n    - id: a\n      kind: sql\n      severity: error\n      sqll: x\n",
    )
    .unwrap_err();
    assert_eq!(d[0].line, Some(6), "{:?}", d);
    let d = compile_text("gates:\n  ingest:\n    - id: a\n      kind: sql\n      severity: error\n      sql: SELEC * FROM regioner\n").unwrap_err();
    assert!(d[0].message.contains("does not parse"), "{:?}", d);
    let d = compile_text("gates:\n  ingest:\n    - id: a\n      kind: sql\n      severity: error\n      sql: SELECT * FROM elsewhere\n").unwrap_err();
    assert!(d[0].message.contains("`elsewhere`"), "{:?}", d);
}

#[test]
fn every_field_problem_is_reported_at_once() {
    let text = "quarantine_rows: 0
contract_checks: sometimes
tables:
  - name: two
    warehouse: a
    release: b
  - name: register
    warehouse: register
  - name: nope
    staging: not_a_dataset
gates:
  transfrom: []
  ingest:
    - {id: Bad/Id, kind: not_null, table: register, columns: [ar], severity: error}
    - {id: p, kind: pattern, table: register, column: kommun, pattern: '([', severity: error}
    - {id: i, kind: not_null, table: register, columns: [\"A b\"], severity: error}
    - {id: t, kind: not_null, table: register, columns: [ar], severity: error, threshold: {count: 1, percent: 2}}
    - {id: t, kind: not_null, table: register, columns: [ar], severity: error}
    - {id: r, kind: range, table: register, column: manad, min: 12, max: 1, severity: error}
    - {id: c, kind: completeness, table: register, columns: [kommun], expected: {table: regioner, columns: [kod], each: {column: manad, from: 1, to: 12}}, severity: warn}
";
    let d = compile_text(text).unwrap_err();
    let joined: String = d.iter().map(|d| format!("{d}\n")).collect();
    for expected in [
        "quarantine_rows must be at least 1",
        "contract_checks = `sometimes` is not a choice",
        "table `two` must have exactly one of staging, warehouse, release",
        "table `register` is declared twice",
        "table `nope`: `not_a_dataset` is not a dataset of the pipeline",
        "`transfrom` is not a stage",
        "check id `Bad/Id` may only hold a-z, 0-9, _ . -",
        "check `p`: pattern does not compile",
        "column name `A b` is not a plain lowercase identifier",
        "check `t`: threshold needs exactly one of count or percent",
        "check id `t` is used twice in gate ingest",
        "check `r`: min 12 is above max 1",
        "check `c`: columns must match expected.columns (plus expected.each)",
    ] {
        assert!(
            joined.contains(expected),
            "missing `{expected}` in:\n{joined}"
        );
    }
    // Flow-style checks are located by structure too: the duplicate `t` is reported at the
    // second `t` (line 18), at the column of its id's value, not at the first `t` of the text.
    assert!(
        joined.contains("checks.yaml:18:12: check id `t` is used twice"),
        "{joined}"
    );
    // A problem inside a flow mapping points at its value (`[\"A b\"]` item on line 16).
    assert!(
        joined.contains("checks.yaml:16:58: column name `A b`"),
        "{joined}"
    );
}

#[test]
fn thresholds_tolerate() {
    assert!(Threshold::Count(2).tolerates(2, 10));
    assert!(!Threshold::Count(2).tolerates(3, 10));
    // 1 of 200 rows is 0.5 %.
    assert!(Threshold::Percent(0.5).tolerates(1, 200));
    assert!(!Threshold::Percent(0.5).tolerates(2, 200));
}

#[test]
fn a_field_no_kind_takes_is_reported_at_its_key_with_the_kinds_fields() {
    // `sqll` (line 6, key at column 7) is kept by the sql kind as a field it does not take, and
    // reported together with the unknown kind of the second check (line 9, value at column 13).
    let d = compile_text("gates:\n  ingest:\n    - id: a\n      kind: sql\n      severity: error\n      sqll: x\n      sql: SELECT * FROM regioner\n    - id: b\n      kind: nope\n      severity: error\n").unwrap_err();
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!(
        d[0].to_string(),
        "pipelines/checks.yaml:6:7: check `a`: field `sqll` does not apply to kind sql (hint: sql takes: table, where, sql)"
    );
    assert_eq!((d[1].line, d[1].column), (Some(9), Some(13)), "{}", d[1]);
}

#[test]
fn every_kind_takes_the_fields_its_hint_lists() {
    // One sample value per field of any kind; a check of each kind given exactly the fields its
    // hint names must raise no `does not apply` (the hint list and the kind's struct agree).
    let samples = [
        ("table", "register"),
        ("where", "ar > 0"),
        ("columns", "[kommun]"),
        ("column", "kommun"),
        ("values", "[1]"),
        ("pattern", "x"),
        ("min", "1"),
        ("max", "2"),
        ("rule", "ar > 0"),
        ("sql", "SELECT * FROM regioner"),
        ("to", "{table: regioner, columns: [kod]}"),
        ("expected", "{table: regioner, columns: [kod]}"),
        ("parts", "{table: regioner, part: kod, whole: kod}"),
        ("tolerance", "0"),
        ("previous", "register"),
        ("keys", "[kommun]"),
        ("share_when", "ar > 0"),
    ];
    for kind in KINDS.split(", ") {
        let probe =
            format!("gates:\n  ingest:\n    - {{id: a, kind: {kind}, severity: error, zzz: 1}}\n");
        let d = compile_text(&probe).unwrap_err();
        let hint = d
            .iter()
            .find(|d| d.message.contains("field `zzz` does not apply"))
            .and_then(|d| d.hint.clone())
            .unwrap_or_else(|| panic!("{kind}: {d:?}"));
        let fields = hint
            .strip_prefix(&format!("{kind} takes: "))
            .unwrap_or_else(|| panic!("{hint}"));
        let given: Vec<String> = fields
            .split(", ")
            .map(|f| {
                let (_, value) = samples.iter().find(|(n, _)| *n == f).unwrap();
                format!("{f}: {value}")
            })
            .collect();
        let text = format!(
            "gates:\n  ingest:\n    - {{id: a, kind: {kind}, severity: error, {}}}\n",
            given.join(", ")
        );
        if let Err(d) = compile_text(&text) {
            assert!(
                !d.iter().any(|d| d.message.contains("does not apply")),
                "{kind}: {d:?}"
            );
        }
    }
}

#[test]
fn a_wrongly_typed_field_of_a_kind_is_serdes_error_at_its_check() {
    // `min: abc` is no number: serde's error, placed at the check's first key (line 3,
    // column 7), as serde reads a tagged check whole before it picks its kind.
    let d = compile_text("gates:\n  ingest:\n    - id: a\n      kind: range\n      table: register\n      column: manad\n      min: abc\n      severity: error\n").unwrap_err();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].line, d[0].column), (Some(3), Some(7)), "{}", d[0]);
    assert!(d[0].message.contains("invalid type"), "{}", d[0]);
    assert_eq!(
        d[0].hint.as_deref(),
        Some("see the field list in src/config/checks/raw.rs")
    );
}
