//! Typed access to named columns of a RecordBatch: the column must exist and have one of the
//! types the input contract allows (text as Utf8, LargeUtf8 or Utf8View – Parquet read back
//! through DataFusion gives views); it is cast to one concrete array type. Errors name the input,
//! the column, the expected and the found type.

use super::error::PublicationError;
use arrow::array::{Array, Float64Array, Int64Array, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;

/// The column `name` of `batch`.
fn column<'b>(
    input: &str,
    batch: &'b RecordBatch,
    name: &'static str,
) -> Result<&'b dyn Array, PublicationError> {
    batch
        .column_by_name(name)
        .map(|c| c.as_ref())
        .ok_or_else(|| PublicationError::MissingColumn {
            input: input.to_string(),
            column: name,
        })
}

/// Casts `array` (of one of the `allowed` types) to the concrete array type `T`.
fn cast_as<T: Array + Clone + 'static>(
    input: &str,
    array: &dyn Array,
    name: &'static str,
    allowed: &[DataType],
    target: &DataType,
    expected: &'static str,
) -> Result<T, PublicationError> {
    let wrong = || PublicationError::ColumnType {
        input: input.to_string(),
        column: name,
        expected,
        found: array.data_type().to_string(),
    };
    if !allowed.contains(array.data_type()) {
        return Err(wrong());
    }
    let casted = cast(array, target).map_err(|_| wrong())?;
    casted
        .as_any()
        .downcast_ref::<T>()
        .cloned()
        .ok_or_else(wrong)
}

pub(super) fn text(
    input: &str,
    batch: &RecordBatch,
    name: &'static str,
) -> Result<StringArray, PublicationError> {
    cast_as(
        input,
        column(input, batch, name)?,
        name,
        &[DataType::Utf8, DataType::LargeUtf8, DataType::Utf8View],
        &DataType::Utf8,
        "Utf8",
    )
}

pub(super) fn float(
    input: &str,
    batch: &RecordBatch,
    name: &'static str,
) -> Result<Float64Array, PublicationError> {
    cast_as(
        input,
        column(input, batch, name)?,
        name,
        &[DataType::Float64, DataType::Null],
        &DataType::Float64,
        "Float64",
    )
}

/// An integer column of one of the `allowed` types, as Int64.
pub(super) fn int(
    input: &str,
    batch: &RecordBatch,
    name: &'static str,
    allowed: &[DataType],
) -> Result<Int64Array, PublicationError> {
    cast_as(
        input,
        column(input, batch, name)?,
        name,
        allowed,
        &DataType::Int64,
        "Int64",
    )
}
