//! Turning a drop file's bytes into checked UTF-8 text: encoding, emptiness, blank lines and the
//! end of the file, for a whole file or one that comes in chunks; errors say which byte and line.

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
/// from `bytes` (no copy of the drop); Windows-1252 text is a decoded copy. The same checks as
/// [`TextDecoder`] fed the whole file.
pub fn decode(bytes: &[u8], encoding: Encoding) -> Result<Cow<'_, str>, TextError> {
    let mut decoder = TextDecoder::new(encoding);
    let mut text = Vec::new();
    decoder.feed(bytes, &mut text)?;
    decoder.finish(&mut text)?;
    if encoding == Encoding::Utf8 {
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if let Ok(s) = std::str::from_utf8(body) {
            return Ok(Cow::Borrowed(s));
        }
    }
    Ok(Cow::Owned(String::from_utf8_lossy(&text).into_owned()))
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The decoding of a drop file that comes in chunks: each [`TextDecoder::feed`] appends the UTF-8
/// text of the bytes given so far (a character split across two chunks is completed by the next
/// one), [`TextDecoder::finish`] ends the file. The errors are those of [`decode`], with the same
/// offsets and lines: an undecodable byte as soon as it is seen; an empty file and a blank line
/// inside the file at the end, when it is known that no data follows.
#[derive(Debug)]
pub struct TextDecoder {
    encoding: Encoding,
    /// Bytes of the file consumed so far (the byte-order mark included).
    offset: usize,
    /// The first bytes, held until it is known whether they are a byte-order mark.
    head: Vec<u8>,
    /// Whether the byte-order mark question is settled.
    started: bool,
    /// The start of a UTF-8 character whose other bytes are in the next chunk.
    carry: Vec<u8>,
    /// The Windows-1252 decoder (no state across chunks: one byte is one character).
    windows_1252: Option<encoding_rs::Decoder>,
    /// Line ends (`\n`) in the text so far.
    newlines: usize,
    /// The last two bytes of the text so far (0 before the start).
    tail: [u8; 2],
    /// The text so far has a character that is not white space.
    not_empty: bool,
    /// The first blank line after a line end, if any.
    blank: Option<usize>,
    /// Data (not a line end, space or tab) follows that blank line.
    blank_inside: bool,
    /// The text so far ends with `\n`.
    ends_with_newline: bool,
}

impl TextDecoder {
    /// A decoder at the start of a file.
    pub fn new(encoding: Encoding) -> TextDecoder {
        TextDecoder {
            encoding,
            offset: 0,
            head: Vec::new(),
            started: false,
            carry: Vec::new(),
            windows_1252: (encoding == Encoding::Windows1252)
                .then(|| encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling()),
            newlines: 0,
            tail: [0, 0],
            not_empty: false,
            blank: None,
            blank_inside: false,
            ends_with_newline: false,
        }
    }

    /// The encoding decoded.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Whether the text so far ends with a line end.
    pub fn ends_with_newline(&self) -> bool {
        self.ends_with_newline
    }

