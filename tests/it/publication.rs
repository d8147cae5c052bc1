//! The publication: workbook read back cell by cell, the report's and the profile's figures, the
//! errors on broken rows, and (when /usr/bin/chromium exists) the pages in a real browser.

mod browser;
mod fixture;

use calamine::{Data, Range, Reader, Xlsx, open_workbook_from_rs};
use fixture::{ARBL, Fixture, HPH, JOUR, MOTT, R, SVARS, TKR, VUXNA, batch, rows_2017};
use oj::render::{
    PublicationError, PublicationInput, region_profile_html, report_html, workbook,
    workbook_file_name,
};
use oj::vocab::IndicatorKind;
use std::collections::HashMap;
use std::io::{Cursor, Read};

fn open(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("workbook opens in calamine")
}

/// The group label a reader sees (outputs.md groups in Swedish).
fn group_label(g: &str) -> &str {
    match g {
        "totalt" => "Totalt",
        "kvinnor" => "Kvinnor",
        "man" => "Män",
        other => panic!("no label for {other}"),
    }
}

/// The three header rows, merged cells filled in from the left: (indicator, group, column).
fn headers(range: &Range<Data>) -> Vec<(String, String, String)> {
    // Positions below are relative to the range, which must start at A1.
    assert_eq!(range.start(), Some((0, 0)));
    let width = range.width();
    let text = |r: usize, c: usize| range.get((r, c)).map(|d| d.to_string()).unwrap_or_default();
    let (mut ind, mut grp) = (String::new(), String::new());
    (0..width)
        .map(|c| {
            if !text(0, c).is_empty() {
                ind = text(0, c);
            }
            if !text(1, c).is_empty() {
                grp = text(1, c);
            }
            (ind.clone(), grp.clone(), text(2, c))
        })
        .collect()
}

/// Row index of each region code in column A.
fn row_of(range: &Range<Data>) -> HashMap<String, usize> {
    (3..range.height())
        .map(|r| {
            (
                range.get((r, 0)).map(|d| d.to_string()).unwrap_or_default(),
                r,
            )
        })
        .collect()
}

fn col(heads: &[(String, String, String)], ind: &str, grp: &str, column: &str) -> usize {
    heads
        .iter()
        .position(|(i, g, c)| i == ind && g == grp && c.starts_with(column))
        .unwrap_or_else(|| panic!("no column {ind} / {grp} / {column} in {heads:?}"))
}

fn num(v: Option<f64>) -> Data {
    v.map(Data::Float).unwrap_or(Data::Empty)
}

fn namn(id: &str) -> String {
    fixture::metadata()
        .into_iter()
        .find(|m| m.id == id)
        .unwrap()
        .namn
}

/// Compares every 2017 row of `ids` with the sheet: value or marker, previous year, change and
/// (for survey shares) the number of respondents; and checks there are no other indicator cells.
fn assert_sheet_matches(
    range: &Range<Data>,
    ids: &[&str],
    levels: &[&str],
    keys: usize,
    answers: bool,
    with_namnare: bool,
) {
    let heads = headers(range);
    let rows = row_of(range);
    let mut expected_cells = 0;
    for r in rows_2017()
        .iter()
        .filter(|r| ids.contains(&r.indikator) && levels.contains(&r.niva))
    {
        let row = *rows
            .get(r.region)
            .unwrap_or_else(|| panic!("no row {}", r.region));
        let name = namn(r.indikator);
        let g = group_label(r.grupp);
        let is_answer = answers && r.indikator != HPH;
        let answer = |v: Option<f64>| match v {
            Some(x) if x > 0.0 => Data::String("Ja".into()),
            Some(_) => Data::String("Nej".into()),
            None => Data::Empty,
        };
        let value = match (r.status, is_answer) {
            ("", true) => answer(r.varde),
            ("", false) => num(r.varde),
            (marker, _) => Data::String(marker.into()),
        };
        let at = |column: &str| range.get((row, col(&heads, &name, g, column))).cloned();
        assert_eq!(at("2017"), Some(value.clone()), "{r:?}");
        let prev = if is_answer {
            answer(r.prev)
        } else {
            num(r.prev)
        };
        assert_eq!(at("2016").unwrap_or(Data::Empty), prev, "{r:?}");
        expected_cells += 1 + usize::from(prev != Data::Empty);
        if !is_answer {
            assert_eq!(
                at("Förändring").unwrap_or(Data::Empty),
                num(r.change),
                "{r:?}"
            );
            expected_cells += usize::from(r.change.is_some());
        }
        if with_namnare {
            let label = fixture::metadata()
                .into_iter()
                .find(|m| m.id == r.indikator)
                .and_then(|m| m.namnare)
                .unwrap();
            assert_eq!(at(&label).unwrap_or(Data::Empty), num(r.namnare), "{r:?}");
            expected_cells += usize::from(r.namnare.is_some());
        }
    }
    let written = (3..range.height())
        .flat_map(|r| (keys..range.width()).map(move |c| (r, c)))
        .filter(|&p| range.get(p).is_some_and(|d| *d != Data::Empty))
        .count();
    assert_eq!(
        written, expected_cells,
        "indicator cells beyond the input rows"
    );
}

