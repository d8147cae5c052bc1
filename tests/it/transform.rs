//! The transform stage on small hand-made tables: model loading and ordering, parameters, the
//! register indicators and background measures of sql/, computed by hand from domain.md.
//!
//! The fixture (year Y = 2017, history 2015–2016) – every expected number below is worked out
//! from it in the comments beside the assertions:
//!
//! Regions 2017: riket 00; län 01 (kommuner 0180 Stockholm, A1, with stadsdelar 018001 and
//! 018002; 0114 Upplands Väsby, A2) and län 03 (0305 Håbo, A2; 0380 Uppsala, B3).
//! Population 31 Dec 2017 per kommun = a template times a factor k (0180 k=250, 0114 k=45,
//! 0305 k=10, 0380 k=60; stadsdelar 018001 k=100, 018002 k=150). Template cells (kon, ålder,
//! utrikes, antal): (1,10,0,100) (2,17,0,100) (1,20,1,100) (2,24,0,100) (2,40,0,500) (1,70,1,100)
//! → per unit k: all 1000, 18+ 800, 18–24 200, 0–17 200, 18–64 700, inrikes 25–64 500;
//!   kvinnor: 18+ 600, 18–24 100; man: 18+ 200, 18–24 100; inrikes: 18+ 600, 18–24 100;
//!   utrikes: 18+ 200, 18–24 100.
//! Storleksklass: 0180 250 000 → '>=200000'; 0114 45 000 → '15000-49999'; 0305 10 000 →
//! '<15000'; 0380 60 000 → '50000-199999'.
//! Population 31 Dec 2016 (one row each): 0180 240 000, 0114 45 000, 0305 9 000, 0380 60 000,
//! 018001 96 000, 018002 144 000.
//!
//! Register 2017 (paid rows; every kommun also sends a nil row, belopp 0, each month it reports;
//! 0380 reports months 1–11 only → bortfall):
//!   h1   0180/01 m1–6 1000 kr barn 1, then 0114 m7–11 1000 kr barn 2; a (kvinna, 30, inrikes)
//!   h9   0114 m1–9 500 kr; b9 (man, 40, utrikes)
//!   h10  0114 m1–10 500 kr; b10 (kvinna, 50, inrikes)
//!   h12  0114 m1–12 500 kr; b12 (man, 64, inrikes)
//!   hc26 0114 m1–12 800 kr; c26 (man, 35, inrikes); history 0180/01: 2016 m1–12, 2015 m11–12
//!   hc27 0114 m1–12 800 kr; c27 (kvinna, 45, utrikes); history 0180/01: 2016 m1–12, 2015 m10–12
//!   h0   0305 m1–12, 700 kr in m1–4 and 0 kr in m5–12; barn 0 in m1–4, 3 in m5–12; d (kvinna, 33)
//!   h17  0305 m1–12 900 kr; barn 1 in m1–6, 3 in m7–12; e17 (kvinna, 17, inrikes),
//!        e18 (man, 18, utrikes)
//!   h24  0305 m3–4 400 kr; e24 (kvinna, 24, utrikes), e25 (man, 25, inrikes)
//!   hf   0180/02 m1–8 600 kr; f: m1–5 (man, 17, inrikes), m6–8 (kvinna, 18, utrikes)
//!   hg   0180 (no district) m10–12 300 kr barn 2, and 0114 m12 300 kr barn 1 (same household in
//!        two kommuner in month 12); g: in 0180 (man, 30, inrikes), in 0114 (kvinna, 31, utrikes)
//!   hk1, hk2  0305 m6 200 kr each; k on both: hk1 (kvinna, 45, inrikes), hk2 (man, 40, utrikes)
//!   hu   0380 m1–11 1000 kr barn 1; u (man, 50, inrikes)
//!
//! Person attributes (latest paid month in 2017; ties: lowest kommun, then lowest household):
//! f → kvinna, 18, utrikes (month 8); g → month 12 in 0114 and 0180 → 0114 wins: kvinna, 31,
//! utrikes; k → month 6 in hk1 and hk2 of 0305 → hk1 wins: kvinna, 45, inrikes.

use datafusion::arrow::array::{Array, ArrayRef, Float64Array, Int64Array, StringArray};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use oj::config::models::ModelSet;
use oj::config::params::{ModelParams, RegisterParameters};
use oj::transform::{LakeSink, MemorySink, ModelSink, TransformError, history_status, run_models};
use oj::vocab::MissingHistory;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The staged datasets plus the survey's configuration tables (the sql/ folder holds the survey
/// models too).
const SOURCES: &[&str] = &[
    "regioner",
    "befolkning",
    "register",
    "bakgrund",
    "enkat",
    "enkat_fragor",
    "enkat_svarsalternativ",
    "enkat_indikatorer",
    "enkat_poang",
];
const Y: i64 = 2017;

// ---------------------------------------------------------------- table builders

fn register_table(ctx: &SessionContext, name: &str, columns: Vec<(&str, ArrayRef)>) {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    let batch = RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap();
    let table = MemTable::try_new(batch.schema(), vec![vec![batch]]).unwrap();
    ctx.register_table(name, Arc::new(table)).unwrap();
}

fn ints(v: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(Int64Array::from_iter(v))
}

fn texts<'a>(v: impl IntoIterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(StringArray::from_iter(v))
}

