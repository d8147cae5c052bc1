//! The intruder audit: for every suppressed cell, the interval its numerator can take given
//! everything the release (and every earlier release of the year) publishes and every declared
//! relation, with numbers ≥ 0, computed by linear programming – the audit of τ-ARGUS and
//! sdcTable.
//!
//! Two models of the relations are audited:
//! - as an intruder would assume where the published numbers allow it: movers relations as
//!   equalities (no movers), except where the published terms contradict that (a published
//!   parent below the sum of its published parts), which stay inequalities;
//! - where that model has no solution at all (the movers are visible), the true model: movers
//!   relations as `max(parts) ≤ parent ≤ Σ parts` (long-term counts: `parent ≥ Σ parts`). The first model's intervals lie inside the
//!   second's, so it is the stricter test wherever it applies.
//!
//! The unknowns fall into independent blocks (connected by relations); each block is one
//! linear program. Two solves per block (largest and smallest sum of its suppressed numerators)
//! give feasible points; a cell whose protection those points already show needs no solve of
//! its own, the others get their exact interval from two solves each.
//!
//! Guarantees: every suppressed, not-frozen cell is audited; a cell is reported as failing when
//! its interval is narrower than its protection level (see [`Need`]); a cell suppressed now but
//! published with the same number in an earlier release always fails.

use super::relations::Term;
use super::table::Table;
use crate::config::disclosure::{Part, RelationKind};
use microlp::{ComparisonOp, OptimizationDirection, Problem};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// What the protection of a suppressed cell demands of its interval [lo, hi].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Need {
    /// A primary-suppressed small count: lo ≤ 0 and hi ≥ `upper`.
    ReachesZero { upper: f64 },
    /// Any other count: hi − lo ≥ `width`.
    Width { width: f64 },
    /// An amount: lo ≤ value·(1 − p) and hi ≥ value·(1 + p), p = `percent` / 100.
    Percent { percent: f64 },
}

impl Need {
    fn met(self, value: f64, lo: f64, hi: f64, tol: f64) -> bool {
        match self {
            Need::ReachesZero { upper } => lo <= tol && hi >= upper - tol,
            Need::Width { width } => hi - lo >= width - tol,
            Need::Percent { percent } => {
                let p = percent / 100.0;
                lo <= value * (1.0 - p) + tol && hi >= value * (1.0 + p) - tol
            }
        }
    }
}

/// One audited cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Audited {
    pub cell: usize,
    pub need: Need,
    /// The true numerator.
    pub value: f64,
    /// The interval an intruder can narrow the numerator to (`hi` = ∞ when unbounded). For a
    /// cell proven by shared solutions, an inner bound: the true interval is at least as wide.
    pub lo: f64,
    pub hi: f64,
    /// Whether [lo, hi] is the exact interval (own solves) or an inner bound.
    pub exact: bool,
    /// The relations the cell is in (indices into the table's relations).
    pub relations: Vec<usize>,
}

/// The outcome of one audit.
#[derive(Debug, Clone, Default)]
pub struct AuditReport {
    /// Suppressed cells audited.
    pub audited: usize,
    /// Independent blocks of unknowns, and the largest one's number of unknowns.
    pub blocks: usize,
    pub largest_block: usize,
    /// Linear programs solved.
    pub solves: usize,
    /// Blocks where the no-movers model had no solution and the true model was audited.
    pub movers_visible_blocks: usize,
    /// Cells whose interval is narrower than their protection level.
    pub failures: Vec<Audited>,
    /// The audited cell with the narrowest interval relative to its need.
    pub narrowest: Option<Audited>,
    pub seconds: f64,
}

/// Why the audit could not run.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The linear-programming solver failed.
    #[error("disclosure audit: the LP solver failed on a block of {unknowns} unknowns: {message}")]
    Solver { unknowns: usize, message: String },
}

/// The intervals of blocks already audited, by the block's unknowns: a repair round changes a
/// few blocks, and the others are not solved again.
#[derive(Debug, Default)]
pub struct AuditCache {
    blocks: HashMap<Vec<(usize, Part)>, CachedBlock>,
}

