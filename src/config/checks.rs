//! `pipelines/checks.yaml`: the declared data-quality checks of every gate, parsed into raw serde
//! structs and compiled into typed [`Checks`], every problem reported with file, line and hint.
//!
//! Guarantees: every compiled check names a table the configuration knows, uses only the fields of
//! its kind, has identifiers safe to quote into SQL and SQL fragments that parse; the contracts'
//! required columns and unique keys become `contract.*` checks of the ingest gate.

use crate::config::{Contract, Diagnostic, Pipeline};
use crate::vocab::StageId;
use crate::yaml::{self, Pos, Spans};
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The checks file, relative to the project root.
pub const CHECKS_FILE: &str = "pipelines/checks.yaml";

/// Offending rows kept per failing check when the file does not say.
pub const DEFAULT_QUARANTINE_ROWS: u64 = 1000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChecks {
    #[serde(default)]
    quarantine_rows: Option<u64>,
    #[serde(default)]
    contract_checks: Option<String>,
    #[serde(default)]
    tables: Vec<RawTable>,
    gates: BTreeMap<String, Vec<RawCheck>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    name: String,
    #[serde(default)]
    staging: Option<String>,
    #[serde(default)]
    warehouse: Option<String>,
    #[serde(default)]
    release: Option<String>,
    #[serde(default)]
    previous_year: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    id: String,
    kind: String,
    severity: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    table: Option<String>,
    #[serde(default, rename = "where")]
    filter: Option<String>,
    #[serde(default)]
    threshold: Option<RawThreshold>,
    #[serde(default)]
    columns: Option<Vec<String>>,
    #[serde(default)]
    column: Option<String>,
    #[serde(default)]
    values: Option<Vec<RawValue>>,
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    min: Option<f64>,
    #[serde(default)]
    max: Option<f64>,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    sql: Option<String>,
    #[serde(default)]
    to: Option<RawTarget>,
    #[serde(default)]
    expected: Option<RawExpected>,
    #[serde(default)]
    parts: Option<RawParts>,
    #[serde(default)]
    tolerance: Option<f64>,
    #[serde(default)]
    previous: Option<String>,
    #[serde(default)]
    keys: Option<Vec<String>>,
    #[serde(default)]
    share_when: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThreshold {
    #[serde(default)]
    count: Option<u64>,
    #[serde(default)]
    percent: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawValue {
    Int(i64),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    table: String,
    columns: Vec<String>,
    #[serde(default, rename = "where")]
    filter: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpected {
    table: String,
    columns: Vec<String>,
    #[serde(default, rename = "where")]
    filter: Option<String>,
    #[serde(default)]
    each: Option<RawEach>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEach {
    column: String,
    from: i64,
    to: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParts {
    table: String,
    part: String,
    whole: String,
    #[serde(default, rename = "where")]
    filter: Option<String>,
}

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
    pub fn is_row_level(&self) -> bool {
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
            Some("see the field list in src/gates/config.rs".into()),
        )]
    })?;
    let mut cx = Ctx {
        spans: Spans::read(text),
        diagnostics: Vec::new(),
    };

    let mut tables = BTreeMap::new();
    for d in &pipeline.datasets {
        tables.insert(d.name.clone(), TableSource::Staging(d.name.clone()));
    }
    for (i, t) in raw.tables.iter().enumerate() {
        let line = cx.spans.value(&format!("tables.{i}.name"));
        check_ident(&mut cx, line, "table", &t.name);
        let sources = [
            t.staging.clone().map(TableSource::Staging),
            t.warehouse.clone().map(TableSource::Warehouse),
            t.release.clone().map(|file| TableSource::Release {
                file,
                previous_year: t.previous_year,
            }),
        ];
        let given: Vec<_> = sources.into_iter().flatten().collect();
        if given.len() != 1 {
            cx.push(
                line,
                format!(
                    "table `{}` must have exactly one of staging, warehouse, release",
                    t.name
                ),
                None,
            );
            continue;
        }
        if t.previous_year && !matches!(given[0], TableSource::Release { .. }) {
            cx.push(
                line,
                format!(
                    "table `{}`: previous_year applies to release tables",
                    t.name
                ),
                None,
            );
        }
        if let TableSource::Staging(d) = &given[0]
            && !pipeline.datasets.iter().any(|x| &x.name == d)
        {
            cx.push(
                line,
                format!("table `{}`: `{d}` is not a dataset of the pipeline", t.name),
                None,
            );
        }
        if tables.insert(t.name.clone(), given[0].clone()).is_some() {
            cx.push(
                line,
                format!("table `{}` is declared twice", t.name),
                Some("the pipeline's datasets are tables already (their staged year)"),
            );
        }
    }

    let contract_severity = match raw.contract_checks.as_deref() {
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
    };

    let mut gates: BTreeMap<StageId, Vec<Check>> = BTreeMap::new();
    if let Some(severity) = contract_severity {
        gates.insert(
            StageId::Ingest,
            contract_checks(pipeline, contracts, severity),
        );
    }
    for (stage_name, raw_checks) in &raw.gates {
        let Some(stage) = StageId::parse(stage_name) else {
            cx.push(
                cx.spans.key(&format!("gates.{stage_name}")),
                format!("`{stage_name}` is not a stage"),
                Some("gates are ingest, transform, disclose, publish"),
            );
            continue;
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
            if let Some(check) = compile_check(&mut cx, rc, &path, stage, &tables) {
                checks.push(check);
            }
        }
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

/// The contracts' required columns and unique keys, re-asserted on the staged data.
fn contract_checks(
    pipeline: &Pipeline,
    contracts: &BTreeMap<String, Contract>,
    severity: Severity,
) -> Vec<Check> {
    let mut out = Vec::new();
    for d in &pipeline.datasets {
        let Some(contract) = contracts.get(&d.contract) else {
            continue;
        };
        let base = |id: String, kind: Kind, rule: String, description: String| Check {
            id,
            stage: StageId::Ingest,
            severity,
            threshold: Threshold::Count(0),
            table: Some(d.name.clone()),
            filter: None,
            kind,
            rule,
            description,
            reads: vec![d.name.clone()],
        };
        let required: Vec<String> = contract
            .columns
            .iter()
            .filter(|c| c.required)
            .map(|c| c.name.clone())
            .collect();
        if !required.is_empty() {
            out.push(base(
                format!("contract.{}.required", d.name),
                Kind::NotNull {
                    columns: required.clone(),
                },
                format!("not_null({})", required.join(", ")),
                format!("a required column of {} is empty", contract.file),
            ));
        }
        for key in &contract.uniques {
            let mut columns = key.columns.clone();
            // A survey is staged long: one row per respondent and question.
            if contract.question_columns {
                columns.push("fraga".into());
            }
            out.push(base(
                format!("contract.{}.{}", d.name, key.id),
                Kind::Unique {
                    columns: columns.clone(),
                },
                format!("unique({})", columns.join(", ")),
                format!("two rows share {} ({})", columns.join(", "), contract.file),
            ));
        }
    }
    out
}

/// Which fields a kind takes (besides id, kind, severity, description, threshold).
fn allowed_fields(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "not_null" | "unique" => &["table", "where", "columns"],
        "accepted_values" => &["table", "where", "column", "values"],
        "pattern" => &["table", "where", "column", "pattern"],
        "range" => &["table", "where", "column", "min", "max"],
        "expression" => &["table", "where", "rule"],
        "row_count" => &["table", "where", "min", "max"],
        "reference" => &["table", "where", "columns", "to"],
        "completeness" => &["table", "where", "columns", "expected"],
        "sum_consistency" => &["table", "where", "column", "columns", "parts", "tolerance"],
        "drift" => &["table", "where", "column", "previous", "keys", "share_when"],
        "sql" => &["table", "where", "sql"],
        _ => return None,
    })
}

fn present_fields(r: &RawCheck) -> Vec<&'static str> {
    let flags = [
        ("table", r.table.is_some()),
        ("where", r.filter.is_some()),
        ("columns", r.columns.is_some()),
        ("column", r.column.is_some()),
        ("values", r.values.is_some()),
        ("pattern", r.pattern.is_some()),
        ("min", r.min.is_some()),
        ("max", r.max.is_some()),
        ("rule", r.rule.is_some()),
        ("sql", r.sql.is_some()),
        ("to", r.to.is_some()),
        ("expected", r.expected.is_some()),
        ("parts", r.parts.is_some()),
        ("tolerance", r.tolerance.is_some()),
        ("previous", r.previous.is_some()),
        ("keys", r.keys.is_some()),
        ("share_when", r.share_when.is_some()),
    ];
    flags
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(n, _)| n)
        .collect()
}

