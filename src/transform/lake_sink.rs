//! The production [`ModelSink`]: each model's result streams into its run-scoped warehouse file
//! (written by a background task while the model runs), and a model that later models read is
//! registered for them under its name – from memory when the memory pool and the model-table
//! budget grant its batches, otherwise from the file just written. A table kept in memory is
//! released after its last reader.
//!
//! Guarantees: a model's result is never held whole unless its memory was granted (every kept
//! table counts against the session's memory pool while it is held, and all kept tables together
//! stay within [`LakeSink::budget`]); a model read from its file is read only after the file is
//! complete; [`LakeSink::finish`] returns only when every write is done, naming the first model
//! whose write failed.
//!
//! Writing overlaps with the next models: while a model's batches are kept in memory (and
//! counted), its writer may fall behind without holding the model back, since the batches it has
//! not written yet are the kept ones. A model that is not kept waits for its writer (at most
//! [`QUEUED_BATCHES`] batches in flight). When a model stops being kept halfway, the reservation
//! of the batches already queued travels down the queue behind them and is released when the
//! writer reaches it; a kept table whose last reader is done before its file is written keeps its
//! reservation until the write ends.

use super::{ModelSink, TransformError};
use crate::commit::Txn;
use crate::config::models::ModelSet;
use crate::lake;
use crate::layout;
use crate::memory;
use crate::store::Store;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::prelude::{DataFrame, ParquetReadOptions, SessionContext};
use futures::StreamExt;
use futures::future::BoxFuture;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The share of the session's memory limit that model tables kept in memory for their readers
/// may hold together unless the sources are small ([`budget_share`]); the rest is left to the
/// operators (sorts, aggregations, joins). A table that does not fit is read back from its
/// warehouse file.
pub const MODEL_TABLE_SHARE: f64 = 0.25;

/// The share when the staged files the models read take at most [`SMALL_SOURCES`] of the limit:
/// the operators then need little of it, and the large register models of a national year
/// (`int_person_region_nyckel`, `int_person_region_ar`, 1.4 M rows each) stay in memory instead
/// of their readers waiting for their files and reading them back (a national transform under the
/// default 1GiB about 0.15 s, 4 %, faster at about 60 MiB more; docs/benchmarks.md, session 21).
const MODEL_TABLE_SHARE_SMALL_SOURCES: f64 = 0.5;

/// Staged files at most this share of the memory limit count as small ([`budget_share`]): a
/// national year's window (about 73 MB) under 1GiB, not under 512MiB, nor ten times national
/// (about 1.16 GB) under 2GiB.
const SMALL_SOURCES: f64 = 0.125;

/// The share of the memory limit model tables may hold: [`MODEL_TABLE_SHARE_SMALL_SOURCES`] when
/// the models' staged files (`source_bytes`) take at most [`SMALL_SOURCES`] of `limit`, otherwise
/// [`MODEL_TABLE_SHARE`].
fn budget_share(limit: usize, source_bytes: u64) -> f64 {
    if source_bytes as f64 <= limit as f64 * SMALL_SOURCES {
        MODEL_TABLE_SHARE_SMALL_SOURCES
    } else {
        MODEL_TABLE_SHARE
    }
}

/// Batches queued between a running model and its file writer when the model is not kept in
/// memory (a kept model's writer may fall behind by any number of its kept batches).
const QUEUED_BATCHES: usize = 8;

/// What a model sends its writer.
enum Queued {
    /// A batch to write; the permit (when the model is not kept) bounds the batches in flight.
    Batch(RecordBatch, Option<tokio::sync::OwnedSemaphorePermit>),
    /// The reservation of the kept batches queued before it: released when the writer reaches it.
    Release(MemoryReservation),
}

/// A model's background write: its rows written, or the first error.
type Write = tokio::task::JoinHandle<Result<u64, lake::LakeError>>;

