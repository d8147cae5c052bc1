//! `pipelines/checks.yaml`: the declared data-quality checks of every gate, parsed into raw serde
//! structs (`raw`: one check a tagged enum of per-kind structs) and compiled into typed
//! [`Checks`] (`check` the fields every kind has, `kinds` one small function per kind,
//! `contract` the checks the contracts imply), every problem reported with file, line and hint.
//!
//! Guarantees: every compiled check names a table the configuration knows, uses only the fields of
//! its kind, has identifiers safe to quote into SQL and SQL fragments that parse (`sql`); the
//! contracts' required columns and unique keys become `contract.*` checks of the ingest gate.

mod check;
mod contract;
mod kinds;
mod raw;
mod sql;
#[cfg(test)]
mod tests;

use crate::config::{Contract, Diagnostic, Pipeline};
use crate::vocab::StageId;
use crate::yaml::{self, Pos, Spans};
use raw::{RawCheck, RawChecks};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The checks file, relative to the project root.
pub(crate) const CHECKS_FILE: &str = "pipelines/checks.yaml";

/// Offending rows kept per failing check when the file does not say.
pub(crate) const DEFAULT_QUARANTINE_ROWS: u64 = 1000;

/// Every gate's checks and the tables they read.
#[derive(Debug, Clone)]
pub struct Checks {
    /// Table name (as used in checks and custom SQL) → where its data of year Y is.
    pub tables: BTreeMap<String, TableSource>,
    /// Checks per stage, in declaration order (contract checks first at ingest).
    pub gates: BTreeMap<StageId, Vec<Check>>,
    /// Offending rows kept per failing check.
    pub quarantine_rows: u64,
}

impl Checks {
    /// The checks of the gate after `stage`.
    pub fn of(&self, stage: StageId) -> &[Check] {
        self.gates.get(&stage).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Where a gate table's data is, for the year being checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableSource {
    /// `staging/<dataset>/ar=<Y>/data.parquet`
    Staging(String),
    /// `warehouse/<model>/ar=<Y>/data.parquet`
    Warehouse(String),
    /// A file of the current release of Y (or of Y-1 when `previous_year`).
    Release { file: String, previous_year: bool },
}

/// What a failing check does to the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Blocks the run.
    Error,
    /// Is reported.
    Warn,
}

/// How many failing rows a check tolerates before it fails.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    /// At most this many rows.
    Count(u64),
    /// At most this percent of the checked rows.
    Percent(f64),
}

impl Threshold {
    /// Whether `failing` of `total` rows is within the threshold.
    pub fn tolerates(self, failing: u64, total: u64) -> bool {
        match self {
            Threshold::Count(n) => failing <= n,
            Threshold::Percent(p) => failing as f64 * 100.0 <= p * total as f64,
        }
    }
}

/// A compiled check.
#[derive(Debug, Clone)]
pub struct Check {
    pub id: String,
    pub stage: StageId,
    pub severity: Severity,
    pub threshold: Threshold,
    /// The table checked (the table whose rows are counted as `total`), when the kind has one.
    pub table: Option<String>,
    /// SQL filter: the rows of `table` the check applies to.
    pub filter: Option<String>,
    pub kind: Kind,
    /// The rule in words, e.g. `unique(ar, manad, kommun, hushall_id)`.
    pub rule: String,
    /// Why a row fails, in the statistician's words.
    pub description: String,
    /// Every configured table the check reads.
    pub reads: Vec<String>,
}

/// The built-in kinds of check and their parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// No value of these columns is null.
    NotNull { columns: Vec<String> },
    /// No two rows share the values of these columns.
    Unique { columns: Vec<String> },
    /// The column's value (as text) is one of these (null passes).
    AcceptedValues { column: String, values: Vec<String> },
    /// The column's value (as text) matches the regular expression (null passes).
    Pattern { column: String, pattern: String },
    /// The column's value lies within the bounds (null passes).
    Range {
        column: String,
        min: Option<f64>,
        max: Option<f64>,
    },
    /// A SQL boolean expression every row satisfies (null passes).
    Expression { rule: String },
    /// The rows count between the bounds.
    RowCount { min: Option<u64>, max: Option<u64> },
    /// Non-null values of `columns` appear as `to_columns` in `to_table` (filtered).
    Reference {
        columns: Vec<String>,
        to_table: String,
        to_columns: Vec<String>,
        to_filter: Option<String>,
    },
    /// Every key of the expected table (times every value of `each`) appears in `columns`.
    Completeness {
        columns: Vec<String>,
        expected_table: String,
        expected_columns: Vec<String>,
        expected_filter: Option<String>,
        each: Option<(String, i64, i64)>,
    },
    /// For every whole of `parts`, the sum of `column` over its parts' keys equals its own sum.
    SumConsistency {
        column: String,
        key: String,
        parts_table: String,
        part: String,
        whole: String,
        parts_filter: Option<String>,
        tolerance: f64,
    },
    /// Year-over-year change of `column` against `previous` above the pipeline's drift.*.
    Drift {
        column: String,
        previous: String,
        keys: Vec<String>,
        share_when: String,
    },
    /// A query returning the offending rows.
    Sql { sql: String },
}

