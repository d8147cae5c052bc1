//! Reading a drop file's rows as text columns, with arrow's CSV reader (never inferred types: every
//! field is read as text, typing happens in validation) or, for the survey, calamine's xlsx reader.
//! Each row carries the 1-based line number in the file where its record starts ([`super::lines`]:
//! a quoted field with a newline does not shift the numbers of the rows after it) and its raw text
//! (every line of the record), for the rejects file.
//!
//! Delimited text is read as it arrives ([`DelimitedReader`]): chunks of the file's bytes are
//! decoded ([`TextDecoder`]), scanned for records ([`Scanner`]) and handed to arrow's incremental
//! CSV decoder one complete record at a time, so a file is never held whole: what is held is the
//! text of the rows of the batch being built and one chunk.

use super::decode::{TextDecoder, TextError};
use super::lines::{Record, Scanner, TooLong};
use crate::config::Encoding;
use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringBuilder};
use datafusion::arrow::csv::ReaderBuilder;
use datafusion::arrow::csv::reader::{Decoder, Format};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use std::collections::VecDeque;
use std::sync::Arc;

/// Name of the line-number column added to every row.
pub const LINE_COLUMN: &str = "_line";
/// Name of the column with each row's raw text (the whole record, every line of it; empty for a
/// workbook row).
pub const RAW_COLUMN: &str = "_raw";
/// Rows per batch of delimited text.
pub const BATCH_ROWS: usize = 65536;

/// Rows of one file as text, before the header is mapped to contract names.
#[derive(Debug)]
pub struct RawRows {
    /// Header names exactly as written.
    pub header: Vec<String>,
    /// Batches with columns `f0..fN` (Utf8, in file order), `_line` (Int64) and `_raw` (Utf8).
    pub batches: Vec<RecordBatch>,
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
    fields.push(Field::new(RAW_COLUMN, DataType::Utf8, false));
    Arc::new(Schema::new(fields))
}

/// What stops a delimited file from being read: its text or its rows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error(transparent)]
    Text(#[from] TextError),
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// A problem of a delimited file's text found before any row is read: a record above the length
/// limit (in the bytes, or in the decoded text), or a [`TextError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextProblem {
    /// A record above `ingest.max_line_bytes`.
    TooLong(TooLong),
    /// An undecodable byte, an empty file or a blank line inside it.
    Text(TextError),
}

impl TextProblem {
    /// The ingest error for the file shown as `file`.
    pub fn into_error(self, file: String) -> super::IngestError {
        match self {
            TextProblem::TooLong(e) => super::IngestError::Read {
                file,
                source: e.into(),
            },
            TextProblem::Text(source) => super::IngestError::Text { file, source },
        }
    }
}

/// The checks of a delimited file's text that come before its rows, over chunks of its bytes, in
/// the order of reading the whole file: records above the length limit in the bytes (the scan
/// stops at the first, whatever follows), then the decoding (an undecodable byte, an empty file,
/// a blank line inside it), then records above the limit in the decoded text (Windows-1252 text
/// is longer than its bytes). Holds one chunk's text at a time.
#[derive(Debug)]
pub struct TextCheck {
    bytes: Scanner,
    text: Scanner,
    decoder: TextDecoder,
    buffer: Vec<u8>,
    too_long: Option<TooLong>,
    undecodable: Option<TextError>,
    text_too_long: Option<TooLong>,
}

impl TextCheck {
    /// The checks of a file with `delimiter`, `encoding` and records of at most `limit` bytes.
    pub fn new(delimiter: u8, encoding: Encoding, limit: usize) -> TextCheck {
        TextCheck {
            bytes: Scanner::new(delimiter, limit),
            text: Scanner::new(delimiter, limit),
            decoder: TextDecoder::new(encoding),
            buffer: Vec::new(),
            too_long: None,
            undecodable: None,
            text_too_long: None,
        }
    }

