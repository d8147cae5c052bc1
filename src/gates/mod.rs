//! Data-quality gates: the declared checks (`pipelines/checks.yaml` plus the contracts' keys) run as
//! DataFusion SQL over what a stage just wrote, before the next stage may read it.
//!
//! Guarantees: a gate reports every check as PASS, WARN n, FAIL n or SKIP (its table is not built
//! yet); a check that cannot run is never reported as failing data: the gate stops with a
//! [`GateError`] carrying the engine's message (exit 2 when the check does not plan, 3 when the
//! engine or the storage failed); a failing check keeps up to N offending rows with check
//! id, rule and reason under `<lake>/quarantine/<stage>/<check>/ar=<Y>/`; a gate is blocking when an
//! `error` check fails; the row-level checks of one table share one scan.

mod kinds;
mod plan;
mod run;

pub use crate::config::checks::{Check, Checks, Kind, Severity, TableSource, Threshold};
pub(crate) use plan::plan_checks;
pub use run::run_gate;
pub(crate) use run::{Reuse, plan_reuse, run_gate_reusing};

use serde::Serialize;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Within its threshold.
    Pass,
    /// A `warn` check over its threshold.
    Warn,
    /// An `error` check over its threshold.
    Fail,
    /// A table the check reads does not exist yet (its stage is not built or has not run).
    Skip,
}

/// One check's result, as recorded in run.json.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub id: String,
    pub stage: &'static str,
    pub kind: &'static str,
    pub severity: Severity,
    pub status: CheckStatus,
    /// Offending rows (or keys) found.
    pub failing: u64,
    /// Rows (or keys) checked.
    pub total: u64,
    pub rule: String,
    pub message: String,
    /// The quarantine file of the offending rows (display path), when rows were kept.
    pub quarantine: Option<String>,
    /// What the result depends on (see [`run::run_gate_reusing`]), for a later run to compare.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Taken from the stage's last successful run: the check's tables and definition are the
    /// same, so it was not run again.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reused: bool,
}

/// All results of one gate.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GateReport {
    pub results: Vec<CheckResult>,
}

impl GateReport {
    /// Whether an `error` check failed: the run must stop.
    pub fn blocking(&self) -> bool {
        self.results.iter().any(|r| r.status == CheckStatus::Fail)
    }

    /// The ids of the failing checks.
    pub fn failed(&self) -> Vec<String> {
        self.results
            .iter()
            .filter(|r| r.status == CheckStatus::Fail)
            .map(|r| r.id.clone())
            .collect()
    }

    /// One progress line per check: `PASS`, `WARN n`, `FAIL n` or `SKIP`, id, and what is wrong.
    pub fn lines(&self) -> Vec<String> {
        self.results
            .iter()
            .map(|r| {
                let head = match r.status {
                    CheckStatus::Pass => "PASS".to_string(),
                    CheckStatus::Skip => "SKIP".to_string(),
                    CheckStatus::Warn => format!("WARN {}", r.failing),
                    CheckStatus::Fail => format!("FAIL {}", r.failing),
                };
                let mut line = format!("check {head:<10} {}", r.id);
                if r.status != CheckStatus::Pass {
                    line.push_str(&format!(" – {}", r.message));
                }
                if let Some(q) = &r.quarantine {
                    line.push_str(&format!(" (rows: {q})"));
                }
                if r.reused {
                    line.push_str(" (reused: its tables are unchanged)");
                }
                line
            })
            .collect()
    }

    /// The results as JSON values for the run record.
    pub(crate) fn to_json(&self) -> Vec<serde_json::Value> {
        self.results
            .iter()
            .map(|r| serde_json::to_value(r).unwrap_or_default())
            .collect()
    }
}

/// A gate that could not run at all (the lake failed), as opposed to checks that failed.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("gate after {stage}: {source}")]
    Lake {
        stage: &'static str,
        #[source]
        source: crate::lake::LakeError,
    },
    #[error("gate after {stage}: {source}")]
    Store {
        stage: &'static str,
        #[source]
        source: crate::store::StoreError,
    },
    #[error("gate after {stage}: setting up the check session: {source}")]
    Session {
        stage: &'static str,
        #[source]
        source: datafusion::error::DataFusionError,
    },
    /// A check's SQL does not plan against the data (an unknown column, a type mismatch): a
    /// configuration mistake found at run time.
    #[error(
        "gate after {stage}: check `{check}` is invalid: {source} (hint: fix the check in pipelines/checks.yaml; `oj validate` plans every check)"
    )]
    CheckInvalid {
        stage: &'static str,
        check: String,
        #[source]
        source: datafusion::error::DataFusionError,
    },
    /// The engine or the storage failed while a check ran (an unreadable Parquet file, memory).
    #[error("gate after {stage}: check `{check}` could not run: {source}")]
    CheckEngine {
        stage: &'static str,
        check: String,
        #[source]
        source: datafusion::error::DataFusionError,
    },
}

impl GateError {
    /// A check that did not run: a planning error is a configuration mistake, anything else an
    /// engine or I/O failure.
    pub fn check(
        stage: &'static str,
        check: &str,
        source: datafusion::error::DataFusionError,
    ) -> GateError {
        use datafusion::error::DataFusionError as E;
        let check = check.to_string();
        match source.find_root() {
            E::Plan(_) | E::SchemaError(..) | E::SQL(..) | E::NotImplemented(_) => {
                GateError::CheckInvalid {
                    stage,
                    check,
                    source,
                }
            }
            _ => GateError::CheckEngine {
                stage,
                check,
                source,
            },
        }
    }
}
