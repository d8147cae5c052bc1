//! The linear program of one block of unknowns: its columns and rows (relations, published
//! numbers, earlier points), the base solve, the warm-started exact solves of each interval,
//! and a trace of every solve's time.

use super::{Need, tolerance};
use crate::config::disclosure::{Part, RelationKind};
use crate::disclose::relations::Term;
use crate::disclose::table::Table;
use microlp::{ComparisonOp, OptimizationDirection, Problem};
use std::collections::HashMap;
use std::time::Instant;

/// The cap of the exact solves' extra column, in scaled units (the largest known number of a
/// block is 10^4 scaled units): an interval reaching it is reported as unbounded.
pub(super) const Z_CAP: f64 = 1e7;

/// Logs one LP solve at trace level when dropped: `columns` summed in its objective (`None`:
/// the block's base solve from scratch) and its time.
pub(super) struct SolveTimer(Instant, Option<usize>);

impl Drop for SolveTimer {
    fn drop(&mut self) {
        tracing::trace!(
            target: "oj::disclose",
            columns = self.1,
            seconds = self.0.elapsed().as_secs_f64(),
            "disclosure audit solve"
        );
    }
}

/// The solved programs the exact solves of a block start from.
///
/// Started at the truth ([`BlockLp::truth`]), each column x is written as its start s
/// (its true number where it has one, within its bounds) plus a rise u and minus a fall d, both
/// ≥ 0: x = s + u − d with u ≤ hi − s and d ≤ s − lo, so x takes every value in [lo, hi] and
/// only those. The simplex starts with every variable at its lower bound, u = d = 0: at the true
/// numbers, which satisfy every relation of the true model, so its base needs no search for a
/// first feasible point (from x = lo that search was most of a base solve: 2 – 3 s in the block
/// of 7 000 unknowns at scale 0.01). Otherwise the column is its rise itself (s = 0, no fall,
/// u in [lo, hi]): the program as written, started at x = lo.
pub(super) struct Bases {
    base: microlp::Solution,
    /// Per column: its rise, its fall (started at the truth) and its start (scaled).
    rise: Vec<microlp::Variable>,
    fall: Vec<Option<microlp::Variable>>,
    start: Vec<f64>,
    /// The exact solves' extra columns.
    z: microlp::Variable,
    w: microlp::Variable,
}

impl Bases {
    /// The block's columns (unscaled), then z and w (unscaled), at `s`.
    fn point(&self, s: &microlp::Solution, scale: f64) -> Vec<f64> {
        self.start
            .iter()
            .zip(self.rise.iter().zip(&self.fall))
            .map(|(&x0, (&u, d))| (x0 + s.var_value(u) - d.map_or(0.0, |d| s.var_value(d))) * scale)
            .chain([s.var_value(self.z) * scale, s.var_value(self.w) * scale])
            .collect()
    }

    /// The terms of Σ x over `columns` without its constant part (Σ starts): each rise with
    /// `sign`, each fall with −`sign`.
    fn sum_terms<'a>(
        &'a self,
        columns: &'a [usize],
        sign: f64,
    ) -> impl Iterator<Item = (microlp::Variable, f64)> + 'a {
        columns.iter().flat_map(move |&c| {
            std::iter::once((self.rise[c], sign)).chain(self.fall[c].map(|d| (d, -sign)))
        })
    }
}

/// From this many targets pushed up together, the shared up solve is split in two halves solved
/// side by side. The unit tests (small tables) split from two, so the verdict tests run that
/// path.
#[cfg(not(test))]
const SPLIT_UP: usize = 128;
#[cfg(test)]
const SPLIT_UP: usize = 2;

/// One constraint over columns: coefficients, comparison, right-hand side.
pub(super) type Row = (Vec<(usize, f64)>, ComparisonOp, f64);

/// The no-movers model of a block has no solution.
pub(super) struct Infeasible;