fn codes(range: &Range<Data>) -> Vec<String> {
    (3..range.height())
        .map(|r| range.get((r, 0)).unwrap().to_string())
        .collect()
}

#[test]
fn workbook_has_the_publication_sheets_in_order() {
    let f = Fixture::new();
    let mut wb = open(&workbook(&f.input()).unwrap());
    assert_eq!(
        wb.sheet_names(),
        vec![
            "Om filen",
            "Register",
            "Bakgrundsmått",
            "Enkät",
            "Enkät andelar"
        ]
    );
    assert_eq!(workbook_file_name(2017), "oj_ekonomiskt_bistand_2017.xlsx");
    drop(wb.worksheet_range("Om filen").unwrap());
}

#[test]
fn register_sheet_holds_every_value_and_marker_of_the_rows() {
    let f = Fixture::new();
    let mut wb = open(&workbook(&f.input()).unwrap());
    let range = wb.worksheet_range("Register").unwrap();
    // Order: riket; län 01 with its kommuner (stadsdel 018001 right after 0180); län 03; then
    // kommungrupp A1; then storleksklasser small to large.
    assert_eq!(
        codes(&range),
        [
            "00",
            "01",
            "0114",
            "0180",
            "018001",
            "03",
            "0305",
            "0380",
            "A1",
            "15000-49999",
            ">=200000"
        ]
    );
    assert_sheet_matches(
        &range,
        &[MOTT, VUXNA, TKR],
        &[
            "riket",
            "lan",
            "kommun",
            "stadsdel",
            "kommungrupp",
            "storleksklass",
        ],
        6,
        false,
        false,
    );
    // By hand: 0114 is row 3+2 = 5; reg_vuxna kvinnor 2017 is the 4th block after 6 key columns
    // (mott totalt 6..8, vuxna totalt 9..11, kvinnor 12..14) → column 12 shows "..".
    assert_eq!(range.get((5, 12)), Some(&Data::String("..".into())));
    // Key columns of 0114: Upplands Väsby, kommun, Stockholms län, B3, 45 100.
    let keys: Vec<Data> = (0..6).map(|c| range.get((5, c)).unwrap().clone()).collect();
    assert_eq!(
        keys,
        vec![
            Data::String("0114".into()),
            Data::String("Upplands Väsby".into()),
            Data::String("kommun".into()),
            Data::String("Stockholms län".into()),
            Data::String("B3".into()),
            Data::Float(45100.0),
        ]
    );
    // The stadsdel takes its kommun's län and kommungrupp.
    assert_eq!(
        range.get((7, 3)),
        Some(&Data::String("Stockholms län".into()))
    );
    assert_eq!(range.get((7, 4)), Some(&Data::String("A1".into())));
}

#[test]
fn background_and_survey_sheets_hold_every_value_and_marker() {
    let f = Fixture::new();
    let mut wb = open(&workbook(&f.input()).unwrap());
    let bak = wb.worksheet_range("Bakgrundsmått").unwrap();
    assert_eq!(
        codes(&bak),
        ["00", "01", "0114", "0180", "03", "0305", "0380"]
    );
    assert_sheet_matches(&bak, &[ARBL], &["riket", "lan", "kommun"], 6, false, false);

    let enk = wb.worksheet_range("Enkät").unwrap();
    assert_eq!(codes(&enk), ["0114", "018001", "0305", "0380"]);
    assert_sheet_matches(
        &enk,
        &[JOUR, SVARS, HPH],
        &["kommun", "stadsdel"],
        6,
        true,
        false,
    );
    // By hand: 0305 Håbo answered Nej in 2017 and Ja in 2016; 0380 did not return (-).
    let heads = headers(&enk);
    let jour = namn(JOUR);
    let c17 = col(&heads, &jour, "Totalt", "2017");
    assert_eq!(enk.get((5, c17)), Some(&Data::String("Nej".into())));
    assert_eq!(enk.get((5, c17 + 1)), Some(&Data::String("Ja".into())));
    assert_eq!(enk.get((6, c17)), Some(&Data::String("-".into())));

    let andelar = wb.worksheet_range("Enkät andelar").unwrap();
    assert_eq!(codes(&andelar), ["00", "01", "03", "A1", "15000-49999"]);
    assert_sheet_matches(
        &andelar,
        &[JOUR, SVARS, HPH],
        &["riket", "lan", "kommungrupp", "storleksklass"],
        3,
        false,
        true,
    );
    // By hand: riket social jour 66.7 % of n = 3 respondents.
    let heads = headers(&andelar);
    let c = col(&heads, &jour, "Totalt", "2017");
    assert_eq!(andelar.get((3, c)), Some(&Data::Float(66.7)));
    assert_eq!(andelar.get((3, c + 1)), Some(&Data::Float(3.0)));
}

