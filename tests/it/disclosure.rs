//! Disclosure control against an intruder (issue: linked tables, amounts, audit). One small
//! hand-made table per attack: the pattern the earlier three-set method published is audited
//! and shown recoverable, then the disclose stage's pattern is worked out by hand and its audit
//! passes. Relations are the project's own (`pipelines/disclosure.yaml`).

use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::{DataFrame, SessionContext};
use oj::config::disclosure::DisclosureConfig;
use oj::disclose::audit::{self, AuditReport, Need};
use oj::disclose::cells::{Cell, Cells, Mark, PrimaryReason};
use oj::disclose::primary::{Contribution, Contributions};
use oj::disclose::relations::{self, KommunGroups, Membership};
use oj::disclose::table::Table;
use oj::disclose::{self, DiscloseError, DiscloseInput, DisclosureParams, IndicatorKinds};
use oj::vocab::IndicatorKind;
use std::sync::Arc;

fn session() -> SessionContext {
    oj::session::build(&oj::session::SessionOptions::for_tests(), &[]).unwrap()
}

fn config() -> DisclosureConfig {
    super::fixtures::project().disclosure
}

fn kinds() -> IndicatorKinds {
    let project = super::fixtures::project();
    let mut kinds = disclose::kinds_of(&project.pipeline.indicators);
    kinds.insert("enk_hushall_per_handlaggare".into(), IndicatorKind::Kvot);
    kinds.insert(
        "enk_hushall_per_handlaggare_min".into(),
        IndicatorKind::Kvot,
    );
    kinds
}

/// A computed cell of 2017: numerator `t`, denominator `n` (value 100·t/n for shares, t for
/// counts, t/1000 for tkr, t/n for kronor per inhabitant).
fn cell(indikator: &str, niva: &str, region: &str, grupp: &str, t: f64, n: Option<f64>) -> Cell {
    let kind = kinds()[indikator];
    let (varde, taljare) = match kind {
        IndicatorKind::Andel => (n.map(|n| 100.0 * t / n), Some(t)),
        IndicatorKind::Antal => (Some(t), Some(t)),
        IndicatorKind::Tkr => (Some(t / 1000.0), None),
        IndicatorKind::Kronor | IndicatorKind::Kvot => (n.map(|n| t / n), Some(t)),
    };
    Cell {
        ar: 2017,
        indikator: indikator.into(),
        niva: niva.into(),
        region: region.into(),
        regionnamn: None,
        grupp: grupp.into(),
        kind,
        varde,
        taljare,
        namnare: n,
        input: Mark::Published,
    }
}

fn share(indikator: &str, niva: &str, region: &str, t: f64, n: f64) -> Cell {
    cell(indikator, niva, region, "totalt", t, Some(n))
}

fn key(c: &Cell) -> String {
    format!("{} {} {} {}", c.indikator, c.niva, c.region, c.grupp)
}

