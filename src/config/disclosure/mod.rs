//! `pipelines/disclosure.yaml`: the primary rules for amounts and households per case worker,
//! the protection levels of the intruder audit and the declared relations between published
//! cells (`linked_tables`), parsed into raw structures and compiled into [`DisclosureConfig`].
//!
//! Guarantees: a compiled configuration names only indicators, levels and groups that exist
//! (register and background indicators of the pipeline, survey indicators of any year), every
//! group of a relation is a group of the indicators it names, a denominator term names an
//! indicator that has a denominator, and every parameter is in range. Every problem is reported
//! with file, line and column (found by its place in the document, see [`crate::yaml::Spans`]),
//! all at once.

mod compile;
mod raw;

use self::compile::Compiler;
use self::raw::RawFile;
use super::{Diagnostic, IndicatorDef};
use crate::yaml;
use std::collections::BTreeMap;

/// The disclosure configuration file, relative to the project root.
pub(crate) const DISCLOSURE_FILE: &str = "pipelines/disclosure.yaml";

/// How the left side (a parent, a total) relates to the sum of the right side (its parts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    /// left = Σ right.
    Exact,
    /// Level-specific counting: max(right) ≤ left ≤ Σ right; treated as exact where the
    /// published numbers allow it.
    Movers,
    /// Long-term counts: Σ right ≤ left (a person long-term in the parent may be long-term in
    /// none of its parts, and in at most one); treated as exact where the published numbers
    /// allow it.
    AtLeastSum,
    /// left ≤ Σ right (a subset); used by the audit only.
    AtMost,
}

impl RelationKind {
    fn parse(word: &str) -> Option<RelationKind> {
        match word {
            "exact" => Some(RelationKind::Exact),
            "movers" => Some(RelationKind::Movers),
            "at_least_sum" => Some(RelationKind::AtLeastSum),
            "at_most" => Some(RelationKind::AtMost),
            _ => None,
        }
    }
}

/// Which number of a cell a term means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    /// The numerator (for a count without a separate numerator, the count; for tkr, the amount).
    Taljare,
    /// The denominator.
    Namnare,
}

/// A term of an identity: `factor × part of indicator` in the same level, region and group.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub indicator: String,
    pub part: Part,
    pub factor: f64,
}

/// `totalt = part + part` in every indicator that has all these groups.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSplit {
    pub name: String,
    pub total: String,
    pub parts: Vec<String>,
}

/// A parent level and the levels of its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelLink {
    pub parent: String,
    pub children: Vec<String>,
}

/// A regional hierarchy over the numerators of some indicators, per group.
#[derive(Debug, Clone, PartialEq)]
pub struct Hierarchy {
    pub name: String,
    pub kind: RelationKind,
    pub indicators: Vec<String>,
    pub levels: Vec<LevelLink>,
}

/// An identity between indicators of one region, per group.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub name: String,
    pub kind: RelationKind,
    pub groups: Vec<String>,
    pub left: Term,
    pub right: Vec<Term>,
}

/// Every declared relation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LinkedTables {
    pub group_splits: Vec<GroupSplit>,
    pub hierarchies: Vec<Hierarchy>,
    pub identities: Vec<Identity>,
}

/// Primary suppression of amounts.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AmountRule {
    pub indicators: Vec<String>,
    pub min_contributors: i64,
    pub p_percent: f64,
}

/// Primary suppression of households per case worker per respondent.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HouseholdsRule {
    pub indicator: String,
    pub min_households: f64,
    pub extremes: Vec<String>,
}

/// What the intruder audit demands of every suppressed cell.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Protection {
    pub primary_count_upper: f64,
    pub count_width: f64,
    pub amount_percent: f64,
}

/// The compiled `pipelines/disclosure.yaml`.
#[derive(Debug, Clone, PartialEq)]
pub struct DisclosureConfig {
    pub amounts: AmountRule,
    pub households: HouseholdsRule,
    pub protection: Protection,
    pub max_repair_rounds: usize,
    pub linked: LinkedTables,
}

/// What the compile step needs to know of the indicators: id → (groups, has a denominator).
pub struct KnownIndicators {
    groups: BTreeMap<String, (Vec<String>, bool)>,
}

impl KnownIndicators {
    /// The register and background indicators of the pipeline plus the survey indicators of any
    /// year (group `totalt`; every survey indicator with a numerator has a denominator).
    pub fn new<'a>(
        pipeline: &[IndicatorDef],
        survey: impl IntoIterator<Item = (&'a str, bool)>,
    ) -> Self {
        let mut groups: BTreeMap<String, (Vec<String>, bool)> = pipeline
            .iter()
            .map(|d| (d.id.clone(), (d.grupper.clone(), d.namnare.is_some())))
            .collect();
        for (id, has_namnare) in survey {
            groups
                .entry(id.to_string())
                .or_insert_with(|| (vec!["totalt".to_string()], has_namnare));
        }
        KnownIndicators { groups }
    }
}

/// Parses and compiles the text of `pipelines/disclosure.yaml`. `min_numerator` is the default
/// of `min_contributors`.
pub fn compile(
    text: &str,
    known: &KnownIndicators,
    min_numerator: i64,
) -> Result<DisclosureConfig, Vec<Diagnostic>> {
    let raw: RawFile = yaml::parse(DISCLOSURE_FILE, text)
        .map_err(|e| vec![Diagnostic::at(DISCLOSURE_FILE, e.pos(), e.message, None)])?;
    let mut c = Compiler {
        spans: yaml::Spans::read(text),
        known,
        diagnostics: Vec::new(),
    };
    let config = c.compile(raw.disclosure, min_numerator);
    if c.diagnostics.is_empty() {
        Ok(config)
    } else {
        Err(c.diagnostics)
    }
}
