//! The SQL of every check kind. Row-level kinds become a pair of boolean expressions (does the
//! check apply to the row, does the row fail) so that all of a table's row-level checks are counted
//! in one scan; set-level kinds become a query returning the offending rows and one counting the
//! rows checked. Values from checks.yaml are bound as placeholders, never formatted in; only
//! identifiers (validated at compile time, then quoted) and the integer bounds of a
//! `generate_series` (a table function whose arguments must be literals) are written into the text.

use crate::config::checks::{Check, Kind};
use datafusion::arrow::datatypes::DataType;
use datafusion::scalar::ScalarValue;

/// Named placeholder values of a query.
pub(super) type Params = Vec<(String, ScalarValue)>;

/// A quoted SQL identifier.
pub(super) fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A row-level check as expressions over one row of its table.
pub(super) struct RowPlan {
    /// The row is checked (the check's `where`).
    pub applies: String,
    /// The row fails (never null).
    pub fails: String,
    /// Why the row fails, when it depends on the row.
    pub reason: Option<String>,
}

fn applies(check: &Check) -> String {
    match &check.filter {
        Some(f) => format!("COALESCE(({}), FALSE)", f.trim()),
        None => "TRUE".to_string(),
    }
}

/// The expressions of a row-level check; `n` keeps its placeholder names apart from other checks'.
/// `column_type` gives the table's column types, so values compare in the column's own type
/// (no per-row cast) when they fit it; otherwise the column is compared as text.
pub(super) fn row_plan(
    check: &Check,
    n: usize,
    params: &mut Params,
    column_type: &dyn Fn(&str) -> Option<DataType>,
) -> RowPlan {
    let mut bind = |name: String, value: ScalarValue| {
        params.push((name.clone(), value));
        format!("${name}")
    };
    let is_text = |c: &str| {
        matches!(
            column_type(c),
            Some(DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8)
        )
    };
    let text = |c: &str| {
        if is_text(c) {
            q(c)
        } else {
            format!("CAST({} AS VARCHAR)", q(c))
        }
    };
    let number = |c: &str| format!("CAST({} AS DOUBLE)", q(c));
    let (fails, reason) = match &check.kind {
        Kind::NotNull { columns } => {
            let any = columns
                .iter()
                .map(|c| format!("{} IS NULL", q(c)))
                .collect::<Vec<_>>()
                .join(" OR ");
            let which = columns
                .iter()
                .map(|c| format!("CASE WHEN {} IS NULL THEN '{c}' END", q(c)))
                .collect::<Vec<_>>()
                .join(", ");
            (
                format!("({any})"),
                Some(format!("concat('empty: ', concat_ws(', ', {which}))")),
            )
        }
        Kind::AcceptedValues { column, values } => {
            let integers: Option<Vec<i64>> = match column_type(column) {
                Some(DataType::Int64) => values.iter().map(|v| v.parse().ok()).collect(),
                _ => None,
            };
            let (subject, scalars): (String, Vec<ScalarValue>) = match integers {
                Some(ints) => (
                    q(column),
                    ints.into_iter()
                        .map(|i| ScalarValue::Int64(Some(i)))
                        .collect(),
                ),
                None => (
                    text(column),
                    values
                        .iter()
                        .map(|v| ScalarValue::Utf8(Some(v.clone())))
                        .collect(),
                ),
            };
            let list = scalars
                .into_iter()
                .enumerate()
                .map(|(j, v)| bind(format!("c{n}_v{j}"), v))
                .collect::<Vec<_>>()
                .join(", ");
            (format!("COALESCE({subject} NOT IN ({list}), FALSE)"), None)
        }
        Kind::Pattern { column, pattern } => {
            let p = bind(format!("c{n}_p"), ScalarValue::Utf8(Some(pattern.clone())));
            (
                format!("COALESCE(NOT regexp_like({}, {p}), FALSE)", text(column)),
                None,
            )
        }
        Kind::Range { column, min, max } => {
            let mut parts = Vec::new();
            if let Some(lo) = min {
                let p = bind(format!("c{n}_min"), ScalarValue::Float64(Some(*lo)));
                parts.push(format!("{} < {p}", number(column)));
            }
            if let Some(hi) = max {
                let p = bind(format!("c{n}_max"), ScalarValue::Float64(Some(*hi)));
                parts.push(format!("{} > {p}", number(column)));
            }
            (format!("COALESCE({}, FALSE)", parts.join(" OR ")), None)
        }
        Kind::Expression { rule } => (format!("COALESCE(NOT ({rule}), FALSE)"), None),
        _ => ("FALSE".to_string(), None),
    };
    RowPlan {
        applies: applies(check),
        fails,
        reason,
    }
}

