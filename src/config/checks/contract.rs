//! The checks the data contracts imply: their required columns and unique keys, re-asserted on
//! the staged data as `contract.*` checks of the ingest gate.
//!
//! Guarantees: one `not_null` check per dataset with required columns and one `unique` check per
//! key (a survey's key gains the question column, as the survey is staged long).

use super::{Check, Kind, Severity, Threshold};
use crate::config::{Contract, Pipeline};
use crate::vocab::StageId;
use std::collections::BTreeMap;

/// The contracts' required columns and unique keys, re-asserted on the staged data.
pub(super) fn contract_checks(
    pipeline: &Pipeline,
    contracts: &BTreeMap<String, Contract>,
    severity: Severity,
) -> Vec<Check> {
    let mut out = Vec::new();
    for d in &pipeline.datasets {
        let Some(contract) = contracts.get(&d.contract) else {
            continue;
        };
        let base = |id: String, kind: Kind, rule: String, description: String| Check {
            id,
            stage: StageId::Ingest,
            severity,
            threshold: Threshold::Count(0),
            table: Some(d.name.clone()),
            filter: None,
            kind,
            rule,
            description,
            reads: vec![d.name.clone()],
        };
        let required: Vec<String> = contract
            .columns
            .iter()
            .filter(|c| c.required)
            .map(|c| c.name.clone())
            .collect();
        if !required.is_empty() {
            out.push(base(
                format!("contract.{}.required", d.name),
                Kind::NotNull {
                    columns: required.clone(),
                },
                format!("not_null({})", required.join(", ")),
                format!("a required column of {} is empty", contract.file),
            ));
        }
        for key in &contract.uniques {
            let mut columns = key.columns.clone();
            // A survey is staged long: one row per respondent and question.
            if contract.question_columns {
                columns.push("fraga".into());
            }
            out.push(base(
                format!("contract.{}.{}", d.name, key.id),
                Kind::Unique {
                    columns: columns.clone(),
                },
                format!("unique({})", columns.join(", ")),
                format!("two rows share {} ({})", columns.join(", "), contract.file),
            ));
        }
    }
    out
}
