//! Which register history years are missing for the very-long-term indicator.
//!
//! Guarantees: reads only the `ar` column of the `register` table; returns the missing years of
//! Y-1 … Y-(window-1), newest first.

use super::TransformError;
use datafusion::arrow::array::{Array, Int64Array};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use std::collections::BTreeSet;

/// The years among Y-1 … Y-(`window_years`-1) that have no rows in the `register` table, newest first.
pub async fn history_status(
    ctx: &SessionContext,
    year: i64,
    window_years: i64,
) -> Result<Vec<i64>, TransformError> {
    let wanted: Vec<i64> = (1..window_years).map(|k| year - k).collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let err = |e: datafusion::error::DataFusionError| TransformError::History {
        year,
        message: e.to_string(),
    };
    let batches = ctx
        .sql("SELECT DISTINCT ar FROM register WHERE ar >= $first AND ar <= $last")
        .await
        .map_err(err)?
        .with_param_values(vec![
            ("first", ScalarValue::Int64(Some(year - (window_years - 1)))),
            ("last", ScalarValue::Int64(Some(year - 1))),
        ])
        .map_err(err)?
        .collect()
        .await
        .map_err(err)?;
    let mut present = BTreeSet::new();
    for batch in &batches {
        let col = batch
            .column(0)
            .as_any()
            .downcast_ref::<Int64Array>()
            .ok_or_else(|| TransformError::History {
                year,
                message: format!(
                    "register.ar is {}, expected Int64",
                    batch.column(0).data_type()
                ),
            })?;
        present.extend(col.iter().flatten());
    }
    Ok(wanted
        .into_iter()
        .filter(|y| !present.contains(y))
        .collect())
}
