//! The project's other parts, each compiled by its own module and collected here: the survey
//! configuration (`pipelines/enkat.yaml`), disclosure control (`pipelines/disclosure.yaml`) and
//! the `sql/` models.
//!
//! Guarantees: a missing file is one problem naming it; a part that depends on a part that did
//! not compile is not compiled (its problems would only echo the first ones).

use super::Collector;
use crate::config::disclosure::{self, DisclosureConfig};
use crate::config::models::ModelSet;
use crate::config::survey::{self, SurveyConfig};
use crate::config::{Contract, Diagnostic, Pipeline, survey_tables};
use std::collections::BTreeMap;
use std::path::Path;

/// `pipelines/disclosure.yaml`: its relations name indicators, levels and groups that exist.
/// Not compiled (and not reported) when the pipeline or the survey did not compile.
pub(super) fn compile_disclosure(
    c: &mut Collector,
    sources: &BTreeMap<String, String>,
    pipeline: Option<&Pipeline>,
    survey: Option<&SurveyConfig>,
) -> Option<DisclosureConfig> {
    let Some(text) = sources.get(disclosure::DISCLOSURE_FILE) else {
        c.push(
            disclosure::DISCLOSURE_FILE,
            None,
            "the disclosure configuration is missing",
            Some("pipelines/disclosure.yaml declares the amount rules, protection levels and linked tables"),
        );
        return None;
    };
    let (pipeline, survey) = (pipeline?, survey?);
    let known = disclosure::KnownIndicators::new(
        &pipeline.indicators,
        survey
            .all_indicators()
            .iter()
            .map(|i| (i.id.as_str(), i.namnare.is_some())),
    );
    match disclosure::compile(text, &known, pipeline.params.disclosure.min_numerator) {
        Ok(config) => Some(config),
        Err(diagnostics) => {
            c.diagnostics.extend(diagnostics);
            None
        }
    }
}

/// The `sql/` models: every file parses, reads only known tables, and no cycle exists.
pub(super) fn compile_models(c: &mut Collector, root: &Path) -> Option<ModelSet> {
    let mut sources: Vec<&str> = crate::vocab::names::MODEL_SOURCES.to_vec();
    sources.extend(survey_tables::TABLES);
    match ModelSet::load(&root.join("sql"), &sources) {
        Ok(models) => Some(models),
        Err(diagnostics) => {
            for d in diagnostics {
                let file = d
                    .file
                    .strip_prefix(root)
                    .unwrap_or(&d.file)
                    .display()
                    .to_string();
                c.diagnostics.push(Diagnostic {
                    file,
                    line: d.line,
                    column: None,
                    message: d.message.clone(),
                    hint: None,
                });
            }
            None
        }
    }
}

/// The survey configuration, checked against the survey contract's fixed columns.
pub(super) fn compile_survey(
    c: &mut Collector,
    sources: &BTreeMap<String, String>,
    contracts: &BTreeMap<String, Contract>,
) -> Option<SurveyConfig> {
    use survey::CONFIG_PATH;
    let Some(text) = sources.get(CONFIG_PATH) else {
        c.push(
            CONFIG_PATH,
            None,
            "the survey configuration is missing",
            Some("pipelines/enkat.yaml lists the questions per year"),
        );
        return None;
    };
    match SurveyConfig::from_yaml(CONFIG_PATH, text) {
        Ok(survey) => {
            if let Some(contract) = contracts.values().find(|k| k.question_columns) {
                let fixed: Vec<&str> = contract
                    .columns
                    .iter()
                    .map(|col| col.name.as_str())
                    .collect();
                c.diagnostics
                    .extend(survey::check_against_contract(&survey, &fixed));
            }
            Some(survey)
        }
        Err(e) => {
            c.diagnostics.extend(e.diagnostics());
            None
        }
    }
}
