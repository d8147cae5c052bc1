//! The disclose stage: primary suppression, secondary suppression to a fixpoint, markers and
//! rounding, as DataFusion queries over the indicator rows.
//!
//! Guarantees: the same input gives the same output, cell for cell (every choice is ordered by
//! numerator, region code, group name); after the stage no linked set is unsafe (see
//! [`super::sets`]); a suppressed, missing or not-applicable cell carries no varde, taljare or
//! namnare; values are rounded here and nowhere earlier.

use super::error::DiscloseError;
use super::kind::{IndicatorKinds, SURVEY_PREFIX};
use super::params::DisclosureParams;
use super::scratch::{Scratch, ints, texts};
use super::sets::{MEMBERS_SQL, NEXT_SMALLEST_SQL};
use super::shape::{conform, disclosed_schema};
use datafusion::arrow::array::{BooleanArray, Float64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::datasource::MemTable;
use datafusion::prelude::{DataFrame, SessionContext};
use std::sync::Arc;

/// Rounding is half away from zero (`round` of DataFusion on the scaled value). The scaled value
/// is first multiplied by this factor so that a value meant to lie exactly on a half (24.45 %
/// stored in binary as 24.4499999999999993) rounds as its decimal intent (24.5) and not as its
/// binary approximation (24.4). The factor moves values away from zero by 1e-12 relative, far
/// below any published decimal.
const ROUNDING_NUDGE: f64 = 1.0 + 1e-12;

/// Columns the indicator rows must have.
const INDICATOR_COLUMNS: [&str; 10] = [
    "ar",
    "indikator",
    "niva",
    "region",
    "regionnamn",
    "grupp",
    "varde",
    "taljare",
    "namnare",
    "status",
];

/// Columns the regions table must have.
pub(crate) const REGION_COLUMNS: [&str; 4] = ["ar", "niva", "kod", "overordnad"];

/// Primary suppression. `storlek` is the numerator used both for the numerator rule and to rank
/// cells for secondary suppression: `taljare`, and for counts (`antal`) the value itself when
/// the model left `taljare` empty, so that a small count is never published by omission.
const PRIMARY_SQL: &str = "
WITH sized AS (
  SELECT i.ar, i.indikator, i.niva, i.region, i.regionnamn, i.grupp, i.varde, i.taljare,
         i.namnare, i.status, k.numerator_rule, k.denominator_rule, k.survey_exempt, k.scale,
         CASE WHEN k.kind = 'antal' THEN COALESCE(i.taljare, i.varde) ELSE i.taljare END AS storlek
  FROM indata i JOIN kinds k ON k.indikator = i.indikator
)
SELECT ROW_NUMBER() OVER (ORDER BY ar, indikator, niva, region, grupp) AS cell_id,
       ar, indikator, niva, region, regionnamn, grupp, varde, taljare, namnare, storlek, scale,
       CASE
         WHEN status <> '' THEN status
         WHEN survey_exempt THEN ''
         WHEN starts_with(indikator, $survey_prefix) AND niva IN ('kommun', 'stadsdel')
              AND namnare IS NULL THEN ''
         WHEN numerator_rule AND storlek > 0 AND storlek < $min_numerator THEN '..'
         WHEN denominator_rule AND namnare < $min_denominator THEN '..'
         ELSE ''
       END AS status
FROM sized";

/// Marks the cells in `picked` as suppressed.
const SUPPRESS_PICKED_SQL: &str = "
SELECT c.cell_id, c.ar, c.indikator, c.niva, c.region, c.regionnamn, c.grupp, c.varde, c.taljare,
       c.namnare, c.storlek, c.scale,
       CASE WHEN p.cell_id IS NULL THEN c.status ELSE '..' END AS status
FROM cells c LEFT JOIN picked p ON p.cell_id = c.cell_id";

/// Markers and rounding. Values keep `scale` = 10^decimals of their kind. Numerators and
/// denominators keep one decimal: counts are integers already and stay as they are, the mean
/// population of kronor per inhabitant ((a + b) / 2) is exact at one decimal, and averages such
/// as households per month are published at the precision of the value.
const PUBLISH_SQL: &str = "
SELECT ar, indikator, niva, region, regionnamn, grupp,
       CASE WHEN status = '' THEN round(varde * scale * $nudge) / scale END AS varde,
       CASE WHEN status = '' THEN round(taljare * 10.0 * $nudge) / 10.0 END AS taljare,
       CASE WHEN status = '' THEN round(namnare * 10.0 * $nudge) / 10.0 END AS namnare,
       status
FROM cells
ORDER BY ar, indikator, niva, region, grupp";

const UNKNOWN_KIND_SQL: &str = "
SELECT DISTINCT i.indikator FROM indata i LEFT JOIN kinds k ON k.indikator = i.indikator
WHERE k.indikator IS NULL ORDER BY i.indikator LIMIT 1";

const INVALID_STATUS_SQL: &str = "
SELECT indikator, niva, region, grupp, COALESCE(status, '<null>') FROM indata
WHERE status IS NULL OR status NOT IN ('', '-', '.')
ORDER BY ar, indikator, niva, region, grupp LIMIT 1";

const DUPLICATE_SQL: &str = "
SELECT ar, indikator, niva, region, grupp, COUNT(*) AS n FROM indata
GROUP BY ar, indikator, niva, region, grupp HAVING COUNT(*) > 1
ORDER BY ar, indikator, niva, region, grupp LIMIT 1";

/// Applies disclosure control to `indicators` (the indicator-row shape) and returns the
/// publishable table (columns of [`disclosed_schema`], sorted by key), as a DataFrame of `ctx`.
///
/// `regions` is the `regioner` table (ar, niva, kod, overordnad, …) linking stadsdelar to their
/// kommun. Every indicator id in `indicators` must have a kind in `kinds`.
pub async fn disclose(
    ctx: &SessionContext,
    indicators: DataFrame,
    regions: DataFrame,
    kinds: &IndicatorKinds,
    params: &DisclosureParams,
) -> Result<DataFrame, DiscloseError> {
    require_columns("indicator rows", &indicators, &INDICATOR_COLUMNS)?;
    require_columns("regioner", &regions, &REGION_COLUMNS)?;
    let scratch = Scratch::new(ctx);
    scratch.put_frame("indata", indicators).await?;
    scratch.put_frame("regioner", regions).await?;
    let kinds_batch = kinds_table(kinds)?;
    scratch.put("kinds", kinds_batch.schema(), vec![kinds_batch])?;
    check_input(&scratch).await?;

    let primary = ParamValues::from(vec![
        ("survey_prefix", ScalarValue::from(SURVEY_PREFIX)),
        (
            "min_numerator",
            ScalarValue::from(params.min_numerator as f64),
        ),
        (
            "min_denominator",
            ScalarValue::from(params.min_denominator as f64),
        ),
    ]);
    scratch.materialize("cells", PRIMARY_SQL, primary).await?;
    scratch
        .materialize("members", MEMBERS_SQL, no_params())
        .await?;
    // Each round suppresses at least one published cell, so the loop ends after at most as
    // many rounds as there are cells; in practice two or three.
    while scratch
        .materialize("picked", NEXT_SMALLEST_SQL, no_params())
        .await?
        > 0
    {
        scratch
            .materialize("cells", SUPPRESS_PICKED_SQL, no_params())
            .await?;
    }

    let nudge = ParamValues::from(vec![("nudge", ScalarValue::from(ROUNDING_NUDGE))]);
    let published = scratch.query(PUBLISH_SQL, nudge).await?;
    let schema = disclosed_schema();
    let batches = published
        .iter()
        .map(|b| conform(b, &schema))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ctx.read_table(Arc::new(MemTable::try_new(schema, vec![batches])?))?)
}

