//! The runner: executes the stages of one year in order, decides from input fingerprints which
//! stages are up to date (and says which input changed), honours `--stage`, `--from`, `--force`
//! and `--dry-run`, prints a progress line per stage and writes the run record to the ledger
//! whatever happens.
//!
//! Guarantees: a run holds the year's lease ([`crate::commit::Lease`]) from its first write to its
//! last; every stage writes through a [`Txn`] and its outputs are committed only after its gate
//! passed, so a failed or killed stage leaves the committed data as it was; the stage's own error
//! is the run's failure, and a failure to write the run record afterwards is reported second.

use crate::clock::Clock;
use crate::commit::{self, CommitError, Holder, Lease, Txn, View};
use crate::config::{Project, Stage};
use crate::events::{self, Decision};
use crate::exit::ExitStatus;
use crate::fingerprint::{self, Fingerprint};
use crate::ingest::{self, IngestError, QuestionColumn};
use crate::layout;
use crate::ledger::{self, LedgerError, Outcome, RunRecord, StageRecord, StageStatus};
use crate::lineage;
use crate::store::{Store, StoreError};
use datafusion::prelude::SessionContext;
use std::time::Instant;

/// Which stages a run executes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Every stage.
    All,
    /// One stage (`--stage S`).
    Only(Stage),
    /// A stage and everything after it (`--from S`).
    From(Stage),
}

impl Selection {
    /// Whether `stage` is selected.
    pub fn includes(self, stage: Stage) -> bool {
        match self {
            Selection::All => true,
            Selection::Only(s) => s == stage,
            Selection::From(s) => stage >= s,
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub year: i64,
    pub selection: Selection,
    /// Run selected stages even when up to date.
    pub force: bool,
    /// Only decide what would run.
    pub dry_run: bool,
    /// The command line, for the record.
    pub command: String,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("ingest: {0}")]
    Ingest(#[from] IngestError),
    #[error("{stage}: {message}")]
    Stage {
        stage: &'static str,
        message: String,
        status: ExitStatus,
    },
    #[error("gate after {stage} failed: blocking check(s) {}", failed.join(", "))]
    Gate {
        stage: &'static str,
        failed: Vec<String>,
    },
    #[error("run ledger: {0}")]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Commit(#[from] CommitError),
}

impl RunError {
    /// The process exit status for this failure.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            RunError::Ingest(e) => e.exit_status(),
            RunError::Stage { status, .. } => *status,
            RunError::Gate { .. } => ExitStatus::DataQuality,
            RunError::Commit(CommitError::UpstreamFailed { .. }) => ExitStatus::DataQuality,
            RunError::Ledger(_) | RunError::Store(_) | RunError::Commit(_) => ExitStatus::Runtime,
        }
    }
}

/// The facts a stage reports when it has run.
#[derive(Debug, Default)]
pub struct StageOutput {
    pub rows_in: u64,
    pub rows_out: u64,
    pub details: serde_json::Value,
    pub checks: Vec<serde_json::Value>,
    /// Lines for the progress output, with their facts.
    pub lines: Vec<crate::events::Line>,
}

/// Everything a run works with.
pub struct Runner<'a> {
    pub project: &'a Project,
    pub drops: &'a Store,
    pub lake: &'a Store,
    pub ctx: &'a SessionContext,
    pub clock: &'a dyn Clock,
    /// Where OpenLineage events of the stages that run go, if anywhere.
    pub lineage: Option<&'a crate::lineage::Lineage>,
}

/// The result of a run: its record (already written to the ledger).
#[derive(Debug)]
pub struct RunResult {
    pub record: RunRecord,
    /// The first failure: the stage's own error (or a ledger failure when no stage failed).
    pub failure: Option<RunError>,
    /// Failures after the stage's own one (writing the run record or the failure marker), to be
    /// reported after it.
    pub later_failures: Vec<RunError>,
}

