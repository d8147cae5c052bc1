//! Architecture fitness: the `crate::…` paths in `src/` must follow the declared layer order
//! (a module may use its own layer and the layers below, never one above). Tolerated upward
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
        let text = std::fs::read_to_string(&path).unwrap();
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

/// The scan itself: a file in a subfolder counts for its top-level module, grouped and plain
/// paths are both read, and an upward import is one.
#[test]
fn the_scan_reads_grouped_and_plain_paths() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("store")).unwrap();
    std::fs::write(
        dir.path().join("store/inner.rs"),
        "use crate::{layout::Path, pipeline::Runner};\nfn f() { crate::yaml::parse(); }\n",
    )
    .unwrap();
    let mut edges = BTreeSet::new();
    imports(dir.path(), None, &mut edges);
    let expected: BTreeSet<(String, String)> = [
        ("store", "layout"),
        ("store", "pipeline"),
        ("store", "yaml"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(edges, expected);
    assert!(layer("pipeline") > layer("store"));
}
