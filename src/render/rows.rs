//! Decoding and checking the `indikatorer` batches (outputs.md) into typed rows with a key index.
//!
//! Guarantees: every returned row satisfies the contract the publication relies on – known
//! `niva`, `grupp` and `status`; a value exactly when the status is empty; no value, numerator,
//! denominator or change on a suppressed row; finite numbers; the expected year; a unique key.

use super::columns::{float, int, text};
use super::error::PublicationError;
use crate::vocab::{Grupp, Niva, Status};
use arrow::array::{Array, Float64Array, Int64Array, StringArray};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use std::collections::HashMap;

/// The Swedish label of a group as shown to readers (the text itself when it is no group).
pub(crate) fn group_label(grupp: &str) -> &str {
    match Grupp::parse(grupp) {
        Some(g) => g.label(),
        None => grupp,
    }
}

/// One `indikatorer` row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub indikator: String,
    pub niva: Niva,
    pub region: String,
    pub regionnamn: String,
    pub grupp: String,
    pub varde: Option<f64>,
    pub namnare: Option<f64>,
    pub status: Status,
    pub foregaende: Option<f64>,
    pub forandring: Option<f64>,
}

/// What a reader sees in a cell: a number or a marker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cell {
    Value(f64),
    Marker(Status),
}

impl Row {
    /// The published cell: the value when the status is empty, else the marker.
    pub(crate) fn cell(&self) -> Cell {
        match (self.status, self.varde) {
            (Status::Published, Some(v)) => Cell::Value(v),
            (status, _) => Cell::Marker(status),
        }
    }
}

/// The key of a row without the year.
type Key = (String, Niva, String, String);

/// The checked rows of one year's `indikatorer`, in input order, with a key index.
#[derive(Debug)]
pub(crate) struct Table {
    pub year: i64,
    pub rows: Vec<Row>,
    index: HashMap<Key, usize>,
}

impl Table {
    /// Decodes and checks `batches`; `input` names them in errors (e.g. `indikatorer 2017`).
    pub(crate) fn decode(
        input: &str,
        year: i64,
        batches: &[RecordBatch],
    ) -> Result<Table, PublicationError> {
        let mut table = Table {
            year,
            rows: Vec::new(),
            index: HashMap::new(),
        };
        let mut offset = 0;
        for batch in batches {
            let cols = Columns::of(input, batch)?;
            for i in 0..batch.num_rows() {
                let line = offset + i + 1;
                let row = cols.row(input, year, i, line)?;
                let key = (
                    row.indikator.clone(),
                    row.niva,
                    row.region.clone(),
                    row.grupp.clone(),
                );
                if table.index.contains_key(&key) {
                    return Err(PublicationError::DuplicateKey {
                        input: input.to_string(),
                        row: line,
                        key: format!("{year}, {}, {}, {}, {}", key.0, key.1.label(), key.2, key.3),
                    });
                }
                table.index.insert(key, table.rows.len());
                table.rows.push(row);
            }
            offset += batch.num_rows();
        }
        Ok(table)
    }

    /// The row for an indicator, level, region and group, if published.
    pub(crate) fn get(
        &self,
        indikator: &str,
        niva: Niva,
        region: &str,
        grupp: &str,
    ) -> Option<&Row> {
        self.index
            .get(&(
                indikator.to_string(),
                niva,
                region.to_string(),
                grupp.to_string(),
            ))
            .map(|&i| &self.rows[i])
    }

    /// The distinct (code, name) of the regions of a level, sorted by code.
    pub(crate) fn regions(&self, niva: Niva) -> Vec<(String, String)> {
        let mut seen: Vec<(String, String)> = self
            .rows
            .iter()
            .filter(|r| r.niva == niva)
            .map(|r| (r.region.clone(), r.regionnamn.clone()))
            .collect();
        seen.sort();
        seen.dedup_by(|a, b| a.0 == b.0);
        seen
    }
}

/// The columns of one batch, cast to the types the contract allows.
struct Columns {
    ar: Int64Array,
    indikator: StringArray,
    niva: StringArray,
    region: StringArray,
    regionnamn: StringArray,
    grupp: StringArray,
    varde: Float64Array,
    taljare: Float64Array,
    namnare: Float64Array,
    status: StringArray,
    foregaende: Float64Array,
    forandring: Float64Array,
}

