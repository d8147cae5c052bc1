//! Mapping a drop file's header to the contract's column names: case-insensitive, trimmed,
//! aliases accepted; unknown, duplicated and missing columns are all reported together.

use crate::config::Contract;

/// A survey question column the year's questionnaire allows (from pipelines/enkat.yaml).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionColumn {
    /// Column name as configured.
    pub name: String,
    /// Allowed answers (empty = any number, see `numeric`).
    pub allowed: Vec<String>,
    /// The answer is a number (decimal comma or point).
    pub numeric: bool,
}

fn normalise(name: &str) -> String {
    name.trim().trim_matches('"').trim().to_lowercase()
}

/// The canonical name of every header field, in file order, or every problem found.
pub fn map_header(
    header: &[String],
    contract: &Contract,
    questions: &[QuestionColumn],
) -> Result<Vec<String>, Vec<String>> {
    let mut problems = Vec::new();
    let mut mapped: Vec<String> = Vec::with_capacity(header.len());
    for (i, raw) in header.iter().enumerate() {
        let key = normalise(raw);
        let canonical = contract
            .columns
            .iter()
            .find(|c| c.name.to_lowercase() == key || c.aliases.iter().any(|a| normalise(a) == key))
            .map(|c| c.name.clone())
            .or_else(|| {
                questions
                    .iter()
                    .find(|q| q.name.to_lowercase() == key)
                    .map(|q| q.name.clone())
            });
        match canonical {
            Some(name) => {
                if let Some(first) = mapped.iter().position(|m| *m == name) {
                    problems.push(format!(
                        "column {} `{}` repeats column {} (`{name}`) (hint: remove the duplicate column)",
                        i + 1,
                        raw.trim(),
                        first + 1
                    ));
                }
                mapped.push(name);
            }
            None => {
                let hint = if contract.question_columns {
                    "not a column of the contract nor a question of this year's questionnaire in pipelines/enkat.yaml; add the question there or remove the column"
                } else {
                    "not a column of the contract; check the spelling or add an alias to the contract"
                };
                problems.push(format!(
                    "column {} `{}` is unknown (hint: {hint})",
                    i + 1,
                    raw.trim()
                ));
                mapped.push(String::new());
            }
        }
    }
    for c in &contract.columns {
        if !mapped.contains(&c.name) {
            problems.push(format!(
                "column `{}` is missing (hint: the contract {} requires it{})",
                c.name,
                contract.file,
                if c.aliases.is_empty() {
                    String::new()
                } else {
                    format!("; also accepted: {}", c.aliases.join(", "))
                }
            ));
        }
    }
    for q in questions {
        if !mapped.contains(&q.name) {
            problems.push(format!(
                "question column `{}` is missing (hint: this year's questionnaire in pipelines/enkat.yaml has it; add the column or end the question's years)",
                q.name
            ));
        }
    }
    if problems.is_empty() {
        Ok(mapped)
    } else {
        Err(problems)
    }
}
