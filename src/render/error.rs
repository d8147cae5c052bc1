//! Errors of the publication stage. Each names the input (which year's `indikatorer`), the row
//! (1-based, counted over all batches) and the column where there is one, and says how to fix it.

use thiserror::Error;

/// Why a workbook, report or profile could not be produced.
#[derive(Debug, Error)]
pub enum PublicationError {
    /// A required `indikatorer` column is absent.
    #[error(
        "{input}: column `{column}` is missing (hint: pass the final indikatorer rows with the columns of outputs.md)"
    )]
    MissingColumn {
        /// Which input, e.g. `indikatorer 2017`.
        input: String,
        /// The missing column.
        column: &'static str,
    },
    /// A column has a type the contract does not allow.
    #[error("{input}: column `{column}` has type {found}, expected {expected}")]
    ColumnType {
        /// Which input.
        input: String,
        /// The column.
        column: &'static str,
        /// What outputs.md requires.
        expected: &'static str,
        /// What was found.
        found: String,
    },
    /// A row breaks a rule of the `indikatorer` contract.
    #[error("{input}: row {row}: column `{column}` = {value:?}: {rule}")]
    BadValue {
        /// Which input.
        input: String,
        /// 1-based row over all batches.
        row: usize,
        /// The column.
        column: &'static str,
        /// The offending value as text.
        value: String,
        /// The rule broken and how to fix it.
        rule: String,
    },
    /// Two rows share (`ar`, `indikator`, `niva`, `region`, `grupp`).
    #[error(
        "{input}: row {row}: duplicate key ({key}); indikatorer is unique on (ar, indikator, niva, region, grupp)"
    )]
    DuplicateKey {
        /// Which input.
        input: String,
        /// 1-based row of the second occurrence.
        row: usize,
        /// The key.
        key: String,
    },
    /// An indicator in the rows has no metadata, so it cannot be named or defined.
    #[error(
        "{input}: indicator `{id}` has no metadata (hint: define it under `indicators:` in pipelines/ekonomiskt_bistand.yaml, or with the survey indicators in pipelines/enkat.yaml)"
    )]
    UnknownIndicator {
        /// Which input.
        input: String,
        /// The indicator id.
        id: String,
    },
    /// The metadata lists an indicator twice.
    #[error("indicator metadata lists `{id}` twice (hint: ids must be unique across pipelines/)")]
    DuplicateMeta {
        /// The repeated id.
        id: String,
    },
    /// The project's indicator configuration cannot be published.
    #[error("indicator `{id}`: {message}")]
    BadMetadata {
        /// The indicator id.
        id: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The profile was asked for a region that is not a kommun or stadsdel of the release.
    #[error(
        "region `{code}` is not a kommun or stadsdel in the {year} release (hint: give a 4-digit kommun code or a 6-character stadsdel code that has indicator rows)"
    )]
    UnknownRegion {
        /// The code asked for.
        code: String,
        /// The release year.
        year: i64,
    },
    /// The Excel writer failed.
    #[error("writing the Excel workbook failed: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// A chart could not be drawn.
    #[error("drawing chart `{chart}` failed: {message}")]
    Chart {
        /// Which chart.
        chart: String,
        /// What plotters said.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::PublicationError;

    #[test]
    fn errors_can_cross_threads_boxed() {
        // The publish stage boxes them as `Box<dyn Error + Send + Sync>`.
        fn boxable<E: std::error::Error + Send + Sync + 'static>() {}
        boxable::<PublicationError>();
    }
}