    /// Takes the next chunk of the file.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.too_long.is_some() {
            return;
        }
        if let Err(e) = self.bytes.feed(chunk, &mut |_| {}) {
            self.too_long = Some(e);
            return;
        }
        if self.undecodable.is_some() {
            return;
        }
        self.buffer.clear();
        match self.decoder.feed(chunk, &mut self.buffer) {
            Ok(()) => self.scan_text(),
            Err(e) => self.undecodable = Some(e),
        }
    }

    fn scan_text(&mut self) {
        if self.text_too_long.is_none()
            && let Err(e) = self.text.feed(&self.buffer, &mut |_| {})
        {
            self.text_too_long = Some(e);
        }
    }

    /// Ends the file: its first problem, if any.
    pub fn finish(mut self) -> Option<TextProblem> {
        if let Some(e) = self.too_long {
            return Some(TextProblem::TooLong(e));
        }
        if let Err(e) = self.bytes.finish(&mut |_| {}) {
            return Some(TextProblem::TooLong(e));
        }
        if let Some(e) = self.undecodable {
            return Some(TextProblem::Text(e));
        }
        self.buffer.clear();
        if let Err(e) = self.decoder.finish(&mut self.buffer) {
            return Some(TextProblem::Text(e));
        }
        self.scan_text();
        if let Some(e) = self.text_too_long {
            return Some(TextProblem::TooLong(e));
        }
        if let Err(e) = self.text.finish(&mut |_| {}) {
            return Some(TextProblem::TooLong(e));
        }
        None
    }
}

/// Delimited text read as it arrives: [`DelimitedReader::push`] the file's bytes in chunks of any
/// size, [`DelimitedReader::finish`] at its end, and take the rows with
/// [`DelimitedReader::next_batch`] (columns `f0..fN`, `_line`, `_raw`) after each. The header is
/// available from [`DelimitedReader::header`] as soon as its line is complete, before any row is
/// given out. Errors are those of reading the whole text, with the same lines.
pub struct DelimitedReader {
    delimiter: u8,
    decoder: TextDecoder,
    scanner: Scanner,
    /// Decoded text not yet released; `text[0]` is the text's byte `base`.
    text: Vec<u8>,
    base: usize,
    /// Text given to arrow's decoder so far (an offset of the whole text).
    fed: usize,
    /// The end of the last complete record (after its line end).
    complete: usize,
    /// Records scanned and not yet given out as rows (the header first, until it is read).
    records: VecDeque<Record>,
    /// Records given out as rows or read as the header.
    done_records: usize,
    header: Option<Vec<String>>,
    csv: Option<Decoder>,
    batch_rows: usize,
    eof: bool,
    eof_signalled: bool,
    /// An error of arrow's that waits for the end of the file to be classified.
    failed: Option<String>,
}

impl DelimitedReader {
    /// A reader of a file in `encoding` with records of at most `limit` bytes.
    pub fn new(delimiter: u8, encoding: Encoding, limit: usize) -> DelimitedReader {
        DelimitedReader {
            delimiter,
            decoder: TextDecoder::new(encoding),
            scanner: Scanner::new(delimiter, limit),
            text: Vec::new(),
            base: 0,
            fed: 0,
            complete: 0,
            records: VecDeque::new(),
            done_records: 0,
            header: None,
            csv: None,
            batch_rows: BATCH_ROWS,
            eof: false,
            eof_signalled: false,
            failed: None,
        }
    }

    /// The same reader with `rows` rows per batch.
    pub fn with_batch_rows(mut self, rows: usize) -> DelimitedReader {
        self.batch_rows = rows.max(1);
        self
    }

    /// The header fields exactly as written, once the header's line is complete.
    pub fn header(&self) -> Option<&[String]> {
        self.header.as_deref()
    }

