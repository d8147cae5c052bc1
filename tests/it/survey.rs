//! Survey indicators: configuration loading and validation (`oj::config::survey`) and the scoring,
//! shares, response rate and staffing of the `sql/` survey models on a small hand-made year.
//! Every expected value is worked out by hand in the comment beside it.

use datafusion::arrow::array::{
    Array, ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use oj::config::survey::{
    Rule, SurveyConfig, SurveyConfigError, check_against_contract, previous_ids,
};
use oj::config::survey_tables::register_tables;
use oj::vocab::AnswerType;
use oj::vocab::IndicatorKind;
use std::sync::Arc;

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/// A small configuration: `gammal_fraga` is dropped after 2019, `individuella_moten` new in 2020,
/// and the social on-call indicator renamed from `enk_jour` to `enk_social_jour` in 2020.
const CONFIG: &str = "\
questions:
  - column: besok_dagar
    text: Dagar till besök
    type: tal
    from: 2018
  - column: socialjour
    text: Social jour?
    type: ja_nej
    from: 2018
  - column: gammal_fraga
    text: Fråga som slutade ställas 2019
    type: ja_nej
    from: 2018
    to: 2019
  - column: individuella_moten
    text: Individuella möten
    type: helt_delvis
    from: 2020
  - column: handlaggare_ars
    text: Årsarbetare
    type: tal
    from: 2018
indicators:
  - id: enk_svarsfrekvens
    namn: Svarsfrekvens
    rule: response_rate
    from: 2018
  - id: enk_besok
    namn: Besök inom 14 dagar
    question: besok_dagar
    rule: at_most
    threshold: 14
  - id: enk_jour
    namn: Social jour
    question: socialjour
    to: 2019
  - id: enk_social_jour
    namn: Social jour efter kontorstid
    question: socialjour
    from: 2020
    replaces: enk_jour
  - id: enk_gammal
    namn: Gammal
    question: gammal_fraga
  - id: enk_moten
    namn: Individuella möten
    question: individuella_moten
  - id: enk_hushall_per_handlaggare
    namn: Hushåll per handläggare
    question: handlaggare_ars
    rule: households_per_case_worker
";

fn config() -> SurveyConfig {
    SurveyConfig::from_yaml("enkat.yaml", CONFIG).expect("test configuration compiles")
}

fn ids(config: &SurveyConfig, year: i64) -> Vec<String> {
    config
        .indicators_for_year(year)
        .into_iter()
        .map(|i| i.id.clone())
        .collect()
}

#[test]
fn project_configuration_compiles_and_adds_individual_meetings_in_2020() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(oj::config::survey::CONFIG_PATH);
    let config = SurveyConfig::load(&path).expect("pipelines/enkat.yaml compiles");
    // The lead's list: 21 questions, individuella_moten from 2020.
    assert_eq!(config.columns_for_year(2019).len(), 20);
    assert_eq!(config.columns_for_year(2020).len(), 21);
    let ids2019 = ids(&config, 2019);
    let ids2020 = ids(&config, 2020);
    assert!(
        !ids2019
            .iter()
            .any(|i| i.starts_with("enk_individuella_moten"))
    );
    assert!(ids2020.contains(&"enk_individuella_moten_helt".to_string()));
    assert!(ids2020.contains(&"enk_individuella_moten_helt_delvis".to_string()));
    // 18 ja_nej + 1 at_most + response rate + 3 staffing ids = 23 in 2019; +2 helt_delvis in 2020.
    assert_eq!(ids2019.len(), 23);
    assert_eq!(ids2020.len(), 25);
    assert!(check_against_contract(&config, &["respondent", "inkommen"]).is_empty());
}

#[test]
fn project_configuration_loads_from_the_compiled_project() {
    let project = oj::pipeline::load_project(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
        .expect("project compiles");
    let config = SurveyConfig::from_project(&project).expect("survey configuration compiles");
    assert_eq!(config.file(), "pipelines/enkat.yaml");
    assert_eq!(config.columns_for_year(2020).len(), 21);
}

#[test]
fn project_without_survey_configuration_is_reported() {
    let dir = super::fixtures::copy_of_project();
    std::fs::remove_file(dir.path().join("pipelines/enkat.yaml")).expect("remove enkat.yaml");
    // The project compile reports the missing survey configuration like any other problem.
    let diagnostics = oj::pipeline::load_project(dir.path()).unwrap_err().0;
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].file, "pipelines/enkat.yaml");
    assert_eq!(
        diagnostics[0].message,
        "the survey configuration is missing"
    );
}

#[test]
fn question_sets_follow_the_years() {
    let c = config();
    assert_eq!(
        c.columns_for_year(2019),
        [
            "besok_dagar",
            "socialjour",
            "gammal_fraga",
            "handlaggare_ars"
        ]
    );
    assert_eq!(
        c.columns_for_year(2020),
        [
            "besok_dagar",
            "socialjour",
            "individuella_moten",
            "handlaggare_ars"
        ]
    );
    assert_eq!(
        c.answer_type(2020, "Individuella_Moten "),
        Some(AnswerType::HeltDelvis)
    );
    assert_eq!(c.answer_type(2020, "gammal_fraga"), None);
    assert_eq!(c.questions_for_year(2017).len(), 0);
}

#[test]
fn indicators_expand_per_answer_type_and_year() {
    let c = config();
    assert_eq!(
        ids(&c, 2019),
        [
            "enk_svarsfrekvens",
            "enk_besok",
            "enk_jour",
            "enk_gammal",
            "enk_hushall_per_handlaggare",
            "enk_hushall_per_handlaggare_min",
            "enk_hushall_per_handlaggare_max",
        ]
    );
    assert_eq!(
        ids(&c, 2020),
        [
            "enk_svarsfrekvens",
            "enk_besok",
            "enk_social_jour",
            "enk_moten_helt",
            "enk_moten_helt_delvis",
            "enk_hushall_per_handlaggare",
            "enk_hushall_per_handlaggare_min",
            "enk_hushall_per_handlaggare_max",
        ]
    );
    let year = c.indicators_for_year(2020);
    let helt_delvis = year
        .iter()
        .find(|i| i.id == "enk_moten_helt_delvis")
        .expect("expanded");
    assert_eq!(
        helt_delvis.namn,
        "Individuella möten – helt eller delvis, %"
    );
    assert_eq!(helt_delvis.kind, IndicatorKind::Andel);
    assert_eq!(
        helt_delvis.rule,
        Rule::Answer {
            question: "individuella_moten".into(),
            fulfilled: vec!["Helt", "Delvis"]
        }
    );
    let besok = year.iter().find(|i| i.id == "enk_besok").expect("besok");
    assert_eq!(besok.rule.threshold(), Some(14.0));
    assert_eq!(besok.taljare, "Svarande som angett högst 14");
    let kvot = year
        .iter()
        .find(|i| i.id == "enk_hushall_per_handlaggare")
        .expect("kvot");
    assert_eq!(kvot.kind.name(), "kvot");
    assert!(kvot.namnare.is_some());
    let max = year
        .iter()
        .find(|i| i.id == "enk_hushall_per_handlaggare_max")
        .expect("max");
    assert_eq!(max.levels(), ["lan"]);
}