fn df(ctx: &SessionContext, cells: &[Cell]) -> DataFrame {
    let schema = Arc::new(Schema::new(vec![
        Field::new("ar", DataType::Int64, false),
        Field::new("indikator", DataType::Utf8, false),
        Field::new("niva", DataType::Utf8, false),
        Field::new("region", DataType::Utf8, false),
        Field::new("regionnamn", DataType::Utf8, true),
        Field::new("grupp", DataType::Utf8, false),
        Field::new("varde", DataType::Float64, true),
        Field::new("taljare", DataType::Float64, true),
        Field::new("namnare", DataType::Float64, true),
        Field::new("status", DataType::Utf8, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(cells.iter().map(|c| c.ar))),
        Arc::new(StringArray::from_iter_values(
            cells.iter().map(|c| c.indikator.as_str()),
        )),
        Arc::new(StringArray::from_iter_values(
            cells.iter().map(|c| c.niva.as_str()),
        )),
        Arc::new(StringArray::from_iter_values(
            cells.iter().map(|c| c.region.as_str()),
        )),
        Arc::new(StringArray::from_iter(cells.iter().map(|_| None::<&str>))),
        Arc::new(StringArray::from_iter_values(
            cells.iter().map(|c| c.grupp.as_str()),
        )),
        Arc::new(Float64Array::from_iter(cells.iter().map(|c| c.varde))),
        Arc::new(Float64Array::from_iter(cells.iter().map(|c| c.taljare))),
        Arc::new(Float64Array::from_iter(cells.iter().map(|c| c.namnare))),
        Arc::new(StringArray::from_iter_values(
            cells.iter().map(|c| c.input.status()),
        )),
    ];
    ctx.read_batch(RecordBatch::try_new(schema, columns).unwrap())
        .unwrap()
}

/// Kommun groups for the tests: län = first two digits; kommungrupp B3 for 0114, 0305, 2101.
fn membership() -> Membership {
    let mut m = Membership::new();
    for k in ["0114", "0115", "0116", "0117", "0180", "0305", "2101"] {
        m.insert(
            k.to_string(),
            KommunGroups {
                lan: k[..2].to_string(),
                kommungrupp: ["0114", "0305", "2101"]
                    .contains(&k)
                    .then(|| "B3".to_string()),
                storleksklass: None,
            },
        );
    }
    m
}

/// The earlier three-set method's pattern (or any pattern) over `cells`, audited as an
/// intruder holding `earlier` (keys → published numerator) would audit it.
fn audit_pattern(cells: &[Cell], suppressed: &[&str], earlier: &[&str]) -> AuditReport {
    let config = config();
    let cells = Cells::new(cells.to_vec());
    let relations = relations::instantiate(&cells, &config.linked, &membership());
    let mut table = Table::new(cells, relations);
    for i in 0..table.cells.len() {
        let k = key(&table.cells[i]);
        if suppressed.contains(&k.as_str()) {
            table.marks[i] = Mark::Secondary;
        }
        if earlier.contains(&k.as_str()) {
            table.frozen[i] = (true, true);
        }
    }
    // Every suppressed count must stay 5 wide; amounts ±10 %.
    let need = |i: usize| {
        if table.cells[i].indikator.starts_with("reg_belopp") {
            Need::Percent { percent: 10.0 }
        } else {
            Need::Width { width: 5.0 }
        }
    };
    audit::audit(&table, &need).unwrap()
}

fn failing(report: &AuditReport, cells: &[Cell]) -> Vec<String> {
    let sorted = Cells::new(cells.to_vec());
    report
        .failures
        .iter()
        .map(|f| key(&sorted[f.cell]))
        .collect()
}

/// Runs the disclose stage's work and returns the suppressed cells' keys, sorted.
async fn suppressed_by_stage(
    cells: &[Cell],
    contributions: Contributions,
    earlier: Vec<RecordBatch>,
) -> Result<(Vec<String>, oj::disclose::Disclosed), DiscloseError> {
    let ctx = session();
    let config = config();
    let kinds = kinds();
    let out = disclose::disclose(
        &ctx,
        DiscloseInput {
            indicators: df(&ctx, cells),
            kinds: &kinds,
            params: &DisclosureParams::default(),
            config: &config,
            membership: membership(),
            contributions,
            earlier,
        },
    )
    .await?;
    let batches = out.table.clone().collect().await.unwrap();
    let mut keys = Vec::new();
    for b in &batches {
        let t = |n: &str| {
            b.column_by_name(n)
                .unwrap()
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap()
                .clone()
        };
        let (i, n, r, g, s) = (
            t("indikator"),
            t("niva"),
            t("region"),
            t("grupp"),
            t("status"),
        );
        for row in 0..b.num_rows() {
            if s.value(row) == ".." {
                keys.push(format!(
                    "{} {} {} {}",
                    i.value(row),
                    n.value(row),
                    r.value(row),
                    g.value(row)
                ));
            }
        }
    }
    keys.sort();
    Ok((keys, out))
}

// ------------------------------------------------------------------ across indicators

#[tokio::test]
async fn children_follow_from_all_ages_minus_adults() {
    // 40 recipients of all ages = 37 adults + 3 children (identity alla_aldrar); the count of
    // recipients (reg_mottagare_antal) is the all-ages numerator (identity antal_mottagare).
    let cells = vec![
        share("reg_mottagare_andel", "kommun", "0180", 40.0, 1000.0),
        share("reg_vuxna_mottagare_andel", "kommun", "0180", 37.0, 800.0),
        share("reg_barn_andel", "kommun", "0180", 3.0, 200.0),
        cell(
            "reg_mottagare_antal",
            "kommun",
            "0180",
            "totalt",
            40.0,
            None,
        ),
    ];
    // Three-set method: only the children's cell (3, primary); 40 − 37 = 3 recovers it.
    let old = audit_pattern(&cells, &["reg_barn_andel kommun 0180 totalt"], &[]);
    assert_eq!(
        failing(&old, &cells),
        vec!["reg_barn_andel kommun 0180 totalt"]
    );
    assert_eq!((old.failures[0].lo, old.failures[0].hi), (3.0, 3.0));
    // Now: alla_aldrar has one unknown → the cheapest published term of {all ages 40,
    // adults 37} is the adults (37). Audit: adults + children = 40 → children ∈ [0, 40].
    let (suppressed, out) = suppressed_by_stage(&cells, Contributions::new(), vec![])
        .await
        .unwrap();
    assert_eq!(
        suppressed,
        vec![
            "reg_barn_andel kommun 0180 totalt",
            "reg_vuxna_mottagare_andel kommun 0180 totalt"
        ]
    );
    assert_eq!(out.report.audit.result, "PASS");
    assert_eq!(out.report.totals.primary, 1);
    assert_eq!(out.report.totals.secondary, 1);
}

#[tokio::test]
async fn an_adult_count_never_stays_visible_as_a_long_term_denominator() {
    // Adults (reg_vuxna_mottagare_andel) and long-term adults (reg_langvarigt_andel, whose
    // denominator is the adult count) in kommun 0180 and three stadsdelar:
    //              adults   long-term
    //   0180         100        40
    //   018001         3         1    (both primary)
    //   018002        30        25
    //   018003        67        14
    let mut cells = Vec::new();
    for (niva, region, adults, long) in [
        ("kommun", "0180", 100.0, 40.0),
        ("stadsdel", "018001", 3.0, 1.0),
        ("stadsdel", "018002", 30.0, 25.0),
        ("stadsdel", "018003", 67.0, 14.0),
    ] {
        cells.push(share(
            "reg_vuxna_mottagare_andel",
            niva,
            region,
            adults,
            1000.0,
        ));
        cells.push(share("reg_langvarigt_andel", niva, region, long, adults));
    }
    // Three-set method: adults 018001 (primary) + 018002 (smallest of {100, 30, 67});
    // long-term 018001 (primary) + 018003 (smallest of {40, 25, 14}). The long-term cell of
    // 018002 still publishes its denominator 30 = the hidden adult count, so adults in 018001
    // = 100 − 30 − 67 = 3.
    let old = audit_pattern(
        &cells,
        &[
            "reg_vuxna_mottagare_andel stadsdel 018001 totalt",
            "reg_vuxna_mottagare_andel stadsdel 018002 totalt",
            "reg_langvarigt_andel stadsdel 018001 totalt",
            "reg_langvarigt_andel stadsdel 018003 totalt",
        ],
        &[],
    );
    assert!(
        failing(&old, &cells)
            .contains(&"reg_vuxna_mottagare_andel stadsdel 018001 totalt".to_string()),
        "{:?}",
        failing(&old, &cells)
    );
    // Now: the same two hierarchy picks, then identity langvarigt_namnare for 018002 has one
    // unknown (the hidden adult count) → its only published term, the long-term cell of
    // 018002, is suppressed too. Audit: a1 + a2 = 33, l1 + l2 + l3 = 40, l1 ≤ a1, l2 ≤ a2:
    // a1 ∈ [0, 33], l3 ∈ [7, 40] – all wide enough.
    let (suppressed, out) = suppressed_by_stage(&cells, Contributions::new(), vec![])
        .await
        .unwrap();
    assert_eq!(
        suppressed,
        vec![
            "reg_langvarigt_andel stadsdel 018001 totalt",
            "reg_langvarigt_andel stadsdel 018002 totalt",
            "reg_langvarigt_andel stadsdel 018003 totalt",
            "reg_vuxna_mottagare_andel stadsdel 018001 totalt",
            "reg_vuxna_mottagare_andel stadsdel 018002 totalt",
        ]
    );
    assert_eq!(out.report.audit.result, "PASS");
}

// ------------------------------------------------------------------ across levels

#[tokio::test]
async fn a_kommun_follows_from_its_lan() {
    // Län 01 = 113 recipients; kommuner 0114: 3, 0115: 50, 0117: 60 (no movers).
    let a = "reg_mottagare_antal";
    let cells = vec![
        cell(a, "lan", "01", "totalt", 113.0, None),
        cell(a, "kommun", "0114", "totalt", 3.0, None),
        cell(a, "kommun", "0115", "totalt", 50.0, None),
        cell(a, "kommun", "0117", "totalt", 60.0, None),
    ];
    // Three-set method: 0114 alone; 113 − 50 − 60 = 3.
    let old = audit_pattern(&cells, &["reg_mottagare_antal kommun 0114 totalt"], &[]);
    assert_eq!(
        failing(&old, &cells),
        vec!["reg_mottagare_antal kommun 0114 totalt"]
    );
    // Now: hierarchy personer lan ⊃ kommun → cheapest published of {113, 50, 60} = 0115.
    // Audit: 0114 + 0115 = 53 → 0114 ∈ [0, 53].
    let (suppressed, _) = suppressed_by_stage(&cells, Contributions::new(), vec![])
        .await
        .unwrap();
    assert_eq!(
        suppressed,
        vec![
            "reg_mottagare_antal kommun 0114 totalt",
            "reg_mottagare_antal kommun 0115 totalt"
        ]
    );
}

#[tokio::test]
async fn movers_make_the_lan_smaller_than_its_kommuner_and_are_still_protected() {
    // Two persons moved between 0115 and 0117: the län counts them once (111 ≤ 3 + 50 + 60).
    // An intruder assuming no movers gets 0114 ∈ … from 111 = a + b + 60, so the pick is the
    // same as without movers, and the audit passes under that assumption.
    let a = "reg_mottagare_antal";
    let cells = vec![
        cell(a, "lan", "01", "totalt", 111.0, None),
        cell(a, "kommun", "0114", "totalt", 3.0, None),
        cell(a, "kommun", "0115", "totalt", 50.0, None),
        cell(a, "kommun", "0117", "totalt", 60.0, None),
    ];
    let (suppressed, out) = suppressed_by_stage(&cells, Contributions::new(), vec![])
        .await
        .unwrap();
    assert_eq!(
        suppressed,
        vec![
            "reg_mottagare_antal kommun 0114 totalt",
            "reg_mottagare_antal kommun 0115 totalt"
        ]
    );
    assert_eq!(out.report.audit.movers_visible_blocks, 0);
}

#[tokio::test]
async fn a_kommun_follows_from_its_kommungrupp() {
    // Kommungrupp B3 = 0114 (3) + 0305 (40) + 2101 (70) = 113, kommuner in three län.
    let a = "reg_hushall_antal";
    let cells = vec![
        cell(a, "kommungrupp", "B3", "totalt", 113.0, None),
        cell(a, "kommun", "0114", "totalt", 3.0, None),
        cell(a, "kommun", "0305", "totalt", 40.0, None),
        cell(a, "kommun", "2101", "totalt", 70.0, None),
    ];
    let old = audit_pattern(&cells, &["reg_hushall_antal kommun 0114 totalt"], &[]);
    assert_eq!(
        failing(&old, &cells),
        vec!["reg_hushall_antal kommun 0114 totalt"]
    );
    // Now: kommungrupp ⊃ kommun → cheapest of {113, 40, 70} = 0305.
    let (suppressed, _) = suppressed_by_stage(&cells, Contributions::new(), vec![])
        .await
        .unwrap();
    assert_eq!(
        suppressed,
        vec![
            "reg_hushall_antal kommun 0114 totalt",
            "reg_hushall_antal kommun 0305 totalt"
        ]
    );
}

#[tokio::test]
async fn a_stadsdel_follows_from_its_kommun_in_another_group() {
    // Young women in kommun 0180 = 018001 + 018002; 018001 has 2 (primary). A pattern that
    // protects only the stadsdel relation of the women (018001 + 018002 kvinnor) leaves the
    // sex split of 018001 with one unknown: kvinnor = totalt 50 − man 48 = 2.
    let i = "reg_unga_vuxna_andel";
    let mut cells = Vec::new();
    for (niva, region, k, m) in [
        ("kommun", "0180", 32.0, 70.0),
        ("stadsdel", "018001", 2.0, 48.0),
        ("stadsdel", "018002", 30.0, 22.0),
    ] {
        cells.push(cell(i, niva, region, "kvinnor", k, Some(1000.0)));
        cells.push(cell(i, niva, region, "man", m, Some(1000.0)));
        cells.push(cell(i, niva, region, "totalt", k + m, Some(2000.0)));
    }
    let old = audit_pattern(
        &cells,
        &[
            "reg_unga_vuxna_andel stadsdel 018001 kvinnor",
            "reg_unga_vuxna_andel stadsdel 018002 kvinnor",
        ],
        &[],
    );
    assert!(
        failing(&old, &cells).contains(&"reg_unga_vuxna_andel stadsdel 018001 kvinnor".to_string())
    );
    // Now (relations in declaration order): sex split 018001 → man 48 (< totalt 50); stadsdel
    // hierarchy kvinnor → 018002 kvinnor (30 < 32); man → 018002 man (22 < 70). Audit as in the
    // hand-worked a + b = 50, c + d = 52, a + c = 32, b + d = 70.
    let (suppressed, _) = suppressed_by_stage(&cells, Contributions::new(), vec![])
        .await
        .unwrap();
    assert_eq!(
        suppressed,
        vec![
            "reg_unga_vuxna_andel stadsdel 018001 kvinnor",
            "reg_unga_vuxna_andel stadsdel 018001 man",
            "reg_unga_vuxna_andel stadsdel 018002 kvinnor",
            "reg_unga_vuxna_andel stadsdel 018002 man",
        ]
    );
}

// ------------------------------------------------------------------ amounts

fn amounts(region: &str, kronor: f64, population: f64) -> Vec<Cell> {
    vec![
        cell("reg_belopp_tkr", "kommun", region, "totalt", kronor, None),
        share(
            "reg_belopp_per_invanare",
            "kommun",
            region,
            kronor,
            population,
        ),
    ]
}

#[tokio::test]
async fn two_households_amount_is_suppressed_with_its_kronor_per_inhabitant() {
    // Län 01: 0114 paid 180 000 kr to 2 households; 0115 2 000 000 kr, 0117 3 000 000 kr to
    // many. Län total 5 180 000 kr.
    let mut cells = vec![
        cell("reg_belopp_tkr", "lan", "01", "totalt", 5_180_000.0, None),
        share(
            "reg_belopp_per_invanare",
            "lan",
            "01",
            5_180_000.0,
            30_000.0,
        ),
    ];
    cells.extend(amounts("0114", 180_000.0, 5_000.0));
    cells.extend(amounts("0115", 2_000_000.0, 10_000.0));
    cells.extend(amounts("0117", 3_000_000.0, 15_000.0));
    let contributions: Contributions = [
        ("0114", 2, 100_000.0, 80_000.0, 180_000.0),
        ("0115", 80, 60_000.0, 55_000.0, 2_000_000.0),
        ("0117", 120, 70_000.0, 60_000.0, 3_000_000.0),
        ("01", 202, 100_000.0, 80_000.0, 5_180_000.0),
    ]
    .into_iter()
    .map(|(r, households, largest, second, total)| {
        let niva = if r.len() == 2 { "lan" } else { "kommun" };
        (
            (niva.to_string(), r.to_string()),
            Contribution {
                households,
                largest,
                second,
                total,
            },
        )
    })
    .collect();
    // Three-set method: no rule for amounts – all published, the two households' 180 000 kr
    // among them.
    let old = audit_pattern(&cells, &[], &[]);
    assert!(old.failures.is_empty());
    // Now: 0114 tkr and kr per inhabitant: fewer than 5 households (primary, contributors).
    // Hierarchy belopp, tkr: {01 5 180 000 ⊇ 0114 .., 0115 2 000 000, 0117 3 000 000} →
    // 0115 tkr (2 000 000 < 3 000 000 < 5 180 000); the identity kronor = 1000 × tkr then hides
    // 0115's kronor per inhabitant. Audit: 0114 + 0115 = 2 180 000 kr → 0114 ∈ [0, 2 180 000],
    // far beyond ±10 % of 180 000; but 0115 (2 000 000) ∈ [0, 2 180 000] falls short of its
    // +10 % (2 200 000): a repair round hides the cheapest published term of its relation with
    // the fewest unknowns (the län hierarchy): 0117, and with it 0117's kronor per inhabitant.
    // Then 0114 + 0115 + 0117 = 5 180 000: every amount ∈ [0, 5 180 000].
    let (suppressed, out) = suppressed_by_stage(&cells, contributions, vec![])
        .await
        .unwrap();
    assert_eq!(
        suppressed,
        vec![
            "reg_belopp_per_invanare kommun 0114 totalt",
            "reg_belopp_per_invanare kommun 0115 totalt",
            "reg_belopp_per_invanare kommun 0117 totalt",
            "reg_belopp_tkr kommun 0114 totalt",
            "reg_belopp_tkr kommun 0115 totalt",
            "reg_belopp_tkr kommun 0117 totalt",
        ]
    );
    // 0114's two cells are primary; the others secondary; one repair round.
    assert_eq!(out.report.totals.primary, 2);
    assert_eq!(out.report.totals.secondary, 4);
    assert_eq!(out.report.audit.repair_rounds, 1);
}

#[tokio::test]
async fn one_dominant_household_suppresses_the_amount() {
    // 0180: 6 households, one paid 1 000 000 kr, one 50 000, four 2 000 each: total 1 058 000;
    // 1 058 000 − 1 000 000 − 50 000 = 8 000 < 10 % of 1 000 000 → primary (dominance), and its
    // kronor per inhabitant with it (same amount). No other cell: nothing more to hide.
    let cells = amounts("0180", 1_058_000.0, 8_000.0);
    let contributions: Contributions = [(
        ("kommun".to_string(), "0180".to_string()),
        Contribution {
            households: 6,
            largest: 1_000_000.0,
            second: 50_000.0,
            total: 1_058_000.0,
        },
    )]
    .into();
    let (suppressed, _) = suppressed_by_stage(&cells, contributions, vec![])
        .await
        .unwrap();
    assert_eq!(
        suppressed,
        vec![
            "reg_belopp_per_invanare kommun 0180 totalt",
            "reg_belopp_tkr kommun 0180 totalt",
        ]
    );
}

// ------------------------------------------------------------------ re-releases

/// A release table holding `published` cells (status '') as an earlier release of 2017.
fn earlier_release(published: &[(&str, &str, f64)]) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("indikator", DataType::Utf8, false),
        Field::new("niva", DataType::Utf8, false),
        Field::new("region", DataType::Utf8, false),
        Field::new("grupp", DataType::Utf8, false),
        Field::new("varde", DataType::Float64, true),
        Field::new("taljare", DataType::Float64, true),
        Field::new("namnare", DataType::Float64, true),
        Field::new("status", DataType::Utf8, false),
    ]));
    let n = published.len();
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(vec!["reg_mottagare_antal"; n])),
            Arc::new(StringArray::from_iter_values(published.iter().map(|p| p.0))),
            Arc::new(StringArray::from_iter_values(published.iter().map(|p| p.1))),
            Arc::new(StringArray::from(vec!["totalt"; n])),
            Arc::new(Float64Array::from_iter_values(
                published.iter().map(|p| p.2),
            )),
            Arc::new(Float64Array::from_iter_values(
                published.iter().map(|p| p.2),
            )),
            Arc::new(Float64Array::from(vec![None; n])),
            Arc::new(StringArray::from(vec![""; n])),
        ],
    )
    .unwrap()
}

