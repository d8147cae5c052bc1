//! Where releases live in the lake (outputs.md, "Lake layout"): `<lake>/releases/<Y>/v<NNN>/`
//! and `<lake>/releases/<Y>/LATEST`.
//!
//! Guarantees: pure functions; version folder names are `v` + at least three digits.

use object_store::path::Path;

/// The file every release folder is complete with; written last.
pub const MANIFEST: &str = "manifest.json";
/// The marker claiming a version folder for one publisher (`PutMode::Create`).
pub const CLAIM: &str = "_claim";
/// The long table as Parquet.
pub const INDIKATORER_PARQUET: &str = "indikatorer.parquet";
/// The long table as CSV.
pub const INDIKATORER_CSV: &str = "indikatorer.csv";
/// The Kolada file.
pub const KOLADA_CSV: &str = "kolada.csv";
/// The pointer to the current release of a year.
pub const LATEST: &str = "LATEST";

/// `<lake>/releases/<Y>`.
pub fn year_dir(lake: &Path, year: i64) -> Path {
    lake.clone().join("releases").join(year.to_string())
}

/// The folder name of version `n`, e.g. `v001`.
pub fn version_name(n: u32) -> String {
    format!("v{n:03}")
}

/// The version number of a folder name such as `v012`; `None` for anything else.
pub fn parse_version(name: &str) -> Option<u32> {
    let digits = name.strip_prefix('v')?;
    if digits.len() < 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `<lake>/releases/<Y>/v<NNN>`.
pub fn version_dir(lake: &Path, year: i64, n: u32) -> Path {
    year_dir(lake, year).join(version_name(n))
}

/// `<lake>/releases/<Y>/LATEST`.
pub fn latest(lake: &Path, year: i64) -> Path {
    year_dir(lake, year).join(LATEST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_numbered_with_three_digits() {
        let lake = Path::from("lake");
        assert_eq!(
            version_dir(&lake, 2017, 2).as_ref(),
            "lake/releases/2017/v002"
        );
        assert_eq!(latest(&lake, 2017).as_ref(), "lake/releases/2017/LATEST");
        assert_eq!(version_name(1234), "v1234");
    }

    #[test]
    fn only_version_folders_parse() {
        assert_eq!(parse_version("v001"), Some(1));
        assert_eq!(parse_version("v1234"), Some(1234));
        assert_eq!(parse_version("v01"), None);
        assert_eq!(parse_version("LATEST"), None);
        assert_eq!(parse_version("v00x"), None);
    }
}
