//! Turning a drop file's bytes into checked UTF-8 text: encoding, emptiness, blank lines and the
//! end of the file. Pure functions; errors say which byte and line.

use crate::config::Encoding;
use std::borrow::Cow;

/// A structural problem of a drop file's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// No bytes, or nothing but white space.
    #[error("the file is empty (hint: the delivery is incomplete; ask for the file again)")]
    Empty,
    /// The bytes are not valid in the contract's encoding.
    #[error(
        "line {line}: byte offset {offset}: byte 0x{byte:02X} is not valid {encoding} (hint: the contract says {encoding}; if the delivery is Windows-1252, convert it or set `encoding: windows-1252` in the contract)"
    )]
    Undecodable {
        /// 0-based byte offset of the first bad byte.
        offset: usize,
        /// 1-based line of that byte.
        line: usize,
        /// The bad byte.
        byte: u8,
        /// The contract's encoding.
        encoding: &'static str,
    },
    /// An empty line between data lines.
    #[error(
        "line {line}: blank line inside the file (hint: remove it; blank lines would shift every following line number)"
    )]
    BlankLine {
        /// 1-based line.
        line: usize,
    },
}

/// Decodes `bytes` as the contract's encoding (a UTF-8 byte-order mark is dropped), and checks
/// the text is not empty and has no blank line before its last data line. UTF-8 text is borrowed
/// from `bytes` (no copy of the drop); Windows-1252 text is a decoded copy.
pub fn decode(bytes: &[u8], encoding: Encoding) -> Result<Cow<'_, str>, TextError> {
    let text = match encoding {
        Encoding::Utf8 => {
            let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            match std::str::from_utf8(body) {
                Ok(s) => Cow::Borrowed(s),
                Err(e) => {
                    let offset = e.valid_up_to() + (bytes.len() - body.len());
                    let line = 1 + bytes[..offset].iter().filter(|b| **b == b'\n').count();
                    return Err(TextError::Undecodable {
                        offset,
                        line,
                        byte: bytes[offset],
                        encoding: encoding.name(),
                    });
                }
            }
        }
        Encoding::Windows1252 => {
            let (cow, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            Cow::Owned(cow.into_owned())
        }
    };
    if text.trim().is_empty() {
        return Err(TextError::Empty);
    }
    let body = text.trim_end_matches(['\n', '\r', ' ', '\t']);
    if let Some(pos) = find_blank_line(body) {
        let line = 1 + body[..pos].matches('\n').count() + 1;
        return Err(TextError::BlankLine { line });
    }
    Ok(text)
}

/// Byte position of the newline that ends a blank line's predecessor, if any.
fn find_blank_line(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut i = 0;
    while let Some(rel) = memchr::memchr(b'\n', &bytes[i..]) {
        let pos = i + rel;
        let rest = &bytes[pos + 1..];
        let blank = rest.first() == Some(&b'\n') || rest.starts_with(b"\r\n");
        if blank {
            return Some(pos);
        }
        i = pos + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_error_names_offset_and_line() {
        let bytes = b"a;b\n1;2\n\xF6;3\n";
        let err = decode(bytes, Encoding::Utf8).unwrap_err();
        assert_eq!(
            err,
            TextError::Undecodable {
                offset: 8,
                line: 3,
                byte: 0xF6,
                encoding: "utf-8"
            }
        );
    }

    #[test]
    fn windows_1252_decodes_swedish_letters() {
        let text = decode(b"namn\n\xD6rebro\n", Encoding::Windows1252).unwrap();
        assert_eq!(text, "namn\nÖrebro\n");
    }

    #[test]
    fn bom_is_dropped_and_empty_files_rejected() {
        assert_eq!(decode(b"\xEF\xBB\xBFa\n", Encoding::Utf8).unwrap(), "a\n");
        assert_eq!(decode(b"", Encoding::Utf8).unwrap_err(), TextError::Empty);
        assert_eq!(
            decode(b" \n\n", Encoding::Utf8).unwrap_err(),
            TextError::Empty
        );
    }

    #[test]
    fn blank_lines_inside_are_errors_but_trailing_ones_are_not() {
        assert_eq!(
            decode(b"a\n1\n\n2\n", Encoding::Utf8).unwrap_err(),
            TextError::BlankLine { line: 3 }
        );
        assert!(decode(b"a\n1\n2\n\n\n", Encoding::Utf8).is_ok());
    }
}
