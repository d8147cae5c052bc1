//! The disclose stage's work: primary suppression, secondary suppression over every declared
//! relation to a fixpoint, the intruder audit with repair, markers and rounding.
//!
//! Guarantees: the same input gives the same output, cell for cell; the table returned passed
//! the audit (every suppressed cell keeps at least its protection interval against an intruder
//! holding this and every earlier release of the year) – otherwise the call fails with
//! [`DiscloseError::Audit`] naming the cells; a suppressed, missing or not-applicable cell
//! carries no varde, taljare or namnare; values are rounded here and nowhere earlier.

use super::audit::{self, AuditReport, Need};
use super::cells::{Cells, Mark, PrimaryReason};
use super::error::DiscloseError;
use super::kind::IndicatorKinds;
use super::params::DisclosureParams;
use super::primary::{Contributions, primary};
use super::relations::{self, Membership};
use super::report::{self, DisclosureReport};
use super::secondary;
use super::shape::{conform, disclosed_schema};
use super::table::Table;
use crate::config::disclosure::{DisclosureConfig, RelationKind};
use crate::session::scratch::{Scratch, ints, texts};
use crate::vocab::IndicatorKind;
use datafusion::arrow::array::{Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::datasource::MemTable;
use datafusion::prelude::{DataFrame, SessionContext};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Rounding is half away from zero (`round` of DataFusion on the scaled value). The scaled value
/// is first multiplied by this factor so that a value meant to lie exactly on a half (24.45 %
/// stored in binary as 24.4499999999999993) rounds as its decimal intent (24.5) and not as its
/// binary approximation (24.4). The factor moves values away from zero by 1e-12 relative, far
/// below any published decimal.
const ROUNDING_NUDGE: f64 = 1.0 + 1e-12;

/// Columns the indicator rows must have.
const INDICATOR_COLUMNS: [&str; 10] = [
    "ar",
    "indikator",
    "niva",
    "region",
    "regionnamn",
    "grupp",
    "varde",
    "taljare",
    "namnare",
    "status",
];

/// Markers and rounding. Values keep `scale` = 10^decimals of their kind. Numerators and
/// denominators keep one decimal: counts are integers already and stay as they are, the mean
/// population of kronor per inhabitant ((a + b) / 2) is exact at one decimal, and averages such
/// as households per month are published at the precision of the value.
const PUBLISH_SQL: &str = "
SELECT ar, indikator, niva, region, regionnamn, grupp,
       CASE WHEN status = '' THEN round(varde * scale * $nudge) / scale END AS varde,
       CASE WHEN status = '' THEN round(taljare * 10.0 * $nudge) / 10.0 END AS taljare,
       CASE WHEN status = '' THEN round(namnare * 10.0 * $nudge) / 10.0 END AS namnare,
       status
FROM cells
ORDER BY ar, indikator, niva, region, grupp";

const INVALID_STATUS_SQL: &str = "
SELECT indikator, niva, region, grupp, COALESCE(status, '<null>') FROM indata
WHERE status IS NULL OR status NOT IN ('', '-', '.')
ORDER BY ar, indikator, niva, region, grupp LIMIT 1";

const DUPLICATE_SQL: &str = "
SELECT ar, indikator, niva, region, grupp, COUNT(*) AS n FROM indata
GROUP BY ar, indikator, niva, region, grupp HAVING COUNT(*) > 1
ORDER BY ar, indikator, niva, region, grupp LIMIT 1";

const SORTED_SQL: &str = "
SELECT ar, indikator, niva, region, regionnamn, grupp, varde, taljare, namnare, status
FROM indata ORDER BY ar, indikator, niva, region, grupp";

/// Everything disclosure control of one year works from.
pub struct DiscloseInput<'a> {
    /// The indicator rows (ind_indikatorer).
    pub indicators: DataFrame,
    pub kinds: &'a IndicatorKinds,
    pub params: &'a DisclosureParams,
    pub config: &'a DisclosureConfig,
    /// Kommun → län, kommungrupp, storleksklass (int_kommun).
    pub membership: Membership,
    /// Households behind each amount cell (int_belopp_bidrag).
    pub contributions: Contributions,
    /// The tables of every earlier release of the year (an intruder holds them).
    pub earlier: Vec<RecordBatch>,
}

