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

use super::{Diagnostic, IndicatorDef};
use crate::vocab::{Grupp, Niva};
use crate::yaml;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The disclosure configuration file, relative to the project root.
pub const DISCLOSURE_FILE: &str = "pipelines/disclosure.yaml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    disclosure: RawDisclosure,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDisclosure {
    amounts: RawAmounts,
    households_per_case_worker: RawHouseholds,
    protection: RawProtection,
    audit: RawAudit,
    linked_tables: RawLinked,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAmounts {
    indicators: Vec<String>,
    #[serde(default)]
    min_contributors: Option<i64>,
    p_percent: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHouseholds {
    indicator: String,
    min_households: f64,
    #[serde(default)]
    extremes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProtection {
    primary_count_upper: f64,
    count_width: f64,
    amount_percent: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudit {
    max_repair_rounds: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLinked {
    #[serde(default)]
    group_splits: Vec<RawSplit>,
    #[serde(default)]
    hierarchies: Vec<RawHierarchy>,
    #[serde(default)]
    identities: Vec<RawIdentity>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSplit {
    name: String,
    total: String,
    parts: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHierarchy {
    name: String,
    relation: String,
    indicators: Vec<String>,
    levels: Vec<RawLevelLink>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLevelLink {
    parent: String,
    children: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentity {
    name: String,
    relation: String,
    groups: Vec<String>,
    left: RawTerm,
    right: Vec<RawTerm>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerm {
    indicator: String,
    part: String,
    #[serde(default)]
    factor: Option<f64>,
}

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

struct Compiler<'a> {
    spans: yaml::Spans,
    known: &'a KnownIndicators,
    diagnostics: Vec<Diagnostic>,
}

impl Compiler<'_> {
    /// A problem at `path` below `disclosure` (where the value is or, when it is absent, the
    /// mapping that lacks it).
    fn push(&mut self, path: &str, message: String, hint: Option<&str>) {
        let at = self.spans.at(&format!("disclosure.{path}"));
        self.diagnostics.push(Diagnostic::at(
            DISCLOSURE_FILE,
            at,
            message,
            hint.map(str::to_string),
        ));
    }

    fn indicator(&mut self, path: &str, context: &str, id: &str) -> bool {
        if self.known.groups.contains_key(id) {
            return true;
        }
        self.push(
            path,
            format!("{context}: unknown indicator `{id}`"),
            Some("name a register or background indicator of ekonomiskt_bistand.yaml or a survey indicator of enkat.yaml"),
        );
        false
    }

    fn level(&mut self, path: &str, context: &str, level: &str) -> bool {
        if Niva::parse(level).is_some() {
            return true;
        }
        self.push(
            path,
            format!("{context}: unknown level `{level}`"),
            Some("levels are riket, lan, kommun, stadsdel, kommungrupp, storleksklass"),
        );
        false
    }

    fn group(&mut self, path: &str, context: &str, group: &str) -> bool {
        if Grupp::parse(group).is_some() {
            return true;
        }
        self.push(
            path,
            format!("{context}: unknown group `{group}`"),
            Some("groups are totalt, kvinnor, man, inrikes, utrikes"),
        );
        false
    }

    fn kind(
        &mut self,
        path: &str,
        context: &str,
        word: &str,
        allowed: &[RelationKind],
    ) -> RelationKind {
        match RelationKind::parse(word) {
            Some(k) if allowed.contains(&k) => k,
            _ => {
                self.push(
                    path,
                    format!("{context}: relation `{word}` is not allowed here"),
                    Some(if allowed.contains(&RelationKind::Movers) {
                        "a hierarchy is `exact`, `movers` or `at_least_sum`"
                    } else {
                        "an identity is `exact` or `at_most`"
                    }),
                );
                RelationKind::Exact
            }
        }
    }

    /// A term of an identity, at `path` (`linked_tables.identities.<i>.left` or `….right.<j>`).
    fn term(&mut self, path: &str, context: &str, raw: &RawTerm, groups: &[String]) -> Term {
        let part = match raw.part.as_str() {
            "taljare" => Part::Taljare,
            "namnare" => Part::Namnare,
            other => {
                self.push(
                    &format!("{path}.part"),
                    format!("{context}: unknown part `{other}`"),
                    Some("a term is the `taljare` or the `namnare` of an indicator"),
                );
                Part::Taljare
            }
        };
        let indicator = format!("{path}.indicator");
        if self.indicator(&indicator, context, &raw.indicator) {
            let (own, has_namnare) = self.known.groups[&raw.indicator].clone();
            if part == Part::Namnare && !has_namnare {
                self.push(
                    &indicator,
                    format!(
                        "{context}: `{}` has no denominator (namnare)",
                        raw.indicator
                    ),
                    None,
                );
            }
            // An indicator whose own groups are broken is reported by the pipeline's compile.
            let own_valid = own.iter().all(|g| Grupp::parse(g).is_some());
            for g in groups.iter().filter(|_| own_valid) {
                if Grupp::parse(g).is_some() && !own.contains(g) {
                    self.push(
                        &indicator,
                        format!(
                            "{context}: `{}` has no group `{g}` (it has {})",
                            raw.indicator,
                            own.join(", ")
                        ),
                        None,
                    );
                }
            }
        }
        let factor = raw.factor.unwrap_or(1.0);
        if !(factor.is_finite() && factor > 0.0) {
            self.push(
                &format!("{path}.factor"),
                format!("{context}: factor must be a positive number"),
                None,
            );
        }
        Term {
            indicator: raw.indicator.clone(),
            part,
            factor,
        }
    }

    /// `value`, at `path`, is within `low..=high`; the message names the last key of `path`.
    fn range(&mut self, path: &str, value: f64, low: f64, high: f64) {
        if !(value.is_finite() && value >= low && value <= high) {
            let key = path.rsplit('.').next().unwrap_or(path);
            self.push(
                path,
                format!("`{key}` = {value} is out of range [{low}, {high}]"),
                None,
            );
        }
    }

    fn compile(&mut self, raw: RawDisclosure, min_numerator: i64) -> DisclosureConfig {
        let rules = raw
            .amounts
            .indicators
            .iter()
            .enumerate()
            .map(|(i, id)| (format!("amounts.indicators.{i}"), id))
            .chain(std::iter::once((
                "households_per_case_worker.indicator".to_string(),
                &raw.households_per_case_worker.indicator,
            )))
            .chain(
                raw.households_per_case_worker
                    .extremes
                    .iter()
                    .enumerate()
                    .map(|(i, id)| (format!("households_per_case_worker.extremes.{i}"), id)),
            );
        for (path, id) in rules {
            self.indicator(&path, "disclosure rule", id);
        }
        let min_contributors = raw.amounts.min_contributors.unwrap_or(min_numerator);
        self.range(
            "amounts.min_contributors",
            min_contributors as f64,
            1.0,
            1e6,
        );
        self.range("amounts.p_percent", raw.amounts.p_percent, 0.0, 100.0);
        self.range(
            "households_per_case_worker.min_households",
            raw.households_per_case_worker.min_households,
            0.0,
            1e6,
        );
        self.range(
            "protection.primary_count_upper",
            raw.protection.primary_count_upper,
            0.0,
            1e6,
        );
        self.range(
            "protection.count_width",
            raw.protection.count_width,
            0.0,
            1e6,
        );
        self.range(
            "protection.amount_percent",
            raw.protection.amount_percent,
            0.0,
            100.0,
        );
        self.range(
            "audit.max_repair_rounds",
            raw.audit.max_repair_rounds as f64,
            0.0,
            10_000.0,
        );

        let mut names = BTreeSet::new();
        let mut unique = |c: &mut Self, path: &str, name: &str| {
            if !names.insert(name.to_string()) {
                c.push(
                    &format!("{path}.name"),
                    format!("relation name `{name}` is used twice"),
                    None,
                );
            }
        };

        let mut group_splits = Vec::new();
        for (si, s) in raw.linked_tables.group_splits.iter().enumerate() {
            let path = format!("linked_tables.group_splits.{si}");
            unique(self, &path, &s.name);
            let context = format!("group split `{}`", s.name);
            self.group(&format!("{path}.total"), &context, &s.total);
            for (pi, p) in s.parts.iter().enumerate() {
                self.group(&format!("{path}.parts.{pi}"), &context, p);
            }
            if s.parts.len() < 2 || s.parts.contains(&s.total) {
                self.push(
                    &format!("{path}.parts"),
                    format!("{context}: needs two or more parts other than the total"),
                    None,
                );
            }
            group_splits.push(GroupSplit {
                name: s.name.clone(),
                total: s.total.clone(),
                parts: s.parts.clone(),
            });
        }

        let mut hierarchies = Vec::new();
        for (hi, h) in raw.linked_tables.hierarchies.iter().enumerate() {
            let path = format!("linked_tables.hierarchies.{hi}");
            unique(self, &path, &h.name);
            let context = format!("hierarchy `{}`", h.name);
            let kind = self.kind(
                &format!("{path}.relation"),
                &context,
                &h.relation,
                &[
                    RelationKind::Exact,
                    RelationKind::Movers,
                    RelationKind::AtLeastSum,
                ],
            );
            for (ii, id) in h.indicators.iter().enumerate() {
                self.indicator(&format!("{path}.indicators.{ii}"), &context, id);
            }
            let mut levels = Vec::new();
            for (li, l) in h.levels.iter().enumerate() {
                let level = format!("{path}.levels.{li}");
                self.level(&format!("{level}.parent"), &context, &l.parent);
                for (ci, child) in l.children.iter().enumerate() {
                    self.level(&format!("{level}.children.{ci}"), &context, child);
                }
                if l.children.is_empty() || l.children.contains(&l.parent) {
                    self.push(
                        &format!("{level}.children"),
                        format!(
                            "{context}: level `{}` needs child levels other than itself",
                            l.parent
                        ),
                        None,
                    );
                }
                levels.push(LevelLink {
                    parent: l.parent.clone(),
                    children: l.children.clone(),
                });
            }
            hierarchies.push(Hierarchy {
                name: h.name.clone(),
                kind,
                indicators: h.indicators.clone(),
                levels,
            });
        }

        let mut identities = Vec::new();
        for (ii, i) in raw.linked_tables.identities.iter().enumerate() {
            let path = format!("linked_tables.identities.{ii}");
            unique(self, &path, &i.name);
            let context = format!("identity `{}`", i.name);
            let kind = self.kind(
                &format!("{path}.relation"),
                &context,
                &i.relation,
                &[RelationKind::Exact, RelationKind::AtMost],
            );
            for (gi, g) in i.groups.iter().enumerate() {
                self.group(&format!("{path}.groups.{gi}"), &context, g);
            }
            if i.right.is_empty() {
                self.push(
                    &format!("{path}.right"),
                    format!("{context}: the right side has no term"),
                    None,
                );
            }
            let left = self.term(&format!("{path}.left"), &context, &i.left, &i.groups);
            let right = i
                .right
                .iter()
                .enumerate()
                .map(|(ri, t)| self.term(&format!("{path}.right.{ri}"), &context, t, &i.groups))
                .collect();
            identities.push(Identity {
                name: i.name.clone(),
                kind,
                groups: i.groups.clone(),
                left,
                right,
            });
        }

        DisclosureConfig {
            amounts: AmountRule {
                indicators: raw.amounts.indicators,
                min_contributors,
                p_percent: raw.amounts.p_percent,
            },
            households: HouseholdsRule {
                indicator: raw.households_per_case_worker.indicator,
                min_households: raw.households_per_case_worker.min_households,
                extremes: raw.households_per_case_worker.extremes,
            },
            protection: Protection {
                primary_count_upper: raw.protection.primary_count_upper,
                count_width: raw.protection.count_width,
                amount_percent: raw.protection.amount_percent,
            },
            max_repair_rounds: raw.audit.max_repair_rounds.max(0) as usize,
            linked: LinkedTables {
                group_splits,
                hierarchies,
                identities,
            },
        }
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
