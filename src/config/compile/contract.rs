//! One data contract (`data-contracts/<id>.yaml`, ODCS v3) compiled into a typed [`Contract`]:
//! its header, its file format, its columns ([`super::columns`]) and its quality rules, each by a
//! small function.
//!
//! Guarantees: the contract's id is its file name; the format is one the ingest can read; every
//! column has a known logical type and only the options that fit it; every SQL rule is an
//! expression over the contract's typed columns; a contract with any problem compiles to nothing.

use super::{Collector, columns};
use crate::config::raw::{RawContract, RawFormat, RawQuality, RawSchema};
use crate::config::{
    Column, Contract, Encoding, ExprReference, Format, Reference, RowRule, UniqueKey,
};
use crate::yaml::{self, Pos, Spans};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::DFSchema;
use datafusion::prelude::SessionContext;
use std::collections::BTreeSet;
use std::path::Path;

/// An entry of the contract file being compiled: the file, and the entry's path in it.
pub(super) struct Entry<'a> {
    pub file: &'a str,
    pub(crate) spans: &'a Spans,
    pub path: String,
}

impl Entry<'_> {
    /// Where the entry's `key` is (its value, or the deepest part that exists).
    pub fn at(&self, key: &str) -> Option<Pos> {
        self.spans.at(&format!("{}.{key}", self.path))
    }
}

/// Compiles the contract `text` of `file`; `None` when it has a problem (all reported).
pub(super) fn compile_contract(c: &mut Collector, file: &str, text: &str) -> Option<Contract> {
    let raw: RawContract = match yaml::parse(file, text) {
        Ok(r) => r,
        Err(e) => {
            c.push(file, e.pos(), e.message, Some("contracts follow ODCS v3: schema → properties with logicalType, required, unique, logicalTypeOptions, quality"));
            return None;
        }
    };
    let before = c.diagnostics.len();
    let spans = Spans::read(text);
    check_header(c, file, &spans, &raw);
    let (format, question_columns) = format(c, file, &spans, &raw.format);
    if let Some(t) = raw
        .reject_tolerance_percent
        .filter(|t| !(0.0..=100.0).contains(t))
    {
        c.push(
            file,
            spans.value("rejectTolerancePercent"),
            format!("rejectTolerancePercent {t} is outside 0..=100"),
            None,
        );
    }
    let [schema] = raw.schema.as_slice() else {
        c.push(
            file,
            spans.key("schema"),
            "a drop contract has exactly one schema object",
            None,
        );
        return None;
    };
    if schema.name != raw.id {
        c.push(
            file,
            spans.value("schema.0.name"),
            format!(
                "schema name `{}` differs from the contract id `{}`",
                schema.name, raw.id
            ),
            None,
        );
    }
    let columns = columns::columns(c, file, &spans, schema);
    let quality = quality(c, file, &spans, schema, &columns);
    if c.diagnostics.len() > before {
        return None;
    }
    Some(Contract {
        id: raw.id,
        version: raw.version,
        file: file.to_string(),
        format,
        reject_tolerance_percent: raw.reject_tolerance_percent,
        columns,
        rules: quality.rules,
        uniques: quality.uniques,
        expr_references: quality.expr_references,
        question_columns,
    })
}

/// The id is the file name, the kind is DataContract.
fn check_header(c: &mut Collector, file: &str, spans: &Spans, raw: &RawContract) {
    let stem = Path::new(file)
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .to_string();
    if raw.id != stem {
        c.push(
            file,
            spans.value("id"),
            format!(
                "contract id `{}` differs from the file name `{stem}`",
                raw.id
            ),
            Some("name the file <id>.yaml"),
        );
    }
    if raw.kind != "DataContract" {
        c.push(
            file,
            spans.value("kind"),
            format!("kind `{}` is not DataContract", raw.kind),
            None,
        );
    }
}

/// The file format, and whether the drop carries one column per survey question.
fn format(c: &mut Collector, file: &str, spans: &Spans, f: &RawFormat) -> (Format, bool) {
    if f.kind != "csv" {
        c.push(
            file,
            spans.value("format.type"),
            format!("format type `{}` is not supported", f.kind),
            Some("use csv (an xlsx survey is read by its file extension)"),
        );
    }
    let delimiter = match f.delimiter.as_bytes() {
        [b] => *b,
        _ => {
            c.push(
                file,
                spans.value("format.delimiter"),
                format!(
                    "delimiter `{}` is not one character",
                    f.delimiter.escape_default()
                ),
                Some("use \";\" or \"\\t\""),
            );
            b';'
        }
    };
    let encoding = match f.encoding.to_ascii_lowercase().as_str() {
        "utf-8" | "utf8" => Encoding::Utf8,
        "windows-1252" | "cp1252" => Encoding::Windows1252,
        other => {
            c.push(
                file,
                spans.value("format.encoding"),
                format!("encoding `{other}` is not supported"),
                Some("use utf-8 or windows-1252"),
            );
            Encoding::Utf8
        }
    };
    let decimal_comma = decimal_comma(c, file, spans, &f.decimal);
    let question_columns = match f.question_columns.as_deref() {
        None => false,
        Some("survey") => true,
        Some(other) => {
            c.push(
                file,
                spans.value("format.questionColumns"),
                format!("questionColumns `{other}` is not known"),
                Some("the only source is `survey` (pipelines/enkat.yaml)"),
            );
            false
        }
    };
    let format = Format {
        delimiter,
        encoding,
        decimal_comma,
    };
    (format, question_columns)
}

