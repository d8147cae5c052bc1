//! The disclose stage's work: primary suppression, secondary suppression over every declared
//! relation to a fixpoint, the intruder audit with repair, markers and rounding.
//!
//! Guarantees: the same input gives the same output, cell for cell; the table returned passed
//! the audit (every suppressed cell keeps at least its protection interval against an intruder
//! holding this and every earlier release of the year) – otherwise the call fails with
//! [`DiscloseError::Audit`] naming the cells; a suppressed, missing or not-applicable cell
//! carries no varde, taljare or namnare; values are rounded here and nowhere earlier.

pub(super) mod checks;
mod perturb;
mod protect;

use self::checks::{check_input, check_relations_hold, freeze_earlier, no_params, require_columns};
use self::protect::{NeedClass, need_of, needs_class, repair, suppress_extremes};
use crate::config::disclosure::DisclosureConfig;
use crate::disclose::audit::{self, AuditReport};
use crate::disclose::cells::{Cells, Mark};
use crate::disclose::error::DiscloseError;
use crate::disclose::kind::IndicatorKinds;
use crate::disclose::params::DisclosureParams;
use crate::disclose::primary::{Contributions, primary};
use crate::disclose::relations::{self, Membership};
use crate::disclose::report::{self, DisclosureReport};
use crate::disclose::secondary;
use crate::disclose::shape::{conform, disclosed_schema};
use crate::disclose::table::Table;
use crate::session::scratch::{Scratch, texts};
use datafusion::arrow::array::{Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::datasource::MemTable;
use datafusion::prelude::{DataFrame, SessionContext};
use std::collections::BTreeSet;
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
    // The cells that failed the round before (a cell failing twice is repaired by perturbation).
    let mut failed_before: BTreeSet<usize> = BTreeSet::new();
    let (mut solves, mut seconds) = (0, 0.0);
    let mut perturbed = report::Perturbed::default();
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
        let failing: BTreeSet<usize> = last.failures.iter().map(|f| f.cell).collect();
        let persistent: BTreeSet<usize> = failing.intersection(&failed_before).copied().collect();
        failed_before = failing;
        if !repair(&mut table, &last, &persistent, &mut perturbed) {
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
    let report = report::build(
        &table,
        &primary_marks,
        &last,
        rounds,
        perturbed,
        not_holding,
    );

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