#[tokio::test]
async fn a_corrected_release_does_not_give_away_what_the_first_one_published() {
    // v001: län 01 = 158; 0114: 3 (primary), 0115: 50, 0116: 45, 0117: 60. Its secondary pick
    // was the smallest published, 0116 (45); v001 published 01 158, 0115 50, 0117 60.
    let a = "reg_mottagare_antal";
    let v001 = earlier_release(&[
        ("lan", "01", 158.0),
        ("kommun", "0115", 50.0),
        ("kommun", "0117", 60.0),
    ]);
    // A corrected drop changes 0116 to 55: län 168.
    let cells = vec![
        cell(a, "lan", "01", "totalt", 168.0, None),
        cell(a, "kommun", "0114", "totalt", 3.0, None),
        cell(a, "kommun", "0115", "totalt", 50.0, None),
        cell(a, "kommun", "0116", "totalt", 55.0, None),
        cell(a, "kommun", "0117", "totalt", 60.0, None),
    ];
    // Without the earlier release, the smallest published cell 0115 (50) would be hidden; but
    // v001 published 0115 = 50 and 0117 = 60 unchanged, so 0114 = 168 − 50 − 55 − 60 = 3.
    let old = audit_pattern(
        &cells,
        &[
            "reg_mottagare_antal kommun 0114 totalt",
            "reg_mottagare_antal kommun 0115 totalt",
        ],
        &[
            "reg_mottagare_antal kommun 0115 totalt",
            "reg_mottagare_antal kommun 0117 totalt",
        ],
    );
    assert!(failing(&old, &cells).contains(&"reg_mottagare_antal kommun 0114 totalt".to_string()));
    // Now: 0115 and 0117 are known from v001 (same numbers), so they are no candidates; the
    // cheapest unknown-to-the-intruder term is 0116 (55 < län 168). Audit: 0114 + 0116 = 58.
    let (suppressed, _) = suppressed_by_stage(&cells, Contributions::new(), vec![v001])
        .await
        .unwrap();
    assert_eq!(
        suppressed,
        vec![
            "reg_mottagare_antal kommun 0114 totalt",
            "reg_mottagare_antal kommun 0116 totalt"
        ]
    );
}

