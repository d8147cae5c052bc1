//! Compiles one declared check: the fields every kind has (id, severity, threshold, table,
//! where), the fields given that its kind does not take, then the kind itself
//! ([`super::kinds`]).
//!
//! Guarantees: every problem of the check is reported (not only the first), each at the key or
//! value it is about; a check with any problem compiles to nothing.

use super::kinds::rule_text;
use super::raw::{Foreign, RawCheck, RawKind, RawThreshold};
use super::sql::{check_expr, check_ident};
use super::{Check, Ctx, KINDS, Severity, TableSource, Threshold};
use crate::vocab::StageId;
use crate::yaml::Pos;
use std::collections::BTreeMap;

/// One check being compiled: where it is, what it is called, and the tables it reads so far.
pub(super) struct One<'a> {
    pub(crate) cx: &'a mut Ctx,
    /// The check's path in the document, e.g. `gates.ingest.3`.
    path: &'a str,
    pub id: &'a str,
    /// The kind's name as written.
    pub kind: &'a str,
    tables: &'a BTreeMap<String, TableSource>,
    /// Every configured table the check reads, in the order first named.
    reads: Vec<String>,
}

impl One<'_> {
    /// Where the check's `key` is (its value, or the deepest part of the path that exists).
    pub fn at(&self, key: &str) -> Option<Pos> {
        self.cx.spans.at(&format!("{}.{key}", self.path))
    }

    /// Where the check's `id` value is: the place of problems of the check as a whole.
    pub fn line(&self) -> Option<Pos> {
        self.at("id")
    }

    pub fn push(&mut self, at: Option<Pos>, message: String) {
        self.cx.push(at, message, None);
    }

    /// Reports `what` missing when not `ok`.
    pub fn need(&mut self, what: &str, ok: bool) {
        if !ok {
            let line = self.line();
            self.push(
                line,
                format!("check `{}` ({}) needs `{what}`", self.id, self.kind),
            );
        }
    }

    /// The configured table `name` (at `key`) is read by the check.
    pub(crate) fn use_table(&mut self, name: &str, key: &str) {
        let place = self.at(key);
        if self.tables.contains_key(name) {
            if !self.reads.iter().any(|x| x == name) {
                self.reads.push(name.to_string());
            }
            return;
        }
        let known = self.tables.keys().cloned().collect::<Vec<_>>().join(", ");
        self.cx.push(
            place,
            format!(
                "check `{}` reads table `{name}`, which is not declared",
                self.id
            ),
            Some(&format!("declare it under tables:; known: {known}")),
        );
    }

    /// The column name at `key` is a plain identifier.
    pub(crate) fn ident(&mut self, key: &str, name: &str) {
        let place = self.at(key);
        check_ident(self.cx, place, "column", name);
    }

    /// The column names of the list at `key` are plain identifiers.
    pub(crate) fn idents(&mut self, key: &str, names: &[String]) {
        for (k, name) in names.iter().enumerate() {
            self.ident(&format!("{key}.{k}"), name);
        }
    }

    /// The SQL at `key` is an expression.
    pub fn expr(&mut self, key: &str, sql: &str) {
        let place = self.at(key);
        check_expr(self.cx, place, self.id, sql);
    }
}

