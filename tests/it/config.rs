//! Compile diagnostics of pipelines/ and data-contracts/: one test per kind of mistake, each
//! asserting the file, the line and the message of the diagnostic.

use super::fixtures::{copy_of_project, line_of, project_root, with_edit};
use oj::pipeline::load_project;

#[test]
fn the_project_configuration_compiles() {
    let p = load_project(project_root()).unwrap();
    assert_eq!(p.pipeline.datasets.len(), 5);
    assert_eq!(p.contracts.len(), 5);
    assert_eq!(p.pipeline.indicators.len(), 18);
    assert_eq!(p.pipeline.params.register.long_term_months, 10);
}

#[test]
fn unknown_field_in_the_pipeline_names_its_line() {
    let d = with_edit(
        "pipelines/ekonomiskt_bistand.yaml",
        "    long_term_months: 10",
        "    long_term_monts: 10",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].file, "pipelines/ekonomiskt_bistand.yaml");
    assert_eq!(
        d[0].line,
        Some(line_of(
            "pipelines/ekonomiskt_bistand.yaml",
            "long_term_months: 10"
        ))
    );
    assert!(d[0].message.contains("long_term_monts"), "{}", d[0]);
}

#[test]
fn dataset_naming_a_missing_contract() {
    let d = with_edit(
        "pipelines/ekonomiskt_bistand.yaml",
        "contract: bakgrund",
        "contract: bakgrunden",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].message
            .contains("names contract `bakgrunden`, which does not exist"),
        "{}",
        d[0]
    );
    assert_eq!(
        d[0].line,
        Some(line_of(
            "pipelines/ekonomiskt_bistand.yaml",
            "contract: bakgrund"
        ))
    );
    assert!(d[0].hint.as_deref().unwrap().contains("befolkning"));
}

#[test]
fn unknown_logical_type() {
    let d = with_edit(
        "data-contracts/befolkning.yaml",
        "logicalType: integer",
        "logicalType: int",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].file, "data-contracts/befolkning.yaml");
    assert!(
        d[0].message.contains("unknown logicalType `int`"),
        "{}",
        d[0]
    );
    // At the broken value itself: the first `logicalType: integer` (the one edited), column of
    // the value.
    let line = line_of("data-contracts/befolkning.yaml", "logicalType: integer");
    assert!(line > line_of("data-contracts/befolkning.yaml", "- name: kon"));
    let text =
        std::fs::read_to_string(project_root().join("data-contracts/befolkning.yaml")).unwrap();
    let column = text.lines().nth(line - 1).unwrap().find("integer").unwrap() + 1;
    assert_eq!((d[0].line, d[0].column), (Some(line), Some(column)));
}

#[test]
fn pattern_that_does_not_compile() {
    let d = with_edit(
        "data-contracts/bakgrund.yaml",
        "pattern: '^[0-9]{4}$'",
        "pattern: '^[0-9{4}$'",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].message.contains("pattern does not compile"),
        "{}",
        d[0]
    );
}

#[test]
fn rule_using_an_unknown_column() {
    let d = with_edit(
        "data-contracts/bakgrund.yaml",
        "rule: arbetslosa_utan_ers_18_64 <= arbetslosa_18_64",
        "rule: arbetslosa_utan_ers_18_64 <= arbetslos",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].message
            .contains("unemployed_without_benefit_le_unemployed"),
        "{}",
        d[0]
    );
    // At the rule's SQL, not at its id.
    assert_eq!(
        d[0].line,
        Some(line_of(
            "data-contracts/bakgrund.yaml",
            "rule: arbetslosa_utan_ers_18_64 <= arbetslosa_18_64"
        ))
    );
}

#[test]
fn reference_to_a_missing_column() {
    let d = with_edit(
        "data-contracts/befolkning.yaml",
        "column: kod",
        "column: code",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].message
            .contains("refers to `regioner.code`, which is not a column"),
        "{}",
        d[0]
    );
}

#[test]
fn unknown_indicator_kind_and_group_are_both_reported() {
    let d = with_edit(
        "pipelines/ekonomiskt_bistand.yaml",
        "kind: tkr",
        "kind: miljoner",
    );
    let d2 = with_edit(
        "pipelines/ekonomiskt_bistand.yaml",
        "grupper: [totalt, kvinnor, man, inrikes, utrikes]",
        "grupper: [totalt, kvinnor, män]",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].message.contains("unknown kind `miljoner`"), "{}", d[0]);
    assert_eq!(d2.len(), 1, "{d2:?}");
    assert!(d2[0].message.contains("unknown group `män`"), "{}", d2[0]);
}

#[test]
fn bad_choice_of_missing_history() {
    let d = with_edit(
        "pipelines/ekonomiskt_bistand.yaml",
        "missing_history: fail",
        "missing_history: ignore",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].message
            .contains("missing_history = `ignore` is not a choice"),
        "{}",
        d[0]
    );
}

