//! `oj_pnr_number(pnr)`: a person id of the register (the contract's 16 lowercase hex digits) as a
//! 64-bit number that sorts as the text does. `int_person_plats` groups the window's person-months
//! by it, and every model after it groups, joins and orders persons by the number instead of the
//! text: the same groups, joins and order (equal ids give equal numbers, different ids different
//! numbers, and the text's order is the numbers' order). The readers gain more than the
//! conversion costs: a transform of ten times national size was about 4 % faster at about
//! 100 MiB less peak memory; at national size the difference is within the noise
//! (docs/benchmarks.md, session 22).
//!
//! The number is the id's 64 bits read as hex with the top bit flipped, so that an unsigned order
//! becomes a signed one. A NULL stays NULL. Any other text is an error naming it: the ingest
//! rejects such ids (the register contract's `pattern`), so only a contract changed without this
//! model meets one, and the run stops rather than grouping unlike ids together.

use datafusion::arrow::array::{Array, AsArray, Int64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;
use std::sync::Arc;

/// The function's SQL name.
const NAME: &str = "oj_pnr_number";

/// Registers the function with `ctx` (the sessions that plan or run the `sql/` models).
pub(crate) fn register(ctx: &SessionContext) {
    ctx.register_udf(ScalarUDF::from(PnrNumber {
        signature: Signature::string(1, Volatility::Immutable),
    }));
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct PnrNumber {
    signature: Signature,
}

/// The number of one id, or why it has none. `from_str_radix` alone would also take upper-case
/// digits and a leading `+`, which the contract's pattern does not.
fn number(id: &str) -> Result<i64> {
    let lower_hex = id.len() == 16 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    match u64::from_str_radix(id, 16) {
        Ok(v) if lower_hex => Ok((v ^ (1 << 63)) as i64),
        _ => exec_err!(
            "{NAME}: person id `{id}` is not 16 lowercase hex digits (the register contract's pnr pattern)"
        ),
    }
}

impl ScalarUDFImpl for PnrNumber {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = args.args.as_slice() else {
            return exec_err!("{NAME} takes one person id");
        };
        let array = arg.to_array(args.number_rows)?;
        let numbers = |ids: &mut dyn Iterator<Item = Option<&str>>| {
            ids.map(|id| id.map(number).transpose())
                .collect::<Result<Int64Array>>()
        };
        let out = match array.data_type() {
            DataType::Utf8 => numbers(&mut array.as_string::<i32>().iter())?,
            DataType::LargeUtf8 => numbers(&mut array.as_string::<i64>().iter())?,
            DataType::Utf8View => numbers(&mut array.as_string_view().iter())?,
            other => return exec_err!("{NAME} takes text, not {other}"),
        };
        debug_assert_eq!(out.len(), args.number_rows);
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{Field, Int64Type, Schema};

    async fn numbers_of(ids: Vec<Option<&str>>) -> Result<Vec<Option<i64>>> {
        let batch = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("pnr", DataType::Utf8, true)])),
            vec![Arc::new(StringArray::from(ids))],
        )?;
        let ctx = SessionContext::new();
        register(&ctx);
        ctx.register_batch("t", batch)?;
        let out = ctx
            .sql("SELECT oj_pnr_number(pnr) FROM t")
            .await?
            .collect()
            .await?;
        Ok(out
            .iter()
            .flat_map(|b| {
                b.column(0)
                    .as_primitive::<Int64Type>()
                    .iter()
                    .collect::<Vec<_>>()
            })
            .collect())
    }

    #[tokio::test]
    async fn ids_become_numbers_in_the_same_order() {
        let ids = [
            "0000000000000000",
            "0000000000000001",
            "000000000000000f",
            "0123456789abcdef",
            "7fffffffffffffff",
            "8000000000000000",
            "fedcba9876543210",
            "ffffffffffffffff",
        ];
        let got = numbers_of(ids.iter().map(|s| Some(*s)).chain([None]).collect())
            .await
            .unwrap();
        // Worked out by hand: the 64 bits with the top bit flipped, read as a signed number.
        assert_eq!(
            got,
            [
                Some(i64::MIN),
                Some(i64::MIN + 1),
                Some(i64::MIN + 15),
                Some(i64::MIN + 0x0123_4567_89ab_cdef),
                Some(-1),
                Some(0),
                Some(0x7edc_ba98_7654_3210),
                Some(i64::MAX),
                None,
            ]
        );
        // The texts are in order, and so are their numbers, strictly.
        assert!(ids.is_sorted());
        assert!(got[..ids.len()].windows(2).all(|w| w[0] < w[1]));
    }

    #[tokio::test]
    async fn any_other_text_is_an_error_naming_it() {
        for bad in [
            "0123456789ABCDEF",
            "0123456789abcde",
            "0123456789abcdef0",
            "+123456789abcdef",
            "0123456789abcdeg",
            "",
        ] {
            let err = numbers_of(vec![Some("0000000000000001"), Some(bad)])
                .await
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(&format!("person id `{bad}` is not 16 lowercase hex digits")),
                "{bad}: {err}"
            );
        }
    }
}