impl Kind {
    /// Whether the check is evaluated in the one shared scan of its table.
    pub(crate) fn is_row_level(&self) -> bool {
        matches!(
            self,
            Kind::NotNull { .. }
                | Kind::AcceptedValues { .. }
                | Kind::Pattern { .. }
                | Kind::Range { .. }
                | Kind::Expression { .. }
                | Kind::RowCount { .. }
        )
    }

    /// The kind's name as written in checks.yaml.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::NotNull { .. } => "not_null",
            Kind::Unique { .. } => "unique",
            Kind::AcceptedValues { .. } => "accepted_values",
            Kind::Pattern { .. } => "pattern",
            Kind::Range { .. } => "range",
            Kind::Expression { .. } => "expression",
            Kind::RowCount { .. } => "row_count",
            Kind::Reference { .. } => "reference",
            Kind::Completeness { .. } => "completeness",
            Kind::SumConsistency { .. } => "sum_consistency",
            Kind::Drift { .. } => "drift",
            Kind::Sql { .. } => "sql",
        }
    }
}

const KINDS: &str = "not_null, unique, accepted_values, pattern, range, expression, row_count, reference, completeness, sum_consistency, drift, sql";

struct Ctx {
    spans: Spans,
    diagnostics: Vec<Diagnostic>,
}

impl Ctx {
    fn push(&mut self, at: Option<Pos>, message: String, hint: Option<&str>) {
        self.diagnostics.push(Diagnostic::at(
            CHECKS_FILE,
            at,
            message,
            hint.map(str::to_string),
        ));
    }
}

/// Reads and compiles `pipelines/checks.yaml` below `root`; returns the checks and the file's text
/// (for fingerprints), or every problem found.
pub fn load(
    root: &Path,
    pipeline: &Pipeline,
    contracts: &BTreeMap<String, Contract>,
) -> Result<(Checks, String), Vec<Diagnostic>> {
    let text = std::fs::read_to_string(root.join(CHECKS_FILE)).map_err(|e| {
        vec![Diagnostic::at(
            CHECKS_FILE,
            None,
            format!("cannot read the checks: {e}"),
            Some("every project declares its gates in pipelines/checks.yaml".into()),
        )]
    })?;
    let checks = compile(&text, pipeline, contracts)?;
    Ok((checks, text))
}

/// Compiles the text of `pipelines/checks.yaml` against the pipeline's datasets and contracts.
pub fn compile(
    text: &str,
    pipeline: &Pipeline,
    contracts: &BTreeMap<String, Contract>,
) -> Result<Checks, Vec<Diagnostic>> {
    let raw: RawChecks = yaml::parse(CHECKS_FILE, text).map_err(|e| {
        vec![Diagnostic::at(
            CHECKS_FILE,
            e.pos(),
            e.message,
            Some("see the field list in src/config/checks/raw.rs".into()),
        )]
    })?;
    let mut cx = Ctx {
        spans: Spans::read(text),
        diagnostics: Vec::new(),
    };
    let tables = compile_tables(&mut cx, &raw, pipeline);
    let mut gates: BTreeMap<StageId, Vec<Check>> = BTreeMap::new();
    if let Some(severity) = contract_severity(&mut cx, raw.contract_checks.as_deref()) {
        gates.insert(
            StageId::Ingest,
            contract::contract_checks(pipeline, contracts, severity),
        );
    }
    for (stage_name, raw_checks) in &raw.gates {
        compile_gate(&mut cx, &mut gates, stage_name, raw_checks, &tables);
    }
    if raw.quarantine_rows == Some(0) {
        cx.push(
            cx.spans.value("quarantine_rows"),
            "quarantine_rows must be at least 1".into(),
            None,
        );
    }
    if cx.diagnostics.is_empty() {
        Ok(Checks {
            tables,
            gates,
            quarantine_rows: raw.quarantine_rows.unwrap_or(DEFAULT_QUARANTINE_ROWS),
        })
    } else {
        Err(cx.diagnostics)
    }
}

