//! Input fingerprints of stages: SHA-256 over labelled parts (files, configuration texts, `sql/`
//! models, parameters, committed upstream datasets, the program build). Labels are
//! length-prefixed so parts never run together. Each part's own hash is kept
//! ([`Fingerprint::parts`]) so a changed fingerprint can say which input changed ([`changed`]).

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The build identity of this program: the package version, the SHA-256 of its sources (`src/**`,
/// `Cargo.toml`, `Cargo.lock`, computed by `build.rs`, so the SQL and rules embedded in the program
/// are part of it) and the git commit when the build environment set `OJ_GIT_COMMIT`.
pub(crate) fn build_identity() -> String {
    let mut id = format!(
        "oj {} sources {}",
        env!("CARGO_PKG_VERSION"),
        env!("OJ_SOURCE_SHA256")
    );
    if let Some(commit) = option_env!("OJ_GIT_COMMIT") {
        id.push_str(&format!(" git {commit}"));
    }
    id
}

/// The label of the program build among a fingerprint's parts.
pub const PROGRAM: &str = "program build";

/// Builds one fingerprint.
#[derive(Debug, Clone)]
pub struct Fingerprint {
    digest: Sha256,
    parts: BTreeMap<String, String>,
}

impl Fingerprint {
    /// Starts a fingerprint for a stage; the program build is always part of it.
    pub fn new(stage: &str) -> Self {
        let mut f = Fingerprint {
            digest: Sha256::new(),
            parts: BTreeMap::new(),
        };
        f.add("stage", stage.as_bytes());
        f.add(PROGRAM, build_identity().as_bytes());
        f
    }

    /// Adds a labelled part.
    pub fn add(&mut self, label: &str, bytes: &[u8]) -> &mut Self {
        self.digest.update((label.len() as u64).to_le_bytes());
        self.digest.update(label.as_bytes());
        self.digest.update((bytes.len() as u64).to_le_bytes());
        self.digest.update(bytes);
        self.parts
            .insert(label.to_string(), format!("{:x}", Sha256::digest(bytes)));
        self
    }

    /// The hash of every part by label.
    pub fn parts(&self) -> &BTreeMap<String, String> {
        &self.parts
    }

    /// The hex digest.
    pub fn finish(self) -> String {
        format!("{:x}", self.digest.finalize())
    }
}

/// The labels of the parts that differ between two fingerprints' parts (added, removed or
/// changed), sorted.
pub fn changed(before: &BTreeMap<String, String>, now: &BTreeMap<String, String>) -> Vec<String> {
    let mut labels: Vec<String> = now
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .chain(
            before
                .keys()
                .filter(|k| !now.contains_key(*k))
                .map(|k| format!("{k} (removed)")),
        )
        .collect();
    labels.sort();
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_do_not_run_together() {
        let mut a = Fingerprint::new("s");
        a.add("x", b"ab").add("y", b"c");
        let mut b = Fingerprint::new("s");
        b.add("x", b"a").add("y", b"bc");
        assert_ne!(a.finish(), b.finish());
    }

    #[test]
    fn changed_names_the_parts_that_differ() {
        let mut a = Fingerprint::new("s");
        a.add("sql/a.sql", b"select 1")
            .add("sql/b.sql", b"select 2");
        let mut b = Fingerprint::new("s");
        b.add("sql/a.sql", b"select 1")
            .add("sql/b.sql", b"select 3");
        b.add("sql/c.sql", b"select 4");
        assert_eq!(
            changed(a.parts(), b.parts()),
            vec!["sql/b.sql".to_string(), "sql/c.sql".to_string()]
        );
        assert_eq!(
            changed(b.parts(), a.parts()),
            vec!["sql/b.sql".to_string(), "sql/c.sql (removed)".to_string()]
        );
        assert!(build_identity().contains(env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn same_parts_same_fingerprint() {
        let mut a = Fingerprint::new("s");
        a.add("x", b"1");
        let mut b = Fingerprint::new("s");
        b.add("x", b"1");
        assert_eq!(a.finish(), b.finish());
    }
}
