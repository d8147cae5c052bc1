//! Which models a transform run takes from the warehouse instead of computing them again.
//!
//! Each model has a key: a SHA-256 over its own SQL, the committed versions of the staged
//! datasets it reads (every year the stage registers of them), the keys of the models it reads,
//! and the rest of the stage's fingerprint (the configuration files, the program build, the year).
//! A model whose key equals the key recorded by the stage's last successful run of the year, and
//! whose committed table is still in the lake, is reused: that table is what the model would
//! compute again. So after a fix to one model's definition, only it and the models that read it
//! (directly or not) run; after a re-ingest, the models that read no re-staged dataset are reused.
//!
//! Guarantees: `--force` and a failed last attempt of the stage (whose commit may have replaced
//! some tables) reuse nothing; a record without keys (an older build) reuses nothing; a change in
//! any configuration file, the program build or a model upstream changes the key.

use crate::config::models::ModelSet;
use crate::fingerprint::Fingerprint;
use crate::layout;
use crate::pipeline::{StageContext, StageError};
use crate::stages::reuse::{common_key, unchanged};
use crate::vocab::StageId;
use std::collections::BTreeMap;

/// Label prefix of a model's SQL part of the stage's fingerprint.
const MODEL_PART: &str = "sql/";
/// Label prefix of the staged datasets' versions in the stage's fingerprint.
const STAGED_PART: &str = "staging/";

/// The key of every model, from the stage's fingerprint parts (label → SHA-256).
pub(super) fn model_keys(
    models: &ModelSet,
    hashed: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let common = common_key(StageId::Transform, hashed, &[MODEL_PART, STAGED_PART]);
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    for model in models.in_order() {
        let mut f = Fingerprint::new("transform model");
        f.add("common", common.as_bytes());
        let file = model.path.file_name().unwrap_or_default().to_string_lossy();
        let sql = format!("{MODEL_PART}{file}");
        f.add(
            &sql,
            hashed.get(&sql).map_or(&b"absent"[..], |h| h.as_bytes()),
        );
        for table in &model.references {
            if let Some(key) = keys.get(table) {
                f.add(&format!("model {table}"), key.as_bytes());
            } else {
                let prefix = format!("{STAGED_PART}{table}/");
                for (label, hash) in hashed
                    .range(prefix.clone()..)
                    .take_while(|(l, _)| l.starts_with(&prefix))
                {
                    f.add(label, hash.as_bytes());
                }
            }
        }
        keys.insert(model.name.clone(), f.finish());
    }
    keys
}

/// The models whose committed tables this run reuses, with their rows (see the module
/// documentation).
pub(super) async fn reusable(
    cx: &StageContext<'_>,
    keys: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, u64>, StageError> {
    let mut reused = BTreeMap::new();
    let Some(earlier) = cx.reusable else {
        return Ok(reused);
    };
    for run in earlier.details["models"].as_array().into_iter().flatten() {
        let (Some(model), Some(rows)) = (run["model"].as_str(), run["rows"].as_u64()) else {
            continue;
        };
        let file = layout::warehouse_file(model, cx.year);
        if unchanged(cx, run, keys.get(model), &file).await? {
            reused.insert(model.to_string(), rows);
        }
    }
    Ok(reused)
}