impl Columns {
    fn of(input: &str, batch: &RecordBatch) -> Result<Columns, PublicationError> {
        Ok(Columns {
            ar: int(input, batch, "ar", &[DataType::Int64])?,
            indikator: text(input, batch, "indikator")?,
            niva: text(input, batch, "niva")?,
            region: text(input, batch, "region")?,
            regionnamn: text(input, batch, "regionnamn")?,
            grupp: text(input, batch, "grupp")?,
            varde: float(input, batch, "varde")?,
            taljare: float(input, batch, "taljare")?,
            namnare: float(input, batch, "namnare")?,
            status: text(input, batch, "status")?,
            foregaende: float(input, batch, "varde_foregaende_ar")?,
            forandring: float(input, batch, "forandring")?,
        })
    }

    /// Reads and checks row `i` (`line` is its 1-based number over all batches).
    fn row(&self, input: &str, year: i64, i: usize, line: usize) -> Result<Row, PublicationError> {
        let bad = |column: &'static str, value: String, rule: &str| PublicationError::BadValue {
            input: input.to_string(),
            row: line,
            column,
            value,
            rule: rule.to_string(),
        };
        let required = |array: &StringArray, column: &'static str| {
            if array.is_null(i) {
                Err(bad(column, "null".into(), "must not be null"))
            } else {
                Ok(array.value(i).to_string())
            }
        };
        let number = |array: &Float64Array, column: &'static str| {
            if array.is_null(i) {
                return Ok(None);
            }
            let v = array.value(i);
            if v.is_finite() {
                Ok(Some(v))
            } else {
                Err(bad(
                    column,
                    v.to_string(),
                    "must be a finite number or null",
                ))
            }
        };
        if self.ar.is_null(i) || self.ar.value(i) != year {
            let found = if self.ar.is_null(i) {
                "null".to_string()
            } else {
                self.ar.value(i).to_string()
            };
            return Err(bad("ar", found, &format!("expected the year {year}")));
        }
        let niva_text = required(&self.niva, "niva")?;
        let niva = Niva::parse(&niva_text).ok_or_else(|| {
            bad(
                "niva",
                niva_text.clone(),
                "unknown level (riket, lan, kommun, stadsdel, kommungrupp, storleksklass)",
            )
        })?;
        let grupp = required(&self.grupp, "grupp")?;
        if Grupp::parse(&grupp).is_none() {
            return Err(bad(
                "grupp",
                grupp,
                "unknown group (totalt, kvinnor, man, inrikes, utrikes)",
            ));
        }
        let status_text = required(&self.status, "status")?;
        let status = Status::parse(&status_text).ok_or_else(|| {
            bad(
                "status",
                status_text.clone(),
                "unknown status ('' published, '..' suppressed, '-' missing, '.' not applicable)",
            )
        })?;
        let varde = number(&self.varde, "varde")?;
        let taljare = number(&self.taljare, "taljare")?;
        let namnare = number(&self.namnare, "namnare")?;
        let foregaende = number(&self.foregaende, "varde_foregaende_ar")?;
        let forandring = number(&self.forandring, "forandring")?;
        match (status, varde) {
            (Status::Published, None) => {
                return Err(bad(
                    "varde",
                    "null".into(),
                    "a published row (status '') needs a value",
                ));
            }
            (Status::Published, Some(_)) | (_, None) => {}
            (_, Some(v)) => {
                return Err(bad(
                    "varde",
                    v.to_string(),
                    &format!("status '{}' rows must have no value", status.marker()),
                ));
            }
        }
        if status == Status::Suppressed {
            for (column, value) in [("taljare", taljare), ("namnare", namnare)] {
                if let Some(v) = value {
                    return Err(bad(
                        column,
                        v.to_string(),
                        "a suppressed row ('..') must publish no numerator or denominator",
                    ));
                }
            }
        }
        if let (true, Some(v)) = (status != Status::Published, forandring) {
            return Err(bad(
                "forandring",
                v.to_string(),
                "a row without a published value must have no change (it would reveal the value)",
            ));
        }
        Ok(Row {
            indikator: required(&self.indikator, "indikator")?,
            niva,
            region: required(&self.region, "region")?,
            regionnamn: required(&self.regionnamn, "regionnamn")?,
            grupp,
            varde,
            namnare,
            status,
            foregaende,
            forandring,
        })
    }
}