#[tokio::test]
async fn a_cell_published_before_with_the_same_number_cannot_be_suppressed_now() {
    // An earlier release published 0114 = 3 (e.g. under a lower threshold). Suppressing it now
    // protects nothing: the stage fails and names the cell.
    let a = "reg_mottagare_antal";
    let cells = vec![
        cell(a, "lan", "01", "totalt", 113.0, None),
        cell(a, "kommun", "0114", "totalt", 3.0, None),
        cell(a, "kommun", "0115", "totalt", 50.0, None),
        cell(a, "kommun", "0117", "totalt", 60.0, None),
    ];
    let v001 = earlier_release(&[("kommun", "0114", 3.0)]);
    let Err(e) = suppressed_by_stage(&cells, Contributions::new(), vec![v001]).await else {
        panic!("the audit must fail");
    };
    let text = e.to_string();
    assert!(matches!(e, DiscloseError::Audit { .. }), "{text}");
    assert!(
        text.contains("2017 reg_mottagare_antal kommun 0114 totalt"),
        "{text}"
    );
    assert!(text.contains("earlier release"), "{text}");
}

// ------------------------------------------------------------------ the audit itself

#[test]
fn the_audit_names_a_cell_left_recoverable() {
    // Sex split of 0180: totalt 30 = kvinnor 3 + man 27, only kvinnor suppressed: its
    // interval is [3, 3].
    let i = "reg_vuxna_mottagare_andel";
    let cells = vec![
        cell(i, "kommun", "0180", "totalt", 30.0, Some(1000.0)),
        cell(i, "kommun", "0180", "kvinnor", 3.0, Some(500.0)),
        cell(i, "kommun", "0180", "man", 27.0, Some(500.0)),
    ];
    let report = audit_pattern(
        &cells,
        &["reg_vuxna_mottagare_andel kommun 0180 kvinnor"],
        &[],
    );
    assert_eq!(report.audited, 1);
    assert_eq!(
        failing(&report, &cells),
        vec!["reg_vuxna_mottagare_andel kommun 0180 kvinnor"]
    );
    let f = &report.failures[0];
    assert_eq!((f.lo, f.hi, f.exact), (3.0, 3.0, true));
    // Hiding man too: kvinnor ∈ [0, 30], man ∈ [0, 30] – passes.
    let report = audit_pattern(
        &cells,
        &[
            "reg_vuxna_mottagare_andel kommun 0180 kvinnor",
            "reg_vuxna_mottagare_andel kommun 0180 man",
        ],
        &[],
    );
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.audited, 2);
}

