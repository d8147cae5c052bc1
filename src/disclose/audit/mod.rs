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

mod lp;
#[cfg(test)]
mod tests;

#[cfg(test)]
use self::lp::probe_ends;
use self::lp::{BlockLp, Infeasible};
use super::relations::Term;
use super::table::Table;
use crate::config::disclosure::Part;
use std::collections::{BTreeMap, BTreeSet, HashMap};
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
    pub(crate) largest_block: usize,
    /// Linear programs solved.
    pub(crate) solves: usize,
    /// Blocks where the no-movers model had no solution and the true model was audited.
    pub movers_visible_blocks: usize,
    /// Cells whose interval is narrower than their protection level.
    pub failures: Vec<Audited>,
    /// The audited cell with the narrowest interval relative to its need.
    pub(crate) narrowest: Option<Audited>,
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
    /// Feasible points of the blocks solved by the last few calls, by term: a point that still
    /// satisfies a changed block's rows proves intervals there without a solve.
    points: Vec<Points>,
}

/// How many audit calls' points [`AuditCache`] keeps besides the last full audit's.
const KEPT_CALLS: usize = 3;

/// Feasible points of one solved block: its terms and, per point, a value per term.
#[derive(Debug)]
struct Points {
    call: usize,
    /// From a full audit (not one restricted to a few cells).
    full: bool,
    terms: Vec<(usize, Part)>,
    points: Vec<Vec<f64>>,
}

#[derive(Debug, Clone)]
struct CachedBlock {
    intervals: Vec<(usize, f64, f64, bool)>,
    movers_visible: bool,
}

/// Audits `table`; `need` gives the protection of each suppressed cell.
pub fn audit(table: &Table, need: &dyn Fn(usize) -> Need) -> Result<AuditReport, AuditError> {
    audit_cached(table, need, &mut AuditCache::default(), None)
}

