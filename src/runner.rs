//! The runner: executes the stages of one year in order, decides from input fingerprints which
//! stages are up to date, honours `--stage`, `--from`, `--force` and `--dry-run`, prints a progress
//! line per stage and writes the run record to the ledger whatever happens.

use crate::clock::Clock;
use crate::config::{Project, Stage};
use crate::events::{self, Decision};
use crate::exit::ExitStatus;
use crate::fingerprint::Fingerprint;
use crate::ingest::{self, IngestError, QuestionColumn};
use crate::layout;
use crate::ledger::{self, LedgerError, Outcome, RunRecord, StageRecord, StageStatus};
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
}

impl RunError {
    /// The process exit status for this failure.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            RunError::Ingest(e) => e.exit_status(),
            RunError::Stage { status, .. } => *status,
            RunError::Gate { .. } => ExitStatus::DataQuality,
            RunError::Ledger(_) | RunError::Store(_) => ExitStatus::Runtime,
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
}

/// The result of a run: its record (already written to the ledger).
#[derive(Debug)]
pub struct RunResult {
    pub record: RunRecord,
    pub failure: Option<RunError>,
}

impl Runner<'_> {
    /// Runs the selected stages of a year.
    pub async fn run(&self, options: &RunOptions) -> Result<RunResult, RunError> {
        let started = self.clock.now();
        let mut record = RunRecord {
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
            code_version: env!("CARGO_PKG_VERSION").to_string(),
            stages: Vec::new(),
            error: None,
        };
        if !options.dry_run {
            ledger::write(self.lake, &record).await?;
        }
        // The ledger is read once per run; this run's own stages are looked up in `record`.
        let earlier = ledger::all_runs(self.lake).await?;
        let mut failure = None;
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
                ));
                continue;
            }
            let prepared = match self.prepare(stage, options.year, &record, &earlier).await {
                Ok(p) => p,
                Err(e) => {
                    events::stage_failed(scope, stage.name(), &e.to_string());
                    record.stages.push(stage_record(
                        stage,
                        StageStatus::Failed,
                        "inputs could not be read".into(),
                        String::new(),
                    ));
                    failure = Some(e);
                    break;
                }
            };
            let fingerprint = prepared.fingerprint.clone();
            let previous = ledger::last_success_in(&earlier, options.year, stage.name());
            let up_to_date = previous
                .as_ref()
                .is_some_and(|p| p.fingerprint == fingerprint)
                && self.outputs_exist(stage, options.year).await?;
            let reason = if options.force {
                "forced (--force)".to_string()
            } else if up_to_date && upstream_ran {
                "an upstream stage ran".to_string()
            } else if up_to_date {
                "up to date: inputs unchanged since the last successful run".to_string()
            } else if previous.is_none() {
                "never ran for this year".to_string()
            } else {
                "inputs changed since the last successful run".to_string()
            };
            if up_to_date && !options.force && !upstream_ran {
                events::stage_decided(scope, stage.name(), Decision::Skipped, &reason);
                let mut rec = stage_record(stage, StageStatus::Skipped, reason, fingerprint);
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
                ));
                upstream_ran = true;
                continue;
            }
            events::stage_decided(scope, stage.name(), Decision::Running, &reason);
            crate::memory::reset_peak();
            let start = Instant::now();
            let result = self
                .run_stage(stage, options.year, prepared, &record, &earlier)
                .await;
            let seconds = start.elapsed().as_secs_f64();
            let mut rec = stage_record(stage, StageStatus::Ran, reason, fingerprint);
            rec.seconds = seconds;
            rec.peak_memory_bytes = crate::memory::peak_rss_bytes();
            match result {
                Ok(mut out) => {
                    let gate = self.gate(stage, options.year, &mut out).await;
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
                    rec.checks = out.checks;
                    if let Err(e) = gate {
                        events::gate_failed(scope, stage.name(), &e.to_string());
                        rec.status = StageStatus::Failed;
                        record.stages.push(rec);
                        failure = Some(e);
                        break;
                    }
                    record.stages.push(rec);
                    upstream_ran = true;
                }
                Err(e) => {
                    events::stage_failed_after(scope, stage.name(), seconds);
                    rec.status = StageStatus::Failed;
                    record.stages.push(rec);
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
        if !options.dry_run {
            ledger::write(self.lake, &record).await?;
        }
        Ok(RunResult { record, failure })
    }

    /// Reads what a stage needs to decide whether to run, and its input fingerprint: for ingest
    /// the drop files themselves; for later stages the fingerprint of the upstream stage's output
    /// (from this run, or the last successful run) – so `--stage transform` re-runs exactly when
    /// the staged data it reads changed.
    async fn prepare(
        &self,
        stage: Stage,
        year: i64,
        record: &RunRecord,
        earlier: &[RunRecord],
    ) -> Result<Prepared, RunError> {
        let upstream = |stage: Stage, year: i64| {
            current_stage(record, earlier, year, stage.name())
                .map(|s| s.fingerprint)
                .unwrap_or_default()
        };
        let mut f = Fingerprint::new(stage.name());
        f.add("year", year.to_string().as_bytes());
        for (file, text) in &self.project.sources {
            f.add(file, text.as_bytes());
        }
        let mut drops = Vec::new();
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
                let window = self
                    .project
                    .pipeline
                    .params
                    .register
                    .very_long_term_window_years;
                for y in (year - window + 1)..=year {
                    f.add(
                        &format!("ingest {y}"),
                        upstream(Stage::Ingest, y).as_bytes(),
                    );
                }
            }
            Stage::Disclose => {
                f.add("transform", upstream(Stage::Transform, year).as_bytes());
            }
            Stage::Publish => {
                f.add("disclose", upstream(Stage::Disclose, year).as_bytes());
                let previous = self
                    .lake
                    .get(&layout::latest_file(year - 1))
                    .await?
                    .unwrap_or_default();
                f.add("previous year's release", &previous);
            }
        }
        Ok(Prepared {
            fingerprint: f.finish(),
            drops,
        })
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

    /// Runs the gate after `stage`: its lines and results go into `out`; a blocking failure (or a
    /// gate that could not run) is the error that stops the run before the next stage.
    async fn gate(&self, stage: Stage, year: i64, out: &mut StageOutput) -> Result<(), RunError> {
        let start = Instant::now();
        let report = crate::gates::run_gate(self.ctx, self.project, self.lake, stage, year)
            .await
            .map_err(|e| RunError::Stage {
                stage: stage.name(),
                message: e.to_string(),
                status: ExitStatus::Runtime,
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
    ) -> Result<StageOutput, RunError> {
        match stage {
            Stage::Ingest => self.ingest(year, prepared.drops).await,
            Stage::Transform => crate::stages::transform::run(self, year).await,
            Stage::Disclose => crate::stages::disclose::run(self, year).await,
            Stage::Publish => crate::stages::publish::run(self, year, record, earlier).await,
        }
    }

    async fn ingest(
        &self,
        year: i64,
        drops: Vec<Vec<ingest::DropFile>>,
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
                self.lake,
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
struct Prepared {
    fingerprint: String,
    /// The drop files per dataset (ingest only).
    drops: Vec<Vec<ingest::DropFile>>,
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

fn stage_record(
    stage: Stage,
    status: StageStatus,
    reason: String,
    fingerprint: String,
) -> StageRecord {
    StageRecord {
        name: stage.name().to_string(),
        status,
        reason,
        fingerprint,
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
