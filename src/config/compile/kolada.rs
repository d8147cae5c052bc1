//! Kolada KPI ids: each declared id has Kolada's shape, and no id belongs to two indicators.
//!
//! Guarantees: kolada.csv can never hold two figures for one KPI and kommun.

use super::{Collector, PIPELINE_FILE};
use crate::config::Pipeline;
use crate::config::survey::SurveyConfig;
use crate::yaml::Pos;
use std::collections::BTreeMap;

/// A declared Kolada KPI id has Kolada's shape (one capital letter, five digits).
pub(super) fn check_kolada_kpi(
    c: &mut Collector,
    file: &str,
    at: Option<Pos>,
    id: &str,
    kpi: &str,
) {
    if !crate::vocab::is_kpi_id(kpi) {
        c.push(
            file,
            at,
            format!("indicator `{id}` has kolada_kpi `{kpi}`, which is not a Kolada KPI id"),
            Some("a Kolada KPI id is one capital letter and five digits, e.g. N31807"),
        );
    }
}

/// No Kolada KPI id is declared for two different indicators (kolada.csv would hold two
/// figures for one KPI and kommun).
pub(super) fn check_kolada_unique(c: &mut Collector, pipeline: &Pipeline, survey: &SurveyConfig) {
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    let declared = pipeline
        .indicators
        .iter()
        .filter_map(|i| Some((i.id.as_str(), i.kolada_kpi.as_deref()?)))
        .chain(survey.kolada_kpis());
    for (id, kpi) in declared {
        match owner.get(kpi) {
            Some(first) if *first != id => c.push(
                PIPELINE_FILE,
                None,
                format!("Kolada KPI `{kpi}` is declared for both `{first}` and `{id}`"),
                Some("each Kolada KPI id belongs to one indicator"),
            ),
            _ => {
                owner.insert(kpi, id);
            }
        }
    }
}