#[test]
fn renamed_indicator_maps_to_its_previous_id_only_in_its_first_year() {
    let c = config();
    // enk_social_jour starts 2020 and replaces enk_jour (2018–2019).
    assert_eq!(
        previous_ids(&c, 2020),
        [("enk_social_jour".to_string(), "enk_jour".to_string())]
    );
    // In 2021 the previous year's id is enk_social_jour itself; enk_moten_* (new in 2020) has no
    // mapping in 2020: it is simply absent from the 2019 release.
    assert!(previous_ids(&c, 2021).is_empty());
    assert!(previous_ids(&c, 2019).is_empty());
}

#[test]
fn renamed_helt_delvis_indicator_maps_each_expanded_id() {
    let text = "\
questions:
  - column: moten
    text: m
    type: helt_delvis
    from: 2018
indicators:
  - id: enk_a
    namn: A
    question: moten
    to: 2019
  - id: enk_b
    namn: B
    question: moten
    from: 2020
    replaces: enk_a
";
    let c = SurveyConfig::from_yaml("e.yaml", text).expect("compiles");
    assert_eq!(
        previous_ids(&c, 2020),
        [
            ("enk_b_helt".to_string(), "enk_a_helt".to_string()),
            (
                "enk_b_helt_delvis".to_string(),
                "enk_a_helt_delvis".to_string()
            )
        ]
    );
}

/// The diagnostics of an invalid configuration as `(line, message)`.
fn problems(text: &str) -> Vec<(usize, String)> {
    match SurveyConfig::from_yaml("enkat.yaml", text) {
        Err(SurveyConfigError::Invalid(d)) => d
            .into_iter()
            .map(|d| {
                assert_eq!(d.file, "enkat.yaml");
                assert!(d.hint.as_deref().is_some_and(|h| !h.is_empty()));
                (d.line.expect("every diagnostic has a line"), d.message)
            })
            .collect(),
        other => panic!("expected diagnostics, got {other:?}"),
    }
}

const ONE_QUESTION: &str = "\
questions:
  - column: jour
    text: j
    type: ja_nej
    from: 2018
";

#[test]
fn unknown_answer_type_is_reported_at_its_line() {
    let text = "\
questions:
  - column: jour
    text: j
    type: ja_nej_kanske
    from: 2018
indicators: []
";
    let p = problems(text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, 4);
    assert!(
        p[0].1.contains("unknown answer type `ja_nej_kanske`"),
        "{p:?}"
    );
}

#[test]
fn duplicate_column_is_reported_at_the_second_entry() {
    let text = format!(
        "{ONE_QUESTION}  - column: jour\n    text: k\n    type: ja_nej\n    from: 2019\nindicators: []\n"
    );
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, 6);
    assert!(p[0].1.contains("duplicate question column `jour`"), "{p:?}");
    assert!(p[0].1.contains("line 2"), "{p:?}");
}

#[test]
fn indicator_on_unknown_question_is_reported_at_the_question_key() {
    let text =
        format!("{ONE_QUESTION}indicators:\n  - id: enk_x\n    namn: X\n    question: jourr\n");
    let p = problems(&text);
    assert_eq!(
        p,
        [(
            9,
            "indicator `enk_x` uses unknown question `jourr`".to_string()
        )]
    );
}

#[test]
fn threshold_on_a_non_tal_question_is_reported() {
    let text = format!(
        "{ONE_QUESTION}indicators:\n  - id: enk_x\n    namn: X\n    question: jour\n    threshold: 14\n"
    );
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, 10);
    assert!(
        p[0].1
            .contains("has a threshold but its question `jour` is of type ja_nej")
    );
}

#[test]
fn overlapping_years_of_one_indicator_id_are_reported() {
    // Lines 7–10: enk_x 2018– (inherits the question's years); lines 11–14: enk_x again from 2019.
    let text = format!(
        "{ONE_QUESTION}indicators:\n  - id: enk_x\n    namn: X\n    question: jour\n    to: 2019\n  - id: enk_x\n    namn: X2\n    question: jour\n    from: 2019\n"
    );
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, 11);
    assert!(
        p[0].1
            .contains("`enk_x` is defined for 2019– here and for 2018–2019 on line 7"),
        "{p:?}"
    );
}

#[test]
fn to_before_from_is_reported_at_the_to_key() {
    let text = "\
questions:
  - column: jour
    text: j
    type: ja_nej
    from: 2018
    to: 2017
indicators: []
";
    let p = problems(text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, 6);
    assert!(p[0].1.contains("to = 2017 before from = 2018"));
}

#[test]
fn indicator_outside_its_question_years_is_reported() {
    let text = format!(
        "{ONE_QUESTION}indicators:\n  - id: enk_x\n    namn: X\n    question: jour\n    from: 2016\n"
    );
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, 7);
    assert!(
        p[0].1
            .contains("published 2016– but its question `jour` is asked only 2018–")
    );
}

#[test]
fn replaces_must_name_an_indicator_ending_the_year_before() {
    // enk_old ends 2018, but enk_new starts 2020: the previous year 2019 had no enk_old.
    let text = format!(
        "{ONE_QUESTION}indicators:\n  - id: enk_old\n    namn: O\n    question: jour\n    to: 2018\n  - id: enk_new\n    namn: N\n    question: jour\n    from: 2020\n    replaces: enk_old\n"
    );
    let p = problems(&text);
    assert_eq!(
        p,
        [(
            15,
            "indicator `enk_new` replaces `enk_old`, but no indicator `enk_old` ends in 2019"
                .to_string()
        )]
    );
}

#[test]
fn unknown_rule_and_tal_without_rule_are_reported() {
    let text = "\
questions:
  - column: dagar
    text: d
    type: tal
    from: 2018
indicators:
  - id: enk_a
    namn: A
    question: dagar
  - id: enk_b
    namn: B
    question: dagar
    rule: at_least
";
    let p = problems(text);
    assert_eq!(p.len(), 2, "{p:?}");
    assert_eq!(p[0].0, 7);
    assert!(
        p[0].1
            .contains("scores the tal question `dagar` without a rule")
    );
    assert_eq!(p[1].0, 13);
    assert!(p[1].1.contains("unknown rule `at_least`"));
}

