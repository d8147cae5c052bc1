//! Row validation of a drop against its contract, as DataFusion expressions over the rows read as
//! text: typing (`try_cast`), required, allowed values, patterns, ranges, the drop year, row rules
//! (SQL from the contract), references to other datasets (membership in their key set; a reference
//! to the dataset itself is a join). Unique keys are checked beside the stream of checked rows
//! (`super::unique`).
//!
//! The result has the typed contract columns plus `_file`, `_line`, `_raw`, `_rules` (ids of the broken
//! rules, comma-separated, empty when the row is valid) and `_reason` (one message per broken rule,
//! naming the column and value).

use super::header::QuestionColumn;
use super::read::{LINE_COLUMN, RAW_COLUMN};
use super::trim::trimmed;
use crate::config::{Contract, LogicalType, Reference};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::JoinType;
use datafusion::dataframe::DataFrame;
use datafusion::error::Result;
use datafusion::functions::expr_fn::{concat, concat_ws, regexp_like, replace};
use datafusion::logical_expr::{Expr, cast, ident, lit, not, try_cast, when};
use datafusion::prelude::SessionContext;
use std::collections::BTreeMap;

/// Column holding the index of the source file (register may come as several files).
pub const FILE_COLUMN: &str = "_file";
/// Column listing the ids of the broken rules.
pub const RULES_COLUMN: &str = "_rules";
/// Column with the messages of the broken rules.
pub const REASON_COLUMN: &str = "_reason";

struct Violation {
    rule: String,
    when: Expr,
    message: Expr,
}

fn raw_name(column: &str) -> String {
    format!("__raw_{column}")
}

fn quoted_value(raw: Expr) -> Expr {
    concat(vec![lit("\""), raw, lit("\"")])
}

/// Everything validation needs besides the rows.
pub struct Validation<'a> {
    pub contract: &'a Contract,
    pub year: i64,
    pub questions: &'a [QuestionColumn],
    /// Staged tables of the datasets this contract refers to (other than itself), for this year.
    pub references: &'a BTreeMap<String, DataFrame>,
}

fn cast_to_strings(
    array: &datafusion::arrow::array::ArrayRef,
) -> Result<datafusion::arrow::array::StringArray> {
    let utf8 = datafusion::arrow::compute::cast(array, &DataType::Utf8)?;
    Ok(utf8
        .as_any()
        .downcast_ref::<datafusion::arrow::array::StringArray>()
        .cloned()
        .unwrap_or_else(|| datafusion::arrow::array::StringArray::from(Vec::<Option<&str>>::new())))
}

