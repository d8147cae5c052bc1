//! Where each record of delimited text starts and ends, found by a scan of the bytes for line
//! ends outside quoted fields (the quoting rules of arrow's CSV reader: a field that starts with
//! `"` is quoted, `""` inside it is a quote, a newline inside it belongs to the field). The CSV
//! itself is parsed by arrow; this scan only numbers the records by their first physical line, so
//! reject line numbers stay right after a quoted field with a newline, and bounds the length of a
//! record before the text is decoded or parsed. The text may come in chunks ([`Scanner`]): a record,
//! a quoted field or a line end split across chunks is scanned as if the text were whole.
//!
//! Guarantees: no allocation besides the records handed out; a record longer than the limit is an
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

/// Calls `each` with every non-empty record of `bytes` in order; stops with [`TooLong`] at the
/// first record longer than `limit` bytes (one [`Scanner`] fed the whole slice).
pub fn scan(
    bytes: &[u8],
    delimiter: u8,
    limit: usize,
    mut each: impl FnMut(Record),
) -> Result<(), TooLong> {
    let mut scanner = Scanner::new(delimiter, limit);
    scanner.feed(bytes, &mut each)?;
    scanner.finish(&mut each)
}

/// Where the scan stands between two bytes: the quoting state of arrow's CSV reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a field (of a record, or after a delimiter): a `"` opens a quoted field.
    FieldStart,
    /// Inside an unquoted field: a `"` is an ordinary byte.
    Unquoted,
    /// Inside a quoted field: line ends belong to the field.
    Quoted,
    /// Just after a `"` inside a quoted field: a second `"` is a literal quote, anything else
    /// closes the field.
    QuoteInQuoted,
}

/// The record scan over text that comes in chunks (a drop read from the store piece by piece):
/// records, quoted newlines and the length limit carry across chunk boundaries, and offsets are
/// counted from the start of the whole text. Feeding the text in any split gives the same records
/// as feeding it whole.
///
/// The bytes are searched with `memchr` for the few bytes that matter (line ends and quotes; the
/// delimiter only matters just before a quote): a field that starts with `"` is quoted up to the
/// next `"` not doubled; any other `"` is an ordinary byte. No search looks further than `limit`
/// bytes past the start of the record.
#[derive(Debug, Clone)]
pub struct Scanner {
    delimiter: u8,
    limit: usize,
    state: State,
    /// 1-based physical line of the next byte.
    line: usize,
    /// Offset of the next byte (the end of the text fed so far).
    offset: usize,
    /// Offset where the current record starts.
    start: usize,
    /// 1-based line where the current record starts.
    first_line: usize,
}

impl Scanner {
    /// A scan of a text's first byte onwards.
    pub fn new(delimiter: u8, limit: usize) -> Scanner {
        Scanner {
            delimiter,
            limit,
            state: State::FieldStart,
            line: 1,
            offset: 0,
            start: 0,
            first_line: 1,
        }
    }

    /// Offset of the end of the text fed so far.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Offset where the record not yet complete starts: every record before it is complete.
    pub fn record_start(&self) -> usize {
        self.start
    }

    /// Scans the next `chunk` of the text; calls `each` with every record it completes.
    pub fn feed(&mut self, chunk: &[u8], each: &mut impl FnMut(Record)) -> Result<(), TooLong> {
        let base = self.offset;
        let mut i = 0;
        while i < chunk.len() {
            // The record may hold `limit` bytes: a byte at `start + limit + 1` (even a line end)
            // is too long; its terminator may be at `start + limit`.
            let last = self.start.saturating_add(self.limit);
            if base + i > last {
                return Err(TooLong {
                    line: self.first_line,
                    limit: self.limit,
                });
            }
            let window = chunk.len().min((last - base).saturating_add(1));
            match self.state {
                State::FieldStart | State::Unquoted => {
                    match memchr::memchr3(b'\n', b'\r', b'"', &chunk[i..window]) {
                        Some(k) => {
                            let j = i + k;
                            let b = chunk[j];
                            if b == b'"' {
                                let opens = if j == i {
                                    self.state == State::FieldStart
                                } else {
                                    chunk[j - 1] == self.delimiter
                                };
                                self.state = if opens {
                                    State::Quoted
                                } else {
                                    State::Unquoted
                                };
                                i = j + 1;
                            } else {
                                self.end_record(base + j, b, each);
                                i = j + 1;
                            }
                        }
                        None => {
                            if window > i {
                                self.state = if chunk[window - 1] == self.delimiter {
                                    State::FieldStart
                                } else {
                                    State::Unquoted
                                };
                            }
                            i = window;
                        }
                    }
                }
                State::Quoted => match memchr::memchr(b'"', &chunk[i..window]) {
                    Some(k) => {
                        self.line += memchr::memchr_iter(b'\n', &chunk[i..i + k]).count();
                        self.state = State::QuoteInQuoted;
                        i += k + 1;
                    }
                    None => {
                        self.line += memchr::memchr_iter(b'\n', &chunk[i..window]).count();
                        i = window;
                    }
                },
                State::QuoteInQuoted => {
                    let b = chunk[i];
                    match b {
                        b'"' => self.state = State::Quoted,
                        b'\n' | b'\r' => self.end_record(base + i, b, each),
                        _ if b == self.delimiter => self.state = State::FieldStart,
                        _ => self.state = State::Unquoted,
                    }
                    i += 1;
                }
            }
        }
        self.offset = base + chunk.len();
        Ok(())
    }

