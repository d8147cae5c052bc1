//! The one place that parses YAML. `serde_yaml` is archived upstream; every YAML read in the
//! project goes through [`parse`] so the parser can be swapped here alone.
//!
//! Guarantees: errors carry the file name and the 1-based line and column of the problem.

use serde::de::DeserializeOwned;
use std::fmt;

/// A YAML document that could not be parsed into the expected structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// The file the text came from, as the user knows it.
    pub file: String,
    /// 1-based line, when the parser knows it.
    pub line: Option<usize>,
    /// 1-based column, when the parser knows it.
    pub column: Option<usize>,
    /// What the parser said.
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{}:{}: {}", self.file, l, c, self.message),
            (Some(l), None) => write!(f, "{}:{}: {}", self.file, l, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for YamlError {}

/// Parses `text` (from `file`) into `T`. Unknown fields are rejected where `T` says
/// `#[serde(deny_unknown_fields)]`.
pub fn parse<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, YamlError> {
    serde_yaml::from_str(text).map_err(|e| {
        let loc = e.location();
        YamlError {
            file: file.to_string(),
            line: loc.as_ref().map(|l| l.line()),
            column: loc.as_ref().map(|l| l.column()),
            message: e.to_string(),
        }
    })
}

/// The 1-based line on which `key:` first appears at the start of a line (after indentation)
/// below `after_line`, used to point diagnostics at a YAML entry after parsing.
pub fn line_of_key(text: &str, key: &str, after_line: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .skip(after_line.saturating_sub(1))
        .find(|(_, l)| {
            let t = l.trim_start().trim_start_matches("- ");
            t.strip_prefix(key).is_some_and(|r| r.starts_with(':'))
        })
        .map(|(i, _)| i + 1)
}

/// The 1-based line holding the entry `key: value` (plain or quoted), used to point a
/// diagnostic at the YAML entry a typed value came from.
pub fn line_of_entry(text: &str, key: &str, value: &str) -> Option<usize> {
    let forms = [
        format!("{key}: {value}"),
        format!("{key}: \"{value}\""),
        format!("{key}: '{value}'"),
    ];
    text.lines()
        .position(|l| {
            let t = l.trim().trim_start_matches("- ").trim_end();
            forms.iter().any(|f| t == f)
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        #[allow(dead_code)]
        name: String,
    }

    #[test]
    fn reports_file_and_line_of_unknown_field() {
        let err = parse::<Doc>("p.yaml", "name: a\nnmae: b\n").unwrap_err();
        assert_eq!(err.file, "p.yaml");
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("nmae"), "{}", err.message);
    }

    #[test]
    fn finds_key_lines() {
        let text = "a: 1\nlist:\n  - name: x\n  - name: y\n";
        assert_eq!(line_of_key(text, "name", 1), Some(3));
        assert_eq!(line_of_key(text, "name", 4), Some(4));
        assert_eq!(line_of_key(text, "zzz", 1), None);
        assert_eq!(line_of_entry(text, "name", "y"), Some(4));
        assert_eq!(line_of_entry("  - id: 'q'\n", "id", "q"), Some(1));
    }
}
