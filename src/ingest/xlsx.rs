//! Reading a survey that comes as an xlsx workbook (calamine): the first sheet's rows as text
//! columns, the same shape as delimited text ([`super::read::RawRows`]).

use super::read::{RawRows, ReadError, text_schema};
use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringBuilder};
use std::sync::Arc;
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
    let rows = lines.len();
    columns.push(Arc::new(Int64Array::from(lines)));
    columns.push(Arc::new(datafusion::arrow::array::StringArray::from(
        vec![""; rows],
    )));
    let batch = RecordBatch::try_new(text_schema(n), columns)
        .map_err(|e| ReadError::Xlsx(e.to_string()))?;
    Ok(RawRows {
        header,
        batches: vec![batch],
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
pub(super) fn excel_date(serial: f64) -> String {
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    base.checked_add_signed(chrono::Duration::days(serial.floor() as i64))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| serial.to_string())
}