    /// Ends the text: the last record (without a line end) is complete.
    pub fn finish(&mut self, each: &mut impl FnMut(Record)) -> Result<(), TooLong> {
        let end = self.offset;
        if end - self.start > self.limit {
            return Err(TooLong {
                line: self.first_line,
                limit: self.limit,
            });
        }
        if end > self.start {
            each(Record {
                line: self.first_line,
                start: self.start,
                end,
            });
        }
        self.start = end;
        Ok(())
    }

    /// A line end `b` at `at` outside quotes ends the current record.
    fn end_record(&mut self, at: usize, b: u8, each: &mut impl FnMut(Record)) {
        if at > self.start {
            each(Record {
                line: self.first_line,
                start: self.start,
                end: at,
            });
        }
        if b == b'\n' {
            self.line += 1;
        }
        self.start = at + 1;
        self.first_line = self.line;
        self.state = State::FieldStart;
    }
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

    /// The byte-by-byte state machine the scan replaced (arrow's quoting rules, one byte at a
    /// time): the reference the fast scan must agree with.
    fn reference(bytes: &[u8], delimiter: u8, limit: usize) -> Result<Vec<Record>, TooLong> {
        #[derive(Clone, Copy, PartialEq, Eq)]
        enum State {
            FieldStart,
            Unquoted,
            Quoted,
            QuoteInQuoted,
        }
        let mut out = Vec::new();
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
                out.push(Record { end, ..record });
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
        finish(record, bytes.len())?;
        Ok(out)
    }

    /// The bytes that matter to the scan: quotes (twice as likely), delimiters, both line ends,
    /// letters.
    const ALPHABET: [u8; 7] = [b'"', b';', b'\n', b'\r', b'a', b'b', b'"'];

    proptest::proptest! {
        #[test]
        fn the_fast_scan_agrees_with_the_state_machine(
            picks in proptest::collection::vec(0usize..7, 0..60),
            limit in 0usize..12,
        ) {
            let bytes: Vec<u8> = picks.iter().map(|i| ALPHABET[*i]).collect();
            proptest::prop_assert_eq!(
                records(&bytes, b';', limit),
                reference(&bytes, b';', limit)
            );
            proptest::prop_assert_eq!(
                records(&bytes, b';', 1000),
                reference(&bytes, b';', 1000)
            );
        }
    }

    /// The records of `bytes` fed to one scanner in pieces of `size` bytes.
    fn chunked(bytes: &[u8], size: usize, limit: usize) -> Result<Vec<Record>, TooLong> {
        let mut out = Vec::new();
        let mut scanner = Scanner::new(b';', limit);
        for chunk in bytes.chunks(size.max(1)) {
            scanner.feed(chunk, &mut |r| out.push(r))?;
        }
        scanner.finish(&mut |r| out.push(r))?;
        Ok(out)
    }

    proptest::proptest! {
        #[test]
        fn any_split_into_chunks_gives_the_same_records(
            picks in proptest::collection::vec(0usize..7, 0..60),
            limit in 0usize..12,
            size in 1usize..9,
        ) {
            let bytes: Vec<u8> = picks.iter().map(|i| ALPHABET[*i]).collect();
            proptest::prop_assert_eq!(
                chunked(&bytes, size, limit),
                reference(&bytes, b';', limit)
            );
            proptest::prop_assert_eq!(
                chunked(&bytes, size, 1000),
                reference(&bytes, b';', 1000)
            );
        }
    }

    #[test]
    fn a_quoted_newline_split_across_chunks_keeps_the_line_numbers() {
        // Every split of the text, one byte at a time included: the record with the quoted
        // newline starts on line 2, the next record on line 4.
        let text = b"h;i\n1;\"a\nb\"\n2;c\n";
        for size in 1..text.len() {
            let lines: Vec<usize> = chunked(text, size, 1000)
                .unwrap()
                .iter()
                .map(|r| r.line)
                .collect();
            assert_eq!(lines, vec![1, 2, 4], "chunks of {size}");
        }
        // A record split across chunks is still too long as a whole.
        assert_eq!(
            chunked(b"h\nshort\n0123456789\n", 3, 9).unwrap_err(),
            TooLong { line: 3, limit: 9 }
        );
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
