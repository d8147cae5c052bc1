//! The protection each suppressed cell needs and how a failing audit is repaired: one more
//! suppression per failing cell in the relation that pins it most, and for a cell that failed
//! the round before too, the cells of the cheapest change that frees it ([`super::perturb`]);
//! the extremes of households per case worker suppressed beside a suppressed respondent.

use super::perturb;
use crate::config::disclosure::DisclosureConfig;
use crate::disclose::audit::{AuditReport, Need};
use crate::disclose::cells::{Mark, PrimaryReason};
use crate::disclose::report::Perturbed;
use crate::disclose::secondary;
use crate::disclose::table::Table;
use std::collections::BTreeSet;

/// What protection a suppressed cell gets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum NeedClass {
    Amount,
    SmallCount { upper_from_households: bool },
    Count,
}

pub(super) fn table_need(primary_marks: &[Mark], cell: usize) -> NeedClass {
    match primary_marks[cell] {
        Mark::Primary(PrimaryReason::Numerator) => NeedClass::SmallCount {
            upper_from_households: false,
        },
        Mark::Primary(PrimaryReason::Households) => NeedClass::SmallCount {
            upper_from_households: true,
        },
        _ => NeedClass::Count,
    }
}

pub(super) fn needs_class(
    table: &Table,
    primary_marks: &[Mark],
    config: &DisclosureConfig,
    cell: usize,
) -> NeedClass {
    if config
        .amounts
        .indicators
        .contains(&table.cells[cell].indikator)
    {
        NeedClass::Amount
    } else {
        table_need(primary_marks, cell)
    }
}

pub(super) fn need_of(class: &NeedClass, config: &DisclosureConfig) -> Need {
    let p = &config.protection;
    match class {
        NeedClass::Amount => Need::Percent {
            percent: p.amount_percent,
        },
        NeedClass::SmallCount {
            upper_from_households: true,
        } => Need::ReachesZero {
            upper: config.households.min_households,
        },
        NeedClass::SmallCount { .. } => Need::ReachesZero {
            upper: p.primary_count_upper,
        },
        NeedClass::Count => Need::Width {
            width: p.count_width,
        },
    }
}

/// One repair round: for every failing cell, one more suppression in the relation that pins it
/// most (fewest unknown terms, then declaration order), the cheapest published term there.
/// Returns whether anything was suppressed.
///
/// A cell in `persistent` (it failed the round before too: one more suppression did not free
/// it) is repaired by perturbation instead ([`perturb::protect_cell`]): every published cell of
/// the cheapest change that moves it by its protection is suppressed at once, and counted in
/// `perturbed`.
pub(super) fn repair(
    table: &mut Table,
    report: &AuditReport,
    persistent: &BTreeSet<usize>,
    perturbed: &mut Perturbed,
) -> bool {
    let mut touched: BTreeSet<usize> = BTreeSet::new();
    let mut changed = false;
    let none = Default::default();
    for failure in &report.failures {
        let relations = &table.relations_of[failure.cell];
        if relations.iter().any(|r| touched.contains(r)) {
            continue;
        }
        if persistent.contains(&failure.cell)
            && let Some(cells) = perturb::protect_cell(table, failure)
        {
            tracing::debug!(
                target: "oj::disclose",
                cell = %table.cells[failure.cell],
                suppressed = cells.len(),
                "repair by perturbation"
            );
            perturbed.cells += 1;
            for cell in cells {
                if table.marks[cell] == Mark::Published {
                    perturbed.suppressed += 1;
                }
                table.marks[cell] = Mark::Secondary;
                touched.extend(table.relations_of[cell].iter().copied());
            }
            touched.extend(table.relations_of[failure.cell].iter().copied());
            changed = true;
            continue;
        }
        let mut options: Vec<(usize, usize)> = relations
            .iter()
            .map(|&r| {
                let unknown = table.relations[r]
                    .terms()
                    .filter(|t| table.unknown(t))
                    .count();
                (unknown, r)
            })
            .collect();
        options.sort();
        for (_, r) in options {
            if let Some(cell) = secondary::cheapest(table, r, &none) {
                table.marks[cell] = Mark::Secondary;
                touched.extend(table.relations_of[cell].iter().copied());
                changed = true;
                break;
            }
        }
    }
    changed
}

/// The lowest and highest households per case worker of a län are suppressed when they equal
/// the value of a suppressed respondent of that län.
pub(super) fn suppress_extremes(table: &mut Table, config: &DisclosureConfig) {
    let rule = &config.households;
    let hidden: Vec<(String, f64)> = table
        .cells
        .cells
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            c.indikator == rule.indicator
                && matches!(c.niva.as_str(), "kommun" | "stadsdel")
                && table.marks[*i].suppressed()
        })
        .filter_map(|(_, c)| Some((c.region.get(..2)?.to_string(), c.varde?)))
        .collect();
    for i in 0..table.cells.len() {
        let c = &table.cells[i];
        if !rule.extremes.contains(&c.indikator)
            || c.niva != "lan"
            || table.marks[i] != Mark::Published
        {
            continue;
        }
        let Some(v) = c.varde else { continue };
        if hidden
            .iter()
            .any(|(lan, x)| lan == &c.region && (x - v).abs() <= 1e-9 * v.abs().max(1.0))
        {
            table.marks[i] = Mark::Secondary;
        }
    }
}
