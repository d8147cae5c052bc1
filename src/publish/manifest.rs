//! `manifest.json`: what a release is made of and from (outputs.md, "A release folder").
//!
//! Guarantees: written last into a release folder; a folder without it is not a release. Its
//! `content_hash` identifies the published content (the indikatorer table and the input drop
//! files), so publishing the same content twice is recognised.

use crate::disclose::DisclosureParams;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The code that built a release: the package version, the SHA-256 of the program's sources
/// (computed at build time, see `build.rs`) and the git commit when the build environment set
/// `OJ_GIT_COMMIT` (e.g. `OJ_GIT_COMMIT=$(git rev-parse HEAD) cargo build`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeVersion {
    /// `CARGO_PKG_VERSION`.
    pub package: String,
    /// SHA-256 of `src/**`, `Cargo.toml` and `Cargo.lock` at build time.
    #[serde(default)]
    pub(crate) sources_sha256: Option<String>,
    /// `OJ_GIT_COMMIT` at build time, when set.
    pub(crate) git_commit: Option<String>,
}

impl CodeVersion {
    /// The version of this build.
    pub fn current() -> Self {
        CodeVersion {
            package: env!("CARGO_PKG_VERSION").to_string(),
            sources_sha256: Some(env!("OJ_SOURCE_SHA256").to_string()),
            git_commit: option_env!("OJ_GIT_COMMIT").map(str::to_string),
        }
    }
}

/// A file and its SHA-256 (lowercase hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileHash {
    /// Input drop: its path as the runner knows it; release file: its name in the folder.
    pub name: String,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// Size in bytes, when known.
    pub bytes: Option<u64>,
}

impl FileHash {
    /// The hash entry of `bytes` named `name`.
    pub fn of(name: &str, bytes: &[u8]) -> Self {
        FileHash {
            name: name.to_string(),
            sha256: sha256_hex(bytes),
            bytes: Some(bytes.len() as u64),
        }
    }
}

/// Cells of the release by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellCounts {
    /// Status empty.
    pub published: u64,
    /// Status `..`.
    pub suppressed: u64,
    /// Status `-`.
    pub missing: u64,
    /// Status `.`.
    pub not_applicable: u64,
}

/// The contents of `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// `<Y>/v<NNN>`.
    pub release: String,
    /// The reference year.
    pub year: i64,
    /// `v<NNN>`.
    pub version: String,
    /// Creation time (RFC 3339, UTC) from the injected clock.
    pub created: String,
    /// The code that built it.
    pub code_version: CodeVersion,
    /// Pipeline name.
    pub pipeline: String,
    /// Pipeline version.
    pub pipeline_version: String,
    /// Data contract name → version.
    pub contracts: BTreeMap<String, String>,
    /// Every input drop file with its hash (as passed by the runner), history years included.
    pub inputs: Vec<FileHash>,
    /// The committed datasets read (`staging/<d>/ar=<Y>`, `warehouse/<m>/ar=<Y>`) → version.
    #[serde(default)]
    pub datasets: BTreeMap<String, String>,
    /// Every file of the release folder except the manifest itself and the claim marker.
    pub files: Vec<FileHash>,
    /// Rows per table (`indikatorer`, `kolada`).
    pub rows: BTreeMap<String, u64>,
    /// Cells of `indikatorer` by status.
    pub cells: CellCounts,
    /// All data-quality check results of the run (as passed by the runner).
    pub checks: serde_json::Value,
    /// Disclosure control thresholds.
    pub disclosure: DisclosureParams,
    /// Disclosure control of the release: the rules of `pipelines/disclosure.yaml`, the intruder
    /// audit's figures and the information loss per level and indicator (empty in releases made
    /// before the audit existed).
    #[serde(default)]
    pub disclosure_control: serde_json::Value,
    /// Kommuner excluded as bortfall.
    pub excluded_kommuner: Vec<String>,
    /// The previous year's release the comparison columns come from (`<Y-1>/v<NNN>`), if any.
    pub previous_release: Option<String>,
    /// Indicator ids renamed since the previous year: (current id, previous id).
    pub renamed_indicators: Vec<(String, String)>,
    /// SHA-256 over the indikatorer table and the input hashes; equal content, equal hash.
    pub(crate) content_hash: String,
}

/// SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The content hash: SHA-256 over lines `indikatorer <sha of indikatorer.csv>` and
/// `input <name> <sha>` for every input, sorted by name.
pub(crate) fn content_hash(indikatorer_csv: &[u8], inputs: &[FileHash]) -> String {
    let mut sorted: Vec<&FileHash> = inputs.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name).then(a.sha256.cmp(&b.sha256)));
    let mut text = format!("indikatorer {}\n", sha256_hex(indikatorer_csv));
    for input in sorted {
        text.push_str(&format!("input {} {}\n", input.name, input.sha256));
    }
    sha256_hex(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_is_the_standard_vector() {
        // FIPS 180-2 test vector for "abc".
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn content_hash_ignores_input_order_but_not_content() {
        let a = FileHash::of("a.csv", b"1");
        let b = FileHash::of("b.csv", b"2");
        let h1 = content_hash(b"x", &[a.clone(), b.clone()]);
        assert_eq!(h1, content_hash(b"x", &[b.clone(), a.clone()]));
        assert_ne!(h1, content_hash(b"y", &[a.clone(), b.clone()]));
        assert_ne!(h1, content_hash(b"x", &[a, FileHash::of("b.csv", b"3")]));
    }
}
