//! A field's text as validation reads it: surrounding spaces trimmed, NULL when nothing is left –
//! exactly `CASE WHEN octet_length(btrim(c)) > 0 THEN btrim(c) END` (`btrim` with one argument
//! trims the ASCII space only; a tab stays).
//!
//! A scalar function of its own because almost no field of a delivery has a space to trim:
//! when no value of a batch's column needs a change, the column is passed on as it is (one scan of
//! its offsets and first and last bytes) instead of being copied twice, once by `btrim` and once by
//! the `CASE` (a tenth of the register's ingest, perf: docs/benchmarks.md, session 12).

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use std::sync::Arc;

/// `trimmed(expr)`: the text of `expr` (Utf8) trimmed of spaces, NULL when empty.
pub fn trimmed(expr: Expr) -> Expr {
    ScalarUDF::from(Trimmed::new()).call(vec![expr])
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Trimmed {
    signature: Signature,
}

impl Trimmed {
    fn new() -> Trimmed {
        Trimmed {
            signature: Signature::exact(vec![DataType::Utf8], Volatility::Immutable),
        }
    }
}

/// The value trimmed of spaces, `None` when nothing is left.
fn trim(value: &str) -> Option<&str> {
    Some(value.trim_matches(' ')).filter(|t| !t.is_empty())
}

/// True when `value` is not already its own [`trim`].
fn needs_trim(value: &[u8]) -> bool {
    matches!(value.first(), None | Some(b' ')) || value.last() == Some(&b' ')
}

/// The column trimmed: the same array when no value changes.
fn trim_array(array: &StringArray) -> ArrayRef {
    let offsets = array.value_offsets();
    let values = array.value_data();
    let changes = (0..array.len()).any(|i| {
        array.is_valid(i) && needs_trim(&values[offsets[i] as usize..offsets[i + 1] as usize])
    });
    if !changes {
        return Arc::new(array.clone());
    }
    Arc::new(
        array
            .iter()
            .map(|v| v.and_then(trim))
            .collect::<StringArray>(),
    )
}

impl ScalarUDFImpl for Trimmed {
    fn name(&self) -> &str {
        "oj_trimmed"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match args.args.as_slice() {
            [ColumnarValue::Array(array)] => match array.as_string_opt::<i32>() {
                Some(strings) => Ok(ColumnarValue::Array(trim_array(strings))),
                None => exec_err!("oj_trimmed takes Utf8 text, not {}", array.data_type()),
            },
            [ColumnarValue::Scalar(ScalarValue::Utf8(value))] => Ok(ColumnarValue::Scalar(
                ScalarValue::Utf8(value.as_deref().and_then(trim).map(str::to_string)),
            )),
            other => exec_err!("oj_trimmed takes one Utf8 argument, got {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::RecordBatch;
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::logical_expr::ident;
    use datafusion::prelude::SessionContext;

    /// `values` as column `c`, and the columns of `exprs` over it.
    async fn columns(values: Vec<Option<&str>>, exprs: Vec<Expr>) -> (ArrayRef, Vec<ArrayRef>) {
        let input: ArrayRef = Arc::new(StringArray::from(values));
        let schema = Arc::new(Schema::new(vec![Field::new("c", DataType::Utf8, true)]));
        let batch = RecordBatch::try_new(schema, vec![input.clone()]).unwrap();
        let out = SessionContext::new()
            .read_batch(batch)
            .unwrap()
            .select(exprs)
            .unwrap()
            .collect()
            .await
            .unwrap();
        (input, out[0].columns().to_vec())
    }

    async fn through_engine(values: Vec<Option<&str>>) -> (ArrayRef, ArrayRef) {
        let (input, mut out) = columns(values, vec![trimmed(ident("c")).alias("t")]).await;
        (input, out.remove(0))
    }

    #[tokio::test]
    async fn spaces_are_trimmed_and_blank_text_is_null_as_btrim_and_case_do() {
        let (_, out) = through_engine(vec![
            Some(" 0180 "),
            Some("   "),
            None,
            Some("a b"),
            Some("\tx "),
            Some("ö "),
        ])
        .await;
        let out: Vec<Option<&str>> = out.as_string::<i32>().iter().collect();
        assert_eq!(
            out,
            vec![
                Some("0180"),
                None,
                None,
                Some("a b"),
                Some("\tx"),
                Some("ö")
            ]
        );
    }

    #[tokio::test]
    async fn it_gives_what_btrim_and_case_give() {
        use datafusion::functions::expr_fn::{btrim, octet_length};
        use datafusion::logical_expr::{lit, when};
        let values = vec![
            Some(" 1"),
            Some("2 "),
            Some("  "),
            Some(""),
            None,
            Some("x"),
            Some(" \t "),
            Some("a  b"),
            Some("\u{a0}y"),
        ];
        let t = btrim(vec![ident("c")]);
        let sql = when(octet_length(t.clone()).gt(lit(0)), t).end().unwrap();
        let (_, out) = columns(
            values,
            vec![trimmed(ident("c")).alias("ours"), sql.alias("sql")],
        )
        .await;
        let ours: Vec<Option<&str>> = out[0].as_string::<i32>().iter().collect();
        let sql: Vec<Option<&str>> = out[1].as_string::<i32>().iter().collect();
        assert_eq!(ours, sql);
    }

    #[tokio::test]
    async fn a_column_with_nothing_to_trim_is_passed_on_without_a_copy() {
        let (input, out) = through_engine(vec![Some("0180"), None, Some("a b")]).await;
        let (input, out) = (input.as_string::<i32>(), out.as_string::<i32>());
        assert_eq!(
            out.iter().collect::<Vec<_>>(),
            input.iter().collect::<Vec<_>>()
        );
        assert_eq!(out.value_data().as_ptr(), input.value_data().as_ptr());
    }

    #[tokio::test]
    async fn an_empty_string_is_null_even_when_nothing_else_changes() {
        let (_, out) = through_engine(vec![Some("x"), Some("")]).await;
        let out: Vec<Option<&str>> = out.as_string::<i32>().iter().collect();
        assert_eq!(out, vec![Some("x"), None]);
    }
}
