//! The release table: the disclosed cells plus the previous year's published value and the
//! change (domain.md, "Comparisons").
//!
//! Guarantees: `varde_foregaende_ar` and `forandring` are filled only when both this year's and
//! the previous year's cell are published; the previous year is read from its LATEST release
//! only; `forandring` is computed from the rounded published values (percentage points for
//! shares) and rounded to one decimal, which is exact for the whole-number kinds.

use super::error::PublishError;
use super::read::{Release, latest_release, release_table};
use crate::disclose::shape::{conform, release_schema};
use crate::session::scratch::Scratch;
use crate::store::Store;
use datafusion::arrow::array::{RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::ParamValues;
use datafusion::prelude::DataFrame;
use std::sync::Arc;

const RELEASE_SQL: &str = "
SELECT d.ar, d.indikator, d.niva, d.region, d.regionnamn, d.grupp, d.varde, d.taljare,
       d.namnare, d.status,
       CASE WHEN d.status = '' AND p.status = '' THEN p.varde END AS varde_foregaende_ar,
       CASE WHEN d.status = '' AND p.status = '' THEN round((d.varde - p.varde) * 10.0) / 10.0
       END AS forandring
FROM disclosed d
LEFT JOIN renamed r ON r.indikator = d.indikator
LEFT JOIN previous p
  ON p.indikator = COALESCE(r.previous_indikator, d.indikator)
 AND p.niva = d.niva AND p.region = d.region AND p.grupp = d.grupp
ORDER BY d.ar, d.indikator, d.niva, d.region, d.grupp";

/// Builds the release table of `year` from the disclosed cells; returns its batches (in
/// [`release_schema`], sorted by key) and the previous year's release used, if any.
/// `renamed` maps a current indicator id to its id in the previous year.
pub(crate) async fn release_batches(
    scratch: &Scratch,
    lake: &Store,
    year: i64,
    disclosed: DataFrame,
    renamed: &[(String, String)],
) -> Result<(Vec<RecordBatch>, Option<Release>), PublishError> {
    let schema = release_schema();
    scratch.put_frame("disclosed", disclosed).await?;
    let previous = latest_release(lake, year - 1).await?;
    match &previous {
        Some(release) => {
            let batches = release_table(lake, release).await?;
            let batches = batches
                .iter()
                .map(|b| conform(b, &schema))
                .collect::<Result<Vec<_>, _>>()?;
            scratch.put("previous", schema.clone(), batches)?;
        }
        None => scratch.put("previous", schema.clone(), Vec::new())?,
    }
    let renamed_schema = Arc::new(Schema::new(vec![
        Field::new("indikator", DataType::Utf8, false),
        Field::new("previous_indikator", DataType::Utf8, false),
    ]));
    let renamed_batch = RecordBatch::try_new(
        renamed_schema.clone(),
        vec![
            Arc::new(StringArray::from_iter_values(
                renamed.iter().map(|(c, _)| c.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                renamed.iter().map(|(_, p)| p.as_str()),
            )),
        ],
    )?;
    scratch.put("renamed", renamed_schema, vec![renamed_batch])?;
    let batches = scratch
        .query(RELEASE_SQL, ParamValues::List(Vec::new()))
        .await?
        .iter()
        .map(|b| conform(b, &schema))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((batches, previous))
}