/// Streams each model into the lake through the run's transaction and registers it for the
/// models that read it (see the module documentation). The stage waits for every write before it
/// reports success.
pub struct LakeSink<'a> {
    lake: &'a Store,
    txn: &'a Txn<'a>,
    year: i64,
    writes: Vec<(String, Write)>,
    /// Reservations of released tables whose files were still being written: dropped by
    /// [`LakeSink::finish`] after every write.
    parked: Vec<MemoryReservation>,
    /// Models that stopped being kept after some of their batches were.
    kept_in_part: usize,
    /// Per model, how many models still to run read it; at zero its table is released.
    readers_left: BTreeMap<String, usize>,
    /// What each model reads.
    reads: BTreeMap<String, Vec<String>>,
    /// The memory-pool reservation of each model table kept in memory.
    reserved: BTreeMap<String, MemoryReservation>,
    /// Bytes all kept tables may hold together; `None` until the first model (taken from the
    /// session's memory limit) unless set with [`LakeSink::with_budget`].
    budget: Option<usize>,
    /// How many partitions of a plan read one year per partition run at once
    /// ([`LakeSink::with_partitions_at_once`]); the target partitions when `None`.
    at_once: Option<usize>,
    /// Bytes of the staged files the models read ([`LakeSink::with_source_bytes`]).
    source_bytes: Option<u64>,
}

/// Where a model's readers find it.
enum Kept {
    /// Its batches, in memory, with their reservation.
    Memory(Vec<RecordBatch>, MemoryReservation),
    /// Its warehouse file (it did not fit, or nothing reads it).
    File,
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
            let source_bytes = self.source_bytes;
            let budget = *self
                .budget
                .get_or_insert_with(|| default_budget(ctx, source_bytes));
            let task = Arc::new(df.task_ctx());
            let plan = df.create_physical_plan().await.map_err(|e| sink_err(&e))?;
            tracing::debug!(
                target: "oj::transform::stats",
                model,
                "plan with estimates:\n{}",
                datafusion::physical_plan::display::DisplayableExecutionPlan::new(plan.as_ref())
                    .set_show_statistics(true)
                    .indent(true)
            );
            // The physical plan's schema is the one the batches carry (its nullability can differ
            // from the logical schema's).
            let schema = plan.schema();
            let rel = self.txn.target(&layout::warehouse_file(model, self.year));
            let (queue, queued) = futures::channel::mpsc::unbounded::<Result<Queued, _>>();
            let in_flight = Arc::new(tokio::sync::Semaphore::new(QUEUED_BATCHES));
            let write: Write = {
                let (lake, rel, schema) = (self.lake.clone(), rel.clone(), schema.clone());
                let batches = queued.filter_map(|item| async move {
                    match item {
                        Ok(Queued::Batch(batch, _permit)) => Some(Ok(batch)),
                        Ok(Queued::Release(reservation)) => {
                            drop(reservation);
                            None
                        }
                        Err(e) => Some(Err(e)),
                    }
                });
                tokio::spawn(async move {
                    lake::write_stream(&lake, &rel, schema, Box::pin(batches)).await
                })
            };
            let read_later = self.readers_left.get(model).is_some_and(|n| *n > 0);
            let held: usize = self.reserved.values().map(MemoryReservation::size).sum();
            let mut kept = if read_later {
                let consumer = MemoryConsumer::new(format!("model table {model}"));
                Kept::Memory(
                    Vec::new(),
                    consumer.register(&ctx.runtime_env().memory_pool),
                )
            } else {
                Kept::File
            };
            let mut rows = 0u64;
            let mut stream = execute_bounded(
                plan.clone(),
                task,
                self.at_once
                    .unwrap_or(ctx.copied_config().target_partitions()),
            )
            .map_err(|e| sink_err(&e))?;
            while let Some(batch) = stream.next().await {
                let batch = match batch.and_then(|b| Ok(memory::compact(b)?)) {
                    Ok(batch) => batch,
                    Err(e) => {
                        // The writer stops without finishing the file; the stage fails.
                        let message = e.to_string();
                        let _ = queue.unbounded_send(Err(e));
                        return Err(sink_err(&message));
                    }
                };
                rows += batch.num_rows() as u64;
                if let Kept::Memory(batches, reservation) = &mut kept {
                    let bytes = memory::batch_bytes(&batch);
                    if held + reservation.size() + bytes <= budget
                        && reservation.try_grow(bytes).is_ok()
                    {
                        batches.push(batch.clone());
                    } else {
                        tracing::debug!(model, budget, "model table read back from its file");
                        if let Kept::Memory(_, reservation) =
                            std::mem::replace(&mut kept, Kept::File)
                        {
                            self.kept_in_part += usize::from(reservation.size() > 0);
                            // The batches already queued stay counted until written.
                            let _ = queue.unbounded_send(Ok(Queued::Release(reservation)));
                        }
                    }
                }
                let permit = match kept {
                    Kept::Memory(..) => None,
                    Kept::File => match in_flight.clone().acquire_owned().await {
                        Ok(permit) => Some(permit),
                        Err(_) => break, // never closed
                    },
                };
                if queue
                    .unbounded_send(Ok(Queued::Batch(batch, permit)))
                    .is_err()
                {
                    break; // the writer failed: its error is reported below or by `finish`
                }
            }
            drop(queue);
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
            ctx.deregister_table(model).map_err(|e| sink_err(&e))?;
            match kept {
                Kept::Memory(batches, reservation) => {
                    let partitions = deal(batches, ctx.copied_config().target_partitions());
                    let table = MemTable::try_new(schema, partitions).map_err(|e| sink_err(&e))?;
                    ctx.register_table(model, Arc::new(table))
                        .map_err(|e| sink_err(&e))?;
                    self.reserved.insert(model.to_string(), reservation);
                    self.writes.push((model.to_string(), write));
                }
                Kept::File if read_later => {
                    // Its readers need the whole file: wait for it, then read it from the lake.
                    let written = write.await.map_err(|e| sink_err(&e))?;
                    written.map_err(|e| sink_err(&e))?;
                    ctx.register_parquet(model, self.lake.url(&rel), ParquetReadOptions::default())
                        .await
                        .map_err(|e| sink_err(&e))?;
                }
                Kept::File => self.writes.push((model.to_string(), write)),
            }
            self.read_done(ctx, model).map_err(|e| sink_err(&e))?;
            Ok(rows)
        })
    }

    fn reuse<'a>(
        &'a mut self,
        ctx: &'a SessionContext,
        model: &'a str,
    ) -> BoxFuture<'a, Result<(), TransformError>> {
        Box::pin(async move {
            let sink_err = |e: &dyn std::fmt::Display| TransformError::Sink {
                model: model.to_string(),
                message: e.to_string(),
            };
            // Nothing is written: the committed file stays as it is through the commit.
            if self.readers_left.get(model).is_some_and(|n| *n > 0) {
                let committed = layout::warehouse_file(model, self.year);
                ctx.deregister_table(model).map_err(|e| sink_err(&e))?;
                ctx.register_parquet(
                    model,
                    self.lake.url(&committed),
                    ParquetReadOptions::default(),
                )
                .await
                .map_err(|e| sink_err(&e))?;
            }
            self.read_done(ctx, model).map_err(|e| sink_err(&e))
        })
    }
}

