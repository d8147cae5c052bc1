//! Reading a drop file's rows as text columns, with arrow's CSV reader (never inferred types: every
//! field is read as text, typing happens in validation) or, for the survey, calamine's xlsx reader.
//! Each row carries the 1-based line number in the file where its record starts ([`super::lines`]:
//! a quoted field with a newline does not shift the numbers of the rows after it).

use super::lines::{Record, TooLong};
use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringBuilder};
use datafusion::arrow::csv::ReaderBuilder;
use datafusion::arrow::csv::reader::Format;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use std::sync::Arc;

/// Name of the line-number column added to every row.
pub const LINE_COLUMN: &str = "_line";

/// Rows of one file as text, before the header is mapped to contract names.
#[derive(Debug)]
pub struct RawRows {
    /// Header names exactly as written.
    pub header: Vec<String>,
    /// Batches with columns `f0..fN` (Utf8, in file order) and `_line` (Int64).
    pub batches: Vec<RecordBatch>,
    /// The data records of delimited text in file order (the header not included), for the raw
    /// text of rejects; empty for a workbook.
    pub(crate) records: Vec<Record>,
}

/// A structural problem found while reading rows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The last line ends early: the file was cut mid-row.
    #[error(
        "line {line}: the file ends in the middle of a row ({found} of {expected} fields) (hint: the file is truncated; ask for a complete delivery)"
    )]
    Truncated {
        /// 1-based line.
        line: usize,
        /// Fields expected from the header.
        expected: usize,
        /// Fields found.
        found: usize,
    },
    /// A row with a wrong number of fields, or unreadable quoting.
    #[error("line {line}: {message} (hint: check the delimiter and quoting of this row)")]
    Malformed {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The file has no header row.
    #[error("line 1: no header row")]
    NoHeader,
    /// The workbook cannot be read.
    #[error("not a readable xlsx workbook: {0}")]
    Xlsx(String),
    /// A line (a record) above `ingest.max_line_bytes`.
    #[error(transparent)]
    TooLong(#[from] TooLong),
}

fn text_schema(n: usize) -> SchemaRef {
    let mut fields: Vec<Field> = (0..n)
        .map(|i| Field::new(format!("f{i}"), DataType::Utf8, true))
        .collect();
    fields.push(Field::new(LINE_COLUMN, DataType::Int64, false));
    Arc::new(Schema::new(fields))
}

/// The header fields of delimited text, exactly as written.
pub fn read_header(text: &str, delimiter: u8) -> Result<Vec<String>, ReadError> {
    let (header_schema, _) = Format::default()
        .with_header(true)
        .with_delimiter(delimiter)
        .infer_schema(text.as_bytes(), Some(0))
        .map_err(|e| ReadError::Malformed {
            line: 1,
            message: e.to_string(),
        })?;
    let header: Vec<String> = header_schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    if header.is_empty() {
        return Err(ReadError::NoHeader);
    }
    Ok(header)
}

/// Reads delimited text (already decoded) with arrow's CSV reader; `records` are the text's
/// records ([`lines::records`], the header's included), which number the rows by line.
pub fn read_delimited(
    text: &str,
    delimiter: u8,
    mut records: Vec<Record>,
) -> Result<RawRows, ReadError> {
    let header = read_header(text, delimiter)?;
    let n = header.len();
    let read_schema = Arc::new(Schema::new(
        (0..n)
            .map(|i| Field::new(format!("f{i}"), DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let reader = ReaderBuilder::new(read_schema)
        .with_header(true)
        .with_delimiter(delimiter)
        .with_batch_size(65536)
        .build(text.as_bytes())
        .map_err(|e| ReadError::Malformed {
            line: 1,
            message: e.to_string(),
        })?;
    let out_schema = text_schema(n);
    let ends_with_newline = text.ends_with('\n');
    // Arrow numbers records from 1 with the header as record 1.
    let line_of_record = |record: usize| records.get(record.wrapping_sub(1)).map(|r| r.line);
    let mut batches = Vec::new();
    let mut next_record: usize = 1;
    let bar = crate::progress::Bar::bytes(text.len() as u64, "reading");
    for batch in reader {
        let batch = batch.map_err(|e| {
            classify(
                &e.to_string(),
                n,
                records.len(),
                ends_with_newline,
                &line_of_record,
            )
        })?;
        let rows = batch.num_rows();
        let lines = records
            .get(next_record..next_record + rows)
            .ok_or_else(|| ReadError::Malformed {
                line: line_of_record(next_record + 1).unwrap_or(0),
                message: format!(
                    "arrow read {} rows where the scan for line ends found {} records",
                    next_record + rows - 1,
                    records.len().saturating_sub(1)
                ),
            })?;
        let lines: ArrayRef = Arc::new(Int64Array::from_iter_values(
            lines.iter().map(|r| r.line as i64),
        ));
        next_record += rows;
        bar.set_position(records.get(next_record - 1).map_or(0, |r| r.end as u64));
        let mut columns = batch.columns().to_vec();
        columns.push(lines);
        batches.push(
            RecordBatch::try_new(out_schema.clone(), columns).map_err(|e| {
                ReadError::Malformed {
                    line: line_of_record(next_record).unwrap_or(0),
                    message: e.to_string(),
                }
            })?,
        );
    }
    if !records.is_empty() {
        records.remove(0);
    }
    Ok(RawRows {
        header,
        batches,
        records,
    })
}

/// Turns arrow's "incorrect number of fields for line N, expected X got Y" (N counts records,
/// the header is 1) into a typed error naming the record's first physical line.
fn classify(
    message: &str,
    expected: usize,
    total_records: usize,
    ends_with_newline: bool,
    line_of_record: &dyn Fn(usize) -> Option<usize>,
) -> ReadError {
    let parsed = message
        .split("for line ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.trim().parse::<usize>().ok());
    let found = message
        .rsplit("got ")
        .next()
        .and_then(|n| n.trim().parse::<usize>().ok());
    match (parsed, found) {
        (Some(record), Some(found))
            if record == total_records && !ends_with_newline && found < expected =>
        {
            ReadError::Truncated {
                line: line_of_record(record).unwrap_or(record),
                expected,
                found,
            }
        }
        (Some(record), _) => ReadError::Malformed {
            line: line_of_record(record).unwrap_or(record),
            message: format!(
                "wrong number of fields: {}",
                message.trim_start_matches("Csv error: ")
            ),
        },
        _ => ReadError::Malformed {
            line: 0,
            message: message.to_string(),
        },
    }
}

/// Reads the first sheet of an xlsx workbook: row 1 is the header, cells become text (numbers
/// in plain decimal notation, dates as `YYYY-MM-DD`).
pub fn read_xlsx(bytes: &[u8]) -> Result<RawRows, ReadError> {
    use calamine::{Data, Reader};
    let mut workbook = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec()))
        .map_err(|e| ReadError::Xlsx(e.to_string()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| ReadError::Xlsx("the workbook has no sheet".into()))?
        .map_err(|e| ReadError::Xlsx(e.to_string()))?;
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .ok_or(ReadError::NoHeader)?
        .iter()
        .map(cell_text)
        .collect();
    if let Some(i) = header.iter().position(|h| h.trim().is_empty()) {
        return Err(ReadError::Malformed {
            line: 1,
            message: format!("header cell {} is empty", i + 1),
        });
    }
    let n = header.len();
    let mut builders: Vec<StringBuilder> = (0..n).map(|_| StringBuilder::new()).collect();
    let mut lines = Vec::new();
    let start_row = range.start().map(|(r, _)| r as i64).unwrap_or(0);
    for (i, row) in rows.enumerate() {
        if row.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        for (j, b) in builders.iter_mut().enumerate() {
            match row.get(j) {
                Some(cell) => b.append_value(cell_text(cell)),
                None => b.append_null(),
            }
        }
        lines.push(start_row + i as i64 + 2);
    }
    let mut columns: Vec<ArrayRef> = builders
        .into_iter()
        .map(|mut b| Arc::new(b.finish()) as ArrayRef)
        .collect();
    columns.push(Arc::new(Int64Array::from(lines)));
    let batch = RecordBatch::try_new(text_schema(n), columns)
        .map_err(|e| ReadError::Xlsx(e.to_string()))?;
    Ok(RawRows {
        header,
        batches: vec![batch],
        records: Vec::new(),
    })
}

fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => {
            if *b {
                "1".into()
            } else {
                "0".into()
            }
        }
        Data::DateTime(d) => excel_date(d.as_f64()),
        Data::DateTimeIso(s) => s.chars().take(10).collect(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD`.
fn excel_date(serial: f64) -> String {
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    base.checked_add_signed(chrono::Duration::days(serial.floor() as i64))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| serial.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, StringArray};

    fn read_delimited(text: &str, delimiter: u8, limit: usize) -> Result<RawRows, ReadError> {
        let records = super::super::lines::records(text.as_bytes(), delimiter, limit)?;
        super::read_delimited(text, delimiter, records)
    }

    #[test]
    fn reads_text_fields_with_line_numbers() {
        let rows = read_delimited("a;b\n1;x\n2;\n", b';', 100).unwrap();
        assert_eq!(rows.header, vec!["a", "b"]);
        let b = &rows.batches[0];
        let lines = b.column(2).as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(lines.values().to_vec(), vec![2, 3]);
        let col_b = b.column(1).as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(col_b.value(0), "x");
        assert!(col_b.is_null(1) || col_b.value(1).is_empty());
    }

    #[test]
    fn rows_after_a_quoted_newline_keep_their_line_numbers() {
        // Line 1 header, 2–3 one record with a newline inside quotes, 4 the next record.
        let rows = read_delimited("a;b\n1;\"x\ny\"\n2;z\n", b';', 100).unwrap();
        let b = &rows.batches[0];
        let lines = b.column(2).as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(lines.values().to_vec(), vec![2, 4]);
        let col_b = b.column(1).as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(col_b.value(0), "x\ny");
        assert_eq!(rows.records.len(), 2);
    }

    #[test]
    fn a_cut_last_row_is_truncation() {
        let err = read_delimited("a;b;c\n1;2;3\n4;5", b';', 100).unwrap_err();
        assert_eq!(
            err,
            ReadError::Truncated {
                line: 3,
                expected: 3,
                found: 2
            }
        );
    }

    #[test]
    fn a_short_row_inside_is_malformed() {
        let err = read_delimited("a;b;c\n1;2\n4;5;6\n", b';', 100).unwrap_err();
        assert!(
            matches!(err, ReadError::Malformed { line: 2, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn excel_serials_become_iso_dates() {
        assert_eq!(excel_date(43101.0), "2018-01-01");
    }
}