/// One scan of `table` counting, per plan i, the rows checked (`t{i}`) and failing (`f{i}`).
pub(super) fn counts_sql(table: &str, plans: &[RowPlan]) -> String {
    let mut inner = Vec::new();
    let mut outer = Vec::new();
    for (i, p) in plans.iter().enumerate() {
        inner.push(format!("{} AS a{i}", p.applies));
        inner.push(format!("({}) AND ({}) AS b{i}", p.applies, p.fails));
        outer.push(format!(
            "SUM(CASE WHEN a{i} THEN 1 ELSE 0 END) AS t{i}, SUM(CASE WHEN b{i} THEN 1 ELSE 0 END) AS f{i}"
        ));
    }
    format!(
        "SELECT {} FROM (SELECT {} FROM {}) s",
        outer.join(", "),
        inner.join(", "),
        q(table)
    )
}

/// The failing rows of one row-level check, with their reason when it depends on the row.
pub(super) fn row_offending_sql(table: &str, plan: &RowPlan) -> String {
    let reason = plan
        .reason
        .as_ref()
        .map(|r| format!("{r} AS reason, "))
        .unwrap_or_default();
    format!(
        "SELECT {reason}* FROM {} WHERE ({}) AND ({})",
        q(table),
        plan.applies,
        plan.fails
    )
}

/// A set-level check: the query of its offending rows and the one counting what it checked.
pub(super) struct SetPlan {
    pub offending: String,
    /// A cheaper query that returns no rows only when `offending` returns none (the offending
    /// query then need not run); `None` when there is none.
    pub any: Option<String>,
    /// Counts the rows checked; `None` when the check has no table (total = failing).
    pub total: Option<String>,
}

