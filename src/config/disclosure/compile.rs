//! Compiling the raw disclosure configuration: every name checked against the known indicators,
//! levels and groups, every parameter against its range, each problem reported at its place.

use super::raw::{RawDisclosure, RawTerm};
use super::{
    AmountRule, DISCLOSURE_FILE, DisclosureConfig, GroupSplit, Hierarchy, HouseholdsRule, Identity,
    KnownIndicators, LevelLink, LinkedTables, Part, Protection, RelationKind, Term,
};
use crate::config::Diagnostic;
use crate::vocab::{Grupp, Niva};
use crate::yaml;
use std::collections::BTreeSet;

pub(super) struct Compiler<'a> {
    pub(super) spans: yaml::Spans,
    pub(super) known: &'a KnownIndicators,
    pub(super) diagnostics: Vec<Diagnostic>,
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

    pub(super) fn compile(&mut self, raw: RawDisclosure, min_numerator: i64) -> DisclosureConfig {
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
