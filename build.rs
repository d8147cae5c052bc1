//! Build identity: SHA-256 over the program's sources (`src/**`, `Cargo.toml`, `Cargo.lock`), so
//! every change to the code – the SQL and rules embedded in it included – changes the
//! fingerprints of the stages it runs (`OJ_SOURCE_SHA256`, read by `src/fingerprint.rs`).

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let mut all = Vec::new();
    files(&root.join("src"), &mut all);
    all.push(root.join("Cargo.toml"));
    all.push(root.join("Cargo.lock"));
    all.sort();
    let mut digest = Sha256::new();
    for path in &all {
        let relative = path.strip_prefix(&root).unwrap_or(path);
        let bytes = std::fs::read(path).unwrap_or_default();
        digest.update(relative.to_string_lossy().as_bytes());
        digest.update((bytes.len() as u64).to_le_bytes());
        digest.update(&bytes);
    }
    println!("cargo:rustc-env=OJ_SOURCE_SHA256={:x}", digest.finalize());
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-changed=Cargo.lock");
    println!("cargo:rerun-if-env-changed=OJ_GIT_COMMIT");
}
