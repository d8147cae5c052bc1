//! `pipelines/checks.yaml` as written: serde structs, one check a tagged enum on `kind` whose
//! variants hold exactly the fields of their kind.
//!
//! Guarantees: a field the kind does not take is kept in the kind's `foreign` (not refused by
//! serde), so the compiler reports every such field at its key, with the fields the kind takes,
//! in one run; a kind's own fields are optional here, so a missing one is reported by the
//! compiler in the kind's words. A value of the wrong type in a kind's own fields is serde's
//! error, located at its check (serde reads a tagged check whole before it picks the kind, and
//! then takes a number as a number: `pattern: 123` is refused, not read as text).

use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::BTreeMap;

/// Fields a kind does not take, by name.
pub(super) type Foreign = BTreeMap<String, IgnoredAny>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChecks {
    #[serde(default)]
    pub quarantine_rows: Option<u64>,
    #[serde(default)]
    pub contract_checks: Option<String>,
    #[serde(default)]
    pub tables: Vec<RawTable>,
    pub gates: BTreeMap<String, Vec<RawCheck>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTable {
    pub name: String,
    #[serde(default)]
    pub staging: Option<String>,
    #[serde(default)]
    pub warehouse: Option<String>,
    #[serde(default)]
    pub release: Option<String>,
    #[serde(default)]
    pub previous_year: bool,
}

/// One check: the fields every kind has, and the kind with its own fields.
#[derive(Debug, Deserialize)]
pub(super) struct RawCheck {
    pub id: String,
    pub severity: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub threshold: Option<RawThreshold>,
    #[serde(default)]
    pub table: Option<String>,
    #[serde(default, rename = "where")]
    pub filter: Option<String>,
    #[serde(flatten)]
    pub kind: RawKind,
    /// The `kind` value as text (the tag is read again here), which names an unknown kind.
    #[serde(flatten)]
    pub tag: RawTag,
}

#[derive(Debug, Deserialize)]
pub(super) struct RawTag {
    pub kind: String,
}

/// The kinds of check, each with its own fields (see [`super::Kind`] for their meaning).
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(super) enum RawKind {
    NotNull(RawColumns),
    Unique(RawColumns),
    AcceptedValues(RawAcceptedValues),
    Pattern(RawPattern),
    Range(RawRange),
    Expression(RawExpression),
    RowCount(RawRowCount),
    Reference(RawReference),
    Completeness(RawCompleteness),
    SumConsistency(RawSumConsistency),
    Drift(RawDrift),
    Sql(RawSql),
    /// A `kind` that is none of the above (its name is in [`RawCheck::tag`]).
    #[serde(other)]
    Unknown,
}

impl RawKind {
    /// The fields the kind takes (besides id, kind, severity, description, threshold) and the
    /// ones given that it does not take; `None` for an unknown kind.
    pub fn fields(&self) -> Option<(&'static [&'static str], &Foreign)> {
        Some(match self {
            RawKind::NotNull(k) | RawKind::Unique(k) => (RawColumns::FIELDS, &k.foreign),
            RawKind::AcceptedValues(k) => (RawAcceptedValues::FIELDS, &k.foreign),
            RawKind::Pattern(k) => (RawPattern::FIELDS, &k.foreign),
            RawKind::Range(k) => (RawRange::FIELDS, &k.foreign),
            RawKind::Expression(k) => (RawExpression::FIELDS, &k.foreign),
            RawKind::RowCount(k) => (RawRowCount::FIELDS, &k.foreign),
            RawKind::Reference(k) => (RawReference::FIELDS, &k.foreign),
            RawKind::Completeness(k) => (RawCompleteness::FIELDS, &k.foreign),
            RawKind::SumConsistency(k) => (RawSumConsistency::FIELDS, &k.foreign),
            RawKind::Drift(k) => (RawDrift::FIELDS, &k.foreign),
            RawKind::Sql(k) => (RawSql::FIELDS, &k.foreign),
            RawKind::Unknown => return None,
        })
    }
}

/// `not_null` and `unique`.
#[derive(Debug, Deserialize)]
pub(super) struct RawColumns {
    #[serde(default)]
    pub columns: Option<Vec<String>>,
    #[serde(flatten)]
    pub(crate) foreign: Foreign,
}

impl RawColumns {
    const FIELDS: &[&str] = &["table", "where", "columns"];
}