/// No bound parameters.
pub(crate) fn no_params() -> ParamValues {
    ParamValues::List(Vec::new())
}

/// Fails with [`DiscloseError::Shape`] when `df` lacks one of `columns`.
pub(crate) fn require_columns(
    table: &'static str,
    df: &DataFrame,
    columns: &[&str],
) -> Result<(), DiscloseError> {
    let schema = df.schema();
    let missing: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| schema.index_of_column_by_name(None, c).is_none())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(DiscloseError::Shape {
            table,
            message: format!("missing column(s) {}", missing.join(", ")),
        })
    }
}

/// The kinds as a table with the policy flags of [`super::kind::IndicatorKind`].
fn kinds_table(kinds: &IndicatorKinds) -> Result<RecordBatch, DiscloseError> {
    let mut ids: Vec<(&String, _)> = kinds.iter().collect();
    ids.sort_by(|a, b| a.0.cmp(b.0));
    let schema = Arc::new(Schema::new(vec![
        Field::new("indikator", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("numerator_rule", DataType::Boolean, false),
        Field::new("denominator_rule", DataType::Boolean, false),
        Field::new("survey_exempt", DataType::Boolean, false),
        Field::new("scale", DataType::Float64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from_iter_values(
                ids.iter().map(|(id, _)| id.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                ids.iter().map(|(_, k)| k.to_string()),
            )),
            Arc::new(BooleanArray::from_iter(
                ids.iter().map(|(_, k)| Some(k.numerator_rule())),
            )),
            Arc::new(BooleanArray::from_iter(
                ids.iter().map(|(_, k)| Some(k.denominator_rule())),
            )),
            Arc::new(BooleanArray::from_iter(
                ids.iter().map(|(id, k)| Some(k.survey_exempt(id))),
            )),
            Arc::new(Float64Array::from_iter_values(
                ids.iter().map(|(_, k)| 10f64.powi(k.decimals() as i32)),
            )),
        ],
    )?;
    Ok(batch)
}

/// Rejects rows the stage cannot decide about: unknown kinds, statuses the models may not set,
/// duplicate keys.
async fn check_input(scratch: &Scratch) -> Result<(), DiscloseError> {
    for batch in scratch.query(UNKNOWN_KIND_SQL, no_params()).await? {
        if let Some(Some(indikator)) = texts(&batch, 0)?.into_iter().next() {
            return Err(DiscloseError::UnknownKind { indikator });
        }
    }
    for batch in scratch.query(INVALID_STATUS_SQL, no_params()).await? {
        if batch.num_rows() > 0 {
            let text = |i: usize| -> Result<String, DiscloseError> {
                Ok(texts(&batch, i)?.swap_remove(0).unwrap_or_default())
            };
            return Err(DiscloseError::InvalidStatus {
                indikator: text(0)?,
                niva: text(1)?,
                region: text(2)?,
                grupp: text(3)?,
                status: text(4)?,
            });
        }
    }
    for batch in scratch.query(DUPLICATE_SQL, no_params()).await? {
        if batch.num_rows() > 0 {
            let text = |i: usize| -> Result<String, DiscloseError> {
                Ok(texts(&batch, i)?.swap_remove(0).unwrap_or_default())
            };
            return Err(DiscloseError::DuplicateCell {
                ar: ints(&batch, 0)?[0].unwrap_or_default(),
                indikator: text(1)?,
                niva: text(2)?,
                region: text(3)?,
                grupp: text(4)?,
                count: ints(&batch, 5)?[0].unwrap_or_default(),
            });
        }
    }
    Ok(())
}