/// [`budget_share`] of the session's memory limit ([`MODEL_TABLE_SHARE`] when the sources' bytes
/// are not known; unbounded pools: no limit), or the share
/// given by the environment variable [`SHARE_VARIABLE`] (a number from 0 to 1, for comparing the
/// ways in a benchmark; anything else is ignored with a warning).
fn default_budget(ctx: &SessionContext, source_bytes: Option<u64>) -> usize {
    let Some(limit) = memory::pool_limit(ctx) else {
        return usize::MAX;
    };
    let chosen = source_bytes.map_or(MODEL_TABLE_SHARE, |bytes| budget_share(limit, bytes));
    let share = match std::env::var(SHARE_VARIABLE) {
        Err(_) => chosen,
        Ok(text) => match text.parse::<f64>() {
            Ok(share) if (0.0..=1.0).contains(&share) => share,
            _ => {
                tracing::warn!("{SHARE_VARIABLE}={text} is not a number from 0 to 1; ignored");
                chosen
            }
        },
    };
    tracing::debug!(limit, source_bytes, share, "model tables' budget");
    (limit as f64 * share) as usize
}

/// The environment variable that overrides the share [`budget_share`] chooses.
pub const SHARE_VARIABLE: &str = "OJ_MODEL_TABLE_SHARE";

/// `batches` dealt round-robin into `n` partitions (at least one), so readers scan in parallel.
fn deal(batches: Vec<RecordBatch>, n: usize) -> Vec<Vec<RecordBatch>> {
    let mut partitions = vec![Vec::new(); n.max(1)];
    let count = partitions.len();
    for (i, batch) in batches.into_iter().enumerate() {
        partitions[i % count].push(batch);
    }
    partitions
}

