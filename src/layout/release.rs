//! Release paths as object-store paths below a lake root: [`crate::layout`] spells them, this
//! module anchors them at the root the caller passes and names the files of a release folder.
//!
//! Guarantees: pure functions; no release path is spelled anywhere else.

use crate::layout;
use object_store::path::Path;

/// The file every release folder is complete with; written last.
pub const MANIFEST: &str = "manifest.json";
/// The long table as Parquet.
pub const INDIKATORER_PARQUET: &str = "indikatorer.parquet";
/// The long table as CSV.
pub const INDIKATORER_CSV: &str = "indikatorer.csv";
/// The Kolada file.
pub const KOLADA_CSV: &str = "kolada.csv";
/// The Kolada cells in the shape of Kolada's data API.
pub const KOLADA_JSON: &str = "kolada.json";
/// The Frictionless Data Package describing `indikatorer.csv`.
pub const DATAPACKAGE: &str = "datapackage.json";
/// The pointer to the current release of a year (the last segment of
/// [`layout::latest_file`]).
pub const LATEST: &str = "LATEST";

/// `relative` (a [`crate::layout`] path) below `lake`.
fn at(lake: &Path, relative: &str) -> Path {
    relative
        .split('/')
        .filter(|s| !s.is_empty())
        .fold(lake.clone(), |path, part| path.join(part))
}

/// `<lake>/releases/<Y>`.
pub fn year_dir(lake: &Path, year: i64) -> Path {
    at(lake, &layout::releases_dir(year))
}

/// `<lake>/releases/<Y>/v<NNN>`.
pub fn version_dir(lake: &Path, year: i64, n: u32) -> Path {
    at(lake, &layout::release_dir(year, n))
}

/// `<lake>/_commit/claims/<Y>`: the claims of a year's versions.
pub(crate) fn claims_dir(lake: &Path, year: i64) -> Path {
    at(lake, &layout::release_claims_dir(year))
}

/// The claim of version `n` of a year.
pub fn claim(lake: &Path, year: i64, n: u32) -> Path {
    at(lake, &layout::release_claim(year, n))
}

/// `<lake>/releases/<Y>/LATEST`.
pub fn latest(lake: &Path, year: i64) -> Path {
    at(lake, &layout::latest_file(year))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_paths_sit_below_the_lake_root() {
        let lake = Path::from("data/lake");
        assert_eq!(
            version_dir(&lake, 2017, 2).as_ref(),
            "data/lake/releases/2017/v002"
        );
        assert_eq!(
            latest(&lake, 2017).as_ref(),
            "data/lake/releases/2017/LATEST"
        );
        assert_eq!(year_dir(&Path::default(), 2017).as_ref(), "releases/2017");
    }
}
