//! The transform stage: registers the staged datasets of the years the models need (the
//! very-long-term window for the register and the regions, the previous year for the mean
//! population), the survey's configuration tables, and runs every `sql/` model in dependency
//! order, each kept in memory for the models that read it and written run-scoped (committed to
//! `warehouse/<model>/ar=<Y>/data.parquet` after the gate). The warehouse files of the year of
//! models the current `sql/` no longer declares are retired by the same commit.

use super::engine;
use crate::commit::Txn;
use crate::exit::ExitStatus;
use crate::lake;
use crate::layout;
use crate::runner::{RunError, Runner, StageOutput};
use crate::store::Store;
use crate::transform::{
    self, ModelParams, ModelSet, ModelSink, RegisterParameters, TransformError,
};
use datafusion::execution::memory_pool::MemoryReservation;
use datafusion::prelude::{DataFrame, SessionContext};
use futures::future::BoxFuture;

/// The staged datasets the models read.
pub const SOURCES: [&str; 5] = ["regioner", "befolkning", "register", "bakgrund", "enkat"];

/// The years of a staged dataset the models of `year` read: the very-long-term window for the
/// register and the regions, the previous year for the mean population, else the year itself.
fn source_years(project: &crate::config::Project, dataset: &str, year: i64) -> Vec<i64> {
    let window = project.pipeline.params.register.very_long_term_window_years;
    match dataset {
        "register" | "regioner" => ((year - window + 1)..=year).collect(),
        "befolkning" => vec![year - 1, year],
        _ => vec![year],
    }
}

/// Every (staged dataset, year) the transform of `year` reads, history years included.
pub fn staged_inputs(project: &crate::config::Project, year: i64) -> Vec<(&'static str, i64)> {
    SOURCES
        .iter()
        .flat_map(|d| {
            source_years(project, d, year)
                .into_iter()
                .map(move |y| (*d, y))
        })
        .collect()
}

/// The text of every `sql/` model (`sql/<name>.sql` → bytes), sorted by file name.
pub fn model_texts(
    project: &crate::config::Project,
) -> Result<Vec<(String, Vec<u8>)>, std::io::Error> {
    let dir = project.root.join("sql");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "sql") {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            out.push((format!("sql/{name}"), std::fs::read(&path)?));
        }
    }
    out.sort();
    Ok(out)
}

/// Materialises each model in memory, registers it under the model's name for the models that
/// read it, and writes it to the lake in the background while the next models run. The stage
/// waits for every write before it reports success.
struct LakeSink<'a> {
    lake: &'a Store,
    txn: &'a Txn<'a>,
    year: i64,
    writes: Vec<(
        String,
        tokio::task::JoinHandle<Result<u64, lake::LakeError>>,
    )>,
    /// Per model, how many models still to run read it; at zero its memory is released.
    readers_left: std::collections::BTreeMap<String, usize>,
    /// What each model reads.
    reads: std::collections::BTreeMap<String, Vec<String>>,
    /// The memory-pool reservation of each model table still registered
    /// (shared with its background write: released when both are done).
    reserved: std::collections::BTreeMap<String, std::sync::Arc<MemoryReservation>>,
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

impl LakeSink<'_> {
    /// Waits for every background write; the first failure names its model.
    async fn finish(self) -> Result<(), RunError> {
        for (model, handle) in self.writes {
            let written = handle
                .await
                .map_err(|e| engine("transform", format!("{model}: {e}")))?;
            written.map_err(|e| engine("transform", format!("{model}: {e}")))?;
        }
        Ok(())
    }
}

/// Runs the transform stage for a year.
pub async fn run(runner: &Runner<'_>, year: i64, txn: &Txn<'_>) -> Result<StageOutput, RunError> {
    const STAGE: &str = "transform";
    let project = runner.project;
    for dataset in SOURCES {
        let years = source_years(project, dataset, year);
        let missing = lake::register_years(
            runner.ctx,
            runner.lake,
            dataset,
            |y| layout::staging_file(dataset, y),
            &years,
        )
        .await?;
        if missing.contains(&year) {
            return Err(RunError::Stage {
                stage: STAGE,
                message: format!(
                    "{} is not staged for {year} (hint: run `oj run --year {year} --stage ingest`)",
                    dataset
                ),
                status: ExitStatus::Runtime,
            });
        }
    }
    crate::survey::register_tables(runner.ctx, &project.survey, year)
        .map_err(|e| engine(STAGE, e))?;

    let mut sources: Vec<&str> = SOURCES.to_vec();
    sources.extend(crate::survey::TABLES);
    let models = ModelSet::load(&project.root.join("sql"), &sources).map_err(|diagnostics| {
        RunError::Stage {
            stage: STAGE,
            message: diagnostics
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            status: ExitStatus::Invalid,
        }
    })?;
    let pipeline_text = project
        .sources
        .get(crate::config::compile::PIPELINE_FILE)
        .map(String::as_str)
        .unwrap_or_default();
    let register = RegisterParameters::from_pipeline_yaml(
        crate::config::compile::PIPELINE_FILE,
        pipeline_text,
    )
    .map_err(|e| engine(STAGE, e))?;
    let params = ModelParams::new(year, &register);
    let reads: std::collections::BTreeMap<String, Vec<String>> = models
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
    let mut readers_left = std::collections::BTreeMap::new();
    for read in reads.values().flatten() {
        *readers_left.entry(read.clone()).or_insert(0usize) += 1;
    }
    for file in runner.lake.list(layout::warehouse_dir()).await? {
        if let Some(model) = layout::warehouse_model_of(&file, year)
            && models.get(model).is_none()
            && model != crate::stages::disclose::OUTPUT_DATASET
        {
            txn.retire(&file);
        }
    }
    let mut sink = LakeSink {
        lake: runner.lake,
        txn,
        year,
        writes: Vec::new(),
        readers_left,
        reads,
        reserved: std::collections::BTreeMap::new(),
    };
    let runs = transform::run_models(runner.ctx, &models, &params, &mut sink)
        .await
        .map_err(|e| {
            let status = match e {
                TransformError::MissingHistory { .. } => ExitStatus::DataQuality,
                _ => ExitStatus::Runtime,
            };
            RunError::Stage {
                stage: STAGE,
                message: e.to_string(),
                status,
            }
        })?;
    sink.finish().await?;
    // Later stages read the warehouse files; the in-memory tables are released here.
    for name in models.names_in_order() {
        runner
            .ctx
            .deregister_table(name)
            .map_err(|e| engine(STAGE, e))?;
    }
    let rows_out = runs
        .iter()
        .find(|r| r.name == crate::stages::disclose::INPUT_MODEL)
        .map(|r| r.rows)
        .unwrap_or_default();
    Ok(StageOutput {
        rows_in: 0,
        rows_out,
        details: serde_json::json!({
            "models": runs.iter().map(|r| serde_json::json!({"model": r.name, "rows": r.rows, "seconds": r.seconds})).collect::<Vec<_>>(),
        }),
        checks: Vec::new(),
        lines: runs
            .iter()
            .map(|r| crate::events::Line::Model {
                model: r.name.clone(),
                rows: r.rows,
                seconds: r.seconds,
            })
            .collect(),
    })
}
