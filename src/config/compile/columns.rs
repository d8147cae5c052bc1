//! The columns of a data contract: each with its logical type and the options that fit it, one
//! small function per column rule (allowed values, pattern, bounds, equals the drop year).
//!
//! Guarantees: no header name or alias is used twice; an option that does not fit the column's
//! type is reported at the option; a bound is a number or names a parameter (resolved in
//! [`super::references`]).

use super::Collector;
use super::contract::Entry;
use crate::config::raw::{RawBound, RawProperty, RawScalar, RawSchema, RawTypeOptions};
use crate::config::{Column, LogicalType, Reference};
use crate::yaml::Spans;
use std::collections::BTreeSet;

/// The schema's columns; no name or alias is used twice (headers are matched case-blind).
pub(super) fn columns(
    c: &mut Collector,
    file: &str,
    spans: &Spans,
    schema: &RawSchema,
) -> Vec<Column> {
    let mut names = BTreeSet::new();
    let mut columns = Vec::new();
    let mut partitioned_column = None;
    for (pi, p) in schema.properties.iter().enumerate() {
        let entry = Entry {
            file,
            spans,
            path: format!("schema.0.properties.{pi}"),
        };
        let mut header_names = vec![p.name.to_lowercase()];
        header_names.extend(p.aliases.iter().map(|a| a.trim().to_lowercase()));
        for h in header_names {
            if !names.insert(h.clone()) {
                c.push(
                    file,
                    entry.at("name"),
                    format!("column name or alias `{h}` is used twice"),
                    None,
                );
            }
        }
        let mut compiled = column(c, &entry, p);
        if p.partitioned {
            partitioned(c, &entry, &mut compiled, &mut partitioned_column);
        }
        columns.push(compiled);
    }
    columns
}

/// `partitioned` (ODCS) on at most one column (`seen`: the first), of logicalType string.
fn partitioned(c: &mut Collector, entry: &Entry, column: &mut Column, seen: &mut Option<String>) {
    let problem = if column.logical != LogicalType::String {
        format!(
            "column `{}`: partitioned needs logicalType string",
            column.name
        )
    } else if let Some(first) = seen {
        format!(
            "column `{}`: only one column may be partitioned (`{first}` is)",
            column.name
        )
    } else {
        column.partitioned = true;
        *seen = Some(column.name.clone());
        return;
    };
    c.push(entry.file, entry.at("partitioned"), problem, None);
}

/// One column: its logical type and the options that fit it.
fn column(c: &mut Collector, entry: &Entry, p: &RawProperty) -> Column {
    let parsed = LogicalType::parse(&p.logical_type);
    if parsed.is_none() {
        c.push(
            entry.file,
            entry.at("logicalType"),
            format!(
                "column `{}` has unknown logicalType `{}`",
                p.name, p.logical_type
            ),
            Some("use string, integer, number or date"),
        );
    }
    let mut column = Column {
        name: p.name.clone(),
        logical: parsed.unwrap_or(LogicalType::String),
        required: p.required,
        unique: p.unique,
        aliases: p.aliases.clone(),
        allowed: Vec::new(),
        pattern: None,
        minimum: None,
        maximum: None,
        minimum_parameter: None,
        maximum_parameter: None,
        equals_drop_year: false,
        partitioned: false,
        references: None,
    };
    if let (Some(o), Some(_)) = (&p.logical_type_options, parsed) {
        column.allowed = allowed_values(c, entry, &column, o);
        column.pattern = pattern(c, entry, &column, o);
        bounds(c, entry, &mut column, o);
        column.equals_drop_year = equals_drop_year(c, entry, &column, o);
    }
    column.references = p.references.as_ref().map(|r| Reference {
        dataset: r.dataset.clone(),
        column: r.column.clone(),
        filter: r.filter.clone(),
    });
    column
}