#[test]
fn invalid_column_name_is_reported() {
    let text = "questions:\n  - column: Social-jour\n    text: j\n    type: ja_nej\n    from: 2018\nindicators: []\n";
    let p = problems(text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, 2);
    assert!(p[0].1.contains("`Social-jour` is not a valid column name"));
}

#[test]
fn indicator_id_without_enk_prefix_and_indicator_without_question_are_reported() {
    // Lines 7–8: id jour (no enk_ prefix); lines 9–10: enk_y names no question.
    let text = format!(
        "{ONE_QUESTION}indicators:\n  - id: jour\n    namn: J\n    question: jour\n  - id: enk_y\n    namn: Y\n"
    );
    let p = problems(&text);
    assert_eq!(p.len(), 2, "{p:?}");
    assert_eq!(p[0].0, 7);
    assert!(p[0].1.contains("`jour` is not a survey indicator id"));
    assert_eq!(p[1].0, 10);
    assert!(p[1].1.contains("`enk_y` names no question"));
}

#[test]
fn rule_that_does_not_fit_the_question_type_is_reported() {
    // households_per_case_worker needs a tal question; jour is ja_nej.
    let text = format!(
        "{ONE_QUESTION}indicators:\n  - id: enk_x\n    namn: X\n    question: jour\n    rule: households_per_case_worker\n"
    );
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, 10);
    assert!(
        p[0].1
            .contains("rule households_per_case_worker but its question `jour` is of type ja_nej")
    );
}

#[test]
fn threshold_outside_rule_at_most_and_at_most_without_threshold_are_reported() {
    let text = "\
questions:
  - column: fte
    text: f
    type: tal
    from: 2018
indicators:
  - id: enk_a
    namn: A
    question: fte
    rule: households_per_case_worker
    threshold: 3
  - id: enk_b
    namn: B
    question: fte
    rule: at_most
";
    let p = problems(text);
    assert_eq!(p.len(), 2, "{p:?}");
    assert_eq!(p[0].0, 11);
    assert!(
        p[0].1
            .contains("`enk_a` (rule households_per_case_worker) has a threshold")
    );
    assert_eq!(p[1].0, 15);
    assert!(p[1].1.contains("`enk_b` has rule at_most but no threshold"));
}

#[test]
fn response_rate_with_question_threshold_or_without_from_is_reported() {
    let text = format!(
        "{ONE_QUESTION}indicators:\n  - id: enk_s\n    namn: S\n    rule: response_rate\n    question: jour\n    threshold: 1\n    from: 2018\n  - id: enk_t\n    namn: T\n    rule: response_rate\n"
    );
    let p = problems(&text);
    let lines: Vec<usize> = p.iter().map(|(l, _)| *l).collect();
    // question (line 10), threshold (11), enk_t without from (13).
    assert_eq!(lines, [10, 11, 13], "{p:?}");
    assert!(
        p[2].1
            .contains("`enk_t` (rule response_rate) has no `from`")
    );
}

#[test]
fn replaces_with_a_different_shape_is_reported() {
    // enk_old (ja_nej, one id) cannot be the previous id of enk_new (helt_delvis, two ids).
    let text = "\
questions:
  - column: jour
    text: j
    type: ja_nej
    from: 2018
    to: 2019
  - column: moten
    text: m
    type: helt_delvis
    from: 2020
indicators:
  - id: enk_old
    namn: O
    question: jour
  - id: enk_new
    namn: N
    question: moten
    replaces: enk_old
";
    let p = problems(text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, 18);
    assert!(
        p[0].1
            .contains("replaces `enk_old` (line 12), which is published in a different shape")
    );
}

#[test]
fn all_problems_are_reported_at_once_with_their_lines() {
    let text = "\
questions:
  - column: jour
    text: j
    type: janej
    from: 2018
  - column: jour
    text: j2
    type: ja_nej
    from: 2018
  - column: dagar
    text: d
    type: tal
    from: 2019
    to: 2018
  - column: besok
    text: b
    type: tal
    from: 2018
indicators:
  - id: enk_a
    namn: A
    question: saknas
  - id: enk_b
    namn: B
    question: besok
    rule: at_most
    threshold: 14
  - id: enk_b
    namn: B igen
    question: besok
    rule: at_most
    threshold: 10
";
    let p = problems(text);
    let lines: Vec<usize> = p.iter().map(|(l, _)| *l).collect();
    // type janej (line 4), duplicate jour (6), dagar to < from (14), unknown question (22),
    // and enk_b twice for the same years (28, pointing at line 23).
    assert_eq!(lines, [4, 6, 14, 22, 28], "{p:?}");
    let rendered = SurveyConfigError::Invalid(match SurveyConfig::from_yaml("enkat.yaml", text) {
        Err(SurveyConfigError::Invalid(d)) => d,
        other => panic!("{other:?}"),
    })
    .to_string();
    assert!(rendered.starts_with("5 problem(s) in the survey configuration:"));
    // Line 4, column 11: the value after `    type: `.
    assert!(rendered.contains("enkat.yaml:4:11: question `jour` has unknown answer type `janej` (hint: use ja_nej, helt_delvis or tal)"), "{rendered}");
}

#[test]
fn unknown_key_is_a_yaml_error_with_its_line() {
    let text = "questions:\n  - column: jour\n    text: j\n    typ: ja_nej\n    from: 2018\nindicators: []\n";
    match SurveyConfig::from_yaml("enkat.yaml", text) {
        Err(e @ SurveyConfigError::Yaml(_)) => {
            // `typ:` is on line 4; as a diagnostic for `oj validate` too.
            let d = e.diagnostics();
            assert_eq!(d.len(), 1);
            assert_eq!((d[0].file.as_str(), d[0].line), ("enkat.yaml", Some(4)));
            assert!(d[0].message.contains("typ"), "{e}");
        }
        other => panic!("expected a YAML error, got {other:?}"),
    }
}

#[test]
fn missing_file_is_a_read_error() {
    let err = SurveyConfig::load(std::path::Path::new("/nonexistent/enkat.yaml")).unwrap_err();
    assert!(matches!(err, SurveyConfigError::Read { .. }));
    assert_eq!(err.diagnostics()[0].file, "/nonexistent/enkat.yaml");
}

#[test]
fn question_column_colliding_with_a_contract_column_is_reported() {
    let text = "\
questions:
  - column: inkommen
    text: i
    type: tal
    from: 2018
indicators: []
";
    let c = SurveyConfig::from_yaml("enkat.yaml", text).expect("compiles");
    let d = check_against_contract(&c, &["respondent", "Inkommen"]);
    assert_eq!(d.len(), 1);
    // Line 2, column 13: the value after `  - column: `.
    assert_eq!((d[0].line, d[0].column), (Some(2), Some(13)));
    assert!(
        d[0].to_string().starts_with(
            "enkat.yaml:2:13: question column `inkommen` has the name of a fixed column"
        )
    );
}

