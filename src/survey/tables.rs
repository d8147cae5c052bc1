//! The survey configuration of one year as small tables the `sql/` models join to, so scoring rules
//! reach SQL as data, never as formatted SQL text.
//!
//! Guarantees: [`register_tables`] (re)registers exactly the tables in [`TABLES`], each with an
//! `ar` Int64 column equal to the year and only the rows of questions and indicators of that year:
//! - `enkat_fragor` (ar, fraga, svarstyp): the year's question columns and answer types;
//! - `enkat_svarsalternativ` (ar, fraga, svar): the allowed answers of categorical questions;
//! - `enkat_indikatorer` (ar, indikator, fraga, regel, troskel): every published indicator id with
//!   its rule name ([`super::config::Rule::name`]), question (null for the response rate) and
//!   threshold (at_most only);
//! - `enkat_poang` (ar, indikator, svar, poang): for rule `answer`, the score 1/0 of every allowed
//!   answer of the question.

use super::config::{Rule, SurveyConfig};
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
pub fn config_batches(config: &SurveyConfig, year: i64) -> Result<Vec<RecordBatch>> {
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
