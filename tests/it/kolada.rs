//! Kolada KPI ids in `pipelines/` (`kolada_kpi:`): the declared ids reach the publication's
//! mapping, and `oj validate` rejects ids of the wrong shape, ids given to helt_delvis entries
//! and one id declared for two indicators.

use super::fixtures::{copy_of_project, project_root};
use oj::config::Diagnostic;
use oj::pipeline::load_project;

/// Applies the edits `(file, from, to)` to a copy of the project and compiles it.
fn compile_with(edits: &[(&str, &str, &str)]) -> Result<oj::config::Project, Vec<Diagnostic>> {
    let dir = copy_of_project();
    for (file, from, to) in edits {
        let p = dir.path().join(file);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{file} has no `{from}`");
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    }
    load_project(dir.path()).map_err(|e| e.0)
}

const PIPELINE: &str = "pipelines/ekonomiskt_bistand.yaml";
const ENKAT: &str = "pipelines/enkat.yaml";

#[test]
fn declared_kpi_ids_map_register_and_survey_indicators() {
    // The project declares N31807 (Kolada: share of the population with ekonomiskt bistånd)
    // for reg_mottagare_andel; a survey indicator gets one here (a made-up id of the right
    // shape), from its own first year.
    let p = load_project(project_root()).unwrap();
    assert_eq!(
        p.kolada_kpis(2017)
            .get("reg_mottagare_andel")
            .map(String::as_str),
        Some("N31807")
    );
    let p = compile_with(&[(
        ENKAT,
        "    question: socialjour\n",
        "    question: socialjour\n    kolada_kpi: U99002\n",
    )])
    .unwrap();
    let kpis = p.kolada_kpis(2017);
    assert_eq!(
        kpis.get("enk_social_jour").map(String::as_str),
        Some("U99002")
    );
    assert_eq!(kpis.len(), 2, "{kpis:?}");
}

#[test]
fn a_kpi_id_of_the_wrong_shape_is_reported_at_its_line() {
    let d = compile_with(&[(PIPELINE, "kolada_kpi: N31807", "kolada_kpi: n31807")]).unwrap_err();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].file, PIPELINE);
    let text = std::fs::read_to_string(project_root().join(PIPELINE)).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("kolada_kpi: N31807"))
        .unwrap()
        + 1;
    assert_eq!(d[0].line, Some(line));
    assert!(
        d[0].message.contains(
            "`reg_mottagare_andel` has kolada_kpi `n31807`, which is not a Kolada KPI id"
        ),
        "{}",
        d[0]
    );
}

#[test]
fn a_helt_delvis_entry_cannot_take_one_kpi_id() {
    let d = compile_with(&[(
        ENKAT,
        "    question: individuella_moten\n",
        "    question: individuella_moten\n    kolada_kpi: U99003\n",
    )])
    .unwrap_err();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].file, ENKAT);
    assert!(
        d[0].message.contains(
            "`enk_individuella_moten` publishes no indicator named `enk_individuella_moten`"
        ),
        "{}",
        d[0]
    );
}

#[test]
fn one_kpi_id_for_two_indicators_is_reported() {
    let d = compile_with(&[(
        ENKAT,
        "    question: socialjour\n",
        "    question: socialjour\n    kolada_kpi: N31807\n",
    )])
    .unwrap_err();
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].message.contains(
            "Kolada KPI `N31807` is declared for both `reg_mottagare_andel` and `enk_social_jour`"
        ),
        "{}",
        d[0]
    );
}
