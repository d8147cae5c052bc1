//! What the publication is made from: the release's `indikatorer` batches, the indicator metadata
//! of `pipelines/`, the release facts, optional per-region facts for sorting, and the
//! `indikatorer` of earlier years' releases for trends.

use crate::vocab::IndicatorKind;
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Where an indicator comes from; decides the workbook sheet and report section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IndicatorSource {
    /// The monthly register (`reg_…`).
    Register,
    /// The background measures (`bak_…`).
    Bakgrund,
    /// The kommunenkät (`enk_…`).
    Enkat,
}

/// One indicator's definition, as in `pipelines/ekonomiskt_bistand.yaml` `indicators:` (and the
/// survey indicators of `pipelines/enkat.yaml`). Texts are published as written there.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorMeta {
    /// Indicator id, e.g. `reg_mottagare_andel`.
    pub id: String,
    /// Swedish name with unit, e.g. `Andel biståndsmottagare i befolkningen, %`.
    pub namn: String,
    /// Value kind.
    pub kind: IndicatorKind,
    /// Source of the data.
    pub source: IndicatorSource,
    /// What the numerator counts.
    #[serde(default)]
    pub taljare: Option<String>,
    /// What the denominator counts (none for counts and sums).
    #[serde(default)]
    pub namnare: Option<String>,
    /// Groups published, in display order (`totalt`, `kvinnor`, `man`, `inrikes`, `utrikes`).
    pub grupper: Vec<String>,
    /// The indicator's Kolada KPI id (`kolada_kpi:`), when declared.
    #[serde(default)]
    pub kolada_kpi: Option<String>,
}

/// Facts about the release shown in the workbook and the report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseInfo {
    /// Reference year.
    pub year: i64,
    /// Release folder name, e.g. `v002`; empty when not known yet (the line is then left out).
    pub version: String,
    /// When the release was created (also the workbook's creation time, so output is
    /// reproducible).
    pub created: DateTime<Utc>,
    /// The data sources, one line each, e.g. `Registret över ekonomiskt bistånd 2017`.
    pub sources: Vec<String>,
}

impl ReleaseInfo {
    /// The release version, unless empty.
    pub(crate) fn known_version(&self) -> Option<&str> {
        Some(self.version.as_str()).filter(|v| !v.is_empty())
    }
}

/// Facts about one kommun or stadsdel used as sorting keys and comparison groups. Any field may
/// be unknown.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RegionFacts {
    /// Län code (2 digits); when absent, the first two digits of the region code are used.
    pub lan: Option<String>,
    /// SKR kommungrupp code (`A1`…`C9`) of the kommun (for a stadsdel: of its kommun).
    pub kommungrupp: Option<String>,
    /// Storleksklass code (`<15000`, …) of the kommun.
    pub storleksklass: Option<String>,
    /// Population 31 December of the year (of the region itself; a stadsdel does not inherit
    /// its kommun's).
    pub folkmangd: Option<i64>,
}

/// Everything the publication functions read. Borrowed, so the caller keeps ownership.
#[derive(Debug, Clone, Copy)]
pub struct PublicationInput<'a> {
    /// The release's final `indikatorer` rows (outputs.md columns).
    pub rows: &'a [RecordBatch],
    /// Metadata of every indicator that occurs in `rows` (and `earlier`).
    pub meta: &'a [IndicatorMeta],
    /// The release.
    pub info: &'a ReleaseInfo,
    /// Per-region facts keyed by kommun or stadsdel code; `None` when not available.
    pub regions: Option<&'a BTreeMap<String, RegionFacts>>,
    /// `indikatorer` batches of earlier years' releases, for trends; may be empty. Entries for
    /// the release year or later are ignored; rows of indicators without metadata are kept but
    /// never shown (a discontinued survey indicator).
    pub earlier: &'a [(i64, Vec<RecordBatch>)],
}
