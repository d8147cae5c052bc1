//! The progress events of a run, each one `tracing` event with stable fields (target
//! `oj::progress`). The human log format prints each event's message – the line `oj` has always
//! printed; `--log-format json` prints one JSON object a line with the fields at the top level.
//!
//! Guarantees: every progress line goes through this module; field names are stable (listed in
//! the README): `event` (what happened), `run_id`, `year`, `stage`, `dataset`, `model`,
//! `rows_in`, `rows_out`, `rejected`, `seconds`, `peak_memory` (bytes), `check`, `outcome`,
//! `failing`, `reason`, `error`, `what`, `kept`, `computed`, `recorded`, `read`. A field a event
//! does not know is left out, never guessed.

use crate::gates::{CheckResult, CheckStatus};
use crate::ingest::Hashed;

/// The run an event belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The run id (`runs/<run_id>/run.json`).
    pub run_id: &'a str,
    /// The year the run is for.
    pub year: i64,
}

/// A line a stage reports when it has run, with its facts.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// A line with no facts beyond its text.
    Text(String),
    /// One dataset ingested.
    Dataset {
        dataset: String,
        rows_in: u64,
        rows_out: u64,
        rejected: u64,
        seconds: f64,
        /// Its committed staged table of an earlier run was kept (same drop), not read again.
        reused: bool,
    },
    /// One `sql/` model built.
    Model {
        model: String,
        rows: u64,
        seconds: f64,
        /// Its committed table of an earlier run was reused (same inputs), not recomputed.
        reused: bool,
    },
    /// A dry run's preview of a stage that would run: the parts whose committed files it would
    /// keep, and those it would compute again.
    Parts {
        what: PartKind,
        kept: Vec<String>,
        computed: Vec<String>,
    },
    /// How the drop files of a run's ingest were fingerprinted: the files whose SHA-256 was taken
    /// from the stage's run record (their stat unchanged) and those read and hashed, each with why.
    Drops {
        recorded: Vec<String>,
        read: Vec<(String, crate::ingest::Hashed)>,
    },
    /// One data-quality check of a gate.
    Check {
        check: String,
        outcome: &'static str,
        failing: u64,
        text: String,
    },
    /// A gate's summary.
    Gate { checks: usize, seconds: f64 },
    /// What disclosure control did to the cells, of the whole table (`level` none) or of one
    /// level.
    Cells {
        level: Option<String>,
        loss: crate::disclose::report::Loss,
        text: String,
    },
}

/// What a stage's parts are, for a dry run's preview ([`Line::Parts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    /// Staged datasets, read again from their drops when not kept.
    Datasets,
    /// `sql/` models, computed again when not kept.
    Models,
    /// A gate's checks, run again when their results are not kept.
    Checks,
}

impl PartKind {
    /// The plural noun (the `what` field of the `parts_planned` event).
    pub fn noun(self) -> &'static str {
        match self {
            PartKind::Datasets => "datasets",
            PartKind::Models => "models",
            PartKind::Checks => "checks",
        }
    }

    /// What a run does with a part it does not keep.
    fn redo(self) -> &'static str {
        match self {
            PartKind::Datasets => "read again",
            PartKind::Models => "compute",
            PartKind::Checks => "run",
        }
    }
}

impl From<String> for Line {
    fn from(text: String) -> Line {
        Line::Text(text)
    }
}

impl Line {
    /// The line of a check result, `text` its progress line (`check PASS       id`, see
    /// [`crate::gates::GateReport::lines`]).
    pub fn check((r, text): (&CheckResult, String)) -> Line {
        let outcome = match r.status {
            CheckStatus::Pass => "pass",
            CheckStatus::Skip => "skip",
            CheckStatus::Warn => "warn",
            CheckStatus::Fail => "fail",
        };
        Line::Check {
            check: r.id.clone(),
            outcome,
            failing: r.failing,
            text,
        }
    }

