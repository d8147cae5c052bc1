//! Where model results go: the [`ModelSink`] trait, and [`MemorySink`] which keeps them in memory.
//!
//! Guarantees: after `write` returns, the model's result is registered in the session under the
//! model's name, so later models can read it.

use super::TransformError;
use datafusion::arrow::compute::concat_batches;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::physical_plan::collect_partitioned;
use datafusion::prelude::{DataFrame, SessionContext};
use futures::future::BoxFuture;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Stores one model's result and registers it in `ctx` under `model`.
pub trait ModelSink: Send {
    /// Runs `df`, stores the result and registers it as table `model` in `ctx`; returns the number
    /// of rows written.
    fn write<'a>(
        &'a mut self,
        ctx: &'a SessionContext,
        model: &'a str,
        df: DataFrame,
    ) -> BoxFuture<'a, Result<u64, TransformError>>;

    /// Registers `model`'s committed table (of an earlier run, whose inputs were the same) in
    /// `ctx` for the models that read it, instead of running the model.
    fn reuse<'a>(
        &'a mut self,
        ctx: &'a SessionContext,
        model: &'a str,
    ) -> BoxFuture<'a, Result<(), TransformError>>;
}

/// Keeps every model's result as an in-memory table (for tests and small runs).
#[derive(Debug, Default)]
pub struct MemorySink {
    results: BTreeMap<String, Vec<RecordBatch>>,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// The batches stored for `model`, if it ran.
    pub fn batches(&self, model: &str) -> Option<&[RecordBatch]> {
        self.results.get(model).map(Vec::as_slice)
    }
}

impl ModelSink for MemorySink {
    fn write<'a>(
        &'a mut self,
        ctx: &'a SessionContext,
        model: &'a str,
        df: DataFrame,
    ) -> BoxFuture<'a, Result<u64, TransformError>> {
        Box::pin(async move {
            let err = |message: String| TransformError::Sink {
                model: model.to_string(),
                message,
            };
            // The physical plan's schema is the one the batches carry (its nullability can differ
            // from the logical schema's).
            let task = Arc::new(df.task_ctx());
            let plan = df
                .create_physical_plan()
                .await
                .map_err(|e| err(e.to_string()))?;
            let schema = plan.schema();
            let partitions = collect_partitioned(plan, task)
                .await
                .map_err(|e| err(e.to_string()))?;
            let partitions = partitions
                .into_iter()
                .map(|p| rebatch(&schema, &p))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| err(e.to_string()))?;
            let rows = partitions
                .iter()
                .flatten()
                .map(|b| b.num_rows() as u64)
                .sum();
            let table =
                MemTable::try_new(schema, partitions.clone()).map_err(|e| err(e.to_string()))?;
            ctx.deregister_table(model)
                .map_err(|e| err(e.to_string()))?;
            ctx.register_table(model, Arc::new(table))
                .map_err(|e| err(e.to_string()))?;
            self.results.insert(
                model.to_string(),
                partitions.into_iter().flatten().collect(),
            );
            Ok(rows)
        })
    }

    fn reuse<'a>(
        &'a mut self,
        _ctx: &'a SessionContext,
        model: &'a str,
    ) -> BoxFuture<'a, Result<(), TransformError>> {
        Box::pin(async move { Err(MemorySink::no_committed_tables(model)) })
    }
}

impl MemorySink {
    fn no_committed_tables(model: &str) -> TransformError {
        TransformError::Sink {
            model: model.to_string(),
            message: "an in-memory sink has no committed table to reuse".to_string(),
        }
    }
}

/// Rows per stored batch: DataFusion's default batch size, so later models read the result the way
/// they would read it from Parquet rather than as many small fragments.
const BATCH_ROWS: usize = 8192;

/// Joins a partition's batches and cuts them into [`BATCH_ROWS`]-row slices.
fn rebatch(
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<Vec<RecordBatch>, datafusion::arrow::error::ArrowError> {
    let all = concat_batches(schema, batches)?;
    Ok((0..all.num_rows())
        .step_by(BATCH_ROWS)
        .map(|at| all.slice(at, BATCH_ROWS.min(all.num_rows() - at)))
        .collect())
}
