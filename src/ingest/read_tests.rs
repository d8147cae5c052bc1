//! Unit tests of `read.rs`.

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
    let err = same_in_any_chunks(b"a;b;c\n1;\"x\ny\";3\n4;5\n6;7;8\n", Encoding::Utf8).unwrap_err();
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
