//! Integration tests of `oj::synth`: determinism, exact file shapes (drops.md), internal
//! consistency, injected faults and calibration against the published national figures.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use super::fixtures;
use oj::synth::{Fault, Figure, SynthError, SynthOptions, SynthReport, generate};

fn run(
    out: &Path,
    years: std::ops::RangeInclusive<i32>,
    scale: f64,
    seed: u64,
    faults: Vec<Fault>,
) -> SynthReport {
    let opts = SynthOptions {
        out: out.to_path_buf(),
        years,
        scale,
        seed,
        faults,
    };
    generate(&opts, &fixtures::project().survey).unwrap()
}

fn text(dir: &Path, year: i32, file: &str) -> String {
    std::fs::read_to_string(dir.join(year.to_string()).join(file)).unwrap()
}

fn bytes(dir: &Path, year: i32, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(year.to_string()).join(file)).unwrap()
}

/// Data rows of a `;`/tab separated file as field vectors.
fn rows(t: &str, sep: char) -> Vec<Vec<&str>> {
    t.lines().skip(1).map(|l| l.split(sep).collect()).collect()
}

const FILES: [&str; 5] = [
    "regioner.csv",
    "befolkning.csv",
    "register.tsv",
    "bakgrund.csv",
    "enkat.csv",
];

#[test]
fn same_seed_gives_identical_bytes_and_another_seed_differs() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    run(a.path(), 2019..=2020, 0.01, 7, vec![]);
    run(b.path(), 2019..=2020, 0.01, 7, vec![]);
    run(c.path(), 2019..=2020, 0.01, 8, vec![]);
    for year in [2019, 2020] {
        for f in FILES {
            assert_eq!(
                bytes(a.path(), year, f),
                bytes(b.path(), year, f),
                "{year}/{f}"
            );
        }
    }
    assert_ne!(
        bytes(a.path(), 2020, "register.tsv"),
        bytes(c.path(), 2020, "register.tsv")
    );
    assert_ne!(
        bytes(a.path(), 2020, "enkat.csv"),
        bytes(c.path(), 2020, "enkat.csv")
    );
}

#[test]
fn a_year_does_not_depend_on_the_other_years_asked_for() {
    // The simulation always warms up from 2006 for first years from 2010 on.
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run(a.path(), 2018..=2020, 0.01, 3, vec![]);
    run(b.path(), 2020..=2020, 0.01, 3, vec![]);
    for f in FILES {
        assert_eq!(bytes(a.path(), 2020, f), bytes(b.path(), 2020, f), "{f}");
    }
}

#[test]
fn every_file_has_the_header_of_drops_md_and_the_years_questions() {
    let d = tempfile::tempdir().unwrap();
    run(d.path(), 2017..=2020, 0.01, 1, vec![]);
    let first = |y, f| text(d.path(), y, f).lines().next().unwrap().to_string();
    // Headers copied from drops.md.
    assert_eq!(
        first(2017, "regioner.csv"),
        "niva;kod;namn;overordnad;kommungrupp;enkat_respondent"
    );
    assert_eq!(
        first(2017, "befolkning.csv"),
        "region;kon;alder;utrikes_fodd;antal"
    );
    assert_eq!(
        first(2017, "bakgrund.csv"),
        "kommun;lag_inkomst_18_64;arbetslosa_18_64;arbetslosa_utan_ers_18_64;forgymn_inrikes_25_64;utrikes_vist_0_5_18_64;utrikes_vist_6_10_18_64"
    );
    let mut reg = vec![
        "ar",
        "manad",
        "kommun",
        "distrikt",
        "hushall_id",
        "barn_under_16",
        "belopp_kr",
    ];
    let persons: Vec<String> = (1..=5)
        .flat_map(|i| {
            [
                format!("pnr{i}"),
                format!("kon{i}"),
                format!("alder{i}"),
                format!("utrikes{i}"),
            ]
        })
        .collect();
    reg.extend(persons.iter().map(String::as_str));
    assert_eq!(first(2017, "register.tsv"), reg.join("\t"));
    // enkat.yaml in file order; individuella_moten is asked from 2020 only.
    let q2017 = "respondent;inkommen;besok_dagar;socialjour;overenskommelse_af;overenskommelse_fk;overenskommelse_primarvard;overenskommelse_vuxenpsykiatri;rutin_missbruk;rutin_arbetsmarknad;rutin_socialpsykiatri;rutin_vrakning_barn;uppsokande_bostad;metod_fia;metod_dudit;utredningsmall;uppfoljning_handlingsplan;systematisk_uppfoljning;brukarundersokning;budgetradgivning;unga_atgard_manad;handlaggare_ars";
    assert_eq!(first(2017, "enkat.csv"), q2017);
    assert_eq!(
        first(2020, "enkat.csv"),
        q2017.replace(";handlaggare_ars", ";individuella_moten;handlaggare_ars")
    );
}