/// Whether numbers are written with a decimal comma.
fn decimal_comma(c: &mut Collector, file: &str, spans: &Spans, decimal: &str) -> bool {
    match decimal {
        "." => false,
        "," => true,
        other => {
            c.push(
                file,
                spans.value("format.decimal"),
                format!("decimal separator `{other}` is not supported"),
                Some("use \".\" or \",\""),
            );
            false
        }
    }
}

/// The contract's quality rules, by their shape.
#[derive(Default)]
struct Quality {
    rules: Vec<RowRule>,
    uniques: Vec<UniqueKey>,
    expr_references: Vec<ExprReference>,
}

/// The quality rules: unique ids, each exactly one of a row rule, a unique key or a reference;
/// the columns' own `unique` flags become keys first.
fn quality(
    c: &mut Collector,
    file: &str,
    spans: &Spans,
    schema: &RawSchema,
    columns: &[Column],
) -> Quality {
    let typed_schema = contract_df_schema(columns);
    let ctx = SessionContext::new();
    let mut out = Quality {
        uniques: columns
            .iter()
            .filter(|col| col.unique)
            .map(|col| UniqueKey {
                id: format!("unique_{}", col.name),
                columns: vec![col.name.clone()],
            })
            .collect(),
        ..Quality::default()
    };
    let mut ids = BTreeSet::new();
    for (qi, q) in schema.quality.iter().enumerate() {
        let entry = Entry {
            file,
            spans,
            path: format!("schema.0.quality.{qi}"),
        };
        if !ids.insert(q.id.clone()) {
            c.push(
                file,
                entry.at("id"),
                format!("quality rule id `{}` is used twice", q.id),
                None,
            );
        }
        let rule = Rule {
            entry: &entry,
            ctx: &ctx,
            schema: &typed_schema,
        };
        rule.compile(c, q, columns, &mut out);
    }
    out
}

/// A quality rule being compiled, with the typed schema its SQL is written against.
struct Rule<'a> {
    entry: &'a Entry<'a>,
    ctx: &'a SessionContext,
    schema: &'a DFSchema,
}

impl Rule<'_> {
    fn compile(&self, c: &mut Collector, q: &RawQuality, columns: &[Column], out: &mut Quality) {
        let kinds = [q.rule.is_some(), q.unique.is_some(), q.reference.is_some()];
        if kinds.iter().filter(|k| **k).count() != 1 {
            c.push(
                self.entry.file,
                self.entry.at("id"),
                format!(
                    "quality rule `{}` must have exactly one of rule, unique, reference",
                    q.id
                ),
                None,
            );
            return;
        }
        if let Some(sql) = &q.rule {
            self.expr(c, "rule", &q.id, sql);
            out.rules.push(RowRule {
                id: q.id.clone(),
                description: q.description.clone(),
                sql: sql.trim().to_string(),
            });
        }
        if let Some(cols) = &q.unique {
            for (k, col) in cols.iter().enumerate() {
                if !columns.iter().any(|x| &x.name == col) {
                    c.push(self.entry.file, self.entry.at(&format!("unique.{k}")), format!("quality rule `{}`: unique column `{col}` is not a column of the contract", q.id), None);
                }
            }
            out.uniques.push(UniqueKey {
                id: q.id.clone(),
                columns: cols.clone(),
            });
        }
        if let Some(r) = &q.reference {
            self.expr(c, "reference.expression", &q.id, &r.expression);
            if let Some(w) = &r.when {
                self.expr(c, "reference.when", &q.id, w);
            }
            out.expr_references.push(ExprReference {
                id: q.id.clone(),
                description: q.description.clone(),
                expression: r.expression.clone(),
                when: r.when.clone(),
                target: Reference {
                    dataset: r.dataset.clone(),
                    column: r.column.clone(),
                    filter: r.filter.clone(),
                },
            });
        }
    }

    /// The SQL at `key` of rule `id` is an expression over the contract's columns.
    fn expr(&self, c: &mut Collector, key: &str, id: &str, sql: &str) {
        let at = self.entry.at(key);
        check_sql_expr(c, self.ctx, self.schema, self.entry.file, at, id, sql);
    }
}

/// The typed schema a contract's rules are written against (its columns plus `ar`).
pub(crate) fn contract_df_schema(columns: &[Column]) -> DFSchema {
    let mut fields: Vec<Field> = columns
        .iter()
        .map(|c| Field::new(&c.name, c.logical.arrow_type(), true))
        .collect();
    if !columns.iter().any(|c| c.name == "ar") {
        fields.push(Field::new("ar", DataType::Int64, true));
    }
    DFSchema::try_from(Schema::new(fields)).unwrap_or_else(|_| DFSchema::empty())
}

/// `sql` (of rule `id`) is an expression that uses only the columns of `schema`.
pub(super) fn check_sql_expr(
    c: &mut Collector,
    ctx: &SessionContext,
    schema: &DFSchema,
    file: &str,
    line: Option<Pos>,
    id: &str,
    sql: &str,
) {
    match ctx.parse_sql_expr(sql, schema) {
        Ok(expr) => {
            for col in expr.column_refs() {
                if schema.field_with_unqualified_name(&col.name).is_err() {
                    c.push(
                        file,
                        line,
                        format!(
                            "rule `{id}` uses `{}`, which is not a column of the contract",
                            col.name
                        ),
                        None,
                    );
                }
            }
        }
        Err(e) => c.push(
            file,
            line,
            format!("rule `{id}` is not a valid SQL expression: {e}"),
            None,
        ),
    }
}
