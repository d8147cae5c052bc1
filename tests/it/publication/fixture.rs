//! A small hand-made release (2017, with 2016 and 2015 for trends): two län, four kommuner, one
//! stadsdel, one kommungrupp and two storleksklasser. Every value is chosen by hand and already
//! rounded as a release publishes it; the markers cover a bortfall kommun (0305 Håbo, `-`, and
//! therefore its län 03), a secondary suppression pair (0114 kvinnor/man, `..`) and a survey
//! respondent that did not return the questionnaire (0380, `-`).

use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use chrono::{TimeZone, Utc};
use oj::render::{IndicatorMeta, IndicatorSource, PublicationInput, RegionFacts, ReleaseInfo};
use oj::vocab::IndicatorKind;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One `indikatorer` row as written by hand.
#[derive(Debug, Clone)]
pub struct R {
    pub indikator: &'static str,
    pub niva: &'static str,
    pub region: &'static str,
    pub namn: &'static str,
    pub grupp: &'static str,
    pub varde: Option<f64>,
    pub taljare: Option<f64>,
    pub namnare: Option<f64>,
    pub status: &'static str,
    pub prev: Option<f64>,
    pub change: Option<f64>,
}

/// A published row.
#[allow(clippy::too_many_arguments)]
fn v(
    indikator: &'static str,
    niva: &'static str,
    region: &'static str,
    namn: &'static str,
    grupp: &'static str,
    varde: f64,
    (taljare, namnare): (Option<f64>, Option<f64>),
    (prev, change): (Option<f64>, Option<f64>),
) -> R {
    R {
        indikator,
        niva,
        region,
        namn,
        grupp,
        varde: Some(varde),
        taljare,
        namnare,
        status: "",
        prev,
        change,
    }
}

/// A row published as a marker.
fn m(
    indikator: &'static str,
    niva: &'static str,
    region: &'static str,
    namn: &'static str,
    grupp: &'static str,
    status: &'static str,
    prev: Option<f64>,
) -> R {
    R {
        indikator,
        niva,
        region,
        namn,
        grupp,
        varde: None,
        taljare: None,
        namnare: None,
        status,
        prev,
        change: None,
    }
}

const N: (Option<f64>, Option<f64>) = (None, None);
fn tn(t: f64, n: f64) -> (Option<f64>, Option<f64>) {
    (Some(t), Some(n))
}
fn pc(p: f64, c: f64) -> (Option<f64>, Option<f64>) {
    (Some(p), Some(c))
}

pub const MOTT: &str = "reg_mottagare_andel";
pub const VUXNA: &str = "reg_vuxna_mottagare_andel";
pub const TKR: &str = "reg_belopp_tkr";
pub const ARBL: &str = "bak_arbetslosa";
pub const JOUR: &str = "enk_socialjour";
pub const SVARS: &str = "enk_svarsfrekvens";
pub const HPH: &str = "enk_hushall_per_handlaggare";

