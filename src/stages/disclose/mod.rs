//! The disclose stage: reads the year's unrounded indicators (`warehouse/ind_indikatorer`), the
//! kommun groups (`int_kommun`), the households behind each amount (`int_belopp_bidrag`) and
//! every earlier release of the year, applies disclosure control with its intruder audit
//! ([`crate::disclose`]), checks the result with the blocking verification, and writes
//! `warehouse/rel_indikatorer`.

use super::read_lake_file;
use crate::commit::Txn;
use crate::config::Project;
use crate::disclose::IndicatorKinds;
use crate::disclose::primary::{Contribution, Contributions};
use crate::disclose::relations::{KommunGroups, Membership};
use crate::disclose::{self, DiscloseError, DiscloseInput, DisclosureParams};
use crate::lake;
use crate::layout;
use crate::pipeline::{Inputs, Read, Stage, StageContext, StageError, StageOutput};
use crate::publish;
use crate::store::Store;
use crate::vocab::StageId;
use crate::vocab::names::{
    CONTRIBUTIONS_MODEL, DISCLOSED_DATASET, INDICATOR_MODEL, KOMMUN_MODEL, REGIONS,
};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::prelude::{DataFrame, SessionContext};
use futures::future::BoxFuture;

/// The disclose stage.
pub struct Disclose;

impl Stage for Disclose {
    fn id(&self) -> StageId {
        StageId::Disclose
    }

    fn inputs<'a>(&'a self, cx: &'a StageContext<'a>) -> BoxFuture<'a, Result<Inputs, StageError>> {
        let year = cx.year;
        Box::pin(async move {
            Ok(Inputs {
                reads: vec![
                    Read {
                        producer: StageId::Transform,
                        file: layout::warehouse_file(INDICATOR_MODEL, year),
                        year,
                    },
                    Read {
                        producer: StageId::Ingest,
                        file: layout::staging_file(REGIONS, year),
                        year,
                    },
                ],
                ..Inputs::default()
            })
        })
    }

    fn outputs(&self, _project: &Project, year: i64) -> Vec<String> {
        vec![layout::warehouse_file(DISCLOSED_DATASET, year)]
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

/// What disclosure control of a year reads from the lake.
pub struct DiscloseInputs {
    pub indicators: DataFrame,
    pub kinds: IndicatorKinds,
    pub params: DisclosureParams,
    pub membership: Membership,
    pub contributions: Contributions,
    /// Earlier releases of the year: (version, table).
    pub earlier: Vec<(u32, Vec<RecordBatch>)>,
}

impl DiscloseInputs {
    /// The input of [`disclose::disclose`], with the earlier releases below `before` (all when
    /// `None`).
    pub fn input<'a>(&'a self, project: &'a Project, before: Option<u32>) -> DiscloseInput<'a> {
        DiscloseInput {
            indicators: self.indicators.clone(),
            kinds: &self.kinds,
            params: &self.params,
            config: &project.disclosure,
            membership: self.membership.clone(),
            contributions: self.contributions.clone(),
            earlier: self
                .earlier
                .iter()
                .filter(|(v, _)| before.is_none_or(|b| *v < b))
                .flat_map(|(_, t)| t.iter().cloned())
                .collect(),
        }
    }
}

/// Reads the inputs of disclosure control of `year`. The contributions model is optional (a
/// lake built before amounts were protected has none; its amounts then get no primary rule).
pub async fn load(
    ctx: &SessionContext,
    lake: &Store,
    project: &Project,
    year: i64,
) -> Result<DiscloseInputs, StageError> {
    let read = |model: &'static str| async move {
        let file = layout::warehouse_file(model, year);
        read_lake_file(ctx, lake, &file, "transform", year).await
    };
    let indicators = read(INDICATOR_MODEL).await?;
    let kommuner = read(KOMMUN_MODEL).await?.collect().await?;
    let bidrag = if lake
        .head(&layout::warehouse_file(CONTRIBUTIONS_MODEL, year))
        .await?
        .is_some()
    {
        read(CONTRIBUTIONS_MODEL).await?.collect().await?
    } else {
        Vec::new()
    };
    let mut kinds = disclose::kinds_of(&project.pipeline.indicators);
    for ind in project.survey.indicators_for_year(year) {
        kinds.insert(ind.id.clone(), ind.kind);
    }
    Ok(DiscloseInputs {
        indicators,
        kinds,
        params: DisclosureParams::from(&project.pipeline.params.disclosure),
        membership: membership(&kommuner)?,
        contributions: contributions(&bidrag)?,
        earlier: earlier_releases(lake, year).await?,
    })
}

