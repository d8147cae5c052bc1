//! The publish stage: the disclosed table of the year becomes an immutable release folder with
//! the previous year's values beside it, the Excel publication, the report, the Kolada file and a
//! manifest listing every input drop file, every check result and the excluded bortfall kommuner
//! ([`crate::publish`]).

pub mod publication;

use super::read_lake_file;
use crate::commit::Txn;
use crate::config::Project;
use crate::layout;
use crate::pipeline::{Inputs, Read, Stage, StageContext, StageError, StageOutput};
use crate::publish::{self, FileHash, PublishOutcome, ReleaseInputs};
use crate::vocab::StageId;
use crate::vocab::names::{BORTFALL_MODEL, DISCLOSED_DATASET, KOMMUN_MODEL};
use datafusion::arrow::array::StringArray;
use futures::future::BoxFuture;
use std::collections::BTreeMap;

/// The warehouse models the publish stage reads besides the disclosed table (when the current
/// `sql/` declares them).
const WAREHOUSE_READS: [&str; 2] = [BORTFALL_MODEL, KOMMUN_MODEL];

/// The publish stage.
pub struct Publish;

impl Stage for Publish {
    fn id(&self) -> StageId {
        StageId::Publish
    }

    /// The disclosed table and the warehouse models it reads, and the LATEST pointers of the
    /// earlier years whose releases the trends show.
    fn inputs<'a>(&'a self, cx: &'a StageContext<'a>) -> BoxFuture<'a, Result<Inputs, StageError>> {
        Box::pin(async move {
            let year = cx.year;
            let mut inputs = Inputs::default();
            inputs.reads.push(Read {
                producer: StageId::Disclose,
                file: layout::warehouse_file(DISCLOSED_DATASET, year),
                year,
            });
            for model in WAREHOUSE_READS {
                if cx.project.declares_model(model) {
                    inputs.reads.push(Read {
                        producer: StageId::Transform,
                        file: layout::warehouse_file(model, year),
                        year,
                    });
                }
            }
            for y in (year - publication::TREND_YEARS)..year {
                let latest = layout::latest_file(y);
                let pointer = cx.lake.get(&latest).await?.unwrap_or_default();
                inputs.parts.push((latest, pointer.to_vec()));
            }
            Ok(inputs)
        })
    }

    /// The year's [`REPORTED`] stages and the ingest of every year the transform read.
    fn ledger_reads(&self, project: &Project, year: i64) -> Vec<(i64, StageId)> {
        REPORTED
            .into_iter()
            .map(|s| (year, s))
            .chain(
                ingested_years(&super::transform::staged_inputs(project, year))
                    .map(|y| (y, StageId::Ingest)),
            )
            .collect()
    }

    fn outputs(&self, _project: &Project, year: i64) -> Vec<String> {
        vec![layout::latest_file(year)]
    }

    fn run<'a>(
        &'a self,
        cx: &'a StageContext<'a>,
        _inputs: Inputs,
        txn: &'a Txn<'a>,
    ) -> BoxFuture<'a, Result<StageOutput, StageError>> {
        Box::pin(run(cx, txn))
    }
}

/// The stages of the year whose checks, read datasets and disclosure control the manifest reports
/// (from this run's record or the ledger, [`Stage::ledger_reads`]).
const REPORTED: [StageId; 3] = [StageId::Ingest, StageId::Transform, StageId::Disclose];

/// Every year of `staged` (the transform's [`super::transform::staged_inputs`]), history years
/// included: the manifest lists the drop files of each, from that year's ingest.
fn ingested_years(staged: &[(&str, i64)]) -> impl Iterator<Item = i64> {
    staged
        .iter()
        .map(|(_, y)| *y)
        .collect::<std::collections::BTreeSet<i64>>()
        .into_iter()
}