/// The 2017 rows.
pub fn rows_2017() -> Vec<R> {
    vec![
        v(
            MOTT,
            "riket",
            "00",
            "Riket",
            "totalt",
            4.3,
            tn(435000.0, 10120000.0),
            pc(4.5, -0.2),
        ),
        v(
            MOTT,
            "lan",
            "01",
            "Stockholms län",
            "totalt",
            3.9,
            tn(90000.0, 2308000.0),
            pc(4.0, -0.1),
        ),
        m(MOTT, "lan", "03", "Uppsala län", "totalt", "-", Some(3.6)),
        v(
            MOTT,
            "kommun",
            "0114",
            "Upplands Väsby",
            "totalt",
            5.1,
            tn(2300.0, 45100.0),
            pc(5.3, -0.2),
        ),
        v(
            MOTT,
            "kommun",
            "0180",
            "Stockholm",
            "totalt",
            4.4,
            tn(41000.0, 935000.0),
            pc(4.4, 0.0),
        ),
        v(
            MOTT,
            "stadsdel",
            "018001",
            "Rinkeby-Kista",
            "totalt",
            12.7,
            tn(6100.0, 48000.0),
            N,
        ),
        m(MOTT, "kommun", "0305", "Håbo", "totalt", "-", Some(2.1)),
        v(
            MOTT,
            "kommun",
            "0380",
            "Uppsala",
            "totalt",
            3.2,
            tn(7200.0, 225000.0),
            pc(3.5, -0.3),
        ),
        v(
            MOTT,
            "kommungrupp",
            "A1",
            "Storstäder",
            "totalt",
            4.6,
            tn(60000.0, 1300000.0),
            pc(4.7, -0.1),
        ),
        v(
            MOTT,
            "storleksklass",
            "15000-49999",
            "15 000–49 999 invånare",
            "totalt",
            3.7,
            tn(3100.0, 83000.0),
            N,
        ),
        v(
            MOTT,
            "storleksklass",
            ">=200000",
            "200 000 invånare och fler",
            "totalt",
            4.2,
            tn(48200.0, 1160000.0),
            N,
        ),
        v(
            VUXNA,
            "riket",
            "00",
            "Riket",
            "totalt",
            3.6,
            tn(290000.0, 8050000.0),
            pc(3.8, -0.2),
        ),
        v(
            VUXNA,
            "riket",
            "00",
            "Riket",
            "kvinnor",
            3.5,
            tn(140000.0, 4020000.0),
            pc(3.6, -0.1),
        ),
        v(
            VUXNA,
            "riket",
            "00",
            "Riket",
            "man",
            3.7,
            tn(150000.0, 4030000.0),
            pc(3.9, -0.2),
        ),
        v(
            VUXNA,
            "kommun",
            "0114",
            "Upplands Väsby",
            "totalt",
            4.0,
            tn(1400.0, 35000.0),
            pc(4.2, -0.2),
        ),
        m(
            VUXNA,
            "kommun",
            "0114",
            "Upplands Väsby",
            "kvinnor",
            "..",
            Some(4.1),
        ),
        m(VUXNA, "kommun", "0114", "Upplands Väsby", "man", "..", None),
        v(
            VUXNA,
            "kommun",
            "0380",
            "Uppsala",
            "totalt",
            2.9,
            tn(5000.0, 172000.0),
            pc(3.1, -0.2),
        ),
        v(
            VUXNA,
            "kommun",
            "0380",
            "Uppsala",
            "kvinnor",
            2.8,
            tn(2400.0, 86000.0),
            pc(3.0, -0.2),
        ),
        v(
            VUXNA,
            "kommun",
            "0380",
            "Uppsala",
            "man",
            3.0,
            tn(2600.0, 86000.0),
            pc(3.2, -0.2),
        ),
        v(
            TKR,
            "riket",
            "00",
            "Riket",
            "totalt",
            10564321.0,
            (Some(10564321.0), None),
            pc(10412000.0, 152321.0),
        ),
        v(
            TKR,
            "lan",
            "01",
            "Stockholms län",
            "totalt",
            1280245.0,
            (Some(1280245.0), None),
            pc(1300000.0, -19755.0),
        ),
        v(
            TKR,
            "kommun",
            "0114",
            "Upplands Väsby",
            "totalt",
            45678.0,
            (Some(45678.0), None),
            pc(44000.0, 1678.0),
        ),
        v(
            TKR,
            "kommun",
            "0180",
            "Stockholm",
            "totalt",
            1234567.0,
            (Some(1234567.0), None),
            pc(1250000.0, -15433.0),
        ),
        m(TKR, "kommun", "0305", "Håbo", "totalt", "-", None),
        v(
            TKR,
            "kommun",
            "0380",
            "Uppsala",
            "totalt",
            98765.0,
            (Some(98765.0), None),
            pc(97000.0, 1765.0),
        ),
        v(
            ARBL,
            "riket",
            "00",
            "Riket",
            "totalt",
            6.7,
            tn(420000.0, 6270000.0),
            pc(7.0, -0.3),
        ),
        v(
            ARBL,
            "lan",
            "01",
            "Stockholms län",
            "totalt",
            6.1,
            tn(91000.0, 1490000.0),
            N,
        ),
        v(
            ARBL,
            "lan",
            "03",
            "Uppsala län",
            "totalt",
            5.4,
            tn(13000.0, 240000.0),
            N,
        ),
        v(
            ARBL,
            "kommun",
            "0114",
            "Upplands Väsby",
            "totalt",
            5.9,
            tn(1700.0, 28800.0),
            N,
        ),
        v(
            ARBL,
            "kommun",
            "0180",
            "Stockholm",
            "totalt",
            6.2,
            tn(38000.0, 613000.0),
            N,
        ),
        v(
            ARBL,
            "kommun",
            "0305",
            "Håbo",
            "totalt",
            4.8,
            tn(600.0, 12500.0),
            N,
        ),
        v(
            ARBL,
            "kommun",
            "0380",
            "Uppsala",
            "totalt",
            5.5,
            tn(8000.0, 145000.0),
            N,
        ),
        // Survey (as sql/ind_enkat.sql writes it): a respondent's share indicator is 1 (Ja) or 0
        // (Nej) with no numerator or denominator. Respondents 0114, 018001, 0305, 0380; 0380 did
        // not return (`-`).
        // socialjour: Ja = 0114, 018001; Nej = 0305 → riket 2/3 = 66.7 %, n = 3.
        v(
            JOUR,
            "kommun",
            "0114",
            "Upplands Väsby",
            "totalt",
            1.0,
            N,
            (Some(1.0), None),
        ),
        v(
            JOUR,
            "stadsdel",
            "018001",
            "Rinkeby-Kista",
            "totalt",
            1.0,
            N,
            N,
        ),
        v(
            JOUR,
            "kommun",
            "0305",
            "Håbo",
            "totalt",
            0.0,
            N,
            (Some(1.0), None),
        ),
        m(JOUR, "kommun", "0380", "Uppsala", "totalt", "-", Some(0.0)),
        v(
            JOUR,
            "riket",
            "00",
            "Riket",
            "totalt",
            66.7,
            tn(2.0, 3.0),
            pc(75.0, -8.3),
        ),
        v(
            JOUR,
            "lan",
            "01",
            "Stockholms län",
            "totalt",
            100.0,
            tn(2.0, 2.0),
            N,
        ),
        v(
            JOUR,
            "lan",
            "03",
            "Uppsala län",
            "totalt",
            0.0,
            tn(0.0, 1.0),
            N,
        ),
        v(
            JOUR,
            "kommungrupp",
            "A1",
            "Storstäder",
            "totalt",
            100.0,
            tn(1.0, 1.0),
            N,
        ),
        v(
            JOUR,
            "storleksklass",
            "15000-49999",
            "15 000–49 999 invånare",
            "totalt",
            50.0,
            tn(1.0, 2.0),
            N,
        ),
        // Response rate: 3 of 4 respondents returned → 75.0 %; 0114 and 0305 are 15000-49999 → 2/2.
        v(
            SVARS,
            "riket",
            "00",
            "Riket",
            "totalt",
            75.0,
            tn(3.0, 4.0),
            pc(100.0, -25.0),
        ),
        v(
            SVARS,
            "storleksklass",
            "15000-49999",
            "15 000–49 999 invånare",
            "totalt",
            100.0,
            tn(2.0, 2.0),
            N,
        ),
        v(
            HPH,
            "kommun",
            "0114",
            "Upplands Väsby",
            "totalt",
            34.5,
            tn(69.0, 2.0),
            pc(30.1, 4.4),
        ),
        v(
            HPH,
            "riket",
            "00",
            "Riket",
            "totalt",
            35.2,
            tn(352.0, 10.0),
            pc(34.0, 1.2),
        ),
    ]
}

