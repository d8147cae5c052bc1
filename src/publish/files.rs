//! Encoding the release tables: `indikatorer.parquet`, `indikatorer.csv` (and the CSV writer
//! `kolada.csv` uses, see [`super::kolada`]).
//!
//! Guarantees: byte-for-byte deterministic for the same batches. CSV: UTF-8, header row, `.`
//! decimals (Arrow's shortest round-trip float formatting, e.g. `12.3`, `120.0`), nulls as empty
//! fields, quotes only where a field needs them.

use super::error::PublishError;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::csv::WriterBuilder;
use datafusion::arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

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