// ---------------------------------------------------------------------------------------------
// SQL models on a hand-made year
// ---------------------------------------------------------------------------------------------

/// The survey models in dependency order (until the transform runner orders them).
const MODELS: [&str; 12] = [
    "int_bortfall",
    "int_hushall_plats",
    "int_kommun",
    "int_region_tillhorighet",
    "int_hushall_region_ar",
    "int_enkat_respondenter",
    "int_enkat_medlemskap",
    "stg_enkat_svar",
    "int_enkat_ogiltiga_svar",
    "int_enkat_poang",
    "int_enkat_hushall",
    "ind_enkat",
];

fn texts(values: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

fn ints(values: &[i64]) -> ArrayRef {
    Arc::new(Int64Array::from(values.to_vec()))
}

fn register(ctx: &SessionContext, name: &str, columns: Vec<(&str, ArrayRef)>) {
    let batch =
        RecordBatch::try_from_iter_with_nullable(columns.into_iter().map(|(n, a)| (n, a, true)))
            .expect("batch");
    let table = MemTable::try_new(batch.schema(), vec![vec![batch]]).expect("table");
    ctx.register_table(name, Arc::new(table)).expect("register");
}

/// niva, kod, namn, overordnad, kommungrupp, enkat_respondent.
type RegionRow = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    i64,
);

/// Geography of the test year:
/// riket 00; län 01 (Stockholm 0180 answered by stadsdelar 018001, 018002; Upplands Väsby 0114),
/// 03 (Håbo 0305, Uppsala 0380), 04 (Vingåker 0428, Gnesta 0461).
fn regioner(ctx: &SessionContext, year: i64) {
    #[rustfmt::skip]
    let rows: [RegionRow; 12] = [
        ("riket", "00", "Riket", None, None, 0),
        ("lan", "01", "Stockholms län", Some("00"), None, 0),
        ("lan", "03", "Uppsala län", Some("00"), None, 0),
        ("lan", "04", "Södermanlands län", Some("00"), None, 0),
        ("kommun", "0180", "Stockholm", Some("01"), Some("A1"), 0),
        ("stadsdel", "018001", "Rinkeby-Kista", Some("0180"), None, 1),
        ("stadsdel", "018002", "Spånga-Tensta", Some("0180"), None, 1),
        ("kommun", "0114", "Upplands Väsby", Some("01"), Some("A2"), 1),
        ("kommun", "0305", "Håbo", Some("03"), Some("B4"), 1),
        ("kommun", "0380", "Uppsala", Some("03"), Some("B3"), 1),
        ("kommun", "0428", "Vingåker", Some("04"), Some("C8"), 1),
        ("kommun", "0461", "Gnesta", Some("04"), Some("C8"), 1),
    ];
    register(
        ctx,
        "regioner",
        vec![
            ("ar", ints(&[year; 12])),
            ("niva", texts(&rows.map(|r| Some(r.0)))),
            ("kod", texts(&rows.map(|r| Some(r.1)))),
            ("namn", texts(&rows.map(|r| Some(r.2)))),
            ("overordnad", texts(&rows.map(|r| r.3))),
            ("kommungrupp", texts(&rows.map(|r| r.4))),
            ("enkat_respondent", ints(&rows.map(|r| r.5))),
        ],
    );
}

/// Population 31 Dec: Stockholm 199 000 (stadsdel rows 120 000 + 79 000 must not be added:
/// 50000-199999, not >=200000), Upplands Väsby 45 000 (15000-49999), Håbo 7 000 + 7 999 = 14 999
/// (<15000), Uppsala 230 000 (>=200000), Vingåker 8 900 (<15000), Gnesta 15 000 (15000-49999).
fn befolkning(ctx: &SessionContext, year: i64) {
    let rows: [(&str, i64, i64); 9] = [
        ("0180", 1, 199_000),
        ("018001", 1, 120_000),
        ("018002", 1, 79_000),
        ("0114", 1, 45_000),
        ("0305", 1, 7_000),
        ("0305", 2, 7_999),
        ("0380", 2, 230_000),
        ("0428", 2, 8_900),
        ("0461", 1, 15_000),
    ];
    register(
        ctx,
        "befolkning",
        vec![
            ("ar", ints(&[year; 9])),
            ("region", texts(&rows.map(|r| Some(r.0)))),
            ("kon", ints(&rows.map(|r| r.1))),
            ("alder", ints(&[40; 9])),
            ("utrikes_fodd", ints(&[0; 9])),
            ("antal", ints(&rows.map(|r| r.2))),
        ],
    );
}

/// Register: every kommun sends a nil report (belopp 0) every month, except `missing_december`,
/// whose December is missing (bortfall). Paid households:
/// - 018001 (Stockholm district 01): H1 paid months 1–12, H2 paid 1–6 and nil 7–12
///   → (12 + 6) / 12 = 1.5 households per month;
/// - 018002: H3 paid 1–12 → 1.0; Stockholm without district: H9 paid month 1 (kommun only);
/// - 0114: H4, H5 paid 1–12, H6 paid 1–3 → (12 + 12 + 3) / 12 = 2.25;
/// - 0305: H7 paid 1–12 → 1.0; 0380: H8 paid 1–12, H10 paid 1–6 → 1.5.
fn register_rows(ctx: &SessionContext, year: i64, missing_december: Option<&str>) {
    let mut rows: Vec<(i64, &str, Option<&str>, String, i64)> = Vec::new();
    for manad in 1..=12 {
        for kommun in ["0180", "0114", "0305", "0380", "0428", "0461"] {
            rows.push((manad, kommun, None, format!("nil{kommun}"), 0));
        }
        let paid = |months: i64| if manad <= months { 5_000 } else { 0 };
        rows.push((manad, "0180", Some("01"), "H1".into(), 5_000));
        rows.push((manad, "0180", Some("01"), "H2".into(), paid(6)));
        rows.push((manad, "0180", Some("02"), "H3".into(), 5_000));
        rows.push((manad, "0114", None, "H4".into(), 5_000));
        rows.push((manad, "0114", None, "H5".into(), 5_000));
        rows.push((manad, "0114", None, "H6".into(), paid(3)));
        rows.push((manad, "0305", None, "H7".into(), 5_000));
        rows.push((manad, "0380", None, "H8".into(), 5_000));
        rows.push((manad, "0380", None, "H10".into(), paid(6)));
        if manad == 1 {
            rows.push((manad, "0180", None, "H9".into(), 5_000));
        }
    }
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| !(r.0 == 12 && missing_december == Some(r.1)))
        .collect();
    let n = rows.len();
    let ids: Vec<Option<&str>> = rows.iter().map(|r| Some(r.3.as_str())).collect();
    register(
        ctx,
        "register",
        vec![
            ("ar", ints(&vec![year; n])),
            ("manad", ints(&rows.iter().map(|r| r.0).collect::<Vec<_>>())),
            (
                "kommun",
                texts(&rows.iter().map(|r| Some(r.1)).collect::<Vec<_>>()),
            ),
            (
                "distrikt",
                texts(&rows.iter().map(|r| r.2).collect::<Vec<_>>()),
            ),
            ("hushall_id", texts(&ids)),
            ("barn_under_16", ints(&vec![0; n])),
            (
                "belopp_kr",
                ints(&rows.iter().map(|r| r.4).collect::<Vec<_>>()),
            ),
        ],
    );
}

