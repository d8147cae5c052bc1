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

/// Calls `each` with every non-empty record of `bytes` in order; stops with [`TooLong`] at the
/// first record longer than `limit` bytes.
///
/// The bytes are searched with `memchr` for the few bytes that matter (line ends and quotes; the
/// delimiter only matters just before a quote): a field that starts with `"` is quoted up to the
/// next `"` not doubled; any other `"` is an ordinary byte. No search looks further than `limit`
/// bytes past the start of the record.
pub fn scan(
    bytes: &[u8],
    delimiter: u8,
    limit: usize,
    mut each: impl FnMut(Record),
) -> Result<(), TooLong> {
    let mut line = 1;
    let mut start = 0;
    while start < bytes.len() {
        let first_line = line;
        // The record may not reach beyond `window`: one byte more is already too long.
        let window = bytes
            .len()
            .min(start.saturating_add(limit).saturating_add(1));
        let mut at = start;
        let end = loop {
            let Some(found) = memchr::memchr3(b'\n', b'\r', b'"', &bytes[at..window]) else {
                if window == bytes.len() && bytes.len() - start <= limit {
                    break bytes.len();
                }
                return Err(TooLong {
                    line: first_line,
                    limit,
                });
            };
            let i = at + found;
            if bytes[i] != b'"' {
                break i;
            }
            if i > start && bytes[i - 1] != delimiter {
                // A quote inside an unquoted field.
                at = i + 1;
                continue;
            }
            // A quoted field: up to the next quote that is not doubled; its newlines are lines.
            let mut q = i + 1;
            loop {
                match memchr::memchr(b'"', &bytes[q..window]) {
                    Some(k) => {
                        line += memchr::memchr_iter(b'\n', &bytes[q..q + k]).count();
                        if q + k + 1 < window && bytes[q + k + 1] == b'"' {
                            q += k + 2;
                        } else {
                            at = q + k + 1;
                            break;
                        }
                    }
                    None => {
                        line += memchr::memchr_iter(b'\n', &bytes[q..window]).count();
                        at = window;
                        break;
                    }
                }
            }
            if at >= window {
                // The quoted field runs to the window's end: the end of the data or too long.
                if window == bytes.len() && bytes.len() - start <= limit {
                    break bytes.len();
                }
                return Err(TooLong {
                    line: first_line,
                    limit,
                });
            }
        };
        if end > start {
            each(Record {
                line: first_line,
                start,
                end,
            });
        }
        if bytes.get(end) == Some(&b'\n') {
            line += 1;
        }
        start = end + 1;
    }
    Ok(())
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

    proptest::proptest! {
        #[test]
        fn the_fast_scan_agrees_with_the_state_machine(
            picks in proptest::collection::vec(0usize..7, 0..60),
            limit in 0usize..12,
        ) {
            // Texts made of the bytes that matter: quotes, delimiters, both line ends, letters.
            let alphabet = [b'"', b';', b'\n', b'\r', b'a', b'b', b'"'];
            let bytes: Vec<u8> = picks.iter().map(|i| alphabet[*i]).collect();
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