impl Runner<'_> {
    /// Runs the selected stages of a year, holding the year's lease (not for a dry run).
    pub async fn run(&self, options: &RunOptions) -> Result<RunResult, RunError> {
        let started = self.clock.now();
        let record = RunRecord {
            run_id: ledger::new_run_id(started, options.year),
            year: options.year,
            command: options.command.clone(),
            started: started.to_rfc3339(),
            finished: None,
            outcome: if options.dry_run {
                Outcome::DryRun
            } else {
                Outcome::Running
            },
            code_version: fingerprint::build_identity(),
            stages: Vec::new(),
            error: None,
        };
        if options.dry_run {
            return self.run_stages(options, record).await;
        }
        let holder = Holder::this_process(&record.run_id, &record.started);
        let lease = Lease::acquire(self.lake, options.year, &holder).await?;
        let result = self.run_stages(options, record).await;
        let released = lease.release().await;
        match (result, released) {
            (Ok(mut r), Err(e)) => {
                if r.failure.is_none() {
                    r.failure = Some(e.into());
                } else {
                    r.later_failures.push(e.into());
                }
                Ok(r)
            }
            (result, _) => result,
        }
    }

    async fn run_stages(
        &self,
        options: &RunOptions,
        mut record: RunRecord,
    ) -> Result<RunResult, RunError> {
        if !options.dry_run {
            ledger::write(self.lake, &record).await?;
        }
        // The ledger is read once per run; this run's own stages are looked up in `record`.
        let earlier = ledger::all_runs(self.lake).await?;
        let mut failure = None;
        let mut later_failures = Vec::new();
        let mut upstream_ran = false;
        let run_id = record.run_id.clone();
        let scope = events::Scope {
            run_id: &run_id,
            year: options.year,
        };
        for stage in Stage::ALL {
            if !options.selection.includes(stage) {
                record.stages.push(stage_record(
                    stage,
                    StageStatus::NotSelected,
                    "not selected".into(),
                    String::new(),
                    &Prepared::default(),
                ));
                continue;
            }
            let prepared = match self.prepare(stage, options.year).await {
                Ok(p) => p,
                Err(e) => {
                    events::stage_failed(scope, stage.name(), &e.to_string());
                    record.stages.push(stage_record(
                        stage,
                        StageStatus::Failed,
                        "inputs could not be read".into(),
                        String::new(),
                        &Prepared::default(),
                    ));
                    failure = Some(e);
                    break;
                }
            };
            let fingerprint = prepared.fingerprint.clone();
            let previous = ledger::last_success_in(&earlier, options.year, stage.name());
            let last_failure = commit::last_failure(self.lake, stage.name(), options.year).await?;
            let same_inputs = previous
                .as_ref()
                .is_some_and(|p| p.fingerprint == fingerprint);
            let outputs_exist = self.outputs_exist(stage, options.year).await?;
            let up_to_date = same_inputs && outputs_exist && last_failure.is_none();
            let reason = if options.force {
                "forced (--force)".to_string()
            } else if up_to_date && upstream_ran {
                "an upstream stage ran".to_string()
            } else if up_to_date {
                "up to date: inputs unchanged since the last successful run".to_string()
            } else if let Some(f) = &last_failure {
                format!("its last attempt failed (run {})", f.run_id)
            } else if let Some(p) = &previous {
                if same_inputs {
                    "its committed output is missing".to_string()
                } else {
                    changed_reason(&p.inputs, &prepared.parts)
                }
            } else {
                "never ran for this year".to_string()
            };
            if up_to_date && !options.force && !upstream_ran {
                events::stage_decided(scope, stage.name(), Decision::Skipped, &reason);
                let mut rec =
                    stage_record(stage, StageStatus::Skipped, reason, fingerprint, &prepared);
                if let Some(p) = previous {
                    rec.details = p.details;
                    rec.checks = p.checks;
                }
                record.stages.push(rec);
                continue;
            }
            if options.dry_run {
                events::stage_decided(scope, stage.name(), Decision::WouldRun, &reason);
                record.stages.push(stage_record(
                    stage,
                    StageStatus::WouldRun,
                    reason,
                    fingerprint,
                    &prepared,
                ));
                upstream_ran = true;
                continue;
            }
            events::stage_decided(scope, stage.name(), Decision::Running, &reason);
            let mut lineage = match self.lineage {
                Some(sink) => Some(
                    lineage::Tracker::start(
                        sink,
                        lineage::StageRun {
                            pipeline: &self.project.pipeline.name,
                            stage: stage.name(),
                            run_id: &run_id,
                        },
                        self.lineage_inputs(&prepared).await,
                    )
                    .await,
                ),
                None => None,
            };
            crate::memory::reset_peak();
            let start = Instant::now();
            let mut rec = stage_record(stage, StageStatus::Ran, reason, fingerprint, &prepared);
            let txn = Txn::new(self.lake, options.year, &record.run_id, stage.name());
            let result = self
                .run_stage(stage, options.year, prepared, &record, &earlier, &txn)
                .await;
            let seconds = start.elapsed().as_secs_f64();
            rec.seconds = seconds;
            rec.peak_memory_bytes = crate::memory::peak_rss_bytes();
            match result {
                Ok(mut out) => {
                    let view = txn.view();
                    if let Some(t) = &mut lineage {
                        t.set_outputs(self.lineage_outputs(options.year, &view).await);
                    }
                    let gate = match self.gate(stage, options.year, &mut out, &view).await {
                        Ok(()) => txn.commit().await.map_err(RunError::from),
                        Err(e) => {
                            if let Err(abort) = txn.abort().await {
                                later_failures.push(abort.into());
                            }
                            Err(e)
                        }
                    };
                    for line in &out.lines {
                        line.emit(scope, stage.name());
                    }
                    events::stage_done(
                        scope,
                        stage.name(),
                        out.rows_in,
                        out.rows_out,
                        seconds,
                        rec.peak_memory_bytes,
                    );
                    rec.rows_in = out.rows_in;
                    rec.rows_out = out.rows_out;
                    rec.details = out.details;
                    if let Some(t) = &mut lineage {
                        t.assert(&out.checks, |id| {
                            self.checked_dataset(stage, options.year, &view, id)
                        });
                    }
                    rec.checks = out.checks;
                    if let Err(e) = gate {
                        if let Some(t) = lineage {
                            t.finish(Some(&e.to_string())).await;
                        }
                        events::gate_failed(scope, stage.name(), &e.to_string());
                        rec.status = StageStatus::Failed;
                        record.stages.push(rec);
                        self.mark_failed(
                            stage,
                            options.year,
                            &record.run_id,
                            &e,
                            &mut later_failures,
                        )
                        .await;
                        failure = Some(e);
                        break;
                    }
                    record.stages.push(rec);
                    upstream_ran = true;
                    // Recorded before the commit marker goes: a kill in between re-runs the stage.
                    let recorded = ledger::write(self.lake, &record).await;
                    let cleared = match recorded {
                        Ok(()) => commit::clear_failure(self.lake, stage.name(), options.year)
                            .await
                            .map_err(RunError::from),
                        Err(e) => Err(e.into()),
                    };
                    if let Some(t) = lineage {
                        t.finish(cleared.as_ref().err().map(|e| e.to_string()).as_deref())
                            .await;
                    }
                    if let Err(e) = cleared {
                        failure = Some(e);
                        break;
                    }
                }
                Err(e) => {
                    events::stage_failed_after(scope, stage.name(), seconds);
                    if let Some(t) = lineage {
                        t.finish(Some(&e.to_string())).await;
                    }
                    rec.status = StageStatus::Failed;
                    record.stages.push(rec);
                    if let Err(abort) = txn.abort().await {
                        later_failures.push(abort.into());
                    }
                    self.mark_failed(stage, options.year, &record.run_id, &e, &mut later_failures)
                        .await;
                    failure = Some(e);
                    break;
                }
            }
        }
        record.finished = Some(self.clock.now().to_rfc3339());
        if !options.dry_run {
            record.outcome = if failure.is_some() {
                Outcome::Failed
            } else {
                Outcome::Success
            };
        }
        record.error = failure.as_ref().map(|e| e.to_string());
        if !options.dry_run
            && let Err(e) = ledger::write(self.lake, &record).await
        {
            // The stage's own failure stays first; the record's failure is reported after it.
            if failure.is_some() {
                later_failures.push(e.into());
            } else {
                failure = Some(e.into());
            }
        }
        Ok(RunResult {
            record,
            failure,
            later_failures,
        })
    }

    /// Reads what a stage needs to decide whether to run, and its input fingerprint: the program
    /// build, the configuration (pipelines, checks, contracts), for ingest the drop files
    /// themselves, for transform the text of every `sql/` model, and for later stages the committed
    /// versions of the datasets and releases they read (history years included). Refuses when a
    /// stage that produces data this stage reads failed its last attempt.
    /// Leaves the failed marker of `stage` for `year` (see [`commit::mark_failed`]); a failure
    /// to write it is kept in `later` and reported after the stage's own error.
    async fn mark_failed(
        &self,
        stage: Stage,
        year: i64,
        run_id: &str,
        error: &RunError,
        later: &mut Vec<RunError>,
    ) {
        let marked =
            commit::mark_failed(self.lake, stage.name(), year, run_id, &error.to_string()).await;
        if let Err(m) = marked {
            later.push(m.into());
        }
    }

    async fn prepare(&self, stage: Stage, year: i64) -> Result<Prepared, RunError> {
        let mut f = Fingerprint::new(stage.name());
        f.add("year", year.to_string().as_bytes());
        for (file, text) in &self.project.sources {
            f.add(file, text.as_bytes());
        }
        let mut drops = Vec::new();
        let mut reads: Vec<(&'static str, String, i64)> = Vec::new();
        match stage {
            Stage::Ingest => {
                for dataset in &self.project.pipeline.datasets {
                    let files = ingest::load_drop(self.drops, year, dataset).await?;
                    for file in &files {
                        f.add(&file.relative, file.sha256.as_bytes());
                    }
                    drops.push(files);
                }
            }
            Stage::Transform => {
                for (file, text) in crate::stages::transform::model_texts(self.project)
                    .map_err(|e| crate::stages::engine("transform", e))?
                {
                    f.add(&file, &text);
                }
                for (dataset, y) in crate::stages::transform::staged_inputs(self.project, year) {
                    reads.push(("ingest", layout::staging_file(dataset, y), y));
                }
            }
            Stage::Disclose => {
                reads.push((
                    "transform",
                    layout::warehouse_file(crate::stages::disclose::INPUT_MODEL, year),
                    year,
                ));
                reads.push(("ingest", layout::staging_file("regioner", year), year));
            }
            Stage::Publish => {
                reads.push((
                    "disclose",
                    layout::warehouse_file(crate::stages::disclose::OUTPUT_DATASET, year),
                    year,
                ));
                for model in crate::stages::publish::WAREHOUSE_READS {
                    if crate::stages::declared_model(self.project, model) {
                        reads.push(("transform", layout::warehouse_file(model, year), year));
                    }
                }
                let trend_years = crate::stages::publication::TREND_YEARS;
                for y in (year - trend_years)..year {
                    let latest = layout::latest_file(y);
                    let pointer = self.lake.get(&latest).await?.unwrap_or_default();
                    f.add(&latest, &pointer);
                }
            }
        }
        let mut refused = std::collections::BTreeSet::new();
        let mut datasets = std::collections::BTreeMap::new();
        for (producer, file, y) in &reads {
            if refused.insert((*producer, *y)) {
                let what = reads
                    .iter()
                    .filter(|(p, _, yy)| p == producer && yy == y)
                    .map(|(_, file, _)| layout::partition_of(layout::partition_of(file)))
                    .collect::<Vec<_>>()
                    .join(", ");
                commit::require_intact(self.lake, producer, *y, &what).await?;
            }
            let label = layout::partition_of(file);
            let version = commit::version(self.lake, file).await?;
            f.add(label, version.as_bytes());
            datasets.insert(label.to_string(), version);
        }
        let parts = f.parts().clone();
        Ok(Prepared {
            fingerprint: f.finish(),
            parts,
            datasets,
            drops,
            reads: reads.into_iter().map(|(_, file, _)| file).collect(),
        })
    }

    /// The datasets a stage reads, for its lineage: drop files (ingest), committed lake files.
    async fn lineage_inputs(&self, prepared: &Prepared) -> Vec<lineage::Dataset> {
        let mut inputs = lineage::drop_datasets(self.project, self.drops, &prepared.drops);
        let files = prepared
            .reads
            .iter()
            .map(|f| (layout::partition_of(f).to_string(), f.clone()));
        inputs.extend(lineage::lake_datasets(self.ctx, self.lake, files).await);
        inputs
    }

    /// The datasets a stage wrote (read from where they are before the commit), for its lineage:
    /// each partition folder, and the release folder the stage made.
    async fn lineage_outputs(&self, year: i64, view: &View) -> Vec<lineage::Dataset> {
        let mut files: Vec<(String, String)> = view
            .outputs()
            .map(|(committed, pending)| {
                (
                    layout::partition_of(committed).to_string(),
                    pending.to_string(),
                )
            })
            .collect();
        if let Some(v) = view.release(year) {
            files.push((
                layout::release_dir(year, v),
                layout::release_file(year, v, crate::publish::INDIKATORER_PARQUET),
            ));
        }
        lineage::lake_datasets(self.ctx, self.lake, files).await
    }

    /// The dataset (lineage name) check `id` of the gate after `stage` reads: a staged dataset or
    /// a warehouse model of the year, or the release the stage made.
    fn checked_dataset(&self, stage: Stage, year: i64, view: &View, id: &str) -> Option<String> {
        use crate::gates::TableSource;
        let check = self.project.checks.of(stage).iter().find(|c| c.id == id)?;
        match self.project.checks.tables.get(check.table.as_deref()?)? {
            TableSource::Staging(d) => {
                Some(layout::partition_of(&layout::staging_file(d, year)).to_string())
            }
            TableSource::Warehouse(m) => {
                Some(layout::partition_of(&layout::warehouse_file(m, year)).to_string())
            }
            TableSource::Release {
                previous_year: false,
                ..
            } => view.release(year).map(|v| layout::release_dir(year, v)),
            TableSource::Release { .. } => None,
        }
    }

    /// Whether a stage's outputs are still in the lake (a skipped stage must have them).
    async fn outputs_exist(&self, stage: Stage, year: i64) -> Result<bool, RunError> {
        match stage {
            Stage::Ingest => {
                for d in &self.project.pipeline.datasets {
                    if self
                        .lake
                        .head(&layout::staging_file(&d.name, year))
                        .await?
                        .is_none()
                    {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Stage::Transform => Ok(self
                .lake
                .head(&layout::warehouse_file(
                    crate::stages::disclose::INPUT_MODEL,
                    year,
                ))
                .await?
                .is_some()),
            Stage::Disclose => Ok(self
                .lake
                .head(&layout::warehouse_file(
                    crate::stages::disclose::OUTPUT_DATASET,
                    year,
                ))
                .await?
                .is_some()),
            Stage::Publish => Ok(self.lake.head(&layout::latest_file(year)).await?.is_some()),
        }
    }

    /// Runs the gate after `stage` over the stage's pending outputs (`view`): its lines and
    /// results go into `out`; a blocking failure (or a gate that could not run) is the error that
    /// stops the run before anything is committed.
    async fn gate(
        &self,
        stage: Stage,
        year: i64,
        out: &mut StageOutput,
        view: &View,
    ) -> Result<(), RunError> {
        let start = Instant::now();
        let report =
            crate::gates::run_gate_in(self.ctx, self.project, self.lake, stage, year, view)
                .await
                .map_err(|e| RunError::Stage {
                    stage: stage.name(),
                    message: e.to_string(),
                    status: e.exit_status(),
                })?;
        out.lines.extend(
            report
                .results
                .iter()
                .zip(report.lines())
                .map(events::Line::check),
        );
        out.lines.push(events::Line::Gate {
            checks: report.results.len(),
            seconds: start.elapsed().as_secs_f64(),
        });
        out.checks.extend(report.to_json());
        if report.blocking() {
            return Err(RunError::Gate {
                stage: stage.name(),
                failed: report.failed(),
            });
        }
        Ok(())
    }

    async fn run_stage(
        &self,
        stage: Stage,
        year: i64,
        prepared: Prepared,
        record: &RunRecord,
        earlier: &[RunRecord],
        txn: &Txn<'_>,
    ) -> Result<StageOutput, RunError> {
        let out = match stage {
            Stage::Ingest => self.ingest(year, prepared.drops, txn).await,
            Stage::Transform => crate::stages::transform::run(self, year, txn).await,
            Stage::Disclose => crate::stages::disclose::run(self, year, txn).await,
            Stage::Publish => crate::stages::publish::run(self, year, record, earlier, txn).await,
        }?;
        crate::commit::crash_point(stage.name(), "written");
        Ok(out)
    }

    async fn ingest(
        &self,
        year: i64,
        drops: Vec<Vec<ingest::DropFile>>,
        txn: &Txn<'_>,
    ) -> Result<StageOutput, RunError> {
        let questions = survey_questions(self.project, year);
        let mut out = StageOutput::default();
        let mut details = serde_json::Map::new();
        for (dataset, files) in self.project.pipeline.datasets.iter().zip(drops) {
            let start = Instant::now();
            let o = ingest::ingest_dataset(
                self.ctx,
                self.project,
                dataset,
                year,
                &files,
                self.drops,
                txn,
                &questions,
            )
            .await?;
            out.rows_in += o.rows_read;
            out.rows_out += o.rows_staged;
            out.lines.push(events::Line::Dataset {
                dataset: o.dataset.clone(),
                rows_in: o.rows_read,
                rows_out: o.rows_staged,
                rejected: o.rows_rejected,
                seconds: start.elapsed().as_secs_f64(),
            });
            details.insert(
                o.dataset.clone(),
                serde_json::to_value(&o).unwrap_or_default(),
            );
        }
        out.details = serde_json::Value::Object(details);
        Ok(out)
    }
}

/// What [`Runner::prepare`] read for a stage.
#[derive(Default)]
struct Prepared {
    fingerprint: String,
    /// The fingerprint's parts by label.
    parts: std::collections::BTreeMap<String, String>,
    /// The committed datasets read, with their versions.
    datasets: std::collections::BTreeMap<String, String>,
    /// The drop files per dataset (ingest only).
    drops: Vec<Vec<ingest::DropFile>>,
    /// The committed lake files read.
    reads: Vec<String>,
}

/// The record of `stage`'s current output for `year`: this run's when the stage ran or was skipped
/// here, else the last successful run's (from `earlier`, the ledger as read when the run began).
pub fn current_stage(
    record: &RunRecord,
    earlier: &[RunRecord],
    year: i64,
    stage: &str,
) -> Option<StageRecord> {
    record
        .stages
        .iter()
        .filter(|_| record.year == year)
        .find(|s| s.name == stage && matches!(s.status, StageStatus::Ran | StageStatus::Skipped))
        .cloned()
        .or_else(|| ledger::last_success_in(earlier, year, stage))
}

/// "inputs changed: …" naming the parts of the fingerprint that differ from the last success.
fn changed_reason(
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

fn stage_record(
    stage: Stage,
    status: StageStatus,
    reason: String,
    fingerprint: String,
    prepared: &Prepared,
) -> StageRecord {
    StageRecord {
        name: stage.name().to_string(),
        status,
        reason,
        fingerprint,
        inputs: prepared.parts.clone(),
        datasets: prepared.datasets.clone(),
        seconds: 0.0,
        rows_in: 0,
        rows_out: 0,
        peak_memory_bytes: None,
        details: serde_json::Value::Null,
        checks: Vec::new(),
    }
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
            numeric: q.answer_type == crate::survey::config::AnswerType::Tal,
        })
        .collect()
}
