//! Splitting checked rows into the staged rows and the rejects: the rejects table (file, line,
//! broken rules, reason and the raw record) and the first reject messages.

use super::{read, validate};
use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::error::DataFusionError;
use std::sync::Arc;

/// The columns of the checked rows that say where a row came from and which rules it broke.
pub(super) const META_COLUMNS: [&str; 5] = [
    validate::FILE_COLUMN,
    read::LINE_COLUMN,
    read::RAW_COLUMN,
    validate::RULES_COLUMN,
    validate::REASON_COLUMN,
];

/// Splits a batch of checked rows (the first `staged_columns` columns are the staged ones, then
/// [`META_COLUMNS`]) into its valid rows (staged columns) and its rejected rows (meta columns).
pub(super) fn split_verdict(
    batch: &RecordBatch,
    staged_columns: usize,
) -> Result<(RecordBatch, RecordBatch), DataFusionError> {
    let rules = column::<StringArray>(batch, validate::RULES_COLUMN)?;
    let valid: datafusion::arrow::array::BooleanArray =
        rules.iter().map(|r| Some(r == Some(""))).collect();
    let rejected = datafusion::arrow::compute::not(&valid)?;
    let meta: Vec<usize> = META_COLUMNS
        .iter()
        .map(|c| batch.schema().index_of(c))
        .collect::<Result<_, _>>()?;
    let staged: Vec<usize> = (0..staged_columns).collect();
    Ok((
        filter_record_batch(&batch.project(&staged)?, &valid)?,
        filter_record_batch(&batch.project(&meta)?, &rejected)?,
    ))
}

/// Builds the rejects table (file, line, rules, reason, raw: the whole record, every line of it)
/// and the first messages.
pub(super) fn reject_rows(
    batches: &[RecordBatch],
    file_names: &[String],
) -> Result<(RecordBatch, Vec<String>), datafusion::arrow::error::ArrowError> {
    let mut files = Vec::new();
    let mut lines = Vec::new();
    let mut rules = Vec::new();
    let mut reasons = Vec::new();
    let mut raws = Vec::new();
    let mut examples = Vec::new();
    for b in batches {
        let file_col = column::<Int64Array>(b, validate::FILE_COLUMN)?;
        let line_col = column::<Int64Array>(b, read::LINE_COLUMN)?;
        let rules_col = column::<StringArray>(b, validate::RULES_COLUMN)?;
        let reason_col = column::<StringArray>(b, validate::REASON_COLUMN)?;
        let raw_col = column::<StringArray>(b, read::RAW_COLUMN)?;
        for i in 0..b.num_rows() {
            let fi = file_col.value(i) as usize;
            let line = line_col.value(i);
            let name = file_names.get(fi).cloned().unwrap_or_default();
            let raw = raw_col.value(i).to_string();
            if examples.len() < 10 {
                examples.push(format!("{name}:{line}: {}", reason_col.value(i)));
            }
            files.push(name);
            lines.push(line);
            rules.push(rules_col.value(i).to_string());
            reasons.push(reason_col.value(i).to_string());
            raws.push(raw);
        }
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("file", DataType::Utf8, false),
        Field::new("line", DataType::Int64, false),
        Field::new("rules", DataType::Utf8, false),
        Field::new("reason", DataType::Utf8, false),
        Field::new("raw", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(files)),
            Arc::new(Int64Array::from(lines)),
            Arc::new(StringArray::from(rules)),
            Arc::new(StringArray::from(reasons)),
            Arc::new(StringArray::from(raws)),
        ],
    )?;
    Ok((batch, examples))
}

fn column<'a, T: 'static>(
    b: &'a RecordBatch,
    name: &str,
) -> Result<&'a T, datafusion::arrow::error::ArrowError> {
    b.column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| {
            datafusion::arrow::error::ArrowError::SchemaError(format!(
                "column {name} missing or mistyped"
            ))
        })
}