    /// Decodes the next `bytes` of the file, appending their text to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> Result<(), TextError> {
        if !self.started {
            // A byte-order mark is recognised only whole: hold up to three bytes.
            self.head.extend_from_slice(bytes);
            if self.head.len() < BOM.len() && BOM.starts_with(&self.head) {
                return Ok(());
            }
            let (head, skip) = self.start();
            return self.decode(&head[skip..], out, false);
        }
        self.decode(bytes, out, false)
    }

    /// Ends the file: the last bytes are decoded, and an empty file or a blank line inside it
    /// is an error.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), TextError> {
        if !self.started {
            let (head, skip) = self.start();
            self.decode(&head[skip..], out, false)?;
        }
        self.decode(&[], out, true)?;
        if !self.not_empty {
            return Err(TextError::Empty);
        }
        match self.blank {
            Some(line) if self.blank_inside => Err(TextError::BlankLine { line }),
            _ => Ok(()),
        }
    }

    /// Starts the text: the bytes held back for a byte-order mark, and how many of them are the
    /// mark (skipped, counted in the offset; only under UTF-8).
    fn start(&mut self) -> (Vec<u8>, usize) {
        self.started = true;
        let head = std::mem::take(&mut self.head);
        let skip = if self.encoding == Encoding::Utf8 && head.starts_with(BOM) {
            BOM.len()
        } else {
            0
        };
        self.offset += skip;
        (head, skip)
    }

    fn decode(&mut self, bytes: &[u8], out: &mut Vec<u8>, last: bool) -> Result<(), TextError> {
        let from = out.len();
        match self.windows_1252.as_mut() {
            Some(decoder) => {
                let mut text = String::with_capacity(
                    decoder
                        .max_utf8_buffer_length_without_replacement(bytes.len())
                        .unwrap_or(bytes.len() * 3),
                );
                let _ = decoder.decode_to_string_without_replacement(bytes, &mut text, last);
                out.extend_from_slice(text.as_bytes());
                self.offset += bytes.len();
            }
            None => {
                let joined;
                let (bytes, carried) = if self.carry.is_empty() {
                    (bytes, 0)
                } else {
                    let carried = self.carry.len();
                    let mut v = std::mem::take(&mut self.carry);
                    v.extend_from_slice(bytes);
                    joined = v;
                    (&joined[..], carried)
                };
                let valid = match std::str::from_utf8(bytes) {
                    Ok(_) => bytes.len(),
                    Err(e) if e.error_len().is_none() && !last => {
                        // A character cut at the chunk's end: completed by the next chunk.
                        self.carry = bytes[e.valid_up_to()..].to_vec();
                        e.valid_up_to()
                    }
                    Err(e) => {
                        let at = e.valid_up_to();
                        let newlines = memchr::memchr_iter(b'\n', &bytes[..at]).count();
                        return Err(TextError::Undecodable {
                            offset: self.offset - carried + at,
                            line: 1 + self.newlines + newlines,
                            byte: bytes[at],
                            encoding: self.encoding.name(),
                        });
                    }
                };
                out.extend_from_slice(&bytes[..valid]);
                self.offset += bytes.len() - carried;
            }
        }
        self.observe(&out[from..]);
        Ok(())
    }

    /// Follows the text for emptiness and blank lines.
    fn observe(&mut self, text: &[u8]) {
        if text.is_empty() {
            return;
        }
        if !self.not_empty {
            self.not_empty = std::str::from_utf8(text)
                .map(|t| t.chars().any(|c| !c.is_whitespace()))
                .unwrap_or(true);
        }
        if self.blank.is_some() {
            if !self.blank_inside {
                self.blank_inside = text
                    .iter()
                    .any(|b| !matches!(b, b'\n' | b'\r' | b' ' | b'\t'));
            }
        } else {
            let byte_before = |j: usize, back: usize| -> u8 {
                if j >= back {
                    text[j - back]
                } else {
                    self.tail[2 - (back - j)]
                }
            };
            for (k, j) in memchr::memchr_iter(b'\n', text).enumerate() {
                let b1 = byte_before(j, 1);
                if b1 == b'\n' || (b1 == b'\r' && byte_before(j, 2) == b'\n') {
                    // The blank line is the one this line end closes.
                    self.blank = Some(self.newlines + k + 1);
                    self.blank_inside = text[j + 1..]
                        .iter()
                        .any(|b| !matches!(b, b'\n' | b'\r' | b' ' | b'\t'));
                    break;
                }
            }
        }
        self.newlines += memchr::memchr_iter(b'\n', text).count();
        self.tail = match text.len() {
            1 => [self.tail[1], text[0]],
            n => [text[n - 2], text[n - 1]],
        };
        self.ends_with_newline = text.last() == Some(&b'\n');
    }
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
