//! Every path in the lake and in a drops folder, as pure functions. No other module spells a lake
//! path; they all ask here. Paths are relative to the lake (or drops) root and use `/`.
//!
//! ```
//! use oj::layout;
//! assert_eq!(layout::staging_file("register", 2017), "staging/register/ar=2017/data.parquet");
//! assert_eq!(layout::release_dir(2017, 2), "releases/2017/v002");
//! assert_eq!(layout::parse_release_version("v012"), Some(12));
//! ```

pub mod release;

/// A dataset partition holds exactly one file, so replacing it is one atomic put.
const DATA_FILE: &str = "data.parquet";

/// Folder of one year's drop files below the drops root.
pub(crate) fn drop_dir(year: i64) -> String {
    format!("{year}")
}

/// A drop file of one year, e.g. `2017/register.tsv`.
pub fn drop_file(year: i64, file_name: &str) -> String {
    format!("{year}/{file_name}")
}

/// The staged (typed, validated) Parquet file of a dataset and year.
pub fn staging_file(dataset: &str, year: i64) -> String {
    format!("staging/{dataset}/ar={year}/{DATA_FILE}")
}

/// The rejected rows of a dataset and year, with line number, rule and raw line.
pub fn rejects_file(dataset: &str, year: i64) -> String {
    format!("rejects/{dataset}/ar={year}/{DATA_FILE}")
}

/// The output of an `sql/` model for a year.
pub fn warehouse_file(model: &str, year: i64) -> String {
    format!("warehouse/{model}/ar={year}/{DATA_FILE}")
}

/// Rows kept by a failing data-quality check.
pub fn quarantine_file(stage: &str, check: &str, year: i64) -> String {
    format!("quarantine/{stage}/{check}/ar={year}/{DATA_FILE}")
}

/// Folder holding every run record.
pub(crate) fn runs_dir() -> &'static str {
    "runs"
}

/// The record of one run.
pub(crate) fn run_record(run_id: &str) -> String {
    format!("runs/{run_id}/run.json")
}

/// Folder of all releases of a year.
pub fn releases_dir(year: i64) -> String {
    format!("releases/{year}")
}

/// Folder of one release of a year, `v001`, `v002`, …
pub fn release_dir(year: i64, version: u32) -> String {
    format!("releases/{year}/{}", release_name(version))
}

/// The folder name of a release version: `v` and three digits.
pub(crate) fn release_name(version: u32) -> String {
    format!("v{version:03}")
}

/// Reads a release folder name back (`v007` → 7).
pub fn parse_release_version(name: &str) -> Option<u32> {
    let digits = name.strip_prefix('v')?;
    if digits.len() < 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The file naming the current release of a year.
pub fn latest_file(year: i64) -> String {
    format!("releases/{year}/LATEST")
}

/// A file inside a release folder.
pub fn release_file(year: i64, version: u32, file_name: &str) -> String {
    format!("{}/{file_name}", release_dir(year, version))
}

/// Folder of the lake's commit protocol (the `commit` module): run-scoped writes, leases, failure
/// markers and release claims. Nothing below it is data a stage reads.
pub(crate) fn commit_dir() -> &'static str {
    "_commit"
}

/// Folder of the run-scoped (not yet committed) outputs of every run of a year.
pub fn pending_year_dir(year: i64) -> String {
    format!("_commit/pending/ar={year}")
}

/// Where run `run_id` writes the future `committed` file (a lake path) before its gate passes.
pub(crate) fn pending_file(year: i64, run_id: &str, committed: &str) -> String {
    format!("{}/{run_id}/{committed}", pending_year_dir(year))
}

/// The lease naming the one run that may write a year.
pub fn lease_file(year: i64) -> String {
    format!("_commit/leases/ar={year}.json")
}

/// The marker saying the last attempt of `stage` for a year failed (its committed output is older).
pub(crate) fn failed_marker(stage: &str, year: i64) -> String {
    format!("_commit/failed/{stage}/ar={year}.json")
}

/// Folder of the version claims of a year's releases.
pub(crate) fn release_claims_dir(year: i64) -> String {
    format!("_commit/claims/{year}")
}

/// The marker claiming release version `version` of a year for one publisher (outside the release
/// folder, which holds only release files).
pub fn release_claim(year: i64, version: u32) -> String {
    format!(
        "{}/{}/_claim",
        release_claims_dir(year),
        release_name(version)
    )
}

/// The partition folder of a dataset file (`staging/register/ar=2016/data.parquet` →
/// `staging/register/ar=2016`): how fingerprints and manifests name a committed dataset.
pub(crate) fn partition_of(file: &str) -> &str {
    file.rsplit_once('/').map_or(file, |(dir, _)| dir)
}

/// The folder of a model's output for every year (`warehouse/<model>`).
pub(crate) fn warehouse_dir() -> &'static str {
    "warehouse"
}

/// The model a committed warehouse file belongs to, when `relative` is one of year `year`.
pub(crate) fn warehouse_model_of(relative: &str, year: i64) -> Option<&str> {
    let rest = relative.strip_prefix("warehouse/")?;
    let (model, tail) = rest.split_once('/')?;
    (tail == format!("ar={year}/{DATA_FILE}")).then_some(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lake_paths_follow_outputs_md() {
        assert_eq!(
            rejects_file("befolkning", 2016),
            "rejects/befolkning/ar=2016/data.parquet"
        );
        assert_eq!(
            warehouse_file("ind_register", 2015),
            "warehouse/ind_register/ar=2015/data.parquet"
        );
        assert_eq!(run_record("r1"), "runs/r1/run.json");
        assert_eq!(latest_file(2017), "releases/2017/LATEST");
        assert_eq!(
            release_file(2017, 1, "manifest.json"),
            "releases/2017/v001/manifest.json"
        );
        assert_eq!(
            quarantine_file("ingest", "unique", 2017),
            "quarantine/ingest/unique/ar=2017/data.parquet"
        );
        assert_eq!(drop_file(2017, "regioner.csv"), "2017/regioner.csv");
        assert_eq!(
            pending_file(2017, "r1", &staging_file("register", 2017)),
            "_commit/pending/ar=2017/r1/staging/register/ar=2017/data.parquet"
        );
        assert_eq!(lease_file(2016), "_commit/leases/ar=2016.json");
        assert_eq!(
            partition_of(&staging_file("register", 2016)),
            "staging/register/ar=2016"
        );
        assert_eq!(release_claim(2017, 3), "_commit/claims/2017/v003/_claim");
        assert_eq!(
            warehouse_model_of(&warehouse_file("int_barn", 2017), 2017),
            Some("int_barn")
        );
        assert_eq!(
            warehouse_model_of(&warehouse_file("int_barn", 2016), 2017),
            None
        );
    }

    #[test]
    fn release_versions_round_trip() {
        assert_eq!(parse_release_version(&release_name(1)), Some(1));
        assert_eq!(parse_release_version("v1000"), Some(1000));
        assert_eq!(parse_release_version("v01"), None);
        assert_eq!(parse_release_version("LATEST"), None);
        assert_eq!(parse_release_version("v0a1"), None);
    }
}