#[test]
fn regions_follow_the_reference_year_by_year() {
    let d = tempfile::tempdir().unwrap();
    run(d.path(), 2013..=2013, 0.01, 1, vec![]);
    run(d.path(), 2020..=2021, 0.01, 1, vec![]);
    let count = |y, niva: &str| {
        rows(&text(d.path(), y, "regioner.csv"), ';')
            .iter()
            .filter(|r| r[0] == niva)
            .count()
    };
    for y in [2013, 2020, 2021] {
        assert_eq!(
            (count(y, "riket"), count(y, "lan"), count(y, "kommun")),
            (1, 21, 290)
        );
    }
    // regions.csv: 2013 Stockholm 14 + Göteborg 10 + Malmö 10; 2020 Stockholm 13 + Göteborg 10;
    // 2021 Stockholm 13.
    assert_eq!(
        (
            count(2013, "stadsdel"),
            count(2020, "stadsdel"),
            count(2021, "stadsdel")
        ),
        (34, 23, 13)
    );
    let flag = |y, kod: &str| {
        let t = text(d.path(), y, "regioner.csv");
        let r: Vec<String> = rows(&t, ';')
            .into_iter()
            .find(|r| r[1] == kod)
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect();
        r
    };
    // Cities answer through their stadsdelar while they have them.
    assert_eq!(flag(2013, "1280")[5], "0");
    assert_eq!(flag(2020, "1280")[5], "1");
    assert_eq!(flag(2020, "1480")[5], "0");
    assert_eq!(flag(2021, "1480")[5], "1");
    assert_eq!(
        flag(2020, "018015"),
        ["stadsdel", "018015", "Hägersten-Älvsjö", "0180", "", "1"]
    );
    assert_eq!(
        flag(2020, "0180"),
        ["kommun", "0180", "Stockholm", "01", "A1", "0"]
    );
    assert_eq!(flag(2020, "01")[..4], ["lan", "01", "Stockholms län", "00"]);
    // The contract rules of regioner.yaml hold for every row.
    for y in [2013, 2020, 2021] {
        let t = text(d.path(), y, "regioner.csv");
        let all = rows(&t, ';');
        let codes: BTreeSet<&str> = all.iter().map(|r| r[1]).collect();
        assert_eq!(codes.len(), all.len(), "unique kod");
        for r in &all {
            assert_eq!(r.len(), 6);
            let len = match r[0] {
                "riket" => 2,
                "lan" => 2,
                "kommun" => 4,
                _ => 6,
            };
            assert_eq!(r[1].len(), len, "{r:?}");
            assert!(
                r[0] == "riket"
                    || (codes.contains(r[3]) && (r[0] == "lan" || r[1].starts_with(r[3]))),
                "{r:?}"
            );
            let groups = ["A1", "A2", "B3", "B4", "B5", "C6", "C7", "C8", "C9"];
            assert_eq!(r[0] == "kommun", groups.contains(&r[4]), "{r:?}");
            assert!(r[0] != "kommun" || !r[4].is_empty());
            assert!(r[5] == "0" || r[5] == "1");
        }
    }
}

