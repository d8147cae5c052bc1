//! The transform stage: registers the staged datasets of the years the models need (the
//! very-long-term window for the register and the regions, the previous year for the mean
//! population), the survey's configuration tables, and runs every `sql/` model in dependency
//! order into a [`LakeSink`] (each model streamed into its file, run-scoped, and kept in memory for
//! the models that read it while the model-table budget allows; committed to `warehouse/<model>/ar=<Y>/data.parquet` after the gate). The
//! warehouse files of the year of models the current `sql/` no longer declares are retired by the
//! same commit. A model none of whose inputs changed since the stage's last successful run of the
//! year is not computed: its committed table is read instead and stays as it is (`reuse`).

use crate::commit::Txn;
use crate::config::Project;
use crate::config::params::ModelParams;
use crate::lake;
use crate::layout;
use crate::pipeline::{Inputs, PartsPlan, Read, Stage, StageContext, StageError, StageOutput};
use crate::transform::{self, LakeSink};
use crate::vocab::StageId;
use crate::vocab::names::{DISCLOSED_DATASET, INDICATOR_MODEL, MODEL_SOURCES};
use futures::future::BoxFuture;

mod reuse;

/// The transform stage.
pub struct Transform;

/// The years of a staged dataset the models of `year` read: the very-long-term window for the
/// register and the regions, the previous year for the mean population, else the year itself.
fn source_years(project: &Project, dataset: &str, year: i64) -> Vec<i64> {
    let window = project.pipeline.params.register.very_long_term_window_years;
    match dataset {
        "register" | "regioner" => ((year - window + 1)..=year).collect(),
        "befolkning" => vec![year - 1, year],
        _ => vec![year],
    }
}

/// The contract of the pipeline's dataset `dataset`.
fn contract<'p>(project: &'p Project, dataset: &str) -> Option<&'p crate::config::Contract> {
    let dataset = project
        .pipeline
        .datasets
        .iter()
        .find(|d| d.name == dataset)?;
    Some(project.contract_of(dataset))
}

/// Every (staged dataset, year) the transform of `year` reads, history years included.
pub fn staged_inputs(project: &Project, year: i64) -> Vec<(&'static str, i64)> {
    MODEL_SOURCES
        .iter()
        .flat_map(|d| {
            source_years(project, d, year)
                .into_iter()
                .map(move |y| (*d, y))
        })
        .collect()
}

impl Stage for Transform {
    fn id(&self) -> StageId {
        StageId::Transform
    }

    fn inputs<'a>(&'a self, cx: &'a StageContext<'a>) -> BoxFuture<'a, Result<Inputs, StageError>> {
        Box::pin(async move {
            let reads = staged_inputs(cx.project, cx.year)
                .into_iter()
                .map(|(dataset, y)| Read {
                    producer: StageId::Ingest,
                    file: layout::staging_file(dataset, y),
                    year: y,
                })
                .collect();
            // The text of every model, by file name: an edited definition re-runs the stage.
            let mut parts: Vec<(String, Vec<u8>)> = cx
                .project
                .models
                .in_order()
                .map(|m| {
                    let file = m.path.file_name().unwrap_or_default().to_string_lossy();
                    (format!("sql/{file}"), m.sql.clone().into_bytes())
                })
                .collect();
            parts.sort();
            Ok(Inputs {
                parts,
                reads,
                ..Inputs::default()
            })
        })
    }

    fn outputs(&self, _project: &Project, year: i64) -> Vec<String> {
        vec![layout::warehouse_file(INDICATOR_MODEL, year)]
    }

    fn run<'a>(
        &'a self,
        cx: &'a StageContext<'a>,
        inputs: Inputs,
        txn: &'a Txn<'a>,
    ) -> BoxFuture<'a, Result<StageOutput, StageError>> {
        Box::pin(run(cx, inputs, txn))
    }

    fn plan_parts<'a>(
        &'a self,
        cx: &'a StageContext<'a>,
        inputs: &'a Inputs,
    ) -> BoxFuture<'a, Result<Option<PartsPlan>, StageError>> {
        Box::pin(async move {
            let models = &cx.project.models;
            let keys = reuse::model_keys(models, &inputs.hashed);
            let reused = reuse::reusable(cx, &keys).await?;
            Ok(Some(PartsPlan::split(
                crate::events::PartKind::Models,
                models.names_in_order().into_iter().map(str::to_string),
                |m| reused.contains_key(m),
                |m| layout::warehouse_file(m, cx.year),
                &keys,
            )))
        })
    }
}

