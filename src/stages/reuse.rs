//! What the ingest and transform stages share when they keep parts of their committed output
//! (a staged dataset, a model's table) instead of computing them again: the key of everything a
//! part depends on besides its own inputs, and the test of one part against the record the
//! runner allows reusing ([`StageContext::reusable`]: none under `--force` or after a failed
//! attempt, when the stage's commit may have replaced some files and not others).

use crate::fingerprint::Fingerprint;
use crate::pipeline::{StageContext, StageError};
use crate::vocab::StageId;
use std::collections::BTreeMap;

/// The key of the stage's fingerprint parts (label → SHA-256) whose labels start with none of
/// `own`: the configuration files, the program build, the stage and the year.
pub(crate) fn common_key(
    stage: StageId,
    hashed: &BTreeMap<String, String>,
    own: &[&str],
) -> String {
    let mut common = Fingerprint::new(stage.name());
    for (label, hash) in hashed
        .iter()
        .filter(|(l, _)| !own.iter().any(|o| l.starts_with(o)))
    {
        common.add(label, hash.as_bytes());
    }
    common.finish()
}

/// Whether a part of the stage's committed output (a staged dataset, a model's table) can be
/// kept: its `earlier` entry in the reusable record has the key `now`, and its committed `file`
/// is still in the lake.
pub(crate) async fn unchanged(
    cx: &StageContext<'_>,
    earlier: &serde_json::Value,
    now: Option<&String>,
    file: &str,
) -> Result<bool, StageError> {
    Ok(
        now.is_some_and(|k| earlier["key"].as_str() == Some(k.as_str()))
            && cx.lake.head(file).await?.is_some(),
    )
}