/// The publishable table and what protecting it cost.
pub struct Disclosed {
    /// Columns of [`disclosed_schema`], sorted by key.
    pub table: DataFrame,
    pub report: DisclosureReport,
}

/// Applies disclosure control to the indicator rows of `input`.
pub async fn disclose(
    ctx: &SessionContext,
    input: DiscloseInput<'_>,
) -> Result<Disclosed, DiscloseError> {
    let (scratch, mut table, not_holding) = prepare(ctx, &input).await?;
    for i in 0..table.cells.len() {
        table.marks[i] = primary(
            &table.cells[i],
            input.params,
            input.config,
            &input.contributions,
        );
    }
    let primary_marks = table.marks.clone();

    let mut rounds = 0;
    secondary::protect(&mut table);
    let mut last: AuditReport;
    let mut cache = audit::AuditCache::default();
    // A repair round re-audits only the cells that failed and the cells it suppressed (more
    // suppression widens the others' intervals); once those pass, a full audit confirms.
    let mut only: Option<BTreeSet<usize>> = None;
    let (mut solves, mut seconds) = (0, 0.0);
    loop {
        let needs: Vec<NeedClass> = (0..table.cells.len())
            .map(|i| needs_class(&table, &primary_marks, input.config, i))
            .collect();
        let need_fn = |cell: usize| need_of(&needs[cell], input.config);
        last = audit::audit_cached(&table, &need_fn, &mut cache, only.as_ref())
            .map_err(DiscloseError::from)?;
        solves += last.solves;
        seconds += last.seconds;
        tracing::debug!(
            target: "oj::disclose",
            round = rounds,
            suppressed = table.marks.iter().filter(|m| m.suppressed()).count(),
            audited = last.audited,
            blocks = last.blocks,
            largest_block = last.largest_block,
            solves = last.solves,
            failures = last.failures.len(),
            seconds = last.seconds,
            "audit round"
        );
        if last.failures.is_empty() && only.is_some() {
            only = None;
            continue;
        }
        if last.failures.is_empty() || rounds >= input.config.max_repair_rounds {
            break;
        }
        rounds += 1;
        let before = table.marks.clone();
        if !repair(&mut table, &last) {
            break;
        }
        secondary::protect(&mut table);
        let mut recheck: BTreeSet<usize> = last.failures.iter().map(|f| f.cell).collect();
        recheck.extend((0..table.cells.len()).filter(|&i| table.marks[i] != before[i]));
        only = Some(recheck);
    }
    // The report gives the work of every round, the last (full) audit's findings.
    last.solves = solves;
    last.seconds = seconds;
    suppress_extremes(&mut table, input.config);

    if !last.failures.is_empty() {
        return Err(DiscloseError::Audit {
            failures: last
                .failures
                .iter()
                .map(|f| report::describe_failure(&table, f))
                .collect(),
        });
    }
    let report = report::build(&table, &primary_marks, &last, rounds, not_holding);

    let nudge = ParamValues::from(vec![("nudge", ScalarValue::from(ROUNDING_NUDGE))]);
    scratch.put("cells", cells_schema(), vec![cells_batch(&table)?])?;
    let published = scratch.query(PUBLISH_SQL, nudge).await?;
    let schema = disclosed_schema();
    let batches = published
        .iter()
        .map(|b| conform(b, &schema))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Disclosed {
        table: ctx.read_table(Arc::new(MemTable::try_new(schema, vec![batches])?))?,
        report,
    })
}