/// Runs the disclose stage for a year.
async fn run(cx: &StageContext<'_>, txn: &Txn<'_>) -> Result<StageOutput, StageError> {
    const STAGE: &str = "disclose";
    let (project, year) = (cx.project, cx.year);
    let loaded = load(cx.ctx, cx.lake, project, year).await?;
    let rows_in = loaded.indicators.clone().count().await? as u64;
    let input = loaded.input(project, None);
    let disclosed = disclose::disclose(cx.ctx, input).await?;
    let batches = disclosed.table.collect().await?;

    let check = cx.ctx.read_batches(batches.clone())?;
    let violations = disclose::verify(cx.ctx, check).await?;
    let report = &disclosed.report;
    let verification = serde_json::json!({
        "id": "disclosure_verification",
        "stage": STAGE,
        "severity": "error",
        "status": if violations.is_empty() { "PASS" } else { "FAIL" },
        "failing": violations.len(),
        "examples": violations.iter().take(20).map(|v| v.to_string()).collect::<Vec<_>>(),
    });
    let audit = serde_json::json!({
        "id": "disclosure_audit",
        "stage": STAGE,
        "severity": "error",
        "status": report.audit.result,
        "failing": 0,
        "cells_audited": report.audit.cells_audited,
        "seconds": report.audit.seconds,
    });
    if !violations.is_empty() {
        return Err(StageError::Unsafe {
            count: violations.len(),
            examples: violations.iter().take(20).map(|v| v.to_string()).collect(),
        });
    }

    let schema = batches
        .first()
        .map(|b| b.schema())
        .unwrap_or_else(disclose::shape::disclosed_schema);
    let rows_out = lake::write_batches(
        cx.lake,
        &txn.target(&layout::warehouse_file(DISCLOSED_DATASET, year)),
        schema,
        &batches,
    )
    .await?;
    let t = &report.totals;
    Ok(StageOutput {
        rows_in,
        rows_out,
        details: serde_json::json!({
            "published": t.published,
            "suppressed": t.primary + t.secondary,
            "primary": t.primary,
            "secondary": t.secondary,
            "missing": t.missing,
            "not_applicable": t.not_applicable,
            "disclosure_control": serde_json::to_value(report).unwrap_or_default(),
        }),
        checks: vec![audit, verification],
        lines: crate::events::Line::disclosure(report),
        ..StageOutput::default()
    })
}

/// Kommun → län, kommungrupp, storleksklass, from `int_kommun`.
fn membership(batches: &[RecordBatch]) -> Result<Membership, DiscloseError> {
    let mut out = Membership::new();
    for b in batches {
        let kommun = text_column(b, "kommun")?;
        let lan = text_column(b, "lan")?;
        let grupp = text_column(b, "kommungrupp")?;
        let klass = text_column(b, "storleksklass")?;
        for i in 0..b.num_rows() {
            if let Some(k) = &kommun[i] {
                out.insert(
                    k.clone(),
                    KommunGroups {
                        lan: lan[i].clone().unwrap_or_else(|| k[..2].to_string()),
                        kommungrupp: grupp[i].clone(),
                        storleksklass: klass[i].clone(),
                    },
                );
            }
        }
    }
    Ok(out)
}

/// (niva, region) → households and the largest amounts, from `int_belopp_bidrag`.
fn contributions(batches: &[RecordBatch]) -> Result<Contributions, DiscloseError> {
    let mut out = Contributions::new();
    for b in batches {
        let niva = text_column(b, "niva")?;
        let region = text_column(b, "region")?;
        let households = number_column(b, "hushall", &DataType::Int64)?;
        let households = households.as_primitive::<Int64Type>();
        let [total, largest, second] = ["belopp_kr", "storsta", "nast_storsta"]
            .map(|c| number_column(b, c, &DataType::Float64));
        let (total, largest, second) = (total?, largest?, second?);
        let f = |a: &dyn Array, i: usize| {
            let a = a.as_primitive::<Float64Type>();
            if a.is_valid(i) { a.value(i) } else { 0.0 }
        };
        for i in 0..b.num_rows() {
            let (Some(n), Some(r)) = (&niva[i], &region[i]) else {
                continue;
            };
            out.insert(
                (n.clone(), r.clone()),
                Contribution {
                    households: if households.is_valid(i) {
                        households.value(i)
                    } else {
                        0
                    },
                    largest: f(largest.as_ref(), i),
                    second: f(second.as_ref(), i),
                    total: f(total.as_ref(), i),
                },
            );
        }
    }
    Ok(out)
}

fn text_column(b: &RecordBatch, name: &str) -> Result<Vec<Option<String>>, DiscloseError> {
    let index = b
        .schema()
        .index_of(name)
        .map_err(|_| DiscloseError::Shape {
            table: "disclose inputs",
            message: format!("missing column {name}"),
        })?;
    Ok(crate::session::scratch::texts(b, index)?)
}

fn number_column(
    b: &RecordBatch,
    name: &str,
    to: &DataType,
) -> Result<datafusion::arrow::array::ArrayRef, DiscloseError> {
    let a = b.column_by_name(name).ok_or_else(|| DiscloseError::Shape {
        table: "disclose inputs",
        message: format!("missing column {name}"),
    })?;
    Ok(cast(a, to)?)
}

/// The tables of every complete release of `year` so far (an intruder holds them all). A release
/// whose table is byte for byte one an earlier version published (the same SHA-256 of
/// `indikatorer.parquet` in its manifest: a re-run that changed the manifest's inputs only) tells
/// an intruder nothing more and is not read again: the earliest version stands for it, so every
/// [`DiscloseInputs::input`] `before` a version still sees each table published before it.
async fn earlier_releases(
    lake: &Store,
    year: i64,
) -> Result<Vec<(u32, Vec<RecordBatch>)>, StageError> {
    let listed = lake.list(&layout::releases_dir(year)).await?;
    let mut versions: Vec<u32> = listed
        .iter()
        .filter(|p| p.ends_with("/manifest.json"))
        .filter_map(|p| p.split('/').nth(2))
        .filter_map(layout::parse_release_version)
        .collect();
    versions.sort_unstable();
    versions.dedup();
    let mut out = Vec::new();
    let mut tables = std::collections::HashSet::new();
    for v in versions {
        let release = publish::read_release(lake, year, v).await?;
        let sha256 = release
            .manifest
            .files
            .iter()
            .find(|f| f.name == layout::release::INDIKATORER_PARQUET)
            .map(|f| f.sha256.clone());
        if let Some(sha256) = sha256
            && !tables.insert(sha256)
        {
            continue;
        }
        let table = publish::release_table(lake, &release).await?;
        out.push((v, table));
    }
    Ok(out)
}