/// The tables checks may read: the pipeline's datasets (their staged year) and the declared ones.
fn compile_tables(
    cx: &mut Ctx,
    raw: &RawChecks,
    pipeline: &Pipeline,
) -> BTreeMap<String, TableSource> {
    let mut tables = BTreeMap::new();
    for d in &pipeline.datasets {
        tables.insert(d.name.clone(), TableSource::Staging(d.name.clone()));
    }
    for (i, t) in raw.tables.iter().enumerate() {
        let line = cx.spans.value(&format!("tables.{i}.name"));
        sql::check_ident(cx, line, "table", &t.name);
        let sources = [
            t.staging.clone().map(TableSource::Staging),
            t.warehouse.clone().map(TableSource::Warehouse),
            t.release.clone().map(|file| TableSource::Release {
                file,
                previous_year: t.previous_year,
            }),
        ];
        let given: Vec<_> = sources.into_iter().flatten().collect();
        let [source] = given.as_slice() else {
            cx.push(
                line,
                format!(
                    "table `{}` must have exactly one of staging, warehouse, release",
                    t.name
                ),
                None,
            );
            continue;
        };
        if t.previous_year && !matches!(source, TableSource::Release { .. }) {
            cx.push(
                line,
                format!(
                    "table `{}`: previous_year applies to release tables",
                    t.name
                ),
                None,
            );
        }
        if let TableSource::Staging(d) = source
            && !pipeline.datasets.iter().any(|x| &x.name == d)
        {
            cx.push(
                line,
                format!("table `{}`: `{d}` is not a dataset of the pipeline", t.name),
                None,
            );
        }
        if tables.insert(t.name.clone(), source.clone()).is_some() {
            cx.push(
                line,
                format!("table `{}` is declared twice", t.name),
                Some("the pipeline's datasets are tables already (their staged year)"),
            );
        }
    }
    tables
}

/// The severity of the contract-derived checks; `None` when they are off.
fn contract_severity(cx: &mut Ctx, given: Option<&str>) -> Option<Severity> {
    match given {
        None | Some("error") => Some(Severity::Error),
        Some("warn") => Some(Severity::Warn),
        Some("off") => None,
        Some(other) => {
            cx.push(
                cx.spans.value("contract_checks"),
                format!("contract_checks = `{other}` is not a choice"),
                Some("use error, warn or off"),
            );
            None
        }
    }
}

/// The checks declared for the gate `stage_name`, after the ones it already has.
fn compile_gate(
    cx: &mut Ctx,
    gates: &mut BTreeMap<StageId, Vec<Check>>,
    stage_name: &str,
    raw_checks: &[RawCheck],
    tables: &BTreeMap<String, TableSource>,
) {
    let Some(stage) = StageId::parse(stage_name) else {
        cx.push(
            cx.spans.key(&format!("gates.{stage_name}")),
            format!("`{stage_name}` is not a stage"),
            Some("gates are ingest, transform, disclose, publish"),
        );
        return;
    };
    let checks = gates.entry(stage).or_default();
    let mut seen: BTreeSet<String> = checks.iter().map(|c| c.id.clone()).collect();
    for (i, rc) in raw_checks.iter().enumerate() {
        let path = format!("gates.{stage_name}.{i}");
        if !seen.insert(rc.id.clone()) {
            cx.push(
                cx.spans.value(&format!("{path}.id")),
                format!("check id `{}` is used twice in gate {stage_name}", rc.id),
                None,
            );
        }
        if let Some(check) = check::compile_check(cx, rc, &path, stage, tables) {
            checks.push(check);
        }
    }
}

/// Where the `id:` value of check `id` is, in whichever gate declares it (by its place in the
/// document, never by a textual match).
pub(crate) fn place_of_check(text: &str, id: &str) -> Option<Pos> {
    let spans = Spans::read(text);
    StageId::ALL.into_iter().find_map(|stage| {
        let list = format!("gates.{}", stage.name());
        let i = spans.item_with(&list, "id", id)?;
        spans.value(&format!("{list}.{i}.id"))
    })
}
