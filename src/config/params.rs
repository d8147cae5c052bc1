//! Parameters bound into the SQL models as named placeholders (`$year`, `$long_term_months`, …).
//!
//! Owns the typed form of `parameters.register` in pipelines/ekonomiskt_bistand.yaml and the map of
//! placeholder values a run binds. Guarantees: values are only ever bound through DataFusion
//! `ParamValues`, never formatted into SQL text; integers are bound as Int64, matching the staged
//! tables' integer columns.

use crate::vocab::MissingHistory;
use datafusion::common::ParamValues;
use datafusion::scalar::ScalarValue;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The longest very-long-term window the SQL supports: 5 years × 12 months = 60 bits of the month
/// sets in int_person_region_ar. `oj validate` and the run enforce the same limit.
pub(crate) const MAX_WINDOW_YEARS: i64 = 5;

/// `parameters.register` of the pipeline file (domain.md thresholds).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterParameters {
    /// Long-term: at least this many paid months in the year (10).
    pub long_term_months: i64,
    /// Very long-term: at least this many paid months over the window (27).
    pub(crate) very_long_term_months: i64,
    /// Years in the very-long-term window, ending in Y (3).
    pub very_long_term_window_years: i64,
    /// Adults are at least this old (18).
    pub(crate) adult_min_age: i64,
    /// Young adults: from this age (18) …
    pub(crate) young_adult_min_age: i64,
    /// … to this age (24), inclusive.
    pub(crate) young_adult_max_age: i64,
    /// Children are at most this old (17).
    pub(crate) child_max_age: i64,
    /// Children below this age are only counts per household-month (16).
    pub(crate) counted_child_below_age: i64,
    /// Policy when history years are missing.
    pub missing_history: MissingHistory,
}

/// The placeholder values of one run: `$year` plus every register parameter, plus any extra
/// parameters other models need.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelParams {
    year: i64,
    window_years: i64,
    missing_history: MissingHistory,
    values: BTreeMap<String, ScalarValue>,
}

impl ModelParams {
    /// Parameters for year `year`: `$year` and each field of `register` under its own name
    /// (`$long_term_months`, …; `$missing_history` as text).
    pub fn new(year: i64, register: &RegisterParameters) -> Self {
        let ints = [
            ("year", year),
            ("long_term_months", register.long_term_months),
            ("very_long_term_months", register.very_long_term_months),
            (
                "very_long_term_window_years",
                register.very_long_term_window_years,
            ),
            ("adult_min_age", register.adult_min_age),
            ("young_adult_min_age", register.young_adult_min_age),
            ("young_adult_max_age", register.young_adult_max_age),
            ("child_max_age", register.child_max_age),
            ("counted_child_below_age", register.counted_child_below_age),
        ];
        let mut values: BTreeMap<String, ScalarValue> = ints
            .into_iter()
            .map(|(k, v)| (k.to_string(), ScalarValue::Int64(Some(v))))
            .collect();
        let policy = match register.missing_history {
            MissingHistory::Fail => "fail",
            MissingHistory::NotApplicable => "not_applicable",
        };
        values.insert(
            "missing_history".into(),
            ScalarValue::Utf8(Some(policy.into())),
        );
        ModelParams {
            year,
            window_years: register.very_long_term_window_years,
            missing_history: register.missing_history,
            values,
        }
    }

    /// Adds (or replaces) the placeholder `$name`.
    pub fn with(mut self, name: &str, value: ScalarValue) -> Self {
        self.values.insert(name.to_string(), value);
        self
    }

    /// The reference year Y.
    pub fn year(&self) -> i64 {
        self.year
    }

    /// Years in the very-long-term window (Y and the years before it).
    pub fn window_years(&self) -> i64 {
        self.window_years
    }

    /// The missing-history policy.
    pub fn missing_history(&self) -> MissingHistory {
        self.missing_history
    }

    /// The value bound to `$name`, if any.
    pub fn get(&self, name: &str) -> Option<&ScalarValue> {
        self.values.get(name)
    }

    /// All values as DataFusion named parameters.
    pub fn param_values(&self) -> ParamValues {
        ParamValues::from(
            self.values
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Vec<_>>(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_register_parameters_as_int64_and_the_policy_as_text() {
        let r = RegisterParameters {
            long_term_months: 10,
            very_long_term_months: 27,
            very_long_term_window_years: 3,
            adult_min_age: 18,
            young_adult_min_age: 18,
            young_adult_max_age: 24,
            child_max_age: 17,
            counted_child_below_age: 16,
            missing_history: MissingHistory::NotApplicable,
        };
        let p = ModelParams::new(2017, &r);
        assert_eq!(p.get("year"), Some(&ScalarValue::Int64(Some(2017))));
        assert_eq!(
            p.get("long_term_months"),
            Some(&ScalarValue::Int64(Some(10)))
        );
        assert_eq!(p.window_years(), 3);
        assert_eq!(
            p.get("missing_history"),
            Some(&ScalarValue::Utf8(Some("not_applicable".into())))
        );
    }
}
