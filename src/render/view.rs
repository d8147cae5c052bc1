//! The checked view of a [`PublicationInput`]: this year's rows, earlier years' rows, metadata by
//! id and per-region facts, shared by the workbook, the report and the profile.
//!
//! Guarantees: every indicator of this year's rows has metadata; metadata ids are unique; earlier
//! tables are sorted by year and hold only years before the release year.

use super::error::PublicationError;
use super::input::{IndicatorMeta, IndicatorSource, PublicationInput, RegionFacts, ReleaseInfo};
use super::rows::{Cell, Table};
use crate::vocab::Niva;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Storleksklass codes from the smallest kommuner to the largest (domain.md).
pub(crate) const STORLEKSKLASSER: [&str; 4] = ["<15000", "15000-49999", "50000-199999", ">=200000"];

/// A region or group as it appears in a sheet or table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Region {
    pub niva: Niva,
    pub code: String,
    pub name: String,
}

/// A release ready to be published.
pub(crate) struct Release<'a> {
    pub info: &'a ReleaseInfo,
    pub current: Table,
    pub earlier: Vec<Table>,
    meta: &'a [IndicatorMeta],
    by_id: HashMap<&'a str, &'a IndicatorMeta>,
    facts: Option<&'a BTreeMap<String, RegionFacts>>,
    lan_names: HashMap<String, String>,
}

impl<'a> Release<'a> {
    /// Decodes and checks all batches of `input`.
    pub(crate) fn load(input: &PublicationInput<'a>) -> Result<Release<'a>, PublicationError> {
        let mut by_id = HashMap::new();
        for m in input.meta {
            if by_id.insert(m.id.as_str(), m).is_some() {
                return Err(PublicationError::DuplicateMeta { id: m.id.clone() });
            }
        }
        let year = input.info.year;
        let name = format!("indikatorer {year}");
        let current = Table::decode(&name, year, input.rows)?;
        for (i, row) in current.rows.iter().enumerate() {
            let Some(meta) = by_id.get(row.indikator.as_str()) else {
                return Err(PublicationError::UnknownIndicator {
                    input: name,
                    id: row.indikator.clone(),
                });
            };
            if !meta.grupper.contains(&row.grupp) {
                return Err(PublicationError::BadValue {
                    input: name,
                    row: i + 1,
                    column: "grupp",
                    value: row.grupp.clone(),
                    rule: format!(
                        "{} publishes only the groups {} (hint: add the group to the indicator's grupper in pipelines/, or drop the rows)",
                        meta.id,
                        meta.grupper.join(", ")
                    ),
                });
            }
        }
        let mut earlier = Vec::new();
        for (y, batches) in input.earlier.iter().filter(|(y, _)| *y < year) {
            earlier.push(Table::decode(
                &format!("indikatorer {y} (earlier release)"),
                *y,
                batches,
            )?);
        }
        earlier.sort_by_key(|t| t.year);
        let lan_names = current.regions(Niva::Lan).into_iter().collect();
        Ok(Release {
            info: input.info,
            current,
            earlier,
            meta: input.meta,
            by_id,
            facts: input.regions,
            lan_names,
        })
    }

    /// Metadata of an indicator.
    pub(crate) fn meta(&self, id: &str) -> Option<&'a IndicatorMeta> {
        self.by_id.get(id).copied()
    }

    /// The indicators of a source that occur in this year's rows, in metadata order.
    pub(crate) fn indicators(&self, source: IndicatorSource) -> Vec<&'a IndicatorMeta> {
        let present: HashSet<&str> = self
            .current
            .rows
            .iter()
            .map(|r| r.indikator.as_str())
            .collect();
        self.meta
            .iter()
            .filter(|m| m.source == source && present.contains(m.id.as_str()))
            .collect()
    }

    /// Every indicator that occurs in this year's rows, in metadata order.
    pub(crate) fn all_indicators(&self) -> Vec<&'a IndicatorMeta> {
        [
            IndicatorSource::Register,
            IndicatorSource::Bakgrund,
            IndicatorSource::Enkat,
        ]
        .into_iter()
        .flat_map(|s| self.indicators(s))
        .collect()
    }

    /// All years' tables, oldest first, ending with this year's.
    pub(crate) fn years(&self) -> impl Iterator<Item = &Table> {
        self.earlier.iter().chain(std::iter::once(&self.current))
    }

    /// The published cell of an indicator for a region in every year that has a row, oldest
    /// first.
    pub(crate) fn history(
        &self,
        id: &str,
        niva: Niva,
        code: &str,
        grupp: &str,
    ) -> Vec<(i64, Cell)> {
        self.years()
            .filter_map(|t| t.get(id, niva, code, grupp).map(|r| (t.year, r.cell())))
            .collect()
    }

    /// Facts of a kommun or stadsdel; a stadsdel without its own facts gets its kommun's.
    pub(crate) fn facts(&self, code: &str) -> Option<&'a RegionFacts> {
        let facts = self.facts?;
        facts
            .get(code)
            .or_else(|| code.get(..4).and_then(|k| facts.get(k)))
    }

    /// The population of a kommun or stadsdel, from its own facts only (a stadsdel never shows
    /// its kommun's population).
    pub(crate) fn folkmangd(&self, code: &str) -> Option<i64> {
        self.facts?.get(code)?.folkmangd
    }

    /// The län code of a kommun or stadsdel: from its facts, else its code's first two digits.
    pub(crate) fn lan_of(&self, code: &str) -> String {
        self.facts(code)
            .and_then(|f| f.lan.clone())
            .or_else(|| code.get(..2).map(str::to_string))
            .unwrap_or_default()
    }

    /// The regions of `levels` that have a row of an indicator of `source`, in publication
    /// order: riket; each län followed by its kommuner, each kommun followed by its stadsdelar;
    /// then kommungrupper by code and storleksklasser from small to large.
    pub(crate) fn ordered_regions(&self, levels: &[Niva], source: IndicatorSource) -> Vec<Region> {
        let mut seen = HashSet::new();
        let mut regions = Vec::new();
        for r in &self.current.rows {
            let of_source = self.meta(&r.indikator).is_some_and(|m| m.source == source);
            if of_source && levels.contains(&r.niva) && seen.insert((r.niva, r.region.as_str())) {
                regions.push(Region {
                    niva: r.niva,
                    code: r.region.clone(),
                    name: r.regionnamn.clone(),
                });
            }
        }
        regions.sort_by_cached_key(|g| self.sort_key(g));
        regions
    }

    fn sort_key(&self, region: &Region) -> (u8, String, String) {
        let code = region.code.clone();
        match region.niva {
            Niva::Riket => (0, String::new(), code),
            Niva::Lan => (1, code, String::new()),
            Niva::Kommun | Niva::Stadsdel => (1, self.lan_of(&region.code), code),
            Niva::Kommungrupp => (2, code, String::new()),
            Niva::Storleksklass => {
                let rank = STORLEKSKLASSER
                    .iter()
                    .position(|k| *k == code)
                    .unwrap_or(STORLEKSKLASSER.len());
                (3, rank.to_string(), code)
            }
        }
    }

    /// The name of a län as published in this year's rows (the code when it has no row).
    pub(crate) fn lan_name(&self, lan: &str) -> String {
        self.lan_names
            .get(lan)
            .cloned()
            .unwrap_or_else(|| lan.to_string())
    }
}