#[test]
fn several_mistakes_are_reported_at_once() {
    let dir = copy_of_project();
    let edit = |file: &str, from: &str, to: &str| {
        let p = dir.path().join(file);
        let t = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, t.replacen(from, to, 1)).unwrap();
    };
    edit(
        "data-contracts/befolkning.yaml",
        "logicalType: integer",
        "logicalType: int",
    );
    edit(
        "data-contracts/regioner.yaml",
        "encoding: utf-8",
        "encoding: latin-9",
    );
    edit(
        "pipelines/ekonomiskt_bistand.yaml",
        "    min_numerator: 5",
        "    min_numerator: 0",
    );
    let d = load_project(dir.path()).unwrap_err().0;
    assert_eq!(d.len(), 3, "{d:?}");
    let text: Vec<String> = d.iter().map(|x| x.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t.starts_with("data-contracts/befolkning.yaml:") && t.contains("`int`")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.starts_with("data-contracts/regioner.yaml:") && t.contains("latin-9")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("min_numerator = 0 is outside 1..=1000")),
        "{text:?}"
    );
}

#[test]
fn a_model_reading_an_unknown_table() {
    let d = with_edit(
        "sql/ind_indikatorer.sql",
        "FROM ind_bakgrund",
        "FROM ind_bakgrunden",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].file, "sql/ind_indikatorer.sql");
    assert!(d[0].message.contains("`ind_bakgrunden`"), "{}", d[0]);
}

/// The 1-based line of the `n`-th (1-based) line of `text` that contains `needle`.
fn nth_line_of(text: &str, needle: &str, n: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .nth(n - 1)
        .map(|(i, _)| i + 1)
        .unwrap()
}

#[test]
fn a_repeated_key_is_reported_where_the_wrong_one_is() {
    // `kind: andel` is written for most indicators; break the second one (the first indicator
    // with it is reg_mottagare_andel, the second reg_vuxna_mottagare_andel). The diagnostic must
    // name that line and the column of the value (after `    kind: `, column 11), not the
    // first `kind:` in the file.
    let file = "pipelines/ekonomiskt_bistand.yaml";
    let dir = copy_of_project();
    let path = dir.path().join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let line = nth_line_of(&text, "    kind: andel", 2);
    let edited: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == line {
                l.replace("kind: andel", "kind: andl")
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(&path, edited.join("\n") + "\n").unwrap();
    assert!(line > nth_line_of(&text, "kind:", 1));
    let errors = load_project(dir.path()).unwrap_err();
    let d = &errors.0;
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].line, d[0].column), (Some(line), Some(11)), "{}", d[0]);
    assert!(
        d[0].message
            .contains("indicator `reg_vuxna_mottagare_andel` has unknown kind `andl`"),
        "{}",
        d[0]
    );
    // Rendered the way rustc renders: the location, the source line, a caret under the value,
    // the hint.
    let rendered = errors.to_string();
    assert!(
        rendered.contains(&format!("--> {file}:{line}:11")),
        "{rendered}"
    );
    assert!(
        rendered.contains(&format!("{line} |     kind: andl")),
        "{rendered}"
    );
    assert!(rendered.contains("^^^^"), "{rendered}");
    assert!(
        rendered.contains("help: kinds: andel, antal, kronor, tkr"),
        "{rendered}"
    );
}

/// `partitioned` (the staged file's row groups end where the column changes, and the transform
/// reads each year in parts of disjoint values) takes one text column: a second one, or an
/// integer one, is reported at its `partitioned` line.
#[test]
fn partitioned_is_one_text_column() {
    const REGISTER: &str = "data-contracts/register.yaml";
    let d = with_edit(
        REGISTER,
        "        aliases: [\"hushåll_id\"]\n",
        "        aliases: [\"hushåll_id\"]\n        partitioned: true\n",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].file, REGISTER);
    assert_eq!(
        d[0].line,
        Some(line_of(REGISTER, "aliases: [\"hushåll_id\"]") + 1)
    );
    assert!(
        d[0].message
            .contains("column `hushall_id`: only one column may be partitioned (`kommun` is)"),
        "{}",
        d[0]
    );

    let d = with_edit(
        REGISTER,
        "        aliases: [\"månad\"]\n",
        "        aliases: [\"månad\"]\n        partitioned: true\n",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        d[0].line,
        Some(line_of(REGISTER, "aliases: [\"månad\"]") + 1)
    );
    assert!(
        d[0].message
            .contains("column `manad`: partitioned needs logicalType string"),
        "{}",
        d[0]
    );
}

