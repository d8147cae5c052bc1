//! The production [`ModelSink`]: each model is materialised in memory, registered under its name
//! for the models that read it (and released after its last reader), and written to the lake
//! through the run's transaction in the background while the next models run.
//!
//! Guarantees: every model table counts against the session's memory pool while it is held;
//! [`LakeSink::finish`] returns only when every write is done, naming the first model whose write
//! failed.

use super::{ModelSink, TransformError};
use crate::commit::Txn;
use crate::config::models::ModelSet;
use crate::lake;
use crate::layout;
use crate::store::Store;
use datafusion::execution::memory_pool::MemoryReservation;
use datafusion::prelude::{DataFrame, SessionContext};
use futures::future::BoxFuture;
use std::collections::BTreeMap;

/// Materialises each model in memory, registers it under the model's name for the models that
/// read it, and writes it to the lake in the background while the next models run. The stage
/// waits for every write before it reports success.
pub struct LakeSink<'a> {
    lake: &'a Store,
    txn: &'a Txn<'a>,
    year: i64,
    writes: Vec<(
        String,
        tokio::task::JoinHandle<Result<u64, lake::LakeError>>,
    )>,
    /// Per model, how many models still to run read it; at zero its memory is released.
    readers_left: BTreeMap<String, usize>,
    /// What each model reads.
    reads: BTreeMap<String, Vec<String>>,
    /// The memory-pool reservation of each model table still registered
    /// (shared with its background write: released when both are done).
    reserved: BTreeMap<String, std::sync::Arc<MemoryReservation>>,
}

impl ModelSink for LakeSink<'_> {
    fn write<'a>(
        &'a mut self,
        ctx: &'a SessionContext,
        model: &'a str,
        df: DataFrame,
    ) -> BoxFuture<'a, Result<u64, TransformError>> {
        Box::pin(async move {
            let sink_err = |e: &dyn std::fmt::Display| TransformError::Sink {
                model: model.to_string(),
                message: e.to_string(),
            };
            let planned = std::sync::Arc::new(df.schema().as_arrow().clone());
            let task = std::sync::Arc::new(df.task_ctx());
            let plan = df.create_physical_plan().await.map_err(|e| sink_err(&e))?;
            let partitions = datafusion::physical_plan::collect_partitioned(plan.clone(), task)
                .await
                .map_err(|e| sink_err(&e))?
                .into_iter()
                .map(|p| p.into_iter().map(crate::memory::compact).collect())
                .collect::<Result<Vec<Vec<_>>, _>>()
                .map_err(|e| sink_err(&e))?;
            tracing::debug!(
                target: "oj::transform::plan",
                model,
                "plan with metrics:\n{}",
                datafusion::physical_plan::display::DisplayableExecutionPlan::with_metrics(
                    plan.as_ref()
                )
                .indent(true)
            );
            drop(plan);
            // The table counts against the session's memory limit for as long as later models
            // read it or its write runs.
            let all: Vec<_> = partitions.iter().flatten().cloned().collect();
            let reservation = crate::memory::reserve(ctx, &format!("model table {model}"), &all)
                .map_err(|e| sink_err(&e))?;
            drop(all);
            let schema = partitions
                .iter()
                .flatten()
                .next()
                .map(|b| b.schema())
                .unwrap_or(planned);
            let rows = partitions
                .iter()
                .flatten()
                .map(|b| b.num_rows() as u64)
                .sum();
            let table =
                datafusion::datasource::MemTable::try_new(schema.clone(), partitions.clone())
                    .map_err(|e| sink_err(&e))?;
            ctx.deregister_table(model).map_err(|e| sink_err(&e))?;
            ctx.register_table(model, std::sync::Arc::new(table))
                .map_err(|e| sink_err(&e))?;
            let lake = self.lake.clone();
            let rel = self.txn.target(&layout::warehouse_file(model, self.year));
            let batches: Vec<_> = partitions.into_iter().flatten().collect();
            let reservation = std::sync::Arc::new(reservation);
            let writing = reservation.clone();
            let handle = tokio::spawn(async move {
                let written = lake::write_batches(&lake, &rel, schema, &batches).await;
                drop((batches, writing));
                written
            });
            self.writes.push((model.to_string(), handle));
            if self.readers_left.get(model).is_some_and(|n| *n > 0) {
                self.reserved.insert(model.to_string(), reservation);
            } else {
                // Read by no later model: later stages read the warehouse file.
                ctx.deregister_table(model).map_err(|e| sink_err(&e))?;
            }
            for read in self.reads.get(model).cloned().unwrap_or_default() {
                if let Some(left) = self.readers_left.get_mut(&read) {
                    *left = left.saturating_sub(1);
                    if *left == 0 {
                        ctx.deregister_table(&read).map_err(|e| sink_err(&e))?;
                        self.reserved.remove(&read);
                    }
                }
            }
            Ok(rows)
        })
    }
}

impl<'a> LakeSink<'a> {
    /// A sink writing the models of `year` through `txn`; `models` tells which model reads
    /// which, so a table is released after its last reader.
    pub fn new(txn: &'a Txn<'a>, year: i64, models: &ModelSet) -> LakeSink<'a> {
        let reads: BTreeMap<String, Vec<String>> = models
            .in_order()
            .map(|m| {
                (
                    m.name.clone(),
                    m.references
                        .iter()
                        .filter(|r| models.get(r).is_some())
                        .cloned()
                        .collect(),
                )
            })
            .collect();
        let mut readers_left = BTreeMap::new();
        for read in reads.values().flatten() {
            *readers_left.entry(read.clone()).or_insert(0usize) += 1;
        }
        LakeSink {
            lake: txn.lake(),
            txn,
            year,
            writes: Vec::new(),
            readers_left,
            reads,
            reserved: BTreeMap::new(),
        }
    }

    /// Waits for every background write; the first failure names its model.
    pub async fn finish(self) -> Result<(), TransformError> {
        for (model, handle) in self.writes {
            let sink = |message: String| TransformError::Sink {
                model: model.clone(),
                message,
            };
            let written = handle.await.map_err(|e| sink(e.to_string()))?;
            written.map_err(|e| sink(e.to_string()))?;
        }
        Ok(())
    }
}