#[test]
fn primary_cells_must_reach_zero() {
    // totalt 12 = kvinnor 3 + man 9, both parts suppressed as primary.
    let cells = vec![
        cell(
            "reg_vuxna_mottagare_andel",
            "kommun",
            "0180",
            "totalt",
            12.0,
            Some(1000.0),
        ),
        cell(
            "reg_vuxna_mottagare_andel",
            "kommun",
            "0180",
            "kvinnor",
            3.0,
            Some(500.0),
        ),
        cell(
            "reg_vuxna_mottagare_andel",
            "kommun",
            "0180",
            "man",
            9.0,
            Some(500.0),
        ),
    ];
    let cells_sorted = Cells::new(cells.clone());
    let config = config();
    let relations = relations::instantiate(&cells_sorted, &config.linked, &membership());
    let mut table = Table::new(cells_sorted, relations);
    for i in 0..table.cells.len() {
        if table.cells[i].grupp != "totalt" {
            table.marks[i] = Mark::Primary(PrimaryReason::Numerator);
        }
    }
    // kvinnor + man = 12: kvinnor ∈ [0, 12] reaches 0 and 5; a ReachesZero need of 13 fails.
    let pass = audit::audit(&table, &|_| Need::ReachesZero { upper: 5.0 }).unwrap();
    assert!(pass.failures.is_empty());
    let fail = audit::audit(&table, &|_| Need::ReachesZero { upper: 13.0 }).unwrap();
    assert_eq!(fail.failures.len(), 2);
    assert_eq!((fail.failures[0].lo, fail.failures[0].hi), (0.0, 12.0));
}