    /// The disclose stage's lines: the whole table with its audit, each level's information
    /// loss, and the audit and verification that passed.
    pub fn disclosure(report: &crate::disclose::report::DisclosureReport) -> Vec<Line> {
        let pass = |check: &str, text: &str| Line::Check {
            check: check.to_string(),
            outcome: "pass",
            failing: 0,
            text: text.to_string(),
        };
        std::iter::once(Line::Cells {
            level: None,
            loss: report.totals.clone(),
            text: report.line(),
        })
        .chain(
            report
                .information_loss
                .keys()
                .zip(report.level_lines())
                .map(|(level, text)| Line::Cells {
                    level: Some(level.clone()),
                    loss: report.information_loss[level].values().fold(
                        crate::disclose::report::Loss::default(),
                        |mut sum, l| {
                            sum.cells += l.cells;
                            sum.published += l.published;
                            sum.primary += l.primary;
                            sum.secondary += l.secondary;
                            sum.missing += l.missing;
                            sum.not_applicable += l.not_applicable;
                            sum
                        },
                    ),
                    text,
                }),
        )
        .chain([
            pass(
                "disclosure_audit",
                "PASS disclosure_audit (every suppressed cell keeps its protection interval)",
            ),
            pass(
                "disclosure_verification",
                "PASS disclosure_verification (no number on a hidden cell, no ids)",
            ),
        ])
        .collect()
    }

