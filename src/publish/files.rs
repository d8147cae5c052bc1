//! Encoding the release files: `indikatorer.parquet`, `indikatorer.csv` and `kolada.csv`.
//!
//! Guarantees: byte-for-byte deterministic for the same batches. CSV: UTF-8, header row, `.`
//! decimals (Arrow's shortest round-trip float formatting, e.g. `12.3`, `120.0`), nulls as empty
//! fields, quotes only where a field needs them.
//!
//! Kolada (`kpi;municipality;period;gender;value;status`): only riket (`0000`), län (`00` + län
//! code) and kommuner (their code) – Kolada has no municipality for stadsdelar, kommungrupper
//! or storleksklasser, so those rows are left out; only the groups totalt (`T`), kvinnor (`K`)
//! and man (`M`). `kpi` is the indicator id of this project (the mapping to Kolada's own KPI ids
//! is Kolada's). `value` is empty and `status` carries the marker when a cell is not published.
//! Sorted by kpi, municipality, period, gender.

use super::error::PublishError;
use crate::disclose::scratch::Scratch;
use crate::disclose::shape::conform;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::csv::WriterBuilder;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::ParamValues;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::sync::Arc;

const KOLADA_SQL: &str = "
SELECT indikator AS kpi,
       CASE niva WHEN 'riket' THEN '0000' WHEN 'lan' THEN concat('00', region) ELSE region END
         AS municipality,
       ar AS period,
       CASE grupp WHEN 'totalt' THEN 'T' WHEN 'kvinnor' THEN 'K' ELSE 'M' END AS gender,
       varde AS value,
       status
FROM release
WHERE niva IN ('riket', 'lan', 'kommun') AND grupp IN ('totalt', 'kvinnor', 'man')
ORDER BY kpi, municipality, period, gender";

/// The columns of `kolada.csv`.
pub fn kolada_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("kpi", DataType::Utf8, false),
        Field::new("municipality", DataType::Utf8, false),
        Field::new("period", DataType::Int64, false),
        Field::new("gender", DataType::Utf8, false),
        Field::new("value", DataType::Float64, true),
        Field::new("status", DataType::Utf8, false),
    ]))
}

/// `batches` as a Parquet file (Snappy-compressed).
pub(crate) fn parquet_bytes(
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<Vec<u8>, PublishError> {
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer = ArrowWriter::try_new(Vec::new(), schema.clone(), Some(props))?;
    for batch in batches {
        writer.write(batch)?;
    }
    Ok(writer.into_inner()?)
}

/// `batches` as CSV with a header row, separated by `delimiter`.
pub(crate) fn csv_bytes(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    delimiter: u8,
) -> Result<Vec<u8>, PublishError> {
    let mut writer = WriterBuilder::new()
        .with_header(true)
        .with_delimiter(delimiter)
        .with_null(String::new())
        .build(Vec::new());
    // An empty batch first, so an empty table still gets its header row.
    writer.write(&RecordBatch::new_empty(schema.clone()))?;
    for batch in batches {
        writer.write(batch)?;
    }
    Ok(writer.into_inner())
}

/// The rows of `kolada.csv` from the registered `release` table, and the file's bytes.
pub(crate) async fn kolada(scratch: &Scratch) -> Result<(usize, Vec<u8>), PublishError> {
    let schema = kolada_schema();
    let batches = scratch
        .query(KOLADA_SQL, ParamValues::List(Vec::new()))
        .await?
        .iter()
        .map(|b| conform(b, &schema))
        .collect::<Result<Vec<_>, _>>()?;
    let rows = batches.iter().map(RecordBatch::num_rows).sum();
    Ok((rows, csv_bytes(&schema, &batches, b';')?))
}
