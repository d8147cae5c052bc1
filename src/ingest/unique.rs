//! Unique keys of a drop, checked without holding the drop: while the checked rows stream to the
//! staged file, each unique key's columns (with `_file` and `_line`) stream into a DataFusion
//! aggregation of the duplicated keys and the first occurrence of each ([`find`]; it spills under
//! the memory limit like any aggregation). Usually nothing is duplicated and the pass stands. When
//! something is, the drop is read a second time with the duplicated keys known (a small table) and
//! each later occurrence is rejected as it passes ([`Duplicates::mark`]): rule id and message are
//! appended to the row's other broken rules, exactly as if the rule had been one more column rule.

use super::read::LINE_COLUMN;
use super::validate::{FILE_COLUMN, REASON_COLUMN, RULES_COLUMN};
use crate::config::Contract;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{Int64Type, SchemaRef};
use datafusion::arrow::row::{OwnedRow, RowConverter, SortField};
use datafusion::error::{DataFusionError, Result};
use datafusion::functions_aggregate::expr_fn::{count, min};
use datafusion::logical_expr::{ident, lit};
use datafusion::prelude::DataFrame;
use std::collections::HashMap;
use std::sync::Arc;

/// Orders rows across files: `_file * LINE_FACTOR + _line`.
pub(super) const LINE_FACTOR: i64 = 1_000_000_000;

const FIRST: &str = "__ufirst";
const HASH: &str = "__uhash";
const COUNT: &str = "__ucount";

/// The duplicated keys of each unique key of the contract (in contract order) with the place of
/// their first occurrence.
#[derive(Debug)]
pub(super) struct Duplicates {
    keys: Vec<KeyDuplicates>,
    file_names: Vec<String>,
}

#[derive(Debug)]
struct KeyDuplicates {
    id: String,
    columns: Vec<String>,
    converter: RowConverter,
    first: HashMap<OwnedRow, i64>,
}

/// The columns fed to the aggregation of unique key `i` (its columns, `_file`, `_line`).
pub(super) fn key_columns(contract: &Contract, i: usize) -> Vec<String> {
    let mut columns = contract.uniques[i].columns.clone();
    columns.push(FILE_COLUMN.to_string());
    columns.push(LINE_COLUMN.to_string());
    columns
}

/// Projects a checked batch to the columns of unique key `i` ([`key_columns`]).
pub(super) fn key_batch(
    batch: &RecordBatch,
    contract: &Contract,
    i: usize,
) -> std::result::Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    let indices: Vec<usize> = key_columns(contract, i)
        .iter()
        .map(|c| batch.schema().index_of(c))
        .collect::<std::result::Result<_, _>>()?;
    batch.project(&indices)
}

/// How [`find`] looks for duplicated keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FindBy {
    /// Groups the rows on one 64-bit hash of their key ([`crate::key_hash`]) and returns at most
    /// one hash that appears twice: none proves that no key does; one may be a duplicate or two
    /// keys that hash alike, which only [`FindBy::Key`] tells apart.
    Hash,
    /// Groups the rows on the key columns: the duplicated keys with their first occurrence.
    Key,
}

/// The duplicated values of one unique key in `rows` (the key's columns, `_file`, `_line`) with
/// their first occurrence: the key columns and `__ufirst` (by [`FindBy::Key`]; by
/// [`FindBy::Hash`], at most one row holding a repeated hash, `__uhash`, and no rows when no key is
/// duplicated). A key with a NULL is
/// never a duplicate (NULLs do not match, as in a join).
pub(super) async fn find(
    rows: DataFrame,
    columns: &[String],
    by: FindBy,
) -> Result<Vec<RecordBatch>> {
    if by == FindBy::Hash {
        let complete = columns
            .iter()
            .map(|c| ident(c).is_not_null())
            .reduce(|a, b| a.and(b))
            .unwrap_or(lit(true));
        let hash = crate::key_hash::udf().call(columns.iter().map(ident).collect());
        return rows
            .filter(complete)?
            .aggregate(vec![hash.alias(HASH)], vec![count(lit(1)).alias(COUNT)])?
            .filter(ident(COUNT).gt(lit(1i64)))?
            .select(vec![ident(HASH)])?
            .limit(0, Some(1))?
            .collect()
            .await;
    }
    let order = ident(FILE_COLUMN) * lit(LINE_FACTOR) + ident(LINE_COLUMN);
    let group = columns.iter().map(ident).collect();
    let mut select: Vec<_> = columns.iter().map(ident).collect();
    select.push(ident(FIRST));
    rows.aggregate(
        group,
        vec![min(order).alias(FIRST), count(lit(1)).alias(COUNT)],
    )?
    .filter(ident(COUNT).gt(lit(1i64)))?
    .select(select)?
    .collect()
    .await
}

impl Duplicates {
    /// The duplicates found by [`find`] for each unique key of `contract` (`found[i]` for key
    /// `i`); `None` when no key is duplicated.
    pub(super) fn new(
        contract: &Contract,
        found: Vec<Vec<RecordBatch>>,
        file_names: &[String],
    ) -> Result<Option<Duplicates>> {
        if found.iter().flatten().all(|b| b.num_rows() == 0) {
            return Ok(None);
        }
        let mut keys = Vec::new();
        for (key, batches) in contract.uniques.iter().zip(found) {
            let n = key.columns.len();
            let schema: Option<SchemaRef> = batches.first().map(|b| b.schema());
            let fields = match &schema {
                Some(s) => s.fields()[..n]
                    .iter()
                    .map(|f| SortField::new(f.data_type().clone()))
                    .collect(),
                None => Vec::new(),
            };
            let converter = RowConverter::new(fields)?;
            let mut first = HashMap::new();
            for batch in &batches {
                if batch.num_rows() == 0 {
                    continue;
                }
                let rows = converter.convert_columns(&batch.columns()[..n])?;
                let firsts = batch.column(n).as_primitive::<Int64Type>();
                for i in 0..batch.num_rows() {
                    if batch.columns()[..n].iter().any(|c| c.is_null(i)) {
                        continue;
                    }
                    first.insert(rows.row(i).owned(), firsts.value(i));
                }
            }
            keys.push(KeyDuplicates {
                id: key.id.clone(),
                columns: key.columns.clone(),
                converter,
                first,
            });
        }
        Ok(Some(Duplicates {
            keys,
            file_names: file_names.to_vec(),
        }))
    }