/// The checked indicator rows as a linked table: cells in key order, the declared relations
/// that hold (and how many inequality instances were left out), earlier releases frozen in. The
/// scratch catalog holding the rows is returned for the rounding query.
async fn prepare(
    ctx: &SessionContext,
    input: &DiscloseInput<'_>,
) -> Result<(Scratch, Table, usize), DiscloseError> {
    require_columns("indicator rows", &input.indicators, &INDICATOR_COLUMNS)?;
    let scratch = Scratch::new(ctx);
    scratch
        .put_frame("indata", input.indicators.clone())
        .await?;
    check_input(&scratch).await?;
    let batches = scratch.query(SORTED_SQL, no_params()).await?;
    let cells = Cells::from_batches(&batches, input.kinds)?;
    let relations = relations::instantiate(&cells, &input.config.linked, &input.membership);
    let (mut table, not_holding) = check_relations_hold(Table::new(cells, relations))?;
    freeze_earlier(&mut table, &input.earlier)?;
    Ok((scratch, table, not_holding))
}

/// Audits the suppression pattern of an existing release table (`status` `..` = suppressed)
/// against the true numbers of `input.indicators` and every declared relation, as the disclose
/// stage's audit would; `input.earlier` are the releases of the year made before it. Returns
/// the audit and one line per failing cell.
pub async fn audit_release(
    ctx: &SessionContext,
    input: DiscloseInput<'_>,
    release: &[RecordBatch],
) -> Result<(AuditReport, Vec<String>), DiscloseError> {
    let (_, mut table, _) = prepare(ctx, &input).await?;
    let mut primary_marks = vec![Mark::Published; table.cells.len()];
    for batch in release {
        let col = |name: &str| {
            batch
                .schema()
                .index_of(name)
                .map_err(|_| DiscloseError::Shape {
                    table: "release table",
                    message: format!("missing column {name}"),
                })
        };
        let indikator = texts(batch, col("indikator")?)?;
        let niva = texts(batch, col("niva")?)?;
        let region = texts(batch, col("region")?)?;
        let grupp = texts(batch, col("grupp")?)?;
        let status = texts(batch, col("status")?)?;
        for row in 0..batch.num_rows() {
            let key = (&indikator[row], &niva[row], &region[row], &grupp[row]);
            let (Some(i), Some(n), Some(r), Some(g)) = key else {
                continue;
            };
            let Some(cell) = table.cells.find(i, n, r, g) else {
                continue;
            };
            if status[row].as_deref() == Some("..") {
                let p = primary(
                    &table.cells[cell],
                    input.params,
                    input.config,
                    &input.contributions,
                );
                primary_marks[cell] = p;
                table.marks[cell] = if p.suppressed() { p } else { Mark::Secondary };
            }
        }
    }
    let needs: Vec<NeedClass> = (0..table.cells.len())
        .map(|i| needs_class(&table, &primary_marks, input.config, i))
        .collect();
    let report = audit::audit(&table, &|cell| need_of(&needs[cell], input.config))?;
    let lines = report
        .failures
        .iter()
        .map(|f| report::describe_failure(&table, f))
        .collect();
    Ok((report, lines))
}

/// What protection a suppressed cell gets.
#[derive(Debug, Clone, Copy, PartialEq)]
enum NeedClass {
    Amount,
    SmallCount { upper_from_households: bool },
    Count,
}