/// The linear program of one block of unknowns.
pub(super) struct BlockLp {
    /// Unknown (global var index) → column.
    column: HashMap<usize, usize>,
    /// Constraints over two or more columns: (coefficients, op, right-hand side), in scaled
    /// units.
    rows: Vec<Row>,
    /// The constraints over one column, in scaled units: in the program they are the column's
    /// bounds ([`BlockLp::bounds`]), here for [`BlockLp::satisfies`].
    singletons: Vec<Row>,
    /// Per column, the bounds its one-column constraints and x ≥ 0 give (scaled units); `None`
    /// when they contradict each other (the program has no solution).
    bounds: Option<Vec<(f64, f64)>>,
    /// Per column, its true number (scaled) where it has one, when the base starts at the true
    /// numbers ([`Bases`]); `None` when it starts where the program as written does. Starting
    /// at the truth is worth it when the base is most of the work – a few targets in a large
    /// block, as in a repair round: there the search for a first feasible point is saved. With
    /// thousands of targets the shared solves are most of it, and from the true numbers they
    /// took longer (in the block of 5 000 unknowns at scale 0.05, 25 s against 17 s in all).
    truth: Option<Vec<Option<f64>>>,
    /// Numbers are divided by this in the LP (amounts reach 10^10 kronor).
    scale: f64,
    pub(super) solves: usize,
    pub(super) failure: Option<String>,
    /// The feasible points found or carried over (values of the columns, unscaled).
    pub(super) points: Vec<Vec<f64>>,
    /// The base solved already (by [`BlockLp::bases_side_by_side`]), taken by the first
    /// [`BlockLp::base`].
    solved_base: Option<Result<Bases, Infeasible>>,
}

impl BlockLp {
    /// The program of the block over `members` and `relations`: the no-movers model or the
    /// true one; its base starts at the true numbers when `start_at_truth` ([`Bases`]).
    pub(super) fn new(
        table: &Table,
        vars: &[(usize, Part)],
        members: &[usize],
        relations: &[usize],
        no_movers: bool,
        start_at_truth: bool,
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
        let (singletons, rows): (Vec<Row>, Vec<Row>) = rows
            .into_iter()
            .partition(|(coefs, _, _)| coefs.len() == 1 && coefs[0].1 != 0.0);
        let bounds = column_bounds(column.len(), &singletons);
        let truth = start_at_truth.then(|| {
            let mut truth = vec![None; column.len()];
            for (&v, &c) in &column {
                let (cell, part) = vars[v];
                truth[c] = table
                    .value(&Term {
                        cell,
                        part,
                        factor: 1.0,
                    })
                    .map(|x| x / scale);
            }
            truth
        });
        tracing::debug!(
            target: "oj::disclose",
            columns = column.len(),
            rows = rows.len(),
            bounds = singletons.len(),
            "disclosure audit program"
        );
        BlockLp {
            column,
            rows,
            singletons,
            bounds,
            truth,
            scale,
            solves: 0,
            failure: None,
            points: Vec::new(),
            solved_base: None,
        }
    }

    /// Solves the bases of two programs of one block side by side (the no-movers model and the
    /// true one): when the first has no solution, the second's base is ready instead of being
    /// solved after it. Each program's [`BlockLp::base`] then returns its result.
    pub(super) fn bases_side_by_side(first: &mut BlockLp, second: &mut BlockLp) {
        let (a, b) = both(|| first.base(), || second.base());
        first.solved_base = Some(a);
        second.solved_base = Some(b);
    }

    /// Whether one of `points` satisfies the program (then it has a solution).
    pub(super) fn any_satisfies(&self, points: &[Vec<f64>]) -> bool {
        points.iter().any(|p| self.satisfies(p))
    }

