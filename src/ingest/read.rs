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
//!
//! (About 550 lines: the incremental reader and the text check of the fingerprint pass follow the
//! same record scan and are kept beside it; the xlsx reader and the tests are their own files.)

use super::decode::{TextDecoder, TextError};
use super::lines::{Record, Scanner, TooLong};
use crate::config::Encoding;
use datafusion::arrow::array::{Int64Array, RecordBatch, StringBuilder};
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

pub(super) fn text_schema(n: usize) -> SchemaRef {
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
        // UTF-8 text is the file's bytes without a byte-order mark: none of its records is longer
        // than the same record in the bytes, already scanned.
        if self.decoder.encoding() != Encoding::Utf8
            && self.text_too_long.is_none()
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

#[cfg(test)]
use super::xlsx::excel_date;
pub use super::xlsx::read_xlsx;

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