    /// Takes the next chunk of the file's bytes.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), FileError> {
        self.decoder.feed(bytes, &mut self.text)?;
        self.scan()
    }

    /// Ends the file.
    pub fn finish(&mut self) -> Result<(), FileError> {
        self.decoder.finish(&mut self.text)?;
        self.scan()?;
        let records = &mut self.records;
        self.scanner
            .finish(&mut |r| records.push_back(r))
            .map_err(ReadError::from)?;
        self.complete = self.base + self.text.len();
        self.eof = true;
        self.read_header()?;
        if self.header.is_none() {
            return Err(ReadError::NoHeader.into());
        }
        Ok(())
    }

    fn scan(&mut self) -> Result<(), FileError> {
        let from = self.scanner.offset() - self.base;
        let records = &mut self.records;
        self.scanner
            .feed(&self.text[from..], &mut |r| records.push_back(r))
            .map_err(ReadError::from)?;
        self.complete = self.scanner.record_start();
        self.read_header()
    }

    /// Reads the header once its record is complete and starts arrow's decoder.
    fn read_header(&mut self) -> Result<(), FileError> {
        if self.header.is_some() {
            return Ok(());
        }
        let Some(first) = self.records.front().copied() else {
            return Ok(());
        };
        let end = (first.end + 1).min(self.base + self.text.len()) - self.base;
        let text = std::str::from_utf8(&self.text[..end]).map_err(|e| ReadError::Malformed {
            line: 1,
            message: e.to_string(),
        })?;
        let header = read_header(text, self.delimiter)?;
        let schema = Arc::new(Schema::new(
            (0..header.len())
                .map(|i| Field::new(format!("f{i}"), DataType::Utf8, true))
                .collect::<Vec<_>>(),
        ));
        self.csv = Some(
            ReaderBuilder::new(schema)
                .with_header(true)
                .with_delimiter(self.delimiter)
                .with_batch_size(self.batch_rows)
                .build_decoder(),
        );
        self.header = Some(header);
        self.records.pop_front();
        self.done_records = 1;
        Ok(())
    }

    /// The next batch of rows, when enough text has arrived for one (or at the end of the file,
    /// the last rows).
    pub fn next_batch(&mut self) -> Result<Option<RecordBatch>, FileError> {
        let Some(header_len) = self.header.as_ref().map(Vec::len) else {
            return Ok(None);
        };
        loop {
            if let Some(message) = &self.failed {
                if !self.eof {
                    return Ok(None);
                }
                return Err(self.classify(message).into());
            }
            let Some(csv) = self.csv.as_mut() else {
                return Ok(None);
            };
            if csv.capacity() == 0 {
                return self.flush(header_len);
            }
            let input = &self.text[self.fed - self.base..self.complete - self.base];
            if input.is_empty() {
                if !self.eof {
                    return Ok(None);
                }
                if !self.eof_signalled {
                    self.eof_signalled = true;
                    if let Err(e) = csv.decode(&[]) {
                        return self.failed(e.to_string());
                    }
                    continue;
                }
                return self.flush(header_len);
            }
            match csv.decode(input) {
                Ok(0) => return Ok(None),
                Ok(n) => self.fed += n,
                Err(e) => return self.failed(e.to_string()),
            }
        }
    }

    /// An error of arrow's decoder: classified now, or at the end of the file when it is about the
    /// last record seen so far (a cut last row is told from a malformed one only there).
    fn failed(&mut self, message: String) -> Result<Option<RecordBatch>, FileError> {
        let record = record_of(&message);
        let seen = self.done_records + self.records.len();
        if self.eof || record.is_some_and(|r| r < seen) {
            return Err(self.classify(&message).into());
        }
        self.failed = Some(message);
        Ok(None)
    }

    fn classify(&self, message: &str) -> ReadError {
        let seen = self.done_records + self.records.len();
        let line_of_record = |record: usize| {
            record
                .checked_sub(1 + self.done_records)
                .and_then(|i| self.records.get(i))
                .map(|r| r.line)
        };
        classify(
            message,
            self.header.as_ref().map_or(0, Vec::len),
            seen,
            self.decoder.ends_with_newline(),
            &line_of_record,
        )
    }

    fn flush(&mut self, header_len: usize) -> Result<Option<RecordBatch>, FileError> {
        let Some(csv) = self.csv.as_mut() else {
            return Ok(None);
        };
        let batch = match csv.flush() {
            Ok(Some(b)) => b,
            Ok(None) => return Ok(None),
            Err(e) => return Err(self.classify(&e.to_string()).into()),
        };
        let rows = batch.num_rows();
        if rows > self.records.len() {
            return Err(ReadError::Malformed {
                line: self.records.back().map_or(0, |r| r.line),
                message: format!(
                    "arrow read {} rows where the scan for line ends found {} records",
                    self.done_records - 1 + rows,
                    self.done_records - 1 + self.records.len()
                ),
            }
            .into());
        }
        let mut raw = StringBuilder::with_capacity(rows, 0);
        let mut lines = Vec::with_capacity(rows);
        for r in self.records.drain(..rows) {
            lines.push(r.line as i64);
            let text = &self.text[r.start - self.base..r.end - self.base];
            raw.append_value(std::str::from_utf8(text).map_err(|e| ReadError::Malformed {
                line: r.line,
                message: e.to_string(),
            })?);
        }
        self.done_records += rows;
        // Release the text before the first row not yet given out (or not yet given to arrow).
        let keep = self
            .records
            .front()
            .map_or(self.fed, |r| r.start.min(self.fed));
        let release = keep - self.base;
        if release > 0 && release >= self.text.len() / 2 {
            self.text.drain(..release);
            self.base = keep;
        }
        let mut columns = batch.columns().to_vec();
        columns.push(Arc::new(Int64Array::from(lines)));
        columns.push(Arc::new(raw.finish()));
        RecordBatch::try_new(text_schema(header_len), columns)
            .map(Some)
            .map_err(|e| {
                ReadError::Malformed {
                    line: 0,
                    message: e.to_string(),
                }
                .into()
            })
    }
}