    /// The text the human format prints (after the stage column).
    pub fn human(&self) -> String {
        match self {
            Line::Text(t) => t.clone(),
            Line::Dataset {
                dataset,
                rows_out,
                rejected,
                reused: true,
                ..
            } => format!(
                "{dataset:<10} {rows_out:>9} rows staged, {rejected:>5} rejected  reused (drop unchanged)"
            ),
            Line::Dataset {
                dataset,
                rows_out,
                rejected,
                seconds,
                ..
            } => format!(
                "{dataset:<10} {rows_out:>9} rows staged, {rejected:>5} rejected  {seconds:.2} s"
            ),
            Line::Model {
                model,
                rows,
                reused: true,
                ..
            } => format!("{model:<28} {rows:>9} rows  reused (inputs unchanged)"),
            Line::Model {
                model,
                rows,
                seconds,
                ..
            } => format!("{model:<28} {rows:>9} rows  {seconds:.2} s"),
            Line::Parts {
                what,
                kept,
                computed,
            } => {
                let total = kept.len() + computed.len();
                let gate = if *what == PartKind::Checks {
                    "gate      "
                } else {
                    ""
                };
                let (verb, what) = (what.redo(), what.noun());
                let line = if computed.is_empty() {
                    format!("would keep all {total} {what} (inputs unchanged)")
                } else if kept.is_empty() {
                    format!("would {verb} all {total} {what}")
                } else {
                    format!(
                        "would keep {} of {total} {what} (inputs unchanged); would {verb} {}: {}",
                        kept.len(),
                        computed.len(),
                        computed.join(", ")
                    )
                };
                format!("{gate}{line}")
            }
            Line::Drops { recorded, read } => {
                let total = recorded.len() + read.len();
                let files = if total == 1 { "file" } else { "files" };
                let listed = || {
                    read.iter()
                        .map(|(file, why)| format!("{file} ({})", why.why_read().unwrap_or("")))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                if read.is_empty() {
                    format!(
                        "drops     {total} {files} unchanged since the last run: SHA-256 taken from its record"
                    )
                } else if recorded.is_empty()
                    && read.iter().all(|(_, why)| *why == Hashed::NotRecorded)
                {
                    format!("drops     {total} {files} read and hashed")
                } else if recorded.is_empty() {
                    format!("drops     {total} {files} read and hashed: {}", listed())
                } else {
                    format!(
                        "drops     {} of {total} {files} unchanged since the last run (SHA-256 from its record); read and hashed {}: {}",
                        recorded.len(),
                        read.len(),
                        listed()
                    )
                }
            }
            Line::Check { text, .. } | Line::Cells { text, .. } => text.clone(),
            Line::Gate { checks, seconds } => {
                format!("gate      {checks} checks in {seconds:.2} s")
            }
        }
    }

    /// Emits the line as an event of `stage`.
    pub fn emit(&self, scope: Scope, stage: &str) {
        let text = format!("{stage:<10} {}", self.human());
        let Scope { run_id, year } = scope;
        match self {
            Line::Text(_) => {
                tracing::info!(target: PROGRESS, event = "stage_line", run_id, year, stage, "{text}")
            }
            Line::Dataset {
                dataset,
                rows_in,
                rows_out,
                rejected,
                seconds,
                reused,
            } => tracing::info!(
                target: PROGRESS,
                event = "dataset_ingested", run_id, year, stage, dataset = %dataset,
                rows_in, rows_out, rejected, seconds, reused, "{text}"
            ),
            Line::Model {
                model,
                rows,
                seconds,
                reused,
            } => tracing::info!(
                target: PROGRESS,
                event = "model_built", run_id, year, stage, model = %model, rows_out = rows,
                seconds, reused, "{text}"
            ),
            Line::Parts {
                what,
                kept,
                computed,
            } => tracing::info!(
                target: PROGRESS,
                event = "parts_planned", run_id, year, stage, what = what.noun(),
                kept = %kept.join(","),
                computed = %computed.join(","), "{text}"
            ),
            Line::Drops { recorded, read } => tracing::info!(
                target: PROGRESS,
                event = "drops_hashed", run_id, year, stage,
                recorded = %recorded.join(","),
                read = %read.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>().join(","),
                "{text}"
            ),
            Line::Check {
                check,
                outcome,
                failing,
                ..
            } => tracing::info!(
                target: PROGRESS,
                event = "check", run_id, year, stage, check = %check, outcome, failing, "{text}"
            ),
            Line::Gate { checks, seconds } => tracing::info!(
                target: PROGRESS,
                event = "gate_done", run_id, year, stage, checks, seconds, "{text}"
            ),
            Line::Cells { level, loss, .. } => tracing::info!(
                target: PROGRESS,
                event = "cells_disclosed", run_id, year, stage, level = level.as_deref(),
                cells = loss.cells, published = loss.published, primary = loss.primary,
                secondary = loss.secondary, missing = loss.missing,
                not_applicable = loss.not_applicable, "{text}"
            ),
        }
    }
}

/// A stage whose inputs could not be read, or that failed without rows.
pub(crate) fn stage_failed(scope: Scope, stage: &str, error: &str) {
    let Scope { run_id, year } = scope;
    tracing::error!(
        target: PROGRESS,
        event = "stage_failed", run_id, year, stage, outcome = "failed", error,
        "{stage:<10} FAILED    {error}"
    );
}

/// A stage that failed after running `seconds`.
pub(crate) fn stage_failed_after(scope: Scope, stage: &str, seconds: f64) {
    let Scope { run_id, year } = scope;
    tracing::error!(
        target: PROGRESS,
        event = "stage_failed", run_id, year, stage, outcome = "failed", seconds,
        "{stage:<10} FAILED    after {seconds:.2} s"
    );
}

/// A stage's gate that stopped the run.
pub(crate) fn gate_failed(scope: Scope, stage: &str, error: &str) {
    let Scope { run_id, year } = scope;
    tracing::error!(
        target: PROGRESS,
        event = "gate_failed", run_id, year, stage, outcome = "failed", error,
        "{stage:<10} GATE FAILED {error}"
    );
}

/// A stage skipped (up to date), planned (dry run) or started, with the reason.
pub(crate) fn stage_decided(scope: Scope, stage: &str, outcome: Decision, reason: &str) {
    let Scope { run_id, year } = scope;
    let (event, word) = match outcome {
        Decision::Skipped => ("stage_skipped", "skipped  "),
        Decision::WouldRun => ("stage_planned", "would run"),
        Decision::Running => ("stage_started", "running  "),
    };
    tracing::info!(
        target: PROGRESS,
        event, run_id, year, stage, reason, "{stage:<10} {word} {reason}"
    );
}

/// What the runner decided for a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Up to date; not run.
    Skipped,
    /// Would run (dry run).
    WouldRun,
    /// Runs now.
    Running,
}

/// A stage that ran: rows, time and peak memory (bytes, when known).
pub fn stage_done(
    scope: Scope,
    stage: &str,
    rows_in: u64,
    rows_out: u64,
    seconds: f64,
    peak_memory: Option<u64>,
) {
    let Scope { run_id, year } = scope;
    let peak = peak_memory
        .map(crate::memory::mib)
        .unwrap_or_else(|| "n/a".into());
    tracing::info!(
        target: PROGRESS,
        event = "stage_done", run_id, year, stage, outcome = "ok", rows_in, rows_out, seconds,
        peak_memory,
        "{stage:<10} done      {rows_in} rows in, {rows_out} rows out, {seconds:.2} s, peak memory {peak}"
    );
}

