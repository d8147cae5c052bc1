//! The survey configuration of one year as small tables the `sql/` models join to, so scoring rules
//! reach SQL as data, never as formatted SQL text.
//!
//! Guarantees: [`register_tables`] (re)registers exactly the tables in [`TABLES`], each with an
//! `ar` Int64 column equal to the year and only the rows of questions and indicators of that year:
//! - `enkat_fragor` (ar, fraga, svarstyp): the year's question columns and answer types;
//! - `enkat_svarsalternativ` (ar, fraga, svar): the allowed answers of categorical questions;
//! - `enkat_indikatorer` (ar, indikator, fraga, regel, troskel): every published indicator id with
//!   its rule name ([`super::survey::Rule::name`]), question (null for the response rate) and
//!   threshold (at_most only);
//! - `enkat_poang` (ar, indikator, svar, poang): for rule `answer`, the score 1/0 of every allowed
//!   answer of the question.
//!
//! The scoring of survey indicators (domain.md "Survey indicators") is SQL, reading the rules
//! from these tables:
//!
//! | model | one row per | holds |
//! |---|---|---|
//! | `int_enkat_respondenter` | respondent | kommun, län, kommungrupp, storleksklass, `inkommit` |
//! | `int_enkat_medlemskap` | respondent × aggregate region | riket, län, kommungrupp, storleksklass |
//! | `stg_enkat_svar` | returned answer | trimmed `svar`, parsed `tal`, `giltigt` |
//! | `int_enkat_ogiltiga_svar` | invalid answer | respondent, fraga, svar (for the gates) |
//! | `int_enkat_poang` | respondent × share indicator | `poang` 1 / 0 / null |
//! | `int_enkat_hushall` | respondent × staffing indicator | households per month, FTEs, kvot |
//! | `ind_enkat` | indicator row | the shared long shape (HELPERS.md) |
//!
//! Choices where the spec leaves room (also stated in the SQL headers):
//! - Respondent rows of shares carry varde 1 / 0 and null taljare / namnare (an answer is not a
//!   ratio); staffing respondent rows carry households per month / FTEs.
//! - An aggregate share with no responding unit is `-` with null taljare and namnare.
//! - An answer outside the allowed answers (including `Vet ej` to a `tal` question, or a number
//!   below 0) is no answer (`-`) and is listed in `int_enkat_ogiltiga_svar`.
//! - Staffing: a respondent reporting 0 FTEs, or whose kommun is bortfall in the register, is `-`
//!   and left out of the ratio of sums; `_min` / `_max` exist at län level only.
//! - The response rate exists at aggregate levels only and counts every respondent of regioner.
//! - Kommungrupp and storleksklass rows carry their code as `regionnamn`; a kommun without
//!   population rows has no storleksklass and is left out of storleksklass rows only.

use super::survey::{Rule, SurveyConfig};
use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::prelude::SessionContext;
use std::sync::Arc;

/// The names of the configuration tables, for the model runner (they are inputs, not models).
pub const TABLES: [&str; 4] = [
    "enkat_fragor",
    "enkat_svarsalternativ",
    "enkat_indikatorer",
    "enkat_poang",
];

/// Registers the configuration tables of `year` in `ctx`, replacing earlier registrations.
pub fn register_tables(ctx: &SessionContext, config: &SurveyConfig, year: i64) -> Result<()> {
    for (name, batch) in TABLES.into_iter().zip(config_batches(config, year)?) {
        let table = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
        ctx.deregister_table(name)?;
        ctx.register_table(name, Arc::new(table))?;
    }
    Ok(())
}

