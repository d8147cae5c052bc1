//! What the ingest and transform stages share when they keep parts of their committed output
//! (a staged dataset, a model's table) instead of computing them again: the key of everything a
//! part depends on besides its own inputs, and the last successful record of the stage whose
//! per-part keys a run compares with its own.
//!
//! Guarantees: under `--force`, and when the stage's last attempt for the year failed (its
//! commit may have replaced some files and not others), there is no earlier record to reuse from.

use crate::commit;
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

/// The details of the stage's last successful run of the year, when its parts may be reused.
pub(crate) async fn earlier_details(
    cx: &StageContext<'_>,
    stage: StageId,
) -> Result<Option<serde_json::Value>, StageError> {
    if cx.force
        || commit::last_failure(cx.lake, stage.name(), cx.year)
            .await?
            .is_some()
    {
        return Ok(None);
    }
    Ok(cx.current_stage(cx.year, stage).map(|r| r.details))
}
