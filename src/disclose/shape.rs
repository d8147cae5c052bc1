//! The column shapes of the disclosed indicator table and of the published release table
//! (outputs.md, "`indikatorer` columns"), and the conversion of query results into them.
//!
//! Guarantees: every batch leaving the disclose or publish stage has exactly these columns, in
//! this order, with these types (`Utf8`, never `Utf8View`; `Float64`; `Int64`).

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use std::sync::Arc;

fn disclosed_fields() -> Vec<Field> {
    vec![
        Field::new("ar", DataType::Int64, false),
        Field::new("indikator", DataType::Utf8, false),
        Field::new("niva", DataType::Utf8, false),
        Field::new("region", DataType::Utf8, false),
        Field::new("regionnamn", DataType::Utf8, true),
        Field::new("grupp", DataType::Utf8, false),
        Field::new("varde", DataType::Float64, true),
        Field::new("taljare", DataType::Float64, true),
        Field::new("namnare", DataType::Float64, true),
        Field::new("status", DataType::Utf8, false),
    ]
}

/// The output of the disclose stage: the publishable columns without the previous-year ones.
pub fn disclosed_schema() -> SchemaRef {
    Arc::new(Schema::new(disclosed_fields()))
}

/// The release table `indikatorer`: [`disclosed_schema`] plus `varde_foregaende_ar` and
/// `forandring`.
pub fn release_schema() -> SchemaRef {
    let mut fields = disclosed_fields();
    fields.push(Field::new("varde_foregaende_ar", DataType::Float64, true));
    fields.push(Field::new("forandring", DataType::Float64, true));
    Arc::new(Schema::new(fields))
}

/// Casts the columns of `batch`, taken by name, into `schema`.
pub(crate) fn conform(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, ArrowError> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let array = batch.column_by_name(field.name()).ok_or_else(|| {
                ArrowError::SchemaError(format!("result has no column {}", field.name()))
            })?;
            cast(array, field.data_type())
        })
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(schema.clone(), columns)
}
