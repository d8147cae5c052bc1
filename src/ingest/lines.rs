//! Where each record of delimited text starts and ends, found by a scan of the bytes for line
//! ends outside quoted fields (the quoting rules of arrow's CSV reader: a field that starts with
//! `"` is quoted, `""` inside it is a quote, a newline inside it belongs to the field). The CSV
//! itself is parsed by arrow; this scan only numbers the records by their first physical line, so
//! reject line numbers stay right after a quoted field with a newline, and bounds the length of a
//! record before the text is decoded or parsed.
//!
//! Guarantees: no allocation besides the returned records; a record longer than the limit is an
//! error naming its first line as soon as the limit is passed, without reading the rest of it.

/// One record: its 1-based first physical line (lines end at `\n`) and its bytes (without the
/// line ending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub start: usize,
    pub end: usize,
}

/// A record longer than the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "line {line}: the line is longer than {limit} bytes (parameter ingest.max_line_bytes) (hint: a field or a line this long is not a valid delivery; check the delimiter and the quoting, or raise the parameter in pipelines/)"
)]
pub struct TooLong {
    /// 1-based first line of the record.
    pub line: usize,
    /// The limit in bytes.
    pub limit: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// Calls `each` with every non-empty record of `bytes` in order; stops with [`TooLong`] at the
/// first record longer than `limit` bytes.
pub fn scan(
    bytes: &[u8],
    delimiter: u8,
    limit: usize,
    mut each: impl FnMut(Record),
) -> Result<(), TooLong> {
    let mut state = State::FieldStart;
    let mut line = 1;
    let mut record = Record {
        line: 1,
        start: 0,
        end: 0,
    };
    let mut finish = |record: Record, end: usize| -> Result<(), TooLong> {
        if end - record.start > limit {
            return Err(TooLong {
                line: record.line,
                limit,
            });
        }
        if end > record.start {
            each(Record { end, ..record });
        }
        Ok(())
    };
    for (i, &b) in bytes.iter().enumerate() {
        if i - record.start > limit {
            return Err(TooLong {
                line: record.line,
                limit,
            });
        }
        state = match (state, b) {
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, b'\n') => {
                line += 1;
                State::Quoted
            }
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') | (State::FieldStart, b'"') => State::Quoted,
            // Like arrow's reader, `\r`, `\n` and `\r\n` end a record (an empty one is skipped);
            // only `\n` starts a new physical line.
            (_, b'\n' | b'\r') => {
                finish(record, i)?;
                if b == b'\n' {
                    line += 1;
                }
                record = Record {
                    line,
                    start: i + 1,
                    end: i + 1,
                };
                State::FieldStart
            }
            (_, b) if b == delimiter => State::FieldStart,
            _ => State::Unquoted,
        };
    }
    finish(record, bytes.len())
}

/// Every non-empty record of `bytes` (see [`scan`]).
pub fn records(bytes: &[u8], delimiter: u8, limit: usize) -> Result<Vec<Record>, TooLong> {
    let mut out = Vec::new();
    scan(bytes, delimiter, limit, |r| out.push(r))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<(usize, &str)> {
        records(text.as_bytes(), b';', 1000)
            .unwrap()
            .into_iter()
            .map(|r| (r.line, &text[r.start..r.end]))
            .collect()
    }

    #[test]
    fn a_quoted_newline_keeps_the_record_on_its_first_line() {
        // Lines: 1 header, 2 `1;"a` + 3 `b"`, 4 `2;c`.
        assert_eq!(
            lines("h;i\n1;\"a\nb\"\n2;c\n"),
            vec![(1, "h;i"), (2, "1;\"a\nb\""), (4, "2;c")]
        );
    }

    #[test]
    fn doubled_quotes_and_stray_quotes_do_not_open_a_field() {
        assert_eq!(
            lines("h;i\n1;\"x\"\"\ny\"\n5\" tum;z\r\n\n"),
            vec![(1, "h;i"), (2, "1;\"x\"\"\ny\""), (4, "5\" tum;z")]
        );
    }

    #[test]
    fn a_record_above_the_limit_names_its_line() {
        let text = "h\nshort\n0123456789\n";
        assert!(records(text.as_bytes(), b';', 10).is_ok());
        assert_eq!(
            records(text.as_bytes(), b';', 9).unwrap_err(),
            TooLong { line: 3, limit: 9 }
        );
        // The limit stops the scan inside an endless line (no newline at all).
        let endless = format!("h\n{}", "x".repeat(100_000));
        assert_eq!(
            records(endless.as_bytes(), b';', 9).unwrap_err(),
            TooLong { line: 2, limit: 9 }
        );
    }
}