// ------------------------------------------------------------------ survey

#[tokio::test]
async fn households_per_case_worker_extremes_never_reveal_a_suppressed_respondent() {
    // Län 01: respondents 0114 (4 households, 2 FTE → 2.0, suppressed: 0 < 4 < 5) and 0115
    // (60 households, 3 FTE → 20.0); the län's lowest kvot 2.0 is 0114's: suppressed too. The
    // län's ratio (64 / 5) is a sum over both, so 0115 is hidden to protect 0114.
    let h = "enk_hushall_per_handlaggare";
    let cells = vec![
        cell(h, "kommun", "0114", "totalt", 4.0, Some(2.0)),
        cell(h, "kommun", "0115", "totalt", 60.0, Some(3.0)),
        cell(h, "lan", "01", "totalt", 64.0, Some(5.0)),
        Cell {
            varde: Some(2.0),
            taljare: None,
            namnare: None,
            ..cell(
                "enk_hushall_per_handlaggare_min",
                "lan",
                "01",
                "totalt",
                0.0,
                None,
            )
        },
    ];
    let (suppressed, _) = suppressed_by_stage(&cells, Contributions::new(), vec![])
        .await
        .unwrap();
    assert_eq!(
        suppressed,
        vec![
            "enk_hushall_per_handlaggare kommun 0114 totalt",
            "enk_hushall_per_handlaggare kommun 0115 totalt",
            "enk_hushall_per_handlaggare_min lan 01 totalt",
        ]
    );
}