/// Answers of the test year 2020 (long). Returned: 018001, 018002, 0114, 0305, 0380. Vingåker 0428
/// sent a form without inkommen (not returned: its answers must be ignored); Gnesta 0461 is absent.
///
/// | resp   | besok_dagar | socialjour | individuella_moten | handlaggare_ars |
/// |--------|-------------|------------|--------------------|-----------------|
/// | 018001 | 14          | Ja         | Helt               | 12,5            |
/// | 018002 | 15          | Nej        | Delvis             | 0               |
/// | 0114   | 7,5         | Vet ej     | Inte alls          | 4               |
/// | 0305   | (blank)     | Ja         | Vet ej             | två (invalid)   |
/// | 0380   | "  3 "      | Ja         | Ja (invalid)       | 10              |
/// | 0428   | 1           | Ja         | Helt               | 5   (not returned) |
#[rustfmt::skip]
const ANSWERS_2020: [(&str, bool, &str, Option<&str>); 24] = [
    ("018001", true, "besok_dagar", Some("14")),
    ("018001", true, "socialjour", Some("Ja")),
    ("018001", true, "individuella_moten", Some("Helt")),
    ("018001", true, "handlaggare_ars", Some("12,5")),
    ("018002", true, "besok_dagar", Some("15")),
    ("018002", true, "socialjour", Some("Nej")),
    ("018002", true, "individuella_moten", Some("Delvis")),
    ("018002", true, "handlaggare_ars", Some("0")),
    ("0114", true, "besok_dagar", Some("7,5")),
    ("0114", true, "socialjour", Some("Vet ej")),
    ("0114", true, "individuella_moten", Some("Inte alls")),
    ("0114", true, "handlaggare_ars", Some("4")),
    ("0305", true, "besok_dagar", None),
    ("0305", true, "socialjour", Some("Ja")),
    ("0305", true, "individuella_moten", Some("Vet ej")),
    ("0305", true, "handlaggare_ars", Some("två")),
    ("0380", true, "besok_dagar", Some("  3 ")),
    ("0380", true, "socialjour", Some("Ja")),
    ("0380", true, "individuella_moten", Some("Ja")),
    ("0380", true, "handlaggare_ars", Some("10")),
    ("0428", false, "besok_dagar", Some("1")),
    ("0428", false, "socialjour", Some("Ja")),
    ("0428", false, "individuella_moten", Some("Helt")),
    ("0428", false, "handlaggare_ars", Some("5")),
];

fn enkat(ctx: &SessionContext, year: i64, answers: &[(&str, bool, &str, Option<&str>)]) {
    let n = answers.len();
    // 2020-03-01 = day 18 322 since 1970-01-01.
    let inkommen: Vec<Option<i32>> = answers.iter().map(|a| a.1.then_some(18_322)).collect();
    register(
        ctx,
        "enkat",
        vec![
            ("ar", ints(&vec![year; n])),
            (
                "respondent",
                texts(&answers.iter().map(|a| Some(a.0)).collect::<Vec<_>>()),
            ),
            ("inkommen", Arc::new(Date32Array::from(inkommen))),
            (
                "fraga",
                texts(&answers.iter().map(|a| Some(a.2)).collect::<Vec<_>>()),
            ),
            (
                "svar",
                texts(&answers.iter().map(|a| a.3).collect::<Vec<_>>()),
            ),
        ],
    );
}

/// Registers the base tables and the configuration tables, then runs the models in order, each
/// result registered under its file stem.
async fn run(
    year: i64,
    answers: &[(&str, bool, &str, Option<&str>)],
    missing_december: Option<&str>,
) -> SessionContext {
    run_with(&config(), year, answers, missing_december).await
}

async fn run_with(
    config: &SurveyConfig,
    year: i64,
    answers: &[(&str, bool, &str, Option<&str>)],
    missing_december: Option<&str>,
) -> SessionContext {
    let ctx = SessionContext::new();
    regioner(&ctx, year);
    befolkning(&ctx, year);
    register_rows(&ctx, year, missing_december);
    enkat(&ctx, year, answers);
    register_tables(&ctx, config, year).expect("configuration tables");
    for model in MODELS {
        let path = format!("{}/sql/{model}.sql", env!("CARGO_MANIFEST_DIR"));
        let sql = std::fs::read_to_string(&path).expect("model file");
        let df = ctx
            .sql(&sql)
            .await
            .unwrap_or_else(|e| panic!("{model}: {e}"))
            .with_param_values(vec![
                ("year", ScalarValue::Int64(Some(year))),
                ("very_long_term_window_years", ScalarValue::Int64(Some(3))),
            ])
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        let schema = df.schema().inner().clone();
        let batches = df
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        // The planned schema, as a runner writing the model would use it: the batches must match.
        let table = MemTable::try_new(schema, vec![batches])
            .unwrap_or_else(|e| panic!("{model}: batches do not match the planned schema: {e}"));
        ctx.register_table(model, Arc::new(table))
            .expect("register model");
    }
    ctx
}

#[derive(Debug, Clone, PartialEq)]
struct Row {
    indikator: String,
    niva: String,
    region: String,
    regionnamn: String,
    varde: Option<f64>,
    taljare: Option<f64>,
    namnare: Option<f64>,
    status: String,
}

fn column(batch: &RecordBatch, name: &str) -> ArrayRef {
    batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("column {name}"))
        .clone()
}

fn strings(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let a = cast(&column(batch, name), &DataType::Utf8).expect("cast");
    let a = a.as_any().downcast_ref::<StringArray>().expect("utf8");
    (0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value(i).to_string()))
        .collect()
}

fn floats(batch: &RecordBatch, name: &str) -> Vec<Option<f64>> {
    let a = column(batch, name);
    let a = a.as_any().downcast_ref::<Float64Array>().expect("float64");
    (0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value(i)))
        .collect()
}