#[test]
fn stadsdel_population_sums_exactly_to_its_kommun() {
    let d = tempfile::tempdir().unwrap();
    run(d.path(), 2019..=2019, 0.01, 1, vec![]);
    let t = text(d.path(), 2019, "befolkning.csv");
    let mut kommun: HashMap<(String, String, String, String), u64> = HashMap::new();
    let mut stadsdel: HashMap<(String, String, String, String), u64> = HashMap::new();
    let mut total = 0u64;
    for r in rows(&t, ';') {
        let n: u64 = r[4].parse().unwrap();
        if r[0].len() == 4 {
            total += n;
            kommun.insert((r[0].into(), r[1].into(), r[2].into(), r[3].into()), n);
        } else {
            *stadsdel
                .entry((r[0][..4].into(), r[1].into(), r[2].into(), r[3].into()))
                .or_insert(0) += n;
        }
    }
    // 290 kommuner × 2 sexes × 101 ages × 2 = 117 160 kommun cells.
    assert_eq!(kommun.len(), 117_160);
    // Cells of the two cities with stadsdelar in 2019 (Stockholm, Göteborg): 2 × 404.
    assert_eq!(stadsdel.len(), 808);
    for (key, n) in &stadsdel {
        assert_eq!(kommun[key], *n, "{key:?}");
    }
    // calibration.md: population 31 Dec 2019 ≈ 10.33 M (the model hits the target exactly).
    assert_eq!(total, 10_330_000);
}

#[test]
fn background_counts_never_exceed_their_population() {
    let d = tempfile::tempdir().unwrap();
    run(d.path(), 2018..=2018, 0.01, 5, vec![]);
    let mut p18_64: HashMap<String, u64> = HashMap::new();
    let mut inrikes_25_64: HashMap<String, u64> = HashMap::new();
    let mut utrikes_18_64: HashMap<String, u64> = HashMap::new();
    for r in rows(&text(d.path(), 2018, "befolkning.csv"), ';') {
        if r[0].len() != 4 {
            continue;
        }
        let (a, u, n): (u32, &str, u64) = (r[2].parse().unwrap(), r[3], r[4].parse().unwrap());
        if (18..=64).contains(&a) {
            *p18_64.entry(r[0].into()).or_insert(0) += n;
            if u == "1" {
                *utrikes_18_64.entry(r[0].into()).or_insert(0) += n;
            }
        }
        if (25..=64).contains(&a) && u == "0" {
            *inrikes_25_64.entry(r[0].into()).or_insert(0) += n;
        }
    }
    let bak = text(d.path(), 2018, "bakgrund.csv");
    let b = rows(&bak, ';');
    assert_eq!(b.len(), 290);
    for r in b {
        let v: Vec<u64> = r[1..].iter().map(|s| s.parse().unwrap()).collect();
        let p = p18_64[r[0]];
        assert!(v[0] <= p && v[1] <= p && v[4] <= p && v[5] <= p, "{r:?}");
        assert!(v[2] <= v[1], "without benefit <= unemployed: {r:?}");
        assert!(v[3] <= inrikes_25_64[r[0]], "{r:?}");
        assert!(v[4] + v[5] <= utrikes_18_64[r[0]], "{r:?}");
        assert!(v[0] > 0 && v[1] > 0, "{r:?}");
    }
}

#[test]
fn every_kommun_reports_every_month_even_at_tiny_scale() {
    let d = tempfile::tempdir().unwrap();
    run(d.path(), 2020..=2021, 0.01, 11, vec![]);
    for year in [2020, 2021] {
        let t = text(d.path(), year, "register.tsv");
        let mut seen: BTreeSet<(&str, &str)> = BTreeSet::new();
        for r in rows(&t, '\t') {
            assert_eq!(r.len(), 27);
            assert_eq!(r[0], year.to_string());
            seen.insert((r[2], r[1]));
            // Districts: Stockholm always, Göteborg until 2020, nobody else.
            let with_district = r[2] == "0180" || (r[2] == "1480" && year == 2020);
            assert_eq!(!r[3].is_empty(), with_district, "{r:?}");
            if !r[3].is_empty() {
                assert_eq!(r[3].len(), 2);
            }
        }
        // 290 kommuner × 12 months.
        assert_eq!(seen.len(), 3480, "{year}");
    }
}