    /// Adds the broken unique keys to the `_rules` and `_reason` of a checked batch: every row
    /// whose key was seen first on another line.
    pub(super) fn mark(&self, batch: RecordBatch) -> Result<RecordBatch> {
        let schema = batch.schema();
        let column =
            |name: &str| -> Result<ArrayRef> { Ok(batch.column(schema.index_of(name)?).clone()) };
        let files = column(FILE_COLUMN)?;
        let lines = column(LINE_COLUMN)?;
        let files = files.as_primitive::<Int64Type>();
        let lines = lines.as_primitive::<Int64Type>();
        let rules_at = schema.index_of(RULES_COLUMN)?;
        let reasons_at = schema.index_of(REASON_COLUMN)?;
        let texts = |at: usize| -> Vec<String> {
            batch
                .column(at)
                .as_string::<i32>()
                .iter()
                .map(|s| s.unwrap_or_default().to_string())
                .collect()
        };
        let mut rules = texts(rules_at);
        let mut reasons = texts(reasons_at);
        let mut changed = false;
        for key in &self.keys {
            if key.first.is_empty() {
                continue;
            }
            let columns: Vec<ArrayRef> = key
                .columns
                .iter()
                .map(|c| column(c))
                .collect::<Result<_>>()?;
            let rows = key.converter.convert_columns(&columns)?;
            for i in 0..batch.num_rows() {
                if columns.iter().any(|c| c.is_null(i)) {
                    continue;
                }
                let Some(&first) = key.first.get(&rows.row(i).owned()) else {
                    continue;
                };
                let order = files.value(i) * LINE_FACTOR + lines.value(i);
                if order == first {
                    continue;
                }
                let (first_file, first_line) = (first / LINE_FACTOR, first % LINE_FACTOR);
                let place = if self.file_names.len() > 1 {
                    let name = usize::try_from(first_file)
                        .ok()
                        .and_then(|f| self.file_names.get(f))
                        .map_or("?", String::as_str);
                    format!("{name}:{first_line}")
                } else {
                    format!("line {first_line}")
                };
                let message = format!(
                    "duplicate of ({}): first at {place}",
                    key.columns.join(", ")
                );
                append(&mut rules[i], ",", &key.id);
                append(&mut reasons[i], "; ", &message);
                changed = true;
            }
        }
        if !changed {
            return Ok(batch);
        }
        let mut columns = batch.columns().to_vec();
        columns[rules_at] = Arc::new(StringArray::from(rules));
        columns[reasons_at] = Arc::new(StringArray::from(reasons));
        RecordBatch::try_new(schema, columns).map_err(DataFusionError::from)
    }
}

fn append(list: &mut String, separator: &str, item: &str) {
    if !list.is_empty() {
        list.push_str(separator);
    }
    list.push_str(item);
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::prelude::SessionContext;

    /// Rows of a key (`k`, `n`) with `_file` 0 and `_line` 1, 2, …
    fn rows(keys: &[(Option<&str>, Option<i64>)]) -> DataFrame {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Utf8, true),
            Field::new("n", DataType::Int64, true),
            Field::new(FILE_COLUMN, DataType::Int64, false),
            Field::new(LINE_COLUMN, DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(
                    keys.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
                )),
                Arc::new(Int64Array::from(
                    keys.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
                )),
                Arc::new(Int64Array::from(vec![0; keys.len()])),
                Arc::new(Int64Array::from(
                    (1..=keys.len() as i64).collect::<Vec<_>>(),
                )),
            ],
        )
        .unwrap();
        SessionContext::new().read_batch(batch).unwrap()
    }

    async fn found(keys: &[(Option<&str>, Option<i64>)], by: FindBy) -> usize {
        let columns = ["k".to_string(), "n".to_string()];
        find(rows(keys), &columns, by)
            .await
            .unwrap()
            .iter()
            .map(|b| b.num_rows())
            .sum()
    }

    #[tokio::test]
    async fn a_hash_appearing_twice_is_found_and_a_key_with_a_null_never_is() {
        let unique = [
            (Some("a"), Some(1)),
            (Some("a"), Some(2)),
            (Some("b"), Some(1)),
        ];
        assert_eq!(found(&unique, FindBy::Hash).await, 0);
        assert_eq!(found(&unique, FindBy::Key).await, 0);
        // Two duplicated keys: by hash at most one row says so; by key, both keys.
        let twice = [
            (Some("a"), Some(1)),
            (Some("a"), Some(1)),
            (Some("b"), Some(1)),
            (Some("b"), Some(1)),
        ];
        assert_eq!(found(&twice, FindBy::Hash).await, 1);
        assert_eq!(found(&twice, FindBy::Key).await, 2);
        // A key with a NULL is never a duplicate.
        let nulls = [
            (Some("a"), None),
            (Some("a"), None),
            (None, Some(1)),
            (None, Some(1)),
        ];
        assert_eq!(found(&nulls, FindBy::Hash).await, 0);
    }
}