#[derive(Debug, Clone)]
struct CachedBlock {
    intervals: Vec<(usize, f64, f64, bool)>,
    movers_visible: bool,
}

/// Audits `table`; `need` gives the protection of each suppressed cell.
pub fn audit(table: &Table, need: &dyn Fn(usize) -> Need) -> Result<AuditReport, AuditError> {
    audit_cached(table, need, &mut AuditCache::default())
}

/// [`audit`] reusing (and filling) `cache`; `need` must be the same function for every call
/// with one cache.
pub fn audit_cached(
    table: &Table,
    need: &dyn Fn(usize) -> Need,
    cache: &mut AuditCache,
) -> Result<AuditReport, AuditError> {
    let started = Instant::now();
    let mut report = AuditReport::default();

    // Unknowns: every term an intruder lacks, numbered in order of first appearance.
    let mut var_of: HashMap<(usize, Part), usize> = HashMap::new();
    let mut vars: Vec<(usize, Part)> = Vec::new();
    for rel in &table.relations {
        for t in rel.terms() {
            if table.unknown(t) {
                var_of.entry((t.cell, t.part)).or_insert_with(|| {
                    vars.push((t.cell, t.part));
                    vars.len() - 1
                });
            }
        }
    }
    // Blocks: unknowns joined by a relation.
    let mut parent: Vec<usize> = (0..vars.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for rel in &table.relations {
        let mut first = None;
        for t in rel.terms() {
            if let Some(&v) = var_of.get(&(t.cell, t.part)) {
                match first {
                    None => first = Some(v),
                    Some(f) => {
                        let (a, b) = (root(&mut parent, f), root(&mut parent, v));
                        if a != b {
                            parent[a.max(b)] = a.min(b);
                        }
                    }
                }
            }
        }
    }
    let mut blocks: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for v in 0..vars.len() {
        let r = root(&mut parent, v);
        blocks.entry(r).or_default().push(v);
    }
    let mut block_relations: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (r, rel) in table.relations.iter().enumerate() {
        if let Some(v) = rel.terms().find_map(|t| var_of.get(&(t.cell, t.part))) {
            let b = root(&mut parent, *v);
            block_relations.entry(b).or_default().push(r);
        }
    }

    let mut results: Vec<Audited> = Vec::new();
    for (cell, mark) in table.marks.iter().enumerate() {
        if !mark.suppressed() {
            continue;
        }
        let value = table.cells[cell].numerator().unwrap_or(0.0);
        let term = (cell, Part::Taljare);
        if table.frozen[cell].0 {
            // Published with this very number before: an intruder holds it.
            results.push(audited(table, cell, need(cell), value, value, value, true));
        } else if !var_of.contains_key(&term) {
            // In no relation: nothing bounds it but 0.
            results.push(audited(
                table,
                cell,
                need(cell),
                value,
                0.0,
                f64::INFINITY,
                true,
            ));
        }
    }
    report.blocks = blocks.len();
    for (root_var, members) in &blocks {
        report.largest_block = report.largest_block.max(members.len());
        let targets: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&v| vars[v].1 == Part::Taljare && table.confidential(vars[v].0))
            .collect();
        if targets.is_empty() {
            continue;
        }
        let mut signature: Vec<(usize, Part)> = members.iter().map(|&v| vars[v]).collect();
        signature.sort();
        let block = match cache.blocks.get(&signature) {
            Some(b) => b.clone(),
            None => {
                let b = solve_block(
                    table,
                    &vars,
                    members,
                    &block_relations[root_var],
                    &targets,
                    need,
                    &mut report,
                )?;
                cache.blocks.insert(signature, b.clone());
                b
            }
        };
        if block.movers_visible {
            report.movers_visible_blocks += 1;
        }
        for (cell, lo, hi, exact) in block.intervals {
            let value = table.cells[cell].numerator().unwrap_or(0.0);
            results.push(audited(table, cell, need(cell), value, lo, hi, exact));
        }
    }
    report.audited = results.len();
    for a in results {
        let tol = tolerance(a.value);
        let pass = a.need.met(a.value, a.lo, a.hi, tol) && !table.frozen[a.cell].0;
        let slack = slack(&a);
        if report
            .narrowest
            .as_ref()
            .is_none_or(|n| slack < self::slack(n))
        {
            report.narrowest = Some(a.clone());
        }
        if !pass {
            report.failures.push(a);
        }
    }
    report.failures.sort_by_key(|a| a.cell);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Solves the intervals of `targets` in the program over `members` and `relations`.
fn solve_block(
    table: &Table,
    vars: &[(usize, Part)],
    members: &[usize],
    relations: &[usize],
    targets: &[usize],
    need: &dyn Fn(usize) -> Need,
    report: &mut AuditReport,
) -> Result<CachedBlock, AuditError> {
    let mut movers_visible = false;
    let mut lp = BlockLp::new(table, vars, members, relations, true);
    let intervals = match lp.intervals(targets, vars, table, need) {
        Ok(i) => i,
        Err(Infeasible) => {
            movers_visible = true;
            report.solves += lp.solves;
            lp = BlockLp::new(table, vars, members, relations, false);
            lp.intervals(targets, vars, table, need)
                .map_err(|_| AuditError::Solver {
                    unknowns: members.len(),
                    message: "the relations have no solution with the published numbers (a \
                              declared relation does not hold on this year's data)"
                        .to_string(),
                })?
        }
    };
    report.solves += lp.solves;
    if let Some(message) = lp.failure.take() {
        return Err(AuditError::Solver {
            unknowns: members.len(),
            message,
        });
    }
    Ok(CachedBlock {
        intervals: intervals
            .into_iter()
            .map(|(v, lo, hi, exact)| (vars[v].0, lo, hi, exact))
            .collect(),
        movers_visible,
    })
}

fn audited(
    table: &Table,
    cell: usize,
    need: Need,
    value: f64,
    lo: f64,
    hi: f64,
    exact: bool,
) -> Audited {
    Audited {
        cell,
        need,
        value,
        lo,
        hi,
        exact,
        relations: table.relations_of[cell].clone(),
    }
}

/// How far an interval is beyond its need, relative to the need (0 = exactly at the level).
fn slack(a: &Audited) -> f64 {
    match a.need {
        Need::ReachesZero { upper } => (a.hi.min(1e300) - upper) / upper.max(1.0) - a.lo.max(0.0),
        Need::Width { width } => ((a.hi - a.lo).min(1e300) - width) / width.max(1.0),
        Need::Percent { percent } => {
            let p = percent / 100.0 * a.value.abs().max(1.0);
            ((a.hi.min(1e300) - a.value * (1.0 + p)).min(a.value * (1.0 - p) - a.lo)) / p
        }
    }
}

fn tolerance(value: f64) -> f64 {
    1e-6 * value.abs().max(1.0)
}

/// One constraint over columns: coefficients, comparison, right-hand side.
type Row = (Vec<(usize, f64)>, ComparisonOp, f64);

/// The no-movers model of a block has no solution.
struct Infeasible;

/// The linear program of one block of unknowns.
struct BlockLp {
    /// Unknown (global var index) → column.
    column: HashMap<usize, usize>,
    /// Constraints over columns: (coefficients, op, right-hand side), in scaled units.
    rows: Vec<Row>,
    /// Numbers are divided by this in the LP (amounts reach 10^10 kronor).
    scale: f64,
    solves: usize,
    failure: Option<String>,
}

impl BlockLp {
    fn new(
        table: &Table,
        vars: &[(usize, Part)],
        members: &[usize],
        relations: &[usize],
        no_movers: bool,
    ) -> Self {
        let column: HashMap<usize, usize> =
            members.iter().enumerate().map(|(i, &v)| (v, i)).collect();
        let by_term: HashMap<(usize, Part), usize> =
            members.iter().map(|&v| (vars[v], column[&v])).collect();
        let mut rows = Vec::new();
        let mut largest: f64 = 1.0;
        for &r in relations {
            let rel = &table.relations[r];
            // Each term as a column or a known number.
            let side = |t: &Term| -> Result<(usize, f64), f64> {
                match by_term.get(&(t.cell, t.part)) {
                    Some(&c) => Ok((c, t.factor)),
                    None => Err(table.known(t).unwrap_or(0.0)),
                }
            };
            let left = side(&rel.left);
            let right: Vec<Result<(usize, f64), f64>> = rel.right.iter().map(side).collect();
            for v in std::iter::once(&left).chain(right.iter()) {
                if let Err(k) = v {
                    largest = largest.max(k.abs());
                }
            }
            let known_right: f64 = right.iter().filter_map(|x| x.err()).sum();
            let equality = match rel.kind {
                RelationKind::Exact => true,
                RelationKind::AtMost => false,
                RelationKind::Movers | RelationKind::AtLeastSum => {
                    no_movers
                        && match left {
                            Ok(_) => true,
                            Err(l) => {
                                right.iter().any(|x| x.is_ok()) && l - known_right >= -tolerance(l)
                            }
                        }
                }
            };
            // left − Σ right (op) 0, with the known numbers moved to the right-hand side.
            let mut coefs = Vec::new();
            let mut rhs = 0.0;
            match left {
                Ok((c, f)) => coefs.push((c, f)),
                Err(k) => rhs -= k,
            }
            for x in &right {
                match x {
                    Ok((c, f)) => coefs.push((*c, -f)),
                    Err(k) => rhs += k,
                }
            }
            let op = if equality {
                ComparisonOp::Eq
            } else if rel.kind == RelationKind::AtLeastSum {
                ComparisonOp::Ge
            } else {
                ComparisonOp::Le
            };
            rows.push((coefs, op, rhs));
            if rel.kind == RelationKind::Movers && !equality {
                // The parent is at least each of its parts.
                for x in &right {
                    let mut coefs = Vec::new();
                    let mut rhs = 0.0;
                    match left {
                        Ok((c, f)) => coefs.push((c, f)),
                        Err(k) => rhs -= k,
                    }
                    match x {
                        Ok((c, f)) => coefs.push((*c, -f)),
                        Err(k) => rhs += k,
                    }
                    if !coefs.is_empty() {
                        rows.push((coefs, ComparisonOp::Ge, rhs));
                    }
                }
            }
        }
        let scale = (largest / 1e4).max(1.0);
        for row in &mut rows {
            row.2 /= scale;
        }
        BlockLp {
            column,
            rows,
            scale,
            solves: 0,
            failure: None,
        }
    }

    /// Solves `direction` of `objective` (column → coefficient); `cap` bounds every column
    /// (scaled units) or leaves it open. The point found, unscaled; `None` when unbounded.
    fn solve(
        &mut self,
        direction: OptimizationDirection,
        objective: &HashMap<usize, f64>,
        cap: f64,
    ) -> Result<Option<Vec<f64>>, Infeasible> {
        self.solves += 1;
        let mut p = Problem::new(direction);
        let cols: Vec<_> = (0..self.column.len())
            .map(|c| p.add_var(objective.get(&c).copied().unwrap_or(0.0), (0.0, cap)))
            .collect();
        for (coefs, op, rhs) in &self.rows {
            let expr: Vec<_> = coefs.iter().map(|&(c, f)| (cols[c], f)).collect();
            p.add_constraint(expr, *op, *rhs);
        }
        match p.solve() {
            Ok(outcome) => match outcome.into_solution() {
                Ok(s) => Ok(Some(
                    cols.iter().map(|&v| s.var_value(v) * self.scale).collect(),
                )),
                Err(_) => {
                    self.failure = Some("the solve was interrupted".into());
                    Ok(None)
                }
            },
            Err(microlp::Error::Unbounded) => Ok(None),
            Err(microlp::Error::Infeasible) => Err(Infeasible),
            Err(e) => {
                self.failure = Some(format!("{e:?}"));
                Ok(None)
            }
        }
    }

    /// Intervals of the `targets` (global var indices): (var, lo, hi, exact).
    fn intervals(
        &mut self,
        targets: &[usize],
        vars: &[(usize, Part)],
        table: &Table,
        need: &dyn Fn(usize) -> Need,
    ) -> Result<Vec<(usize, f64, f64, bool)>, Infeasible> {
        let n = self.column.len();
        let mut seen_lo = vec![f64::INFINITY; n];
        let mut seen_hi = vec![f64::NEG_INFINITY; n];
        let see = |point: &[f64], lo: &mut [f64], hi: &mut [f64]| {
            for (c, &x) in point.iter().enumerate() {
                lo[c] = lo[c].min(x);
                hi[c] = hi[c].max(x);
            }
        };
        let all: HashMap<usize, f64> = targets.iter().map(|v| (self.column[v], 1.0)).collect();
        let cap = 1e3 * 1e4;
        for direction in [
            OptimizationDirection::Maximize,
            OptimizationDirection::Minimize,
        ] {
            if let Some(point) = self.solve(direction, &all, cap)? {
                see(&point, &mut seen_lo, &mut seen_hi);
            }
        }
        // Shared solves: push the unproven targets up together, then down together, while that
        // proves more of them; a target proven by any feasible point needs no solve of its own.
        for _ in 0..12 {
            let unproven: Vec<(usize, Need, f64)> = targets
                .iter()
                .map(|&v| {
                    let cell = vars[v].0;
                    let value = table.cells[cell].numerator().unwrap_or(0.0);
                    (self.column[&v], need(cell), value)
                })
                .filter(|&(c, need, value)| {
                    !need.met(value, seen_lo[c], seen_hi[c], tolerance(value))
                })
                .collect();
            if unproven.is_empty() {
                break;
            }
            let up: HashMap<usize, f64> = unproven
                .iter()
                .filter(|(c, need, value)| match need {
                    Need::ReachesZero { upper } => seen_hi[*c] < *upper,
                    Need::Percent { percent } => seen_hi[*c] < value * (1.0 + percent / 100.0),
                    Need::Width { .. } => true,
                })
                .map(|(c, _, _)| (*c, 1.0))
                .collect();
            let down: HashMap<usize, f64> = unproven
                .iter()
                .filter(|(c, need, value)| match need {
                    Need::ReachesZero { .. } => seen_lo[*c] > 0.0,
                    Need::Percent { percent } => seen_lo[*c] > value * (1.0 - percent / 100.0),
                    Need::Width { .. } => true,
                })
                .map(|(c, _, _)| (*c, 1.0))
                .collect();
            let before = unproven.len();
            for (direction, objective) in [
                (OptimizationDirection::Maximize, &up),
                (OptimizationDirection::Minimize, &down),
            ] {
                if objective.is_empty() {
                    continue;
                }
                if let Some(point) = self.solve(direction, objective, cap)? {
                    see(&point, &mut seen_lo, &mut seen_hi);
                }
            }
            let after = unproven
                .iter()
                .filter(|&&(c, need, value)| {
                    !need.met(value, seen_lo[c], seen_hi[c], tolerance(value))
                })
                .count();
            if after == before {
                break;
            }
        }
        let mut out = Vec::new();
        for &v in targets {
            let c = self.column[&v];
            let cell = vars[v].0;
            let value = table.cells[cell].numerator().unwrap_or(0.0);
            let need = need(cell);
            if need.met(value, seen_lo[c], seen_hi[c], tolerance(value)) {
                out.push((v, seen_lo[c], seen_hi[c], false));
                continue;
            }
            let one: HashMap<usize, f64> = [(c, 1.0)].into();
            let hi = match self.solve(OptimizationDirection::Maximize, &one, f64::INFINITY)? {
                Some(point) => {
                    see(&point, &mut seen_lo, &mut seen_hi);
                    point[c]
                }
                None => f64::INFINITY,
            };
            let lo = match self.solve(OptimizationDirection::Minimize, &one, f64::INFINITY)? {
                Some(point) => {
                    see(&point, &mut seen_lo, &mut seen_hi);
                    point[c]
                }
                None => 0.0,
            };
            out.push((v, lo, hi, true));
        }
        Ok(out)
    }
}