/// [`audit`] reusing (and filling) `cache`; `need` must be the same function for every call
/// with one cache. With `only`, just those suppressed cells are audited (their blocks are
/// solved afresh, the cache neither read nor filled): the cheap re-check of a repair round,
/// which a full audit must confirm.
pub fn audit_cached(
    table: &Table,
    need: &dyn Fn(usize) -> Need,
    cache: &mut AuditCache,
    only: Option<&BTreeSet<usize>>,
) -> Result<AuditReport, AuditError> {
    let wanted = |cell: usize| only.is_none_or(|o| o.contains(&cell));
    let call = cache.points.last().map_or(0, |p| p.call + 1);
    let mut found: Vec<Points> = Vec::new();
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
        if !mark.suppressed() || !wanted(cell) {
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
            .filter(|&v| {
                vars[v].1 == Part::Taljare && table.confidential(vars[v].0) && wanted(vars[v].0)
            })
            .collect();
        if targets.is_empty() {
            continue;
        }
        let mut signature: Vec<(usize, Part)> = members.iter().map(|&v| vars[v]).collect();
        signature.sort();
        let cached = match only {
            None => cache.blocks.get(&signature),
            Some(_) => None,
        };
        let block = match cached {
            Some(b) => b.clone(),
            None => {
                let block_started = Instant::now();
                let terms: Vec<(usize, Part)> = members.iter().map(|&v| vars[v]).collect();
                let prior = prior_points(table, &terms, &cache.points);
                let solved = solve_block(
                    table,
                    &vars,
                    members,
                    &block_relations[root_var],
                    &targets,
                    need,
                    &prior,
                )?;
                report.solves += solved.solves;
                found.push(Points {
                    call,
                    full: only.is_none(),
                    terms,
                    points: solved.points,
                });
                tracing::debug!(
                    target: "oj::disclose",
                    unknowns = members.len(),
                    targets = targets.len(),
                    solves = solved.solves,
                    seconds = block_started.elapsed().as_secs_f64(),
                    "disclosure audit block"
                );
                if only.is_none() {
                    cache.blocks.insert(signature, solved.block.clone());
                }
                solved.block
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
    // Kept: the points of the last full audit and of the calls since, up to KEPT_CALLS.
    let last_full = if only.is_none() {
        Some(call)
    } else {
        cache.points.iter().filter(|p| p.full).map(|p| p.call).max()
    };
    cache
        .points
        .retain(|p| Some(p.call) == last_full || p.call + KEPT_CALLS > call + 1);
    cache.points.extend(found);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Earlier feasible points carried over to a block over `terms` (in its column order), each
/// point once: a term an earlier block did not have was known to it, at its true value. An
/// earlier block lacking a term that has no value (the denominator of a not-applicable cell) is
/// not carried over at all (docs/disclosure.md, "Limits").
///
/// A block keeps the earlier points that still satisfy it with the ones it finds, so the same
/// point is stored by several calls; without removing the copies here, every repair round would
/// carry over the copies of the calls before it too, and the points would grow geometrically
/// (a scale-0.1 run reached 20 GB in 25 repair rounds, each twice as slow as the one before).
fn prior_points(table: &Table, terms: &[(usize, Part)], kept: &[Points]) -> Vec<Vec<f64>> {
    let wanted: HashMap<&(usize, Part), usize> =
        terms.iter().enumerate().map(|(i, t)| (t, i)).collect();
    let mut seen: std::collections::HashSet<Vec<u64>> = std::collections::HashSet::new();
    let mut out = Vec::new();
    for earlier in kept {
        if !earlier.terms.iter().any(|t| wanted.contains_key(t)) {
            continue;
        }
        let index: HashMap<&(usize, Part), usize> = earlier
            .terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t, i))
            .collect();
        let fill: Option<Vec<Result<usize, f64>>> = terms
            .iter()
            .map(|t| match index.get(t) {
                Some(&i) => Some(Ok(i)),
                None => table
                    .value(&Term {
                        cell: t.0,
                        part: t.1,
                        factor: 1.0,
                    })
                    .map(Err),
            })
            .collect();
        let Some(fill) = fill else { continue };
        for point in &earlier.points {
            let carried: Vec<f64> = fill
                .iter()
                .map(|f| match f {
                    Ok(i) => point[*i],
                    Err(v) => *v,
                })
                .collect();
            if seen.insert(carried.iter().map(|x| x.to_bits()).collect()) {
                out.push(carried);
            }
        }
    }
    out
}

/// From this many unknowns, a block's two bases are solved side by side (a base of 5 000
/// unknowns takes about half a second; a thread costs tens of microseconds). The unit tests
/// solve every block's bases side by side, the integration tests (small blocks) one after the
/// other.
#[cfg(not(test))]
const SIDE_BY_SIDE_COLUMNS: usize = 256;
#[cfg(test)]
const SIDE_BY_SIDE_COLUMNS: usize = 1;

/// A block's bases start at the true numbers ([`lp::Bases`]) when its targets are fewer than
/// one in this many of its unknowns. The unit tests start every base at the truth (0: always),
/// so the verdict tests run that path; the integration tests (small blocks, every suppressed
/// cell a target in a full audit) mostly run the other.
#[cfg(not(test))]
const TRUTH_START_SHARE: usize = 4;
#[cfg(test)]
const TRUTH_START_SHARE: usize = 0;

/// One block's audit: its intervals, the LPs it took and the feasible points found (values of
/// the block's columns, unscaled).
struct Solved {
    block: CachedBlock,
    solves: usize,
    points: Vec<Vec<f64>>,
}

/// Solves the intervals of `targets` in the program over `members` and `relations`.
fn solve_block(
    table: &Table,
    vars: &[(usize, Part)],
    members: &[usize],
    relations: &[usize],
    targets: &[usize],
    need: &dyn Fn(usize) -> Need,
    prior: &[Vec<f64>],
) -> Result<Solved, AuditError> {
    let mut movers_visible = false;
    let mut solves = 0;
    // A few targets in a large block (a repair round): their bases start at the true numbers.
    let start_at_truth = targets.len() * TRUTH_START_SHARE < members.len();
    let mut lp = BlockLp::new(table, vars, members, relations, true, start_at_truth);
    // A large block whose no-movers model no earlier point satisfies may have none (the movers
    // are visible): the true model's base is solved beside it, on the other core.
    let mut true_model = None;
    if members.len() >= SIDE_BY_SIDE_COLUMNS && !lp.any_satisfies(prior) {
        let mut other = BlockLp::new(table, vars, members, relations, false, start_at_truth);
        BlockLp::bases_side_by_side(&mut lp, &mut other);
        true_model = Some(other);
    }
    let intervals = match lp.intervals(targets, vars, table, need, prior) {
        Ok(i) => i,
        Err(Infeasible) => {
            if let Some(message) = lp.failure.take() {
                return Err(AuditError::Solver {
                    unknowns: members.len(),
                    message,
                });
            }
            movers_visible = true;
            solves += lp.solves;
            lp = true_model.unwrap_or_else(|| {
                BlockLp::new(table, vars, members, relations, false, start_at_truth)
            });
            lp.intervals(targets, vars, table, need, prior)
                .map_err(|_| AuditError::Solver {
                    unknowns: members.len(),
                    message: "the relations have no solution with the published numbers (a \
                              declared relation does not hold on this year's data)"
                        .to_string(),
                })?
        }
    };
    solves += lp.solves;
    if let Some(message) = lp.failure.take() {
        return Err(AuditError::Solver {
            unknowns: members.len(),
            message,
        });
    }
    Ok(Solved {
        block: CachedBlock {
            intervals: intervals
                .into_iter()
                .map(|(v, lo, hi, exact)| (vars[v].0, lo, hi, exact))
                .collect(),
            movers_visible,
        },
        solves,
        points: std::mem::take(&mut lp.points),
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
