//! Running one gate: find and register the tables its checks read (year Y, or Y-1 for previous
//! releases), count every row-level check of a table in one scan, evaluate the set-level checks,
//! and keep the offending rows of every check over its threshold in the quarantine.
//!
//! The gate's tables live in a private catalog of a session built from the caller's (same
//! configuration, memory pool and object stores), so registering the single year a gate checks
//! never replaces the multi-year tables the stages registered.

use super::kinds::{self, Params, RowPlan};
use super::{CheckResult, CheckStatus, GateError, GateReport};
use crate::commit::View;
use crate::config::Project;
use crate::config::checks::{Check, Kind, Severity, TableSource};
use crate::layout;
use crate::store::Store;
use crate::vocab::StageId;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::ParamValues;
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::prelude::{SessionContext, ident, lit};
use datafusion::scalar::ScalarValue;
use futures::{StreamExt, TryStreamExt};
use std::collections::{BTreeMap, BTreeSet};

/// Regions listed in a drift warning's message (all of them are in the quarantine file).
const LISTED_REGIONS: usize = 20;

/// Runs the checks of the gate after `stage` for `year` over the lake's committed data.
pub async fn run_gate(
    ctx: &SessionContext,
    project: &Project,
    lake: &Store,
    stage: StageId,
    year: i64,
) -> Result<GateReport, GateError> {
    run_gate_reusing(
        ctx,
        project,
        lake,
        stage,
        year,
        &View::default(),
        &Reuse::default(),
    )
    .await
}

/// What a gate after a stage that ran may take over from the stage's last successful run.
#[derive(Debug, Default)]
pub(crate) struct Reuse {
    /// Check id → its result in that run, with its key.
    pub earlier: BTreeMap<String, serde_json::Value>,
    /// The committed file (relative to the lake) of each part the stage wrote or kept (a staged
    /// dataset, a model's table) → the part's key, which decides its content: a check's key names
    /// such a table by it instead of by its file's version, which a commit that copies (object
    /// stores) changes although the content is the same.
    pub parts: BTreeMap<String, String>,
}

impl Reuse {
    /// From the check results of the stage's last successful run (as in its run record: each
    /// with its `id` and `key`) and the keys of the parts the stage wrote or kept.
    pub(crate) fn new(earlier: &[serde_json::Value], parts: BTreeMap<String, String>) -> Reuse {
        Reuse {
            earlier: earlier
                .iter()
                .filter_map(|c| Some((c["id"].as_str()?.to_string(), c.clone())))
                .collect(),
            parts,
        }
    }
}

/// How many of a gate's queries run at once: most checks are small queries whose time is
/// planning and waiting, so a few at once keep both cores busy.
const CONCURRENT_CHECKS: usize = 4;

/// Runs `work` [`CONCURRENT_CHECKS`] at a time; the results in `work`'s order, or the first error
/// in that order.
async fn several_at_once<T>(
    work: impl IntoIterator<Item = impl std::future::Future<Output = Result<T, GateError>>>,
) -> Result<Vec<T>, GateError> {
    futures::stream::iter(work)
        .buffered(CONCURRENT_CHECKS)
        .try_collect()
        .await
}

