//! The runner: executes the stages of one year in order, decides from input fingerprints which
//! stages are up to date (and says which input changed), honours `--stage`, `--from`, `--force`
//! and `--dry-run`, prints a progress line per stage and writes the run record to the ledger
//! whatever happens.
//!
//! Guarantees: a run holds the year's lease ([`crate::commit::Lease`]) from its first write to its
//! last; every stage writes through a [`Txn`] and its outputs are committed only after its gate
//! passed, so a failed or killed stage leaves the committed data as it was; the stage's own error
//! is the run's failure, and a failure to write the run record afterwards is reported second.

use super::prepare::{Prepared, changed_reason};
use super::{RunError, Stage, StageContext, StageOutput};
use crate::clock::Clock;
use crate::commit::{self, Holder, Lease, Txn, View};
use crate::config::Project;
use crate::events::{self, Decision};
use crate::fingerprint;
use crate::ledger::{self, Outcome, RunRecord, StageRecord, StageStatus};
use crate::lineage;
use crate::store::Store;
use crate::vocab::StageId;
use datafusion::prelude::SessionContext;
use std::time::Instant;

/// Which stages a run executes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Every stage.
    All,
    /// One stage (`--stage S`).
    Only(StageId),
    /// A stage and everything after it (`--from S`).
    From(StageId),
}

impl Selection {
    /// Whether `stage` is selected.
    pub fn includes(self, stage: StageId) -> bool {
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

/// Everything a run works with.
pub struct Runner<'a> {
    pub project: &'a Project,
    pub drops: &'a Store,
    pub lake: &'a Store,
    pub ctx: &'a SessionContext,
    pub clock: &'a dyn Clock,
    /// Where OpenLineage events of the stages that run go, if anywhere.
    pub lineage: Option<&'a crate::lineage::Lineage>,
    /// The stages, in run order (the edge passes `oj::stages::ALL`).
    pub stages: &'a [&'a dyn Stage],
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

