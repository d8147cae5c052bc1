//! The raw shape of `pipelines/disclosure.yaml` as serde reads it (unknown keys rejected);
//! nothing here is checked yet – `compile` turns it into a [`super::DisclosureConfig`].

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    pub(super) disclosure: RawDisclosure,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDisclosure {
    pub(super) amounts: RawAmounts,
    pub(super) households_per_case_worker: RawHouseholds,
    pub(super) protection: RawProtection,
    pub(super) audit: RawAudit,
    pub(super) linked_tables: RawLinked,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAmounts {
    pub(super) indicators: Vec<String>,
    #[serde(default)]
    pub(super) min_contributors: Option<i64>,
    pub(super) p_percent: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHouseholds {
    pub(super) indicator: String,
    pub(super) min_households: f64,
    #[serde(default)]
    pub(super) extremes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProtection {
    pub(super) primary_count_upper: f64,
    pub(super) count_width: f64,
    pub(super) amount_percent: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAudit {
    pub(super) max_repair_rounds: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLinked {
    #[serde(default)]
    pub(super) group_splits: Vec<RawSplit>,
    #[serde(default)]
    pub(super) hierarchies: Vec<RawHierarchy>,
    #[serde(default)]
    pub(super) identities: Vec<RawIdentity>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSplit {
    pub(super) name: String,
    pub(super) total: String,
    pub(super) parts: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHierarchy {
    pub(super) name: String,
    pub(super) relation: String,
    pub(super) indicators: Vec<String>,
    pub(super) levels: Vec<RawLevelLink>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLevelLink {
    pub(super) parent: String,
    pub(super) children: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIdentity {
    pub(super) name: String,
    pub(super) relation: String,
    pub(super) groups: Vec<String>,
    pub(super) left: RawTerm,
    pub(super) right: Vec<RawTerm>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTerm {
    pub(super) indicator: String,
    pub(super) part: String,
    #[serde(default)]
    pub(super) factor: Option<f64>,
}
