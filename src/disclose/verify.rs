//! The blocking verification of a release table: no suppressed cell carrying a number, no
//! person or household identifier. (Whether suppressed cells can be recovered from the
//! published ones is the intruder audit's question, [`super::audit`].)
//!
//! Guarantees: every violation found is returned (identifier values: at most
//! [`MAX_VALUES_PER_COLUMN`] per column, enough to act on), in a deterministic order; an empty
//! list means the table passed.

use super::error::DiscloseError;
use super::stage::checks::require_columns;
use crate::session::scratch::{Scratch, ints, texts};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::DataType;
use datafusion::functions::regex::expr_fn::regexp_like;
use datafusion::prelude::{DataFrame, SessionContext, cast, col, ident, lit};
use std::fmt;

/// How many identifier-looking values are reported per column.
pub(crate) const MAX_VALUES_PER_COLUMN: usize = 20;

/// Person and household ids in the register are 16 lowercase hexadecimal characters.
const ID_PATTERN: &str = "^[0-9a-f]{16}$";

/// Column names that announce a person or household id (lowercased prefixes).
const ID_COLUMN_PREFIXES: [&str; 2] = ["pnr", "hushall"];

/// Columns that must be null in a suppressed cell. `forandring` is among them: with the previous
/// year's value published, the change would reveal the suppressed value.
const NUMBER_COLUMNS: [&str; 4] = ["varde", "taljare", "namnare", "forandring"];

/// The key of one cell of the release table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellKey {
    /// Year.
    pub ar: i64,
    /// Indicator id.
    pub indikator: String,
    /// Level.
    pub niva: String,
    /// Region code.
    pub region: String,
    /// Group.
    pub grupp: String,
}

impl fmt::Display for CellKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {}",
            self.ar, self.indikator, self.niva, self.region, self.grupp
        )
    }
}

/// One way a release table could disclose confidential data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// A suppressed cell that still carries a number.
    SuppressedCarriesNumber {
        /// The cell.
        cell: CellKey,
        /// The column holding a value.
        column: String,
    },
    /// A column whose name announces a person or household id.
    IdentifierColumn {
        /// The column name.
        column: String,
    },
    /// A value shaped like a person or household id (16 lowercase hex characters).
    IdentifierValue {
        /// The cell.
        cell: CellKey,
        /// The column holding it.
        column: String,
        /// The value.
        value: String,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::SuppressedCarriesNumber { cell, column } => write!(
                f,
                "{cell}: suppressed cell ('..') carries a value in column {column} (hint: \
                 suppressed cells publish no number)"
            ),
            Violation::IdentifierColumn { column } => write!(
                f,
                "column {column} looks like a person or household id column (hint: ids never \
                 reach a release; drop the column)"
            ),
            Violation::IdentifierValue {
                cell,
                column,
                value,
            } => write!(
                f,
                "{cell}: column {column} holds {value:?}, shaped like a person or household id \
                 (hint: ids never reach a release)"
            ),
        }
    }
}

/// Verifies a release table (at least the key columns and `status`; the number columns that are
/// present are checked).
pub async fn verify(
    ctx: &SessionContext,
    release: DataFrame,
) -> Result<Vec<Violation>, DiscloseError> {
    require_columns(
        "release table",
        &release,
        &["ar", "indikator", "niva", "region", "grupp", "status"],
    )?;
    let mut violations = Vec::new();
    let fields: Vec<(String, DataType)> = release
        .schema()
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().clone()))
        .collect();

    let scratch = Scratch::new(ctx);
    scratch.put_frame("release", release).await?;
    let table = scratch.ctx().table("release").await?;
    for (name, _) in fields
        .iter()
        .filter(|(n, _)| NUMBER_COLUMNS.contains(&n.as_str()))
    {
        let found = table
            .clone()
            .filter(col("status").eq(lit("..")).and(ident(name).is_not_null()))?
            .sort_by(key_exprs())?
            .select(key_exprs())?
            .collect()
            .await?;
        for batch in &found {
            violations.extend(keys(batch, 0)?.into_iter().map(|cell| {
                Violation::SuppressedCarriesNumber {
                    cell,
                    column: name.clone(),
                }
            }));
        }
    }

    for (name, data_type) in &fields {
        let lower = name.to_lowercase();
        if ID_COLUMN_PREFIXES.iter().any(|p| lower.starts_with(p)) {
            violations.push(Violation::IdentifierColumn {
                column: name.clone(),
            });
        }
        if !matches!(
            data_type,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        ) {
            continue;
        }
        let text = cast(ident(name), DataType::Utf8);
        let mut select = key_exprs();
        select.push(text.clone().alias("value"));
        let found = table
            .clone()
            .filter(regexp_like(text, lit(ID_PATTERN), None))?
            .sort_by(key_exprs())?
            .limit(0, Some(MAX_VALUES_PER_COLUMN))?
            .select(select)?
            .collect()
            .await?;
        for batch in &found {
            let values = texts(batch, 5)?;
            violations.extend(
                keys(batch, 0)?
                    .into_iter()
                    .zip(values)
                    .map(|(cell, value)| Violation::IdentifierValue {
                        cell,
                        column: name.clone(),
                        value: value.unwrap_or_default(),
                    }),
            );
        }
    }
    Ok(violations)
}

fn key_exprs() -> Vec<datafusion::prelude::Expr> {
    ["ar", "indikator", "niva", "region", "grupp"]
        .into_iter()
        .map(col)
        .collect()
}

/// Cell keys from columns `from..from + 5` (ar, indikator, niva, region, grupp).
fn keys(batch: &RecordBatch, from: usize) -> Result<Vec<CellKey>, DiscloseError> {
    let ar = ints(batch, from)?;
    let indikator = texts(batch, from + 1)?;
    let niva = texts(batch, from + 2)?;
    let region = texts(batch, from + 3)?;
    let grupp = texts(batch, from + 4)?;
    Ok(ar
        .into_iter()
        .zip(indikator)
        .zip(niva)
        .zip(region)
        .zip(grupp)
        .map(|((((ar, indikator), niva), region), grupp)| CellKey {
            ar: ar.unwrap_or_default(),
            indikator: indikator.unwrap_or_default(),
            niva: niva.unwrap_or_default(),
            region: region.unwrap_or_default(),
            grupp: grupp.unwrap_or_default(),
        })
        .collect())
}