/// Runs the publish stage for a year; the run so far (in `cx`) gives the input files and checks.
/// The release is written complete but made current only when `txn` commits, after the gate.
async fn run(cx: &StageContext<'_>, txn: &Txn<'_>) -> Result<StageOutput, StageError> {
    let (project, year) = (cx.project, cx.year);
    let disclosed = read_lake_file(
        cx.ctx,
        cx.lake,
        &layout::warehouse_file(DISCLOSED_DATASET, year),
        "disclose",
        year,
    )
    .await?;
    let rows_in = disclosed.clone().count().await? as u64;

    // Every drop file that fed the year: the ingest of each (dataset, year) the transform read,
    // history years included; the committed dataset versions the stages read.
    let mut input_files = Vec::new();
    let mut checks = Vec::new();
    let mut control = serde_json::Value::Null;
    let mut datasets = BTreeMap::new();
    for stage in REPORTED {
        let Some(rec) = cx.current_stage(year, stage) else {
            continue;
        };
        checks.extend(rec.checks.iter().cloned());
        if stage == StageId::Disclose {
            control = rec.details["disclosure_control"].clone();
        }
        datasets.extend(rec.datasets.clone());
    }
    let staged = super::transform::staged_inputs(project, year);
    for y in ingested_years(&staged) {
        let Some(rec) = cx.current_stage(y, StageId::Ingest) else {
            continue;
        };
        let Some(outcomes) = rec.details.as_object() else {
            continue;
        };
        for (dataset, outcome) in outcomes {
            if !staged.iter().any(|(d, yy)| d == dataset && *yy == y) {
                continue;
            }
            for f in outcome["files"].as_array().into_iter().flatten() {
                input_files.push(FileHash {
                    name: f["relative"].as_str().unwrap_or_default().to_string(),
                    sha256: f["sha256"].as_str().unwrap_or_default().to_string(),
                    bytes: f["bytes"].as_u64(),
                });
            }
        }
    }
    input_files.sort_by(|a, b| a.name.cmp(&b.name));
    let mut reads = vec![layout::warehouse_file(DISCLOSED_DATASET, year)];
    for model in WAREHOUSE_READS {
        if project.declares_model(model) {
            reads.push(layout::warehouse_file(model, year));
        }
    }
    for file in reads {
        let version = crate::commit::version(cx.lake, &file).await?;
        let label = layout::partition_of(&file).to_string();
        datasets.insert(label, version);
    }
    let inputs = ReleaseInputs {
        pipeline: project.pipeline.name.clone(),
        pipeline_version: project.pipeline.version.clone(),
        contract_versions: project
            .contracts
            .iter()
            .map(|(id, c)| (id.clone(), c.version.clone()))
            .collect::<BTreeMap<_, _>>(),
        input_files,
        datasets,
        checks: serde_json::Value::Array(checks),
        disclosure: (&project.pipeline.params.disclosure).into(),
        disclosure_control: serde_json::json!({
            "rules": {
                "amounts": project.disclosure.amounts,
                "households_per_case_worker": project.disclosure.households,
                "protection": project.disclosure.protection,
            },
            "audit": control["audit"],
            "totals": control["totals"],
            "information_loss": control["information_loss"],
        }),
        excluded_kommuner: bortfall(cx).await?,
        renamed_indicators: crate::config::survey::previous_ids(&project.survey, year),
        kolada_kpis: project.kolada_kpis(year),
    };
    let context = publication::load(cx.ctx, project, cx.lake, year).await?;
    let sources = vec![
        "Socialstyrelsen: registret över ekonomiskt bistånd (kommunernas månadsrapporter)"
            .to_string(),
        "SCB: befolkning 31 december".to_string(),
        "Bakgrundsmått per kommun (låg inkomst, arbetslöshet, utbildning, vistelsetid)".to_string(),
        "Kommunenkät om ekonomiskt bistånd".to_string(),
    ];
    let created = cx.clock.now();
    let extra = |batches: &[datafusion::arrow::record_batch::RecordBatch],
                 version: &str|
     -> Result<Vec<publish::ReleaseFile>, publish::BoxError> {
        let info = crate::render::ReleaseInfo {
            year,
            version: version.to_string(),
            created,
            sources: sources.clone(),
        };
        let input = crate::render::PublicationInput {
            rows: batches,
            meta: &context.meta,
            info: &info,
            regions: context.facts.as_ref(),
            earlier: &context.earlier,
        };
        Ok(crate::render::release_files(&input)?)
    };
    let outcome = publish::ReleaseBuilder::new(cx.ctx, cx.lake, year, disclosed)
        .with_inputs(&inputs)
        .with_clock(cx.clock)
        .with_extra_files(&extra)
        .write()
        .await?;
    if let PublishOutcome::Published(summary) = &outcome {
        txn.stage_release(summary.version);
    }
    let (rows_out, details) = match &outcome {
        PublishOutcome::Published(summary) => (
            summary.cells.published
                + summary.cells.suppressed
                + summary.cells.missing
                + summary.cells.not_applicable,
            serde_json::json!({
                "release": layout::release_dir(year, summary.version),
                "published": summary.cells.published,
                "suppressed": summary.cells.suppressed,
                "missing": summary.cells.missing,
                "not_applicable": summary.cells.not_applicable,
                "excluded_kommuner": inputs.excluded_kommuner,
            }),
        ),
        PublishOutcome::Unchanged { version, .. } => (
            0,
            serde_json::json!({ "release": layout::release_dir(year, *version), "unchanged": true }),
        ),
    };
    let folder = cx
        .lake
        .display(details["release"].as_str().unwrap_or_default());
    Ok(StageOutput {
        rows_in,
        rows_out,
        details,
        checks: Vec::new(),
        lines: vec![
            outcome.to_string().into(),
            format!("release folder: {folder}").into(),
        ],
        ..StageOutput::default()
    })
}

/// The kommuner excluded as bortfall for the year (`warehouse/int_bortfall`), sorted.
async fn bortfall(cx: &StageContext<'_>) -> Result<Vec<String>, StageError> {
    let rel = layout::warehouse_file(BORTFALL_MODEL, cx.year);
    if !cx.project.declares_model(BORTFALL_MODEL) || cx.lake.head(&rel).await?.is_none() {
        return Ok(Vec::new());
    }
    let df = crate::lake::read_files(cx.ctx, cx.lake, &[rel]).await?;
    let kommun = datafusion::logical_expr::cast(
        datafusion::logical_expr::col("kommun"),
        datafusion::arrow::datatypes::DataType::Utf8,
    );
    let batches = df
        .select(vec![kommun.alias("kommun")])
        .and_then(|d| d.distinct())
        .and_then(|d| {
            d.sort(vec![
                datafusion::logical_expr::col("kommun").sort(true, false),
            ])
        })?
        .collect()
        .await?;
    let out = batches
        .iter()
        .filter_map(|b| b.column(0).as_any().downcast_ref::<StringArray>())
        .flat_map(|a| a.iter().flatten().map(str::to_string))
        .collect();
    Ok(out)
}