// ------------------------------------------------------------------ property

mod property {
    use super::*;
    use proptest::prelude::*;

    /// A län with `n` kommuner, each with kvinnor/man counts; län totals as sums (no movers).
    fn lan_cells(parts: &[(u8, u8)]) -> Vec<Cell> {
        let i = "reg_vuxna_mottagare_andel";
        let mut cells = Vec::new();
        let (mut lk, mut lm) = (0.0, 0.0);
        for (n, (k, m)) in parts.iter().enumerate() {
            let region = format!("01{:02}", 14 + n);
            let (k, m) = (f64::from(*k), f64::from(*m));
            lk += k;
            lm += m;
            cells.push(cell(i, "kommun", &region, "kvinnor", k, Some(900.0)));
            cells.push(cell(i, "kommun", &region, "man", m, Some(900.0)));
            cells.push(cell(i, "kommun", &region, "totalt", k + m, Some(1800.0)));
        }
        cells.push(cell(i, "lan", "01", "kvinnor", lk, Some(9000.0)));
        cells.push(cell(i, "lan", "01", "man", lm, Some(9000.0)));
        cells.push(cell(i, "lan", "01", "totalt", lk + lm, Some(18000.0)));
        cells
    }

    /// The table of [`lan_cells`] with `movers` persons of each sex counted in two kommuner
    /// (the län counts them once), suppressed where `hide` says, every count needing width 5.
    fn audited_table(parts: &[(u8, u8)], movers: u8, hide: &[bool]) -> Table {
        let mut cells = lan_cells(parts);
        // A mover is counted in two kommuner, so the län is at least its largest kommun:
        // movers of a sex ≤ (sum − largest part).
        let fewer = |pick: fn(&(u8, u8)) -> u8| {
            let sum: u32 = parts.iter().map(|p| u32::from(pick(p))).sum();
            let max = parts.iter().map(|p| u32::from(pick(p))).max().unwrap_or(0);
            f64::from(u32::from(movers).min(sum - max))
        };
        let (k, m) = (fewer(|p| p.0), fewer(|p| p.1));
        for c in cells.iter_mut().filter(|c| c.niva == "lan") {
            let less = match c.grupp.as_str() {
                "kvinnor" => k,
                "man" => m,
                _ => k + m,
            };
            c.taljare = c.taljare.map(|t| t - less);
        }
        let config = config();
        let cells = Cells::new(cells);
        let relations = relations::instantiate(&cells, &config.linked, &membership());
        let mut table = Table::new(cells, relations);
        for (i, &h) in hide.iter().enumerate().take(table.cells.len()) {
            if h {
                table.marks[i] = Mark::Secondary;
            }
        }
        table
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        /// Points kept from an earlier audit (a smaller pattern) never change the verdict: each
        /// is used only where it satisfies the new program, so the audit of the larger pattern
        /// with the kept points fails exactly the cells a fresh audit fails. Movers make the
        /// earlier points violate the no-movers equalities of newly hidden cells.
        #[test]
        fn kept_points_never_change_the_audit(
            parts in proptest::collection::vec((0u8..12, 0u8..40), 2..6),
            movers in 0u8..5,
            first in proptest::collection::vec(proptest::bool::weighted(0.3), 21),
            more in proptest::collection::vec(proptest::bool::weighted(0.3), 21),
        ) {
            let need = |_: usize| Need::Width { width: 5.0 };
            let before = audited_table(&parts, movers, &first);
            let both: Vec<bool> = first.iter().zip(&more).map(|(a, b)| *a || *b).collect();
            let after = audited_table(&parts, movers, &both);
            let mut cache = audit::AuditCache::default();
            audit::audit_cached(&before, &need, &mut cache, None).unwrap();
            let warm = audit::audit_cached(&after, &need, &mut cache, None).unwrap();
            let fresh = audit::audit(&after, &need).unwrap();
            let cells = |r: &AuditReport| r.failures.iter().map(|f| f.cell).collect::<Vec<_>>();
            prop_assert_eq!(cells(&warm), cells(&fresh));
            prop_assert_eq!(warm.audited, fresh.audited);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]
        #[test]
        fn every_pattern_passes_its_audit_and_is_deterministic(
            parts in proptest::collection::vec((0u8..12, 0u8..40), 2..6)
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            runtime.block_on(async {
                let cells = lan_cells(&parts);
                let (first, out) = suppressed_by_stage(&cells, Contributions::new(), vec![])
                    .await
                    .unwrap();
                assert_eq!(out.report.audit.result, "PASS");
                // Independently of the stage: audit its pattern again, every cell needing a
                // width of 5 (at least as strict as the stage's needs for these counts).
                let keys: Vec<&str> = first.iter().map(String::as_str).collect();
                let again = audit_pattern(&cells, &keys, &[]);
                assert!(again.failures.is_empty(), "{:?}", failing(&again, &cells));
                // Every numerator of 1–4 is suppressed.
                for c in &cells {
                    if let Some(t) = c.taljare && t > 0.0 && t < 5.0 {
                        assert!(first.contains(&key(c)), "{} not suppressed", key(c));
                    }
                }
                // Same input in another order: the same pattern.
                let mut reversed = cells.clone();
                reversed.reverse();
                let (second, _) = suppressed_by_stage(&reversed, Contributions::new(), vec![])
                    .await
                    .unwrap();
                assert_eq!(first, second);
            });
        }
    }
}