    /// Whether a point (values of the columns, unscaled) satisfies every row and bound.
    pub(super) fn satisfies(&self, point: &[f64]) -> bool {
        point.len() == self.column.len()
            && point.iter().all(|&x| x >= -1e-9)
            && self
                .rows
                .iter()
                .chain(&self.singletons)
                .all(|(coefs, op, rhs)| {
                    let lhs: f64 = coefs.iter().map(|&(c, f)| f * point[c] / self.scale).sum();
                    let tol = 1e-7 * rhs.abs().max(1.0);
                    match op {
                        ComparisonOp::Eq => (lhs - rhs).abs() <= tol,
                        ComparisonOp::Le => lhs <= rhs + tol,
                        ComparisonOp::Ge => lhs >= rhs - tol,
                    }
                })
    }

    /// The program every solve of the block starts from: the block's rows plus two columns z
    /// and w in [0, [`Z_CAP`]] and the objective max z − w, solved once (z = cap, w = 0).
    pub(super) fn base(&mut self) -> Result<Bases, Infeasible> {
        if let Some(solved) = self.solved_base.take() {
            return solved;
        }
        let _timer = SolveTimer(Instant::now(), None);
        self.solves += 1;
        let Some(bounds) = &self.bounds else {
            return Err(Infeasible);
        };
        let mut p = Problem::new(OptimizationDirection::Maximize);
        let (start, rise, fall): (Vec<f64>, Vec<_>, Vec<_>) = if let Some(truth) = &self.truth {
            let start: Vec<f64> = bounds
                .iter()
                .zip(truth)
                .map(|(&(lo, hi), t)| t.unwrap_or(lo).clamp(lo, hi.max(lo)))
                .collect();
            let rise = bounds
                .iter()
                .zip(&start)
                .map(|(&(_, hi), &x0)| p.add_var(0.0, (0.0, (hi - x0).max(0.0))))
                .collect();
            let fall = bounds
                .iter()
                .zip(&start)
                .map(|(&(lo, _), &x0)| Some(p.add_var(0.0, (0.0, (x0 - lo).max(0.0)))))
                .collect();
            (start, rise, fall)
        } else {
            let n = bounds.len();
            let rise = bounds.iter().map(|&b| p.add_var(0.0, b)).collect();
            (vec![0.0; n], rise, vec![None; n])
        };
        let z = p.add_var(1.0, (0.0, Z_CAP));
        let w = p.add_var(-1.0, (0.0, Z_CAP));
        for (coefs, op, rhs) in &self.rows {
            let expr: Vec<_> = coefs
                .iter()
                .flat_map(|&(c, f)| std::iter::once((rise[c], f)).chain(fall[c].map(|d| (d, -f))))
                .collect();
            let at_start: f64 = coefs.iter().map(|&(c, f)| f * start[c]).sum();
            p.add_constraint(expr, *op, rhs - at_start);
        }
        match p.solve().map(|o| o.into_solution()) {
            Ok(Ok(base)) => Ok(Bases {
                base,
                rise,
                fall,
                start,
                z,
                w,
            }),
            Err(microlp::Error::Infeasible) => Err(Infeasible),
            Ok(Err(_)) => {
                self.failure = Some("the solve was interrupted".into());
                Err(Infeasible)
            }
            Err(e) => {
                self.failure = Some(format!("{e:?}"));
                Err(Infeasible)
            }
        }
    }

    /// From the base, adds z ≤ Σ x_c (`up`: the objective becomes max Σ) or w ≥ Σ x_c (min Σ)
    /// over `columns` and re-solves: the point found (unscaled: the block's columns, then z, then
    /// w), or why the solver gave up.
    fn warm(&self, bases: &Bases, up: bool, columns: &[usize]) -> Result<Vec<f64>, String> {
        let _timer = SolveTimer(Instant::now(), Some(columns.len()));
        let (extra, op) = if up {
            (bases.z, ComparisonOp::Le)
        } else {
            (bases.w, ComparisonOp::Ge)
        };
        // z ≤ Σ x (w ≥ Σ x) with x = start + rise − fall: the starts move to the right.
        let row: Vec<_> = std::iter::once((extra, 1.0))
            .chain(bases.sum_terms(columns, -1.0))
            .collect();
        let starts: f64 = columns.iter().map(|&c| bases.start[c]).sum();
        match bases.base.clone().add_constraint(row, op, starts) {
            Ok(outcome) => match outcome.into_solution() {
                Ok(s) => Ok(bases.point(&s, self.scale)),
                Err(_) => Err("the solve was interrupted".into()),
            },
            Err(e) => Err(format!("{e:?}")),
        }
    }

