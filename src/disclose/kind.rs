//! The disclosure policy that follows from an indicator's kind ([`IndicatorKind`]): which
//! primary suppression rules apply.
//!
//! Guarantees: the policy is decided here, in one place, and nowhere else; the SQL of the
//! disclose stage only applies the flags this module hands it.

use crate::vocab::IndicatorKind;
use std::collections::HashMap;

/// The kind of every indicator id that may appear in the indicator rows.
pub type IndicatorKinds = HashMap<String, IndicatorKind>;

/// Ids of survey indicators start with this prefix (domain.md: `enk_…`).
pub(crate) const SURVEY_PREFIX: &str = "enk_";

impl IndicatorKind {
    /// Whether the numerator rule (numerator in `1..min_numerator`) applies.
    ///
    /// - `andel`, `antal`: the numerator counts persons or households – yes.
    /// - `kvot`: the numerator counts households (e.g. households per case worker) – yes.
    /// - `kronor`, `tkr`: the numerator is an amount of money, not a count of persons; an
    ///   amount of 1–4 kronor says nothing about how few people it concerns – no.
    pub(crate) fn numerator_rule(self) -> bool {
        matches!(
            self,
            IndicatorKind::Andel | IndicatorKind::Antal | IndicatorKind::Kvot
        )
    }

    /// Whether the denominator rule (denominator below `min_denominator`) applies.
    ///
    /// - `andel`: the denominator is a population – yes.
    /// - `kronor` (per inhabitant): the denominator is the mean population; a region with fewer
    ///   than `min_denominator` inhabitants would publish an amount attributable to a handful
    ///   of households – yes.
    /// - `antal`, `tkr`: there is no denominator – no.
    /// - `kvot`: the denominator is a number of case workers (often below 20 in every kommun);
    ///   it is not a population and protects nobody – no.
    pub(crate) fn denominator_rule(self) -> bool {
        matches!(self, IndicatorKind::Andel | IndicatorKind::Kronor)
    }

    /// Survey shares over organisations are exempt from primary suppression: the units are
    /// kommuner and stadsdelar whose own answers are published one by one, so a share of 3 out
    /// of 7 responding kommuner reveals nothing that is not already public. Respondent-level
    /// survey values (namnare null at kommun/stadsdel level) are exempt for the same reason
    /// whatever their kind; that row-level rule is applied in the disclose SQL.
    pub(crate) fn survey_exempt(self, indikator: &str) -> bool {
        indikator.starts_with(SURVEY_PREFIX) && self == IndicatorKind::Andel
    }
}

/// The kinds of the register and background indicators of a compiled pipeline; survey
/// indicators are added by the survey configuration.
pub fn kinds_of(indicators: &[crate::config::IndicatorDef]) -> IndicatorKinds {
    indicators.iter().map(|d| (d.id.clone(), d.kind)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_get_both_rules_amounts_only_the_population_rule() {
        assert!(IndicatorKind::Andel.numerator_rule() && IndicatorKind::Andel.denominator_rule());
        assert!(IndicatorKind::Antal.numerator_rule() && !IndicatorKind::Antal.denominator_rule());
        assert!(
            !IndicatorKind::Kronor.numerator_rule() && IndicatorKind::Kronor.denominator_rule()
        );
        assert!(!IndicatorKind::Tkr.numerator_rule() && !IndicatorKind::Tkr.denominator_rule());
        assert!(IndicatorKind::Kvot.numerator_rule() && !IndicatorKind::Kvot.denominator_rule());
    }

    #[test]
    fn only_survey_shares_are_exempt() {
        assert!(IndicatorKind::Andel.survey_exempt("enk_socialjour"));
        assert!(!IndicatorKind::Kvot.survey_exempt("enk_hushall_per_handlaggare"));
        assert!(!IndicatorKind::Andel.survey_exempt("reg_mottagare_andel"));
    }

    #[test]
    fn kinds_parse_from_pipeline_words() {
        let k: IndicatorKind = serde_json::from_str("\"tkr\"").unwrap();
        assert_eq!(k, IndicatorKind::Tkr);
        assert_eq!(IndicatorKind::Kvot.to_string(), "kvot");
    }
}