async fn run(
    cx: &StageContext<'_>,
    inputs: Inputs,
    txn: &Txn<'_>,
) -> Result<StageOutput, StageError> {
    let (project, year) = (cx.project, cx.year);
    let mut at_once = None;
    let mut source_bytes = 0;
    // How each source's years were read (run.json: details.sources).
    let mut sources = serde_json::Map::new();
    for dataset in MODEL_SOURCES {
        let years = source_years(project, dataset, year);
        let registered = lake::register_years(
            cx.ctx,
            cx.lake,
            dataset,
            |y| layout::staging_file(dataset, y),
            &years,
            contract(project, dataset).and_then(|c| c.year_column()),
            contract(project, dataset).and_then(|c| c.partitioned_column()),
        )
        .await?;
        at_once = at_once.or(registered.at_once);
        source_bytes += registered.bytes;
        sources.insert(
            dataset.to_string(),
            serde_json::json!({
                "years": years,
                "missing": registered.missing,
                "bytes": registered.bytes,
                "partitions": registered.partitions,
                "at_once": registered.at_once,
            }),
        );
        if registered.missing.contains(&year) {
            return Err(StageError::NotStaged {
                dataset: dataset.to_string(),
                year,
            });
        }
    }
    crate::config::survey_tables::register_tables(cx.ctx, &project.survey, year)?;
    let models = &project.models;
    let params = ModelParams::new(year, &project.pipeline.params.register);
    for file in cx.lake.list(layout::warehouse_dir()).await? {
        if let Some(model) = layout::warehouse_model_of(&file, year)
            && models.get(model).is_none()
            && model != DISCLOSED_DATASET
        {
            txn.retire(&file);
        }
    }
    let keys = reuse::model_keys(models, &inputs.hashed);
    let reused = reuse::reusable(cx, &keys).await?;
    let mut sink = LakeSink::new(txn, year, models).with_source_bytes(source_bytes);
    if let Some(n) = at_once {
        sink = sink.with_partitions_at_once(n);
    }
    let runs = transform::run_models(cx.ctx, models, &params, &reused, &mut sink).await?;
    let budget_bytes = sink.budget_bytes();
    sink.finish().await?;
    // Later stages read the warehouse files; the in-memory tables are released here.
    for name in models.names_in_order() {
        cx.ctx.deregister_table(name)?;
    }
    let rows_out = runs
        .iter()
        .find(|r| r.name == INDICATOR_MODEL)
        .map(|r| r.rows)
        .unwrap_or_default();
    Ok(StageOutput {
        rows_in: 0,
        rows_out,
        details: serde_json::json!({
            // What the model tables' memory budget followed (transform::LakeSink).
            "model_tables": {
                "source_bytes": source_bytes,
                "budget_bytes": budget_bytes,
            },
            // Per staged dataset the models read: its window's years (and those with no staged
            // file), their files' bytes, how many partitions the scan read them in (one a year,
            // or the parts of disjoint kommuner of lake::parts; null when split in byte ranges)
            // and how many of those are grouped at once (null: all, as DataFusion plans).
            "sources": sources,
            "models": runs.iter().map(|r| serde_json::json!({
                "model": r.name,
                "rows": r.rows,
                "seconds": r.seconds,
                "reused": r.reused,
                "key": keys.get(&r.name),
            })).collect::<Vec<_>>(),
        }),
        checks: Vec::new(),
        part_keys: runs
            .iter()
            .filter_map(|r| {
                Some((
                    layout::warehouse_file(&r.name, year),
                    keys.get(&r.name)?.clone(),
                ))
            })
            .collect(),
        lines: runs
            .iter()
            .map(|r| crate::events::Line::Model {
                model: r.name.clone(),
                rows: r.rows,
                seconds: r.seconds,
                reused: r.reused,
            })
            .collect(),
    })
}