/// Earlier releases: 2016 and 2015 (with a suppressed kommun value in 2015 and an indicator that
/// was discontinued, which has no metadata and must be ignored for trends).
pub fn rows_2016() -> Vec<R> {
    vec![
        v(MOTT, "riket", "00", "Riket", "totalt", 4.5, N, N),
        v(MOTT, "lan", "01", "Stockholms län", "totalt", 4.0, N, N),
        v(
            MOTT,
            "kommun",
            "0114",
            "Upplands Väsby",
            "totalt",
            5.3,
            N,
            N,
        ),
        v(TKR, "riket", "00", "Riket", "totalt", 10412000.0, N, N),
    ]
}

pub fn rows_2015() -> Vec<R> {
    vec![
        v(MOTT, "riket", "00", "Riket", "totalt", 4.6, N, N),
        v(MOTT, "lan", "01", "Stockholms län", "totalt", 4.1, N, N),
        m(
            MOTT,
            "kommun",
            "0114",
            "Upplands Väsby",
            "totalt",
            "..",
            None,
        ),
        v("enk_nedlagd", "riket", "00", "Riket", "totalt", 12.0, N, N),
    ]
}

/// The rows as one `indikatorer` batch with the columns and types of outputs.md.
pub fn batch(year: i64, rows: &[R]) -> RecordBatch {
    let text = |f: fn(&R) -> &str| -> ArrayRef {
        Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let num = |f: fn(&R) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let schema = Arc::new(Schema::new(vec![
        Field::new("ar", DataType::Int64, false),
        Field::new("indikator", DataType::Utf8, false),
        Field::new("niva", DataType::Utf8, false),
        Field::new("region", DataType::Utf8, false),
        Field::new("regionnamn", DataType::Utf8, false),
        Field::new("grupp", DataType::Utf8, false),
        Field::new("varde", DataType::Float64, true),
        Field::new("taljare", DataType::Float64, true),
        Field::new("namnare", DataType::Float64, true),
        Field::new("status", DataType::Utf8, false),
        Field::new("varde_foregaende_ar", DataType::Float64, true),
        Field::new("forandring", DataType::Float64, true),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from(vec![year; rows.len()])),
            text(|r| r.indikator),
            text(|r| r.niva),
            text(|r| r.region),
            text(|r| r.namn),
            text(|r| r.grupp),
            num(|r| r.varde),
            num(|r| r.taljare),
            num(|r| r.namnare),
            text(|r| r.status),
            num(|r| r.prev),
            num(|r| r.change),
        ],
    )
    .unwrap()
}

fn meta(
    id: &str,
    namn: &str,
    kind: IndicatorKind,
    source: IndicatorSource,
    taljare: &str,
    namnare: Option<&str>,
    grupper: &[&str],
) -> IndicatorMeta {
    IndicatorMeta {
        id: id.into(),
        namn: namn.into(),
        kind,
        source,
        taljare: Some(taljare.into()),
        namnare: namnare.map(Into::into),
        grupper: grupper.iter().map(|g| g.to_string()).collect(),
        kolada_kpi: None,
    }
}

pub fn metadata() -> Vec<IndicatorMeta> {
    use IndicatorKind::*;
    use IndicatorSource::*;
    vec![
        meta(
            MOTT,
            "Andel biståndsmottagare i befolkningen, %",
            Andel,
            Register,
            "Biståndsmottagare i alla åldrar",
            Some("Befolkningen 31 december, alla åldrar"),
            &["totalt"],
        ),
        meta(
            VUXNA,
            "Andel vuxna (18+) biståndsmottagare i befolkningen, %",
            Andel,
            Register,
            "Biståndsmottagare 18 år och äldre",
            Some("Befolkningen 18 år och äldre"),
            &["totalt", "kvinnor", "man"],
        ),
        meta(
            TKR,
            "Utbetalt ekonomiskt bistånd, tkr",
            Tkr,
            Register,
            "Utbetalt ekonomiskt bistånd under året, tusental kronor",
            None,
            &["totalt"],
        ),
        meta(
            ARBL,
            "Andel arbetslösa invånare 18–64 år, %",
            Andel,
            Bakgrund,
            "Arbetslösa 18–64 år",
            Some("Befolkningen 18–64 år"),
            &["totalt"],
        ),
        meta(
            SVARS,
            "Svarsfrekvens, %",
            Andel,
            Enkat,
            "Svarande",
            Some("Antal tillfrågade"),
            &["totalt"],
        ),
        meta(
            JOUR,
            "Social jour efter kontorstid, %",
            Andel,
            Enkat,
            "Svarande med social jour",
            Some("Antal svarande"),
            &["totalt"],
        ),
        meta(
            HPH,
            "Hushåll per handläggare",
            Kvot,
            Enkat,
            "Hushåll med utbetalning, månadsmedel",
            Some("Handläggare, årsarbetare"),
            &["totalt"],
        ),
    ]
}

pub fn facts() -> BTreeMap<String, RegionFacts> {
    let f = |lan: &str, kg: &str, sk: &str, n: i64| RegionFacts {
        lan: Some(lan.into()),
        kommungrupp: Some(kg.into()),
        storleksklass: Some(sk.into()),
        folkmangd: Some(n),
    };
    BTreeMap::from([
        ("0114".to_string(), f("01", "B3", "15000-49999", 45100)),
        ("0180".to_string(), f("01", "A1", ">=200000", 949761)),
        ("0305".to_string(), f("03", "B4", "15000-49999", 21000)),
        ("0380".to_string(), f("03", "A2", ">=200000", 225164)),
    ])
}

pub fn info() -> ReleaseInfo {
    ReleaseInfo {
        year: 2017,
        version: "v002".into(),
        created: Utc.with_ymd_and_hms(2018, 3, 1, 9, 30, 0).unwrap(),
        sources: vec![
            "Registret över ekonomiskt bistånd 2017".into(),
            "Kommunenkät 2017 <Socialstyrelsen & SKL>".into(),
        ],
    }
}

/// Owns everything a [`PublicationInput`] borrows.
pub struct Fixture {
    pub rows: Vec<RecordBatch>,
    pub meta: Vec<IndicatorMeta>,
    pub info: ReleaseInfo,
    pub facts: BTreeMap<String, RegionFacts>,
    pub earlier: Vec<(i64, Vec<RecordBatch>)>,
}

impl Fixture {
    pub fn new() -> Fixture {
        let all = rows_2017();
        // Two batches, to check rows are read across batch boundaries.
        let (a, b) = all.split_at(20);
        Fixture {
            rows: vec![batch(2017, a), batch(2017, b)],
            meta: metadata(),
            info: info(),
            facts: facts(),
            earlier: vec![
                (2016, vec![batch(2016, &rows_2016())]),
                (2015, vec![batch(2015, &rows_2015())]),
            ],
        }
    }

    pub fn input(&self) -> PublicationInput<'_> {
        PublicationInput {
            rows: &self.rows,
            meta: &self.meta,
            info: &self.info,
            regions: Some(&self.facts),
            earlier: &self.earlier,
        }
    }
}
