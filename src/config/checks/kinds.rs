//! Compiles each kind's own fields into its [`Kind`]: one small function per kind, and the rule
//! of a compiled check in words ([`rule_text`]).
//!
//! Guarantees: a missing field is reported in the kind's words ("check `r` (range) needs
//! `min or max`"), every column name is a plain identifier, every table named is declared, every
//! SQL fragment parses; each problem at the field it is about.

use super::Kind;
use super::check::One;
use super::raw::*;
use super::sql::query_tables;

impl RawKind {
    /// The compiled kind; `None` for an unknown kind (reported before).
    pub(super) fn compile(&self, c: &mut One) -> Option<Kind> {
        Some(match self {
            RawKind::NotNull(k) => Kind::NotNull {
                columns: k.compile(c),
            },
            RawKind::Unique(k) => Kind::Unique {
                columns: k.compile(c),
            },
            RawKind::AcceptedValues(k) => k.compile(c),
            RawKind::Pattern(k) => k.compile(c),
            RawKind::Range(k) => k.compile(c),
            RawKind::Expression(k) => k.compile(c),
            RawKind::RowCount(k) => k.compile(c),
            RawKind::Reference(k) => k.compile(c),
            RawKind::Completeness(k) => k.compile(c),
            RawKind::SumConsistency(k) => k.compile(c),
            RawKind::Drift(k) => k.compile(c),
            RawKind::Sql(k) => k.compile(c),
            RawKind::Unknown => return None,
        })
    }
}

/// The `columns` list, its names checked.
fn columns(c: &mut One, columns: &Option<Vec<String>>) -> Vec<String> {
    let columns = columns.clone().unwrap_or_default();
    c.idents("columns", &columns);
    columns
}

/// The `column`, its name checked, and reported when missing.
fn column(c: &mut One, column: &Option<String>) -> String {
    if let Some(name) = column {
        c.ident("column", name);
    }
    c.need("column", column.is_some());
    column.clone().unwrap_or_default()
}

impl RawColumns {
    fn compile(&self, c: &mut One) -> Vec<String> {
        let columns = columns(c, &self.columns);
        c.need("columns", !columns.is_empty());
        columns
    }
}

impl RawAcceptedValues {
    fn compile(&self, c: &mut One) -> Kind {
        let column = column(c, &self.column);
        let given = self.values.as_ref().is_some_and(|v| !v.is_empty());
        c.need("values", given);
        let values = self
            .values
            .iter()
            .flatten()
            .map(|v| match v {
                RawValue::Int(i) => i.to_string(),
                RawValue::Text(s) => s.clone(),
            })
            .collect();
        Kind::AcceptedValues { column, values }
    }
}

impl RawPattern {
    fn compile(&self, c: &mut One) -> Kind {
        let column = column(c, &self.column);
        c.need("pattern", self.pattern.is_some());
        let pattern = self.pattern.clone().unwrap_or_default();
        if let Err(e) = regex::Regex::new(&pattern) {
            let at = c.at("pattern");
            c.push(
                at,
                format!("check `{}`: pattern does not compile: {e}", c.id),
            );
        }
        Kind::Pattern { column, pattern }
    }
}

impl RawRange {
    fn compile(&self, c: &mut One) -> Kind {
        let column = column(c, &self.column);
        c.need("min or max", self.min.is_some() || self.max.is_some());
        if let (Some(lo), Some(hi)) = (self.min, self.max)
            && lo > hi
        {
            let at = c.at("min");
            c.push(at, format!("check `{}`: min {lo} is above max {hi}", c.id));
        }
        Kind::Range {
            column,
            min: self.min,
            max: self.max,
        }
    }
}

impl RawExpression {
    fn compile(&self, c: &mut One) -> Kind {
        c.need("rule", self.rule.is_some());
        let rule = self.rule.clone().unwrap_or_default();
        c.expr("rule", &rule);
        Kind::Expression {
            rule: rule.trim().to_string(),
        }
    }
}