#[derive(Debug, Deserialize)]
pub(super) struct RawAcceptedValues {
    #[serde(default)]
    pub column: Option<String>,
    #[serde(default)]
    pub values: Option<Vec<RawValue>>,
    #[serde(flatten)]
    pub(crate) foreign: Foreign,
}

impl RawAcceptedValues {
    const FIELDS: &[&str] = &["table", "where", "column", "values"];
}

#[derive(Debug, Deserialize)]
pub(super) struct RawPattern {
    #[serde(default)]
    pub column: Option<String>,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(flatten)]
    pub(crate) foreign: Foreign,
}

impl RawPattern {
    const FIELDS: &[&str] = &["table", "where", "column", "pattern"];
}

#[derive(Debug, Deserialize)]
pub(super) struct RawRange {
    #[serde(default)]
    pub column: Option<String>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(flatten)]
    pub(crate) foreign: Foreign,
}

impl RawRange {
    const FIELDS: &[&str] = &["table", "where", "column", "min", "max"];
}

#[derive(Debug, Deserialize)]
pub(super) struct RawExpression {
    #[serde(default)]
    pub rule: Option<String>,
    #[serde(flatten)]
    pub(crate) foreign: Foreign,
}

impl RawExpression {
    const FIELDS: &[&str] = &["table", "where", "rule"];
}

#[derive(Debug, Deserialize)]
pub(super) struct RawRowCount {
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(flatten)]
    pub(crate) foreign: Foreign,
}

impl RawRowCount {
    const FIELDS: &[&str] = &["table", "where", "min", "max"];
}

#[derive(Debug, Deserialize)]
pub(super) struct RawReference {
    #[serde(default)]
    pub columns: Option<Vec<String>>,
    #[serde(default)]
    pub to: Option<RawTarget>,
    #[serde(flatten)]
    pub(crate) foreign: Foreign,
}

impl RawReference {
    const FIELDS: &[&str] = &["table", "where", "columns", "to"];
}

#[derive(Debug, Deserialize)]
pub(super) struct RawCompleteness {
    #[serde(default)]
    pub columns: Option<Vec<String>>,
    #[serde(default)]
    pub expected: Option<RawExpected>,
    #[serde(flatten)]
    pub(crate) foreign: Foreign,
}

impl RawCompleteness {
    const FIELDS: &[&str] = &["table", "where", "columns", "expected"];
}

#[derive(Debug, Deserialize)]
pub(super) struct RawSumConsistency {
    #[serde(default)]
    pub column: Option<String>,
    /// The key (one column).
    #[serde(default)]
    pub columns: Option<Vec<String>>,
    #[serde(default)]
    pub parts: Option<RawParts>,
    #[serde(default)]
    pub tolerance: Option<f64>,
    #[serde(flatten)]
    pub(crate) foreign: Foreign,
}

impl RawSumConsistency {
    const FIELDS: &[&str] = &["table", "where", "column", "columns", "parts", "tolerance"];
}

#[derive(Debug, Deserialize)]
pub(super) struct RawDrift {
    #[serde(default)]
    pub column: Option<String>,
    #[serde(default)]
    pub previous: Option<String>,
    #[serde(default)]
    pub keys: Option<Vec<String>>,
    #[serde(default)]
    pub share_when: Option<String>,
    #[serde(flatten)]
    pub(crate) foreign: Foreign,
}

impl RawDrift {
    const FIELDS: &[&str] = &["table", "where", "column", "previous", "keys", "share_when"];
}

#[derive(Debug, Deserialize)]
pub(super) struct RawSql {
    #[serde(default)]
    pub sql: Option<String>,
    #[serde(flatten)]
    pub(crate) foreign: Foreign,
}

impl RawSql {
    const FIELDS: &[&str] = &["table", "where", "sql"];
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawThreshold {
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub percent: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawValue {
    Int(i64),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTarget {
    pub table: String,
    pub columns: Vec<String>,
    #[serde(default, rename = "where")]
    pub filter: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExpected {
    pub table: String,
    pub columns: Vec<String>,
    #[serde(default, rename = "where")]
    pub filter: Option<String>,
    #[serde(default)]
    pub each: Option<RawEach>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEach {
    pub column: String,
    pub from: i64,
    pub to: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawParts {
    pub table: String,
    pub part: String,
    pub whole: String,
    #[serde(default, rename = "where")]
    pub filter: Option<String>,
}