    /// A probe: from the base, moves column `c` to `value` (unscaled) – fixes its rise (or its
    /// fall) at the distance from its start – and restores feasibility with the dual simplex: a
    /// bound change, no new row. `Some(point)` (the block's columns, unscaled) only when the
    /// point is checked here to satisfy every row and bound with `x_c = value`; `None` when the
    /// solver finds no such point or fails (the probe proves nothing then, and the exact solves
    /// decide).
    fn probe(&self, bases: &Bases, c: usize, value: f64) -> Option<Vec<f64>> {
        let _timer = SolveTimer(Instant::now(), Some(1));
        let n = self.column.len();
        let shift = value / self.scale - bases.start[c];
        let (var, by) = match bases.fall[c] {
            Some(fall) if shift < 0.0 => (fall, -shift),
            _ => (bases.rise[c], shift),
        };
        let solution = bases
            .base
            .clone()
            .fix_var(var, by)
            .ok()?
            .into_solution()
            .ok()?;
        let mut point = bases.point(&solution, self.scale);
        point.truncate(n);
        let at = (point[c] - value).abs() <= 1e-7 * value.abs().max(1.0);
        (at && self.satisfies(&point)).then_some(point)
    }

    /// Counts a warm solve and records its failure.
    fn took(&mut self, solved: Result<Vec<f64>, String>) -> Option<Vec<f64>> {
        self.solves += 1;
        solved.map_err(|e| self.failure = Some(e)).ok()
    }