/// Runs the checks of the gate after `stage` for `year` over what `view` shows: the stage's
/// pending (not yet committed) outputs in place of the committed ones ([`crate::commit`]). A
/// check's result is taken from `reuse.earlier` (check id → its result in the stage's last
/// successful run, with its key) instead of running the check again when its key is the same: the
/// check's definition, the pipeline's parameters, the program build and the file and version of
/// every table it reads (for a table in `reuse.parts`, the key of the part that wrote it). A
/// failing or skipped earlier result is never taken.
pub(crate) async fn run_gate_reusing(
    ctx: &SessionContext,
    project: &Project,
    lake: &Store,
    stage: StageId,
    year: i64,
    view: &View,
    reuse: &Reuse,
) -> Result<GateReport, GateError> {
    let checks = project.checks.of(stage);
    let gate = Gate::new(ctx, project, lake, stage, year, view, &reuse.parts);
    let needed: BTreeSet<&String> = checks.iter().flat_map(|c| c.reads.iter()).collect();
    let registered = several_at_once(needed.into_iter().map(|name| {
        let gate = &gate;
        async move {
            let registered = match project.checks.tables.get(name) {
                Some(source) => gate.register(name, source).await?,
                None => Err(format!(
                    "table `{name}` is not declared under tables: in pipelines/checks.yaml"
                )),
            };
            Ok::<_, GateError>((name.clone(), registered))
        }
    }))
    .await?;
    // Each registered table's committed path and version; why each other table is missing.
    let mut versions: BTreeMap<String, String> = BTreeMap::new();
    let mut missing: BTreeMap<String, String> = BTreeMap::new();
    for (name, registered) in registered {
        match registered {
            Ok(version) => versions.insert(name, version),
            Err(reason) => missing.insert(name, reason),
        };
    }

    let mut results: Vec<Option<CheckResult>> = vec![None; checks.len()];
    let keys: Vec<String> = checks.iter().map(|c| gate.key(c, &versions)).collect();
    let mut row_level: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, check) in checks.iter().enumerate() {
        if let Some(reason) = check.reads.iter().find_map(|t| missing.get(t)) {
            results[i] = Some(
                gate.finish(check, CheckStatus::Skip, 0, 0, reason.clone(), None)
                    .await?,
            );
        } else if let Some(result) = reuse
            .earlier
            .get(&check.id)
            .and_then(|e| gate.reused(check, &keys[i], e))
        {
            results[i] = Some(result);
        } else if check.kind.is_row_level()
            && let Some(table) = check.table.as_deref()
        {
            row_level.entry(table).or_default().push(i);
        }
    }
    // Each table's row-level checks (one scan), then every set-level check: several at once, as
    // most are small queries; results keep the checks' order, and the first error in that order
    // is the one reported.
    let counted = several_at_once(row_level.into_iter().map(|(table, indices)| {
        let gate = &gate;
        async move {
            let batch: Vec<&Check> = indices.iter().map(|&i| &checks[i]).collect();
            let started = std::time::Instant::now();
            let found = gate.row_level(table, &batch).await?;
            let seconds = started.elapsed().as_secs_f64();
            tracing::debug!(
                table,
                checks = batch.len(),
                seconds,
                "row-level checks counted"
            );
            Ok::<_, GateError>(indices.into_iter().zip(found))
        }
    }))
    .await?;
    for (i, result) in counted.into_iter().flatten() {
        results[i] = Some(result);
    }
    let pending: Vec<usize> = (0..checks.len())
        .filter(|&i| results[i].is_none())
        .collect();
    let set_level = several_at_once(pending.into_iter().map(|i| {
        let gate = &gate;
        let check = &checks[i];
        async move {
            let started = std::time::Instant::now();
            let result = gate.set_level(check).await?;
            let seconds = started.elapsed().as_secs_f64();
            tracing::debug!(check = %check.id, seconds, "set-level check run");
            Ok::<_, GateError>((i, result))
        }
    }))
    .await?;
    for (i, result) in set_level {
        results[i] = Some(result);
    }
    Ok(GateReport {
        results: results
            .into_iter()
            .zip(keys)
            .filter_map(|(r, key)| {
                r.map(|r| CheckResult {
                    key: Some(key),
                    ..r
                })
            })
            .collect(),
    })
}

/// What a dry run shows of the gate after `stage`: the ids of the checks whose results a run
/// would take from `reuse.earlier`, and of those it would run (or skip: a table missing), in the
/// gate's order. Each table is known as the run would know it – a part of the stage by its key in
/// `reuse.parts`, another file by its committed version – except that a file an earlier stage of
/// the run would write anew (`anew(file, producer)`) is new, and a table of the stage that is not
/// one of its parts (a model no longer in `sql/`) is missing. Reads no table, only `LATEST` files
/// and object metadata.
pub(crate) async fn plan_reuse(
    ctx: &SessionContext,
    project: &Project,
    lake: &Store,
    stage: StageId,
    year: i64,
    reuse: &Reuse,
    anew: &(dyn Fn(&str, StageId) -> bool + Sync),
) -> Result<(Vec<String>, Vec<String>), GateError> {
    let checks = project.checks.of(stage);
    let view = View::default();
    let gate = Gate::new(ctx, project, lake, stage, year, &view, &reuse.parts);
    let needed: BTreeSet<&String> = checks.iter().flat_map(|c| c.reads.iter()).collect();
    let mut versions: BTreeMap<String, String> = BTreeMap::new();
    for name in needed {
        let Some(source) = project.checks.tables.get(name) else {
            continue;
        };
        let Ok(committed) = gate.committed_file(name, source).await? else {
            continue;
        };
        let producer = match source {
            TableSource::Staging(_) => StageId::Ingest,
            TableSource::Warehouse(_) => StageId::Transform,
            TableSource::Release { .. } => StageId::Publish,
        };
        let meta = if reuse.parts.contains_key(&committed) {
            None
        } else if producer == stage {
            continue;
        } else if anew(&committed, producer) {
            versions.insert(
                name.clone(),
                format!("{committed} written anew in this run"),
            );
            continue;
        } else {
            lake.head(&committed).await.map_err(|e| gate.store_err(e))?
        };
        if let Some(version) = gate.version(&committed, meta.as_ref()) {
            versions.insert(name.clone(), version);
        }
    }
    let (mut kept, mut run) = (Vec::new(), Vec::new());
    for check in checks {
        let present = check.reads.iter().all(|t| versions.contains_key(t));
        let key = gate.key(check, &versions);
        let taken = present
            && reuse
                .earlier
                .get(&check.id)
                .and_then(|e| gate.reused(check, &key, e))
                .is_some();
        if taken {
            kept.push(check.id.clone());
        } else {
            run.push(check.id.clone());
        }
    }
    Ok((kept, run))
}