/// The record number in arrow's "incorrect number of fields for line N, …" (the header is 1).
fn record_of(message: &str) -> Option<usize> {
    message
        .split("for line ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.trim().parse::<usize>().ok())
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

/// Reads delimited text (already decoded) with arrow's CSV reader, fed whole to a
/// [`DelimitedReader`]; each row carries its raw record text in `_raw`.
pub fn read_delimited(text: &str, delimiter: u8) -> Result<RawRows, ReadError> {
    let as_read = |e: FileError| match e {
        FileError::Read(e) => e,
        FileError::Text(e) => ReadError::Malformed {
            line: 0,
            message: e.to_string(),
        },
    };
    let mut reader = DelimitedReader::new(delimiter, Encoding::Utf8, usize::MAX);
    reader.push(text.as_bytes()).map_err(as_read)?;
    reader.finish().map_err(as_read)?;
    let mut batches = Vec::new();
    while let Some(batch) = reader.next_batch().map_err(as_read)? {
        batches.push(batch);
    }
    Ok(RawRows {
        header: reader.header().map(<[String]>::to_vec).unwrap_or_default(),
        batches,
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
    let parsed = record_of(message);
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
        super::super::lines::records(text.as_bytes(), delimiter, limit)?;
        super::read_delimited(text, delimiter)
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
        assert_eq!(b.num_rows(), 2);
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

    /// One row as read: its line, its fields (NULL as `None`) and its raw text.
    type Row = (i64, Vec<Option<String>>, String);

    /// `bytes` pushed in chunks of `size` (the whole text for 0), rows `batch` at a time.
    fn read_chunked(
        bytes: &[u8],
        encoding: Encoding,
        size: usize,
        batch: usize,
    ) -> Result<(Vec<String>, Vec<Row>), FileError> {
        let mut reader = DelimitedReader::new(b';', encoding, 1000).with_batch_rows(batch);
        let mut rows = Vec::new();
        let mut take = |reader: &mut DelimitedReader| -> Result<(), FileError> {
            while let Some(b) = reader.next_batch()? {
                let n = b.num_columns() - 2;
                let lines = b.column(n).as_any().downcast_ref::<Int64Array>().unwrap();
                let raws = b
                    .column(n + 1)
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .unwrap();
                for i in 0..b.num_rows() {
                    let fields = (0..n)
                        .map(|c| {
                            let col = b.column(c).as_any().downcast_ref::<StringArray>().unwrap();
                            (!col.is_null(i)).then(|| col.value(i).to_string())
                        })
                        .collect();
                    rows.push((lines.value(i), fields, raws.value(i).to_string()));
                }
            }
            Ok(())
        };
        let size = if size == 0 { bytes.len().max(1) } else { size };
        for chunk in bytes.chunks(size) {
            reader.push(chunk)?;
            take(&mut reader)?;
        }
        reader.finish()?;
        take(&mut reader)?;
        Ok((reader.header().unwrap_or_default().to_vec(), rows))
    }

    /// Every chunk size from 1 byte to the whole text and batches of 1, 2 and 1000 rows give
    /// what the whole text gives.
    fn same_in_any_chunks(
        bytes: &[u8],
        encoding: Encoding,
    ) -> Result<(Vec<String>, Vec<Row>), FileError> {
        let whole = read_chunked(bytes, encoding, 0, 1000);
        for size in 1..=bytes.len() {
            for batch in [1, 2, 1000] {
                assert_eq!(
                    read_chunked(bytes, encoding, size, batch),
                    whole,
                    "chunks of {size}, batches of {batch}"
                );
            }
        }
        whole
    }

    fn row(line: i64, fields: &[&str], raw: &str) -> Row {
        (
            line,
            fields
                .iter()
                .map(|f| (!f.is_empty()).then(|| f.to_string()))
                .collect(),
            raw.to_string(),
        )
    }

    #[test]
    fn records_split_across_chunks_keep_fields_lines_and_raw_text() {
        // Line 1 header, 2 a row, 3–4 one record with a quoted newline, 5 a row, 6 a CRLF row.
        let text = b"a;b\n1;x\n2;\"y\nz\"\n3;w\n4;v\r\n";
        let (header, rows) = same_in_any_chunks(text, Encoding::Utf8).unwrap();
        assert_eq!(header, vec!["a", "b"]);
        assert_eq!(
            rows,
            vec![
                row(2, &["1", "x"], "1;x"),
                row(3, &["2", "y\nz"], "2;\"y\nz\""),
                row(5, &["3", "w"], "3;w"),
                row(6, &["4", "v"], "4;v"),
            ]
        );
    }

    #[test]
    fn a_multi_byte_character_split_across_chunks_is_whole() {
        // Ö and ö are two bytes each in UTF-8; a byte-order mark is three.
        let text = "\u{feff}namn;ort\n1;Örebro\n2;Malmö\n".as_bytes();
        let (header, rows) = same_in_any_chunks(text, Encoding::Utf8).unwrap();
        assert_eq!(header, vec!["namn", "ort"]);
        assert_eq!(
            rows,
            vec![
                row(2, &["1", "Örebro"], "1;Örebro"),
                row(3, &["2", "Malmö"], "2;Malmö")
            ]
        );
    }

    #[test]
    fn windows_1252_bytes_split_across_chunks_decode() {
        // 0xD6 is Ö and 0xF6 ö in Windows-1252: one byte each, two in the UTF-8 text.
        let text = b"namn;ort\n1;\xD6rebro\n2;\"Malm\xF6\n\xD6\"\n3;x\n";
        let (_, rows) = same_in_any_chunks(text, Encoding::Windows1252).unwrap();
        assert_eq!(
            rows,
            vec![
                row(2, &["1", "Örebro"], "1;Örebro"),
                row(3, &["2", "Malmö\nÖ"], "2;\"Malmö\nÖ\""),
                row(5, &["3", "x"], "3;x"),
            ]
        );
    }

    #[test]
    fn errors_in_chunks_name_the_same_lines() {
        // A short row after a quoted newline: its record starts on line 4.
        let err =
            same_in_any_chunks(b"a;b;c\n1;\"x\ny\";3\n4;5\n6;7;8\n", Encoding::Utf8).unwrap_err();
        assert!(
            matches!(err, FileError::Read(ReadError::Malformed { line: 4, .. })),
            "{err:?}"
        );
        // A cut last row (no line end): truncation, on its line.
        assert_eq!(
            same_in_any_chunks(b"a;b;c\n1;2;3\n4;5", Encoding::Utf8).unwrap_err(),
            FileError::Read(ReadError::Truncated {
                line: 3,
                expected: 3,
                found: 2
            })
        );
        // A short last row ended by a lone carriage return is a cut row too, as read whole.
        assert_eq!(
            same_in_any_chunks(b"a;b;c\n1;2;3\n4;5\r", Encoding::Utf8).unwrap_err(),
            FileError::Read(ReadError::Truncated {
                line: 3,
                expected: 3,
                found: 2
            })
        );
        // An undecodable byte: its offset and line, wherever the chunks end.
        assert_eq!(
            same_in_any_chunks(b"a;b\n1;2\n\xC3\xB6;\xF6\n", Encoding::Utf8).unwrap_err(),
            FileError::Text(TextError::Undecodable {
                offset: 11,
                line: 3,
                byte: 0xF6,
                encoding: "utf-8"
            })
        );
        assert_eq!(
            same_in_any_chunks(b"a;b\n1;2\n\n3;4\n", Encoding::Utf8).unwrap_err(),
            FileError::Text(TextError::BlankLine { line: 3 })
        );
        assert_eq!(
            same_in_any_chunks(b" \n\r\n", Encoding::Utf8).unwrap_err(),
            FileError::Text(TextError::Empty)
        );
    }

    proptest::proptest! {
        #[test]
        fn any_chunks_read_what_the_whole_text_reads(
            picks in proptest::collection::vec(0usize..8, 0..40),
            size in 1usize..7,
            batch in 1usize..4,
        ) {
            // Two-field rows made of quotes, delimiters, line ends, letters and a two-byte letter.
            let alphabet = ["\"", ";", "\n", "\r", "a", "b", "ö", "\n"];
            let text = format!("h;i\n{}", picks.iter().map(|i| alphabet[*i]).collect::<String>());
            // A file with a problem of its text (a blank line inside it) stops before its rows
            // are read ([`TextCheck`], run first); the reader's own order of errors is that of
            // the bytes it was given.
            let mut check = TextCheck::new(b';', Encoding::Utf8, 1000);
            check.push(text.as_bytes());
            proptest::prop_assume!(check.finish().is_none());
            proptest::prop_assert_eq!(
                read_chunked(text.as_bytes(), Encoding::Utf8, size, batch),
                read_chunked(text.as_bytes(), Encoding::Utf8, 0, batch)
            );
        }
    }

    #[test]
    fn the_text_checks_come_in_the_order_of_reading_the_whole_file() {
        let check = |bytes: &[u8], encoding: Encoding, limit: usize, size: usize| {
            let mut check = TextCheck::new(b';', encoding, limit);
            for chunk in bytes.chunks(size) {
                check.push(chunk);
            }
            check.finish()
        };
        for size in 1..8 {
            // A record above the limit (line 4) before an undecodable byte (line 2).
            assert_eq!(
                check(b"a\n\xFF\nb\n0123456789\n", Encoding::Utf8, 9, size),
                Some(TextProblem::TooLong(TooLong { line: 4, limit: 9 }))
            );
            assert_eq!(
                check(b"a\n\xFF\nb\n012345678\n", Encoding::Utf8, 9, size),
                Some(TextProblem::Text(TextError::Undecodable {
                    offset: 2,
                    line: 2,
                    byte: 0xFF,
                    encoding: "utf-8"
                }))
            );
            // Windows-1252: 9 bytes, 10 once Ö is two bytes of UTF-8 – too long as text.
            assert_eq!(
                check(b"a\n\xD6rebro123\n", Encoding::Windows1252, 9, size),
                Some(TextProblem::TooLong(TooLong { line: 2, limit: 9 }))
            );
            assert_eq!(check(b"a;b\n1;2\n", Encoding::Utf8, 9, size), None);
        }
    }

    #[test]
    fn excel_serials_become_iso_dates() {
        assert_eq!(excel_date(43101.0), "2018-01-01");
    }
}