impl<'a> LakeSink<'a> {
    /// `model` has run (or was reused): the tables it reads have one reader less, and a table
    /// with none left is released (its reservation parked while its file is still written).
    fn read_done(
        &mut self,
        ctx: &SessionContext,
        model: &str,
    ) -> Result<(), datafusion::error::DataFusionError> {
        for read in self.reads.get(model).cloned().unwrap_or_default() {
            if let Some(left) = self.readers_left.get_mut(&read) {
                *left = left.saturating_sub(1);
                if *left == 0 {
                    ctx.deregister_table(&read)?;
                    if let Some(reservation) = self.reserved.remove(&read) {
                        let writing = self
                            .writes
                            .iter()
                            .any(|(name, handle)| *name == read && !handle.is_finished());
                        if writing {
                            self.parked.push(reservation);
                        }
                    }
                }
            }
        }
        Ok(())
    }

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
            parked: Vec::new(),
            kept_in_part: 0,
            readers_left,
            reads,
            reserved: BTreeMap::new(),
            budget: None,
            at_once: None,
            source_bytes: None,
        }
    }

    /// Runs at most `n` partitions of a model's plan at a time when the plan has more partitions
    /// than the session's target and no repartition (see [`execute_bounded`]); the default is
    /// the target partitions.
    pub fn with_partitions_at_once(mut self, n: usize) -> Self {
        self.at_once = Some(n);
        self
    }

    /// The same sink with at most `bytes` of model tables kept in memory at once (0: every
    /// reader reads the written file). By default `MODEL_TABLE_SHARE` of the memory limit.
    pub fn with_budget(mut self, bytes: usize) -> Self {
        self.budget = Some(bytes);
        self
    }

    /// The bytes of the staged files the models read, which choose the default budget's share of
    /// the memory limit ([`budget_share`]); without them [`MODEL_TABLE_SHARE`].
    pub fn with_source_bytes(mut self, bytes: u64) -> Self {
        self.source_bytes = Some(bytes);
        self
    }

    /// The bytes model tables could hold together in this run: set when the first model was
    /// computed (none when every model was reused).
    pub fn budget_bytes(&self) -> Option<usize> {
        self.budget
    }

    /// How many models stopped being kept in memory after some of their batches were (their
    /// readers read the file).
    pub fn kept_in_part(&self) -> usize {
        self.kept_in_part
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
        drop(self.parked);
        Ok(())
    }
}

/// Runs `plan` as one stream. A plan with more partitions than `limit` and no repartition in it
/// (yearly files read one year per partition and grouped per year, `lake::register_years`) runs
/// at most `limit` of its partitions at a time, each on a task of its own, in partition order.
/// A partition's operators reserve memory only once it starts, so each year's aggregation gets a
/// larger share of the pool: at ten times national size under 2GiB, two years at a time grouped
/// without spilling, three at once spilled 670 MB and went over the limit (docs/benchmarks.md,
/// session 20). Other plans run all their partitions at once (`execute_stream`).
pub(crate) fn execute_bounded(
    plan: Arc<dyn datafusion::physical_plan::ExecutionPlan>,
    task: Arc<datafusion::execution::TaskContext>,
    limit: usize,
) -> datafusion::error::Result<datafusion::execution::SendableRecordBatchStream> {
    use datafusion::physical_plan::ExecutionPlanProperties;
    use datafusion::physical_plan::stream::RecordBatchReceiverStreamBuilder;
    let partitions = plan.output_partitioning().partition_count();
    if partitions <= limit || repartitions(plan.as_ref()) {
        return datafusion::physical_plan::execute_stream(plan, task);
    }
    let mut builder = RecordBatchReceiverStreamBuilder::new(plan.schema(), 2);
    let tx = builder.tx();
    builder.spawn(async move {
        let join = |r: Result<datafusion::error::Result<()>, tokio::task::JoinError>| {
            r.map_err(|e| datafusion::error::DataFusionError::ExecutionJoin(Box::new(e)))?
        };
        let mut running = tokio::task::JoinSet::new();
        for partition in 0..partitions {
            while running.len() >= limit.max(1) {
                if let Some(r) = running.join_next().await {
                    join(r)?;
                }
            }
            let (plan, task, tx) = (plan.clone(), task.clone(), tx.clone());
            running.spawn(async move {
                let mut stream = plan.execute(partition, task)?;
                while let Some(batch) = stream.next().await {
                    if tx.send(batch).await.is_err() {
                        break; // the reader is gone
                    }
                }
                Ok(())
            });
        }
        while let Some(r) = running.join_next().await {
            join(r)?;
        }
        Ok(())
    });
    Ok(builder.build())
}