impl RawRowCount {
    fn compile(&self, c: &mut One) -> Kind {
        c.need("min or max", self.min.is_some() || self.max.is_some());
        Kind::RowCount {
            min: row_bound(c, self.min),
            max: row_bound(c, self.max),
        }
    }
}

/// A row count bound: a whole number ≥ 0.
fn row_bound(c: &mut One, v: Option<f64>) -> Option<u64> {
    let v = v?;
    if v < 0.0 || v.fract() != 0.0 {
        let line = c.line();
        c.push(
            line,
            format!("check `{}`: row counts are whole numbers ≥ 0", c.id),
        );
    }
    Some(v as u64)
}

impl RawReference {
    fn compile(&self, c: &mut One) -> Kind {
        let columns = columns(c, &self.columns);
        c.need("columns", !columns.is_empty());
        c.need("to", self.to.is_some());
        let to = self.to.as_ref();
        if let Some(t) = to {
            c.use_table(&t.table, "to.table");
            c.idents("to.columns", &t.columns);
            if t.columns.len() != columns.len() {
                let line = c.line();
                c.push(
                    line,
                    format!("check `{}`: columns and to.columns differ in length", c.id),
                );
            }
            if let Some(f) = &t.filter {
                c.expr("to.where", f);
            }
        }
        Kind::Reference {
            columns,
            to_table: to.map(|t| t.table.clone()).unwrap_or_default(),
            to_columns: to.map(|t| t.columns.clone()).unwrap_or_default(),
            to_filter: to.and_then(|t| t.filter.clone()),
        }
    }
}

impl RawCompleteness {
    fn compile(&self, c: &mut One) -> Kind {
        let columns = columns(c, &self.columns);
        c.need("columns", !columns.is_empty());
        c.need("expected", self.expected.is_some());
        let e = self.expected.as_ref();
        if let Some(e) = e {
            expected(c, e, &columns);
        }
        Kind::Completeness {
            columns,
            expected_table: e.map(|e| e.table.clone()).unwrap_or_default(),
            expected_columns: e.map(|e| e.columns.clone()).unwrap_or_default(),
            expected_filter: e.and_then(|e| e.filter.clone()),
            each: e.and_then(|e| e.each.as_ref().map(|x| (x.column.clone(), x.from, x.to))),
        }
    }
}

/// The expected keys of a completeness check: they match the checked `columns` (the `each`
/// column last).
fn expected(c: &mut One, e: &RawExpected, columns: &[String]) {
    c.use_table(&e.table, "expected.table");
    c.idents("expected.columns", &e.columns);
    if let Some(f) = &e.filter {
        c.expr("expected.where", f);
    }
    let line = c.line();
    let width = e.columns.len() + usize::from(e.each.is_some());
    if width != columns.len() {
        c.push(
            line,
            format!(
                "check `{}`: columns must match expected.columns (plus expected.each)",
                c.id
            ),
        );
    }
    let Some(each) = &e.each else { return };
    c.ident("expected.each.column", &each.column);
    if each.from > each.to || each.to - each.from > 10_000 {
        c.push(
            line,
            format!(
                "check `{}`: expected.each from..to must be a short ascending range",
                c.id
            ),
        );
    }
    if columns.last() != Some(&each.column) {
        c.push(
            line,
            format!(
                "check `{}`: expected.each.column must be the last of columns",
                c.id
            ),
        );
    }
}