fn table_need(primary_marks: &[Mark], cell: usize) -> NeedClass {
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

fn needs_class(
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

fn need_of(class: &NeedClass, config: &DisclosureConfig) -> Need {
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
fn repair(table: &mut Table, report: &AuditReport) -> bool {
    let mut touched: BTreeSet<usize> = BTreeSet::new();
    let mut changed = false;
    let none = Default::default();
    for failure in &report.failures {
        let relations = &table.relations_of[failure.cell];
        if relations.iter().any(|r| touched.contains(r)) {
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
fn suppress_extremes(table: &mut Table, config: &DisclosureConfig) {
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

/// Every declared exact relation holds on the true numbers (to rounding): otherwise the
/// declaration or a model is wrong, and nothing can be audited. An inequality (movers, long-term
/// counts, subsets) that does not hold for some cells (a person who is long-term in two parts,
/// say) cannot be relied on there, by the audit or an intruder: those instances are left out and
/// counted. Returns the table to work on and the number left out.
fn check_relations_hold(table: Table) -> Result<(Table, usize), DiscloseError> {
    let mut broken = Vec::new();
    let mut dropped = Vec::new();
    for (r, rel) in table.relations.iter().enumerate() {
        // Relations over cells without numbers (`-`, `.`) say nothing checkable.
        let Some(left) = table.value(&rel.left) else {
            continue;
        };
        let right: Option<Vec<f64>> = rel.right.iter().map(|t| table.value(t)).collect();
        let Some(right) = right else { continue };
        if !table.cells[rel.left.cell].computed()
            || rel.right.iter().any(|t| !table.cells[t.cell].computed())
        {
            continue;
        }
        let sum: f64 = right.iter().sum();
        let tol = 1e-6 * left.abs().max(sum.abs()).max(1.0);
        let max = right.iter().copied().fold(0.0, f64::max);
        let holds = match rel.kind {
            RelationKind::Exact => (left - sum).abs() <= tol,
            RelationKind::Movers => left <= sum + tol && left >= max - tol,
            RelationKind::AtLeastSum => left >= sum - tol,
            RelationKind::AtMost => left <= sum + tol,
        };
        if holds {
            continue;
        }
        if rel.kind == RelationKind::Exact {
            broken.push(format!(
                "{}: left = {left}, parts sum to {sum}",
                rel.describe(&table.cells)
            ));
        } else {
            dropped.push(r);
        }
    }
    if !broken.is_empty() {
        return Err(DiscloseError::RelationDoesNotHold {
            count: broken.len(),
            examples: broken.into_iter().take(10).collect(),
        });
    }
    if dropped.is_empty() {
        return Ok((table, 0));
    }
    let Table {
        cells, relations, ..
    } = table;
    let kept = relations
        .into_iter()
        .enumerate()
        .filter(|(r, _)| dropped.binary_search(r).is_err())
        .map(|(_, rel)| rel)
        .collect();
    Ok((Table::new(cells, kept), dropped.len()))
}

/// Marks the cells an earlier release of the year published with the numbers they have now.
fn freeze_earlier(table: &mut Table, earlier: &[RecordBatch]) -> Result<(), DiscloseError> {
    let mut published: HashMap<usize, (Option<f64>, Option<f64>)> = HashMap::new();
    for batch in earlier {
        let col = |name: &str| batch.schema().index_of(name).ok();
        let (Some(i), Some(n), Some(r), Some(g), Some(s)) = (
            col("indikator"),
            col("niva"),
            col("region"),
            col("grupp"),
            col("status"),
        ) else {
            continue;
        };
        let indikator = texts(batch, i)?;
        let niva = texts(batch, n)?;
        let region = texts(batch, r)?;
        let grupp = texts(batch, g)?;
        let status = texts(batch, s)?;
        let number = |name: &str| -> Result<Vec<Option<f64>>, DiscloseError> {
            Ok(match col(name) {
                Some(c) => crate::session::scratch::floats(batch, c)?,
                None => vec![None; batch.num_rows()],
            })
        };
        let varde = number("varde")?;
        let taljare = number("taljare")?;
        let namnare = number("namnare")?;
        for row in 0..batch.num_rows() {
            if status[row].as_deref() != Some("") {
                continue;
            }
            let key = (&indikator[row], &niva[row], &region[row], &grupp[row]);
            let (Some(i), Some(n), Some(r), Some(g)) = key else {
                continue;
            };
            if let Some(cell) = table.cells.find(i, n, r, g) {
                let numerator = match table.cells[cell].kind {
                    IndicatorKind::Antal | IndicatorKind::Tkr => taljare[row].or(varde[row]),
                    _ => taljare[row],
                };
                published.insert(cell, (numerator, namnare[row]));
            }
        }
    }
    for (cell, (numerator, namnare)) in published {
        let c = &table.cells[cell];
        // Published numbers are rounded (one decimal, whole tkr): equal within that.
        let same = |old: Option<f64>, now: Option<f64>| match (old, now) {
            (Some(a), Some(b)) => (a - b).abs() <= 0.5,
            _ => false,
        };
        table.frozen[cell] = (same(numerator, c.numerator()), same(namnare, c.namnare));
    }
    Ok(())
}

/// The disclosed columns (unrounded) plus `scale` = 10^decimals, for the rounding query.
fn cells_schema() -> Arc<Schema> {
    let mut fields: Vec<Field> = disclosed_schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new("scale", DataType::Float64, false));
    Arc::new(Schema::new(fields))
}

fn cells_batch(table: &Table) -> Result<RecordBatch, DiscloseError> {
    let c = &table.cells.cells;
    Ok(RecordBatch::try_new(
        cells_schema(),
        vec![
            Arc::new(Int64Array::from_iter_values(c.iter().map(|c| c.ar))),
            Arc::new(StringArray::from_iter_values(
                c.iter().map(|c| c.indikator.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                c.iter().map(|c| c.niva.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                c.iter().map(|c| c.region.as_str()),
            )),
            Arc::new(StringArray::from_iter(
                c.iter().map(|c| c.regionnamn.as_deref()),
            )),
            Arc::new(StringArray::from_iter_values(
                c.iter().map(|c| c.grupp.as_str()),
            )),
            Arc::new(Float64Array::from_iter(c.iter().map(|c| c.varde))),
            Arc::new(Float64Array::from_iter(c.iter().map(|c| c.taljare))),
            Arc::new(Float64Array::from_iter(c.iter().map(|c| c.namnare))),
            Arc::new(StringArray::from_iter_values(
                table.marks.iter().map(|m| m.status()),
            )),
            Arc::new(Float64Array::from_iter_values(
                c.iter().map(|c| 10f64.powi(c.kind.decimals() as i32)),
            )),
        ],
    )?)
}

/// No bound parameters.
pub(crate) fn no_params() -> ParamValues {
    ParamValues::List(Vec::new())
}

/// Fails with [`DiscloseError::Shape`] when `df` lacks one of `columns`.
pub(crate) fn require_columns(
    table: &'static str,
    df: &DataFrame,
    columns: &[&str],
) -> Result<(), DiscloseError> {
    let schema = df.schema();
    let missing: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| schema.index_of_column_by_name(None, c).is_none())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(DiscloseError::Shape {
            table,
            message: format!("missing column(s) {}", missing.join(", ")),
        })
    }
}

/// Rejects rows the stage cannot decide about: statuses the models may not set, duplicate
/// keys. (An unknown indicator kind is refused when the cells are read.)
async fn check_input(scratch: &Scratch) -> Result<(), DiscloseError> {
    for batch in scratch.query(INVALID_STATUS_SQL, no_params()).await? {
        if batch.num_rows() > 0 {
            let text = |i: usize| -> Result<String, DiscloseError> {
                Ok(texts(&batch, i)?.swap_remove(0).unwrap_or_default())
            };
            return Err(DiscloseError::InvalidStatus {
                indikator: text(0)?,
                niva: text(1)?,
                region: text(2)?,
                grupp: text(3)?,
                status: text(4)?,
            });
        }
    }
    for batch in scratch.query(DUPLICATE_SQL, no_params()).await? {
        if batch.num_rows() > 0 {
            let text = |i: usize| -> Result<String, DiscloseError> {
                Ok(texts(&batch, i)?.swap_remove(0).unwrap_or_default())
            };
            return Err(DiscloseError::DuplicateCell {
                ar: ints(&batch, 0)?[0].unwrap_or_default(),
                indikator: text(1)?,
                niva: text(2)?,
                region: text(3)?,
                grupp: text(4)?,
                count: ints(&batch, 5)?[0].unwrap_or_default(),
            });
        }
    }
    Ok(())
}
