//! Running the models: plan each in order with the parameters bound, hand it to the sink, time it.
//!
//! Guarantees: the register history is checked before any model runs (policy `fail` stops the run
//! with the missing years named); every `$name` placeholder of a model must have a value, otherwise
//! the error names the file and the parameter; planning and running errors name the model's file.

use super::{ModelSink, TransformError, history_status, register_functions};
use crate::config::models::ModelSet;
use crate::config::params::{MAX_WINDOW_YEARS, ModelParams};
use crate::vocab::MissingHistory;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::{Expr, LogicalPlan, expr::Placeholder};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// One model's run: rows stored and wall-clock seconds (planning, running and storing).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRun {
    /// Model (table) name.
    pub name: String,
    /// Rows the sink stored (of a reused model: of its committed table).
    pub rows: u64,
    /// Seconds from planning to stored.
    pub seconds: f64,
    /// Not computed: its committed table was reused ([`ModelSink::reuse`]).
    pub reused: bool,
}

/// Runs every model of `models` in order in `ctx`, with `params` bound, storing each result
/// through `sink`; a model named in `reuse` (with the rows of its committed table) is not run:
/// the sink registers its committed table for its readers instead.
///
/// Before the first model, checks the register history (Y-1 … Y-(window-1)): when years are
/// missing and the policy is [`MissingHistory::Fail`] returns [`TransformError::MissingHistory`];
/// otherwise binds `$history_complete` = 1 when all history years are present, else 0 (the SQL then
/// publishes the very-long-term indicator as `.`).
pub async fn run_models(
    ctx: &SessionContext,
    models: &ModelSet,
    params: &ModelParams,
    reuse: &BTreeMap<String, u64>,
    sink: &mut dyn ModelSink,
) -> Result<Vec<ModelRun>, TransformError> {
    let year = params.year();
    let window = params.window_years();
    if !(1..=MAX_WINDOW_YEARS).contains(&window) {
        return Err(TransformError::InvalidParameter {
            name: "very_long_term_window_years".into(),
            value: window,
            rule: format!(
                "must be 1 to {MAX_WINDOW_YEARS} (the window's months are bits of a 64-bit number in int_person_region_ar)"
            ),
        });
    }
    register_functions(ctx);
    let missing = history_status(ctx, year, params.window_years()).await?;
    if !missing.is_empty() && params.missing_history() == MissingHistory::Fail {
        return Err(TransformError::MissingHistory { year, missing });
    }
    let complete = i64::from(missing.is_empty());
    let params = params
        .clone()
        .with("history_complete", ScalarValue::Int64(Some(complete)));
    let values = params.param_values();

    let mut runs = Vec::new();
    for model in models.in_order() {
        let started = Instant::now();
        let reused = reuse.get(&model.name).copied();
        let rows = match reused {
            Some(rows) => {
                sink.reuse(ctx, &model.name).await?;
                rows
            }
            None => run_model(ctx, model, &params, &values, sink).await?,
        };
        let seconds = started.elapsed().as_secs_f64();
        let reused = reused.is_some();
        tracing::info!(model = %model.name, rows, seconds, reused, "model stored");
        runs.push(ModelRun {
            name: model.name.clone(),
            rows,
            seconds,
            reused,
        });
    }
    Ok(runs)
}

/// Plans `model` with `params` bound (`values`) and has `sink` store it; the rows stored.
async fn run_model(
    ctx: &SessionContext,
    model: &crate::config::models::Model,
    params: &ModelParams,
    values: &datafusion::common::ParamValues,
    sink: &mut dyn ModelSink,
) -> Result<u64, TransformError> {
    let plan_err = |e: datafusion::error::DataFusionError| TransformError::Plan {
        file: model.path.clone(),
        message: e.to_string(),
    };
    let df = ctx.sql(&model.sql).await.map_err(plan_err)?;
    let used = placeholders(df.logical_plan()).map_err(plan_err)?;
    if let Some(name) = used.iter().find(|k| params.get(k).is_none()) {
        return Err(TransformError::UnknownParameter {
            file: model.path.clone(),
            name: name.to_string(),
        });
    }
    let df = df.with_param_values(values.clone()).map_err(plan_err)?;
    sink.write(ctx, &model.name, df)
        .await
        .map_err(|e| TransformError::Execute {
            file: model.path.clone(),
            message: e.to_string(),
        })
}

/// The names (without `$`) of every placeholder in `plan`, subqueries included. (DataFusion's own
/// `get_parameter_types` also checks that every use of a placeholder infers the same type, which
/// fails for `$year - $very_long_term_window_years`; the values are bound as Int64 regardless.)
fn placeholders(plan: &LogicalPlan) -> datafusion::error::Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    plan.apply_with_subqueries(|node| {
        node.apply_expressions(|expr| {
            expr.apply(|e| {
                if let Expr::Placeholder(Placeholder { id, .. }) = e {
                    names.insert(id.trim_start_matches('$').to_string());
                }
                Ok(TreeNodeRecursion::Continue)
            })
        })
    })?;
    Ok(names)
}