/// (ar, niva, kod, namn, overordnad, kommungrupp)
type Region = (
    i64,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

fn regioner(ctx: &SessionContext, rows: &[Region]) {
    register_table(
        ctx,
        "regioner",
        vec![
            ("ar", ints(rows.iter().map(|r| Some(r.0)))),
            ("niva", texts(rows.iter().map(|r| Some(r.1)))),
            ("kod", texts(rows.iter().map(|r| Some(r.2)))),
            ("namn", texts(rows.iter().map(|r| Some(r.3)))),
            ("overordnad", texts(rows.iter().map(|r| r.4))),
            ("kommungrupp", texts(rows.iter().map(|r| r.5))),
            ("enkat_respondent", ints(rows.iter().map(|_| Some(0)))),
        ],
    );
}

/// (ar, region, kon, alder, utrikes_fodd, antal)
type Folk = (i64, String, i64, i64, i64, i64);

fn befolkning(ctx: &SessionContext, rows: &[Folk]) {
    register_table(
        ctx,
        "befolkning",
        vec![
            ("ar", ints(rows.iter().map(|r| Some(r.0)))),
            ("region", texts(rows.iter().map(|r| Some(r.1.as_str())))),
            ("kon", ints(rows.iter().map(|r| Some(r.2)))),
            ("alder", ints(rows.iter().map(|r| Some(r.3)))),
            ("utrikes_fodd", ints(rows.iter().map(|r| Some(r.4)))),
            ("antal", ints(rows.iter().map(|r| Some(r.5)))),
        ],
    );
}

/// The population template times `k` for `region` in year `ar` (see the module comment).
fn template(ar: i64, region: &str, k: i64) -> Vec<Folk> {
    [
        (1, 10, 0, 100),
        (2, 17, 0, 100),
        (1, 20, 1, 100),
        (2, 24, 0, 100),
        (2, 40, 0, 500),
        (1, 70, 1, 100),
    ]
    .into_iter()
    .map(|(kon, alder, utr, n)| (ar, region.to_string(), kon, alder, utr, n * k))
    .collect()
}

/// A person on a household-month: (pnr, kon, alder, utrikes).
type Person = (&'static str, i64, i64, i64);

/// A fixture's short person id (at most 8 ASCII characters, e.g. `pa`) written as the register
/// contract writes ids, 16 lowercase hex digits: its bytes in hex, padded with zeros (`pa` →
/// `7061000000000000`). The ids keep their order as text.
fn contract_id(short: &str) -> String {
    assert!(
        short.len() <= 8 && short.is_ascii() && !short.contains('\0'),
        "{short}"
    );
    format!(
        "{:0<16}",
        short
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

/// The number `int_person_plats` gives the person `short` (its contract id's 64 bits with the top
/// bit flipped, read as a signed number; worked out here apart from the model's function).
fn person_number(short: &str) -> i64 {
    (u64::from_str_radix(&contract_id(short), 16).unwrap() ^ (1 << 63)) as i64
}

#[derive(Clone)]
struct Hm {
    ar: i64,
    manad: i64,
    kommun: String,
    distrikt: Option<String>,
    hushall: String,
    barn: i64,
    belopp: i64,
    personer: Vec<Person>,
}

#[allow(clippy::too_many_arguments)]
fn months(
    ar: i64,
    manader: std::ops::RangeInclusive<i64>,
    kommun: &str,
    distrikt: Option<&str>,
    hushall: &str,
    barn: i64,
    belopp: i64,
    personer: &[Person],
) -> Vec<Hm> {
    manader
        .map(|manad| Hm {
            ar,
            manad,
            kommun: kommun.to_string(),
            distrikt: distrikt.map(str::to_string),
            hushall: hushall.to_string(),
            barn,
            belopp,
            personer: personer.to_vec(),
        })
        .collect()
}

fn register(ctx: &SessionContext, rows: &[Hm]) {
    let mut cols: Vec<(&str, ArrayRef)> = vec![
        ("ar", ints(rows.iter().map(|r| Some(r.ar)))),
        ("manad", ints(rows.iter().map(|r| Some(r.manad)))),
        (
            "kommun",
            texts(rows.iter().map(|r| Some(r.kommun.as_str()))),
        ),
        (
            "distrikt",
            texts(rows.iter().map(|r| r.distrikt.as_deref())),
        ),
        (
            "hushall_id",
            texts(rows.iter().map(|r| Some(r.hushall.as_str()))),
        ),
        ("barn_under_16", ints(rows.iter().map(|r| Some(r.barn)))),
        ("belopp_kr", ints(rows.iter().map(|r| Some(r.belopp)))),
    ];
    const NAMES: [[&str; 4]; 5] = [
        ["pnr1", "kon1", "alder1", "utrikes1"],
        ["pnr2", "kon2", "alder2", "utrikes2"],
        ["pnr3", "kon3", "alder3", "utrikes3"],
        ["pnr4", "kon4", "alder4", "utrikes4"],
        ["pnr5", "kon5", "alder5", "utrikes5"],
    ];
    for (i, n) in NAMES.iter().enumerate() {
        let p = |r: &Hm| r.personer.get(i).copied();
        let ids: Vec<Option<String>> = rows
            .iter()
            .map(|r| p(r).map(|x| contract_id(x.0)))
            .collect();
        cols.push((n[0], texts(ids.iter().map(Option::as_deref))));
        cols.push((n[1], ints(rows.iter().map(|r| p(r).map(|x| x.1)))));
        cols.push((n[2], ints(rows.iter().map(|r| p(r).map(|x| x.2)))));
        cols.push((n[3], ints(rows.iter().map(|r| p(r).map(|x| x.3)))));
    }
    register_table(ctx, "register", cols);
}

/// (ar, kommun, lag_inkomst, arbetslosa, utan_ers, forgymn, vist_0_5, vist_6_10)
type Bak = (i64, &'static str, i64, i64, i64, i64, i64, i64);

fn bakgrund(ctx: &SessionContext, rows: &[Bak]) {
    register_table(
        ctx,
        "bakgrund",
        vec![
            ("ar", ints(rows.iter().map(|r| Some(r.0)))),
            ("kommun", texts(rows.iter().map(|r| Some(r.1)))),
            ("lag_inkomst_18_64", ints(rows.iter().map(|r| Some(r.2)))),
            ("arbetslosa_18_64", ints(rows.iter().map(|r| Some(r.3)))),
            (
                "arbetslosa_utan_ers_18_64",
                ints(rows.iter().map(|r| Some(r.4))),
            ),
            (
                "forgymn_inrikes_25_64",
                ints(rows.iter().map(|r| Some(r.5))),
            ),
            (
                "utrikes_vist_0_5_18_64",
                ints(rows.iter().map(|r| Some(r.6))),
            ),
            (
                "utrikes_vist_6_10_18_64",
                ints(rows.iter().map(|r| Some(r.7))),
            ),
        ],
    );
}

// ---------------------------------------------------------------- the fixture

fn fixture_regions() -> Vec<Region> {
    vec![
        (Y, "riket", "00", "Riket", None, None),
        (Y, "lan", "01", "Stockholms län", Some("00"), None),
        (Y, "lan", "03", "Uppsala län", Some("00"), None),
        (Y, "kommun", "0180", "Stockholm", Some("01"), Some("A1")),
        (
            Y,
            "kommun",
            "0114",
            "Upplands Väsby",
            Some("01"),
            Some("A2"),
        ),
        (Y, "kommun", "0305", "Håbo", Some("03"), Some("A2")),
        (Y, "kommun", "0380", "Uppsala", Some("03"), Some("B3")),
        (Y, "stadsdel", "018001", "Norrmalm", Some("0180"), None),
        (Y, "stadsdel", "018002", "Södermalm", Some("0180"), None),
    ]
}

fn fixture_population() -> Vec<Folk> {
    let mut rows = Vec::new();
    for (region, k) in [
        ("0180", 250),
        ("0114", 45),
        ("0305", 10),
        ("0380", 60),
        ("018001", 100),
        ("018002", 150),
    ] {
        rows.extend(template(Y, region, k));
    }
    for (region, n) in [
        ("0180", 240_000),
        ("0114", 45_000),
        ("0305", 9_000),
        ("0380", 60_000),
        ("018001", 96_000),
        ("018002", 144_000),
    ] {
        rows.push((Y - 1, region.to_string(), 1, 40, 0, n));
    }
    rows
}

fn nil_reports(ar: i64, kommun: &str, manader: std::ops::RangeInclusive<i64>) -> Vec<Hm> {
    let id: &'static str = Box::leak(format!("nil{kommun}").into_boxed_str());
    months(ar, manader, kommun, None, id, 0, 0, &[(id, 1, 50, 0)])
}

fn fixture_register(with_2015: bool) -> Vec<Hm> {
    let a = ("a", 2, 30, 0);
    let mut r = Vec::new();
    for k in ["0180", "0114", "0305"] {
        r.extend(nil_reports(Y, k, 1..=12));
    }
    r.extend(nil_reports(Y, "0380", 1..=11));
    r.extend(months(Y, 1..=6, "0180", Some("01"), "h1", 1, 1000, &[a]));
    r.extend(months(Y, 7..=11, "0114", None, "h1", 2, 1000, &[a]));
    r.extend(months(
        Y,
        1..=9,
        "0114",
        None,
        "h9",
        0,
        500,
        &[("b9", 1, 40, 1)],
    ));
    r.extend(months(
        Y,
        1..=10,
        "0114",
        None,
        "h10",
        0,
        500,
        &[("b10", 2, 50, 0)],
    ));
    r.extend(months(
        Y,
        1..=12,
        "0114",
        None,
        "h12",
        0,
        500,
        &[("b12", 1, 64, 0)],
    ));
    let c26 = ("c26", 1, 35, 0);
    let c27 = ("c27", 2, 45, 1);
    r.extend(months(Y, 1..=12, "0114", None, "hc26", 0, 800, &[c26]));
    r.extend(months(Y, 1..=12, "0114", None, "hc27", 0, 800, &[c27]));
    r.extend(months(
        Y - 1,
        1..=12,
        "0180",
        Some("01"),
        "hc26",
        0,
        800,
        &[c26],
    ));
    r.extend(months(
        Y - 1,
        1..=12,
        "0180",
        Some("01"),
        "hc27",
        0,
        800,
        &[c27],
    ));
    if with_2015 {
        r.extend(months(
            Y - 2,
            11..=12,
            "0180",
            Some("01"),
            "hc26",
            0,
            800,
            &[c26],
        ));
        r.extend(months(
            Y - 2,
            10..=12,
            "0180",
            Some("01"),
            "hc27",
            0,
            800,
            &[c27],
        ));
    }
    let d = ("d", 2, 33, 0);
    r.extend(months(Y, 1..=4, "0305", None, "h0", 0, 700, &[d]));
    r.extend(months(Y, 5..=12, "0305", None, "h0", 3, 0, &[d]));
    let h17 = [("e17", 2, 17, 0), ("e18", 1, 18, 1)];
    r.extend(months(Y, 1..=6, "0305", None, "h17", 1, 900, &h17));
    r.extend(months(Y, 7..=12, "0305", None, "h17", 3, 900, &h17));
    r.extend(months(
        Y,
        3..=4,
        "0305",
        None,
        "h24",
        0,
        400,
        &[("e24", 2, 24, 1), ("e25", 1, 25, 0)],
    ));
    r.extend(months(
        Y,
        1..=5,
        "0180",
        Some("02"),
        "hf",
        0,
        600,
        &[("f", 1, 17, 0)],
    ));
    r.extend(months(
        Y,
        6..=8,
        "0180",
        Some("02"),
        "hf",
        0,
        600,
        &[("f", 2, 18, 1)],
    ));
    r.extend(months(
        Y,
        10..=12,
        "0180",
        None,
        "hg",
        2,
        300,
        &[("g", 1, 30, 0)],
    ));
    r.extend(months(
        Y,
        12..=12,
        "0114",
        None,
        "hg",
        1,
        300,
        &[("g", 2, 31, 1)],
    ));
    r.extend(months(
        Y,
        6..=6,
        "0305",
        None,
        "hk2",
        0,
        200,
        &[("k", 1, 40, 1)],
    ));
    r.extend(months(
        Y,
        6..=6,
        "0305",
        None,
        "hk1",
        0,
        200,
        &[("k", 2, 45, 0)],
    ));
    r.extend(months(
        Y,
        1..=11,
        "0380",
        None,
        "hu",
        1,
        1000,
        &[("u", 1, 50, 0)],
    ));
    r
}

fn fixture_bakgrund() -> Vec<Bak> {
    // 0114 has no row in the background drop.
    vec![
        (Y, "0180", 17_500, 14_000, 3_500, 12_500, 7_000, 3_500),
        (Y, "0305", 1_400, 560, 140, 500, 280, 140),
        (Y, "0380", 4_200, 3_360, 840, 3_000, 1_680, 840),
    ]
}

fn fixture_ctx(with_2015: bool) -> SessionContext {
    let ctx = SessionContext::new();
    regioner(&ctx, &fixture_regions());
    befolkning(&ctx, &fixture_population());
    register(&ctx, &fixture_register(with_2015));
    bakgrund(&ctx, &fixture_bakgrund());
    ctx
}

fn sql_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sql")
}

fn pipeline_params(policy: MissingHistory) -> RegisterParameters {
    let mut p = super::fixtures::project().pipeline.params.register.clone();
    p.missing_history = policy;
    p
}

fn register_models() -> ModelSet {
    ModelSet::load(&sql_dir(), SOURCES)
        .unwrap_or_else(|d| {
            panic!(
                "{}",
                d.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })
        .upstream_of(&["ind_register", "ind_bakgrund", "int_belopp_bidrag"])
        .unwrap()
}

/// The warehouse a run of the register models leaves: a memory:// lake to read each model's
/// committed table from.
struct Warehouse {
    lake: oj::store::Store,
    ctx: SessionContext,
}

impl Warehouse {
    /// The committed table of `model` for the year, as a later stage reads it.
    async fn batches(&self, model: &str) -> Vec<RecordBatch> {
        let file = oj::layout::warehouse_file(model, Y);
        oj::lake::read_files(&self.ctx, &self.lake, &[file])
            .await
            .unwrap()
            .collect()
            .await
            .unwrap()
    }
}

/// Runs the register models the way the transform stage does (the production path): into a
/// `LakeSink` on a fresh memory:// lake – each model kept in memory for its readers and written
/// run-scoped – then committed to the warehouse. The models run three times: kept in memory; with
/// no model-table budget (every reader reads the file just written); and with a budget of a few
/// kilobytes, so that models stop being kept halfway through their batches. Every model's
/// warehouse table must hold the same rows each time, and no memory may stay reserved after a run.
async fn run(ctx: &SessionContext, policy: MissingHistory) -> Result<Warehouse, TransformError> {
    let kept = run_with(ctx, policy, None).await?;
    let from_files = run_with(ctx, policy, Some(0)).await?;
    // Batches of two rows, so that models have several batches to keep, then stop keeping.
    let batch_size = |rows: &str| {
        let state = ctx.state_ref();
        let mut state = state.write();
        let options = state.config_mut().options_mut();
        let before = options.execution.batch_size.to_string();
        options
            .set("datafusion.execution.batch_size", rows)
            .unwrap();
        before
    };
    let usual = batch_size("2");
    let in_part = run_with(ctx, policy, Some(IN_PART_BUDGET)).await;
    batch_size(&usual);
    let in_part = in_part?;
    for model in register_models().names_in_order() {
        let file = oj::layout::warehouse_file(model, Y);
        let a = oj::lake::read_files(ctx, &kept.lake, std::slice::from_ref(&file))
            .await
            .unwrap();
        let rows = a.clone().count().await.unwrap();
        for (other, how) in [
            (&from_files, "read back from files"),
            (&in_part, "kept in part"),
        ] {
            let b = oj::lake::read_files(ctx, &other.lake, std::slice::from_ref(&file))
                .await
                .unwrap();
            assert_eq!(
                b.clone().count().await.unwrap(),
                rows,
                "{model}: row counts differ ({how})"
            );
            let only_a = a.clone().except(b.clone()).unwrap().count().await.unwrap();
            let only_b = b.except(a.clone()).unwrap().count().await.unwrap();
            assert_eq!(
                (only_a, only_b),
                (0, 0),
                "{model}: {rows} rows kept in memory, {how} differ"
            );
        }
    }
    Ok(kept)
}

/// A model-table budget (bytes) that some models outgrow after their first batches.
const IN_PART_BUDGET: usize = 3000;

async fn run_with(
    ctx: &SessionContext,
    policy: MissingHistory,
    budget: Option<usize>,
) -> Result<Warehouse, TransformError> {
    static LAKES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = LAKES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let lake = oj::store::Store::open(&format!("memory://transform-models-{n}/lake")).unwrap();
    lake.register(ctx);
    let params = ModelParams::new(Y, &pipeline_params(policy));
    let models = register_models();
    let txn = oj::commit::Txn::new(&lake, Y, "model-test", "transform");
    let mut sink = LakeSink::new(&txn, Y, &models);
    if let Some(bytes) = budget {
        sink = sink.with_budget(bytes);
    }
    run_models(ctx, &models, &params, &Default::default(), &mut sink).await?;
    if budget == Some(IN_PART_BUDGET) {
        assert!(sink.kept_in_part() > 0, "no model was kept in part");
    }
    sink.finish().await?;
    assert_eq!(
        ctx.runtime_env().memory_pool.reserved(),
        0,
        "model tables (budget {budget:?}) still hold memory after the run"
    );
    txn.commit().await.unwrap();
    Ok(Warehouse {
        lake,
        ctx: ctx.clone(),
    })
}

// ---------------------------------------------------------------- reading indicator rows

#[derive(Debug, Clone, PartialEq)]
struct Cell {
    varde: Option<f64>,
    taljare: Option<f64>,
    namnare: Option<f64>,
    status: String,
    regionnamn: String,
}

type Key = (String, String, String, String);

/// Column `name` of `b` cast to `to`, as the array type `A` of that type.
fn column_as<A: Array + Clone + 'static>(
    b: &RecordBatch,
    name: &str,
    to: datafusion::arrow::datatypes::DataType,
) -> A {
    let column = b.column_by_name(name).unwrap();
    datafusion::arrow::compute::cast(column, &to)
        .unwrap()
        .as_any()
        .downcast_ref::<A>()
        .unwrap()
        .clone()
}

/// Column `name` of `b` as text, whichever string type it carries (Parquet read back gives
/// Utf8View).
fn text_column(b: &RecordBatch, name: &str) -> StringArray {
    column_as(b, name, datafusion::arrow::datatypes::DataType::Utf8)
}

/// Column `name` of `b` as 64-bit floats (counts and amounts alike).
fn number_column(b: &RecordBatch, name: &str) -> Float64Array {
    column_as(b, name, datafusion::arrow::datatypes::DataType::Float64)
}

/// The indicator rows of a model's table by key; text columns read as Utf8 whichever string type
/// the table carries (Parquet read back gives Utf8View).
fn indicator_rows(batches: &[RecordBatch]) -> BTreeMap<Key, Cell> {
    let mut out = BTreeMap::new();
    for b in batches {
        let s = |n: &str| text_column(b, n);
        let f = |n: &str| number_column(b, n);
        let ar = b
            .column_by_name("ar")
            .unwrap()
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .clone();
        let (ind, niva, region, grupp, namn, status) = (
            s("indikator"),
            s("niva"),
            s("region"),
            s("grupp"),
            s("regionnamn"),
            s("status"),
        );
        let (varde, taljare, namnare) = (f("varde"), f("taljare"), f("namnare"));
        let opt = |a: &Float64Array, i: usize| (!a.is_null(i)).then(|| a.value(i));
        for i in 0..b.num_rows() {
            assert_eq!(ar.value(i), Y);
            let key = (
                ind.value(i).to_string(),
                niva.value(i).to_string(),
                region.value(i).to_string(),
                grupp.value(i).to_string(),
            );
            let cell = Cell {
                varde: opt(&varde, i),
                taljare: opt(&taljare, i),
                namnare: opt(&namnare, i),
                status: status.value(i).to_string(),
                regionnamn: namn.value(i).to_string(),
            };
            assert!(
                out.insert(key.clone(), cell).is_none(),
                "duplicate row {key:?}"
            );
        }
    }
    out
}

fn cell<'a>(
    rows: &'a BTreeMap<Key, Cell>,
    ind: &str,
    niva: &str,
    region: &str,
    grupp: &str,
) -> &'a Cell {
    rows.get(&(
        ind.to_string(),
        niva.to_string(),
        region.to_string(),
        grupp.to_string(),
    ))
    .unwrap_or_else(|| panic!("no row {ind} {niva} {region} {grupp}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

/// A computed share: taljare / namnare, varde = 100 * taljare / namnare.
#[track_caller]
fn andel(
    rows: &BTreeMap<Key, Cell>,
    ind: &str,
    niva: &str,
    region: &str,
    grupp: &str,
    t: f64,
    n: f64,
) {
    let c = cell(rows, ind, niva, region, grupp);
    assert_eq!(c.status, "", "{ind} {region} {grupp}: {c:?}");
    assert_eq!(
        (c.taljare, c.namnare),
        (Some(t), Some(n)),
        "{ind} {region} {grupp}"
    );
    assert!(
        close(c.varde.unwrap(), 100.0 * t / n),
        "{ind} {region} {grupp}: {c:?} want {}",
        100.0 * t / n
    );
}

/// A computed value with its numerator and denominator (denominator None for counts).
#[track_caller]
fn value(
    rows: &BTreeMap<Key, Cell>,
    ind: &str,
    niva: &str,
    region: &str,
    t: f64,
    n: Option<f64>,
    v: f64,
) {
    let c = cell(rows, ind, niva, region, "totalt");
    assert_eq!(c.status, "", "{ind} {region}: {c:?}");
    assert_eq!((c.taljare, c.namnare), (Some(t), n), "{ind} {region}");
    assert!(close(c.varde.unwrap(), v), "{ind} {region}: {c:?} want {v}");
}

#[track_caller]
fn marker(
    rows: &BTreeMap<Key, Cell>,
    ind: &str,
    niva: &str,
    region: &str,
    grupp: &str,
    status: &str,
) {
    let c = cell(rows, ind, niva, region, grupp);
    assert_eq!(c.status, status, "{ind} {region} {grupp}: {c:?}");
    assert_eq!(
        (c.varde, c.taljare, c.namnare),
        (None, None, None),
        "{ind} {region} {grupp}"
    );
}

// ---------------------------------------------------------------- register indicators

// One assertion per line reads as a table of hand-computed values.
#[rustfmt::skip]
#[tokio::test]
async fn register_indicators_shape_and_markers() {
    let ctx = fixture_ctx(true);
    let sink = run(&ctx, MissingHistory::Fail).await.unwrap();
    let rows = indicator_rows(&sink.batches("ind_register").await);
    // Regions: riket 1, län 2, kommuner 4, stadsdelar 2, kommungrupper A1 A2 B3, storleksklasser 4
    // = 16. Per region: 4 indicators × 5 groups + 7 × totalt = 27 rows → 432.
    assert_eq!(rows.len(), 16 * 27);
    // Bortfall: 0380 lacks month 12 → its rows are '-', and so are län 03's.
    for ind in ["reg_mottagare_andel", "reg_mottagare_antal", "reg_belopp_tkr", "reg_barn_andel"] {
        marker(&rows, ind, "kommun", "0380", "totalt", "-");
        marker(&rows, ind, "lan", "03", "totalt", "-");
    }
    marker(&rows, "reg_langvarigt_andel", "lan", "03", "kvinnor", "-");
    // Kommungrupp B3 and storleksklass 50000-199999 hold only 0380 → '-'.
    marker(&rows, "reg_mottagare_antal", "kommungrupp", "B3", "totalt", "-");
    marker(&rows, "reg_hushall_antal", "storleksklass", "50000-199999", "totalt", "-");
    // 0180 has no long-term men: 0 of 0 adult male recipients → '.'.
    marker(&rows, "reg_langvarigt_andel", "kommun", "0180", "man", ".");
    // Names.
    assert_eq!(cell(&rows, "reg_mottagare_antal", "riket", "00", "totalt").regionnamn, "Riket");
    assert_eq!(cell(&rows, "reg_mottagare_antal", "stadsdel", "018002", "totalt").regionnamn, "Södermalm");
    assert_eq!(cell(&rows, "reg_mottagare_antal", "kommungrupp", "A2", "totalt").regionnamn, "Pendlingskommun nära storstad");
    assert_eq!(cell(&rows, "reg_mottagare_antal", "storleksklass", "<15000", "totalt").regionnamn, "Färre än 15 000 invånare");
}

// One assertion per line reads as a table of hand-computed values.
#[rustfmt::skip]
#[tokio::test]
async fn register_indicators_per_kommun_and_stadsdel() {
    let ctx = fixture_ctx(true);
    let sink = run(&ctx, MissingHistory::Fail).await.unwrap();
    let r = indicator_rows(&sink.batches("ind_register").await);

    // --- 0180: recipients 16+ in 2017: a (m1–6), f (m1–8), g (m10–12) = 3; c26/c27 were there
    // only in 2016/2015, so they are not recipients in 0180. All three adults (f is 18 in month 8).
    // Children: h1 max barn over its 0180 months = 1, hf 0, hg 2 → 3; no persons 16–17.
    // Population k=250: all 250 000, 18+ 200 000, 18–24 50 000, 0–17 50 000.
    andel(&r, "reg_mottagare_andel", "kommun", "0180", "totalt", 6.0, 250_000.0);
    andel(&r, "reg_vuxna_mottagare_andel", "kommun", "0180", "totalt", 3.0, 200_000.0);
    // kvinnor: a, f, g (g's latest month 12: 0114 < 0180 → kvinna); 18+ kvinnor 600×250.
    andel(&r, "reg_vuxna_mottagare_andel", "kommun", "0180", "kvinnor", 3.0, 150_000.0);
    andel(&r, "reg_vuxna_mottagare_andel", "kommun", "0180", "man", 0.0, 50_000.0);
    // inrikes: a; utrikes: f (month 8 flag 1), g (0114 row flag 1).
    andel(&r, "reg_vuxna_mottagare_andel", "kommun", "0180", "inrikes", 1.0, 150_000.0);
    andel(&r, "reg_vuxna_mottagare_andel", "kommun", "0180", "utrikes", 2.0, 50_000.0);
    // Long-term: a has 6 months in 0180, f 8, g 3 → none.
    andel(&r, "reg_langvarigt_andel", "kommun", "0180", "totalt", 0.0, 3.0);
    andel(&r, "reg_mycket_langvarigt_andel", "kommun", "0180", "totalt", 0.0, 3.0);
    // Young adults: f (18) → 1 of 50 000; kvinnor 1 of 100×250; utrikes 1 of 25 000.
    andel(&r, "reg_unga_vuxna_andel", "kommun", "0180", "totalt", 1.0, 50_000.0);
    andel(&r, "reg_unga_vuxna_andel", "kommun", "0180", "kvinnor", 1.0, 25_000.0);
    andel(&r, "reg_unga_vuxna_andel", "kommun", "0180", "man", 0.0, 25_000.0);
    andel(&r, "reg_unga_vuxna_andel", "kommun", "0180", "utrikes", 1.0, 25_000.0);
    andel(&r, "reg_barn_andel", "kommun", "0180", "totalt", 3.0, 50_000.0);
    andel(&r, "reg_barn_langvarigt_andel", "kommun", "0180", "totalt", 0.0, 50_000.0);
    // Kronor: h1 6×1000 + hf 8×600 + hg 3×300 = 11 700; mean population (240 000 + 250 000)/2.
    value(&r, "reg_belopp_per_invanare", "kommun", "0180", 11_700.0, Some(245_000.0), 11_700.0 / 245_000.0);
    value(&r, "reg_mottagare_antal", "kommun", "0180", 6.0, None, 6.0);
    value(&r, "reg_hushall_antal", "kommun", "0180", 3.0, None, 3.0);
    value(&r, "reg_belopp_tkr", "kommun", "0180", 11.7, None, 11.7);

    // --- Stadsdelar of 0180: only rows with a district. 018001: h1 (a, barn 1); hg has no
    // district, so it is in 0180 but in no stadsdel. Population k=100, mean (96 000+100 000)/2.
    andel(&r, "reg_mottagare_andel", "stadsdel", "018001", "totalt", 2.0, 100_000.0);
    andel(&r, "reg_vuxna_mottagare_andel", "stadsdel", "018001", "kvinnor", 1.0, 60_000.0);
    andel(&r, "reg_barn_andel", "stadsdel", "018001", "totalt", 1.0, 20_000.0);
    value(&r, "reg_belopp_per_invanare", "stadsdel", "018001", 6_000.0, Some(98_000.0), 6_000.0 / 98_000.0);
    value(&r, "reg_hushall_antal", "stadsdel", "018001", 1.0, None, 1.0);
    // 018002: hf (f, 18, kvinna, utrikes); population k=150.
    andel(&r, "reg_mottagare_andel", "stadsdel", "018002", "totalt", 1.0, 150_000.0);
    andel(&r, "reg_unga_vuxna_andel", "stadsdel", "018002", "utrikes", 1.0, 15_000.0);
    value(&r, "reg_belopp_tkr", "stadsdel", "018002", 4.8, None, 4.8);
    // Stadsdelar 2 + 1 recipients ≠ kommun 6 (g and hg's 2 children have no district).

    // --- 0114: a (m7–11 = 5), b9 (9), b10 (10), b12 (12), c26 (12), c27 (12), g (m12) = 7 adults.
    // Long-term (>= 10): b10, b12, c26, c27 = 4. Very long-term counted within 0114: c26 and c27
    // have 12 months here (their history is in 0180) → 0. Children: h1's barn in 0114 = 2, hg's
    // barn in 0114 = 1 → 3. Population k=45.
    andel(&r, "reg_mottagare_andel", "kommun", "0114", "totalt", 10.0, 45_000.0);
    andel(&r, "reg_vuxna_mottagare_andel", "kommun", "0114", "totalt", 7.0, 36_000.0);
    andel(&r, "reg_langvarigt_andel", "kommun", "0114", "totalt", 4.0, 7.0);
    // kvinnor a, b10, c27, g → long-term b10, c27; man b9, b12, c26 → b12, c26;
    // inrikes a, b10, b12, c26 → b10, b12, c26; utrikes b9, c27, g → c27.
    andel(&r, "reg_langvarigt_andel", "kommun", "0114", "kvinnor", 2.0, 4.0);
    andel(&r, "reg_langvarigt_andel", "kommun", "0114", "man", 2.0, 3.0);
    andel(&r, "reg_langvarigt_andel", "kommun", "0114", "inrikes", 3.0, 4.0);
    andel(&r, "reg_langvarigt_andel", "kommun", "0114", "utrikes", 1.0, 3.0);
    andel(&r, "reg_mycket_langvarigt_andel", "kommun", "0114", "totalt", 0.0, 7.0);
    andel(&r, "reg_unga_vuxna_andel", "kommun", "0114", "totalt", 0.0, 9_000.0);
    andel(&r, "reg_barn_andel", "kommun", "0114", "totalt", 3.0, 9_000.0);
    // Long-term households h10, h12, hc26, hc27 have no children; h1 has only 5 months here.
    andel(&r, "reg_barn_langvarigt_andel", "kommun", "0114", "totalt", 0.0, 9_000.0);
    // 5×1000 + 9×500 + 10×500 + 12×500 + 12×800 + 12×800 + 300 = 40 000 kr; mean 45 000.
    value(&r, "reg_belopp_per_invanare", "kommun", "0114", 40_000.0, Some(45_000.0), 40_000.0 / 45_000.0);
    value(&r, "reg_hushall_antal", "kommun", "0114", 7.0, None, 7.0);
    value(&r, "reg_mottagare_antal", "kommun", "0114", 10.0, None, 10.0);

    // --- 0305: d (paid m1–4 only: belopp 0 in m5–12), e17, e18, e24, e25, k = 6 persons 16+,
    // adults d, e18, e24, e25, k = 5 (e17 is 17). Long-term: e18 (12) = 1. Young: e18, e24.
    // Children: h0's barn over its PAID months (m1–4) = 0 (the 3 in unpaid months do not count),
    // h17 max(1, 3) = 3, plus e17 (16–17 by id) → 4; h17 is long-term (12 months) → 3 + e17 = 4.
    // k is on hk1 and hk2 in month 6: one month, both households count.
    // Population k=10: all 10 000, 18+ 8 000, 18–24 2 000, 0–17 2 000; mean (9 000+10 000)/2.
    andel(&r, "reg_mottagare_andel", "kommun", "0305", "totalt", 9.0, 10_000.0);
    andel(&r, "reg_vuxna_mottagare_andel", "kommun", "0305", "totalt", 5.0, 8_000.0);
    // kvinnor d, e24, k (k: hk1 wins the tie → kvinna, inrikes); man e18, e25.
    andel(&r, "reg_vuxna_mottagare_andel", "kommun", "0305", "kvinnor", 3.0, 6_000.0);
    andel(&r, "reg_vuxna_mottagare_andel", "kommun", "0305", "man", 2.0, 2_000.0);
    andel(&r, "reg_vuxna_mottagare_andel", "kommun", "0305", "inrikes", 3.0, 6_000.0);
    andel(&r, "reg_vuxna_mottagare_andel", "kommun", "0305", "utrikes", 2.0, 2_000.0);
    andel(&r, "reg_langvarigt_andel", "kommun", "0305", "totalt", 1.0, 5.0);
    andel(&r, "reg_langvarigt_andel", "kommun", "0305", "kvinnor", 0.0, 3.0);
    andel(&r, "reg_langvarigt_andel", "kommun", "0305", "man", 1.0, 2.0);
    andel(&r, "reg_langvarigt_andel", "kommun", "0305", "utrikes", 1.0, 2.0);
    // Age boundaries: 17 not adult, 18 and 24 young adults, 25 not.
    andel(&r, "reg_unga_vuxna_andel", "kommun", "0305", "totalt", 2.0, 2_000.0);
    andel(&r, "reg_unga_vuxna_andel", "kommun", "0305", "kvinnor", 1.0, 1_000.0);
    andel(&r, "reg_unga_vuxna_andel", "kommun", "0305", "man", 1.0, 1_000.0);
    andel(&r, "reg_unga_vuxna_andel", "kommun", "0305", "inrikes", 0.0, 1_000.0);
    andel(&r, "reg_unga_vuxna_andel", "kommun", "0305", "utrikes", 2.0, 1_000.0);
    andel(&r, "reg_barn_andel", "kommun", "0305", "totalt", 4.0, 2_000.0);
    andel(&r, "reg_barn_langvarigt_andel", "kommun", "0305", "totalt", 4.0, 2_000.0);
    // 4×700 + 12×900 + 2×400 + 200 + 200 = 14 800 kr.
    value(&r, "reg_belopp_per_invanare", "kommun", "0305", 14_800.0, Some(9_500.0), 14_800.0 / 9_500.0);
    value(&r, "reg_hushall_antal", "kommun", "0305", 5.0, None, 5.0);
    value(&r, "reg_mottagare_antal", "kommun", "0305", 9.0, None, 9.0);
    value(&r, "reg_belopp_tkr", "kommun", "0305", 14.8, None, 14.8);
}

// One assertion per line reads as a table of hand-computed values.
#[rustfmt::skip]
#[tokio::test]
async fn register_indicators_per_lan_riket_and_groups() {
    let ctx = fixture_ctx(true);
    let sink = run(&ctx, MissingHistory::Fail).await.unwrap();
    let r = indicator_rows(&sink.batches("ind_register").await);

    // --- Län 01 (0180 + 0114). a: m1–6 in 0180 + m7–11 in 0114 = 11 months in the län →
    // long-term here though in neither kommun. g: m10–12 ∪ m12 = 3 distinct months.
    // c26: 12 (2017) + 12 (2016) + 2 (2015) = 26 → not very long-term; c27: 12+12+3 = 27 → yes.
    // Adults: a, b9, b10, b12, c26, c27, f, g = 8; long-term a, b10, b12, c26, c27 = 5.
    // Households h1, h9, h10, h12, hc26, hc27, hf, hg = 8; children: h1 max(1, 2) = 2,
    // hg max(2, 1) = 2 → 4; long-term households: h1 (11 months, barn 2), h10, h12, hc26, hc27.
    // Population k = 250 + 45 = 295: all 295 000, 18+ 236 000, 18–24 59 000, 0–17 59 000.
    andel(&r, "reg_mottagare_andel", "lan", "01", "totalt", 12.0, 295_000.0);
    andel(&r, "reg_vuxna_mottagare_andel", "lan", "01", "totalt", 8.0, 236_000.0);
    andel(&r, "reg_langvarigt_andel", "lan", "01", "totalt", 5.0, 8.0);
    // kvinnor a, b10, c27, f, g → long-term a, b10, c27; man b9, b12, c26 → b12, c26;
    // inrikes a, b10, b12, c26 → all 4; utrikes b9, c27, f, g → c27.
    andel(&r, "reg_langvarigt_andel", "lan", "01", "kvinnor", 3.0, 5.0);
    andel(&r, "reg_langvarigt_andel", "lan", "01", "man", 2.0, 3.0);
    andel(&r, "reg_langvarigt_andel", "lan", "01", "inrikes", 4.0, 4.0);
    andel(&r, "reg_langvarigt_andel", "lan", "01", "utrikes", 1.0, 4.0);
    andel(&r, "reg_mycket_langvarigt_andel", "lan", "01", "totalt", 1.0, 8.0);
    andel(&r, "reg_mycket_langvarigt_andel", "lan", "01", "kvinnor", 1.0, 5.0);
    andel(&r, "reg_mycket_langvarigt_andel", "lan", "01", "man", 0.0, 3.0);
    andel(&r, "reg_mycket_langvarigt_andel", "lan", "01", "inrikes", 0.0, 4.0);
    andel(&r, "reg_mycket_langvarigt_andel", "lan", "01", "utrikes", 1.0, 4.0);
    andel(&r, "reg_unga_vuxna_andel", "lan", "01", "totalt", 1.0, 59_000.0);
    andel(&r, "reg_barn_andel", "lan", "01", "totalt", 4.0, 59_000.0);
    andel(&r, "reg_barn_langvarigt_andel", "lan", "01", "totalt", 2.0, 59_000.0);
    // 11 700 + 40 000 kr; mean ((240 000 + 45 000) + (250 000 + 45 000)) / 2 = 290 000.
    value(&r, "reg_belopp_per_invanare", "lan", "01", 51_700.0, Some(290_000.0), 51_700.0 / 290_000.0);
    value(&r, "reg_hushall_antal", "lan", "01", 8.0, None, 8.0);
    value(&r, "reg_mottagare_antal", "lan", "01", 12.0, None, 12.0);

    // --- Riket over reporting kommuner 0180, 0114, 0305 (0380 and u left out).
    // Persons 16+: 8 (län 01) + 6 (0305) = 14; adults 8 + 5 = 13; long-term 5 + e18 = 6;
    // very long-term c27 = 1; young f, e18, e24 = 3. Children 4 + 3 + e17 = 8; long-term
    // children 2 + 4 = 6. Households 8 + 5 = 13; kronor 51 700 + 14 800 = 66 500.
    // Population k = 250 + 45 + 10 = 305: all 305 000, 18+ 244 000, 18–24 61 000, 0–17 61 000;
    // mean ((240 000 + 45 000 + 9 000) + 305 000) / 2 = 299 500.
    andel(&r, "reg_mottagare_andel", "riket", "00", "totalt", 21.0, 305_000.0);
    andel(&r, "reg_vuxna_mottagare_andel", "riket", "00", "totalt", 13.0, 244_000.0);
    andel(&r, "reg_vuxna_mottagare_andel", "riket", "00", "kvinnor", 8.0, 183_000.0);
    andel(&r, "reg_vuxna_mottagare_andel", "riket", "00", "man", 5.0, 61_000.0);
    andel(&r, "reg_vuxna_mottagare_andel", "riket", "00", "inrikes", 7.0, 183_000.0);
    andel(&r, "reg_vuxna_mottagare_andel", "riket", "00", "utrikes", 6.0, 61_000.0);
    andel(&r, "reg_langvarigt_andel", "riket", "00", "totalt", 6.0, 13.0);
    andel(&r, "reg_langvarigt_andel", "riket", "00", "kvinnor", 3.0, 8.0);
    andel(&r, "reg_langvarigt_andel", "riket", "00", "man", 3.0, 5.0);
    andel(&r, "reg_langvarigt_andel", "riket", "00", "inrikes", 4.0, 7.0);
    andel(&r, "reg_langvarigt_andel", "riket", "00", "utrikes", 2.0, 6.0);
    andel(&r, "reg_mycket_langvarigt_andel", "riket", "00", "totalt", 1.0, 13.0);
    andel(&r, "reg_mycket_langvarigt_andel", "riket", "00", "utrikes", 1.0, 6.0);
    andel(&r, "reg_unga_vuxna_andel", "riket", "00", "totalt", 3.0, 61_000.0);
    andel(&r, "reg_unga_vuxna_andel", "riket", "00", "kvinnor", 2.0, 30_500.0);
    andel(&r, "reg_unga_vuxna_andel", "riket", "00", "man", 1.0, 30_500.0);
    andel(&r, "reg_unga_vuxna_andel", "riket", "00", "inrikes", 0.0, 30_500.0);
    andel(&r, "reg_unga_vuxna_andel", "riket", "00", "utrikes", 3.0, 30_500.0);
    andel(&r, "reg_barn_andel", "riket", "00", "totalt", 8.0, 61_000.0);
    andel(&r, "reg_barn_langvarigt_andel", "riket", "00", "totalt", 6.0, 61_000.0);
    value(&r, "reg_belopp_per_invanare", "riket", "00", 66_500.0, Some(299_500.0), 66_500.0 / 299_500.0);
    value(&r, "reg_mottagare_antal", "riket", "00", 21.0, None, 21.0);
    value(&r, "reg_hushall_antal", "riket", "00", 13.0, None, 13.0);
    value(&r, "reg_belopp_tkr", "riket", "00", 66.5, None, 66.5);

    // --- Kommungrupp A2 = 0114 + 0305 (no person in both). c27 is very long-term in riket but
    // not in A2 (her history is in 0180, group A1). Adults 7 + 5 = 12, long-term 4 + 1 = 5;
    // kvinnor 4 + 3 = 7 (long-term 2); man 3 + 2 = 5 (long-term 3); young 0 + 2.
    // Population k = 45 + 10 = 55; mean ((45 000 + 9 000) + 55 000) / 2 = 54 500.
    andel(&r, "reg_mottagare_andel", "kommungrupp", "A2", "totalt", 19.0, 55_000.0);
    andel(&r, "reg_vuxna_mottagare_andel", "kommungrupp", "A2", "totalt", 12.0, 44_000.0);
    andel(&r, "reg_langvarigt_andel", "kommungrupp", "A2", "totalt", 5.0, 12.0);
    andel(&r, "reg_langvarigt_andel", "kommungrupp", "A2", "kvinnor", 2.0, 7.0);
    andel(&r, "reg_langvarigt_andel", "kommungrupp", "A2", "man", 3.0, 5.0);
    andel(&r, "reg_mycket_langvarigt_andel", "kommungrupp", "A2", "totalt", 0.0, 12.0);
    andel(&r, "reg_unga_vuxna_andel", "kommungrupp", "A2", "utrikes", 2.0, 5_500.0);
    andel(&r, "reg_barn_andel", "kommungrupp", "A2", "totalt", 7.0, 11_000.0);
    andel(&r, "reg_barn_langvarigt_andel", "kommungrupp", "A2", "totalt", 4.0, 11_000.0);
    value(&r, "reg_belopp_per_invanare", "kommungrupp", "A2", 54_800.0, Some(54_500.0), 54_800.0 / 54_500.0);
    value(&r, "reg_hushall_antal", "kommungrupp", "A2", 12.0, None, 12.0);
    // Kommungrupp A1 = 0180 alone.
    value(&r, "reg_mottagare_antal", "kommungrupp", "A1", 6.0, None, 6.0);

    // --- Storleksklasser: each holds one kommun here.
    andel(&r, "reg_vuxna_mottagare_andel", "storleksklass", ">=200000", "totalt", 3.0, 200_000.0);
    andel(&r, "reg_langvarigt_andel", "storleksklass", "15000-49999", "totalt", 4.0, 7.0);
    andel(&r, "reg_barn_andel", "storleksklass", "<15000", "totalt", 4.0, 2_000.0);
}

// ---------------------------------------------------------------- background measures

// One assertion per line reads as a table of hand-computed values.
#[rustfmt::skip]
#[tokio::test]
async fn background_measures_are_ratios_of_sums() {
    let ctx = fixture_ctx(true);
    let sink = run(&ctx, MissingHistory::Fail).await.unwrap();
    let r = indicator_rows(&sink.batches("ind_bakgrund").await);
    // kommun 4 + län 2 + riket 1 + kommungrupp A1, A2, B3 = 10 regions × 7 measures.
    assert_eq!(r.len(), 70);
    // Population per kommun: 18–64 = 700k, inrikes 25–64 = 500k, 18–24 = 200k
    // (0180 k=250, 0114 k=45, 0305 k=10, 0380 k=60).
    andel(&r, "bak_lag_inkomst", "kommun", "0180", "totalt", 17_500.0, 175_000.0);
    andel(&r, "bak_arbetslosa", "kommun", "0180", "totalt", 14_000.0, 175_000.0);
    andel(&r, "bak_arbetslosa_utan_ersattning", "kommun", "0180", "totalt", 3_500.0, 175_000.0);
    andel(&r, "bak_lag_utbildning", "kommun", "0180", "totalt", 12_500.0, 125_000.0);
    andel(&r, "bak_utrikes_0_5", "kommun", "0180", "totalt", 7_000.0, 175_000.0);
    andel(&r, "bak_utrikes_6_10", "kommun", "0180", "totalt", 3_500.0, 175_000.0);
    andel(&r, "bak_unga_vuxna", "kommun", "0180", "totalt", 50_000.0, 175_000.0);
    // 0114 has no background row: '-' for the six drop measures; bak_unga_vuxna from befolkning.
    marker(&r, "bak_lag_inkomst", "kommun", "0114", "totalt", "-");
    marker(&r, "bak_utrikes_6_10", "kommun", "0114", "totalt", "-");
    andel(&r, "bak_unga_vuxna", "kommun", "0114", "totalt", 9_000.0, 31_500.0);
    // Register bortfall does not touch background measures: 0380 is computed.
    andel(&r, "bak_lag_inkomst", "kommun", "0380", "totalt", 4_200.0, 42_000.0);
    // Län 03 = 0305 + 0380: (1 400 + 4 200) / (7 000 + 42 000) = 11.43 %, not the mean of
    // 20 % and 10 %.
    andel(&r, "bak_lag_inkomst", "lan", "03", "totalt", 5_600.0, 49_000.0);
    andel(&r, "bak_lag_utbildning", "lan", "03", "totalt", 3_500.0, 35_000.0);
    andel(&r, "bak_unga_vuxna", "lan", "03", "totalt", 14_000.0, 49_000.0);
    // Län 01: only 0180 has background data, so numerator and denominator are 0180's.
    andel(&r, "bak_lag_inkomst", "lan", "01", "totalt", 17_500.0, 175_000.0);
    andel(&r, "bak_unga_vuxna", "lan", "01", "totalt", 59_000.0, 206_500.0);
    // Riket: 0180 + 0305 + 0380 with data: 23 100 / 224 000; arbetslösa 17 920 / 224 000.
    andel(&r, "bak_lag_inkomst", "riket", "00", "totalt", 23_100.0, 224_000.0);
    andel(&r, "bak_arbetslosa", "riket", "00", "totalt", 17_920.0, 224_000.0);
    andel(&r, "bak_unga_vuxna", "riket", "00", "totalt", 73_000.0, 255_500.0);
    // Kommungrupp A2 = 0114 (no data) + 0305; B3 = 0380.
    andel(&r, "bak_lag_inkomst", "kommungrupp", "A2", "totalt", 1_400.0, 7_000.0);
    andel(&r, "bak_unga_vuxna", "kommungrupp", "A2", "totalt", 11_000.0, 38_500.0);
    andel(&r, "bak_lag_inkomst", "kommungrupp", "B3", "totalt", 4_200.0, 42_000.0);
    assert_eq!(cell(&r, "bak_lag_inkomst", "lan", "03", "totalt").regionnamn, "Uppsala län");
}

#[tokio::test]
async fn missing_previous_year_population_marks_kronor_per_inhabitant_missing() {
    let ctx = fixture_ctx(true);
    let only_y: Vec<Folk> = fixture_population()
        .into_iter()
        .filter(|r| r.0 == Y)
        .collect();
    ctx.deregister_table("befolkning").unwrap();
    befolkning(&ctx, &only_y);
    let sink = run(&ctx, MissingHistory::Fail).await.unwrap();
    let r = indicator_rows(&sink.batches("ind_register").await);
    // No 31 Dec 2016 population → no mean population → '-' (not a made-up denominator).
    marker(
        &r,
        "reg_belopp_per_invanare",
        "kommun",
        "0180",
        "totalt",
        "-",
    );
    marker(&r, "reg_belopp_per_invanare", "riket", "00", "totalt", "-");
    // Everything else is unchanged: 0180 still has 6 recipients of 250 000 (see above).
    andel(
        &r,
        "reg_mottagare_andel",
        "kommun",
        "0180",
        "totalt",
        6.0,
        250_000.0,
    );
}

/// Issue 12, item 7: one household-month of 9 223 372 036 854 775 807 kr (i64::MAX; the contract's
/// maximum lifted, as if a contract had none) used to wrap the Int64 sums, and riket published a
/// negative amount. The sums are DECIMAL(38, 0) now: riket is 66 500 kr (the fixture, see
/// register_indicators_per_lan_riket_and_groups) + i64::MAX, in tkr, and positive.
#[tokio::test]
async fn a_belopp_of_i64_max_does_not_wrap_the_riket_sum() {
    let ctx = fixture_ctx(true);
    let mut rows = fixture_register(true);
    rows.extend(months(
        Y,
        1..=1,
        "0305",
        None,
        "hmax",
        0,
        i64::MAX,
        &[("max", 2, 40, 0)],
    ));
    ctx.deregister_table("register").unwrap();
    register(&ctx, &rows);
    let sink = run(&ctx, MissingHistory::Fail).await.unwrap();
    let r = indicator_rows(&sink.batches("ind_register").await);
    let kronor = (i64::MAX as i128 + 66_500) as f64;
    let riket = cell(&r, "reg_belopp_tkr", "riket", "00", "totalt");
    assert!(riket.varde.unwrap() > 0.0, "{riket:?}");
    assert!(close(riket.varde.unwrap(), kronor / 1000.0), "{riket:?}");
    // 0305 alone: 14 800 kr + i64::MAX.
    let kommun = cell(&r, "reg_belopp_tkr", "kommun", "0305", "totalt");
    assert!(
        close(
            kommun.varde.unwrap(),
            (i64::MAX as i128 + 14_800) as f64 / 1000.0
        ),
        "{kommun:?}"
    );
}

/// The households behind each amount cell (`int_belopp_bidrag`, read by the disclose stage's
/// dominance rule), worked out by hand: per region the households paid there, their total, the
/// largest household amount and the second largest – the largest again when two households share
/// it (0305, kommungrupp A2), 0 with a single household (018002). Household hA is paid in two
/// kommuner of län 03 (3 000 kr in 0305, 250 kr in 0380), so län 03 and riket see it once with
/// 3 250 kr.
#[tokio::test]
async fn amount_contributors_per_region_with_ties_and_single_households() {
    let ctx = fixture_ctx(false);
    let mut rows = Vec::new();
    for k in ["0180", "0114", "0305", "0380"] {
        rows.extend(nil_reports(Y, k, 1..=12));
    }
    type Paid = (
        std::ops::RangeInclusive<i64>,
        &'static str,
        Option<&'static str>,
        &'static str,
    );
    let households: [(Paid, i64, i64, Person); 8] = [
        ((1..=3, "0305", None, "hA"), 0, 1000, ("pa", 1, 30, 0)),
        ((7..=7, "0380", None, "hA"), 0, 250, ("pa", 1, 30, 0)),
        ((4..=6, "0305", None, "hB"), 0, 1000, ("pb", 2, 40, 0)),
        ((1..=1, "0305", None, "hC"), 0, 1000, ("pc", 2, 50, 1)),
        ((1..=2, "0380", None, "hD"), 0, 700, ("pd", 1, 60, 0)),
        ((1..=4, "0180", Some("01"), "h1"), 1, 100, ("p1", 2, 20, 0)),
        ((5..=5, "0180", Some("01"), "h3"), 0, 500, ("p3", 1, 25, 1)),
        ((1..=2, "0180", Some("02"), "h2"), 2, 900, ("p2", 2, 35, 0)),
    ];
    for ((manader, kommun, distrikt, hushall), barn, belopp, person) in households {
        rows.extend(months(
            Y,
            manader,
            kommun,
            distrikt,
            hushall,
            barn,
            belopp,
            &[person],
        ));
    }
    ctx.deregister_table("register").unwrap();
    register(&ctx, &rows);
    let sink = run(&ctx, MissingHistory::NotApplicable).await.unwrap();
    let mut got = BTreeMap::new();
    for b in sink.batches("int_belopp_bidrag").await {
        let text = |n: &str| text_column(&b, n);
        let number = |n: &str| number_column(&b, n);
        let (niva, region) = (text("niva"), text("region"));
        let (hushall, belopp, storsta, nast) = (
            number("hushall"),
            number("belopp_kr"),
            number("storsta"),
            number("nast_storsta"),
        );
        for i in 0..b.num_rows() {
            got.insert(
                (niva.value(i).to_string(), region.value(i).to_string()),
                [
                    hushall.value(i),
                    belopp.value(i),
                    storsta.value(i),
                    nast.value(i),
                ],
            );
        }
    }
    for (niva, region, expected) in [
        ("kommun", "0305", [3.0, 7000.0, 3000.0, 3000.0]),
        ("kommun", "0380", [2.0, 1650.0, 1400.0, 250.0]),
        ("kommun", "0180", [3.0, 2700.0, 1800.0, 500.0]),
        ("stadsdel", "018001", [2.0, 900.0, 500.0, 400.0]),
        ("stadsdel", "018002", [1.0, 1800.0, 1800.0, 0.0]),
        ("lan", "01", [3.0, 2700.0, 1800.0, 500.0]),
        ("lan", "03", [4.0, 8650.0, 3250.0, 3000.0]),
        ("riket", "00", [7.0, 11350.0, 3250.0, 3000.0]),
        ("kommungrupp", "A1", [3.0, 2700.0, 1800.0, 500.0]),
        ("kommungrupp", "A2", [3.0, 7000.0, 3000.0, 3000.0]),
        ("kommungrupp", "B3", [2.0, 1650.0, 1400.0, 250.0]),
    ] {
        assert_eq!(
            got.get(&(niva.to_string(), region.to_string())),
            Some(&expected),
            "{niva} {region}: [households, kronor, largest, second largest]"
        );
    }
    assert!(
        !got.contains_key(&("kommun".to_string(), "0114".to_string())),
        "0114 has no paid household: {got:?}"
    );
}

// ---------------------------------------------------------------- history

#[tokio::test]
async fn history_status_lists_missing_years_newest_first() {
    let ctx = fixture_ctx(true);
    assert_eq!(history_status(&ctx, Y, 3).await.unwrap(), Vec::<i64>::new());
    // A 5-year window needs 2016 … 2013; 2016 and 2015 are there.
    assert_eq!(history_status(&ctx, Y, 5).await.unwrap(), vec![2014, 2013]);
    assert_eq!(history_status(&ctx, Y, 1).await.unwrap(), Vec::<i64>::new());
    let ctx = fixture_ctx(false);
    assert_eq!(history_status(&ctx, Y, 3).await.unwrap(), vec![2015]);
}

#[tokio::test]
async fn missing_history_fails_naming_the_years_and_the_ingest_command() {
    let ctx = fixture_ctx(false);
    let err = run(&ctx, MissingHistory::Fail).await.err().unwrap();
    match &err {
        TransformError::MissingHistory { year, missing } => {
            assert_eq!((*year, missing.clone()), (2017, vec![2015]));
        }
        other => panic!("unexpected {other}"),
    }
    let m = err.to_string();
    assert!(m.contains("year 2015"), "{m}");
    assert!(
        m.contains("oj run --year 2015 --stage ingest --drops … --lake …"),
        "{m}"
    );
}

/// Each region of `pnr` in `int_person_region_ar` of a run, as "niva region months-in-Y
/// months-in-the-window", sorted; storleksklass left out (its class follows from the population).
async fn person_regions(w: &Warehouse, pnr: &str) -> Vec<String> {
    let q = SessionContext::new();
    for model in ["int_person_region_ar", "int_person_attribut"] {
        let batches = w.batches(model).await;
        let table = MemTable::try_new(batches[0].schema(), vec![batches]).unwrap();
        q.register_table(model, Arc::new(table)).unwrap();
    }
    let sql = format!(
        "SELECT arrow_cast(r.niva || ' ' || r.region || ' ' || CAST(r.manader_ar AS VARCHAR) \
         || ' ' || CAST(r.manader_fonster AS VARCHAR), 'Utf8') AS rad \
         FROM int_person_region_ar r JOIN int_person_attribut a ON a.lopnr = r.lopnr \
         WHERE a.pnr = {} AND r.niva <> 'storleksklass' ORDER BY rad",
        person_number(pnr)
    );
    let batches = q.sql(&sql).await.unwrap().collect().await.unwrap();
    batches
        .iter()
        .flat_map(|b| {
            let c = text_column(b, "rad");
            (0..c.len())
                .map(|i| c.value(i).to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A person's months per region when the person's places lie in different sets of regions over
/// the window (int_person_region_nyckel groups those per region; the others once per person).
/// x is paid in the same place, 0380, all of Y-1 and January – June of Y, and 0380 is bortfall in
/// Y (no report for December): its place belongs to riket and its kommungrupp in Y-1 but not in
/// Y, so x is a recipient of kommun 0380 and län 03 only, with 6 months of Y and 18 of the window.
/// c26 moved from Norrmalm (0180) in Y-1 to 0114 in Y: 12 months of Y everywhere, 24 of the window
/// only where both places belong (län 01, riket). b12 stayed in 0114 in Y only: 12 and 12.
#[tokio::test]
async fn months_per_region_follow_each_row_s_own_regions() {
    let ctx = SessionContext::new();
    regioner(&ctx, &fixture_regions());
    befolkning(&ctx, &fixture_population());
    let mut rows = fixture_register(false);
    let x = ("x", 1, 40, 0);
    rows.extend(months(Y - 1, 1..=12, "0380", None, "hx", 0, 600, &[x]));
    rows.extend(months(Y, 1..=6, "0380", None, "hx", 0, 600, &[x]));
    register(&ctx, &rows);
    bakgrund(&ctx, &fixture_bakgrund());
    let w = run(&ctx, MissingHistory::NotApplicable).await.unwrap();
    assert_eq!(
        person_regions(&w, "x").await,
        ["kommun 0380 6 18", "lan 03 6 18"]
    );
    assert_eq!(
        person_regions(&w, "c26").await,
        [
            "kommun 0114 12 12",
            "kommungrupp A2 12 12",
            "lan 01 12 24",
            "riket 00 12 24"
        ]
    );
    assert_eq!(
        person_regions(&w, "b12").await,
        [
            "kommun 0114 12 12",
            "kommungrupp A2 12 12",
            "lan 01 12 12",
            "riket 00 12 12"
        ]
    );
}

#[tokio::test]
async fn missing_history_not_applicable_marks_very_long_term_with_dot() {
    let ctx = fixture_ctx(false);
    let sink = run(&ctx, MissingHistory::NotApplicable).await.unwrap();
    let r = indicator_rows(&sink.batches("ind_register").await);
    let very_long: Vec<&Cell> = r
        .iter()
        .filter(|(k, _)| k.0 == "reg_mycket_langvarigt_andel")
        .map(|(_, c)| c)
        .collect();
    // 16 regions × 5 groups, all '.' (even bortfall regions: the indicator is not defined).
    assert_eq!(very_long.len(), 80);
    assert!(
        very_long
            .iter()
            .all(|c| c.status == "." && c.varde.is_none())
    );
    // Other indicators are unaffected: 0114 long-term is still 4 of 7 (see above).
    andel(
        &r,
        "reg_langvarigt_andel",
        "kommun",
        "0114",
        "totalt",
        4.0,
        7.0,
    );
}

// ---------------------------------------------------------------- loading and running models

fn write_models(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, sql) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, sql).unwrap();
    }
    dir
}

#[test]
fn the_sql_folder_loads_in_dependency_order() {
    let models = ModelSet::load(&sql_dir(), SOURCES).unwrap();
    let order = models.names_in_order();
    let pos = |n: &str| {
        order
            .iter()
            .position(|m| *m == n)
            .unwrap_or_else(|| panic!("{n} missing"))
    };
    for (before, after) in [
        ("int_hushall_plats", "int_region_tillhorighet"),
        ("int_bortfall", "int_kommun"),
        ("int_kommun", "int_region_tillhorighet"),
        ("int_person_plats", "int_person_attribut"),
        ("int_person_attribut", "int_person_mangd"),
        ("int_region_tillhorighet", "int_region_mangd"),
        ("int_region_mangd", "int_person_mangd"),
        ("int_person_mangd", "int_person_region_nyckel"),
        ("int_person_region_nyckel", "int_person_region_ar"),
        ("int_hushall_region_ar", "int_barn"),
        ("int_befolkning", "ind_register"),
        ("int_region", "ind_bakgrund"),
        ("int_barn", "int_register_matt"),
        ("int_register_matt", "ind_register"),
    ] {
        assert!(
            pos(before) < pos(after),
            "{before} must run before {after}: {order:?}"
        );
    }
    let matt = models.get("int_register_matt").unwrap();
    assert!(matt.references.contains("int_person_region_ar"));
    assert!(
        !matt.references.contains("grupper"),
        "CTE names are not tables"
    );
}

#[test]
fn order_comes_from_references_only() {
    let dir = write_models(&[
        (
            "a_last.sql",
            "SELECT * FROM z_first JOIN m_middle USING (x)",
        ),
        (
            "m_middle.sql",
            "WITH t AS (SELECT x FROM z_first) SELECT x FROM t",
        ),
        ("z_first.sql", "SELECT ar AS x FROM register"),
        ("sub/ind_enkat.sql", "SELECT * FROM enkat"),
    ]);
    let models = ModelSet::load(dir.path(), SOURCES).unwrap();
    // z_first and ind_enkat read only sources (ready at once, by name); then m_middle; then a_last.
    assert_eq!(
        models.names_in_order(),
        vec!["ind_enkat", "z_first", "m_middle", "a_last"]
    );
    let sub = models.upstream_of(&["m_middle"]).unwrap();
    assert_eq!(sub.names_in_order(), vec!["z_first", "m_middle"]);
    assert!(models.upstream_of(&["nope"]).is_err());
}

#[test]
fn every_problem_in_sql_is_reported_at_once() {
    let dir = write_models(&[
        ("c_one.sql", "SELECT * FROM c_two"),
        ("c_two.sql", "SELECT * FROM c_one"),
        ("self_ref.sql", "SELECT * FROM self_ref"),
        (
            "unknown.sql",
            "SELECT 1 AS x\nFROM register\nJOIN no_such_table ON true",
        ),
        ("broken.sql", "SELECT x\nFROM register\nWHERE (("),
        ("two.sql", "SELECT 1; SELECT 2"),
        ("ddl.sql", "CREATE TABLE q (a INT)"),
        ("fine.sql", "SELECT ar FROM register"),
    ]);
    let diags = ModelSet::load(dir.path(), SOURCES).unwrap_err();
    let text: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    let find = |file: &str, needle: &str| {
        assert!(
            diags
                .iter()
                .any(|d| d.file.ends_with(file) && d.message.contains(needle)),
            "no diagnostic for {file} containing {needle:?} in {text:#?}"
        )
    };
    find("c_one.sql", "reference cycle among: c_one, c_two");
    find("c_two.sql", "reference cycle among: c_one, c_two");
    find("self_ref.sql", "reference cycle among: self_ref");
    find("unknown.sql", "`no_such_table`");
    find("broken.sql", "does not parse");
    find("two.sql", "2 statements");
    find("ddl.sql", "is not a query");
    assert_eq!(diags.len(), 7, "{text:#?}");
    // The unknown table is on line 3 of unknown.sql.
    let unknown = diags
        .iter()
        .find(|d| d.file.ends_with("unknown.sql"))
        .unwrap();
    assert_eq!(unknown.line, Some(3));
    assert!(unknown.to_string().contains("unknown.sql:3: "), "{unknown}");
}

#[tokio::test]
async fn a_model_that_does_not_plan_names_its_file() {
    let dir = write_models(&[
        ("stg_ok.sql", "SELECT ar FROM register WHERE ar = $year"),
        ("stg_bad.sql", "SELECT no_such_column FROM register"),
    ]);
    let models = ModelSet::load(dir.path(), SOURCES).unwrap();
    let ctx = fixture_ctx(true);
    let params = ModelParams::new(Y, &pipeline_params(MissingHistory::Fail));
    let mut sink = MemorySink::new();
    let err = run_models(&ctx, &models, &params, &Default::default(), &mut sink)
        .await
        .unwrap_err();
    match &err {
        TransformError::Plan { file, message } => {
            assert!(file.ends_with("stg_bad.sql"));
            assert!(message.contains("no_such_column"), "{message}");
        }
        other => panic!("unexpected {other}"),
    }
    assert!(err.to_string().contains("stg_bad.sql"), "{err}");
}

#[tokio::test]
async fn parameters_are_bound_and_unknown_ones_named() {
    let ctx = fixture_ctx(true);
    let params = ModelParams::new(Y, &pipeline_params(MissingHistory::Fail));
    // Bound: 2017 household-month rows with belopp above the long-term threshold (10 kr): all paid
    // rows of 2017. Counting by hand: h1 11, h9 9, h10 10, h12 12, hc26 12, hc27 12, h0 4, h17 12,
    // h24 2, hf 8, hg 4, hk1 1, hk2 1, hu 11 = 109.
    let dir = write_models(&[(
        "stg_count.sql",
        "SELECT COUNT(*) AS n FROM register WHERE ar = $year AND belopp_kr > $long_term_months",
    )]);
    let models = ModelSet::load(dir.path(), SOURCES).unwrap();
    let mut sink = MemorySink::new();
    let runs = run_models(&ctx, &models, &params, &Default::default(), &mut sink)
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].name.as_str(), runs[0].rows), ("stg_count", 1));
    let n = sink.batches("stg_count").unwrap()[0]
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .value(0);
    assert_eq!(n, 109);

    let dir = write_models(&[(
        "stg_p.sql",
        "SELECT ar FROM register WHERE ar = $no_such_param",
    )]);
    let models = ModelSet::load(dir.path(), SOURCES).unwrap();
    let err = run_models(
        &ctx,
        &models,
        &params,
        &Default::default(),
        &mut MemorySink::new(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, TransformError::UnknownParameter { file, name } if file.ends_with("stg_p.sql") && name == "no_such_param"),
        "{err}"
    );
}

#[tokio::test]
async fn a_window_longer_than_five_years_is_refused() {
    let ctx = fixture_ctx(true);
    let mut register = pipeline_params(MissingHistory::NotApplicable);
    register.very_long_term_window_years = 6;
    let params = ModelParams::new(Y, &register);
    let err = run_models(
        &ctx,
        &register_models(),
        &params,
        &Default::default(),
        &mut MemorySink::new(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, TransformError::InvalidParameter { name, value: 6, .. } if name == "very_long_term_window_years"),
        "{err}"
    );
}

// ---------------------------------------------------------------- property: riket vs kommuner

/// A random household: its rows (month, kommun index, paid?) and the pool indexes of its persons.
type RandomHousehold = (Vec<(i64, usize, bool)>, Vec<usize>);

fn riket_bounds_hold(households: Vec<RandomHousehold>) -> Result<(), TestCaseError> {
    const KOMMUNER: [&str; 3] = ["0180", "0114", "0305"];
    const POOL: [Person; 6] = [
        ("p0", 1, 20, 0),
        ("p1", 2, 30, 1),
        ("p2", 1, 17, 0),
        ("p3", 2, 45, 0),
        ("p4", 1, 70, 1),
        ("p5", 2, 19, 1),
    ];
    let mut rows = Vec::new();
    for k in KOMMUNER {
        rows.extend(nil_reports(Y, k, 1..=12));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (h, (months_, people)) in households.iter().enumerate() {
        let id: &'static str = Box::leak(format!("hh{h}").into_boxed_str());
        let personer: Vec<Person> = people
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|i| POOL[*i])
            .collect();
        for (manad, k, paid) in months_ {
            if seen.insert((id, *manad, *k)) {
                rows.extend(months(
                    Y,
                    *manad..=*manad,
                    KOMMUNER[*k],
                    None,
                    id,
                    1,
                    if *paid { 100 } else { 0 },
                    &personer,
                ));
            }
        }
    }
    let ctx = SessionContext::new();
    regioner(&ctx, &fixture_regions()[..6]);
    let mut folk = Vec::new();
    for k in KOMMUNER {
        folk.extend(template(Y, k, 10));
        folk.extend(template(Y - 1, k, 10));
    }
    befolkning(&ctx, &folk);
    register(&ctx, &rows);
    bakgrund(&ctx, &[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sink = rt
        .block_on(run(&ctx, MissingHistory::NotApplicable))
        .unwrap();
    let r = indicator_rows(&rt.block_on(sink.batches("ind_register")));
    // Recipient and household counts only: long-term counts may exceed the kommun sum (6 + 5
    // months in two kommuner is long-term in riket only).
    for (ind, grupp) in [
        ("reg_mottagare_antal", "totalt"),
        ("reg_hushall_antal", "totalt"),
        ("reg_vuxna_mottagare_andel", "totalt"),
        ("reg_vuxna_mottagare_andel", "kvinnor"),
        ("reg_barn_andel", "totalt"),
    ] {
        let t =
            |niva: &str, region: &str| cell(&r, ind, niva, region, grupp).taljare.unwrap_or(0.0);
        let riket = t("riket", "00");
        let per_kommun: Vec<f64> = KOMMUNER.iter().map(|k| t("kommun", k)).collect();
        let sum: f64 = per_kommun.iter().sum();
        let max = per_kommun.iter().cloned().fold(0.0, f64::max);
        prop_assert!(
            riket <= sum && riket >= max,
            "{ind}/{grupp}: riket {riket}, kommuner {per_kommun:?}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]
    #[test]
    fn riket_counts_lie_between_largest_kommun_and_sum(
        households in proptest::collection::vec(
            (
                proptest::collection::vec((1i64..=12, 0usize..3, proptest::bool::weighted(0.8)), 1..12),
                proptest::collection::vec(0usize..6, 1..3),
            ),
            1..10,
        )
    ) {
        riket_bounds_hold(households)?;
    }
}

// ---------------------------------------------------------------- national-scale timing

/// Generates a national-size year in memory (290 kommuner, 220 000 households a year with 1–12 paid
/// months, ≈ 2.3 M person-months a year, three years) with DataFusion itself and prints each
/// model's time. Run on purpose: `cargo test --release --test it national_scale -- --ignored
/// --nocapture`.
#[tokio::test]
#[ignore = "benchmark: national-size data, run on purpose"]
async fn national_scale_timing() {
    let ctx = SessionContext::new();
    let materialise = |name: &'static str, sql: &'static str| {
        let ctx = ctx.clone();
        async move {
            let df = ctx.sql(sql).await.unwrap();
            let mut sink = MemorySink::new();
            sink.write(&ctx, name, df).await.unwrap();
        }
    };
    materialise(
        "kommuner",
        "SELECT value AS i,
                lpad(CAST(value % 21 + 1 AS VARCHAR), 2, '0') AS lan,
                lpad(CAST(value % 21 + 1 AS VARCHAR), 2, '0')
                    || lpad(CAST(value / 21 AS VARCHAR), 2, '0') AS kommun,
                CASE value % 9 WHEN 0 THEN 'A1' WHEN 1 THEN 'A2' WHEN 2 THEN 'B3' WHEN 3 THEN 'B4'
                    WHEN 4 THEN 'B5' WHEN 5 THEN 'C6' WHEN 6 THEN 'C7' WHEN 7 THEN 'C8' ELSE 'C9' END
                    AS kommungrupp
         FROM generate_series(0, 289)",
    )
    .await;
    materialise(
        "regioner",
        "SELECT CAST(2017 AS BIGINT) AS ar, 'riket' AS niva, '00' AS kod, 'Riket' AS namn,
                CAST(NULL AS VARCHAR) AS overordnad, CAST(NULL AS VARCHAR) AS kommungrupp,
                CAST(0 AS BIGINT) AS enkat_respondent
         UNION ALL
         SELECT DISTINCT 2017, 'lan', lan, 'Län ' || lan, '00', CAST(NULL AS VARCHAR), 0 FROM kommuner
         UNION ALL
         SELECT 2017, 'kommun', kommun, 'Kommun ' || kommun, lan, kommungrupp, 1 FROM kommuner",
    )
    .await;
    materialise(
        "befolkning",
        "SELECT y.value AS ar, k.kommun AS region, s.value AS kon, a.value AS alder,
                u.value AS utrikes_fodd, CAST(10 + k.i * 3 + a.value % 7 AS BIGINT) * 4 AS antal
         FROM kommuner k
         CROSS JOIN generate_series(2016, 2017) y
         CROSS JOIN generate_series(1, 2) s
         CROSS JOIN generate_series(0, 100) a
         CROSS JOIN generate_series(0, 1) u",
    )
    .await;
    materialise(
        "register",
        "WITH h AS (
             SELECT y.value AS ar, hh.value AS h,
                    (hh.value * 7 + CASE WHEN hh.value % 3 = 0 THEN y.value - 2015 ELSE 0 END) % 290
                        AS ki
             FROM generate_series(2015, 2017) y CROSS JOIN generate_series(0, 219999) hh
         ),
         rader AS (
             SELECT h.ar, m.value AS manad, k.kommun, h.h,
                    CASE WHEN (h.h + m.value) % 17 = 0 THEN 0 ELSE 1000 + h.h % 5000 END AS belopp
             FROM h
             JOIN kommuner k ON k.i = h.ki
             CROSS JOIN generate_series(1, 12) m
             WHERE m.value <= 1 + h.h % 12
         )
         SELECT ar, manad, kommun, CAST(NULL AS VARCHAR) AS distrikt,
                'h' || CAST(h AS VARCHAR) AS hushall_id, CAST(h % 4 AS BIGINT) AS barn_under_16,
                CAST(belopp AS BIGINT) AS belopp_kr,
                lpad(to_hex(h * 8 + 1), 16, '0') AS pnr1, CAST(1 + h % 2 AS BIGINT) AS kon1,
                CAST(18 + h % 60 AS BIGINT) AS alder1, CAST(h % 3 % 2 AS BIGINT) AS utrikes1,
                CASE WHEN h % 2 = 0 THEN lpad(to_hex(h * 8 + 2), 16, '0') END AS pnr2,
                CASE WHEN h % 2 = 0 THEN CAST(2 - h % 2 AS BIGINT) END AS kon2,
                CASE WHEN h % 2 = 0 THEN CAST(16 + h % 50 AS BIGINT) END AS alder2,
                CASE WHEN h % 2 = 0 THEN CAST(0 AS BIGINT) END AS utrikes2,
                CASE WHEN h % 10 = 0 THEN lpad(to_hex(h * 8 + 3), 16, '0') END AS pnr3,
                CASE WHEN h % 10 = 0 THEN CAST(1 AS BIGINT) END AS kon3,
                CASE WHEN h % 10 = 0 THEN CAST(17 AS BIGINT) END AS alder3,
                CASE WHEN h % 10 = 0 THEN CAST(1 AS BIGINT) END AS utrikes3,
                CAST(NULL AS VARCHAR) AS pnr4, CAST(NULL AS BIGINT) AS kon4,
                CAST(NULL AS BIGINT) AS alder4, CAST(NULL AS BIGINT) AS utrikes4,
                CAST(NULL AS VARCHAR) AS pnr5, CAST(NULL AS BIGINT) AS kon5,
                CAST(NULL AS BIGINT) AS alder5, CAST(NULL AS BIGINT) AS utrikes5
         FROM rader
         UNION ALL
         SELECT 2017, m.value, k.kommun, NULL, 'nil' || k.kommun, 0, 0, 'nil' || k.kommun, 1, 50, 0,
                NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                NULL, NULL, NULL, NULL
         FROM kommuner k CROSS JOIN generate_series(1, 12) m",
    )
    .await;
    materialise(
        "bakgrund",
        "SELECT CAST(2017 AS BIGINT) AS ar, kommun, CAST(100 AS BIGINT) AS lag_inkomst_18_64,
                CAST(50 AS BIGINT) AS arbetslosa_18_64, CAST(10 AS BIGINT) AS arbetslosa_utan_ers_18_64,
                CAST(40 AS BIGINT) AS forgymn_inrikes_25_64, CAST(20 AS BIGINT) AS utrikes_vist_0_5_18_64,
                CAST(20 AS BIGINT) AS utrikes_vist_6_10_18_64
         FROM kommuner",
    )
    .await;
    let params = ModelParams::new(Y, &pipeline_params(MissingHistory::Fail));
    let mut sink = MemorySink::new();
    let started = std::time::Instant::now();
    let runs = run_models(
        &ctx,
        &register_models(),
        &params,
        &Default::default(),
        &mut sink,
    )
    .await
    .unwrap();
    let total = started.elapsed().as_secs_f64();
    for r in &runs {
        println!("{:<28} {:>10} rows {:>8.3} s", r.name, r.rows, r.seconds);
    }
    println!("total {total:.3} s");
    // OJ_EXPLAIN=<model> prints EXPLAIN ANALYZE of that model on the same data.
    if let Ok(model) = std::env::var("OJ_EXPLAIN") {
        let models = register_models();
        let sql = &models.get(&model).unwrap().sql;
        let values = params
            .with(
                "history_complete",
                datafusion::scalar::ScalarValue::Int64(Some(1)),
            )
            .param_values();
        let df = ctx.sql(&format!("EXPLAIN ANALYZE {sql}")).await.unwrap();
        let batches = df
            .with_param_values(values)
            .unwrap()
            .collect()
            .await
            .unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches).unwrap();
        println!("{text}");
    }
}

/// The physical plan of `sql` over the session's tables, as indented text.
async fn physical_plan(ctx: &SessionContext, sql: &str) -> String {
    let plan = ctx
        .sql(sql)
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    datafusion::physical_plan::displayable(plan.as_ref())
        .indent(true)
        .to_string()
}

/// `(ar, k, s)` rows with the key as owned text, as [`year_key_sums`] gives them.
fn owned(rows: &[(i64, &str, i64)]) -> Vec<(i64, String, i64)> {
    rows.iter()
        .map(|(y, k, s)| (*y, k.to_string(), *s))
        .collect()
}

/// `(ar, k, s)` of every row of `sql`, sorted.
async fn year_key_sums(ctx: &SessionContext, sql: &str) -> Vec<(i64, String, i64)> {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::Int64Type;
    let mut out = Vec::new();
    for b in ctx.sql(sql).await.unwrap().collect().await.unwrap() {
        let (ar, k, s) = (
            b.column(0).as_primitive::<Int64Type>(),
            b.column(1).as_string::<i32>(),
            b.column(2).as_primitive::<Int64Type>(),
        );
        for i in 0..b.num_rows() {
            out.push((ar.value(i), k.value(i).to_string(), s.value(i)));
        }
    }
    out.sort();
    out
}

/// Yearly files whose rows hold their file's year are read one year per partition when there are
/// more years than target partitions (two in tests) and they take at most two thirds of the memory
/// limit: an aggregation grouped by the year and more groups each year on its own – no
/// repartition, no final step over all years – and a key found in two years stays two groups. Two
/// years, no year column, or larger files are read as before (byte ranges over the target
/// partitions, then a repartition), with the same results.
#[tokio::test]
async fn yearly_files_are_grouped_one_year_per_partition() {
    let lake = oj::store::Store::open("memory://years-apart/lake").unwrap();
    let ctx = oj::session::build(&oj::session::SessionOptions::for_tests(), &[&lake]).unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("ar", datafusion::arrow::datatypes::DataType::Int64, false),
        Field::new("k", datafusion::arrow::datatypes::DataType::Utf8, false),
        Field::new("v", datafusion::arrow::datatypes::DataType::Int64, false),
    ]));
    let file = |y: i64| format!("staging/t/ar={y}/data.parquet");
    let reversed = |y: i64| format!("staging/u/n={}/data.parquet", 3000 - y);
    for (year, keys, values) in [
        (2015, ["a", "a", "b"], [1, 2, 4]),
        (2016, ["a", "b", "b"], [10, 20, 40]),
        (2017, ["a", "a", "a"], [100, 200, 400]),
    ] {
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                ints([Some(year); 3]),
                texts(keys.map(Some)),
                ints(values.map(Some)),
            ],
        )
        .unwrap();
        oj::lake::write_batches(
            &lake,
            &file(year),
            schema.clone(),
            std::slice::from_ref(&batch),
        )
        .await
        .unwrap();
        // The same files under names whose order is not the years' (2017 first).
        oj::lake::write_batches(&lake, &reversed(year), schema.clone(), &[batch])
            .await
            .unwrap();
    }
    let sql = "SELECT ar, k, SUM(v) AS s FROM t GROUP BY ar, k";
    // By hand: 2015 a 1 + 2, b 4; 2016 a 10, b 20 + 40; 2017 a 100 + 200 + 400.
    let expected = owned(&[
        (2015, "a", 3),
        (2015, "b", 4),
        (2016, "a", 10),
        (2016, "b", 60),
        (2017, "a", 700),
    ]);
    let register = |years: &'static [i64], column: Option<&'static str>| {
        let (ctx, lake) = (&ctx, &lake);
        async move {
            oj::lake::register_years(ctx, lake, "t", file, years, column, None)
                .await
                .unwrap()
                .missing
        }
    };

    assert_eq!(
        register(&[2014, 2015, 2016, 2017], Some("ar")).await,
        vec![2014]
    );
    let plan = physical_plan(&ctx, sql).await;
    assert!(plan.contains("mode=SinglePartitioned"), "{plan}");
    assert!(!plan.contains("RepartitionExec"), "{plan}");
    assert!(
        plan.contains("Range([ar@0 ASC NULLS LAST], [(2016), (2017)], 3)"),
        "{plan}"
    );
    assert_eq!(year_key_sums(&ctx, sql).await, expected);

    for (years, column) in [
        (&[2015, 2016, 2017][..], None),
        (&[2016, 2017][..], Some("ar")),
    ] {
        assert_eq!(register(years, column).await, Vec::<i64>::new());
        let plan = physical_plan(&ctx, sql).await;
        assert!(
            plan.contains("RepartitionExec"),
            "{years:?} {column:?}: {plan}"
        );
        assert!(!plan.contains("Range("), "{years:?} {column:?}: {plan}");
        let first = usize::from(years.len() == 2) * 2;
        assert_eq!(year_key_sums(&ctx, sql).await, expected[first..]);
    }

    // Files whose path order is not the years' are read as before.
    let registered = oj::lake::register_years(
        &ctx,
        &lake,
        "t",
        reversed,
        &[2015, 2016, 2017],
        Some("ar"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(registered.at_once, None);
    let plan = physical_plan(&ctx, sql).await;
    assert!(
        plan.contains("RepartitionExec") && !plan.contains("Range("),
        "{plan}"
    );
    assert_eq!(year_key_sums(&ctx, sql).await, expected);

    // Files taking more than two thirds of the memory limit are read as before too. The
    // registration reports the files' bytes (the transform's model-table budget follows them).
    let bytes = oj::lake::register_years(
        &ctx,
        &lake,
        "t",
        file,
        &[2015, 2016, 2017],
        Some("ar"),
        None,
    )
    .await
    .unwrap()
    .bytes;
    let mut heads = 0;
    for y in 2015..=2017 {
        heads += lake.head(&file(y)).await.unwrap().unwrap().size;
    }
    assert_eq!(bytes, heads);
    // At most two thirds of the limit: a limit of 3/2 of the files' bytes, not one byte less.
    let at = (bytes * 3).div_ceil(2);
    // All three years are grouped at once when the files take at most a quarter of the limit,
    // else two (the target partitions) at a time.
    for (limit, apart, at_once) in [
        (bytes * 4, true, Some(3)),
        (bytes * 4 - 1, true, Some(2)),
        (at, true, Some(2)),
        (at - 1, false, None),
    ] {
        let options = oj::session::SessionOptions::for_tests_with_limit(limit as usize);
        let small = oj::session::build(&options, &[&lake]).unwrap();
        let years = &[2015, 2016, 2017];
        let registered =
            oj::lake::register_years(&small, &lake, "t", file, years, Some("ar"), None)
                .await
                .unwrap();
        assert_eq!(registered.at_once, at_once, "{limit}");
        // One partition a year when read apart; none counted when split in byte ranges.
        assert_eq!(registered.partitions, apart.then_some(3), "{limit}");
        let plan = physical_plan(&small, sql).await;
        assert_eq!(plan.contains("SinglePartitioned"), apart, "{limit}: {plan}");
        assert_eq!(plan.contains("RepartitionExec"), !apart, "{limit}: {plan}");
    }
}

/// Yearly files whose row groups hold disjoint kommuner are read in parts, one partition each,
/// declared range partitioned on (year, kommun): 2015's three row groups (0114 | 0180 | 1280) in
/// three parts, 2016's two (0180 | 0114 0180: 0180 on both sides) whole, 2017's three (0114 |
/// 0114 | 0180) in two, cut before 0180. Grouped by year and kommun, each part is grouped on its
/// own (no repartition); grouped by the year alone the parts are not enough and the rows are
/// repartitioned. Both give the sums worked out by hand.
#[tokio::test]
async fn yearly_files_are_read_in_parts_of_disjoint_kommuner() {
    use datafusion::arrow::datatypes::DataType;
    use parquet::arrow::ArrowWriter;
    let lake = oj::store::Store::open("memory://years-in-parts/lake").unwrap();
    let ctx = oj::session::build(&oj::session::SessionOptions::for_tests(), &[&lake]).unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("ar", DataType::Int64, false),
        Field::new("kommun", DataType::Utf8, false),
        Field::new("v", DataType::Int64, false),
    ]));
    let file = |y: i64| format!("staging/register/ar={y}/data.parquet");
    // Per year, its row groups of (kommun, v).
    type RowGroups = Vec<Vec<(&'static str, i64)>>;
    let years: [(i64, RowGroups); 3] = [
        (
            2015,
            vec![
                vec![("0114", 1), ("0114", 2)],
                vec![("0180", 4), ("0180", 8)],
                vec![("1280", 16)],
            ],
        ),
        (
            2016,
            vec![vec![("0180", 10)], vec![("0114", 20), ("0180", 40)]],
        ),
        (
            2017,
            vec![
                vec![("0114", 100)],
                vec![("0114", 200)],
                vec![("0180", 400)],
            ],
        ),
    ];
    for (year, groups) in &years {
        let mut writer = ArrowWriter::try_new(Vec::new(), schema.clone(), None).unwrap();
        for group in groups {
            let batch = RecordBatch::try_new(
                schema.clone(),
                vec![
                    ints(group.iter().map(|_| Some(*year))),
                    texts(group.iter().map(|(k, _)| Some(*k))),
                    ints(group.iter().map(|(_, v)| Some(*v))),
                ],
            )
            .unwrap();
            writer.write(&batch).unwrap();
            writer.flush().unwrap();
        }
        lake.put(&file(*year), writer.into_inner().unwrap())
            .await
            .unwrap();
    }
    let registered = oj::lake::register_years(
        &ctx,
        &lake,
        "t",
        file,
        &[2015, 2016, 2017],
        Some("ar"),
        Some("kommun"),
    )
    .await
    .unwrap();
    // Small files (three years would be grouped at once), but parts: two (the target
    // partitions) at a time, of 3 + 1 + 2 partitions.
    assert_eq!(registered.at_once, Some(2));
    assert_eq!(registered.partitions, Some(6));

    let by_kommun = "SELECT ar, kommun, SUM(v) AS s FROM t GROUP BY ar, kommun";
    let plan = physical_plan(&ctx, by_kommun).await;
    assert!(
        plan.contains(
            "Range([ar@0 ASC NULLS LAST, kommun@1 ASC NULLS LAST], \
             [(2015, 0180), (2015, 1280), (2016, ), (2017, ), (2017, 0180)], 6)"
        ),
        "{plan}"
    );
    assert!(plan.contains("mode=SinglePartitioned"), "{plan}");
    assert!(!plan.contains("RepartitionExec"), "{plan}");
    let expected = owned(&[
        (2015, "0114", 3),
        (2015, "0180", 12),
        (2015, "1280", 16),
        (2016, "0114", 20),
        (2016, "0180", 50),
        (2017, "0114", 300),
        (2017, "0180", 400),
    ]);
    assert_eq!(year_key_sums(&ctx, by_kommun).await, expected);

    let by_year = "SELECT ar, 'alla' AS kommun, SUM(v) AS s FROM t GROUP BY ar";
    let plan = physical_plan(&ctx, by_year).await;
    assert!(plan.contains("RepartitionExec"), "{plan}");
    assert_eq!(
        year_key_sums(&ctx, by_year).await,
        owned(&[(2015, "alla", 31), (2016, "alla", 70), (2017, "alla", 700)])
    );
}

/// Row groups asked to end where a column changes that the file does not have: the write fails
/// naming the column and the file, and no file is left (not a file silently written without the
/// cuts the transform's parts rely on).
#[tokio::test]
async fn row_groups_cannot_end_at_a_missing_column() {
    use datafusion::arrow::datatypes::DataType;
    let lake = oj::store::Store::open("memory://missing-group-column/lake").unwrap();
    let schema = Arc::new(Schema::new(vec![Field::new(
        "kommun",
        DataType::Utf8,
        false,
    )]));
    let batch =
        RecordBatch::try_new(schema.clone(), vec![texts([Some("0114"), Some("0180")])]).unwrap();
    let rows = futures::stream::iter(vec![Ok(batch)]);
    let err = oj::lake::write_stream_grouped(
        &lake,
        "staging/t/ar=2017/data.parquet",
        schema,
        rows,
        Some("kommn"),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("column `kommn`"), "{err}");
    assert!(err.contains("staging/t/ar=2017/data.parquet"), "{err}");
    assert!(
        lake.head("staging/t/ar=2017/data.parquet")
            .await
            .unwrap()
            .is_none()
    );
}
