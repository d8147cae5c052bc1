//! Primary suppression (domain.md): the rules that hide a cell for what it is, before any
//! relation is looked at.
//!
//! - shares and counts: numerator 1 – (`min_numerator` − 1), or a population denominator below
//!   `min_denominator` (which rule applies follows from the indicator's kind, [`super::kind`]);
//! - amounts (`disclosure.amounts` in `pipelines/disclosure.yaml`): fewer than
//!   `min_contributors` households behind the amount, or the p % dominance rule;
//! - households per case worker of a respondent: households above 0 and below
//!   `min_households`;
//! - survey shares are exempt (organisations' answers are public), and so is every survey value
//!   of a single respondent except households per case worker.
//!
//! Guarantees: `-` and `.` cells keep their marks; a numerator of 0 is never suppressed by a
//! primary rule ("nobody" identifies nobody).

use super::cells::{Cell, Mark, PrimaryReason};
use super::kind::SURVEY_PREFIX;
use super::params::DisclosureParams;
use crate::config::disclosure::DisclosureConfig;
use std::collections::HashMap;

/// The households behind one amount cell (`int_belopp_bidrag`), never published.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Contribution {
    /// Households with a payment in the region.
    pub households: i64,
    /// The largest and second-largest household amount (kronor).
    pub largest: f64,
    pub second: f64,
    /// The total amount (kronor).
    pub total: f64,
}

/// Contributions per (niva, region).
pub type Contributions = HashMap<(String, String), Contribution>;

/// The primary mark of a cell.
pub fn primary(
    cell: &Cell,
    params: &DisclosureParams,
    config: &DisclosureConfig,
    contributions: &Contributions,
) -> Mark {
    if !cell.computed() {
        return cell.input;
    }
    let respondent = matches!(cell.niva.as_str(), "kommun" | "stadsdel");
    if cell.indikator == config.households.indicator && respondent {
        let households = cell.taljare.unwrap_or(0.0);
        return if households > 0.0 && households < config.households.min_households {
            Mark::Primary(PrimaryReason::Households)
        } else {
            Mark::Published
        };
    }
    if cell.kind.survey_exempt(&cell.indikator)
        || (cell.indikator.starts_with(SURVEY_PREFIX) && respondent && cell.namnare.is_none())
    {
        return Mark::Published;
    }
    if let Some(n) = cell.numerator()
        && cell.kind.numerator_rule()
        && n > 0.0
        && n < params.min_numerator as f64
    {
        return Mark::Primary(PrimaryReason::Numerator);
    }
    if cell.kind.denominator_rule()
        && let Some(d) = cell.namnare
        && d < params.min_denominator as f64
    {
        return Mark::Primary(PrimaryReason::Denominator);
    }
    if config.amounts.indicators.contains(&cell.indikator) {
        let c = contributions
            .get(&(cell.niva.clone(), cell.region.clone()))
            .copied()
            .unwrap_or_default();
        if c.households > 0 && c.households < config.amounts.min_contributors {
            return Mark::Primary(PrimaryReason::Contributors);
        }
        if c.households > 0
            && c.total - c.largest - c.second < config.amounts.p_percent / 100.0 * c.largest
        {
            return Mark::Primary(PrimaryReason::Dominance);
        }
    }
    Mark::Published
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::IndicatorKind;

    fn config() -> DisclosureConfig {
        crate::config::compile_project(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .disclosure
    }

    fn cell(indikator: &str, kind: IndicatorKind, taljare: Option<f64>) -> Cell {
        Cell {
            ar: 2017,
            indikator: indikator.into(),
            niva: "kommun".into(),
            region: "0181".into(),
            regionnamn: None,
            grupp: "totalt".into(),
            kind,
            varde: taljare.map(|t| t / 1000.0),
            taljare,
            namnare: Some(1000.0),
            input: Mark::Published,
        }
    }

    fn amount(total: f64, households: i64, largest: f64, second: f64) -> Mark {
        let c = cell(
            "reg_belopp_per_invanare",
            IndicatorKind::Kronor,
            Some(total),
        );
        let contributions: Contributions = [(
            ("kommun".to_string(), "0181".to_string()),
            Contribution {
                households,
                largest,
                second,
                total,
            },
        )]
        .into();
        primary(&c, &DisclosureParams::default(), &config(), &contributions)
    }

    #[test]
    fn amounts_with_few_households_are_suppressed() {
        // 4 households < 5: suppressed whatever the amounts.
        assert_eq!(
            amount(400_000.0, 4, 100_000.0, 100_000.0),
            Mark::Primary(PrimaryReason::Contributors)
        );
        // 5 households of 100 000 each: 500 000 − 100 000 − 100 000 = 300 000 ≥ 10 % of
        // 100 000: published.
        assert_eq!(amount(500_000.0, 5, 100_000.0, 100_000.0), Mark::Published);
    }

    #[test]
    fn one_dominant_household_suppresses_the_amount() {
        // 6 households: one got 1 000 000, one 50 000, four 2 000 each (8 000).
        // total − x1 − x2 = 8 000 < 10 % of 1 000 000 = 100 000: the second-largest household
        // could estimate the largest within 10 % – suppressed.
        assert_eq!(
            amount(1_058_000.0, 6, 1_000_000.0, 50_000.0),
            Mark::Primary(PrimaryReason::Dominance)
        );
        // The rest 120 000 ≥ 100 000: published.
        assert_eq!(
            amount(1_170_000.0, 6, 1_000_000.0, 50_000.0),
            Mark::Published
        );
    }

    #[test]
    fn no_payment_at_all_is_published() {
        assert_eq!(amount(0.0, 0, 0.0, 0.0), Mark::Published);
    }

    #[test]
    fn households_per_case_worker_follow_their_own_threshold() {
        let mut c = cell(
            "enk_hushall_per_handlaggare",
            IndicatorKind::Kvot,
            Some(4.5),
        );
        c.namnare = Some(0.5);
        let none = Contributions::new();
        let p = DisclosureParams::default();
        // 4.5 households on average: above 0 and below 5.
        assert_eq!(
            primary(&c, &p, &config(), &none),
            Mark::Primary(PrimaryReason::Households)
        );
        c.taljare = Some(5.0);
        assert_eq!(primary(&c, &p, &config(), &none), Mark::Published);
        c.taljare = Some(0.0);
        assert_eq!(primary(&c, &p, &config(), &none), Mark::Published);
    }
}