/// Types and checks `raw` (canonical text columns, `_file`, `_line`, `_raw`).
pub async fn check(ctx: &SessionContext, raw: DataFrame, v: &Validation<'_>) -> Result<DataFrame> {
    let contract = v.contract;
    let decimal_comma = contract.format.decimal_comma;
    // 1. trimmed text (empty → NULL) kept as __raw_<c>, typed value as <c>.
    let mut select = vec![ident(FILE_COLUMN), ident(LINE_COLUMN), ident(RAW_COLUMN)];
    let mut violations: Vec<Violation> = Vec::new();
    for c in &contract.columns {
        let text = trimmed(ident(&c.name));
        let typed = match c.logical {
            LogicalType::String => text.clone(),
            LogicalType::Integer => try_cast(text.clone(), DataType::Int64),
            LogicalType::Number if decimal_comma => {
                try_cast(replace(text.clone(), lit(","), lit(".")), DataType::Float64)
            }
            LogicalType::Number => try_cast(text.clone(), DataType::Float64),
            LogicalType::Date => try_cast(text.clone(), DataType::Date32),
        };
        select.push(text.alias(raw_name(&c.name)));
        select.push(typed.alias(&c.name));
    }
    for q in v.questions {
        let text = trimmed(ident(&q.name));
        select.push(text.clone().alias(raw_name(&q.name)));
        select.push(text.alias(&q.name));
    }
    let mut df = raw.select(select)?;

    for c in &contract.columns {
        let raw = ident(raw_name(&c.name));
        let typed = ident(&c.name);
        let value = quoted_value(raw.clone());
        if c.required {
            violations.push(Violation {
                rule: format!("required:{}", c.name),
                when: raw.clone().is_null(),
                message: lit(format!("column {} is required but empty", c.name)),
            });
        }
        if c.logical != LogicalType::String {
            violations.push(Violation {
                rule: format!("type:{}", c.name),
                when: typed.clone().is_null().and(raw.clone().is_not_null()),
                message: concat(vec![
                    lit(format!("column {} = ", c.name)),
                    value.clone(),
                    lit(format!(" is not a valid {}", c.logical.name())),
                ]),
            });
        }
        if !c.allowed.is_empty() {
            let list: Vec<Expr> = c
                .allowed
                .iter()
                .map(|a| match c.logical {
                    LogicalType::Integer => {
                        a.parse::<i64>().map(lit).unwrap_or_else(|_| lit(a.clone()))
                    }
                    _ => lit(a.clone()),
                })
                .collect();
            violations.push(Violation {
                rule: format!("allowed:{}", c.name),
                when: typed.clone().in_list(list, true),
                message: concat(vec![
                    lit(format!("column {} = ", c.name)),
                    value.clone(),
                    lit(format!(" is not one of {}", c.allowed.join(", "))),
                ]),
            });
        }
        if let Some(p) = &c.pattern {
            violations.push(Violation {
                rule: format!("pattern:{}", c.name),
                when: not(regexp_like(typed.clone(), lit(p.clone()), None)),
                message: concat(vec![
                    lit(format!("column {} = ", c.name)),
                    value.clone(),
                    lit(format!(" does not match the pattern {p}")),
                ]),
            });
        }
        if let Some(min_value) = c.minimum {
            violations.push(Violation {
                rule: format!("minimum:{}", c.name),
                when: cast(typed.clone(), DataType::Float64).lt(lit(min_value)),
                message: concat(vec![
                    lit(format!("column {} = ", c.name)),
                    value.clone(),
                    lit(format!(" is below the minimum {min_value}")),
                ]),
            });
        }
        if let Some(max_value) = c.maximum {
            violations.push(Violation {
                rule: format!("maximum:{}", c.name),
                when: cast(typed.clone(), DataType::Float64).gt(lit(max_value)),
                message: concat(vec![
                    lit(format!("column {} = ", c.name)),
                    value.clone(),
                    lit(format!(
                        " is above the maximum {max_value}{}",
                        c.maximum_parameter
                            .as_ref()
                            .map(|p| format!(" (parameter {p})"))
                            .unwrap_or_default()
                    )),
                ]),
            });
        }
        if c.equals_drop_year {
            violations.push(Violation {
                rule: format!("drop_year:{}", c.name),
                when: typed.clone().not_eq(lit(v.year)),
                message: concat(vec![
                    lit(format!("column {} = ", c.name)),
                    value.clone(),
                    lit(format!(" is not the drop's year {}", v.year)),
                ]),
            });
        }
    }
    for q in v.questions {
        let raw = ident(raw_name(&q.name));
        let value = quoted_value(raw.clone());
        if q.numeric {
            violations.push(Violation {
                rule: format!("type:{}", q.name),
                when: try_cast(replace(raw.clone(), lit(","), lit(".")), DataType::Float64)
                    .is_null()
                    .and(raw.clone().is_not_null()),
                message: concat(vec![
                    lit(format!("answer {} = ", q.name)),
                    value,
                    lit(" is not a number"),
                ]),
            });
        } else if !q.allowed.is_empty() {
            violations.push(Violation {
                rule: format!("allowed:{}", q.name),
                when: raw
                    .clone()
                    .in_list(q.allowed.iter().map(|a| lit(a.clone())).collect(), true),
                message: concat(vec![
                    lit(format!("answer {} = ", q.name)),
                    value,
                    lit(format!(" is not one of {}", q.allowed.join(", "))),
                ]),
            });
        }
    }
    for rule in &contract.rules {
        let expr = ctx.parse_sql_expr(&rule.sql, df.schema())?;
        violations.push(Violation {
            rule: rule.id.clone(),
            when: expr.is_false(),
            message: lit(format!("rule {} violated: {}", rule.id, rule.description)),
        });
    }

    // 2. references: left joins against the distinct allowed keys.
    let self_rows = df.clone();
    let mut ref_index = 0usize;
    let column_refs = contract.columns.iter().filter_map(|c| {
        c.references.as_ref().map(|r| {
            (
                format!("reference:{}", c.name),
                ident(&c.name),
                None,
                r,
                c.name.clone(),
            )
        })
    });
    let expr_refs = contract.expr_references.iter().map(|r| {
        (
            r.id.clone(),
            ctx.parse_sql_expr(&r.expression, df.schema()),
            r.when.clone(),
            &r.target,
            r.expression.clone(),
        )
    });
    let mut all_refs: Vec<(String, Expr, Option<String>, &Reference, String)> =
        column_refs.collect();
    for (id, expr, when_sql, target, text) in expr_refs {
        all_refs.push((id, expr?, when_sql, target, text));
    }
    for (rule, key_expr, when_sql, target, label) in all_refs {
        let key_col = format!("__refkey_{ref_index}");
        let ok_col = format!("__refok_{ref_index}");
        let probe_col = format!("__refprobe_{ref_index}");
        ref_index += 1;
        let target_df = if target.dataset == contract.id {
            self_rows.clone()
        } else {
            match v.references.get(&target.dataset) {
                Some(d) => d.clone(),
                None => {
                    return Err(datafusion::error::DataFusionError::Plan(format!(
                        "{}: the referenced dataset `{}` is not staged for {}; ingest it first",
                        contract.file, target.dataset, v.year
                    )));
                }
            }
        };
        let target_df = match &target.filter {
            Some(f) => {
                let filter = ctx.parse_sql_expr(f, target_df.schema())?;
                target_df.filter(filter)?
            }
            None => target_df,
        };
        let probe = match &when_sql {
            Some(w) => {
                let cond = ctx.parse_sql_expr(w, df.schema())?;
                when(cond, key_expr.clone()).end()?
            }
            None => key_expr.clone(),
        };
        let probe = cast(probe, DataType::Utf8);
        let filter_text = target
            .filter
            .as_deref()
            .map(|f| format!(" where {f}"))
            .unwrap_or_default();
        let message = concat(vec![
            lit(format!("{label} = ")),
            quoted_value(probe.clone()),
            lit(format!(
                " is not a {}.{}{filter_text}",
                target.dataset, target.column
            )),
        ]);
        let keys = target_df
            .select(vec![
                cast(ident(&target.column), DataType::Utf8).alias(&key_col),
                lit(true).alias(&ok_col),
            ])?
            .distinct()?;
        if target.dataset != contract.id {
            // Another dataset's keys are few (regions): test membership against the literal set
            // instead of joining the whole drop.
            let mut allowed = Vec::new();
            for batch in keys.collect().await? {
                let column = cast_to_strings(batch.column(0))?;
                allowed.extend(column.iter().flatten().map(|k| lit(k.to_string())));
            }
            let outside = if allowed.is_empty() {
                lit(true)
            } else {
                probe.clone().in_list(allowed, true)
            };
            violations.push(Violation {
                rule,
                when: outside.and(probe.is_not_null()),
                message,
            });
            continue;
        }
        df = df.with_column(&probe_col, probe)?;
        df = df.join(keys, JoinType::Left, &[&probe_col], &[&key_col], None)?;
        violations.push(Violation {
            rule,
            when: ident(&ok_col)
                .is_null()
                .and(ident(&probe_col).is_not_null()),
            message,
        });
    }

    // (Each rule's condition puts first the side that is rarely false: DataFusion evaluates the
    // other side of an AND on a copy of the whole batch's selected rows when at most a fifth of
    // the first side is true – `x IS NOT NULL AND …` on a sparse column (the third to fifth
    // persons, the district) copied every column of the batch once per such rule.)

    // 4. the verdict per row. The rule list and the messages are built only for rows that broke
    // a rule (a CASE evaluates its THEN on the matching rows only); a valid row gets '' without
    // evaluating the rules' texts.
    let broke_any = violations
        .iter()
        .map(|vio| vio.when.clone())
        .reduce(Expr::or);
    let mut rule_exprs = Vec::with_capacity(violations.len());
    let mut message_exprs = Vec::with_capacity(violations.len());
    for vio in violations {
        rule_exprs.push(when(vio.when.clone(), lit(vio.rule)).end()?);
        message_exprs.push(when(vio.when, vio.message).end()?);
    }
    let mut out: Vec<Expr> = contract.columns.iter().map(|c| ident(&c.name)).collect();
    out.extend(v.questions.iter().map(|q| ident(&q.name)));
    out.push(ident(FILE_COLUMN));
    out.push(ident(LINE_COLUMN));
    out.push(ident(RAW_COLUMN));
    let (rules, reasons) = match broke_any {
        None => (lit(""), lit("")),
        Some(any) => (
            when(any.clone(), concat_ws(lit(","), rule_exprs)).otherwise(lit(""))?,
            when(any, concat_ws(lit("; "), message_exprs)).otherwise(lit(""))?,
        ),
    };
    out.push(rules.alias(RULES_COLUMN));
    out.push(reasons.alias(REASON_COLUMN));
    df.select(out)
}
