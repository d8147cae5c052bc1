//! Every encoder of a release file in one place: `indikatorer.parquet`, `indikatorer.csv` and the
//! CSV writer `kolada.csv` uses (here), `kolada.csv`/`kolada.json` ([`kolada`]) and
//! `datapackage.json` ([`datapackage`]). The workbook and the report are rendered by `render`.
//!
//! Guarantees: byte-for-byte deterministic for the same batches. CSV: UTF-8, header row, `.`
//! decimals (Arrow's shortest round-trip float formatting, e.g. `12.3`, `120.0`), nulls as empty
//! fields, quotes only where a field needs them. CSV injection (OWASP): a text field that starts
//! with `=`, `+`, `-`, `@`, tab or carriage return – which a spreadsheet would run as a formula –
//! is written with a single quote in front (`'=HYPERLINK(…)`); numbers are never touched (a
//! negative `forandring` stays `-1.5`), and the marker `-` as the whole value of `status` is a
//! defined marker (outputs.md), written as it is.

pub(crate) mod datapackage;
pub(crate) mod kolada;

use super::error::PublishError;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::csv::WriterBuilder;
use datafusion::arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use std::sync::Arc;

/// `batches` as a Parquet file, with the lake's settings.
pub(crate) fn parquet_bytes(
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<Vec<u8>, PublishError> {
    let props = crate::lake::writer_properties();
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
        writer.write(&neutralised(batch)?)?;
    }
    Ok(writer.into_inner())
}

/// Characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The column whose whole value `-` is a marker, not text.
const STATUS_COLUMN: &str = "status";

/// `text` as a spreadsheet shows it literally: a single quote before a formula character.
fn neutralise<'a>(text: &'a str, column: &str) -> std::borrow::Cow<'a, str> {
    let marker = column == STATUS_COLUMN && text == "-";
    if !marker && text.starts_with(FORMULA_START) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// `batch` with every text column neutralised ([`neutralise`]); other columns as they are.
fn neutralised(batch: &RecordBatch) -> Result<RecordBatch, PublishError> {
    use datafusion::arrow::array::{Array, ArrayRef, StringArray};
    let schema = batch.schema();
    let columns = schema
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(field, column)| {
            let text = match column.as_any().downcast_ref::<StringArray>() {
                Some(text) if text.iter().flatten().any(|v| v.starts_with(FORMULA_START)) => text,
                _ => return column.clone(),
            };
            let values: StringArray = text
                .iter()
                .map(|v| v.map(|v| neutralise(v, field.name())))
                .collect();
            Arc::new(values) as ArrayRef
        })
        .collect::<Vec<_>>();
    Ok(RecordBatch::try_new(schema, columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclose::shape::release_schema;
    use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};

    /// Issue 12, item 9: `=HYPERLINK(…)` in a region name reached indikatorer.csv as a formula.
    #[test]
    fn formula_text_is_neutralised_and_numbers_and_markers_are_not() {
        let text = |v: &[&str]| Arc::new(StringArray::from(v.to_vec())) as ArrayRef;
        let batch = RecordBatch::try_new(
            release_schema(),
            vec![
                Arc::new(Int64Array::from(vec![2017, 2017])),
                text(&["reg_a", "reg_a"]),
                text(&["kommun", "kommun"]),
                text(&["0301", "0302"]),
                text(&["=HYPERLINK(\"x\")", "@Östad"]),
                text(&["totalt", "totalt"]),
                Arc::new(Float64Array::from(vec![Some(-2.5), None])),
                Arc::new(Float64Array::from(vec![Some(1.0), None])),
                Arc::new(Float64Array::from(vec![Some(2.0), None])),
                text(&["", "-"]),
                Arc::new(Float64Array::from(vec![Some(3.0), None])),
                Arc::new(Float64Array::from(vec![Some(-1.5), None])),
            ],
        )
        .unwrap();
        let csv = String::from_utf8(csv_bytes(&release_schema(), &[batch], b',').unwrap()).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        // The region name gets a quote in front (and the CSV quoting of its inner quotes); the
        // negative numbers stay numbers; the marker `-` of the second row stays `-`.
        assert_eq!(
            lines[1],
            "2017,reg_a,kommun,0301,\"'=HYPERLINK(\"\"x\"\")\",totalt,-2.5,1.0,2.0,,3.0,-1.5"
        );
        assert_eq!(lines[2], "2017,reg_a,kommun,0302,'@Östad,totalt,,,,-,,");
    }

    #[test]
    fn every_formula_start_is_neutralised_but_a_status_that_is_not_the_marker_is() {
        for start in ["=", "+", "-", "@", "\t", "\r"] {
            let v = format!("{start}1+1");
            assert_eq!(neutralise(&v, "regionnamn"), format!("'{v}"));
            assert_eq!(neutralise(&v, "status"), format!("'{v}"));
        }
        assert_eq!(neutralise("-", "status"), "-");
        assert_eq!(neutralise("-", "regionnamn"), "'-");
        assert_eq!(neutralise("..", "status"), "..");
        assert_eq!(neutralise("Åby", "regionnamn"), "Åby");
    }
}
