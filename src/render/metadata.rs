//! The indicator metadata of a compiled project for one year, as the publication takes it: the
//! register and background indicators of `pipelines/ekonomiskt_bistand.yaml` followed by the
//! year's survey indicators of `pipelines/enkat.yaml` (expanded ids, names as published).
//!
//! Guarantees: every text is the configuration's own (nothing retyped here); order is the
//! configuration's.

use super::error::PublicationError;
use super::input::{IndicatorMeta, IndicatorSource};
use crate::config::Project;

/// The metadata of every indicator the project publishes for `year`.
pub fn indicator_meta(
    project: &Project,
    year: i64,
) -> Result<Vec<IndicatorMeta>, PublicationError> {
    let mut meta = Vec::new();
    for def in &project.pipeline.indicators {
        let source = match def.source.as_str() {
            "register" => IndicatorSource::Register,
            "bakgrund" => IndicatorSource::Bakgrund,
            other => {
                return Err(PublicationError::BadMetadata {
                    id: def.id.clone(),
                    message: format!(
                        "source `{other}` is not register or bakgrund (hint: run `oj validate`)"
                    ),
                });
            }
        };
        meta.push(IndicatorMeta {
            id: def.id.clone(),
            namn: def.namn.clone(),
            kind: def.kind,
            source,
            taljare: Some(def.taljare.clone()),
            namnare: def.namnare.clone(),
            grupper: def.grupper.clone(),
            kolada_kpi: def.kolada_kpi.clone(),
        });
    }
    for ind in project.survey.indicators_for_year(year) {
        meta.push(IndicatorMeta {
            id: ind.id.clone(),
            namn: ind.namn.clone(),
            kind: ind.kind,
            source: IndicatorSource::Enkat,
            taljare: Some(ind.taljare.clone()),
            namnare: ind.namnare.clone(),
            grupper: vec!["totalt".to_string()],
            kolada_kpi: ind.kolada_kpi.clone(),
        });
    }
    Ok(meta)
}