/// Compiles check `r` at `path` of the gate after `stage`; `None` when it has a problem (all of
/// them reported).
pub(super) fn compile_check(
    cx: &mut Ctx,
    r: &RawCheck,
    path: &str,
    stage: StageId,
    tables: &BTreeMap<String, TableSource>,
) -> Option<Check> {
    let before = cx.diagnostics.len();
    let mut one = One {
        cx: &mut *cx,
        path,
        id: &r.id,
        kind: &r.tag.kind,
        tables,
        reads: Vec::new(),
    };
    check_id(&mut one);
    let Some((fields, foreign)) = r.kind.fields() else {
        let at = one.at("kind");
        one.cx.push(
            at,
            format!("check `{}` has unknown kind `{}`", r.id, r.tag.kind),
            Some(&format!("kinds: {KINDS}")),
        );
        return None;
    };
    foreign_fields(&mut one, fields, foreign);
    let severity = severity(&mut one, &r.severity);
    let threshold = threshold(&mut one, r.threshold.as_ref());
    table_and_filter(&mut one, r, threshold);
    let kind = r.kind.compile(&mut one)?;
    let reads = one.reads;
    if cx.diagnostics.len() > before {
        return None;
    }
    let rule = rule_text(&kind, r.filter.as_deref());
    Some(Check {
        id: r.id.clone(),
        stage,
        severity,
        threshold,
        table: r.table.clone(),
        filter: r.filter.clone(),
        description: r
            .description
            .clone()
            .map(|d| d.trim().to_string())
            .unwrap_or_else(|| rule.clone()),
        rule,
        kind,
        reads,
    })
}

/// The id names the check's quarantine folder.
fn check_id(one: &mut One) {
    let ok = !one.id.is_empty()
        && one
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b));
    if !ok {
        let line = one.line();
        one.cx.push(
            line,
            format!("check id `{}` may only hold a-z, 0-9, _ . -", one.id),
            Some("the id names the check's quarantine folder"),
        );
    }
}

/// Each field given that the kind does not take, in document order, at its key.
fn foreign_fields(one: &mut One, fields: &[&str], foreign: &Foreign) {
    let mut given: Vec<(Option<Pos>, &str)> = foreign
        .keys()
        .map(|f| (one.cx.spans.key(&format!("{}.{f}", one.path)), f.as_str()))
        .collect();
    given.sort();
    let hint = format!("{} takes: {}", one.kind, fields.join(", "));
    for (at, f) in given {
        let at = at.or(one.line());
        one.cx.push(
            at,
            format!(
                "check `{}`: field `{f}` does not apply to kind {}",
                one.id, one.kind
            ),
            Some(&hint),
        );
    }
}

fn severity(one: &mut One, text: &str) -> Severity {
    match text {
        "error" => Severity::Error,
        "warn" => Severity::Warn,
        other => {
            let at = one.at("severity");
            one.cx.push(
                at,
                format!("check `{}`: severity `{other}` is not a choice", one.id),
                Some("use error (blocks the run) or warn (reported)"),
            );
            Severity::Error
        }
    }
}

fn threshold(one: &mut One, raw: Option<&RawThreshold>) -> Threshold {
    match raw {
        None => Threshold::Count(0),
        Some(RawThreshold {
            count: Some(n),
            percent: None,
        }) => Threshold::Count(*n),
        Some(RawThreshold {
            count: None,
            percent: Some(p),
        }) if (0.0..=100.0).contains(p) => Threshold::Percent(*p),
        Some(_) => {
            let at = one.at("threshold");
            one.push(
                at,
                format!(
                    "check `{}`: threshold needs exactly one of count or percent (0–100)",
                    one.id
                ),
            );
            Threshold::Count(0)
        }
    }
}

/// The checked table (every kind but `sql` needs one; a percent threshold counts its rows) and
/// the filter on its rows.
fn table_and_filter(one: &mut One, r: &RawCheck, threshold: Threshold) {
    let line = one.line();
    if !matches!(r.kind, RawKind::Sql(_)) && r.table.is_none() {
        one.push(
            line,
            format!("check `{}` ({}) needs a table", one.id, one.kind),
        );
    }
    if matches!(threshold, Threshold::Percent(_)) && r.table.is_none() {
        one.push(
            line,
            format!(
                "check `{}`: a percent threshold needs a table to count rows of",
                one.id
            ),
        );
    }
    if let Some(t) = &r.table {
        one.use_table(t, "table");
    }
    if let Some(f) = &r.filter {
        one.expr("where", f);
    }
}
