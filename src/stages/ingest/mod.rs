//! The ingest stage: every dataset of the pipeline, reference data first and the datasets that
//! refer to it at the same time after it, from the year's drop folder into
//! `staging/<dataset>/ar=<Y>/` ([`crate::ingest`] reads, validates and writes; rejected rows go to
//! `rejects/`). Its fingerprint is the content of the drop files: each is read once
//! in chunks before the stage decides to run (SHA-256 and the checks of its text), and read again,
//! in chunks, by the run, which checks it still has that SHA-256.

use crate::commit::Txn;
use crate::config::Project;
use crate::events;
use crate::ingest::{self, DropFile, QuestionColumn};
use crate::layout;
use crate::pipeline::{Inputs, PartsPlan, Stage, StageContext, StageError, StageOutput};
use crate::vocab::{AnswerType, StageId};
use futures::future::BoxFuture;
use std::time::Instant;

mod reuse;

/// The ingest stage.
pub struct Ingest;

/// The drop files of every dataset, in the pipeline's dataset order.
struct Drops(Vec<Vec<DropFile>>);

impl Stage for Ingest {
    fn id(&self) -> StageId {
        StageId::Ingest
    }

    fn inputs<'a>(&'a self, cx: &'a StageContext<'a>) -> BoxFuture<'a, Result<Inputs, StageError>> {
        Box::pin(async move {
            let drops = read_drops(cx).await?;
            let parts = drops
                .0
                .iter()
                .flatten()
                .map(|file| (file.relative.clone(), file.sha256.as_bytes().to_vec()))
                .collect();
            let (recorded, read): (Vec<&DropFile>, Vec<&DropFile>) = drops
                .0
                .iter()
                .flatten()
                .partition(|f| f.hashed == ingest::Hashed::Recorded);
            let line = events::Line::Drops {
                recorded: recorded.iter().map(|f| f.relative.clone()).collect(),
                read: read
                    .iter()
                    .map(|f| (f.relative.clone(), f.hashed))
                    .collect(),
            };
            Ok(Inputs {
                parts,
                reads: Vec::new(),
                prepared: Some(Box::new(drops)),
                lines: vec![line],
                ..Inputs::default()
            })
        })
    }

    fn outputs(&self, project: &Project, year: i64) -> Vec<String> {
        project
            .pipeline
            .datasets
            .iter()
            .map(|d| layout::staging_file(&d.name, year))
            .collect()
    }

    fn run<'a>(
        &'a self,
        cx: &'a StageContext<'a>,
        inputs: Inputs,
        txn: &'a Txn<'a>,
    ) -> BoxFuture<'a, Result<StageOutput, StageError>> {
        Box::pin(async move {
            // The drops fingerprinted by `inputs`; fingerprinted now only when run without it.
            let drops = match inputs.prepared.map(|p| p.downcast::<Drops>()) {
                Some(Ok(d)) => d.0,
                _ => read_drops(cx).await?.0,
            };
            let questions = survey_questions(cx.project, cx.year);
            let keys = reuse::dataset_keys(cx.project, cx.year, &inputs.hashed, &drops);
            let kept = reuse::reusable(cx, &keys).await?;
            let datasets: Vec<_> = cx.project.pipeline.datasets.iter().zip(drops).collect();
            // Each dataset's outcome and seconds, in the pipeline's order. A dataset is read once
            // every dataset it refers to is staged: the reference data first, then the others at
            // once (the small ones beside the register instead of after it).
            let mut done: Vec<Option<(serde_json::Value, f64)>> = vec![None; datasets.len()];
            let mut waiting: Vec<usize> = (0..datasets.len()).collect();
            while !waiting.is_empty() {
                let (wave, later) = next_wave(cx.project, &datasets, &waiting, &kept);
                let ingested = wave.iter().map(|&i| {
                    let (dataset, files) = &datasets[i];
                    let questions = &questions;
                    let kept = &kept;
                    async move {
                        let start = Instant::now();
                        let outcome = match kept.get(&dataset.name) {
                            // The same files (the key covers their paths and hashes), with their
                            // stats as found now.
                            Some(earlier) => {
                                let mut outcome = earlier.clone();
                                outcome["files"] = files_value(files);
                                outcome
                            }
                            None => serde_json::to_value(
                                ingest::ingest_dataset(
                                    cx.ctx, cx.project, dataset, cx.year, files, cx.drops, txn,
                                    questions,
                                )
                                .await?,
                            )
                            .unwrap_or_default(),
                        };
                        Ok::<_, StageError>((outcome, start.elapsed().as_secs_f64()))
                    }
                });
                // Every dataset of the wave finishes; the first failure in the pipeline's order
                // is the stage's error.
                for (i, result) in wave.iter().zip(futures::future::join_all(ingested).await) {
                    done[*i] = Some(result?);
                }
                waiting = later;
            }
            let mut out = StageOutput::default();
            let mut details = serde_json::Map::new();
            for ((dataset, _), outcome) in datasets.iter().zip(done) {
                // Every dataset has its outcome once the waves are done (a failure returned).
                let Some((mut outcome, seconds)) = outcome else {
                    continue;
                };
                let reused = kept.contains_key(&dataset.name);
                let count = |field: &str| outcome[field].as_u64().unwrap_or_default();
                let (rows_in, rows_out) = (count("rows_read"), count("rows_staged"));
                out.rows_in += rows_in;
                out.rows_out += rows_out;
                out.lines.push(events::Line::Dataset {
                    dataset: dataset.name.clone(),
                    rows_in,
                    rows_out,
                    rejected: count("rows_rejected"),
                    seconds,
                    reused,
                });
                let key = keys.get(&dataset.name).cloned();
                if let Some(key) = &key {
                    out.part_keys
                        .insert(layout::staging_file(&dataset.name, cx.year), key.clone());
                }
                outcome["key"] = key.into();
                outcome["reused"] = reused.into();
                details.insert(dataset.name.clone(), outcome);
            }
            out.details = serde_json::Value::Object(details);
            Ok(out)
        })
    }

    fn plan_parts<'a>(
        &'a self,
        cx: &'a StageContext<'a>,
        inputs: &'a Inputs,
    ) -> BoxFuture<'a, Result<Option<PartsPlan>, StageError>> {
        Box::pin(async move {
            let Some(Drops(drops)) = inputs
                .prepared
                .as_ref()
                .and_then(|p| p.downcast_ref::<Drops>())
            else {
                return Ok(None);
            };
            let keys = reuse::dataset_keys(cx.project, cx.year, &inputs.hashed, drops);
            let kept = reuse::reusable(cx, &keys).await?;
            Ok(Some(PartsPlan::split(
                events::PartKind::Datasets,
                cx.project.pipeline.datasets.iter().map(|d| d.name.clone()),
                |d| kept.contains_key(d),
                |d| layout::staging_file(d, cx.year),
                &keys,
            )))
        })
    }

    /// The earlier details with each drop file's stat as found now, so that a file written again
    /// with the same bytes (the run was skipped: the same SHA-256) is not read by the next run.
    fn skipped_details(
        &self,
        project: &Project,
        mut earlier: serde_json::Value,
        inputs: &Inputs,
    ) -> serde_json::Value {
        let Some(Drops(drops)) = inputs.prepared.as_ref().and_then(|p| p.downcast_ref()) else {
            return earlier;
        };
        for (dataset, files) in project.pipeline.datasets.iter().zip(drops) {
            if let Some(outcome) = earlier.get_mut(&dataset.name) {
                outcome["files"] = files_value(files);
            }
        }
        earlier
    }

    fn external_inputs(
        &self,
        cx: &StageContext<'_>,
        inputs: &Inputs,
    ) -> Vec<crate::lineage::Dataset> {
        match inputs
            .prepared
            .as_ref()
            .and_then(|p| p.downcast_ref::<Drops>())
        {
            Some(d) => crate::lineage::drop_datasets(cx.project, cx.drops, &d.0),
            None => Vec::new(),
        }
    }
}

