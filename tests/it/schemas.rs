//! JSON validated against the published JSON schemas vendored in tests/schemas/ (OpenLineage
//! spec 2-0-2 and its facets; the Frictionless Tabular Data Package v1 profile), by the reference
//! validator, Python's `jsonschema` (tests/schemas/validate.py; installed in CI with
//! `moto[server]`). Without Python's `jsonschema` the callers skip locally, saying so, and fail
//! in CI (`CI` set).
//!
//! Not the Rust `jsonschema` or `boon` crate: either changes the features of `ahash` (and
//! `serde`, `idna`) that arrow and DataFusion are built with, so `cargo test` would build
//! DataFusion a second time.

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// The problems of each `(schema file, instance)` pair (schema files of `tests/schemas/<dir>`),
/// in order; an empty list for a valid instance. `None` (skip) outside CI when the validator is
/// not available.
pub fn problems(dir: &str, items: &[(&str, Value)]) -> Option<Vec<Vec<String>>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas");
    let input: String = items
        .iter()
        .map(|(schema, instance)| {
            serde_json::json!({ "schema": schema, "instance": instance }).to_string() + "\n"
        })
        .collect();
    let child = Command::new("python3")
        .arg(root.join("validate.py"))
        .arg(root.join(dir))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let unavailable = |why: String| {
        assert!(
            !in_ci(),
            "the JSON schema validator cannot run in CI: {why}"
        );
        eprintln!("skipped: JSON schema validation ({why}); it runs in CI");
        None
    };
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return unavailable(format!("python3: {e}")),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.code() == Some(3) {
        return unavailable(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    let results: Vec<Vec<String>> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        results.len(),
        items.len(),
        "validator failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(results)
}
