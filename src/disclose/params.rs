//! The statistical disclosure control parameters (`parameters.disclosure` in
//! `pipelines/ekonomiskt_bistand.yaml`).

use serde::{Deserialize, Serialize};

/// Thresholds of primary suppression. They are recorded in every release manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureParams {
    /// A numerator in `1..min_numerator` (strictly positive, below this) is suppressed.
    /// A numerator of 0 is published: "nobody" identifies nobody.
    pub min_numerator: i64,
    /// A denominator below this is suppressed.
    pub min_denominator: i64,
}

impl Default for DisclosureParams {
    /// The spec's values (domain.md): numerator 1–4, denominator below 20.
    fn default() -> Self {
        DisclosureParams {
            min_numerator: 5,
            min_denominator: 20,
        }
    }
}

impl From<&crate::config::raw::RawDisclosureParams> for DisclosureParams {
    fn from(raw: &crate::config::raw::RawDisclosureParams) -> Self {
        DisclosureParams {
            min_numerator: raw.min_numerator,
            min_denominator: raw.min_denominator,
        }
    }
}