async fn indicator_rows(ctx: &SessionContext) -> Vec<Row> {
    let batches = ctx
        .table("ind_enkat")
        .await
        .expect("ind_enkat")
        .collect()
        .await
        .expect("collect");
    let mut rows = Vec::new();
    for b in &batches {
        let s = |n| strings(b, n);
        let (ind, niva, region, namn, grupp, status) = (
            s("indikator"),
            s("niva"),
            s("region"),
            s("regionnamn"),
            s("grupp"),
            s("status"),
        );
        let (varde, taljare, namnare) = (
            floats(b, "varde"),
            floats(b, "taljare"),
            floats(b, "namnare"),
        );
        for i in 0..b.num_rows() {
            assert_eq!(grupp[i].as_deref(), Some("totalt"));
            rows.push(Row {
                indikator: ind[i].clone().expect("indikator"),
                niva: niva[i].clone().expect("niva"),
                region: region[i].clone().expect("region"),
                regionnamn: namn[i].clone().expect("regionnamn"),
                varde: varde[i],
                taljare: taljare[i],
                namnare: namnare[i],
                status: status[i].clone().expect("status"),
            });
        }
    }
    rows
}

fn find<'a>(rows: &'a [Row], indikator: &str, niva: &str, region: &str) -> &'a Row {
    let found: Vec<&Row> = rows
        .iter()
        .filter(|r| r.indikator == indikator && r.niva == niva && r.region == region)
        .collect();
    assert_eq!(found.len(), 1, "{indikator} {niva} {region}: {found:?}");
    found[0]
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

/// Asserts a computed row: value, numerator, denominator (None = expected null), status ''.
#[track_caller]
fn assert_value(rows: &[Row], key: (&str, &str, &str), varde: f64, t: Option<f64>, n: Option<f64>) {
    let r = find(rows, key.0, key.1, key.2);
    assert_eq!(r.status, "", "{r:?}");
    assert!(close(r.varde, varde), "{r:?}, expected {varde}");
    assert_eq!(r.taljare.is_some(), t.is_some(), "{r:?}");
    assert_eq!(r.namnare.is_some(), n.is_some(), "{r:?}");
    if let Some(t) = t {
        assert!(close(r.taljare, t), "{r:?}, expected taljare {t}");
    }
    if let Some(n) = n {
        assert!(close(r.namnare, n), "{r:?}, expected namnare {n}");
    }
}

/// Asserts a missing row: status '-', value, numerator and denominator null.
#[track_caller]
fn assert_missing(rows: &[Row], key: (&str, &str, &str)) {
    let r = find(rows, key.0, key.1, key.2);
    assert_eq!(
        (r.status.as_str(), r.varde, r.taljare, r.namnare),
        ("-", None, None, None),
        "{r:?}"
    );
}

#[tokio::test]
async fn ind_enkat_has_the_shared_indicator_row_schema() {
    let ctx = run(2020, &ANSWERS_2020, None).await;
    let df = ctx.table("ind_enkat").await.expect("ind_enkat");
    let fields: Vec<(String, DataType)> = df
        .schema()
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().clone()))
        .collect();
    let s = |n: &str, t: DataType| (n.to_string(), t);
    assert_eq!(
        fields,
        [
            s("ar", DataType::Int64),
            s("indikator", DataType::Utf8),
            s("niva", DataType::Utf8),
            s("region", DataType::Utf8),
            s("regionnamn", DataType::Utf8),
            s("grupp", DataType::Utf8),
            s("varde", DataType::Float64),
            s("taljare", DataType::Float64),
            s("namnare", DataType::Float64),
            s("status", DataType::Utf8),
        ]
    );
    // Unique on (indikator, niva, region, grupp).
    let rows = indicator_rows(&ctx).await;
    let mut keys: Vec<_> = rows
        .iter()
        .map(|r| (r.indikator.clone(), r.niva.clone(), r.region.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), rows.len());
    // A value is null exactly when the status is not ''.
    assert!(
        rows.iter()
            .all(|r| r.varde.is_some() == r.status.is_empty())
    );
}

#[tokio::test]
async fn ja_nej_scores_per_respondent_with_vet_ej_as_not_fulfilled() {
    let rows = indicator_rows(&run(2020, &ANSWERS_2020, None).await).await;
    let k = "enk_social_jour";
    // Ja → 1; Nej → 0; Vet ej → 0; respondent rows carry no taljare/namnare.
    assert_value(&rows, (k, "stadsdel", "018001"), 1.0, None, None);
    assert_value(&rows, (k, "stadsdel", "018002"), 0.0, None, None);
    assert_value(&rows, (k, "kommun", "0114"), 0.0, None, None);
    assert_value(&rows, (k, "kommun", "0305"), 1.0, None, None);
    assert_eq!(
        find(&rows, k, "stadsdel", "018001").regionnamn,
        "Rinkeby-Kista"
    );
    // Vingåker's form has inkommen null: '-' although it holds a Ja; Gnesta is absent: '-'.
    assert_missing(&rows, (k, "kommun", "0428"));
    assert_missing(&rows, (k, "kommun", "0461"));
}

#[tokio::test]
async fn stockholm_is_answered_by_its_stadsdelar_not_as_a_kommun() {
    let rows = indicator_rows(&run(2020, &ANSWERS_2020, None).await).await;
    assert!(
        !rows.iter().any(|r| r.region == "0180"),
        "Stockholm has no rows of its own"
    );
    // The two districts count in Stockholms län, kommungrupp A1 and Stockholm's storleksklass
    // 50000-199999 (199 000 inhabitants; the stadsdel population rows are not added):
    // social jour 018001 Ja, 018002 Nej → 1 of 2 = 50 %.
    assert_value(
        &rows,
        ("enk_social_jour", "kommungrupp", "A1"),
        50.0,
        Some(1.0),
        Some(2.0),
    );
    assert_value(
        &rows,
        ("enk_social_jour", "storleksklass", "50000-199999"),
        50.0,
        Some(1.0),
        Some(2.0),
    );
    // Län 01: 018001 Ja, 018002 Nej, 0114 Vet ej → 1 of 3 = 33.33… %.
    assert_value(
        &rows,
        ("enk_social_jour", "lan", "01"),
        100.0 / 3.0,
        Some(1.0),
        Some(3.0),
    );
    assert_eq!(
        find(&rows, "enk_social_jour", "lan", "01").regionnamn,
        "Stockholms län"
    );
}

