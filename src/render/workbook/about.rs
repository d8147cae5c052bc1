//! The *Om filen* sheet: what the file is (year, release, creation time, sources), the marker
//! legend, and every indicator's definition exactly as the metadata states it.

use super::super::input::IndicatorSource;
use super::super::view::Release;
use super::cells::{Formats, Sheet};
use crate::vocab::IndicatorKind;
use crate::vocab::Status;
use rust_xlsxwriter::{RowNum, XlsxError};

/// The Swedish name of a kind, as shown in the indicator table.
fn kind_label(kind: IndicatorKind) -> &'static str {
    match kind {
        IndicatorKind::Andel => "Andel (%)",
        IndicatorKind::Antal => "Antal",
        IndicatorKind::Kronor => "Kronor",
        IndicatorKind::Tkr => "Tusental kronor",
        IndicatorKind::Kvot => "Kvot",
    }
}

/// The sheet an indicator's values are on.
pub(super) fn sheet_of(source: IndicatorSource) -> &'static str {
    match source {
        IndicatorSource::Register => super::REGISTER,
        IndicatorSource::Bakgrund => super::BAKGRUND,
        IndicatorSource::Enkat => "Enkät, Enkät andelar",
    }
}

/// The marker legend, in the order the publication explains it.
pub(crate) const LEGEND: [(Status, &str); 3] = [
    (
        Status::Suppressed,
        "Sekretess: värdet visas inte för att skydda enskildas uppgifter (för få personer i täljaren eller nämnaren, eller för att ett annat dolt värde annars kunde räknas fram).",
    ),
    (
        Status::Missing,
        "Bortfall/saknas: kommunen har inte rapporterat alla månader, eller enkätsvar saknas.",
    ),
    (
        Status::NotApplicable,
        "Ej tillämpligt: indikatorn är inte definierad för året eller nivån.",
    ),
];

pub(super) fn write(sheet: &mut Sheet, release: &Release, f: &Formats) -> Result<(), XlsxError> {
    let info = release.info;
    sheet.ws.set_name(super::ABOUT)?;
    let title = format!("Öppna jämförelser – ekonomiskt bistånd {}", info.year);
    sheet.ws.write_string_with_format(0, 0, &title, &f.title)?;
    let mut r: RowNum = 2;
    let created = info.created.format("%Y-%m-%d %H:%M UTC").to_string();
    let version = info.known_version().map(|v| ("Version", v.to_string()));
    let lines = [
        Some(("År", info.year.to_string())),
        version,
        Some(("Skapad", created)),
    ];
    for (label, value) in lines.into_iter().flatten() {
        sheet.text(r, 0, label, &f.heading)?;
        sheet.text(r, 1, &value, &f.text)?;
        r += 1;
    }
    sheet.text(r, 0, "Datakällor", &f.heading)?;
    for source in &info.sources {
        sheet.text(r, 1, source, &f.text)?;
        r += 1;
    }
    if info.sources.is_empty() {
        r += 1;
    }
    r += 1;
    sheet
        .ws
        .write_string_with_format(r, 0, "Teckenförklaring", &f.heading)?;
    r += 1;
    for (status, text) in LEGEND {
        sheet.text(r, 0, status.marker(), &f.marker)?;
        sheet.ws.write_string_with_format(r, 1, text, &f.wrapped)?;
        r += 1;
    }
    sheet.ws.write_string_with_format(
        r,
        1,
        "Tom cell för föregående år eller förändring: värde för föregående år finns inte.",
        &f.wrapped,
    )?;
    r += 2;
    sheet
        .ws
        .write_string_with_format(r, 0, "Indikatorer", &f.heading)?;
    r += 1;
    let headers = [
        "Id", "Namn", "Typ", "Täljare", "Nämnare", "Grupper", "Källa", "Flik",
    ];
    for (c, h) in (0..).zip(headers) {
        sheet.header(r, c, h, &f.header)?;
    }
    r += 1;
    for m in release.all_indicators() {
        let cells = [
            m.id.as_str(),
            m.namn.as_str(),
            kind_label(m.kind),
            m.taljare.as_deref().unwrap_or(""),
            m.namnare.as_deref().unwrap_or(""),
            &m.grupper.join(", "),
            match m.source {
                IndicatorSource::Register => "Register",
                IndicatorSource::Bakgrund => "Bakgrundsmått",
                IndicatorSource::Enkat => "Kommunenkät",
            },
            sheet_of(m.source),
        ];
        for (c, text) in (0..).zip(cells) {
            sheet.text(r, c, text, &f.wrapped)?;
        }
        r += 1;
    }
    sheet.set_widths()?;
    Ok(())
}
