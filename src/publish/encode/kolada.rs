//! The Kolada files of a release: `kolada.csv` (`kpi;municipality;period;gender;value;status`) and
//! `kolada.json` (the cells in the shape of Kolada's data API: `{count, values: [{kpi,
//! municipality, period, values: [{gender, count, status, value}]}]}`), and the shape of a Kolada
//! KPI id.
//!
//! Guarantees: only riket (`0000`), län (`00` + län code) and kommuner (their code) – Kolada has
//! no municipality for stadsdelar, kommungrupper or storleksklasser, so those rows are left out;
//! only the groups totalt (`T`), kvinnor (`K`) and man (`M`). `kpi` is the indicator's declared
//! Kolada KPI id (`kolada_kpi:` in `pipelines/`), or the project's indicator id where none is
//! declared. `value` is empty (CSV) or null (JSON) and `status` carries the marker when a cell is
//! not published; in JSON `count` is the number of values behind the figure (1 for a published
//! cell, 0 for a marker). Both files hold the same cells, sorted by kpi, municipality, period,
//! gender; byte-for-byte deterministic.

use super::csv_bytes;
use crate::disclose::shape::conform;
use crate::publish::PublishError;
use crate::session::scratch::Scratch;
use datafusion::arrow::array::{Array, AsArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema, SchemaRef};
use datafusion::common::ParamValues;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

const KOLADA_SQL: &str = "
SELECT COALESCE(m.kpi, r.indikator) AS kpi,
       CASE r.niva WHEN 'riket' THEN '0000' WHEN 'lan' THEN concat('00', r.region) ELSE r.region END
         AS municipality,
       r.ar AS period,
       CASE r.grupp WHEN 'totalt' THEN 'T' WHEN 'kvinnor' THEN 'K' ELSE 'M' END AS gender,
       r.varde AS value,
       r.status
FROM release r LEFT JOIN kolada_kpi m ON m.indikator = r.indikator
WHERE r.niva IN ('riket', 'lan', 'kommun') AND r.grupp IN ('totalt', 'kvinnor', 'man')
ORDER BY kpi, municipality, period, gender";

/// The columns of `kolada.csv`.
pub(crate) fn kolada_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("kpi", DataType::Utf8, false),
        Field::new("municipality", DataType::Utf8, false),
        Field::new("period", DataType::Int64, false),
        Field::new("gender", DataType::Utf8, false),
        Field::new("value", DataType::Float64, true),
        Field::new("status", DataType::Utf8, false),
    ]))
}

/// The Kolada cells of the registered `release` table, with `kpis` (indicator id → Kolada KPI
/// id) applied.
pub(crate) struct KoladaFiles {
    /// Rows of `kolada.csv` (cells).
    pub rows: usize,
    /// `kolada.csv`.
    pub csv: Vec<u8>,
    /// `kolada.json`.
    pub json: Vec<u8>,
}

/// Builds both Kolada files from the registered `release` table.
pub(crate) async fn kolada(
    scratch: &Scratch,
    kpis: &BTreeMap<String, String>,
) -> Result<KoladaFiles, PublishError> {
    let mapping = Arc::new(Schema::new(vec![
        Field::new("indikator", DataType::Utf8, false),
        Field::new("kpi", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        mapping.clone(),
        vec![
            Arc::new(StringArray::from_iter_values(kpis.keys())),
            Arc::new(StringArray::from_iter_values(kpis.values())),
        ],
    )?;
    scratch.put("kolada_kpi", mapping, vec![batch])?;
    let schema = kolada_schema();
    let batches = scratch
        .query(KOLADA_SQL, ParamValues::List(Vec::new()))
        .await?
        .iter()
        .map(|b| conform(b, &schema))
        .collect::<Result<Vec<_>, _>>()?;
    let rows = batches.iter().map(RecordBatch::num_rows).sum();
    let csv = csv_bytes(&schema, &batches, b';')?;
    let json =
        serde_json::to_vec_pretty(&api_shape(&batches)).map_err(|source| PublishError::Json {
            path: crate::layout::release::KOLADA_JSON.to_string(),
            source,
        })?;
    Ok(KoladaFiles { rows, csv, json })
}

/// The response body of Kolada's data API.
#[derive(Debug, Serialize, PartialEq)]
struct Response {
    count: usize,
    values: Vec<Entry>,
}

/// One KPI, municipality and period.
#[derive(Debug, Serialize, PartialEq)]
struct Entry {
    kpi: String,
    municipality: String,
    period: i64,
    values: Vec<Value>,
}

/// One gender's figure.
#[derive(Debug, Serialize, PartialEq)]
struct Value {
    gender: String,
    count: u32,
    status: String,
    value: Option<f64>,
}

/// Groups the sorted kolada rows (schema [`kolada_schema`]) into API entries.
fn api_shape(batches: &[RecordBatch]) -> Response {
    let mut values: Vec<Entry> = Vec::new();
    for b in batches {
        let (kpi, muni, period, gender, value, status) = (
            b.column(0).as_string::<i32>(),
            b.column(1).as_string::<i32>(),
            b.column(2).as_primitive::<Int64Type>(),
            b.column(3).as_string::<i32>(),
            b.column(4).as_primitive::<Float64Type>(),
            b.column(5).as_string::<i32>(),
        );
        for i in 0..b.num_rows() {
            let figure = Value {
                gender: gender.value(i).to_string(),
                count: u32::from(value.is_valid(i)),
                status: status.value(i).to_string(),
                value: value.is_valid(i).then(|| value.value(i)),
            };
            match values.last_mut() {
                Some(e)
                    if e.kpi == kpi.value(i)
                        && e.municipality == muni.value(i)
                        && e.period == period.value(i) =>
                {
                    e.values.push(figure)
                }
                _ => values.push(Entry {
                    kpi: kpi.value(i).to_string(),
                    municipality: muni.value(i).to_string(),
                    period: period.value(i),
                    values: vec![figure],
                }),
            }
        }
    }
    Response {
        count: values.len(),
        values,
    }
}
