//! Input fingerprints of stages: SHA-256 over labelled parts (files, configuration texts,
//! parameters, upstream fingerprints). Labels are length-prefixed so parts never run together.

use sha2::{Digest, Sha256};

/// Builds one fingerprint.
#[derive(Debug, Clone)]
pub struct Fingerprint(Sha256);

impl Fingerprint {
    /// Starts a fingerprint for a stage; the code version is always part of it.
    pub fn new(stage: &str) -> Self {
        let mut f = Fingerprint(Sha256::new());
        f.add("stage", stage.as_bytes());
        f.add("code", env!("CARGO_PKG_VERSION").as_bytes());
        f
    }

    /// Adds a labelled part.
    pub fn add(&mut self, label: &str, bytes: &[u8]) -> &mut Self {
        self.0.update((label.len() as u64).to_le_bytes());
        self.0.update(label.as_bytes());
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    /// The hex digest.
    pub fn finish(self) -> String {
        format!("{:x}", self.0.finalize())
    }
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
    fn same_parts_same_fingerprint() {
        let mut a = Fingerprint::new("s");
        a.add("x", b"1");
        let mut b = Fingerprint::new("s");
        b.add("x", b"1");
        assert_eq!(a.finish(), b.finish());
    }
}
