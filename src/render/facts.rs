//! Per-kommun facts for the publication (sorting keys and comparison groups) read from the rows
//! of the `int_kommun` model: `kommun`, `lan`, `kommungrupp`, `befolkning` (population 31 Dec)
//! and `storleksklass`; other columns are ignored.
//!
//! Guarantees: one entry per kommun code; a kommun listed twice is refused.

use super::columns::{int, text};
use super::error::PublicationError;
use super::input::RegionFacts;
use arrow::array::Array;
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use std::collections::BTreeMap;

const INPUT: &str = "int_kommun";

/// The facts of every kommun in `kommuner` (batches of `int_kommun` for the release year).
pub fn region_facts(
    kommuner: &[RecordBatch],
) -> Result<BTreeMap<String, RegionFacts>, PublicationError> {
    let mut facts = BTreeMap::new();
    let mut offset = 0;
    for batch in kommuner {
        let kommun = text(INPUT, batch, "kommun")?;
        let lan = text(INPUT, batch, "lan")?;
        let grupp = text(INPUT, batch, "kommungrupp")?;
        let klass = text(INPUT, batch, "storleksklass")?;
        let folk = int(
            INPUT,
            batch,
            "befolkning",
            &[
                DataType::Int64,
                DataType::Int32,
                DataType::UInt64,
                DataType::UInt32,
            ],
        )?;
        let opt = |a: &arrow::array::StringArray, i: usize| {
            (!a.is_null(i)).then(|| a.value(i).to_string())
        };
        for i in 0..batch.num_rows() {
            let line = offset + i + 1;
            let Some(code) = opt(&kommun, i) else {
                return Err(PublicationError::BadValue {
                    input: INPUT.to_string(),
                    row: line,
                    column: "kommun",
                    value: "null".to_string(),
                    rule: "must not be null".to_string(),
                });
            };
            let entry = RegionFacts {
                lan: opt(&lan, i),
                kommungrupp: opt(&grupp, i),
                storleksklass: opt(&klass, i),
                folkmangd: (!folk.is_null(i)).then(|| folk.value(i)),
            };
            if facts.insert(code.clone(), entry).is_some() {
                return Err(PublicationError::BadValue {
                    input: INPUT.to_string(),
                    row: line,
                    column: "kommun",
                    value: code,
                    rule: "listed twice; one row per kommun".to_string(),
                });
            }
        }
        offset += batch.num_rows();
    }
    Ok(facts)
}