/// Every drop file of every dataset of the year, fingerprinted (read in chunks, never whole),
/// except a file whose stat ([`DropFile::stat`]) is the one recorded in the stage's reusable
/// record: its SHA-256 is taken from there.
async fn read_drops(cx: &StageContext<'_>) -> Result<Drops, StageError> {
    let mut recorded = ingest::RecordedHashes::new();
    if let Some(outcomes) = cx.reusable.and_then(|r| r.details.as_object()) {
        for file in outcomes
            .values()
            .flat_map(|o| o["files"].as_array().into_iter().flatten())
        {
            if let (Some(relative), Some(stat), Some(sha256)) = (
                file["relative"].as_str(),
                file["stat"].as_str(),
                file["sha256"].as_str(),
            ) {
                recorded.insert(relative.into(), (stat.into(), sha256.into()));
            }
        }
    }
    let mut drops = Vec::new();
    let limit = cx.project.pipeline.params.ingest.max_line_bytes as usize;
    for dataset in &cx.project.pipeline.datasets {
        let contract = cx.project.contract_of(dataset);
        drops.push(
            ingest::fingerprint_drop(
                cx.drops,
                cx.year,
                dataset,
                contract,
                limit,
                cx.project.pipeline.params.ingest.read_chunk_bytes as usize,
                &recorded,
            )
            .await?,
        );
    }
    Ok(Drops(drops))
}