/// Whether `plan` repartitions anywhere: the output partitions of a repartition must be read
/// together.
fn repartitions(plan: &dyn datafusion::physical_plan::ExecutionPlan) -> bool {
    plan.name() == "RepartitionExec" || plan.children().iter().any(|c| repartitions(c.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, Int64Array};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    /// Half the limit while the sources take at most an eighth of it, a quarter above; a
    /// national window (73 MB) under 1GiB and 512MiB, ten times national (1.16 GB) under 2GiB.
    #[test]
    fn model_tables_get_half_the_limit_only_beside_small_sources() {
        let gib = 1usize << 30;
        assert_eq!(budget_share(gib, (gib / 8) as u64), 0.5);
        assert_eq!(budget_share(gib, (gib / 8) as u64 + 1), 0.25);
        assert_eq!(budget_share(gib, 72_947_423), 0.5);
        assert_eq!(budget_share(gib / 2, 72_947_423), 0.25);
        assert_eq!(budget_share(2 * gib, 1_159_499_800), 0.25);
        assert_eq!(budget_share(gib, 0), 0.5);
    }

    /// A table of three partitions: 40 batches of partition 0, 40 of partition 1, one of
    /// partition 2; column `p` holds the partition.
    fn three_partitions() -> (
        SessionContext,
        Arc<dyn datafusion::physical_plan::ExecutionPlan>,
    ) {
        let schema = Arc::new(Schema::new(vec![Field::new("p", DataType::Int64, false)]));
        let batch = |p: i64| {
            RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![p; 3]))])
                .unwrap()
        };
        let partitions = vec![vec![batch(0); 40], vec![batch(1); 40], vec![batch(2)]];
        let ctx = SessionContext::new();
        let table = MemTable::try_new(schema, partitions).unwrap();
        let plan = futures::executor::block_on(async {
            ctx.read_table(Arc::new(table))
                .unwrap()
                .create_physical_plan()
                .await
                .unwrap()
        });
        (ctx, plan)
    }

    /// The partition and rows of every batch `stream` yields, in order.
    async fn partitions_of(
        mut stream: datafusion::execution::SendableRecordBatchStream,
    ) -> Vec<(i64, usize)> {
        let mut out = Vec::new();
        while let Some(batch) = stream.next().await {
            let p = batch.unwrap();
            let p = p.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
            out.push((p.value(0), p.len()));
        }
        out
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_limit_partitions_run_at_once_and_every_batch_arrives() {
        let (ctx, plan) = three_partitions();
        let got = partitions_of(execute_bounded(plan, ctx.task_ctx(), 2).unwrap()).await;
        assert!(got.iter().all(|(_, rows)| *rows == 3), "{got:?}");
        let got: Vec<i64> = got.into_iter().map(|(p, _)| p).collect();
        assert_eq!(got.len(), 81);
        assert_eq!(got.iter().filter(|p| **p == 0).count(), 40);
        assert_eq!(got.iter().filter(|p| **p == 1).count(), 40);
        // Partition 2 starts once partition 0 or 1 has sent its last batch.
        let third = got.iter().position(|p| *p == 2).unwrap();
        let last = |q: i64| got.iter().rposition(|p| *p == q).unwrap();
        assert!(third > last(0).min(last(1)), "{got:?}");
    }

    #[tokio::test]
    async fn a_plan_that_repartitions_runs_all_its_partitions_at_once() {
        let (ctx, plan) = three_partitions();
        assert!(!repartitions(plan.as_ref()));
        let repartitioned: Arc<dyn datafusion::physical_plan::ExecutionPlan> = Arc::new(
            datafusion::physical_plan::repartition::RepartitionExec::try_new(
                plan,
                datafusion::physical_plan::Partitioning::RoundRobinBatch(3),
            )
            .unwrap(),
        );
        assert!(repartitions(repartitioned.as_ref()));
        // Read one partition at a time, the repartition would hold the rows of the others.
        let got = partitions_of(execute_bounded(repartitioned, ctx.task_ctx(), 1).unwrap()).await;
        assert_eq!(got.iter().map(|(_, rows)| rows).sum::<usize>(), 243);
    }
}
