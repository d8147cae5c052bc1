//! Which datasets an ingest run keeps as staged instead of reading their drops again.
//!
//! Each dataset has a key: a SHA-256 over its drop files (each one's path and SHA-256), those of
//! the datasets its contract refers to (their rows decide which of its rows are rejected), and
//! the rest of the stage's fingerprint (the configuration files, the program build, the year). A
//! dataset whose key equals the key recorded by the stage's last successful run of the year, and
//! whose committed staged file is still in the lake, keeps that file and its earlier outcome
//! (rows, rejects, the drop files' hashes): reading it again would stage the same rows. So a
//! re-delivered survey re-reads the survey only, and the register's staged file, unchanged, lets
//! the transform reuse every model that does not read the survey.
//!
//! Guarantees: as for the transform's models (`--force` and a failed last attempt keep nothing);
//! a changed drop of a dataset that others refer to changes their keys too.

use crate::config::Project;
use crate::fingerprint::Fingerprint;
use crate::ingest::{DropFile, referenced_datasets};
use crate::layout;
use crate::pipeline::{StageContext, StageError};
use crate::stages::reuse::{common_key, unchanged};
use crate::vocab::StageId;
use std::collections::{BTreeMap, BTreeSet};

/// The key of every dataset (see the module documentation), from the stage's fingerprint parts
/// and the drop files of each dataset, in the pipeline's dataset order.
pub(super) fn dataset_keys(
    project: &Project,
    year: i64,
    hashed: &BTreeMap<String, String>,
    drops: &[Vec<DropFile>],
) -> BTreeMap<String, String> {
    let drop_dir = format!("{}/", layout::drop_dir(year));
    let common = common_key(StageId::Ingest, hashed, &[&drop_dir]);
    let datasets = &project.pipeline.datasets;
    let files: BTreeMap<&str, &[DropFile]> = datasets
        .iter()
        .zip(drops)
        .map(|(d, f)| (d.name.as_str(), f.as_slice()))
        .collect();
    let mut keys = BTreeMap::new();
    for dataset in datasets {
        // The dataset and every dataset it refers to, directly or through another.
        let mut read = BTreeSet::from([dataset.name.clone()]);
        let mut next = vec![dataset.name.clone()];
        while let Some(name) = next.pop() {
            if let Some(d) = datasets.iter().find(|d| d.name == name) {
                for target in referenced_datasets(project.contract_of(d)) {
                    if read.insert(target.clone()) {
                        next.push(target);
                    }
                }
            }
        }
        let mut f = Fingerprint::new("ingest dataset");
        f.add("common", common.as_bytes());
        for name in &read {
            f.add(&format!("dataset {name}"), b"");
            for file in files.get(name.as_str()).copied().unwrap_or_default() {
                f.add(&file.relative, file.sha256.as_bytes());
            }
        }
        keys.insert(dataset.name.clone(), f.finish());
    }
    keys
}

/// The datasets whose committed staged files this run keeps, with their earlier outcomes.
pub(super) async fn reusable(
    cx: &StageContext<'_>,
    keys: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, serde_json::Value>, StageError> {
    let mut kept = BTreeMap::new();
    let Some(earlier) = cx.reusable else {
        return Ok(kept);
    };
    for (dataset, key) in keys {
        let outcome = &earlier.details[dataset];
        let file = layout::staging_file(dataset, cx.year);
        if unchanged(cx, outcome, Some(key), &file).await? {
            kept.insert(dataset.clone(), outcome.clone());
        }
    }
    Ok(kept)
}