/// The allowed values (`enum`), each of the column's type.
fn allowed_values(
    c: &mut Collector,
    entry: &Entry,
    column: &Column,
    o: &RawTypeOptions,
) -> Vec<String> {
    let mut allowed = Vec::new();
    for (k, v) in o.allowed.iter().flatten().enumerate() {
        match (v, column.logical) {
            (RawScalar::Int(i), LogicalType::Integer | LogicalType::Number) => {
                allowed.push(i.to_string())
            }
            (RawScalar::Text(s), LogicalType::String) => allowed.push(s.clone()),
            _ => c.push(
                entry.file,
                entry.at(&format!("logicalTypeOptions.enum.{k}")),
                format!(
                    "column `{}`: allowed value {v:?} does not fit logicalType {}",
                    column.name,
                    column.logical.name()
                ),
                None,
            ),
        }
    }
    allowed
}

/// The pattern of a text column, a regular expression that compiles.
fn pattern(
    c: &mut Collector,
    entry: &Entry,
    column: &Column,
    o: &RawTypeOptions,
) -> Option<String> {
    let pattern = o.pattern.as_ref()?;
    let at = entry.at("logicalTypeOptions.pattern");
    if column.logical != LogicalType::String {
        c.push(
            entry.file,
            at,
            format!(
                "column `{}`: a pattern needs logicalType string",
                column.name
            ),
            None,
        );
    }
    if let Err(e) = regex::Regex::new(pattern) {
        c.push(
            entry.file,
            at,
            format!("column `{}`: pattern does not compile: {e}", column.name),
            None,
        );
    }
    Some(pattern.clone())
}

/// The minimum and maximum of a numeric column: numbers, or `$parameter` names resolved later
/// ([`super::references::resolve_parameter_bounds`]).
fn bounds(c: &mut Collector, entry: &Entry, column: &mut Column, o: &RawTypeOptions) {
    (column.minimum, column.minimum_parameter) = bound(c, entry, column, &o.minimum, "minimum");
    (column.maximum, column.maximum_parameter) = bound(c, entry, column, &o.maximum, "maximum");
    if (o.minimum.is_some() || o.maximum.is_some())
        && !matches!(column.logical, LogicalType::Integer | LogicalType::Number)
    {
        let key = if o.minimum.is_some() {
            "minimum"
        } else {
            "maximum"
        };
        c.push(
            entry.file,
            entry.at(&format!("logicalTypeOptions.{key}")),
            format!(
                "column `{}`: minimum/maximum need a numeric logicalType",
                column.name
            ),
            None,
        );
    }
    if let (Some(lo), Some(hi)) = (column.minimum, column.maximum)
        && lo > hi
    {
        c.push(
            entry.file,
            entry.at("logicalTypeOptions.minimum"),
            format!(
                "column `{}`: minimum {lo} is above maximum {hi}",
                column.name
            ),
            None,
        );
    }
}

/// A bound as written: a number, or the name of a parameter.
fn bound(
    c: &mut Collector,
    entry: &Entry,
    column: &Column,
    b: &Option<RawBound>,
    which: &str,
) -> (Option<f64>, Option<String>) {
    match b {
        None => (None, None),
        Some(RawBound::Number(n)) => (Some(*n), None),
        Some(RawBound::Parameter(s)) => match s.strip_prefix('$') {
            Some(name) => (None, Some(name.to_string())),
            None => {
                c.push(
                    entry.file,
                    entry.at("name"),
                    format!("column `{}`: {which} `{s}` is neither a number nor a `$parameter`", column.name),
                    Some("write a number or $section.name of a pipeline parameter, e.g. $ingest.max_belopp_kr_per_household_month"),
                );
                (None, None)
            }
        },
    }
}

/// Whether the column must equal the drop's year (an integer column).
fn equals_drop_year(c: &mut Collector, entry: &Entry, column: &Column, o: &RawTypeOptions) -> bool {
    if o.equals_drop_year && column.logical != LogicalType::Integer {
        c.push(
            entry.file,
            entry.at("logicalTypeOptions.equalsDropYear"),
            format!(
                "column `{}`: equalsDropYear needs logicalType integer",
                column.name
            ),
            None,
        );
    }
    o.equals_drop_year
}
