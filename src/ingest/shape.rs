//! The shapes of a drop on its way to staging: the raw text schema of a contract (and the
//! survey's question columns), a file's batch reordered into it, and the staged shape – typed
//! contract columns plus `ar`, the survey unpivoted to (ar, respondent, inkommen, fraga, svar).

use super::{QuestionColumn, read, validate};
use crate::config::Contract;
use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{ident, lit};
use std::sync::Arc;

/// Text columns in contract order, then question columns, then `_file`, `_line`, `_raw`.
pub(super) fn raw_schema(contract: &Contract, questions: &[QuestionColumn]) -> Arc<Schema> {
    let mut fields: Vec<Field> = contract
        .columns
        .iter()
        .map(|c| Field::new(&c.name, DataType::Utf8, true))
        .chain(
            questions
                .iter()
                .map(|q| Field::new(&q.name, DataType::Utf8, true)),
        )
        .collect();
    fields.push(Field::new(validate::FILE_COLUMN, DataType::Int64, false));
    fields.push(Field::new(read::LINE_COLUMN, DataType::Int64, false));
    fields.push(Field::new(read::RAW_COLUMN, DataType::Utf8, false));
    Arc::new(Schema::new(fields))
}

/// Reorders a file's text batch (`f0..fN`, `_line`, `_raw`) into the canonical raw schema.
pub(super) fn canonical_batch(
    batch: &RecordBatch,
    mapped: &[String],
    schema: &Arc<Schema>,
    file_index: usize,
) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    let n = batch.num_rows();
    let line_index = batch.num_columns() - 2;
    let raw_index = batch.num_columns() - 1;
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| {
            if f.name() == validate::FILE_COLUMN {
                Arc::new(Int64Array::from(vec![file_index as i64; n])) as ArrayRef
            } else if f.name() == read::LINE_COLUMN {
                batch.column(line_index).clone()
            } else if f.name() == read::RAW_COLUMN {
                batch.column(raw_index).clone()
            } else {
                mapped
                    .iter()
                    .position(|m| m == f.name())
                    .map(|i| batch.column(i).clone())
                    .unwrap_or_else(|| Arc::new(StringArray::new_null(n)) as ArrayRef)
            }
        })
        .collect();
    RecordBatch::try_new(schema.clone(), columns)
}

/// The schema of a staged dataset ([`staged_frame`]): the typed contract columns, `ar` when the
/// contract has none, and for the survey `fraga` and `svar` (text).
pub fn staged_schema(contract: &Contract) -> Schema {
    let mut fields: Vec<Field> = contract
        .columns
        .iter()
        .map(|c| Field::new(&c.name, c.logical.arrow_type(), true))
        .collect();
    if contract.column("ar").is_none() {
        fields.push(Field::new("ar", DataType::Int64, false));
    }
    if contract.question_columns {
        fields.push(Field::new("fraga", DataType::Utf8, true));
        fields.push(Field::new("svar", DataType::Utf8, true));
    }
    Schema::new(fields)
}

/// The typed contract columns, and `ar` (the drop's year) when the contract has none.
pub(super) fn staged_columns(
    contract: &Contract,
    year: i64,
) -> Vec<datafusion::logical_expr::Expr> {
    let mut base: Vec<datafusion::logical_expr::Expr> =
        contract.columns.iter().map(|c| ident(&c.name)).collect();
    if contract.column("ar").is_none() {
        base.push(lit(year).alias("ar"));
    }
    base
}

/// The staged shape: typed contract columns plus `ar`; the survey is unpivoted to
/// (ar, respondent, inkommen, fraga, svar).
pub(super) fn staged_frame(
    valid: DataFrame,
    contract: &Contract,
    questions: &[QuestionColumn],
    year: i64,
) -> Result<DataFrame, DataFusionError> {
    let base = staged_columns(contract, year);
    if !contract.question_columns {
        return valid.select(base);
    }
    let mut long: Option<DataFrame> = None;
    for q in questions {
        let mut select = base.clone();
        select.push(lit(q.name.clone()).alias("fraga"));
        select.push(ident(&q.name).alias("svar"));
        let part = valid.clone().select(select)?;
        long = Some(match long {
            None => part,
            Some(acc) => acc.union(part)?,
        });
    }
    match long {
        Some(df) => Ok(df),
        None => {
            let mut select = base;
            select.push(lit(datafusion::scalar::ScalarValue::Utf8(None)).alias("fraga"));
            select.push(lit(datafusion::scalar::ScalarValue::Utf8(None)).alias("svar"));
            valid.select(select)?.limit(0, Some(0))
        }
    }
}
