//! Architecture fitness: the `crate::…` paths in the code of `src/` (comments, doc comments
//! included, do not count) must follow the declared layer order (a module may use its own layer
//! and the layers below, never one above). Tolerated upward
//! imports would be listed in [`KNOWN`] (none since the redesign of issue 13), and the test
//! fails both on a new upward import and on a listed one that no longer exists (so the list
//! only shrinks).

use std::collections::BTreeSet;
use std::path::Path;

/// The layers, lowest first; every top-level module of `src/` is in exactly one.
const LAYERS: &[&[&str]] = &[
    // Foundations: no pipeline knowledge; the shared vocabulary.
    &[
        "yaml",
        "clock",
        "exit",
        "layout",
        "store",
        "memory",
        "session",
        "key_hash",
        "progress",
        "fingerprint",
        "vocab",
    ],
    // The lake's commit protocol, ledger and reading.
    &["commit", "lake", "ledger"],
    // The compiled project.
    &["config"],
    // The work of each stage, and what observes it.
    &[
        "gates",
        "ingest",
        "transform",
        "disclose",
        "publish",
        "render",
        "synth",
        "lineage",
        "events",
    ],
    // The stage trait, its errors, the runner, loading a project.
    &["pipeline"],
    // The stages (one folder each).
    &["stages"],
    // The edge.
    &["cli"],
];

/// Upward imports tolerated (from → to): none since issue 13. An entry here is debt, listed with
/// its reason, and the test fails when it disappears, so the list only shrinks.
const KNOWN: &[(&str, &str)] = &[];

fn layer(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| l.contains(&module))
        .unwrap_or_else(|| panic!("src/{module} is in no layer of tests/it/architecture.rs"))
}

/// The top-level modules each file of `src/` names through `crate::`, as (from, to) pairs.
fn imports(dir: &Path, top: Option<&str>, out: &mut BTreeSet<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        if path.is_dir() {
            imports(&path, Some(top.unwrap_or(&name)), out);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let from = top.unwrap_or(&name).to_string();
        if matches!(from.as_str(), "lib" | "main") {
            continue;
        }
        let text = without_comments(&std::fs::read_to_string(&path).unwrap());
        let mut names: Vec<String> = Vec::new();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // `use crate::{a::x, b};`: the first segment of each item.
                let inner = &group[..group.find('}').unwrap_or(group.len())];
                names.extend(inner.split(',').filter_map(|item| {
                    let first = item.trim().split("::").next()?.trim();
                    (!first.is_empty()).then(|| first.to_string())
                }));
            } else {
                let first: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                names.push(first);
            }
        }
        for to in names {
            if !to.is_empty()
                && to != from
                && to.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            {
                out.insert((from.clone(), to));
            }
        }
    }
}

/// `text` without its comments: line comments, doc comments (`///`, `//!`) and block comments
/// (nested, as Rust nests them). String and char literals are kept whole, so a `//` inside one
/// (`"file:///"`) starts no comment; a line comment leaves its line break.
fn without_comments(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && at(i + 1) == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == Some('*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == Some('/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r'
            && (!ident(i.checked_sub(1).and_then(at))
                || (at(i - 1) == Some('b') && !ident(i.checked_sub(2).and_then(at))))
            && matches!(at(i + 1), Some('"' | '#'))
        {
            // A raw string r"…", r#"…"#: it ends at a quote followed by as many hashes.
            let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
            if at(i + 1 + hashes) != Some('"') {
                out.push(c);
                i += 1;
                continue;
            }
            let start = i;
            i += hashes + 2;
            while i < chars.len()
                && !(chars[i] == '"' && chars[i + 1..].iter().take(hashes).all(|&c| c == '#'))
            {
                i += 1;
            }
            i = (i + 1 + hashes).min(chars.len());
            out.extend(&chars[start..i]);
        } else if c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i = (i + 1).min(chars.len());
            out.extend(&chars[start..i]);
        } else if c == '\'' && (at(i + 1) == Some('\\') || at(i + 2) == Some('\'')) {
            // A char literal ('"', '\''); a lifetime ('a) has no closing quote.
            let start = i;
            i += if at(i + 1) == Some('\\') { 3 } else { 2 };
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i = (i + 1).min(chars.len());
            out.extend(&chars[start..i]);
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

#[test]
fn imports_follow_the_layer_order() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut edges = BTreeSet::new();
    imports(&src, None, &mut edges);
    assert!(
        edges.contains(&("cli".into(), "pipeline".into())),
        "the scan finds the imports it checks"
    );
    let upward: BTreeSet<(String, String)> = edges
        .iter()
        .filter(|(from, to)| layer(to) > layer(from))
        .cloned()
        .collect();
    let known: BTreeSet<(String, String)> = KNOWN
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let new: Vec<_> = upward.difference(&known).collect();
    assert!(
        new.is_empty(),
        "imports against the layer order (from → to): {new:?}"
    );
    let gone: Vec<_> = known.difference(&upward).collect();
    assert!(
        gone.is_empty(),
        "no longer imported, remove from KNOWN in tests/it/architecture.rs: {gone:?}"
    );
}

/// The modules `store/inner.rs` imports, scanned from a folder holding only that file with
/// `source`, as `store` → module pairs.
fn imports_of_store_file(source: &str) -> BTreeSet<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("store")).unwrap();
    std::fs::write(dir.path().join("store/inner.rs"), source).unwrap();
    let mut edges = BTreeSet::new();
    imports(dir.path(), None, &mut edges);
    edges
}

fn from_store(to: &[&str]) -> BTreeSet<(String, String)> {
    to.iter()
        .map(|t| ("store".to_string(), t.to_string()))
        .collect()
}

/// The scan itself: a file in a subfolder counts for its top-level module, grouped and plain
/// paths are both read, and an upward import is one.
#[test]
fn the_scan_reads_grouped_and_plain_paths() {
    let edges = imports_of_store_file(
        "use crate::{layout::Path, pipeline::Runner};\nfn f() { crate::yaml::parse(); }\n",
    );
    assert_eq!(edges, from_store(&["layout", "pipeline", "yaml"]));
    assert!(layer("pipeline") > layer("store"));
}

/// Comments do not count: a `crate::` path in a line, doc or block comment is no import, while
/// the code around it (after a string holding `//`, after a char literal `'"'`) still is.
#[test]
fn the_scan_skips_comments() {
    let edges = imports_of_store_file(
        "//! Read by [`crate::cli`].\n\
         /// Like [`crate::pipeline::Runner`], but lower.\n\
         fn f() {\n\
             // crate::stages::ALL would be upward\n\
             /* crate::render /* nested crate::events */ crate::gates */\n\
             let url = \"file:///\"; crate::yaml::parse(url);\n\
             let q = '\"'; crate::layout::x(q); // crate::config\n\
             let r = r#\"// no comment\"#; crate::vocab::y(r);\n\
         }\n",
    );
    assert_eq!(edges, from_store(&["layout", "vocab", "yaml"]));
}