#[test]
fn about_sheet_defines_release_markers_and_every_indicator_from_metadata() {
    let f = Fixture::new();
    let mut wb = open(&workbook(&f.input()).unwrap());
    let about = wb.worksheet_range("Om filen").unwrap();
    let cells: Vec<String> = about.cells().map(|(_, _, d)| d.to_string()).collect();
    for expected in [
        "2017",
        "v002",
        "2018-03-01 09:30 UTC",
        "Registret över ekonomiskt bistånd 2017",
        "Kommunenkät 2017 <Socialstyrelsen & SKL>",
        "..",
        "-",
        ".",
    ] {
        assert!(cells.iter().any(|c| c == expected), "missing {expected:?}");
    }
    for m in fixture::metadata() {
        assert!(cells.contains(&m.id), "{}", m.id);
        assert!(cells.contains(&m.namn), "{}", m.namn);
        assert!(cells.contains(m.taljare.as_ref().unwrap()));
        if let Some(n) = &m.namnare {
            assert!(cells.contains(n));
        }
        assert!(cells.contains(&m.grupper.join(", ")));
    }
    // The legend explains the three markers in Swedish.
    let joined = cells.join("\n");
    for word in ["Sekretess", "Bortfall/saknas", "Ej tillämpligt"] {
        assert!(joined.contains(word), "{word}");
    }
}