#[tokio::test]
async fn shares_per_lan_riket_and_groups_count_responding_units_only() {
    let rows = indicator_rows(&run(2020, &ANSWERS_2020, None).await).await;
    let k = "enk_social_jour";
    // Riket: answered 018001 Ja, 018002 Nej, 0114 Vet ej, 0305 Ja, 0380 Ja → 3 of 5 = 60 %.
    assert_value(&rows, (k, "riket", "00"), 60.0, Some(3.0), Some(5.0));
    assert_eq!(find(&rows, k, "riket", "00").regionnamn, "Riket");
    // Län 03: every respondent fulfils (Håbo Ja, Uppsala Ja) → 2 of 2 = 100 %.
    assert_value(&rows, (k, "lan", "03"), 100.0, Some(2.0), Some(2.0));
    // Län 04: nobody answered (0428 not returned, 0461 absent) → no responding unit → '-'.
    assert_missing(&rows, (k, "lan", "04"));
    assert_missing(&rows, (k, "kommungrupp", "C8"));
    // Storleksklass <15000: Håbo (14 999, Ja) answered, Vingåker did not → 1 of 1 = 100 %.
    assert_value(
        &rows,
        (k, "storleksklass", "<15000"),
        100.0,
        Some(1.0),
        Some(1.0),
    );
    // 15000-49999: Upplands Väsby (45 000, Vet ej) and Gnesta (15 000, absent) → 0 of 1 = 0 %.
    assert_value(
        &rows,
        (k, "storleksklass", "15000-49999"),
        0.0,
        Some(0.0),
        Some(1.0),
    );
    // >=200000: Uppsala (230 000) Ja → 100 %.
    assert_value(
        &rows,
        (k, "storleksklass", ">=200000"),
        100.0,
        Some(1.0),
        Some(1.0),
    );
}

#[tokio::test]
async fn helt_delvis_question_gives_two_indicators() {
    let rows = indicator_rows(&run(2020, &ANSWERS_2020, None).await).await;
    let (h, hd) = ("enk_moten_helt", "enk_moten_helt_delvis");
    // Helt → 1/1; Delvis → 0/1; Inte alls → 0/0; Vet ej → 0/0; "Ja" is not a helt_delvis answer
    // → '-' in both.
    assert_value(&rows, (h, "stadsdel", "018001"), 1.0, None, None);
    assert_value(&rows, (hd, "stadsdel", "018001"), 1.0, None, None);
    assert_value(&rows, (h, "stadsdel", "018002"), 0.0, None, None);
    assert_value(&rows, (hd, "stadsdel", "018002"), 1.0, None, None);
    assert_value(&rows, (h, "kommun", "0114"), 0.0, None, None);
    assert_value(&rows, (hd, "kommun", "0114"), 0.0, None, None);
    assert_value(&rows, (h, "kommun", "0305"), 0.0, None, None);
    assert_value(&rows, (hd, "kommun", "0305"), 0.0, None, None);
    assert_missing(&rows, (h, "kommun", "0380"));
    assert_missing(&rows, (hd, "kommun", "0380"));
    // Riket over the four valid answers: helt 1 of 4 = 25 %; helt eller delvis 2 of 4 = 50 %.
    assert_value(&rows, (h, "riket", "00"), 25.0, Some(1.0), Some(4.0));
    assert_value(&rows, (hd, "riket", "00"), 50.0, Some(2.0), Some(4.0));
    // Län 03: only Håbo's Vet ej is valid → 0 of 1 = 0 % for both.
    assert_value(&rows, (h, "lan", "03"), 0.0, Some(0.0), Some(1.0));
    assert_value(&rows, (hd, "lan", "03"), 0.0, Some(0.0), Some(1.0));
}

#[tokio::test]
async fn threshold_counts_14_days_as_fulfilled_and_15_not() {
    let rows = indicator_rows(&run(2020, &ANSWERS_2020, None).await).await;
    let k = "enk_besok";
    // 14 ≤ 14 → 1; 15 > 14 → 0; "7,5" (decimal comma) → 1; "  3 " (spaces) → 1; blank → '-'.
    assert_value(&rows, (k, "stadsdel", "018001"), 1.0, None, None);
    assert_value(&rows, (k, "stadsdel", "018002"), 0.0, None, None);
    assert_value(&rows, (k, "kommun", "0114"), 1.0, None, None);
    assert_value(&rows, (k, "kommun", "0380"), 1.0, None, None);
    assert_missing(&rows, (k, "kommun", "0305"));
    // Riket: 1, 0, 1, 1 answered (Håbo blank) → 3 of 4 = 75 %; län 01: 2 of 3; län 03: 1 of 1.
    assert_value(&rows, (k, "riket", "00"), 75.0, Some(3.0), Some(4.0));
    assert_value(&rows, (k, "lan", "01"), 200.0 / 3.0, Some(2.0), Some(3.0));
    assert_value(&rows, (k, "lan", "03"), 100.0, Some(1.0), Some(1.0));
    // Kommungrupp B4 is Håbo alone, whose answer is blank → '-'.
    assert_missing(&rows, (k, "kommungrupp", "B4"));
}

#[tokio::test]
async fn response_rate_per_level() {
    let rows = indicator_rows(&run(2020, &ANSWERS_2020, None).await).await;
    let k = "enk_svarsfrekvens";
    // Respondents: 018001, 018002, 0114, 0305, 0380, 0428, 0461 = 7; returned 5 → 500/7 %.
    assert_value(&rows, (k, "riket", "00"), 500.0 / 7.0, Some(5.0), Some(7.0));
    assert_value(&rows, (k, "lan", "01"), 100.0, Some(3.0), Some(3.0));
    // Län 04: 0 of 2 returned → 0 % (a computed value: the respondents are the denominator).
    assert_value(&rows, (k, "lan", "04"), 0.0, Some(0.0), Some(2.0));
    // 15000-49999: Upplands Väsby returned, Gnesta not → 50 %.
    assert_value(
        &rows,
        (k, "storleksklass", "15000-49999"),
        50.0,
        Some(1.0),
        Some(2.0),
    );
    // No respondent-level rows for the response rate.
    assert!(
        !rows
            .iter()
            .any(|r| r.indikator == k && (r.niva == "kommun" || r.niva == "stadsdel"))
    );
}