fn compile_check(
    cx: &mut Ctx,
    r: &RawCheck,
    path: &str,
    stage: StageId,
    tables: &BTreeMap<String, TableSource>,
) -> Option<Check> {
    // The check's `id` value; a problem with one field points at that field.
    let at = |cx: &Ctx, key: &str| cx.spans.at(&format!("{path}.{key}"));
    let line = at(cx, "id");
    let before = cx.diagnostics.len();
    if r.id.is_empty()
        || !r
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
    {
        cx.push(
            line,
            format!("check id `{}` may only hold a-z, 0-9, _ . -", r.id),
            Some("the id names the check's quarantine folder"),
        );
    }
    let Some(allowed) = allowed_fields(&r.kind) else {
        cx.push(
            at(cx, "kind"),
            format!("check `{}` has unknown kind `{}`", r.id, r.kind),
            Some(&format!("kinds: {KINDS}")),
        );
        return None;
    };
    for f in present_fields(r) {
        if !allowed.contains(&f) {
            cx.push(
                cx.spans.key(&format!("{path}.{f}")).or(line),
                format!(
                    "check `{}`: field `{f}` does not apply to kind {}",
                    r.id, r.kind
                ),
                Some(&format!("{} takes: {}", r.kind, allowed.join(", "))),
            );
        }
    }
    let severity = match r.severity.as_str() {
        "error" => Severity::Error,
        "warn" => Severity::Warn,
        other => {
            cx.push(
                at(cx, "severity"),
                format!("check `{}`: severity `{other}` is not a choice", r.id),
                Some("use error (blocks the run) or warn (reported)"),
            );
            Severity::Error
        }
    };
    let threshold = match &r.threshold {
        None => Threshold::Count(0),
        Some(RawThreshold {
            count: Some(n),
            percent: None,
        }) => Threshold::Count(*n),
        Some(RawThreshold {
            count: None,
            percent: Some(p),
        }) if (0.0..=100.0).contains(p) => Threshold::Percent(*p),
        Some(_) => {
            cx.push(
                at(cx, "threshold"),
                format!(
                    "check `{}`: threshold needs exactly one of count or percent (0–100)",
                    r.id
                ),
                None,
            );
            Threshold::Count(0)
        }
    };

    let needs_table = !matches!(r.kind.as_str(), "sql");
    if needs_table && r.table.is_none() {
        cx.push(
            line,
            format!("check `{}` ({}) needs a table", r.id, r.kind),
            None,
        );
    }
    if matches!(threshold, Threshold::Percent(_)) && r.table.is_none() {
        cx.push(
            line,
            format!(
                "check `{}`: a percent threshold needs a table to count rows of",
                r.id
            ),
            None,
        );
    }
    let mut reads = Vec::new();
    let mut use_table = |cx: &mut Ctx, name: &str, place: Option<Pos>| {
        if tables.contains_key(name) {
            if !reads.iter().any(|x| x == name) {
                reads.push(name.to_string());
            }
        } else {
            cx.push(
                place,
                format!(
                    "check `{}` reads table `{name}`, which is not declared",
                    r.id
                ),
                Some(&format!(
                    "declare it under tables:; known: {}",
                    tables.keys().cloned().collect::<Vec<_>>().join(", ")
                )),
            );
        }
    };
    if let Some(t) = &r.table {
        let table_at = at(cx, "table");
        use_table(cx, t, table_at);
    }
    if let Some(f) = &r.filter {
        let filter_at = at(cx, "where");
        check_expr(cx, filter_at, &r.id, f);
    }
    let columns = r.columns.clone().unwrap_or_default();
    for (k, c) in columns.iter().enumerate() {
        let column_at = at(cx, &format!("columns.{k}"));
        check_ident(cx, column_at, "column", c);
    }
    if let Some(c) = &r.column {
        let column_at = at(cx, "column");
        check_ident(cx, column_at, "column", c);
    }
    let need = |cx: &mut Ctx, what: &str, ok: bool| {
        if !ok {
            cx.push(
                line,
                format!("check `{}` ({}) needs `{what}`", r.id, r.kind),
                None,
            );
        }
    };
    let column = r.column.clone().unwrap_or_default();
    let kind = match r.kind.as_str() {
        "not_null" | "unique" => {
            need(cx, "columns", !columns.is_empty());
            if r.kind == "unique" {
                Kind::Unique { columns }
            } else {
                Kind::NotNull { columns }
            }
        }
        "accepted_values" => {
            need(cx, "column", r.column.is_some());
            need(
                cx,
                "values",
                r.values.as_ref().is_some_and(|v| !v.is_empty()),
            );
            let values = r
                .values
                .iter()
                .flatten()
                .map(|v| match v {
                    RawValue::Int(i) => i.to_string(),
                    RawValue::Text(s) => s.clone(),
                })
                .collect();
            Kind::AcceptedValues { column, values }
        }
        "pattern" => {
            need(cx, "column", r.column.is_some());
            need(cx, "pattern", r.pattern.is_some());
            let pattern = r.pattern.clone().unwrap_or_default();
            if let Err(e) = regex::Regex::new(&pattern) {
                cx.push(
                    at(cx, "pattern"),
                    format!("check `{}`: pattern does not compile: {e}", r.id),
                    None,
                );
            }
            Kind::Pattern { column, pattern }
        }
        "range" => {
            need(cx, "column", r.column.is_some());
            need(cx, "min or max", r.min.is_some() || r.max.is_some());
            if let (Some(lo), Some(hi)) = (r.min, r.max)
                && lo > hi
            {
                cx.push(
                    at(cx, "min"),
                    format!("check `{}`: min {lo} is above max {hi}", r.id),
                    None,
                );
            }
            Kind::Range {
                column,
                min: r.min,
                max: r.max,
            }
        }
        "expression" => {
            need(cx, "rule", r.rule.is_some());
            let rule = r.rule.clone().unwrap_or_default();
            let rule_at = at(cx, "rule");
            check_expr(cx, rule_at, &r.id, &rule);
            Kind::Expression {
                rule: rule.trim().to_string(),
            }
        }
        "row_count" => {
            need(cx, "min or max", r.min.is_some() || r.max.is_some());
            let bound = |cx: &mut Ctx, v: Option<f64>| -> Option<u64> {
                let v = v?;
                if v < 0.0 || v.fract() != 0.0 {
                    cx.push(
                        line,
                        format!("check `{}`: row counts are whole numbers ≥ 0", r.id),
                        None,
                    );
                }
                Some(v as u64)
            };
            Kind::RowCount {
                min: bound(cx, r.min),
                max: bound(cx, r.max),
            }
        }
        "reference" => {
            need(cx, "columns", !columns.is_empty());
            need(cx, "to", r.to.is_some());
            let to = r.to.as_ref();
            if let Some(t) = to {
                let table_at = at(cx, "to.table");
                use_table(cx, &t.table, table_at);
                for (k, c) in t.columns.iter().enumerate() {
                    let column_at = at(cx, &format!("to.columns.{k}"));
                    check_ident(cx, column_at, "column", c);
                }
                if t.columns.len() != columns.len() {
                    cx.push(
                        line,
                        format!("check `{}`: columns and to.columns differ in length", r.id),
                        None,
                    );
                }
                if let Some(f) = &t.filter {
                    let filter_at = at(cx, "to.where");
                    check_expr(cx, filter_at, &r.id, f);
                }
            }
            Kind::Reference {
                columns,
                to_table: to.map(|t| t.table.clone()).unwrap_or_default(),
                to_columns: to.map(|t| t.columns.clone()).unwrap_or_default(),
                to_filter: to.and_then(|t| t.filter.clone()),
            }
        }
        "completeness" => {
            need(cx, "columns", !columns.is_empty());
            need(cx, "expected", r.expected.is_some());
            let e = r.expected.as_ref();
            if let Some(e) = e {
                let table_at = at(cx, "expected.table");
                use_table(cx, &e.table, table_at);
                for (k, c) in e.columns.iter().enumerate() {
                    let column_at = at(cx, &format!("expected.columns.{k}"));
                    check_ident(cx, column_at, "column", c);
                }
                if let Some(f) = &e.filter {
                    let filter_at = at(cx, "expected.where");
                    check_expr(cx, filter_at, &r.id, f);
                }
                let width = e.columns.len() + usize::from(e.each.is_some());
                if width != columns.len() {
                    cx.push(
                        line,
                        format!(
                            "check `{}`: columns must match expected.columns (plus expected.each)",
                            r.id
                        ),
                        None,
                    );
                }
                if let Some(each) = &e.each {
                    let column_at = at(cx, "expected.each.column");
                    check_ident(cx, column_at, "column", &each.column);
                    if each.from > each.to || each.to - each.from > 10_000 {
                        cx.push(
                            line,
                            format!(
                                "check `{}`: expected.each from..to must be a short ascending range",
                                r.id
                            ),
                            None,
                        );
                    }
                    if columns.last() != Some(&each.column) {
                        cx.push(
                            line,
                            format!(
                                "check `{}`: expected.each.column must be the last of columns",
                                r.id
                            ),
                            None,
                        );
                    }
                }
            }
            Kind::Completeness {
                columns,
                expected_table: e.map(|e| e.table.clone()).unwrap_or_default(),
                expected_columns: e.map(|e| e.columns.clone()).unwrap_or_default(),
                expected_filter: e.and_then(|e| e.filter.clone()),
                each: e.and_then(|e| e.each.as_ref().map(|x| (x.column.clone(), x.from, x.to))),
            }
        }
        "sum_consistency" => {
            need(cx, "column", r.column.is_some());
            need(cx, "columns (the key)", columns.len() == 1);
            need(cx, "parts", r.parts.is_some());
            let p = r.parts.as_ref();
            if let Some(p) = p {
                let table_at = at(cx, "parts.table");
                use_table(cx, &p.table, table_at);
                let (part_at, whole_at) = (at(cx, "parts.part"), at(cx, "parts.whole"));
                check_ident(cx, part_at, "column", &p.part);
                check_ident(cx, whole_at, "column", &p.whole);
                if let Some(f) = &p.filter {
                    let filter_at = at(cx, "parts.where");
                    check_expr(cx, filter_at, &r.id, f);
                }
            }
            Kind::SumConsistency {
                column,
                key: columns.first().cloned().unwrap_or_default(),
                parts_table: p.map(|p| p.table.clone()).unwrap_or_default(),
                part: p.map(|p| p.part.clone()).unwrap_or_default(),
                whole: p.map(|p| p.whole.clone()).unwrap_or_default(),
                parts_filter: p.and_then(|p| p.filter.clone()),
                tolerance: r.tolerance.unwrap_or(0.0),
            }
        }
        "drift" => {
            need(cx, "column", r.column.is_some());
            need(cx, "previous", r.previous.is_some());
            need(cx, "keys", r.keys.as_ref().is_some_and(|k| !k.is_empty()));
            need(cx, "share_when", r.share_when.is_some());
            if let Some(p) = &r.previous {
                let previous_at = at(cx, "previous");
                use_table(cx, p, previous_at);
            }
            for (k, key) in r.keys.iter().flatten().enumerate() {
                let key_at = at(cx, &format!("keys.{k}"));
                check_ident(cx, key_at, "column", key);
            }
            if let Some(s) = &r.share_when {
                let share_at = at(cx, "share_when");
                check_expr(cx, share_at, &r.id, s);
            }
            Kind::Drift {
                column,
                previous: r.previous.clone().unwrap_or_default(),
                keys: r.keys.clone().unwrap_or_default(),
                share_when: r.share_when.clone().unwrap_or_default(),
            }
        }
        "sql" => {
            need(cx, "sql", r.sql.is_some());
            let sql = r.sql.clone().unwrap_or_default();
            let sql_at = at(cx, "sql");
            for t in query_tables(cx, sql_at, &r.id, &sql) {
                use_table(cx, &t, sql_at);
            }
            Kind::Sql {
                sql: sql.trim().to_string(),
            }
        }
        _ => return None,
    };
    if cx.diagnostics.len() > before {
        return None;
    }
    let rule = rule_text(&kind, r.filter.as_deref());
    Some(Check {
        id: r.id.clone(),
        stage,
        severity,
        threshold,
        table: r.table.clone(),
        filter: r.filter.clone(),
        description: r
            .description
            .clone()
            .map(|d| d.trim().to_string())
            .unwrap_or_else(|| rule.clone()),
        rule,
        kind,
        reads,
    })
}