/// A dataset's drop files as its recorded outcome lists them (`files`): path, SHA-256, size and
/// stat as found by this run.
fn files_value(files: &[DropFile]) -> serde_json::Value {
    serde_json::to_value(
        files
            .iter()
            .map(ingest::InputFile::from)
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default()
}

/// Of the datasets `waiting` (indices into `datasets`), those that can be read now – reused, or
/// referring to no dataset still to be read (a reference to itself aside) – and the others. A cycle
/// of references (which `oj validate` refuses) would leave none: then the first is read alone.
fn next_wave(
    project: &Project,
    datasets: &[(&crate::config::Dataset, Vec<DropFile>)],
    waiting: &[usize],
    kept: &std::collections::BTreeMap<String, serde_json::Value>,
) -> (Vec<usize>, Vec<usize>) {
    let names: std::collections::BTreeSet<&str> = waiting
        .iter()
        .map(|&i| datasets[i].0.name.as_str())
        .filter(|name| !kept.contains_key(*name))
        .collect();
    let (mut wave, mut later): (Vec<usize>, Vec<usize>) = waiting.iter().partition(|&&i| {
        let dataset = datasets[i].0;
        kept.contains_key(&dataset.name)
            || ingest::referenced_datasets(project.contract_of(dataset))
                .iter()
                .all(|target| *target == dataset.name || !names.contains(target.as_str()))
    });
    if wave.is_empty() {
        wave.push(later.remove(0));
    }
    (wave, later)
}

/// The survey's question columns for a year, with their allowed answers.
fn survey_questions(project: &Project, year: i64) -> Vec<QuestionColumn> {
    project
        .survey
        .questions_for_year(year)
        .into_iter()
        .map(|q| QuestionColumn {
            name: q.column.clone(),
            allowed: q
                .answer_type
                .allowed_answers()
                .iter()
                .map(|a| a.to_string())
                .collect(),
            numeric: q.answer_type == AnswerType::Tal,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_regions_are_read_first_then_every_dataset_that_refers_to_them_at_once() {
        let project =
            crate::config::compile_project(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
                .unwrap();
        let datasets: Vec<_> = project
            .pipeline
            .datasets
            .iter()
            .map(|d| (d, Vec::new()))
            .collect();
        let names = |wave: &[usize]| -> Vec<&str> {
            wave.iter().map(|&i| datasets[i].0.name.as_str()).collect()
        };
        let all: Vec<usize> = (0..datasets.len()).collect();
        let none = std::collections::BTreeMap::new();
        let (first, later) = next_wave(&project, &datasets, &all, &none);
        assert_eq!(names(&first), ["regioner"]);
        let (second, last) = next_wave(&project, &datasets, &later, &none);
        assert_eq!(
            names(&second),
            ["befolkning", "register", "bakgrund", "enkat"]
        );
        assert!(last.is_empty());
        // Regions reused from the last run: nothing waits for them.
        let kept =
            std::collections::BTreeMap::from([("regioner".to_string(), serde_json::json!({}))]);
        let (first, later) = next_wave(&project, &datasets, &all, &kept);
        assert_eq!(first.len(), 5);
        assert!(later.is_empty());
    }
}