    /// Intervals of the `targets` (global var indices): (var, lo, hi, exact).
    ///
    /// Every solve is warm-started from one solved program (see [`BlockLp::base`]): to maximise
    /// (minimise) a sum of unknowns the row z ≤ Σ (w ≥ Σ) is added and the dual simplex moves
    /// from there – a few pivots instead of a solve from scratch.
    pub(super) fn intervals(
        &mut self,
        targets: &[usize],
        vars: &[(usize, Part)],
        table: &Table,
        need: &dyn Fn(usize) -> Need,
        prior: &[Vec<f64>],
    ) -> Result<Vec<(usize, f64, f64, bool)>, Infeasible> {
        let n = self.column.len();
        let mut seen_lo = vec![f64::INFINITY; n];
        let mut seen_hi = vec![f64::NEG_INFINITY; n];
        let see = |point: &[f64], lo: &mut [f64], hi: &mut [f64], kept: &mut Vec<Vec<f64>>| {
            for (c, &x) in point[..lo.len()].iter().enumerate() {
                lo[c] = lo[c].min(x);
                hi[c] = hi[c].max(x);
            }
            kept.push(point[..lo.len()].to_vec());
        };
        let mut kept = Vec::new();
        for point in prior {
            if self.satisfies(point) {
                see(point, &mut seen_lo, &mut seen_hi, &mut kept);
            }
        }
        tracing::debug!(
            target: "oj::disclose",
            carried = prior.len(),
            satisfying = kept.len(),
            "disclosure audit earlier points"
        );
        let target: Vec<(usize, Need, f64)> = targets
            .iter()
            .map(|&v| {
                let cell = vars[v].0;
                let value = table.cells[cell].numerator().unwrap_or(0.0);
                (self.column[&v], need(cell), value)
            })
            .collect();
        let proven = |lo: &[f64], hi: &[f64], &(c, need, value): &(usize, Need, f64)| {
            need.met(value, lo[c], hi[c], tolerance(value))
        };
        let bases = if target.iter().all(|t| proven(&seen_lo, &seen_hi, t)) {
            None
        } else {
            Some(self.base()?)
        };
        // Shared solves: push the unproven targets up together, then down together, while that
        // proves more of them; a target proven by any feasible point needs no solve of its own.
        for _ in 0..12 {
            let unproven: Vec<&(usize, Need, f64)> = target
                .iter()
                .filter(|t| !proven(&seen_lo, &seen_hi, t))
                .collect();
            let Some(bases) = bases.as_ref().filter(|_| !unproven.is_empty()) else {
                break;
            };
            let up: Vec<usize> = unproven
                .iter()
                .filter(|(c, need, value)| match need {
                    Need::ReachesZero { upper } => seen_hi[*c] < *upper,
                    Need::Percent { percent } => seen_hi[*c] < value * (1.0 + percent / 100.0),
                    Need::Width { .. } => true,
                })
                .map(|(c, _, _)| *c)
                .collect();
            let down: Vec<usize> = unproven
                .iter()
                .filter(|(c, need, value)| match need {
                    Need::ReachesZero { .. } => seen_lo[*c] > 0.0,
                    Need::Percent { percent } => seen_lo[*c] > value * (1.0 - percent / 100.0),
                    Need::Width { .. } => true,
                })
                .map(|(c, _, _)| *c)
                .collect();
            let before = unproven.len();
            // The shared solves are independent: solved side by side. Pushing many targets up
            // costs far more than pulling them down (1 s against 0.02 s in the big block at
            // scale 0.05), so a large up set is split in two halves (every other target) pushed
            // up side by side, two points instead of one, and the down solve beside them (three
            // threads: the two halves rarely take the same time, and the down solve fills the
            // core of the one that ends first; the points are the same in any order).
            let solved: Vec<Result<Vec<f64>, String>> = if up.len() >= SPLIT_UP {
                let (a, b): (Vec<usize>, Vec<usize>) = (
                    up.iter().copied().step_by(2).collect(),
                    up.iter().copied().skip(1).step_by(2).collect(),
                );
                let (pa, (pb, pd)) = both(
                    || self.warm(bases, true, &a),
                    || {
                        both(
                            || self.warm(bases, true, &b),
                            || (!down.is_empty()).then(|| self.warm(bases, false, &down)),
                        )
                    },
                );
                [Some(pa), Some(pb), pd].into_iter().flatten().collect()
            } else {
                let (up_point, down_point) = both(
                    || (!up.is_empty()).then(|| self.warm(bases, true, &up)),
                    || (!down.is_empty()).then(|| self.warm(bases, false, &down)),
                );
                [up_point, down_point].into_iter().flatten().collect()
            };
            for solved in solved {
                if let Some(point) = self.took(solved) {
                    see(&point, &mut seen_lo, &mut seen_hi, &mut kept);
                }
            }
            let after = unproven
                .iter()
                .filter(|t| !proven(&seen_lo, &seen_hi, t))
                .count();
            if after == before {
                break;
            }
        }
        // Exact intervals of the rest, one target at a time.
        let mut out = Vec::new();
        for (&v, &(c, need, value)) in targets.iter().zip(&target) {
            let bases = match bases.as_ref() {
                Some(b) if !need.met(value, seen_lo[c], seen_hi[c], tolerance(value)) => b,
                _ => {
                    out.push((v, seen_lo[c], seen_hi[c], false));
                    continue;
                }
            };
            // Probes first: a feasible point at each end the need asks for (a bound change from
            // the base, cheaper than an objective row); a cell they prove needs no exact solve.
            let (up_at, down_at) = probe_ends(need, value, seen_lo[c], seen_hi[c]);
            let (up_point, down_point) = both(
                || up_at.map(|x| self.probe(bases, c, x)),
                || down_at.map(|x| self.probe(bases, c, x)),
            );
            for probed in [up_point, down_point].into_iter().flatten() {
                self.solves += 1;
                if let Some(point) = probed {
                    see(&point, &mut seen_lo, &mut seen_hi, &mut kept);
                }
            }
            if need.met(value, seen_lo[c], seen_hi[c], tolerance(value)) {
                out.push((v, seen_lo[c], seen_hi[c], false));
                continue;
            }
            // The exact interval: its two ends are independent solves, side by side.
            let (hi_point, lo_point) = both(
                || self.warm(bases, true, &[c]),
                || self.warm(bases, false, &[c]),
            );
            let hi = match self.took(hi_point) {
                Some(point) => {
                    see(&point, &mut seen_lo, &mut seen_hi, &mut kept);
                    if point[n] >= Z_CAP * self.scale * (1.0 - 1e-9) {
                        f64::INFINITY
                    } else {
                        point[n]
                    }
                }
                None => f64::INFINITY,
            };
            let lo = match self.took(lo_point) {
                Some(point) => {
                    see(&point, &mut seen_lo, &mut seen_hi, &mut kept);
                    point[n + 1].max(0.0)
                }
                None => 0.0,
            };
            out.push((v, lo, hi, true));
        }
        self.points = kept;
        Ok(out)
    }
}

