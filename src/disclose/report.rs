//! What disclosure control of a year did and cost: cells suppressed by primary and secondary
//! rules per level and indicator (information loss), and the intruder audit's figures. It goes
//! into run.json, the disclose progress line and the release manifest.
//!
//! Guarantees: nothing in the report depends on the true value of a suppressed cell beyond
//! what the published numbers already give (the narrowest interval is reported for counts
//! whose exact interval was computed; an amount's protection depends on its value and is not
//! reported cell by cell).

use super::audit::{AuditReport, Audited, Need};
use super::cells::Mark;
use super::table::Table;
use serde::Serialize;
use std::collections::BTreeMap;

/// Cells per outcome.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Loss {
    pub cells: u64,
    pub published: u64,
    pub primary: u64,
    pub secondary: u64,
    pub missing: u64,
    pub not_applicable: u64,
}

impl Loss {
    fn add(&mut self, mark: Mark, was_primary: bool) {
        self.cells += 1;
        match mark {
            Mark::Published => self.published += 1,
            Mark::Missing => self.missing += 1,
            Mark::NotApplicable => self.not_applicable += 1,
            Mark::Primary(_) => self.primary += 1,
            Mark::Secondary if was_primary => self.primary += 1,
            Mark::Secondary => self.secondary += 1,
        }
    }

    /// Published cells as a share of the cells that had a number to publish, in percent.
    pub(crate) fn published_percent(&self) -> f64 {
        let base = self.published + self.primary + self.secondary;
        if base == 0 {
            100.0
        } else {
            100.0 * self.published as f64 / base as f64
        }
    }
}

/// The narrowest audited interval of a count, as an intruder can compute it from the release.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Narrowest {
    pub cell: String,
    pub lo: f64,
    pub hi: Option<f64>,
    pub need: Need,
}

/// The audit's figures.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditSummary {
    pub result: &'static str,
    pub(crate) cells_audited: usize,
    pub blocks: usize,
    pub(crate) largest_block: usize,
    pub(crate) linear_programs: usize,
    pub movers_visible_blocks: usize,
    pub repair_rounds: usize,
    /// Failing cells repaired by perturbation (a cell that failed two rounds running), and the
    /// cells those repairs suppressed (counted in `secondary` too).
    pub perturbation_repairs: usize,
    pub perturbation_suppressed: usize,
    pub relations: usize,
    /// Inequalities (movers, long-term counts, subsets) that did not hold on the year's numbers
    /// for some cells and were left out there.
    pub(crate) relations_not_holding: usize,
    pub(crate) narrowest: Option<Narrowest>,
    pub seconds: f64,
}

/// What the repairs by perturbation did over a run's rounds: failing cells repaired, and the
/// published cells those repairs suppressed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Perturbed {
    pub cells: usize,
    pub suppressed: usize,
}

/// Everything the report holds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DisclosureReport {
    pub totals: Loss,
    pub audit: AuditSummary,
    /// Per level, then indicator.
    pub(crate) information_loss: BTreeMap<String, BTreeMap<String, Loss>>,
}

impl DisclosureReport {
    /// The disclose stage's progress line.
    pub fn line(&self) -> String {
        let t = &self.totals;
        format!(
            "{} cells: {} published, {} primary + {} secondary suppressed (..), {} missing (-), \
             {} not applicable (.); {:.1} % of computed cells published; audit PASS: {} \
             suppressed cells in {} blocks, {} LPs, {} repair rounds, {:.2} s",
            t.cells,
            t.published,
            t.primary,
            t.secondary,
            t.missing,
            t.not_applicable,
            t.published_percent(),
            self.audit.cells_audited,
            self.audit.blocks,
            self.audit.linear_programs,
            self.audit.repair_rounds,
            self.audit.seconds
        ) + &self.perturbation_text()
    }

    /// `; N cells repaired by perturbation (M suppressed)`, when any was.
    fn perturbation_text(&self) -> String {
        match self.audit.perturbation_repairs {
            0 => String::new(),
            n => format!(
                "; {n} cell{} repaired by perturbation ({} suppressed)",
                if n == 1 { "" } else { "s" },
                self.audit.perturbation_suppressed
            ),
        }
    }
}

impl DisclosureReport {
    /// One line per level: what protection cost there.
    pub(crate) fn level_lines(&self) -> Vec<String> {
        self.information_loss
            .iter()
            .map(|(niva, per)| {
                let mut sum = Loss::default();
                for l in per.values() {
                    sum.cells += l.cells;
                    sum.published += l.published;
                    sum.primary += l.primary;
                    sum.secondary += l.secondary;
                }
                format!(
                    "  {niva:<14} {:>6} cells: {:>5.1} % published, {} primary, {} secondary",
                    sum.cells,
                    sum.published_percent(),
                    sum.primary,
                    sum.secondary
                )
            })
            .collect()
    }
}

/// Builds the report of a table that passed its audit.
pub fn build(
    table: &Table,
    primary_marks: &[Mark],
    audit: &AuditReport,
    repair_rounds: usize,
    perturbed: Perturbed,
    relations_not_holding: usize,
) -> DisclosureReport {
    let mut totals = Loss::default();
    let mut per: BTreeMap<String, BTreeMap<String, Loss>> = BTreeMap::new();
    for (i, c) in table.cells.cells.iter().enumerate() {
        let was_primary = matches!(primary_marks[i], Mark::Primary(_));
        totals.add(table.marks[i], was_primary);
        per.entry(c.niva.clone())
            .or_default()
            .entry(c.indikator.clone())
            .or_default()
            .add(table.marks[i], was_primary);
    }
    let narrowest = audit
        .narrowest
        .as_ref()
        .filter(|a| a.exact && !matches!(a.need, Need::Percent { .. }))
        .map(|a| Narrowest {
            cell: table.cells[a.cell].to_string(),
            lo: a.lo,
            hi: a.hi.is_finite().then_some(a.hi),
            need: a.need,
        });
    DisclosureReport {
        totals,
        audit: AuditSummary {
            result: "PASS",
            cells_audited: audit.audited,
            blocks: audit.blocks,
            largest_block: audit.largest_block,
            linear_programs: audit.solves,
            movers_visible_blocks: audit.movers_visible_blocks,
            repair_rounds,
            perturbation_repairs: perturbed.cells,
            perturbation_suppressed: perturbed.suppressed,
            relations: table.relations.len(),
            relations_not_holding,
            narrowest,
            seconds: audit.seconds,
        },
        information_loss: per,
    }
}

/// One failing cell for the error message: the cell, its interval, its need and the relations
/// that pin it.
pub(crate) fn describe_failure(table: &Table, f: &Audited) -> String {
    let hi = if f.hi.is_finite() {
        format!("{:.1}", f.hi)
    } else {
        "∞".to_string()
    };
    let need = match f.need {
        Need::ReachesZero { upper } => format!("must reach from 0 to {upper}"),
        Need::Width { width } => format!("must be at least {width} wide"),
        Need::Percent { percent } => format!("must reach ±{percent} % of the value"),
    };
    let relations: Vec<String> = f
        .relations
        .iter()
        .take(6)
        .map(|&r| table.relations[r].describe(&table.cells))
        .collect();
    let frozen = if table.frozen[f.cell].0 {
        " (published with this number in an earlier release of the year)"
    } else {
        ""
    };
    format!(
        "{}: an intruder can narrow its numerator to [{:.1}, {hi}], which {need}{frozen}; \
         relations: {}",
        table.cells[f.cell],
        f.lo,
        if relations.is_empty() {
            "none".to_string()
        } else {
            relations.join("; ")
        }
    )
}