/// The rows of the tables in [`TABLES`] for `year`, in that order.
pub(crate) fn config_batches(config: &SurveyConfig, year: i64) -> Result<Vec<RecordBatch>> {
    let questions = config.questions_for_year(year);
    let indicators = config.indicators_for_year(year);

    let fragor = batch(vec![
        ("ar", ints(questions.iter().map(|_| year))),
        (
            "fraga",
            texts(questions.iter().map(|q| Some(q.column.as_str()))),
        ),
        (
            "svarstyp",
            texts(questions.iter().map(|q| Some(q.answer_type.name()))),
        ),
    ])?;

    let alternatives: Vec<(&str, &str)> = questions
        .iter()
        .flat_map(|q| {
            q.answer_type
                .allowed_answers()
                .iter()
                .map(|a| (q.column.as_str(), *a))
        })
        .collect();
    let svarsalternativ = batch(vec![
        ("ar", ints(alternatives.iter().map(|_| year))),
        ("fraga", texts(alternatives.iter().map(|(q, _)| Some(*q)))),
        ("svar", texts(alternatives.iter().map(|(_, a)| Some(*a)))),
    ])?;

    let indikatorer = batch(vec![
        ("ar", ints(indicators.iter().map(|_| year))),
        (
            "indikator",
            texts(indicators.iter().map(|i| Some(i.id.as_str()))),
        ),
        ("fraga", texts(indicators.iter().map(|i| i.rule.question()))),
        (
            "regel",
            texts(indicators.iter().map(|i| Some(i.rule.name()))),
        ),
        (
            "troskel",
            Arc::new(Float64Array::from_iter(
                indicators.iter().map(|i| i.rule.threshold()),
            )),
        ),
    ])?;

    let scores: Vec<(&str, &str, i64)> = indicators
        .iter()
        .filter_map(|i| match &i.rule {
            Rule::Answer {
                question,
                fulfilled,
            } => config
                .answer_type(year, question)
                .map(|t| (i.id.as_str(), t.allowed_answers(), fulfilled)),
            _ => None,
        })
        .flat_map(|(id, allowed, fulfilled)| {
            allowed
                .iter()
                .map(move |a| (id, *a, i64::from(fulfilled.contains(a))))
        })
        .collect();
    let poang = batch(vec![
        ("ar", ints(scores.iter().map(|_| year))),
        ("indikator", texts(scores.iter().map(|(i, _, _)| Some(*i)))),
        ("svar", texts(scores.iter().map(|(_, a, _)| Some(*a)))),
        ("poang", ints(scores.iter().map(|(_, _, p)| *p))),
    ])?;

    Ok(vec![fragor, svarsalternativ, indikatorer, poang])
}

fn ints(values: impl Iterator<Item = i64>) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(values))
}

fn texts<'a>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(StringArray::from_iter(values))
}

/// A batch whose columns are all nullable, so empty and full years have the same schema.
fn batch(columns: Vec<(&str, ArrayRef)>) -> Result<RecordBatch> {
    Ok(RecordBatch::try_from_iter_with_nullable(
        columns.into_iter().map(|(n, a)| (n, a, true)),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Int64Type;

    const CONFIG: &str = "\
questions:
  - column: moten
    text: m
    type: helt_delvis
    from: 2020
  - column: dagar
    text: d
    type: tal
    from: 2018
indicators:
  - id: enk_moten
    namn: M
    question: moten
  - id: enk_dagar
    namn: D
    question: dagar
    rule: at_most
    threshold: 14
";

    fn column(batch: &RecordBatch, name: &str) -> Vec<String> {
        let a = batch.column_by_name(name).expect("column");
        let a = a.as_string::<i32>();
        (0..a.len())
            .map(|i| {
                if a.is_valid(i) {
                    a.value(i).to_string()
                } else {
                    "∅".to_string()
                }
            })
            .collect()
    }

    #[test]
    fn rules_become_rows_of_the_year() {
        let config = SurveyConfig::from_yaml("e.yaml", CONFIG).expect("compiles");
        let b = config_batches(&config, 2020).expect("batches");
        assert_eq!(column(&b[0], "fraga"), ["moten", "dagar"]);
        assert_eq!(column(&b[0], "svarstyp"), ["helt_delvis", "tal"]);
        // Allowed answers: the four helt_delvis answers; tal has none.
        assert_eq!(
            column(&b[1], "svar"),
            ["Helt", "Delvis", "Inte alls", "Vet ej"]
        );
        assert_eq!(
            column(&b[2], "indikator"),
            ["enk_moten_helt", "enk_moten_helt_delvis", "enk_dagar"]
        );
        assert_eq!(column(&b[2], "regel"), ["answer", "answer", "at_most"]);
        assert_eq!(column(&b[2], "fraga"), ["moten", "moten", "dagar"]);
        let troskel = b[2].column_by_name("troskel").expect("troskel");
        assert_eq!(troskel.null_count(), 2);
        // Scores: _helt counts Helt only, _helt_delvis Helt and Delvis.
        assert_eq!(
            column(&b[3], "svar"),
            [
                "Helt",
                "Delvis",
                "Inte alls",
                "Vet ej",
                "Helt",
                "Delvis",
                "Inte alls",
                "Vet ej"
            ]
        );
        let poang = b[3].column_by_name("poang").expect("poang");
        let poang: Vec<i64> = poang.as_primitive::<Int64Type>().values().to_vec();
        assert_eq!(poang, [1, 0, 0, 0, 1, 1, 0, 0]);
        // 2019: only dagar is asked; no answer scores.
        let b = config_batches(&config, 2019).expect("batches");
        assert_eq!(column(&b[0], "fraga"), ["dagar"]);
        assert_eq!(b[1].num_rows(), 0);
        assert_eq!(b[3].num_rows(), 0);
        assert!(b.iter().all(|b| {
            b.column_by_name("ar")
                .expect("ar")
                .as_primitive::<Int64Type>()
                .values()
                .iter()
                .all(|y| *y == 2019)
        }));
    }
}