fn xml(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn data_sheets_freeze_headers_and_filter_and_formats_are_set() {
    let f = Fixture::new();
    let bytes = workbook(&f.input()).unwrap();
    // Sheets 2–5 are the data sheets: 3 header rows and the code and name columns frozen
    // (top-left scrolling cell C4), an autofilter starting on the last header row (A3).
    for sheet in 2..=5 {
        let x = xml(&bytes, &format!("xl/worksheets/sheet{sheet}.xml"));
        assert!(
            x.contains(r#"<pane xSplit="2" ySplit="3" topLeftCell="C4" activePane="bottomRight" state="frozen"/>"#),
            "sheet{sheet}: {x:.600}"
        );
        assert!(x.contains(r#"<autoFilter ref="A3:"#), "sheet{sheet}");
        assert!(x.contains("<col "), "column widths set on sheet{sheet}");
    }
    let styles = xml(&bytes, "xl/styles.xml");
    for code in ["0.0", "#,##0", "+0.0;-0.0;0.0", "+#,##0;-#,##0;0"] {
        assert!(
            styles.contains(&format!("formatCode=\"{code}\"")),
            "number format {code} missing"
        );
    }
    assert!(styles.contains(r#"<alignment horizontal="right"/>"#));
    // Markers are strings (t="s"), not numbers: the .. of 0114 kvinnor is in row 6, column M.
    let register = xml(&bytes, "xl/worksheets/sheet2.xml");
    assert!(register.contains(r#"<c r="M6" s="#), "{register:.2000}");
    let m6 = register.split(r#"<c r="M6""#).nth(1).unwrap();
    assert!(m6.split("</c>").next().unwrap().contains(r#"t="s""#));
}

#[test]
fn workbook_is_reproducible() {
    let f = Fixture::new();
    assert_eq!(workbook(&f.input()).unwrap(), workbook(&f.input()).unwrap());
}

/// The text of the table with `id` in the HTML.
fn table<'h>(html: &'h str, id: &str) -> &'h str {
    let start = html
        .find(&format!("<table id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no table {id}"));
    let end = html[start..].find("</table>").unwrap();
    &html[start..start + end]
}

const SUPPRESSED: &str = r#"<span class="marker" title="sekretess">..</span>"#;
const MISSING: &str = r#"<span class="marker" title="bortfall/saknas">-</span>"#;

#[test]
fn report_shows_national_key_figures_with_previous_year() {
    let f = Fixture::new();
    let html = report_html(&f.input()).unwrap();
    let key = table(&html, "nyckeltal");
    // Riket reg_mottagare_andel: 4,3 (2016: 4,5; change −0,2 procentenheter).
    assert!(key.contains(
        "<td>Andel biståndsmottagare i befolkningen, %</td><td class=\"num\">4,3</td><td class=\"num\">4,5</td><td class=\"num\">\u{2212}0,2</td>"
    ), "{key}");
    // tkr with thousands separated by a space: 10 564 321, +152 321.
    assert!(key.contains(
        "<td class=\"num\">10 564 321</td><td class=\"num\">10 412 000</td><td class=\"num\">+152 321</td>"
    ), "{key}");
    // Background measure: 6,7 (7,0; −0,3).
    assert!(key.contains(
        "<td class=\"num\">6,7</td><td class=\"num\">7,0</td><td class=\"num\">\u{2212}0,3</td>"
    ));
    // Groups of riket: reg_vuxna kvinnor 3,5 (3,6; −0,1).
    assert!(key.contains(
        "<td>Andel vuxna (18+) biståndsmottagare i befolkningen, % – kvinnor</td><td class=\"num\">3,5</td><td class=\"num\">3,6</td><td class=\"num\">\u{2212}0,1</td>"
    ));
    assert!(html.contains("Utgåva v002, skapad 2018-03-01 09:30 UTC"));
    // Data text is escaped.
    assert!(html.contains("Kommunenkät 2017 &lt;Socialstyrelsen &amp; SKL&gt;"));
    assert!(!html.contains("<Socialstyrelsen"));
}

#[test]
fn report_marks_missing_kommuner_and_never_draws_them() {
    let f = Fixture::new();
    let html = report_html(&f.input()).unwrap();
    // reg_mottagare_andel: 0114, 0180, 0380 have values (3 kommuner); Håbo is bortfall (-).
    assert!(
        html.contains(
            "3 kommuner med publicerat värde. Riket: 4,3. Utan värde: 1 bortfall/saknas (-)."
        ),
        "{html:.3000}"
    );
    assert!(html.contains(&format!("Kommuner utan värde: Håbo {MISSING}")));
    // The län table of Uppsala län: the län itself and Håbo show '-', Uppsala 3,2.
    let lan03 = table(&html, "tabell-lan-03");
    assert!(lan03.contains(&format!(
        "<td>Uppsala län</td><td class=\"num\">{MISSING}</td>"
    )));
    assert!(lan03.contains(&format!("<td>Håbo</td><td class=\"num\">{MISSING}</td>")));
    assert!(lan03.contains("<td>Uppsala</td><td class=\"num\">3,2</td>"));
    // The stadsdel is listed under its kommun in Stockholms län.
    let lan01 = table(&html, "tabell-lan-01");
    let stockholm = lan01.find("<td>Stockholm</td>").unwrap();
    let rinkeby = lan01
        .find("<td>– Rinkeby-Kista</td><td class=\"num\">12,7</td>")
        .unwrap();
    assert!(stockholm < rinkeby);
    // Charts are inline SVG; nothing is loaded from outside the file.
    assert!(html.matches("<svg ").count() >= 6);
    assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<link"));
    let without_svg_namespace = html.replace("http://www.w3.org/2000/svg", "");
    assert!(
        !without_svg_namespace.contains("http://") && !without_svg_namespace.contains("https://")
    );
}

#[test]
fn report_trends_cover_the_available_years_with_markers() {
    let f = Fixture::new();
    let html = report_html(&f.input()).unwrap();
    assert!(html.contains("Riket 2015–2017"));
    // Riket reg_mottagare_andel: 4,6 (2015), 4,5 (2016), 4,3 (2017).
    assert!(html.contains("2015: 4,6; 2016: 4,5; 2017: 4,3"));
    // tkr has no 2015 row: only 2016 and 2017.
    assert!(html.contains("2016: 10 412 000; 2017: 10 564 321"));
}

#[test]
fn report_survey_shares_per_storleksklass_and_kommungrupp_with_respondents() {
    let f = Fixture::new();
    let html = report_html(&f.input()).unwrap();
    let sk = table(&html, "enkat-storleksklass");
    // Columns: 15 000–49 999, 200 000 och fler, Riket. Social jour: 50,0 (n=2), none, 66,7 (n=3).
    assert!(sk.contains(
        "<td>Social jour efter kontorstid, %</td><td class=\"num\">50,0 <span class=\"n\">(n=2)</span></td><td></td><td class=\"num\">66,7 <span class=\"n\">(n=3)</span></td>"
    ), "{sk}");
    assert!(sk.contains(
        "<td>Svarsfrekvens, %</td><td class=\"num\">100,0 <span class=\"n\">(n=2)</span></td>"
    ));
    let kg = table(&html, "enkat-kommungrupp");
    assert!(kg.contains("<th class=\"num\">Storstäder</th>"));
    assert!(kg.contains("<td>Social jour efter kontorstid, %</td><td class=\"num\">100,0 <span class=\"n\">(n=1)</span></td>"));
    // The storleksklass shares are also drawn (a dot chart before the table).
    let figure = html.find("<figcaption>Andel som uppfyller indikatorn per storleksklass; röd markering: riket.</figcaption>").unwrap();
    assert!(figure < html.find("<table id=\"enkat-storleksklass\">").unwrap());
}

#[test]
fn kommun_profile_shows_suppressed_cells_as_markers_not_zero() {
    let f = Fixture::new();
    let html = region_profile_html(&f.input(), "0114").unwrap();
    let t = table(&html, "profil");
    // Columns: Upplands Väsby, Stockholms län, Kommungrupp B3 (no B3 rows, so no name),
    // the storleksklass with its published name, Riket, Upplands Väsby 2016, Förändring.
    assert!(t.contains("<th class=\"num\">Upplands Väsby</th><th class=\"num\">Stockholms län</th><th class=\"num\">Kommungrupp B3</th><th class=\"num\">15 000–49 999 invånare</th><th class=\"num\">Riket</th>"), "{t}");
    // reg_mottagare_andel: 5,1 vs län 3,9, no B3 row, 15000-49999 3,7, riket 4,3; 2016 5,3; −0,2.
    assert!(t.contains("<td>Totalt</td><td class=\"num\">5,1</td><td class=\"num\">3,9</td><td></td><td class=\"num\">3,7</td><td class=\"num\">4,3</td><td class=\"num\">5,3</td><td class=\"num\">\u{2212}0,2</td>"), "{t}");
    // reg_vuxna kvinnor is suppressed: '..' (previous year 4,1 shown, no change), riket 3,5.
    assert!(t.contains(&format!("<td>Kvinnor</td><td class=\"num\">{SUPPRESSED}</td><td></td><td></td><td></td><td class=\"num\">3,5</td><td class=\"num\">4,1</td><td class=\"num\"></td>")), "{t}");
    assert!(!t.contains("<td>Kvinnor</td><td class=\"num\">0"));
    // Survey: Ja both years; län 01 100,0 (n=2); riket 66,7 (n=3).
    let e = table(&html, "profil-enkat");
    assert!(e.contains("<td>Social jour efter kontorstid, %</td><td class=\"num\">Ja</td><td class=\"num\">Ja</td><td class=\"num\">100,0 <span class=\"n\">(n=2)</span></td>"), "{e}");
    // Trend: Upplands Väsby 2015 was suppressed and is listed as such.
    assert!(
        html.contains("Upplands Väsby – 2015: ..; 2016: 5,3; 2017: 5,1"),
        "{html:.4000}"
    );
    assert!(html.contains(
        "Kommun i Stockholms län, kommungrupp B3, storleksklass 15000-49999, 45 100 invånare"
    ));
}

#[test]
fn stadsdel_profile_compares_with_its_kommun() {
    let f = Fixture::new();
    let html = region_profile_html(&f.input(), "018001").unwrap();
    let t = table(&html, "profil");
    // Rinkeby-Kista 12,7 vs Stockholm 4,4 vs Stockholms län 3,9 vs A1 4,6, >=200000 4,2, riket 4,3.
    assert!(t.contains("<td>Totalt</td><td class=\"num\">12,7</td><td class=\"num\">4,4</td><td class=\"num\">3,9</td><td class=\"num\">4,6</td><td class=\"num\">4,2</td><td class=\"num\">4,3</td>"), "{t}");
    // The kommun's population is not the stadsdel's.
    assert!(html.contains("Stadsdel i Stockholms län, kommungrupp A1, storleksklass &gt;=200000."));
    assert!(!html.contains("949 761"));
}

#[test]
fn profile_of_an_unknown_region_is_refused() {
    let f = Fixture::new();
    for code in ["9999", "01", "00"] {
        let err = region_profile_html(&f.input(), code).unwrap_err();
        assert!(
            matches!(err, PublicationError::UnknownRegion { .. }),
            "{err}"
        );
        assert!(err.to_string().contains(code));
    }
}

/// Runs the workbook on the fixture with one 2017 row changed.
fn with_row(change: impl Fn(&mut R)) -> PublicationError {
    let f = Fixture::new();
    let mut rows = rows_2017();
    change(&mut rows[3]);
    let batches = vec![batch(2017, &rows)];
    let input = PublicationInput {
        rows: &batches,
        ..f.input()
    };
    workbook(&input).unwrap_err()
}

#[test]
fn broken_rows_are_refused_with_row_and_rule() {
    let err = with_row(|r| r.status = "x");
    assert!(
        err.to_string()
            .contains("row 4: column `status` = \"x\": unknown status"),
        "{err}"
    );
    // A suppressed row that still carries a value would publish it.
    let err = with_row(|r| r.status = "..");
    assert!(
        err.to_string().contains("row 4: column `varde` = \"5.1\""),
        "{err}"
    );
    let err = with_row(|r| {
        r.status = "..";
        r.varde = None;
    });
    assert!(err.to_string().contains("`taljare`"), "{err}");
    let err = with_row(|r| {
        r.status = "-";
        r.varde = None;
        r.taljare = None;
        r.namnare = None;
    });
    assert!(err.to_string().contains("`forandring`"), "{err}");
    let err = with_row(|r| r.varde = None);
    assert!(
        err.to_string()
            .contains("a published row (status '') needs a value"),
        "{err}"
    );
    let err = with_row(|r| r.varde = Some(f64::NAN));
    assert!(err.to_string().contains("finite"), "{err}");
    let err = with_row(|r| r.niva = "landsting");
    assert!(err.to_string().contains("unknown level"), "{err}");
    let err = with_row(|r| r.grupp = "barn");
    assert!(err.to_string().contains("unknown group"), "{err}");
    // A group the metadata does not publish would have no column: refused, not dropped.
    let err = with_row(|r| r.grupp = "utrikes");
    assert!(
        err.to_string().contains(
            "row 4: column `grupp` = \"utrikes\": reg_mottagare_andel publishes only the groups totalt"
        ),
        "{err}"
    );
    let err = with_row(|r| r.indikator = "reg_okand");
    assert!(
        matches!(err, PublicationError::UnknownIndicator { ref id, .. } if id == "reg_okand"),
        "{err}"
    );
    let err = with_row(|r| r.region = "0180");
    assert!(
        err.to_string()
            .contains("row 5: duplicate key (2017, reg_mottagare_andel, kommun, 0180, totalt)"),
        "{err}"
    );
}

#[test]
fn wrong_year_missing_column_and_wrong_type_are_refused() {
    let f = Fixture::new();
    let batches = vec![batch(2016, &rows_2017())];
    let err = workbook(&PublicationInput {
        rows: &batches,
        ..f.input()
    })
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("indikatorer 2017: row 1: column `ar` = \"2016\": expected the year 2017"),
        "{err}"
    );

    let full = batch(2017, &rows_2017());
    let without = full.project(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).unwrap();
    let err = report_html(&PublicationInput {
        rows: &[without],
        ..f.input()
    })
    .unwrap_err();
    assert!(
        matches!(
            err,
            PublicationError::MissingColumn {
                column: "forandring",
                ..
            }
        ),
        "{err}"
    );

    let mut columns = full.columns().to_vec();
    let mut fields: Vec<arrow::datatypes::Field> = full
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    columns[6] = std::sync::Arc::new(arrow::array::StringArray::from(vec![
        "4,3";
        full.num_rows()
    ]));
    fields[6] = arrow::datatypes::Field::new("varde", arrow::datatypes::DataType::Utf8, true);
    let wrong = arrow::record_batch::RecordBatch::try_new(
        std::sync::Arc::new(arrow::datatypes::Schema::new(fields)),
        columns,
    )
    .unwrap();
    let err = workbook(&PublicationInput {
        rows: &[wrong],
        ..f.input()
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "indikatorer 2017: column `varde` has type Utf8, expected Float64"
    );
}

#[test]
fn text_columns_read_back_as_utf8_view_are_accepted() {
    // Parquet read through DataFusion yields Utf8View; the publication must take it.
    let f = Fixture::new();
    let full = batch(2017, &rows_2017());
    let schema = full.schema();
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (field, column) in schema.fields().iter().zip(full.columns()) {
        if field.data_type() == &arrow::datatypes::DataType::Utf8 {
            let view = arrow::compute::cast(column, &arrow::datatypes::DataType::Utf8View).unwrap();
            fields.push(arrow::datatypes::Field::new(
                field.name(),
                arrow::datatypes::DataType::Utf8View,
                true,
            ));
            columns.push(view);
        } else {
            fields.push(field.as_ref().clone());
            columns.push(column.clone());
        }
    }
    let view = arrow::record_batch::RecordBatch::try_new(
        std::sync::Arc::new(arrow::datatypes::Schema::new(fields)),
        columns,
    )
    .unwrap();
    let batches = [view];
    let via_view = workbook(&PublicationInput {
        rows: &batches,
        ..f.input()
    })
    .unwrap();
    assert_eq!(via_view, workbook(&f.input()).unwrap());
}

#[test]
fn duplicate_metadata_is_refused() {
    let f = Fixture::new();
    let mut meta = f.meta.clone();
    meta.push(meta[0].clone());
    let err = report_html(&PublicationInput {
        meta: &meta,
        ..f.input()
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "indicator metadata lists `reg_mottagare_andel` twice (hint: ids must be unique across pipelines/)"
    );
}

#[test]
fn pipeline_indicator_metadata_deserializes_into_indicator_meta() {
    // The `indicators:` entries of pipelines/ekonomiskt_bistand.yaml map one to one onto
    // IndicatorMeta: 11 register indicators and 7 background measures (domain.md).
    #[derive(serde::Deserialize)]
    struct Pipeline {
        indicators: Vec<oj::render::IndicatorMeta>,
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pipelines/ekonomiskt_bistand.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let p: Pipeline = oj::yaml::parse(path, &text).unwrap();
    use oj::render::IndicatorSource;
    let count = |s| p.indicators.iter().filter(|m| m.source == s).count();
    assert_eq!(count(IndicatorSource::Register), 11);
    assert_eq!(count(IndicatorSource::Bakgrund), 7);
    let tkr = p
        .indicators
        .iter()
        .find(|m| m.id == "reg_belopp_tkr")
        .unwrap();
    assert_eq!(tkr.kind, IndicatorKind::Tkr);
    assert_eq!(tkr.namnare, None);
    let vuxna = p
        .indicators
        .iter()
        .find(|m| m.id == "reg_vuxna_mottagare_andel")
        .unwrap();
    assert_eq!(
        vuxna.grupper,
        ["totalt", "kvinnor", "man", "inrikes", "utrikes"]
    );
}

#[test]
fn a_release_without_survey_rows_still_has_every_sheet() {
    let f = Fixture::new();
    let register_only: Vec<R> = rows_2017()
        .into_iter()
        .filter(|r| r.indikator.starts_with("reg_"))
        .collect();
    let batches = [batch(2017, &register_only)];
    let input = PublicationInput {
        rows: &batches,
        earlier: &[],
        regions: None,
        ..f.input()
    };
    let mut wb = open(&workbook(&input).unwrap());
    assert_eq!(wb.sheet_names().len(), 5);
    // Only the six key headers, on the third header row (A3:F3), and no data rows.
    let enk = wb.worksheet_range("Enkät").unwrap();
    assert_eq!((enk.start(), enk.end()), (Some((2, 0)), Some((2, 5))));
    assert_eq!(
        enk.get_value((2, 5)),
        Some(&Data::String("Folkmängd".into()))
    );
    // Without region facts, kommungrupp and folkmängd are empty and län comes from the code.
    let reg = wb.worksheet_range("Register").unwrap();
    assert_eq!(
        reg.get((5, 3)),
        Some(&Data::String("Stockholms län".into()))
    );
    assert_eq!(reg.get((5, 4)), Some(&Data::Empty));
    let html = report_html(&input).unwrap();
    assert!(html.contains("Inga enkätindikatorer i denna utgåva."));
    // With no earlier releases the trend covers 2017 only.
    assert!(html.contains("<p>Riket 2017, enligt de utgåvor som finns.</p>"));
}

#[test]
fn an_unknown_version_is_left_out_not_printed_empty() {
    // The publish stage may build the files before it claims the version folder.
    let mut f = Fixture::new();
    f.info.version = String::new();
    let html = report_html(&f.input()).unwrap();
    assert!(html.contains("<p class=\"meta\">Skapad 2018-03-01 09:30 UTC. Datakällor:"));
    assert!(!html.contains("Utgåva"));
    let mut wb = open(&workbook(&f.input()).unwrap());
    let about = wb.worksheet_range("Om filen").unwrap();
    assert!(
        about
            .cells()
            .all(|(_, _, d)| *d != Data::String("Version".into()))
    );
    // År on row 2, Skapad right below it.
    assert_eq!(
        about.get_value((3, 0)),
        Some(&Data::String("Skapad".into()))
    );
}

#[test]
fn an_indicator_without_kommun_values_draws_no_chart_and_lists_no_290_names() {
    // reg_mottagare_andel not applicable ('.') in 41 kommuner of län 01, riket 4,3.
    let f = Fixture::new();
    let mut rows: Vec<R> = (0..41)
        .map(|k| {
            let code: &'static str = Box::leak(format!("01{k:02}").into_boxed_str());
            R {
                indikator: MOTT,
                niva: "kommun",
                region: code,
                namn: code,
                grupp: "totalt",
                varde: None,
                taljare: None,
                namnare: None,
                status: ".",
                prev: None,
                change: None,
            }
        })
        .collect();
    rows.push(rows_2017()[0].clone());
    let batches = [batch(2017, &rows)];
    let html = report_html(&PublicationInput {
        rows: &batches,
        ..f.input()
    })
    .unwrap();
    assert!(html.contains(
        "<p><strong>Inget kommunvärde publicerat.</strong> 0 kommuner med publicerat värde. Riket: 4,3. Utan värde: 41 ej tillämpligt (.).</p>"
    ));
    assert!(html.contains("Kommunerna utan värde visas i tabellerna per län nedan."));
    assert!(!html.contains("Kommuner utan värde:"));
    // No distribution chart; the one trend chart (riket) remains.
    assert_eq!(html.matches("<svg ").count(), 1);
}

#[test]
fn project_metadata_covers_register_background_and_the_years_survey() {
    let project =
        oj::pipeline::load_project(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
    let m2019 = oj::render::indicator_meta(&project, 2019).unwrap();
    let m2020 = oj::render::indicator_meta(&project, 2020).unwrap();
    use oj::render::IndicatorSource;
    let count = |m: &[oj::render::IndicatorMeta], s| m.iter().filter(|x| x.source == s).count();
    // domain.md: 11 register indicators and 7 background measures, every year.
    assert_eq!(count(&m2020, IndicatorSource::Register), 11);
    assert_eq!(count(&m2020, IndicatorSource::Bakgrund), 7);
    // Individual meetings (helt_delvis) from 2020: two more survey indicators than 2019.
    let has = |m: &[oj::render::IndicatorMeta], id: &str| m.iter().any(|x| x.id == id);
    assert!(
        has(&m2020, "enk_individuella_moten_helt")
            && has(&m2020, "enk_individuella_moten_helt_delvis")
    );
    assert!(!has(&m2019, "enk_individuella_moten_helt"));
    assert_eq!(
        count(&m2020, IndicatorSource::Enkat),
        count(&m2019, IndicatorSource::Enkat) + 2
    );
    let hph = m2020
        .iter()
        .find(|x| x.id == "enk_hushall_per_handlaggare")
        .unwrap();
    assert_eq!(hph.kind, IndicatorKind::Kvot);
    assert_eq!(hph.grupper, ["totalt"]);
    // Texts are the configuration's own; survey shares carry ", %" from the survey config.
    let svar = m2020.iter().find(|x| x.id == "enk_svarsfrekvens").unwrap();
    assert_eq!(svar.namn, "Svarsfrekvens, %");
}

#[test]
fn release_files_are_the_workbook_and_the_report() {
    let f = Fixture::new();
    let files = oj::render::release_files(&f.input()).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["oj_ekonomiskt_bistand_2017.xlsx", "rapport.html"]);
    assert_eq!(files[0].bytes, workbook(&f.input()).unwrap());
    assert_eq!(
        files[1].bytes,
        report_html(&f.input()).unwrap().into_bytes()
    );
}

#[test]
fn region_facts_come_from_int_kommun_rows() {
    use arrow::array::{ArrayRef, Int64Array, StringArray};
    use std::sync::Arc;
    let text = |v: Vec<Option<&str>>| -> ArrayRef { Arc::new(StringArray::from(v)) };
    let batch = arrow::record_batch::RecordBatch::try_from_iter(vec![
        ("kommun", text(vec![Some("0114"), Some("0305")])),
        ("lan", text(vec![Some("01"), Some("03")])),
        ("kommungrupp", text(vec![Some("B3"), None])),
        (
            "befolkning",
            Arc::new(Int64Array::from(vec![45100, 21000])) as ArrayRef,
        ),
        (
            "storleksklass",
            text(vec![Some("15000-49999"), Some("15000-49999")]),
        ),
        (
            "bortfall",
            Arc::new(Int64Array::from(vec![0, 1])) as ArrayRef,
        ),
    ])
    .unwrap();
    let facts = oj::render::region_facts(std::slice::from_ref(&batch)).unwrap();
    assert_eq!(facts.len(), 2);
    assert_eq!(facts["0114"], fixture::facts()["0114"]);
    assert_eq!(facts["0305"].kommungrupp, None);
    assert_eq!(facts["0305"].folkmangd, Some(21000));
    let err = oj::render::region_facts(&[batch.clone(), batch]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "int_kommun: row 3: column `kommun` = \"0114\": listed twice; one row per kommun"
    );
}

#[test]
fn profile_of_a_kommun_whose_stadsdelar_answer_the_survey_says_so() {
    // Stockholm (0180) has no survey rows of its own; Rinkeby-Kista answers.
    let f = Fixture::new();
    let html = region_profile_html(&f.input(), "0180").unwrap();
    assert!(html.contains("<p><strong>Stockholm har inga egna svar i kommunenkäten 2017</strong>"));
    let rinkeby = region_profile_html(&f.input(), "018001").unwrap();
    assert!(!rinkeby.contains("inga egna svar"));
}