/// The pipeline's parameters, bound by name in every check query (`$year`,
/// `$survey_min_response_rate_percent`, `$drift_max_change_pp`, …); numbers are Float64.
pub(super) fn pipeline_params(project: &Project, year: i64) -> Params {
    let p = &project.pipeline.params;
    let f = |v: f64| ScalarValue::Float64(Some(v));
    vec![
        ("year".into(), ScalarValue::Int64(Some(year))),
        (
            "register_long_term_months".into(),
            f(p.register.long_term_months as f64),
        ),
        (
            "disclosure_min_numerator".into(),
            f(p.disclosure.min_numerator as f64),
        ),
        (
            "disclosure_min_denominator".into(),
            f(p.disclosure.min_denominator as f64),
        ),
        (
            "survey_min_response_rate_percent".into(),
            f(p.survey.min_response_rate_percent),
        ),
        ("drift_max_change_pp".into(), f(p.drift.max_change_pp)),
        (
            "drift_max_change_percent".into(),
            f(p.drift.max_change_percent),
        ),
        ("drift_min_base".into(), f(p.drift.min_base)),
    ]
}

struct Gate<'a> {
    view: &'a View,
    /// See [`Reuse::parts`].
    parts: &'a BTreeMap<String, String>,
    ctx: SessionContext,
    lake: &'a Store,
    stage: StageId,
    year: i64,
    limit: u64,
    params: Params,
}

