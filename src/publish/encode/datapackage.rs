//! `datapackage.json`: a Frictionless (Tabular) Data Package v1 describing `indikatorer.csv`, so
//! pandas, R and frictionless users can load and validate the release table with a standard
//! tool.
//!
//! Guarantees: one resource, `indikatorer.csv`, with every column of the release table in order,
//! typed from the table's Arrow type (Int64 → `integer`, Float64 → `number`, Utf8 → `string`),
//! the key columns `required`, the primary key (`ar`, `indikator`, `niva`, `region`, `grupp`),
//! the CSV dialect the file is written in (`,`, header row, `"` quotes, `\n`), UTF-8, and
//! `missingValues` `[""]`: a number is an empty field when `status` holds a marker. The markers
//! `..` `-` `.` are values of `status` (allowed by its enum), never missing values, so a reader
//! keeps why a cell has no number. Deterministic: the same year gives the same bytes.

use crate::layout::release::{DATAPACKAGE, INDIKATORER_CSV};
use crate::publish::PublishError;
use crate::vocab::{Grupp, Niva, Status};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use serde_json::{Value, json};

/// The primary key of `indikatorer` (outputs.md).
const PRIMARY_KEY: [&str; 5] = ["ar", "indikator", "niva", "region", "grupp"];

/// What each column means (outputs.md, "`indikatorer` columns").
fn description(column: &str) -> &'static str {
    match column {
        "ar" => "Referensår",
        "indikator" => "Indikatorns id (reg_…, bak_…, enk_…)",
        "niva" => "Redovisningsnivå",
        "region" => "Region- eller gruppkod",
        "regionnamn" => "Regionens eller gruppens namn",
        "grupp" => "Redovisningsgrupp",
        "varde" => "Publicerat värde, avrundat; tomt när status inte är tom",
        "taljare" => "Täljare (antal)",
        "namnare" => "Nämnare",
        "status" => {
            "Tom = publicerat, .. = skyddat (röjanderisk), - = uppgift saknas, . = ej tillämpligt"
        }
        "varde_foregaende_ar" => "Föregående års publicerade värde",
        "forandring" => "varde - varde_foregaende_ar",
        _ => "",
    }
}

/// Values a text column may take, where the set is fixed.
fn allowed(column: &str) -> Option<Vec<&'static str>> {
    match column {
        "niva" => Some(Niva::ALL.iter().map(|n| n.name()).collect()),
        "grupp" => Some(Grupp::ALL.iter().map(|g| g.name()).collect()),
        // The empty status of a published value is written as a missing value in the CSV.
        "status" => Some(
            Status::ALL
                .iter()
                .map(|s| s.marker())
                .filter(|m| !m.is_empty())
                .collect(),
        ),
        _ => None,
    }
}

/// The Table Schema type of an Arrow type of the release table.
fn field_type(data_type: &DataType) -> &'static str {
    match data_type {
        DataType::Int64 | DataType::Int32 => "integer",
        DataType::Float64 => "number",
        _ => "string",
    }
}

/// `datapackage.json` for the release of `year` whose table has `schema`.
pub(crate) fn datapackage(schema: &SchemaRef, year: i64) -> Result<Vec<u8>, PublishError> {
    let fields: Vec<Value> = schema
        .fields()
        .iter()
        .map(|f| {
            let name = f.name().as_str();
            let mut field = json!({
                "name": name,
                "type": field_type(f.data_type()),
                "description": description(name),
            });
            let mut constraints = serde_json::Map::new();
            if PRIMARY_KEY.contains(&name) {
                constraints.insert("required".into(), Value::Bool(true));
            }
            if let Some(values) = allowed(name) {
                constraints.insert("enum".into(), json!(values));
            }
            if !constraints.is_empty() {
                field["constraints"] = Value::Object(constraints);
            }
            field
        })
        .collect();
    let package = json!({
        "profile": "tabular-data-package",
        "name": format!("oj-ekonomiskt-bistand-{year}"),
        "title": format!("Öppna jämförelser – ekonomiskt bistånd {year}"),
        "resources": [{
            "name": "indikatorer",
            "path": INDIKATORER_CSV,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": {
                "delimiter": ",",
                "header": true,
                "quoteChar": "\"",
                "doubleQuote": true,
                "lineTerminator": "\n",
            },
            "schema": {
                "fields": fields,
                "primaryKey": PRIMARY_KEY,
                "missingValues": [""],
            },
        }],
    });
    serde_json::to_vec_pretty(&package).map_err(|source| PublishError::Json {
        path: DATAPACKAGE.to_string(),
        source,
    })
}