#[test]
fn register_rows_follow_the_contract_rules() {
    let d = tempfile::tempdir().unwrap();
    run(d.path(), 2016..=2016, 0.02, 2, vec![]);
    let t = text(d.path(), 2016, "register.tsv");
    let hex = |s: &str| {
        s.len() == 16
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let mut keys = BTreeSet::new();
    let mut zero = 0;
    for r in rows(&t, '\t') {
        assert!(
            keys.insert((r[1], r[2], r[4])),
            "duplicate household-month {r:?}"
        );
        let barn: u32 = r[5].parse().unwrap();
        assert!(barn <= 20);
        let belopp: u64 = r[6].parse().unwrap();
        if belopp == 0 {
            zero += 1;
        }
        let mut ids = BTreeSet::new();
        for p in 0..5 {
            let f = &r[7 + 4 * p..11 + 4 * p];
            if f[0].is_empty() {
                assert!(p > 0 && f.iter().all(|s| s.is_empty()), "{r:?}");
                continue;
            }
            assert!(hex(f[0]), "{r:?}");
            assert!(ids.insert(f[0]), "person twice on a row {r:?}");
            assert!(f[1] == "1" || f[1] == "2");
            let age: u32 = f[2].parse().unwrap();
            assert!((16..=110).contains(&age));
            assert!(f[3] == "0" || f[3] == "1");
        }
    }
    assert!(zero > 0, "some registered months pay nothing");
}

#[test]
fn movers_and_multi_year_spells_exist() {
    let d = tempfile::tempdir().unwrap();
    run(d.path(), 2019..=2020, 0.03, 4, vec![]);
    let mut kommuner_of: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut districts_of: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut households: [BTreeSet<String>; 2] = Default::default();
    let mut persons: [BTreeSet<String>; 2] = Default::default();
    for (i, year) in [2019, 2020].into_iter().enumerate() {
        let t = text(d.path(), year, "register.tsv");
        for r in rows(&t, '\t') {
            households[i].insert(r[4].to_string());
            persons[i].insert(r[7].to_string());
            if year == 2020 {
                kommuner_of
                    .entry(r[7].into())
                    .or_default()
                    .insert(r[2].into());
                if r[2] == "0180" {
                    districts_of
                        .entry(r[7].into())
                        .or_default()
                        .insert(r[3].into());
                }
            }
        }
    }
    let movers = kommuner_of.values().filter(|k| k.len() > 1).count();
    let district_movers = districts_of.values().filter(|k| k.len() > 1).count();
    assert!(
        movers > 0 && district_movers > 0,
        "{movers} {district_movers}"
    );
    let both = households[0].intersection(&households[1]).count();
    assert!(
        both * 5 > households[1].len(),
        "households in both years: {both}"
    );
    assert!(persons[0].intersection(&persons[1]).count() > 0);
}

#[test]
fn survey_answers_look_like_the_publication() {
    let d = tempfile::tempdir().unwrap();
    run(d.path(), 2020..=2020, 0.02, 9, vec![]);
    let t = text(d.path(), 2020, "enkat.csv");
    let header: Vec<&str> = t.lines().next().unwrap().split(';').collect();
    let all = rows(&t, ';');
    // 2020 respondents: 288 kommuner (not Stockholm, Göteborg) + 13 + 10 stadsdelar.
    assert_eq!(all.len(), 311);
    let returned = all.iter().filter(|r| !r[1].is_empty()).count();
    let rate = returned as f64 / all.len() as f64;
    assert!((0.88..=0.99).contains(&rate), "{rate}");
    for r in &all {
        assert_eq!(r.len(), header.len());
        if r[1].is_empty() {
            assert!(r[2..].iter().all(|s| s.is_empty()), "{r:?}");
            continue;
        }
        assert!(
            r[1].len() == 10 && r[1].starts_with("2020-") && &r[1][7..8] == "-",
            "{r:?}"
        );
        for (q, a) in header.iter().zip(r.iter()).skip(2) {
            match *q {
                "besok_dagar" => assert!(a.is_empty() || a.parse::<u32>().is_ok(), "{a}"),
                "handlaggare_ars" => {
                    assert!(
                        a.is_empty()
                            || (a.contains(',') && a.replace(',', ".").parse::<f64>().is_ok()),
                        "{a}"
                    )
                }
                "individuella_moten" => assert!(
                    ["Helt", "Delvis", "Inte alls", "Vet ej", ""].contains(a),
                    "{a}"
                ),
                _ => assert!(["Ja", "Nej", "Vet ej", ""].contains(a), "{q} {a}"),
            }
        }
    }
}

#[test]
fn national_totals_at_small_scale_scale_back_to_the_published_figures() {
    let d = tempfile::tempdir().unwrap();
    let report = run(d.path(), 2012..=2016, 0.05, 1, vec![]);
    let mut checked = 0;
    for year in [2012, 2014, 2016] {
        let y = report.year(year).unwrap();
        for f in Figure::ALL {
            let (Some(p), Some(g)) = (y.published(f), y.at_national_scale(f, 0.05)) else {
                continue;
            };
            // calibration.md: within about ±10 % at scale 1.0.
            assert!(
                (g - p).abs() <= 0.1 * p,
                "{year} {f:?}: generated {g:.1}, published {p:.1}"
            );
            checked += 1;
        }
    }
    // 2012: households, recipients, adults, children, tkr, share, long-term, children %;
    // 2014: population, households, recipients, tkr, share, very long-term, young, children %;
    // 2016: population, households, recipients, adults, children, women, men, tkr, share,
    // long-term, kronor per inhabitant.
    assert_eq!(checked, 8 + 8 + 11);
    // The very long-term share needs two earlier generated years.
    assert!(
        report
            .year(2013)
            .unwrap()
            .generated(Figure::VeryLongTermPct)
            .is_none()
    );
    let shown = report.to_string();
    assert!(
        shown.contains("riket 2014") && shown.contains("very long-term"),
        "{shown}"
    );
}

#[test]
fn households_per_case_worker_is_about_35() {
    let d = tempfile::tempdir().unwrap();
    run(d.path(), 2017..=2017, 0.05, 1, vec![]);
    let enkat = text(d.path(), 2017, "enkat.csv");
    let mut fte: HashMap<String, f64> = HashMap::new();
    for r in rows(&enkat, ';') {
        if let Ok(v) = r.last().unwrap().replace(',', ".").parse::<f64>() {
            fte.insert(r[0].to_string(), v);
        }
    }
    let reg = text(d.path(), 2017, "register.tsv");
    let mut paid = 0u64;
    for r in rows(&reg, '\t') {
        let unit = format!("{}{}", r[2], r[3]);
        if r[6] != "0" && fte.contains_key(&unit) {
            paid += 1;
        }
    }
    // domain.md: riket about 35 households with a paid month (mean over 12 months) per FTE.
    let ratio = paid as f64 / 12.0 / fte.values().sum::<f64>();
    assert!((30.0..=40.0).contains(&ratio), "{ratio}");
}

/// The register rows of one year keyed by household-month, for comparisons.
fn register_keys(t: &str) -> BTreeMap<(String, String, String), usize> {
    let mut m = BTreeMap::new();
    for r in rows(t, '\t') {
        *m.entry((r[1].to_string(), r[2].to_string(), r[4].to_string()))
            .or_insert(0) += 1;
    }
    m
}

#[test]
fn each_fault_leaves_its_defect() {
    let (clean, bad) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run(clean.path(), 2019..=2019, 0.02, 6, vec![]);
    let report = run(bad.path(), 2019..=2019, 0.02, 6, Fault::all().to_vec());
    assert!(
        report.faults.len() >= Fault::all().len(),
        "{:?}",
        report.faults
    );

    // windows1252: regioner.csv is not UTF-8; "Stockholms län" has ä = 0xE4 in Windows-1252.
    let reg_bytes = bytes(bad.path(), 2019, "regioner.csv");
    assert!(std::str::from_utf8(&reg_bytes).is_err());
    assert!(reg_bytes.windows(14).any(|w| w == b"Stockholms l\xe4n"));
    // … and register.tsv starts with the Swedish header names in Windows-1252 (å = 0xE5).
    let raw = bytes(bad.path(), 2019, "register.tsv");
    assert!(raw.starts_with(b"\xe5r\tm\xe5nad\tkommun\tdistrikt\thush\xe5ll_id\t"));
    // bad_header: `belopp` instead of `belopp_kr`.
    let header_end = raw.iter().position(|&b| b == b'\n').unwrap();
    let header = &raw[..header_end];
    assert!(
        header.windows(8).any(|w| w == b"\tbelopp\t")
            && !header.windows(9).any(|w| w == b"belopp_kr")
    );

    let body = std::str::from_utf8(&raw[header_end + 1..]).unwrap();
    let clean_reg = text(clean.path(), 2019, "register.tsv");
    // truncated: the file ends inside its last row (no newline, fewer than 27 fields).
    assert!(!body.ends_with('\n'));
    assert!(body.lines().last().unwrap().split('\t').count() < 27);
    let full: Vec<Vec<&str>> = body
        .lines()
        .map(|l| l.split('\t').collect())
        .filter(|r: &Vec<&str>| r.len() == 27)
        .collect();
    // bad_kommun: 3 rows with kommun 9999.
    assert_eq!(full.iter().filter(|r| r[2] == "9999").count(), 3);
    // negative_amount: 2 rows with a negative belopp_kr.
    assert_eq!(full.iter().filter(|r| r[6].starts_with('-')).count(), 2);
    // duplicates: 5 household-months appear twice.
    let mut seen: HashMap<(&str, &str, &str), usize> = HashMap::new();
    for r in &full {
        *seen.entry((r[1], r[2], r[4])).or_insert(0) += 1;
    }
    assert_eq!(seen.values().filter(|&&n| n == 2).count(), 5);
    // missing_month: exactly one kommun-month of the clean drop has no row at all.
    let months = |rows: &mut dyn Iterator<Item = (String, String)>| rows.collect::<BTreeSet<_>>();
    let clean_months = months(
        &mut rows(&clean_reg, '\t')
            .into_iter()
            .map(|r| (r[2].to_string(), r[1].to_string())),
    );
    let bad_months = months(
        &mut body
            .lines()
            .map(|l| l.split('\t').collect::<Vec<_>>())
            .filter(|r| r.len() > 2)
            .map(|r| (r[2].to_string(), r[1].to_string())),
    );
    let lost: Vec<_> = clean_months.difference(&bad_months).collect();
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert_eq!(clean_months.len(), 3480);
    // Apart from the defects, the rows are those of the clean drop.
    assert!(register_keys(&clean_reg).len() > full.len() / 2);

    // population_gap: one kommun has no befolkning rows (289 kommuner remain).
    let bef = text(bad.path(), 2019, "befolkning.csv");
    let kommuner: BTreeSet<&str> = rows(&bef, ';')
        .into_iter()
        .map(|r| r[0])
        .filter(|r| r.len() == 4)
        .collect();
    assert_eq!(kommuner.len(), 289);
    // survey_unknown_question: the extra column ends the header.
    let enkat = text(bad.path(), 2019, "enkat.csv");
    assert!(
        enkat
            .lines()
            .next()
            .unwrap()
            .ends_with(";handlaggare_ars;overenskommelse_bup")
    );
    // The clean drop has none of it.
    assert!(std::str::from_utf8(&bytes(clean.path(), 2019, "regioner.csv")).is_ok());
    assert!(clean_reg.ends_with('\n'));
    assert!(
        rows(&clean_reg, '\t')
            .iter()
            .all(|r| r[2] != "9999" && !r[6].starts_with('-'))
    );
}

#[test]
fn invalid_options_are_errors_that_say_what_to_do() {
    let d = tempfile::tempdir().unwrap();
    let opts = |years, scale| SynthOptions {
        out: d.path().to_path_buf(),
        years,
        scale,
        seed: 1,
        faults: vec![],
    };
    let e = generate(
        &opts(std::ops::RangeInclusive::new(2020, 2019), 1.0),
        &fixtures::project().survey,
    )
    .unwrap_err();
    assert!(matches!(e, SynthError::Years { .. }), "{e}");
    let e = generate(&opts(2000..=2001, 1.0), &fixtures::project().survey).unwrap_err();
    assert!(e.to_string().contains("2007"), "{e}");
    let e = generate(&opts(2020..=2020, 0.0), &fixtures::project().survey).unwrap_err();
    assert!(matches!(e, SynthError::Scale(_)), "{e}");
    // MAX_SCALE is 10 (ten times national size).
    let e = generate(&opts(2020..=2020, 10.5), &fixtures::project().survey).unwrap_err();
    assert!(e.to_string().contains("at most 10"), "{e}");
    let file = d.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let mut o = opts(2020..=2020, 0.01);
    o.out = file.clone();
    let e = generate(&o, &fixtures::project().survey).unwrap_err();
    assert!(
        matches!(e, SynthError::Io { .. }) && e.to_string().contains("not-a-dir"),
        "{e}"
    );
    let e = "windows-1252".parse::<Fault>().unwrap_err();
    assert!(e.to_string().contains("windows1252"), "{e}");
    assert_eq!(
        "missing_month".parse::<Fault>().unwrap(),
        Fault::MissingMonth
    );
}

#[test]
#[ignore = "prints the calibration report; SYNTH_YEARS=2018..2022 SYNTH_SCALE=0.05 SYNTH_OUT=dir"]
fn print_calibration_report() {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    let years = env("SYNTH_YEARS", "2015..2017");
    let (a, b) = years.split_once("..").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = std::env::var("SYNTH_OUT")
        .map(std::path::PathBuf::from)
        .unwrap_or(dir.path().to_path_buf());
    let faults = env("SYNTH_FAULTS", "");
    let faults = faults
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    let t = std::time::Instant::now();
    let r = run(
        &out,
        a.parse().unwrap()..=b.parse().unwrap(),
        env("SYNTH_SCALE", "0.05").parse().unwrap(),
        1,
        faults,
    );
    println!("{r}\ngenerated in {:?}", t.elapsed());
}

/// `generate_with` tells of every simulated year in order – the warm-up years (from 2006: four
/// before 2010) and then each requested year once its five files are complete – and a `Break`
/// stops it after that year: the next year is never written. Its drop is the same as a whole
/// run's (the demo ingests a year while later ones are generated).
#[test]
fn each_year_is_told_when_written_and_a_break_stops_after_it() {
    use oj::synth::{YearDone, generate_with};
    use std::ops::ControlFlow;
    let d = tempfile::tempdir().unwrap();
    let opts = SynthOptions {
        out: d.path().join("stopped"),
        years: 2012..=2013,
        scale: 0.01,
        seed: 3,
        faults: vec![],
    };
    let mut told = Vec::new();
    generate_with(&opts, &fixtures::project().survey, &mut |done| {
        if let YearDone::Written(year) = done {
            for file in FILES {
                assert!(
                    opts.out.join(year.to_string()).join(file).is_file(),
                    "{year}/{file} not written when told"
                );
            }
        }
        told.push(done);
        if done == YearDone::Written(2012) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .unwrap();
    let mut expected: Vec<YearDone> = (2006..=2011).map(YearDone::WarmUp).collect();
    expected.push(YearDone::Written(2012));
    assert_eq!(told, expected);
    assert!(
        !opts.out.join("2013").exists(),
        "2013 written after the break"
    );
    let whole = d.path().join("whole");
    run(&whole, 2012..=2013, 0.01, 3, vec![]);
    for file in FILES {
        assert_eq!(
            bytes(&opts.out, 2012, file),
            bytes(&whole, 2012, file),
            "{file}"
        );
    }
}