/// The rule in words for reports, e.g. `range(varde in 0..100) where niva = 'kommun'`.
fn rule_text(kind: &Kind, filter: Option<&str>) -> String {
    let bound = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let text = match kind {
        Kind::NotNull { columns } => format!("not_null({})", columns.join(", ")),
        Kind::Unique { columns } => format!("unique({})", columns.join(", ")),
        Kind::AcceptedValues { column, values } => {
            format!("accepted_values({column} in {})", values.join(", "))
        }
        Kind::Pattern { column, pattern } => format!("pattern({column} ~ {pattern})"),
        Kind::Range { column, min, max } => {
            format!("range({column} in {}..{})", bound(*min), bound(*max))
        }
        Kind::Expression { rule } => format!("expression({rule})"),
        Kind::RowCount { min, max } => format!(
            "row_count({}..{})",
            min.map(|x| x.to_string()).unwrap_or_default(),
            max.map(|x| x.to_string()).unwrap_or_default()
        ),
        Kind::Reference {
            columns,
            to_table,
            to_columns,
            ..
        } => format!(
            "reference(({}) → {to_table}({}))",
            columns.join(", "),
            to_columns.join(", ")
        ),
        Kind::Completeness {
            columns,
            expected_table,
            expected_columns,
            each,
            ..
        } => format!(
            "completeness(({}) ⊇ {expected_table}({}){})",
            columns.join(", "),
            expected_columns.join(", "),
            each.as_ref()
                .map(|(c, a, b)| format!(" × {c} {a}..{b}"))
                .unwrap_or_default()
        ),
        Kind::SumConsistency {
            column,
            parts_table,
            part,
            whole,
            ..
        } => format!("sum_consistency(sum {column} of {parts_table}.{part} = sum of {whole})"),
        Kind::Drift { column, .. } => format!(
            "drift({column} vs previous year: drift.max_change_pp / drift.max_change_percent)"
        ),
        Kind::Sql { .. } => "sql(query returns no rows)".to_string(),
    };
    match filter {
        Some(f) => format!("{text} where {}", f.trim()),
        None => text,
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

fn check_ident(cx: &mut Ctx, line: Option<Pos>, what: &str, name: &str) {
    let ok = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !ok {
        cx.push(
            line,
            format!("{what} name `{name}` is not a plain lowercase identifier"),
            Some("use a-z, 0-9 and _ (the staged and warehouse column names)"),
        );
    }
}

fn check_expr(cx: &mut Ctx, line: Option<Pos>, id: &str, sql: &str) {
    let parsed = Parser::new(&GenericDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_expr());
    if let Err(e) = parsed {
        cx.push(
            line,
            format!(
                "check `{id}`: `{}` is not a SQL expression: {e}",
                sql.trim()
            ),
            None,
        );
    }
}

/// The tables a custom query reads (its CTE names excluded).
fn query_tables(cx: &mut Ctx, line: Option<Pos>, id: &str, sql: &str) -> Vec<String> {
    let state = SessionContext::new().state();
    let statement = state.sql_to_statement(sql, &datafusion::config::Dialect::Generic);
    match statement.and_then(|s| state.resolve_table_references(&s)) {
        Ok(refs) => refs.iter().map(|r| r.table().to_string()).collect(),
        Err(e) => {
            cx.push(
                line,
                format!("check `{id}`: the query does not parse: {e}"),
                None,
            );
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> crate::config::Project {
        crate::config::compile_project(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn compile_text(text: &str) -> Result<Checks, Vec<Diagnostic>> {
        let p = project();
        compile(text, &p.pipeline, &p.contracts)
    }

    #[test]
    fn the_projects_checks_compile() {
        let p = project();
        let ingest = p.checks.of(StageId::Ingest);
        assert!(
            ingest
                .iter()
                .any(|c| c.id == "contract.register.unique_household_month")
        );
        assert!(!p.checks.of(StageId::Transform).is_empty());
    }

    #[test]
    fn contract_keys_become_checks() {
        let c = compile_text("contract_checks: warn\ngates: {}\n").unwrap();
        let enkat = c
            .of(StageId::Ingest)
            .iter()
            .find(|c| c.id == "contract.enkat.unique_respondent")
            .unwrap();
        // The survey is staged long, so its key gains the question column.
        assert_eq!(
            enkat.kind,
            Kind::Unique {
                columns: vec!["respondent".into(), "fraga".into()]
            }
        );
        assert_eq!(enkat.severity, Severity::Warn);
        let off = compile_text("contract_checks: 'off'\ngates: {}\n").unwrap();
        assert!(off.of(StageId::Ingest).is_empty());
    }

    #[test]
    fn problems_carry_line_and_hint() {
        let text = "gates:\n  ingest:\n    - id: a\n      kind: nope\n      severity: error\n    - id: b\n      kind: range\n      table: register\n      column: manad\n      severity: fatal\n    - id: c\n      kind: not_null\n      table: nowhere\n      columns: [x]\n      pattern: 'x'\n      severity: warn\n";
        let d = compile_text(text).unwrap_err();
        let msgs: Vec<String> = d.iter().map(|d| d.to_string()).collect();
        let joined = msgs.join("\n");
        assert!(
            joined.contains("pipelines/checks.yaml:4:13: check `a` has unknown kind `nope`"),
            "{joined}"
        );
        assert!(
            joined.contains(":6:11: check `b` (range) needs `min or max`"),
            "{joined}"
        );
        assert!(
            joined.contains(":10:17: check `b`: severity `fatal`"),
            "{joined}"
        );
        assert!(
            joined.contains(":13:14: check `c` reads table `nowhere`"),
            "{joined}"
        );
        assert!(
            joined.contains(":15:7: check `c`: field `pattern` does not apply"),
            "{joined}"
        );
    }

    #[test]
    fn unknown_fields_and_bad_sql_are_reported() {
        let d = compile_text("gates:\n  ingest:\n    - id: a\n      kind: sql\n      severity: error\n      sqll: x\n").unwrap_err();
        assert_eq!(d[0].line, Some(6), "{:?}", d);
        let d = compile_text("gates:\n  ingest:\n    - id: a\n      kind: sql\n      severity: error\n      sql: SELEC * FROM regioner\n").unwrap_err();
        assert!(d[0].message.contains("does not parse"), "{:?}", d);
        let d = compile_text("gates:\n  ingest:\n    - id: a\n      kind: sql\n      severity: error\n      sql: SELECT * FROM elsewhere\n").unwrap_err();
        assert!(d[0].message.contains("`elsewhere`"), "{:?}", d);
    }

    #[test]
    fn every_field_problem_is_reported_at_once() {
        let text = "quarantine_rows: 0
contract_checks: sometimes
tables:
  - name: two
    warehouse: a
    release: b
  - name: register
    warehouse: register
  - name: nope
    staging: not_a_dataset
gates:
  transfrom: []
  ingest:
    - {id: Bad/Id, kind: not_null, table: register, columns: [ar], severity: error}
    - {id: p, kind: pattern, table: register, column: kommun, pattern: '([', severity: error}
    - {id: i, kind: not_null, table: register, columns: [\"A b\"], severity: error}
    - {id: t, kind: not_null, table: register, columns: [ar], severity: error, threshold: {count: 1, percent: 2}}
    - {id: t, kind: not_null, table: register, columns: [ar], severity: error}
    - {id: r, kind: range, table: register, column: manad, min: 12, max: 1, severity: error}
    - {id: c, kind: completeness, table: register, columns: [kommun], expected: {table: regioner, columns: [kod], each: {column: manad, from: 1, to: 12}}, severity: warn}
";
        let d = compile_text(text).unwrap_err();
        let joined: String = d.iter().map(|d| format!("{d}\n")).collect();
        for expected in [
            "quarantine_rows must be at least 1",
            "contract_checks = `sometimes` is not a choice",
            "table `two` must have exactly one of staging, warehouse, release",
            "table `register` is declared twice",
            "table `nope`: `not_a_dataset` is not a dataset of the pipeline",
            "`transfrom` is not a stage",
            "check id `Bad/Id` may only hold a-z, 0-9, _ . -",
            "check `p`: pattern does not compile",
            "column name `A b` is not a plain lowercase identifier",
            "check `t`: threshold needs exactly one of count or percent",
            "check id `t` is used twice in gate ingest",
            "check `r`: min 12 is above max 1",
            "check `c`: columns must match expected.columns (plus expected.each)",
        ] {
            assert!(
                joined.contains(expected),
                "missing `{expected}` in:\n{joined}"
            );
        }
        // Flow-style checks are located by structure too: the duplicate `t` is reported at the
        // second `t` (line 18), at the column of its id's value, not at the first `t` of the text.
        assert!(
            joined.contains("checks.yaml:18:12: check id `t` is used twice"),
            "{joined}"
        );
        // A problem inside a flow mapping points at its value (`[\"A b\"]` item on line 16).
        assert!(
            joined.contains("checks.yaml:16:58: column name `A b`"),
            "{joined}"
        );
    }

    #[test]
    fn thresholds_tolerate() {
        assert!(Threshold::Count(2).tolerates(2, 10));
        assert!(!Threshold::Count(2).tolerates(3, 10));
        // 1 of 200 rows is 0.5 %.
        assert!(Threshold::Percent(0.5).tolerates(1, 200));
        assert!(!Threshold::Percent(0.5).tolerates(2, 200));
    }
}