#[test]
fn every_contract_and_check_problem_has_a_column() {
    // A wrong value deep in a contract and in checks.yaml: each diagnostic carries line and
    // column of the value itself.
    let d = with_edit(
        "data-contracts/register.yaml",
        "logicalType: integer",
        "logicalType: heltal",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    let text =
        std::fs::read_to_string(project_root().join("data-contracts/register.yaml")).unwrap();
    let line = nth_line_of(&text, "logicalType: integer", 1);
    let column = text.lines().nth(line - 1).unwrap().find("integer").unwrap() + 1;
    assert_eq!(
        (d[0].line, d[0].column),
        (Some(line), Some(column)),
        "{}",
        d[0]
    );

    let d = with_edit(
        "pipelines/checks.yaml",
        "severity: error",
        "severity: fatal",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    let text = std::fs::read_to_string(project_root().join("pipelines/checks.yaml")).unwrap();
    let line = nth_line_of(&text, "severity: error", 1);
    let column = text.lines().nth(line - 1).unwrap().find("error").unwrap() + 1;
    assert_eq!(
        (d[0].line, d[0].column),
        (Some(line), Some(column)),
        "{}",
        d[0]
    );
}

// ---------------------------------------------------------------- pipelines/disclosure.yaml

const SDC: &str = "pipelines/disclosure.yaml";

#[test]
fn the_disclosure_relations_compile() {
    let p = load_project(project_root()).unwrap();
    let linked = &p.disclosure.linked;
    // kon and fodelseland; personer, langvariga, belopp, bakgrund, enkat_hushall; 5 identities
    // and 5 subsets (at_most).
    assert_eq!(linked.group_splits.len(), 2);
    assert_eq!(linked.hierarchies.len(), 5);
    assert_eq!(linked.identities.len(), 10);
    // min_contributors is not set in the file: it defaults to min_numerator (5).
    assert_eq!(p.disclosure.amounts.min_contributors, 5);
    assert_eq!(p.disclosure.amounts.p_percent, 10.0);
}

#[test]
fn a_relation_naming_an_unknown_indicator() {
    let d = with_edit(
        SDC,
        "indicators: [reg_belopp_tkr, reg_belopp_per_invanare]\n        levels",
        "indicators: [reg_belopp_tkr, reg_belopp_per_inv]\n        levels",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].file, SDC);
    assert!(
        d[0].message
            .contains("unknown indicator `reg_belopp_per_inv`"),
        "{}",
        d[0]
    );
    assert!(d[0].message.contains("hierarchy `belopp`"), "{}", d[0]);
}

#[test]
fn a_relation_naming_an_unknown_level_or_group() {
    let d = with_edit(
        SDC,
        "{parent: kommungrupp, children: [kommun]}\n      - name: enkat",
        "{parent: kommungrp, children: [kommun]}\n      - name: enkat",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].message.contains("unknown level `kommungrp`"),
        "{}",
        d[0]
    );
    let d = with_edit(SDC, "parts: [kvinnor, man]", "parts: [kvinnor, män]");
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].message.contains("unknown group `män`"), "{}", d[0]);
}

#[test]
fn an_identity_over_a_group_the_indicator_lacks() {
    // reg_barn_andel is published for totalt only.
    let d = with_edit(
        SDC,
        "      - name: barn_langvarigt_delmangd\n        relation: at_most\n        groups: [totalt]",
        "      - name: barn_langvarigt_delmangd\n        relation: at_most\n        groups: [totalt, kvinnor]",
    );
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(
        d[0].message
            .contains("`reg_barn_langvarigt_andel` has no group `kvinnor`"),
        "{}",
        d[0]
    );
    assert!(
        d[1].message
            .contains("`reg_barn_andel` has no group `kvinnor`"),
        "{}",
        d[1]
    );
}

#[test]
fn a_denominator_term_of_a_count() {
    let d = with_edit(
        SDC,
        "left: {indicator: reg_mottagare_antal, part: taljare}",
        "left: {indicator: reg_mottagare_antal, part: namnare}",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].message
            .contains("`reg_mottagare_antal` has no denominator"),
        "{}",
        d[0]
    );
    assert!(
        d[0].message.contains("identity `antal_mottagare`"),
        "{}",
        d[0]
    );
}

#[test]
fn an_out_of_range_disclosure_parameter() {
    let d = with_edit(SDC, "p_percent: 10", "p_percent: 110");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].line, Some(line_of(SDC, "p_percent: 10")));
    assert!(
        d[0].message.contains("`p_percent` = 110 is out of range"),
        "{}",
        d[0]
    );
}

#[test]
fn a_disclosure_problem_points_at_its_own_occurrence_and_column() {
    // `reg_mottagare_antal` is named three times in disclosure.yaml; make its last use (the right
    // side of hushall_delmangd) a denominator term. The diagnostic names that line and the
    // column of the indicator's value, not the first line that mentions the indicator.
    let from = "        right:\n          - {indicator: reg_mottagare_antal, part: taljare}";
    let d = with_edit(
        SDC,
        from,
        "        right:\n          - {indicator: reg_mottagare_antal, part: namnare}",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    let text = std::fs::read_to_string(project_root().join(SDC)).unwrap();
    let line = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("{indicator: reg_mottagare_antal, part: taljare}"))
        .last()
        .unwrap()
        .0
        + 1;
    assert!(line > line_of(SDC, "reg_mottagare_antal"));
    // `          - {indicator: ` is 24 characters: the value starts in column 25.
    assert_eq!((d[0].line, d[0].column), (Some(line), Some(25)), "{}", d[0]);
    assert!(
        d[0].message.contains("identity `hushall_delmangd`"),
        "{}",
        d[0]
    );
}