impl RawSumConsistency {
    fn compile(&self, c: &mut One) -> Kind {
        let key = columns(c, &self.columns);
        let column = column(c, &self.column);
        c.need("columns (the key)", key.len() == 1);
        c.need("parts", self.parts.is_some());
        let p = self.parts.as_ref();
        if let Some(p) = p {
            c.use_table(&p.table, "parts.table");
            c.ident("parts.part", &p.part);
            c.ident("parts.whole", &p.whole);
            if let Some(f) = &p.filter {
                c.expr("parts.where", f);
            }
        }
        Kind::SumConsistency {
            column,
            key: key.first().cloned().unwrap_or_default(),
            parts_table: p.map(|p| p.table.clone()).unwrap_or_default(),
            part: p.map(|p| p.part.clone()).unwrap_or_default(),
            whole: p.map(|p| p.whole.clone()).unwrap_or_default(),
            parts_filter: p.and_then(|p| p.filter.clone()),
            tolerance: self.tolerance.unwrap_or(0.0),
        }
    }
}

impl RawDrift {
    fn compile(&self, c: &mut One) -> Kind {
        let column = column(c, &self.column);
        c.need("previous", self.previous.is_some());
        c.need("keys", self.keys.as_ref().is_some_and(|k| !k.is_empty()));
        c.need("share_when", self.share_when.is_some());
        if let Some(p) = &self.previous {
            c.use_table(p, "previous");
        }
        let keys = self.keys.clone().unwrap_or_default();
        c.idents("keys", &keys);
        if let Some(s) = &self.share_when {
            c.expr("share_when", s);
        }
        Kind::Drift {
            column,
            previous: self.previous.clone().unwrap_or_default(),
            keys,
            share_when: self.share_when.clone().unwrap_or_default(),
        }
    }
}

impl RawSql {
    fn compile(&self, c: &mut One) -> Kind {
        c.need("sql", self.sql.is_some());
        let sql = self.sql.clone().unwrap_or_default();
        let at = c.at("sql");
        for t in query_tables(c.cx, at, c.id, &sql) {
            c.use_table(&t, "sql");
        }
        Kind::Sql {
            sql: sql.trim().to_string(),
        }
    }
}

/// The rule in words for reports, e.g. `range(varde in 0..100) where niva = 'kommun'`.
pub(super) fn rule_text(kind: &Kind, filter: Option<&str>) -> String {
    let bound = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let text = match kind {
        Kind::NotNull { columns } => format!("not_null({})", columns.join(", ")),
        Kind::Unique { columns } => format!("unique({})", columns.join(", ")),
        Kind::AcceptedValues { column, values } => {
            format!("accepted_values({column} in {})", values.join(", "))
        }
        Kind::Pattern { column, pattern } => format!("pattern({column} ~ {pattern})"),
        Kind::Range { column, min, max } => {
            format!("range({column} in {}..{})", bound(*min), bound(*max))
        }
        Kind::Expression { rule } => format!("expression({rule})"),
        Kind::RowCount { min, max } => format!(
            "row_count({}..{})",
            min.map(|x| x.to_string()).unwrap_or_default(),
            max.map(|x| x.to_string()).unwrap_or_default()
        ),
        Kind::Reference {
            columns,
            to_table,
            to_columns,
            ..
        } => format!(
            "reference(({}) → {to_table}({}))",
            columns.join(", "),
            to_columns.join(", ")
        ),
        Kind::Completeness {
            columns,
            expected_table,
            expected_columns,
            each,
            ..
        } => format!(
            "completeness(({}) ⊇ {expected_table}({}){})",
            columns.join(", "),
            expected_columns.join(", "),
            each.as_ref()
                .map(|(c, a, b)| format!(" × {c} {a}..{b}"))
                .unwrap_or_default()
        ),
        Kind::SumConsistency {
            column,
            parts_table,
            part,
            whole,
            ..
        } => format!("sum_consistency(sum {column} of {parts_table}.{part} = sum of {whole})"),
        Kind::Drift { column, .. } => format!(
            "drift({column} vs previous year: drift.max_change_pp / drift.max_change_percent)"
        ),
        Kind::Sql { .. } => "sql(query returns no rows)".to_string(),
    };
    match filter {
        Some(f) => format!("{text} where {}", f.trim()),
        None => text,
    }
}
