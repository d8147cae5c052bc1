//! The one place that reads YAML. `serde_yaml` (archived upstream) deserializes every document
//! through [`parse`]; [`Spans`] reads the same text a second time with an event parser
//! (`saphyr-parser`) that keeps where each key and value starts, so a diagnostic about a typed
//! value can point at the exact place it came from. Either parser can be swapped here alone.
//!
//! Guarantees: errors carry the file name and the 1-based line and column of the problem;
//! positions are found by the document's structure (a path of keys and list indices), never by
//! searching the text, so a key that occurs many times is told apart by where it sits.

use serde::de::DeserializeOwned;
use std::fmt;

/// A place in a YAML text: 1-based line and 1-based column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

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

impl YamlError {
    /// Where the parser stopped, when it knows.
    pub fn pos(&self) -> Option<Pos> {
        Some(Pos {
            line: self.line?,
            column: self.column.unwrap_or(1),
        })
    }
}

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

/// Where every key and value of a YAML document starts.
///
/// Paths name a node from the document root: segments separated by `.`, a key of a mapping or
/// the 0-based index of a list item, e.g. `indicators.3.kind`.
#[derive(Debug, Clone, Default)]
pub struct Spans {
    root: Option<Node>,
}

#[derive(Debug, Clone)]
struct Node {
    pos: Pos,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Scalar(String),
    List(Vec<Node>),
    /// Entries in document order: key text, where the key starts, the value.
    Map(Vec<(String, Pos, Node)>),
}

type Event<'a> = (saphyr_parser::Event<'a>, saphyr_parser::Span);

impl Spans {
    /// Reads the structure of `text`. A text the event parser rejects yields what was read
    /// before the error (the same text's [`parse`] error says what is wrong).
    pub fn read(text: &str) -> Spans {
        let mut events = saphyr_parser::Parser::new_from_str(text).map_while(Result::ok);
        let root = loop {
            match events.next() {
                Some((saphyr_parser::Event::DocumentStart(_), _)) => {
                    break events.next().and_then(|first| node(first, &mut events));
                }
                Some((saphyr_parser::Event::StreamStart, _)) => continue,
                _ => break None,
            }
        };
        Spans { root }
    }

    fn find(&self, path: &str) -> Option<(Option<Pos>, &Node)> {
        let mut key = None;
        let mut at = self.root.as_ref()?;
        for seg in path.split('.').filter(|s| !s.is_empty()) {
            match &at.kind {
                Kind::Map(entries) => {
                    let (_, k, v) = entries.iter().find(|(name, _, _)| name == seg)?;
                    key = Some(*k);
                    at = v;
                }
                Kind::List(items) => {
                    key = None;
                    at = items.get(seg.parse::<usize>().ok()?)?;
                }
                Kind::Scalar(_) => return None,
            }
        }
        Some((key, at))
    }

    /// Where the value at `path` starts.
    pub fn value(&self, path: &str) -> Option<Pos> {
        self.find(path).map(|(_, n)| n.pos)
    }

    /// Where the key at the end of `path` starts (the item, for a list index).
    pub fn key(&self, path: &str) -> Option<Pos> {
        self.find(path).map(|(k, n)| k.unwrap_or(n.pos))
    }

    /// Where the value at `path` starts or, when it is absent, the deepest part of `path` that
    /// exists (a missing key is reported at its mapping).
    pub fn at(&self, path: &str) -> Option<Pos> {
        let mut prefix = path;
        loop {
            if let Some(p) = self.value(prefix) {
                return Some(p);
            }
            prefix = &prefix[..prefix.rfind('.')?];
        }
    }

    /// The index of the first item of the list at `list` whose `key` is the scalar `value`, for
    /// lists whose items are told apart by a key such as `id` or `name`.
    pub(crate) fn item_with(&self, list: &str, key: &str, value: &str) -> Option<usize> {
        let (_, node) = self.find(list)?;
        let Kind::List(items) = &node.kind else {
            return None;
        };
        items.iter().position(|item| match &item.kind {
            Kind::Map(entries) => entries
                .iter()
                .any(|(k, _, v)| k == key && matches!(&v.kind, Kind::Scalar(t) if t == value)),
            _ => false,
        })
    }

    /// The number of items of the list at `path` (0 when it is not a list).
    pub fn len(&self, path: &str) -> usize {
        match self.find(path).map(|(_, n)| &n.kind) {
            Some(Kind::List(items)) => items.len(),
            _ => 0,
        }
    }
}

fn pos(span: &saphyr_parser::Span) -> Pos {
    Pos {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

/// The node starting with `first`, reading its children from `events`.
fn node<'a>(first: Event<'a>, events: &mut impl Iterator<Item = Event<'a>>) -> Option<Node> {
    use saphyr_parser::Event as E;
    let (event, span) = first;
    let kind = match event {
        E::Scalar(text, ..) => Kind::Scalar(text.into_owned()),
        E::Alias(_) => Kind::Scalar(String::new()),
        E::SequenceStart(..) => {
            let mut items = Vec::new();
            loop {
                let next = events.next()?;
                if matches!(next.0, E::SequenceEnd) {
                    break;
                }
                items.push(node(next, events)?);
            }
            Kind::List(items)
        }
        E::MappingStart(..) => {
            let mut entries = Vec::new();
            loop {
                let next = events.next()?;
                if matches!(next.0, E::MappingEnd) {
                    break;
                }
                let key_pos = pos(&next.1);
                let key = match &next.0 {
                    E::Scalar(text, ..) => text.to_string(),
                    _ => String::new(),
                };
                if !matches!(next.0, E::Scalar(..)) {
                    node(next, events)?;
                }
                let value = node(events.next()?, events)?;
                entries.push((key, key_pos, value));
            }
            Kind::Map(entries)
        }
        _ => return None,
    };
    Some(Node {
        pos: pos(&span),
        kind,
    })
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
    fn reports_file_line_and_column_of_unknown_field() {
        let err = parse::<Doc>("p.yaml", "name: a\nnmae: b\n").unwrap_err();
        assert_eq!(err.file, "p.yaml");
        assert_eq!((err.line, err.column), (Some(2), Some(1)));
        assert!(err.message.contains("nmae"), "{}", err.message);
    }

    #[test]
    fn finds_keys_and_values_by_structure() {
        // Line 3 and 5 both hold `name:`; each is found where it sits, key at column 5 (after
        // "  - "), value at column 11.
        let text = "a: 1\nlist:\n  - name: x\n    kind: [t, u]\n  - name: y\n";
        let s = Spans::read(text);
        let at = |line, column| Some(Pos { line, column });
        assert_eq!(s.key("list.0.name"), at(3, 5));
        assert_eq!(s.value("list.1.name"), at(5, 11));
        assert_eq!(s.key("list.1.name"), at(5, 5));
        assert_eq!(s.value("list.0.kind.1"), at(4, 15));
        assert_eq!(s.value("a"), at(1, 4));
        assert_eq!(s.value("list.1.kind"), None);
        // A missing key is reported at its item.
        assert_eq!(s.at("list.1.kind"), at(5, 5));
        assert_eq!(s.item_with("list", "name", "y"), Some(1));
        assert_eq!(s.item_with("list", "name", "z"), None);
        assert_eq!(s.len("list"), 2);
        assert_eq!(s.len("a"), 0);
    }

    #[test]
    fn a_broken_document_keeps_what_was_read() {
        let s = Spans::read("a: 1\nb: [\n");
        assert_eq!(s.value("a"), None);
        assert_eq!(Spans::read("").value("a"), None);
    }
}