/// The human log format: a progress event prints its message – the line `oj` has always
/// printed – and nothing else; any other event prints its message and fields, as before.
pub(crate) struct Human;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for Human
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        if event.metadata().target() == PROGRESS {
            let mut message = Message(String::new());
            event.record(&mut message);
            writeln!(writer, "{}", message.0)
        } else {
            ctx.field_format().format_fields(writer.by_ref(), event)?;
            writeln!(writer)
        }
    }
}

/// The target of every progress event.
pub(crate) const PROGRESS: &str = "oj::progress";

/// Collects an event's `message` field.
struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

/// The run finished: how many stages ran and were up to date, and its record. A dry run
/// (`oj plan`) wrote nothing: `run_planned`, how many stages would run.
pub fn run_done(scope: Scope, dry_run: bool, ran: usize, skipped: usize, record: &str) {
    let Scope { run_id, year } = scope;
    if dry_run {
        tracing::info!(
            target: PROGRESS,
            event = "run_planned", run_id, year, outcome = "ok", ran, skipped,
            "plan for {year}: {ran} stage(s) would run, {skipped} up to date; nothing was written"
        );
    } else {
        tracing::info!(
            target: PROGRESS,
            event = "run_done", run_id, year, outcome = "ok", ran, skipped, record,
            "done {year}: {ran} stage(s) ran, {skipped} up to date; run record {record}"
        );
    }
}

/// A progress line outside a run's stages (the demo's year headings, synth's summary).
pub(crate) fn note(text: &str) {
    tracing::info!(target: PROGRESS, event = "note", "{text}");
}

#[cfg(test)]
mod tests {
    use super::{Hashed, Line, PartKind};

    fn parts(what: PartKind, kept: &[&str], computed: &[&str]) -> String {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect();
        Line::Parts {
            what,
            kept: names(kept),
            computed: names(computed),
        }
        .human()
    }

    #[test]
    fn the_drops_line_says_which_files_were_read_and_why() {
        let line = |recorded: &[&str], read: &[(&str, Hashed)]| {
            Line::Drops {
                recorded: recorded.iter().map(|s| s.to_string()).collect(),
                read: read.iter().map(|(f, why)| (f.to_string(), *why)).collect(),
            }
            .human()
        };
        assert_eq!(
            line(&["a", "b"], &[]),
            "drops     2 files unchanged since the last run: SHA-256 taken from its record"
        );
        assert_eq!(
            line(&[], &[("a", Hashed::NotRecorded)]),
            "drops     1 file read and hashed"
        );
        assert_eq!(
            line(&[], &[("a", Hashed::NotRecorded), ("b", Hashed::Changed)]),
            "drops     2 files read and hashed: a (not in the record), b (changed)"
        );
        assert_eq!(
            line(&["a", "b"], &[("c", Hashed::JustModified)]),
            "drops     2 of 3 files unchanged since the last run (SHA-256 from its record); \
             read and hashed 1: c (modified just now)"
        );
    }

    #[test]
    fn a_plan_line_says_what_would_be_kept_and_computed() {
        assert_eq!(
            parts(PartKind::Models, &["a", "b", "c"], &["d", "e"]),
            "would keep 3 of 5 models (inputs unchanged); would compute 2: d, e"
        );
        assert_eq!(
            parts(PartKind::Datasets, &["a"], &["b"]),
            "would keep 1 of 2 datasets (inputs unchanged); would read again 1: b"
        );
        assert_eq!(
            parts(PartKind::Models, &["a", "b"], &[]),
            "would keep all 2 models (inputs unchanged)"
        );
        assert_eq!(
            parts(PartKind::Datasets, &[], &["a", "b"]),
            "would read again all 2 datasets"
        );
        assert_eq!(
            parts(PartKind::Checks, &["a"], &["b"]),
            "gate      would keep 1 of 2 checks (inputs unchanged); would run 1: b"
        );
    }
}
