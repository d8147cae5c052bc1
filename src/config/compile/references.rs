//! References between files: contract columns that refer to another dataset's column, and
//! contract bounds taken from pipeline parameters (`maximum: $ingest.…`).
//!
//! Guarantees: a reference names a contract and a column that exist, its filter is an
//! expression over the target's columns; a parameter bound names a numeric parameter; each
//! problem at the contract line it is about.

use super::contract::{check_sql_expr, contract_df_schema};
use super::{Collector, PIPELINE_FILE};
use crate::config::{Contract, Parameters};
use crate::yaml::Spans;
use datafusion::prelude::SessionContext;
use std::collections::{BTreeMap, BTreeSet};

pub(super) fn check_contract_references(
    c: &mut Collector,
    contracts: &BTreeMap<String, Contract>,
    texts: &BTreeMap<String, String>,
    broken: &BTreeSet<String>,
) {
    let ctx = SessionContext::new();
    for contract in contracts.values() {
        let spans = Spans::read(texts.get(&contract.file).map(String::as_str).unwrap_or(""));
        // Each reference with the path of its YAML mapping.
        let refs = contract
            .columns
            .iter()
            .filter_map(|col| {
                let r = col.references.as_ref()?;
                let i = spans.item_with("schema.0.properties", "name", &col.name);
                let path = format!("schema.0.properties.{}.references", i.unwrap_or(usize::MAX));
                Some((col.name.clone(), r, path))
            })
            .chain(contract.expr_references.iter().map(|r| {
                let i = spans.item_with("schema.0.quality", "id", &r.id);
                let path = format!("schema.0.quality.{}.reference", i.unwrap_or(usize::MAX));
                (r.id.clone(), &r.target, path)
            }));
        for (owner, r, path) in refs {
            let line = spans.at(&format!("{path}.dataset"));
            let Some(target) = contracts.get(&r.dataset) else {
                if broken.contains(&r.dataset) {
                    continue;
                }
                c.push(
                    &contract.file,
                    line,
                    format!(
                        "`{owner}` refers to dataset `{}`, which has no contract",
                        r.dataset
                    ),
                    Some(&format!(
                        "known: {}",
                        contracts.keys().cloned().collect::<Vec<_>>().join(", ")
                    )),
                );
                continue;
            };
            if target.column(&r.column).is_none() {
                c.push(
                    &contract.file,
                    spans.at(&format!("{path}.column")),
                    format!(
                        "`{owner}` refers to `{}.{}`, which is not a column",
                        r.dataset, r.column
                    ),
                    None,
                );
            }
            if let Some(filter) = &r.filter {
                check_sql_expr(
                    c,
                    &ctx,
                    &contract_df_schema(&target.columns),
                    &contract.file,
                    spans.at(&format!("{path}.where")),
                    &owner,
                    filter,
                );
            }
        }
    }
}

/// Sets the bounds contracts take from pipeline parameters (`maximum: $ingest.…`); an unknown or
/// non-numeric parameter, or a minimum above the maximum, names the contract's line.
pub(super) fn resolve_parameter_bounds(
    c: &mut Collector,
    contracts: &mut BTreeMap<String, Contract>,
    texts: &BTreeMap<String, String>,
    params: &Parameters,
) {
    for contract in contracts.values_mut() {
        let spans = Spans::read(texts.get(&contract.file).map(String::as_str).unwrap_or(""));
        for column in &mut contract.columns {
            let item = spans
                .item_with("schema.0.properties", "name", &column.name)
                .map(|i| format!("schema.0.properties.{i}"));
            let at = |key: &str| {
                let item = item.as_deref()?;
                spans.at(&format!("{item}.{key}"))
            };
            for (name, value, key) in [
                (&column.minimum_parameter, &mut column.minimum, "minimum"),
                (&column.maximum_parameter, &mut column.maximum, "maximum"),
            ] {
                let Some(name) = name else { continue };
                match params.number(name) {
                    Some(n) => *value = Some(n),
                    None => c.push(
                        &contract.file,
                        at(&format!("logicalTypeOptions.{key}")),
                        format!(
                            "column `{}`: `${name}` is not a numeric parameter of {PIPELINE_FILE}",
                            column.name
                        ),
                        Some("name a number under parameters:, e.g. $ingest.max_belopp_kr_per_household_month"),
                    ),
                }
            }
            if let (Some(lo), Some(hi)) = (column.minimum, column.maximum)
                && lo > hi
            {
                c.push(
                    &contract.file,
                    at("logicalTypeOptions.minimum"),
                    format!(
                        "column `{}`: minimum {lo} is above maximum {hi}",
                        column.name
                    ),
                    None,
                );
            }
        }
    }
}
