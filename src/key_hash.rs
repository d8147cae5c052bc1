//! `oj_key_hash(c1, c2, …)`: one 64-bit hash of a row's key columns (DataFusion's own row hashing,
//! so equal keys – NULLs included – always hash alike). The gate's `unique` check and the
//! ingest's search for duplicated keys first group the rows on this hash: when no hash appears
//! twice, no key does, and the work is done after grouping one number per row instead of every key
//! column (the register's 15 M keys at ten times national size spilled as text). A hash that
//! appears twice – a duplicate key or, rarely, two keys that hash alike – sends them to their
//! exact grouping on the columns themselves.

use datafusion::arrow::array::{ArrayRef, UInt64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::hash_utils::{QualityRandomState, create_hashes};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use std::sync::Arc;

/// The function's SQL name.
pub(crate) const NAME: &str = "oj_key_hash";

/// The function: registered with the gate's session for its SQL, called as an expression by the
/// ingest's search for duplicated keys.
pub(crate) fn udf() -> ScalarUDF {
    ScalarUDF::from(KeyHash {
        signature: Signature::variadic_any(Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct KeyHash {
    signature: Signature,
}

impl ScalarUDFImpl for KeyHash {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::UInt64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if args.args.is_empty() {
            return exec_err!("{NAME} needs at least one column");
        }
        let arrays: Vec<ArrayRef> = ColumnarValue::values_to_arrays(&args.args)?;
        let mut hashes = vec![0u64; args.number_rows];
        create_hashes(
            arrays.iter(),
            &QualityRandomState::with_seed(0x6f6a),
            &mut hashes,
        )?;
        Ok(ColumnarValue::Array(Arc::new(UInt64Array::from(hashes))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{AsArray, Int64Array, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema, UInt64Type};
    use datafusion::prelude::SessionContext;

    #[tokio::test]
    async fn equal_keys_hash_alike_and_the_rest_apart() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Utf8, true),
            Field::new("b", DataType::Int64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec![
                    Some("0180"),
                    Some("0180"),
                    Some("0181"),
                    None,
                    None,
                    Some("0180"),
                ])),
                Arc::new(Int64Array::from(vec![
                    Some(1),
                    Some(1),
                    Some(1),
                    Some(2),
                    Some(2),
                    None,
                ])),
            ],
        )
        .unwrap();
        let ctx = SessionContext::new();
        ctx.register_udf(udf());
        ctx.register_batch("t", batch).unwrap();
        let out = ctx
            .sql("SELECT oj_key_hash(a, b) AS h FROM t")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let h: Vec<u64> = out
            .iter()
            .flat_map(|b| b.column(0).as_primitive::<UInt64Type>().values().to_vec())
            .collect();
        assert_eq!(h.len(), 6);
        // Equal keys, NULLs included, hash alike.
        assert_eq!(h[0], h[1]);
        assert_eq!(h[3], h[4]);
        // Different keys hash apart (a key with a NULL is not the key without it).
        let distinct: std::collections::BTreeSet<u64> = [h[0], h[2], h[3], h[5]].into();
        assert_eq!(distinct.len(), 4);
    }
}
