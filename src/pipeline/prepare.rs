//! What the runner reads before it decides whether a stage runs: the stage's input fingerprint
//! (program build, configuration, what the stage itself reads, the committed versions of the lake
//! files it reads), whether its committed outputs are still there, and the reason it runs.
//!
//! Guarantees: a stage never runs on the output of a stage whose last attempt failed
//! (`commit::require_intact`); the reason names the parts of the fingerprint that changed.

use super::runner::Runner;
use super::{Inputs, RunError, Stage, StageContext};
use crate::commit;
use crate::fingerprint::{self, Fingerprint};
use crate::layout;

impl Runner<'_> {
    /// Reads what a stage needs to decide whether to run, and its input fingerprint: the program
    /// build, the configuration (pipelines, checks, contracts, `sql/`), what the stage itself
    /// reads ([`Stage::inputs`]: the drop files, pointers to earlier releases) and the committed
    /// versions of the lake files it reads (history years included). Refuses when a stage that
    /// produces data this stage reads failed its last attempt.
    pub(super) async fn prepare(
        &self,
        stage: &dyn Stage,
        cx: &StageContext<'_>,
    ) -> Result<Prepared, RunError> {
        let id = stage.id();
        let mut f = Fingerprint::new(id.name());
        f.add("year", cx.year.to_string().as_bytes());
        for (file, text) in &self.project.sources {
            f.add(file, text.as_bytes());
        }
        let mut inputs = stage.inputs(cx).await.map_err(|e| RunError::stage(id, e))?;
        for (label, bytes) in &inputs.parts {
            f.add(label, bytes);
        }
        let reads = &inputs.reads;
        let mut refused = std::collections::BTreeSet::new();
        let mut datasets = std::collections::BTreeMap::new();
        for read in reads {
            if refused.insert((read.producer, read.year)) {
                let what = reads
                    .iter()
                    .filter(|r| r.producer == read.producer && r.year == read.year)
                    .map(|r| layout::partition_of(layout::partition_of(&r.file)))
                    .collect::<Vec<_>>()
                    .join(", ");
                commit::require_intact(self.lake, read.producer.name(), read.year, &what).await?;
            }
            let label = layout::partition_of(&read.file);
            let version = commit::version(self.lake, &read.file).await?;
            f.add(label, version.as_bytes());
            datasets.insert(label.to_string(), version);
        }
        let parts = f.parts().clone();
        inputs.hashed = parts.clone();
        Ok(Prepared {
            fingerprint: f.finish(),
            parts,
            datasets,
            inputs,
        })
    }

    /// Whether a stage's outputs are still in the lake (a skipped stage must have them).
    pub(super) async fn outputs_exist(
        &self,
        stage: &dyn Stage,
        year: i64,
    ) -> Result<bool, RunError> {
        for file in stage.outputs(self.project, year) {
            if self.lake.head(&file).await?.is_none() {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// What [`Runner::prepare`] read for a stage.
#[derive(Default)]
pub(super) struct Prepared {
    pub fingerprint: String,
    /// The fingerprint's parts by label.
    pub parts: std::collections::BTreeMap<String, String>,
    /// The committed datasets read, with their versions.
    pub datasets: std::collections::BTreeMap<String, String>,
    /// What the stage read (its [`Stage::inputs`]).
    pub inputs: Inputs,
}

/// "inputs changed: …" naming the parts of the fingerprint that differ from the last success.
pub(super) fn changed_reason(
    before: &std::collections::BTreeMap<String, String>,
    now: &std::collections::BTreeMap<String, String>,
) -> String {
    if before.is_empty() {
        return "inputs changed since the last successful run".to_string();
    }
    let changed = fingerprint::changed(before, now);
    const SHOWN: usize = 6;
    let mut text = changed
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if changed.len() > SHOWN {
        text.push_str(&format!(" and {} more", changed.len() - SHOWN));
    }
    format!("inputs changed: {text}")
}