impl<'a> Gate<'a> {
    /// The gate after `stage` for `year` over what `view` shows, in a private session of `ctx`'s
    /// engine (with the key hash the `unique` checks use); `parts` as in [`Reuse::parts`].
    fn new(
        ctx: &SessionContext,
        project: &Project,
        lake: &'a Store,
        stage: StageId,
        year: i64,
        view: &'a View,
        parts: &'a BTreeMap<String, String>,
    ) -> Gate<'a> {
        let private = crate::session::private(ctx);
        private.register_udf(crate::key_hash::udf());
        Gate {
            view,
            parts,
            ctx: private,
            lake,
            stage,
            year,
            limit: project.checks.quarantine_rows,
            params: pipeline_params(project, year),
        }
    }

    /// What a check's key says of the table in the lake file `committed`, found with `meta`: the
    /// committed path (a file the gate reads pending is read committed later) and, for a part of
    /// the stage, its key (the same whether the part was written again or kept, on any store),
    /// otherwise the file's version; `None` for another file without `meta` (it does not exist).
    fn version(&self, committed: &str, meta: Option<&object_store::ObjectMeta>) -> Option<String> {
        match self.parts.get(committed) {
            Some(key) => Some(format!("{committed} part {key}")),
            None => meta.map(|m| format!("{committed} {}", crate::commit::version_of(m))),
        }
    }

    fn store_err(&self, source: crate::store::StoreError) -> GateError {
        GateError::Store {
            stage: self.stage.name(),
            source,
        }
    }

    /// The committed file (relative to the lake) a table of the checks reads, or why it is
    /// missing (no release of its year).
    async fn committed_file(
        &self,
        name: &str,
        source: &TableSource,
    ) -> Result<Result<String, String>, GateError> {
        Ok(Ok(match source {
            TableSource::Staging(d) => layout::staging_file(d, self.year),
            TableSource::Warehouse(m) => layout::warehouse_file(m, self.year),
            TableSource::Release {
                file,
                previous_year,
            } => {
                let year = self.year - i64::from(*previous_year);
                let latest = layout::latest_file(year);
                let text = self
                    .lake
                    .get(&latest)
                    .await
                    .map_err(|e| self.store_err(e))?;
                let version = self.view.release(year).or_else(|| {
                    text.and_then(|b| {
                        layout::parse_release_version(String::from_utf8_lossy(&b).trim())
                    })
                });
                match version {
                    Some(v) => layout::release_file(year, v, file),
                    None => {
                        return Ok(Err(format!(
                            "table `{name}` is not available: no release of {year} ({} is missing or unreadable)",
                            self.lake.display(&latest)
                        )));
                    }
                }
            }
        }))
    }

    /// Registers a table; returns its committed path and version (what a check's key covers), or
    /// why it is missing when it does not exist.
    async fn register(
        &self,
        name: &str,
        source: &TableSource,
    ) -> Result<Result<String, String>, GateError> {
        let file = match self.committed_file(name, source).await? {
            Ok(file) => file,
            Err(reason) => return Ok(Err(reason)),
        };
        let committed = file.clone();
        let Some(file) = self.view.file(&file) else {
            return Ok(Err(format!(
                "table `{name}` is not built: {} is not produced by the current sql/",
                self.lake.display(&file)
            )));
        };
        let Some(meta) = self.lake.head(&file).await.map_err(|e| self.store_err(e))? else {
            return Ok(Err(format!(
                "table `{name}` is not built yet: {} does not exist",
                self.lake.display(&file)
            )));
        };
        let version = self.version(&committed, Some(&meta)).unwrap_or_default();
        let lake_err = |source| GateError::Lake {
            stage: self.stage.name(),
            source,
        };
        let df = crate::lake::read_files(&self.ctx, self.lake, &[file])
            .await
            .map_err(lake_err)?;
        self.ctx
            .register_table(name, df.into_view())
            .map_err(|source| GateError::Session {
                stage: self.stage.name(),
                source,
            })?;
        Ok(Ok(version))
    }

    /// The key of `check`'s result: its definition, the parameters, the program build and the
    /// committed path and version of each table it reads (`versions`, from [`Gate::register`]).
    fn key(&self, check: &Check, versions: &BTreeMap<String, String>) -> String {
        let mut f = crate::fingerprint::Fingerprint::new(self.stage.name());
        f.add("check", format!("{check:?}").as_bytes());
        f.add("parameters", format!("{:?}", self.params).as_bytes());
        for table in &check.reads {
            let version = versions.get(table).map_or("absent", String::as_str);
            f.add(&format!("table {table}"), version.as_bytes());
        }
        f.finish()
    }

    /// `check`'s earlier result when it has the same key and passed or warned.
    fn reused(&self, check: &Check, key: &str, earlier: &serde_json::Value) -> Option<CheckResult> {
        if earlier["key"].as_str() != Some(key) {
            return None;
        }
        let status = match earlier["status"].as_str()? {
            "pass" => CheckStatus::Pass,
            "warn" => CheckStatus::Warn,
            _ => return None,
        };
        Some(CheckResult {
            id: check.id.clone(),
            stage: self.stage.name(),
            kind: check.kind.name(),
            severity: check.severity,
            status,
            failing: earlier["failing"].as_u64()?,
            total: earlier["total"].as_u64()?,
            rule: check.rule.clone(),
            message: earlier["message"].as_str()?.to_string(),
            quarantine: earlier["quarantine"].as_str().map(str::to_string),
            key: Some(key.to_string()),
            reused: true,
        })
    }

    async fn query(&self, sql: &str, params: &Params) -> Result<DataFrame, DataFusionError> {
        let mut all = self.params.clone();
        all.extend(params.iter().cloned());
        self.ctx
            .sql(sql)
            .await?
            .with_param_values(ParamValues::from(all))
    }

    /// The row-level checks of one table, counted in one scan.
    async fn row_level(
        &self,
        table: &str,
        checks: &[&Check],
    ) -> Result<Vec<CheckResult>, GateError> {
        let schema = self
            .ctx
            .table_provider(table)
            .await
            .ok()
            .map(|t| t.schema());
        let column_type = |name: &str| {
            schema
                .as_ref()
                .and_then(|s| s.field_with_name(name).ok().map(|f| f.data_type().clone()))
        };
        let mut params = Vec::new();
        let plans: Vec<RowPlan> = checks
            .iter()
            .enumerate()
            .map(|(i, c)| kinds::row_plan(c, i, &mut params, &column_type))
            .collect();
        let counts = async {
            let batches = self
                .query(&kinds::counts_sql(table, &plans), &params)
                .await?
                .collect()
                .await?;
            let value = |name: &str| -> u64 {
                batches
                    .first()
                    .and_then(|b| b.column_by_name(name))
                    .and_then(|a| a.as_primitive_opt::<Int64Type>())
                    .filter(|a| !a.is_empty() && !a.is_null(0))
                    .map(|a| a.value(0).max(0) as u64)
                    .unwrap_or(0)
            };
            Ok::<_, DataFusionError>(
                (0..plans.len())
                    .map(|i| (value(&format!("f{i}")), value(&format!("t{i}"))))
                    .collect::<Vec<_>>(),
            )
        }
        .await;
        let mut out = Vec::new();
        match counts {
            Ok(counts) => {
                for ((check, plan), (failing, total)) in checks.iter().zip(&plans).zip(counts) {
                    if let Kind::RowCount { min, max } = check.kind {
                        let outside =
                            min.is_some_and(|m| total < m) || max.is_some_and(|m| total > m);
                        let status = self.status(check, u64::from(outside), 1);
                        let message = format!(
                            "{total} rows; expected {}..{}",
                            min.map(|m| m.to_string()).unwrap_or_default(),
                            max.map(|m| m.to_string()).unwrap_or_default()
                        );
                        let mut r = self
                            .finish(check, status, u64::from(outside), 1, message, None)
                            .await?;
                        r.total = total;
                        out.push(r);
                        continue;
                    }
                    let status = self.status(check, failing, total);
                    let quarantine = if status == CheckStatus::Pass {
                        None
                    } else {
                        Some(kinds::row_offending_sql(table, plan))
                    };
                    let message = format!("{failing} of {total} rows: {}", check.description);
                    out.push(
                        self.finish_with_rows(
                            check, status, failing, total, message, quarantine, &params,
                        )
                        .await?,
                    );
                }
            }
            Err(e) => {
                // The shared scan failed: name the check that does not plan on its own, if one
                // does not; otherwise the engine failed for all of them.
                for (check, plan) in checks.iter().zip(&plans) {
                    let alone = kinds::counts_sql(table, std::slice::from_ref(plan));
                    if let Err(own) = self.query(&alone, &params).await {
                        return Err(GateError::check(self.stage.name(), &check.id, own));
                    }
                }
                let ids: Vec<&str> = checks.iter().map(|c| c.id.as_str()).collect();
                return Err(GateError::check(self.stage.name(), &ids.join(", "), e));
            }
        }
        Ok(out)
    }

    /// One set-level check.
    async fn set_level(&self, check: &Check) -> Result<CheckResult, GateError> {
        let mut params = Vec::new();
        let plan = kinds::set_plan(check, &mut params);
        let counted = async {
            let none = match &plan.any {
                Some(sql) => self.query(sql, &params).await?.count().await? == 0,
                None => false,
            };
            let failing = if none {
                0
            } else {
                self.query(&plan.offending, &params).await?.count().await? as u64
            };
            let total = match &plan.total {
                Some(sql) => self.query(sql, &params).await?.count().await? as u64,
                None => failing,
            };
            Ok::<_, DataFusionError>((failing, total))
        }
        .await;
        let (failing, total) = match counted {
            Ok(c) => c,
            Err(e) => return Err(GateError::check(self.stage.name(), &check.id, e)),
        };
        let status = self.status(check, failing, total);
        let what = match check.kind {
            Kind::Completeness { .. } => "expected keys missing",
            Kind::SumConsistency { .. } => "totals inconsistent",
            Kind::Drift { .. } => "values moved",
            _ => "rows",
        };
        let mut message = match plan.total {
            Some(_) => format!("{failing} of {total} {what}: {}", check.description),
            None => format!("{failing} offending rows: {}", check.description),
        };
        if status != CheckStatus::Pass
            && let Kind::Drift { keys, .. } = &check.kind
            && keys.iter().any(|k| k == "region")
        {
            match self.drift_regions(&plan.offending, &params).await {
                Ok(regions) => message.push_str(&format!("; regions: {regions}")),
                Err(e) => return Err(GateError::check(self.stage.name(), &check.id, e)),
            }
        }
        let offending = (status != CheckStatus::Pass).then_some(plan.offending);
        self.finish_with_rows(check, status, failing, total, message, offending, &params)
            .await
    }

    /// The regions of a drift warning, sorted, at most [`LISTED_REGIONS`].
    async fn drift_regions(
        &self,
        offending: &str,
        params: &Params,
    ) -> Result<String, DataFusionError> {
        let sql = format!(
            "SELECT DISTINCT CAST(region AS VARCHAR) AS region FROM ({offending}) o ORDER BY region LIMIT {}",
            LISTED_REGIONS + 1
        );
        let batches = self.query(&sql, params).await?.collect().await?;
        let mut regions = Vec::new();
        for b in &batches {
            let text = cast(b.column(0), &DataType::Utf8)?;
            if let Some(a) = text.as_string_opt::<i32>() {
                regions.extend(a.iter().flatten().map(str::to_string));
            }
        }
        let more = regions.len() > LISTED_REGIONS;
        regions.truncate(LISTED_REGIONS);
        Ok(format!(
            "{}{}",
            regions.join(", "),
            if more { ", …" } else { "" }
        ))
    }

    fn status(&self, check: &Check, failing: u64, total: u64) -> CheckStatus {
        if check.threshold.tolerates(failing, total) {
            CheckStatus::Pass
        } else {
            match check.severity {
                Severity::Error => CheckStatus::Fail,
                Severity::Warn => CheckStatus::Warn,
            }
        }
    }

    /// A result; keeps the offending rows when the check is over its threshold.
    #[allow(clippy::too_many_arguments)]
    async fn finish_with_rows(
        &self,
        check: &Check,
        status: CheckStatus,
        failing: u64,
        total: u64,
        message: String,
        offending: Option<String>,
        params: &Params,
    ) -> Result<CheckResult, GateError> {
        let Some(sql) = offending else {
            return self
                .finish(check, status, failing, total, message, None)
                .await;
        };
        let rel = layout::quarantine_file(self.stage.name(), &check.id, self.year);
        let written = async {
            let df = self.query(&sql, params).await?;
            let df = quarantine_frame(df, check)?.limit(0, Some(self.limit as usize))?;
            Ok::<_, DataFusionError>(df)
        }
        .await;
        let df = match written {
            Ok(df) => df,
            Err(e) => return Err(GateError::check(self.stage.name(), &check.id, e)),
        };
        crate::lake::write_dataframe(self.lake, &rel, df)
            .await
            .map_err(|source| GateError::Lake {
                stage: self.stage.name(),
                source,
            })?;
        let kept = Some(self.lake.display(&rel));
        self.finish(check, status, failing, total, message, kept)
            .await
    }

    /// A result without kept rows; removes rows a previous run kept for this check.
    async fn finish(
        &self,
        check: &Check,
        status: CheckStatus,
        failing: u64,
        total: u64,
        message: String,
        quarantine: Option<String>,
    ) -> Result<CheckResult, GateError> {
        if quarantine.is_none() {
            let rel = layout::quarantine_file(self.stage.name(), &check.id, self.year);
            self.lake
                .delete(&rel)
                .await
                .map_err(|e| self.store_err(e))?;
        }
        Ok(CheckResult {
            id: check.id.clone(),
            stage: self.stage.name(),
            kind: check.kind.name(),
            severity: check.severity,
            status,
            failing,
            total,
            rule: check.rule.clone(),
            message,
            quarantine,
            key: None,
            reused: false,
        })
    }
}

/// The offending rows with `check_id`, `rule` and `reason` first.
fn quarantine_frame(df: DataFrame, check: &Check) -> Result<DataFrame, DataFusionError> {
    let names: Vec<String> = df
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut exprs = vec![
        lit(check.id.clone()).alias("check_id"),
        lit(check.rule.clone()).alias("rule"),
    ];
    if names.iter().any(|n| n == "reason") {
        exprs.push(ident("reason"));
    } else {
        exprs.push(lit(check.description.clone()).alias("reason"));
    }
    exprs.extend(
        names
            .iter()
            .filter(|n| !["reason", "check_id", "rule"].contains(&n.as_str()))
            .map(ident),
    );
    df.select(exprs)
}