#[tokio::test]
async fn households_per_case_worker_per_respondent_and_as_ratio_of_sums() {
    let rows = indicator_rows(&run(2020, &ANSWERS_2020, None).await).await;
    let k = "enk_hushall_per_handlaggare";
    // 018001: 1.5 households per month (district 01 only; H9 without district is not in it)
    // / 12.5 FTE ("12,5") = 0.12.
    assert_value(
        &rows,
        (k, "stadsdel", "018001"),
        0.12,
        Some(1.5),
        Some(12.5),
    );
    // 018002 reports 0 FTEs → '-' (no division), left out of the sums.
    assert_missing(&rows, (k, "stadsdel", "018002"));
    // 0114: 2.25 / 4 = 0.5625; 0380: 1.5 / 10 = 0.15.
    assert_value(&rows, (k, "kommun", "0114"), 0.5625, Some(2.25), Some(4.0));
    assert_value(&rows, (k, "kommun", "0380"), 0.15, Some(1.5), Some(10.0));
    // 0305 answered "två" (not a number) → '-'; 0428 not returned → '-'.
    assert_missing(&rows, (k, "kommun", "0305"));
    assert_missing(&rows, (k, "kommun", "0428"));
    // Riket, ratio of sums: (1.5 + 2.25 + 1.5) / (12.5 + 4 + 10) = 5.25 / 26.5.
    assert_value(
        &rows,
        (k, "riket", "00"),
        5.25 / 26.5,
        Some(5.25),
        Some(26.5),
    );
    // Län 01: (1.5 + 2.25) / (12.5 + 4) = 3.75 / 16.5; län 03: 1.5 / 10; län 04: nobody → '-'.
    assert_value(&rows, (k, "lan", "01"), 3.75 / 16.5, Some(3.75), Some(16.5));
    assert_value(&rows, (k, "lan", "03"), 0.15, Some(1.5), Some(10.0));
    assert_missing(&rows, (k, "lan", "04"));
    // Min–max over the respondents of each län: 01 → 0.12 … 0.5625; 03 → 0.15 … 0.15; 04 → '-'.
    assert_value(
        &rows,
        ("enk_hushall_per_handlaggare_min", "lan", "01"),
        0.12,
        None,
        None,
    );
    assert_value(
        &rows,
        ("enk_hushall_per_handlaggare_max", "lan", "01"),
        0.5625,
        None,
        None,
    );
    assert_value(
        &rows,
        ("enk_hushall_per_handlaggare_min", "lan", "03"),
        0.15,
        None,
        None,
    );
    assert_missing(&rows, ("enk_hushall_per_handlaggare_max", "lan", "04"));
    assert!(
        !rows
            .iter()
            .any(|r| r.indikator == "enk_hushall_per_handlaggare_min" && r.niva != "lan")
    );
}

#[tokio::test]
async fn bortfall_kommun_gets_no_households_per_case_worker() {
    // Upplands Väsby's register lacks December: bortfall → '-' and out of the ratio of sums.
    let rows = indicator_rows(&run(2020, &ANSWERS_2020, Some("0114")).await).await;
    let k = "enk_hushall_per_handlaggare";
    assert_missing(&rows, (k, "kommun", "0114"));
    // Län 01 is then 018001 alone: 1.5 / 12.5 = 0.12.
    assert_value(&rows, (k, "lan", "01"), 0.12, Some(1.5), Some(12.5));
}

#[tokio::test]
async fn invalid_answers_are_listed_for_the_gates() {
    let ctx = run(2020, &ANSWERS_2020, None).await;
    let batches = ctx
        .sql("SELECT respondent, fraga, svar FROM int_enkat_ogiltiga_svar ORDER BY respondent")
        .await
        .expect("query")
        .collect()
        .await
        .expect("collect");
    let mut found = Vec::new();
    for b in &batches {
        let (r, f, s) = (
            strings(b, "respondent"),
            strings(b, "fraga"),
            strings(b, "svar"),
        );
        for i in 0..b.num_rows() {
            found.push((r[i].clone(), f[i].clone(), s[i].clone()));
        }
    }
    let row = |r: &str, f: &str, s: &str| (Some(r.into()), Some(f.into()), Some(s.into()));
    // Håbo's "två" FTEs and Uppsala's "Ja" to a helt_delvis question; Vingåker's answers are not
    // checked (not returned), blanks are no answer, not invalid.
    assert_eq!(
        found,
        [
            row("0305", "handlaggare_ars", "två"),
            row("0380", "individuella_moten", "Ja")
        ]
    );
}

#[tokio::test]
async fn question_dropped_and_added_between_years() {
    // 2019: gammal_fraga is asked (to 2019), individuella_moten not yet (from 2020); the social
    // on-call indicator still has its old id enk_jour.
    #[rustfmt::skip]
    let answers_2019 = [
        ("0114", true, "socialjour", Some("Ja")),
        ("0114", true, "gammal_fraga", Some("Nej")),
        ("0114", true, "besok_dagar", Some("3")),
        ("0114", true, "handlaggare_ars", Some("2")),
    ];
    let rows2019 = indicator_rows(&run(2019, &answers_2019, None).await).await;
    assert_value(&rows2019, ("enk_gammal", "kommun", "0114"), 0.0, None, None);
    assert_value(&rows2019, ("enk_jour", "kommun", "0114"), 1.0, None, None);
    assert!(
        !rows2019
            .iter()
            .any(|r| r.indikator.starts_with("enk_moten"))
    );
    assert!(!rows2019.iter().any(|r| r.indikator == "enk_social_jour"));
    // 2020: enk_gammal is gone, enk_moten_* and enk_social_jour appear.
    let rows2020 = indicator_rows(&run(2020, &ANSWERS_2020, None).await).await;
    assert!(
        !rows2020
            .iter()
            .any(|r| r.indikator == "enk_gammal" || r.indikator == "enk_jour")
    );
    assert!(rows2020.iter().any(|r| r.indikator == "enk_moten_helt"));
    assert!(rows2020.iter().any(|r| r.indikator == "enk_social_jour"));
}

#[tokio::test]
async fn project_configuration_runs_through_the_models() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(oj::config::survey::CONFIG_PATH);
    let config = SurveyConfig::load(&path).expect("pipelines/enkat.yaml compiles");
    // The test answers use four of the project's 2020 columns; the others are not in the file.
    let rows = indicator_rows(&run_with(&config, 2020, &ANSWERS_2020, None).await).await;
    let mut published: Vec<&str> = rows.iter().map(|r| r.indikator.as_str()).collect();
    published.sort();
    published.dedup();
    assert_eq!(published.len(), 25, "{published:?}");
    // Same answers, same hand-worked shares as with the test configuration.
    assert_value(
        &rows,
        ("enk_social_jour", "riket", "00"),
        60.0,
        Some(3.0),
        Some(5.0),
    );
    assert_value(
        &rows,
        ("enk_besok_inom_14_dagar", "riket", "00"),
        75.0,
        Some(3.0),
        Some(4.0),
    );
    assert_value(
        &rows,
        ("enk_individuella_moten_helt", "riket", "00"),
        25.0,
        Some(1.0),
        Some(4.0),
    );
    assert_value(
        &rows,
        ("enk_svarsfrekvens", "riket", "00"),
        500.0 / 7.0,
        Some(5.0),
        Some(7.0),
    );
    // A configured question nobody answered: '-' for every respondent and every aggregate.
    assert!(
        rows.iter()
            .filter(|r| r.indikator == "enk_metod_fia")
            .all(|r| r.status == "-")
    );
}
