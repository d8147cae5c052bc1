//! A private DataFusion catalog for a stage's intermediate tables, and typed reads of small
//! query results.
//!
//! Guarantees: the caller's session keeps its catalog untouched (no temporary table names leak
//! into it); the scratch session shares the caller's configuration and runtime (memory limit,
//! spill directory, object stores), so it is the same engine, not a second one.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, SchemaRef};
use datafusion::common::ParamValues;
use datafusion::datasource::MemTable;
use datafusion::error::{DataFusionError, Result};
use datafusion::prelude::{DataFrame, SessionContext};
use std::sync::Arc;

/// A session with its own catalog, derived from the caller's session.
pub(crate) struct Scratch {
    ctx: SessionContext,
}

impl Scratch {
    /// A scratch session with the configuration and runtime of `parent`.
    pub(crate) fn new(parent: &SessionContext) -> Self {
        Scratch {
            ctx: super::private(parent),
        }
    }

    /// The scratch session itself, for reading batches back as a DataFrame.
    pub(crate) fn ctx(&self) -> &SessionContext {
        &self.ctx
    }

    /// Registers (or replaces) `name` as an in-memory table holding `batches`.
    pub(crate) fn put(
        &self,
        name: &str,
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
    ) -> Result<()> {
        let table = MemTable::try_new(schema, vec![batches])?;
        self.ctx.deregister_table(name)?;
        self.ctx.register_table(name, Arc::new(table))?;
        Ok(())
    }

    /// Collects `df` (from any session) and registers it as `name`.
    pub(crate) async fn put_frame(&self, name: &str, df: DataFrame) -> Result<()> {
        let schema = Arc::new(df.schema().as_arrow().clone());
        let batches = df.collect().await?;
        self.put(name, schema, batches)
    }

    /// Runs `sql` with named `$parameters` bound and returns the result as a DataFrame.
    pub(crate) async fn frame(
        &self,
        sql: &str,
        params: impl Into<ParamValues>,
    ) -> Result<DataFrame> {
        self.ctx.sql(sql).await?.with_param_values(params)
    }

    /// Runs `sql` with named `$parameters` bound and collects the result.
    pub(crate) async fn query(
        &self,
        sql: &str,
        params: impl Into<ParamValues>,
    ) -> Result<Vec<RecordBatch>> {
        self.frame(sql, params).await?.collect().await
    }

    /// Runs `sql` and registers its result as `name`.
    pub(crate) async fn materialize(
        &self,
        name: &str,
        sql: &str,
        params: impl Into<ParamValues>,
    ) -> Result<usize> {
        let df = self.frame(sql, params).await?;
        let schema = Arc::new(df.schema().as_arrow().clone());
        let batches = df.collect().await?;
        let rows = batches.iter().map(RecordBatch::num_rows).sum();
        self.put(name, schema, batches)?;
        Ok(rows)
    }
}

fn column(batch: &RecordBatch, index: usize, to: &DataType) -> Result<ArrayRef> {
    let array = batch
        .columns()
        .get(index)
        .ok_or_else(|| DataFusionError::Internal(format!("result has no column {index}")))?;
    Ok(cast(array, to)?)
}

/// Column `index` of `batch` as text (any string type), nulls as `None`.
pub(crate) fn texts(batch: &RecordBatch, index: usize) -> Result<Vec<Option<String>>> {
    let array = column(batch, index, &DataType::Utf8)?;
    let array = array.as_string::<i32>();
    Ok((0..array.len())
        .map(|i| array.is_valid(i).then(|| array.value(i).to_string()))
        .collect())
}

/// Column `index` of `batch` as 64-bit integers, nulls as `None`.
pub(crate) fn ints(batch: &RecordBatch, index: usize) -> Result<Vec<Option<i64>>> {
    let array = column(batch, index, &DataType::Int64)?;
    let array = array.as_primitive::<Int64Type>();
    Ok((0..array.len())
        .map(|i| array.is_valid(i).then(|| array.value(i)))
        .collect())
}

/// Column `index` of `batch` as doubles, nulls as `None`.
pub(crate) fn floats(batch: &RecordBatch, index: usize) -> Result<Vec<Option<f64>>> {
    let array = column(batch, index, &DataType::Float64)?;
    let array = array.as_primitive::<Float64Type>();
    Ok((0..array.len())
        .map(|i| array.is_valid(i).then(|| array.value(i)))
        .collect())
}