fn on(left: &str, right: &str, a: &[String], b: &[String], null_equal: bool) -> String {
    let op = if null_equal {
        "IS NOT DISTINCT FROM"
    } else {
        "="
    };
    a.iter()
        .zip(b)
        .map(|(x, y)| format!("({left}.{} {op} {right}.{})", q(x), q(y)))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The queries of a set-level check.
pub(super) fn set_plan(check: &Check, params: &mut Params) -> SetPlan {
    let table = check.table.as_deref().unwrap_or_default();
    let source = format!("SELECT * FROM {} WHERE {}", q(table), applies(check));
    let count_source = Some(format!("SELECT * FROM ({source}) s"));
    match &check.kind {
        Kind::Unique { columns } => {
            let keys: Vec<String> = (0..columns.len()).map(|i| format!("k{i}")).collect();
            let select = columns
                .iter()
                .zip(&keys)
                .map(|(c, k)| format!("{} AS {k}", q(c)))
                .collect::<Vec<_>>()
                .join(", ");
            let group = columns.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ");
            SetPlan {
                offending: format!(
                    "WITH s AS ({source}), d AS (SELECT {select}, count(*) AS n FROM s GROUP BY {group} HAVING count(*) > 1) \
                     SELECT concat('key appears ', CAST(d.n AS VARCHAR), ' times') AS reason, s.* FROM s JOIN d ON {}",
                    on("s", "d", columns, &keys, true)
                ),
                // Whether a key may appear twice: a hash of the key (one number per row, see
                // `key_hash`) that appears twice, without joining anything back to its rows.
                any: Some(format!(
                    "SELECT 1 FROM (SELECT {}({group}) AS h FROM ({source}) s) k GROUP BY h HAVING count(*) > 1",
                    crate::key_hash::NAME
                )),
                total: count_source,
            }
        }
        Kind::Reference {
            columns,
            to_table,
            to_columns,
            to_filter,
        } => {
            let keys: Vec<String> = (0..to_columns.len()).map(|i| format!("k{i}")).collect();
            let select = to_columns
                .iter()
                .zip(&keys)
                .map(|(c, k)| format!("{} AS {k}", q(c)))
                .collect::<Vec<_>>()
                .join(", ");
            let filter = to_filter
                .as_ref()
                .map(|f| format!(" WHERE {}", f.trim()))
                .unwrap_or_default();
            let not_null = columns
                .iter()
                .map(|c| format!("s.{} IS NOT NULL", q(c)))
                .collect::<Vec<_>>()
                .join(" AND ");
            let checked = format!("SELECT s.* FROM ({source}) s WHERE {not_null}");
            SetPlan {
                offending: format!(
                    "WITH r AS (SELECT DISTINCT {select} FROM {}{filter}) \
                     SELECT c.* FROM ({checked}) c WHERE NOT EXISTS (SELECT 1 FROM r WHERE {})",
                    q(to_table),
                    on("c", "r", columns, &keys, false)
                ),
                any: None,
                total: Some(checked),
            }
        }
        Kind::Completeness {
            columns,
            expected_table,
            expected_columns,
            expected_filter,
            each,
        } => {
            let mut select: Vec<String> = expected_columns
                .iter()
                .zip(columns)
                .map(|(e, c)| format!("{} AS {}", q(e), q(c)))
                .collect();
            let mut from = q(expected_table);
            if let Some((column, a, b)) = each {
                select.push(format!("g.value AS {}", q(column)));
                from.push_str(&format!(" CROSS JOIN generate_series({a}, {b}) AS g"));
            }
            let filter = expected_filter
                .as_ref()
                .map(|f| format!(" WHERE {}", f.trim()))
                .unwrap_or_default();
            let expected = format!("SELECT DISTINCT {} FROM {from}{filter}", select.join(", "));
            SetPlan {
                offending: format!(
                    "WITH e AS ({expected}), s AS ({source}) \
                     SELECT 'missing' AS reason, e.* FROM e WHERE NOT EXISTS (SELECT 1 FROM s WHERE {})",
                    on("s", "e", columns, columns, false)
                ),
                any: None,
                total: Some(expected),
            }
        }
        Kind::SumConsistency {
            column,
            key,
            parts_table,
            part,
            whole,
            parts_filter,
            tolerance,
        } => {
            params.push(("tolerance".into(), ScalarValue::Float64(Some(*tolerance))));
            let filter = parts_filter
                .as_ref()
                .map(|f| format!(" WHERE {}", f.trim()))
                .unwrap_or_default();
            let wholes = format!(
                "SELECT DISTINCT {} AS del, {} AS helhet FROM {}{filter}",
                q(part),
                q(whole),
                q(parts_table)
            );
            SetPlan {
                offending: format!(
                    "WITH s AS (SELECT {k} AS k, SUM(CAST({v} AS DOUBLE)) AS v FROM ({source}) x GROUP BY {k}), \
                     m AS ({wholes}), \
                     p AS (SELECT m.helhet, SUM(COALESCE(s.v, 0)) AS delar_summa FROM m LEFT JOIN s ON s.k = m.del GROUP BY m.helhet), \
                     r AS (SELECT p.helhet, COALESCE(w.v, 0) AS helhet_summa, p.delar_summa, p.delar_summa - COALESCE(w.v, 0) AS skillnad FROM p LEFT JOIN s w ON w.k = p.helhet) \
                     SELECT 'parts do not sum to the whole' AS reason, * FROM r WHERE abs(skillnad) > $tolerance",
                    k = q(key),
                    v = q(column),
                ),
                any: None,
                total: Some(format!("SELECT DISTINCT helhet FROM ({wholes}) m")),
            }
        }
        Kind::Drift {
            column,
            previous,
            keys,
            share_when,
        } => {
            let key_list = keys.iter().map(|k| q(k)).collect::<Vec<_>>().join(", ");
            let joined = format!(
                "WITH c AS (SELECT {key_list}, CAST({v} AS DOUBLE) AS varde, COALESCE(({share}), FALSE) AS andel FROM ({source}) x), \
                 p AS (SELECT {key_list}, CAST({v} AS DOUBLE) AS varde_foregaende FROM {prev}) \
                 SELECT {ckeys}, c.andel, p.varde_foregaende, c.varde, c.varde - p.varde_foregaende AS forandring \
                 FROM c JOIN p ON {on} WHERE c.varde IS NOT NULL AND p.varde_foregaende IS NOT NULL",
                v = q(column),
                share = share_when.trim(),
                prev = q(previous),
                ckeys = keys
                    .iter()
                    .map(|k| format!("c.{}", q(k)))
                    .collect::<Vec<_>>()
                    .join(", "),
                on = on("c", "p", keys, keys, false),
            );
            SetPlan {
                offending: format!(
                    "SELECT CASE WHEN andel THEN 'change above drift.max_change_pp percentage points' \
                     ELSE 'change above drift.max_change_percent percent' END AS reason, * FROM ({joined}) j \
                     WHERE (andel AND abs(forandring) > $drift_max_change_pp) \
                     OR (NOT andel AND varde_foregaende <> 0 AND abs(forandring) * 100 > $drift_max_change_percent * abs(varde_foregaende))"
                ),
                any: None,
                total: Some(joined),
            }
        }
        Kind::Sql { sql } => SetPlan {
            offending: sql.trim().trim_end_matches(';').to_string(),
            any: None,
            total: check.table.as_ref().map(|_| source),
        },
        Kind::NotNull { .. }
        | Kind::AcceptedValues { .. }
        | Kind::Pattern { .. }
        | Kind::Range { .. }
        | Kind::Expression { .. }
        | Kind::RowCount { .. } => {
            let mut p = Vec::new();
            let plan = row_plan(check, 0, &mut p, &|_| None);
            params.extend(p);
            SetPlan {
                offending: row_offending_sql(table, &plan),
                any: None,
                total: count_source,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::checks::{Severity, Threshold};
    use crate::vocab::StageId;

    fn check(kind: Kind, filter: Option<&str>) -> Check {
        Check {
            id: "x".into(),
            stage: StageId::Ingest,
            severity: Severity::Error,
            threshold: Threshold::Count(0),
            table: Some("t".into()),
            filter: filter.map(str::to_string),
            kind,
            rule: String::new(),
            description: String::new(),
            reads: vec!["t".into()],
        }
    }

    #[test]
    fn values_are_bound_not_formatted() {
        let mut params = Vec::new();
        let plan = row_plan(
            &check(
                Kind::AcceptedValues {
                    column: "kon".into(),
                    values: vec!["1".into(), "2'; DROP".into()],
                },
                Some("niva = 'kommun'"),
            ),
            3,
            &mut params,
            &|_| None,
        );
        assert_eq!(
            plan.fails,
            "COALESCE(CAST(\"kon\" AS VARCHAR) NOT IN ($c3_v0, $c3_v1), FALSE)"
        );
        assert_eq!(plan.applies, "COALESCE((niva = 'kommun'), FALSE)");
        assert_eq!(params[1].1, ScalarValue::Utf8(Some("2'; DROP".into())));
    }

    #[test]
    fn values_compare_in_the_columns_own_type() {
        let kon = check(
            Kind::AcceptedValues {
                column: "kon".into(),
                values: vec!["1".into(), "2".into()],
            },
            None,
        );
        let mut params = Vec::new();
        let plan = row_plan(&kon, 0, &mut params, &|_| Some(DataType::Int64));
        assert_eq!(
            plan.fails,
            "COALESCE(\"kon\" NOT IN ($c0_v0, $c0_v1), FALSE)"
        );
        assert_eq!(params[0].1, ScalarValue::Int64(Some(1)));
        let pattern = check(
            Kind::Pattern {
                column: "kod".into(),
                pattern: "^[0-9]{4}$".into(),
            },
            None,
        );
        let plan = row_plan(&pattern, 1, &mut params, &|_| Some(DataType::Utf8View));
        assert_eq!(
            plan.fails,
            "COALESCE(NOT regexp_like(\"kod\", $c1_p), FALSE)"
        );
    }

    #[test]
    fn one_scan_counts_every_check() {
        let plans = vec![
            RowPlan {
                applies: "TRUE".into(),
                fails: "a IS NULL".into(),
                reason: None,
            },
            RowPlan {
                applies: "x > 1".into(),
                fails: "FALSE".into(),
                reason: None,
            },
        ];
        assert_eq!(
            counts_sql("t", &plans),
            "SELECT SUM(CASE WHEN a0 THEN 1 ELSE 0 END) AS t0, SUM(CASE WHEN b0 THEN 1 ELSE 0 END) AS f0, \
             SUM(CASE WHEN a1 THEN 1 ELSE 0 END) AS t1, SUM(CASE WHEN b1 THEN 1 ELSE 0 END) AS f1 \
             FROM (SELECT TRUE AS a0, (TRUE) AND (a IS NULL) AS b0, x > 1 AS a1, (x > 1) AND (FALSE) AS b1 FROM \"t\") s"
        );
    }
}