/// The bounds of `n` columns (x ≥ 0 and the one-column constraints `singletons`, f·x op b), or
/// `None` when some column's lower bound lies above its upper bound beyond round-off. A program
/// with these bounds and the other rows has exactly the solutions of the one with the
/// one-column constraints as rows, and a smaller basis: in the block of about 5 400 unknowns at
/// scale 0.05, 55 % of the no-movers model's constraints and 24 % of the true model's are over
/// one column.
pub(super) fn column_bounds(n: usize, singletons: &[Row]) -> Option<Vec<(f64, f64)>> {
    let mut bounds: Vec<(f64, f64)> = vec![(0.0, f64::INFINITY); n];
    for (coefs, op, rhs) in singletons {
        let (c, f) = coefs[0];
        let b = rhs / f;
        let (lo, hi) = &mut bounds[c];
        match (op, f > 0.0) {
            (ComparisonOp::Eq, _) => {
                *lo = lo.max(b);
                *hi = hi.min(b);
            }
            (ComparisonOp::Le, true) | (ComparisonOp::Ge, false) => *hi = hi.min(b),
            (ComparisonOp::Ge, true) | (ComparisonOp::Le, false) => *lo = lo.max(b),
        }
    }
    for (lo, hi) in &mut bounds {
        if *lo > *hi {
            if *lo - *hi > 1e-9 * lo.abs().max(1.0) {
                return None;
            }
            *hi = *lo;
        }
    }
    Some(bounds)
}

/// Where the probes of a cell go, given the interval [lo, hi] its feasible points show so far:
/// the value above (`.0`) and below (`.1`) that a feasible point must reach for the need to be
/// met; `None` where that side is met already or no probe can meet it.
pub(super) fn probe_ends(need: Need, value: f64, lo: f64, hi: f64) -> (Option<f64>, Option<f64>) {
    let tol = tolerance(value);
    match need {
        Need::ReachesZero { upper } => (
            (hi < upper - tol).then_some(upper),
            (lo > tol).then_some(0.0),
        ),
        Need::Percent { percent } => {
            let p = percent / 100.0;
            let (above, below) = (value * (1.0 + p), (value * (1.0 - p)).max(0.0));
            (
                (hi < above - tol).then_some(above),
                (lo > below + tol).then_some(below),
            )
        }
        Need::Width { width } => {
            if !(lo.is_finite() && hi.is_finite()) || hi - lo >= width - tol {
                (None, None)
            } else {
                // Either end alone widens [lo, hi] (both attained) to the width.
                (Some(lo + width), (hi - width >= 0.0).then_some(hi - width))
            }
        }
    }
}

/// Runs `a` and `b`, side by side on two threads when the machine has more than one core. The
/// callers pair independent solves from one base, so the answers are the same either way.
fn both<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if cores < 2 {
        return (a(), b());
    }
    std::thread::scope(|s| {
        let first = s.spawn(a);
        let second = b();
        let first = first
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    })
}
