//! Errors of the transform stage. Each says what failed, where (the model's SQL file) and how to
//! fix it.

use std::path::PathBuf;
use thiserror::Error;

/// A failure while running the SQL models.
#[derive(Debug, Error)]
pub enum TransformError {
    /// DataFusion could not plan the model's SQL (unknown column, type error, syntax).
    #[error("{}: the model does not plan: {message} (hint: fix the SQL in this file; `oj validate` lists every problem)", file.display())]
    Plan { file: PathBuf, message: String },
    /// The model uses a `$name` placeholder that no pipeline parameter provides.
    #[error("{}: parameter ${name} is not defined (hint: add it under `parameters.register` in pipelines/ekonomiskt_bistand.yaml or fix the name)", file.display())]
    UnknownParameter { file: PathBuf, name: String },
    /// The model planned but failed while running or being stored.
    #[error("{}: the model failed while running: {message}", file.display())]
    Execute { file: PathBuf, message: String },
    /// A [`crate::transform::ModelSink`] could not store or register a model's result.
    #[error("model `{model}`: storing the result failed: {message}")]
    Sink { model: String, message: String },
    /// The register history years the very-long-term indicator needs are not in `register`.
    #[error(
        "year {year}: the register has no rows for {} (reg_mycket_langvarigt_andel needs them); \
         ingest them first with {} – or set `missing_history: not_applicable` under \
         `parameters.register` in pipelines/ekonomiskt_bistand.yaml to publish the indicator as `.`",
        years_list(missing),
        ingest_commands(missing)
    )]
    MissingHistory { year: i64, missing: Vec<i64> },
    /// The query checking which history years exist failed.
    #[error("checking the register history for year {year} failed: {message}")]
    History { year: i64, message: String },
    /// A pipeline parameter has a value the models cannot use.
    #[error(
        "parameter {name} = {value}: {rule} (hint: fix `parameters.register` in pipelines/ekonomiskt_bistand.yaml)"
    )]
    InvalidParameter {
        name: String,
        value: i64,
        rule: String,
    },
}

fn years_list(years: &[i64]) -> String {
    let list: Vec<String> = years.iter().map(i64::to_string).collect();
    match list.len() {
        1 => format!("year {}", list[0]),
        _ => format!("years {}", list.join(", ")),
    }
}

fn ingest_commands(years: &[i64]) -> String {
    years
        .iter()
        .map(|y| format!("`oj run --year {y} --stage ingest --drops … --lake …`"))
        .collect::<Vec<_>>()
        .join(" and ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_history_names_years_and_commands() {
        let e = TransformError::MissingHistory {
            year: 2017,
            missing: vec![2016, 2015],
        };
        let m = e.to_string();
        assert!(m.contains("years 2016, 2015"), "{m}");
        assert!(
            m.contains("oj run --year 2016 --stage ingest --drops … --lake …"),
            "{m}"
        );
        assert!(m.contains("oj run --year 2015 --stage ingest"), "{m}");
        assert!(m.contains("not_applicable"), "{m}");
    }
}
