//! The disclose stage: reads the year's unrounded indicators (`warehouse/ind_indikatorer`),
//! applies primary and secondary suppression, markers and rounding ([`crate::disclose`]), checks
//! the result with the blocking verification, and writes `warehouse/rel_indikatorer`.

use super::{engine, read_required, regions};
use crate::disclose::{self, DisclosureParams, IndicatorKind};
use crate::exit::ExitStatus;
use crate::lake;
use crate::layout;
use crate::runner::{RunError, Runner, StageOutput};
use crate::survey::config::IndicatorKind as SurveyKind;

/// The model holding every indicator row before disclosure control.
pub const INPUT_MODEL: &str = "ind_indikatorer";
/// The dataset the disclose stage writes (the publishable table without previous-year columns).
pub const OUTPUT_DATASET: &str = "rel_indikatorer";

/// Runs the disclose stage for a year.
pub async fn run(runner: &Runner<'_>, year: i64) -> Result<StageOutput, RunError> {
    const STAGE: &str = "disclose";
    let project = runner.project;
    let indicators = read_required(
        runner,
        STAGE,
        &layout::warehouse_file(INPUT_MODEL, year),
        "transform",
        year,
    )
    .await?;
    let rows_in = indicators
        .clone()
        .count()
        .await
        .map_err(|e| engine(STAGE, e))? as u64;
    let regions = regions(runner, STAGE, year).await?;

    let mut kinds = disclose::kinds_of(&project.pipeline.indicators);
    for ind in project.survey.indicators_for_year(year) {
        let kind = match ind.kind {
            SurveyKind::Andel => IndicatorKind::Andel,
            SurveyKind::Kvot => IndicatorKind::Kvot,
        };
        kinds.insert(ind.id.clone(), kind);
    }
    let params = DisclosureParams::from(&project.pipeline.params.disclosure);
    let disclosed = disclose::disclose(runner.ctx, indicators, regions.clone(), &kinds, &params)
        .await
        .map_err(|e| engine(STAGE, e))?;
    let batches = disclosed.collect().await.map_err(|e| engine(STAGE, e))?;

    let check = runner
        .ctx
        .read_batches(batches.clone())
        .map_err(|e| engine(STAGE, e))?;
    let violations = disclose::verify(runner.ctx, check, regions)
        .await
        .map_err(|e| engine(STAGE, e))?;
    let verification = serde_json::json!({
        "id": "disclosure_verification",
        "stage": STAGE,
        "severity": "error",
        "status": if violations.is_empty() { "PASS" } else { "FAIL" },
        "failing": violations.len(),
        "examples": violations.iter().take(20).map(|v| v.to_string()).collect::<Vec<_>>(),
    });
    if !violations.is_empty() {
        return Err(RunError::Stage {
            stage: STAGE,
            message: format!(
                "disclosure verification failed: {} unsafe cell(s); nothing was published:\n{}",
                violations.len(),
                violations
                    .iter()
                    .take(20)
                    .map(|v| format!("  {v}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            status: ExitStatus::DataQuality,
        });
    }

    let schema = batches
        .first()
        .map(|b| b.schema())
        .unwrap_or_else(disclose::shape::disclosed_schema);
    let rows_out = lake::write_batches(
        runner.lake,
        &layout::warehouse_file(OUTPUT_DATASET, year),
        schema,
        &batches,
    )
    .await?;
    let mut counts = [0u64; 4];
    for b in &batches {
        if let Some(status) = b.column_by_name("status").and_then(|c| {
            c.as_any()
                .downcast_ref::<datafusion::arrow::array::StringArray>()
        }) {
            for s in status.iter().flatten() {
                let i = match s {
                    "" => 0,
                    ".." => 1,
                    "-" => 2,
                    _ => 3,
                };
                counts[i] += 1;
            }
        }
    }
    Ok(StageOutput {
        rows_in,
        rows_out,
        details: serde_json::json!({
            "published": counts[0], "suppressed": counts[1], "missing": counts[2], "not_applicable": counts[3],
        }),
        checks: vec![verification],
        lines: vec![
            format!(
                "{} cells: {} published, {} suppressed (..), {} missing (-), {} not applicable (.)",
                rows_out, counts[0], counts[1], counts[2], counts[3]
            ),
            "PASS disclosure_verification (no recoverable cell, no number on a hidden cell, no ids)".to_string(),
        ]
        .into_iter()
        .map(Into::into)
        .collect(),
    })
}