    /// What a stage of `year` runs with, `run` being this run's record so far.
    fn context<'c>(
        &'c self,
        year: i64,
        run: &'c RunRecord,
        earlier: &'c [RunRecord],
        looked_up: &'c [(i64, &'c str)],
        reusable: Option<&'c StageRecord>,
    ) -> StageContext<'c> {
        StageContext {
            project: self.project,
            drops: self.drops,
            lake: self.lake,
            ctx: self.ctx,
            clock: self.clock,
            year,
            run,
            earlier,
            looked_up,
            reusable,
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
        // The ledger is read once per run, for the records the selected stages look up: each
        // one's own last success in this year and what it declares it reads (publish: the
        // stages before it and the history years' ingest). This run's own stages are looked up
        // in `record`.
        let year = options.year;
        let mut wanted: Vec<(i64, &str)> = Vec::new();
        for stage in self
            .stages
            .iter()
            .filter(|s| options.selection.includes(s.id()))
        {
            wanted.push((year, stage.id().name()));
            wanted.extend(
                stage
                    .ledger_reads(self.project, year)
                    .into_iter()
                    .map(|(y, id)| (y, id.name())),
            );
        }
        let earlier = ledger::latest_successes(self.lake, &wanted).await?;
        let mut failure = None;
        let mut later_failures = Vec::new();
        let mut upstream_ran = false;
        // A dry run: what the stages planned to run so far would write anew.
        let mut rewritten = Rewritten::default();
        let run_id = record.run_id.clone();
        let scope = events::Scope {
            run_id: &run_id,
            year: options.year,
        };
        for stage in self.stages {
            let id = stage.id();
            let name = id.name();
            if !options.selection.includes(id) {
                record.stages.push(stage_record(
                    id,
                    StageStatus::NotSelected,
                    "not selected".into(),
                    String::new(),
                    &Prepared::default(),
                ));
                continue;
            }
            let previous = ledger::last_success_in(&earlier, year, name);
            let last_failure = commit::last_failure(self.lake, name, year).await?;
            // What a stage that runs may keep of its committed outputs: nothing when forced, or
            // when its last attempt failed (its commit may have replaced some files only). The
            // stage's preparation sees it too (ingest takes the recorded hashes of unchanged
            // drop files from it).
            // A run skipped since the last success (same fingerprint) carries the success's
            // details, with the ingest's drop file stats as found then: the newer of the two.
            let newest = ledger::last_ran_or_skipped_in(&earlier, year, name).filter(|n| {
                previous
                    .as_ref()
                    .is_some_and(|p| p.fingerprint == n.fingerprint)
            });
            let reusable = newest
                .as_ref()
                .or(previous.as_ref())
                .filter(|_| !options.force && last_failure.is_none());
            let prepared = match self
                .prepare(
                    *stage,
                    &self.context(year, &record, &earlier, &wanted, reusable),
                )
                .await
            {
                Ok(p) => p,
                Err(e) => {
                    events::stage_failed(scope, name, &e.to_string());
                    record.stages.push(stage_record(
                        id,
                        StageStatus::Failed,
                        "inputs could not be read".into(),
                        String::new(),
                        &Prepared::default(),
                    ));
                    failure = Some(e);
                    break;
                }
            };
            for line in &prepared.inputs.lines {
                line.emit(scope, name);
            }
            let fingerprint = prepared.fingerprint.clone();
            let same_inputs = previous
                .as_ref()
                .is_some_and(|p| p.fingerprint == fingerprint);
            let outputs_exist = self.outputs_exist(*stage, year).await?;
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
                events::stage_decided(scope, name, Decision::Skipped, &reason);
                let mut rec =
                    stage_record(id, StageStatus::Skipped, reason, fingerprint, &prepared);
                // Up to date: not forced and no failed attempt, so `reusable` is the last
                // success or a run skipped since.
                if let Some(p) = reusable {
                    rec.details =
                        stage.skipped_details(self.project, p.details.clone(), &prepared.inputs);
                    rec.checks = p.checks.clone();
                }
                record.stages.push(rec);
                continue;
            }
            if options.dry_run {
                events::stage_decided(scope, name, Decision::WouldRun, &reason);
                let mut rec =
                    stage_record(id, StageStatus::WouldRun, reason, fingerprint, &prepared);
                let planned = {
                    let cx = self.context(year, &record, &earlier, &wanted, reusable);
                    self.plan_parts(*stage, &cx, prepared, &rewritten).await
                };
                // The gate after it: which check results it would keep. A failure to preview
                // them (the lake unreadable) fails the stage like a failure to plan its parts.
                let planned = match planned {
                    Ok(Some(plan)) => {
                        let line = events::Line::Parts {
                            what: plan.what,
                            kept: plan.kept.clone(),
                            computed: plan.computed.clone(),
                        };
                        line.emit(scope, name);
                        let reuse = crate::gates::Reuse::new(
                            reusable.map_or(&[][..], |p| p.checks.as_slice()),
                            plan.keys.clone(),
                        );
                        let anew = |file: &str, producer: StageId| {
                            rewritten.files.contains(file)
                                || rewritten.producers.contains(&producer)
                        };
                        crate::gates::plan_reuse(
                            self.ctx,
                            self.project,
                            self.lake,
                            id,
                            year,
                            &reuse,
                            &anew,
                        )
                        .await
                        .map(|checks| Some((plan, checks)))
                        .map_err(|e| RunError::stage(id, e))
                    }
                    Ok(None) => Ok(None),
                    Err(e) => Err(e),
                };
                match planned {
                    Ok(Some((plan, (checks_kept, checks_run)))) => {
                        events::Line::Parts {
                            what: events::PartKind::Checks,
                            kept: checks_kept.clone(),
                            computed: checks_run.clone(),
                        }
                        .emit(scope, name);
                        rec.details = serde_json::json!({
                            "kept": plan.kept,
                            "computed": plan.computed,
                            "checks_kept": checks_kept,
                            "checks_run": checks_run,
                        });
                        rewritten.files.extend(plan.rewritten);
                    }
                    Ok(None) => {
                        rewritten.producers.insert(id);
                    }
                    Err(e) => {
                        events::stage_failed(scope, name, &e.to_string());
                        rec.status = StageStatus::Failed;
                        record.stages.push(rec);
                        failure = Some(e);
                        break;
                    }
                }
                record.stages.push(rec);
                upstream_ran = true;
                continue;
            }
            events::stage_decided(scope, name, Decision::Running, &reason);
            let mut lineage = match self.lineage {
                Some(sink) => {
                    let cx = self.context(year, &record, &earlier, &wanted, reusable);
                    let mut inputs = stage.external_inputs(&cx, &prepared.inputs);
                    inputs.extend(self.lineage_inputs(&prepared).await);
                    Some(
                        lineage::Tracker::start(
                            sink,
                            lineage::StageRun {
                                pipeline: &self.project.pipeline.name,
                                stage: name,
                                run_id: &run_id,
                            },
                            inputs,
                        )
                        .await,
                    )
                }
                None => None,
            };
            crate::memory::reset_peak();
            let start = Instant::now();
            let mut rec = stage_record(id, StageStatus::Ran, reason, fingerprint, &prepared);
            let txn = Txn::new(self.lake, year, &record.run_id, name);
            let result = {
                let cx = self.context(year, &record, &earlier, &wanted, reusable);
                stage
                    .run(&cx, prepared.inputs, &txn)
                    .await
                    .map_err(|e| RunError::stage(id, e))
            };
            if result.is_ok() {
                crate::commit::crash_point(name, "written");
            }
            let seconds = start.elapsed().as_secs_f64();
            rec.seconds = seconds;
            rec.peak_memory_bytes = crate::memory::peak_rss_bytes();
            match result {
                Ok(mut out) => {
                    let view = txn.view();
                    if let Some(t) = &mut lineage {
                        t.set_outputs(self.lineage_outputs(year, &view).await);
                    }
                    let earlier_checks = reusable.map_or(&[][..], |p| p.checks.as_slice());
                    let gate = match self.gate(id, year, &mut out, &view, earlier_checks).await {
                        Ok(()) => txn.commit().await.map_err(RunError::from),
                        Err(e) => {
                            if let Err(abort) = txn.abort().await {
                                later_failures.push(abort.into());
                            }
                            Err(e)
                        }
                    };
                    for line in &out.lines {
                        line.emit(scope, name);
                    }
                    events::stage_done(
                        scope,
                        name,
                        out.rows_in,
                        out.rows_out,
                        seconds,
                        rec.peak_memory_bytes,
                    );
                    rec.rows_in = out.rows_in;
                    rec.rows_out = out.rows_out;
                    rec.details = out.details;
                    if let Some(t) = &mut lineage {
                        t.assert(&out.checks, |check| {
                            self.checked_dataset(id, year, &view, check)
                        });
                    }
                    rec.checks = out.checks;
                    if let Err(e) = gate {
                        if let Some(t) = lineage {
                            t.finish(Some(&e.to_string())).await;
                        }
                        events::gate_failed(scope, name, &e.to_string());
                        rec.status = StageStatus::Failed;
                        record.stages.push(rec);
                        self.mark_failed(id, year, &record.run_id, &e, &mut later_failures)
                            .await;
                        failure = Some(e);
                        break;
                    }
                    record.stages.push(rec);
                    upstream_ran = true;
                    // Recorded before the commit marker goes: a kill in between re-runs the stage.
                    let recorded = ledger::write(self.lake, &record).await;
                    let cleared = match recorded {
                        Ok(()) => commit::clear_failure(self.lake, name, year)
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
                    events::stage_failed_after(scope, name, seconds);
                    if let Some(t) = lineage {
                        t.finish(Some(&e.to_string())).await;
                    }
                    rec.status = StageStatus::Failed;
                    record.stages.push(rec);
                    if let Err(abort) = txn.abort().await {
                        later_failures.push(abort.into());
                    }
                    self.mark_failed(id, year, &record.run_id, &e, &mut later_failures)
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

    /// A dry run's preview of what `stage`, which would run, keeps and computes
    /// ([`Stage::plan_parts`]). The fingerprint parts of the lake files it reads that the stages
    /// planned before it would write anew (`rewritten`) are marked as changing first: their
    /// committed versions are not the ones the stage would read.
    async fn plan_parts(
        &self,
        stage: &dyn Stage,
        cx: &StageContext<'_>,
        mut prepared: Prepared,
        rewritten: &Rewritten,
    ) -> Result<Option<super::PartsPlan>, RunError> {
        let inputs = &mut prepared.inputs;
        for read in &inputs.reads {
            if rewritten.files.contains(&read.file) || rewritten.producers.contains(&read.producer)
            {
                inputs.hashed.insert(
                    crate::layout::partition_of(&read.file).to_string(),
                    format!("written anew by {} in this run", read.producer.name()),
                );
            }
        }
        stage
            .plan_parts(cx, inputs)
            .await
            .map_err(|e| RunError::stage(stage.id(), e))
    }

    /// Leaves the failed marker of `stage` for `year` (see [`commit::mark_failed`]); a failure
    /// to write it is kept in `later` and reported after the stage's own error.
    async fn mark_failed(
        &self,
        stage: StageId,
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

    /// Runs the gate after `stage` over the stage's pending outputs (`view`): its lines and
    /// results go into `out`; a blocking failure (or a gate that could not run) is the error that
    /// stops the run before anything is committed. Each result whose check and tables are
    /// unchanged is taken from `earlier` (the checks of the stage's last successful run; none
    /// under `--force` or after a failed attempt).
    async fn gate(
        &self,
        stage: StageId,
        year: i64,
        out: &mut StageOutput,
        view: &View,
        earlier: &[serde_json::Value],
    ) -> Result<(), RunError> {
        let start = Instant::now();
        let reuse = crate::gates::Reuse::new(earlier, std::mem::take(&mut out.part_keys));
        let report = crate::gates::run_gate_reusing(
            self.ctx,
            self.project,
            self.lake,
            stage,
            year,
            view,
            &reuse,
        )
        .await
        .map_err(|e| RunError::stage(stage, e))?;
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
                stage,
                failed: report.failed(),
            });
        }
        Ok(())
    }
}

/// What the stages a dry run planned so far would write anew.
#[derive(Default)]
struct Rewritten {
    /// Lake files (relative to its root) from the stages' previews.
    files: std::collections::BTreeSet<String>,
    /// Stages without a preview: every file they produce would be new.
    producers: std::collections::BTreeSet<StageId>,
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
    stage: StageId,
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
