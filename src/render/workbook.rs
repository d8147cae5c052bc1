//! The Excel publication `oj_ekonomiskt_bistand_<Y>.xlsx` (outputs.md): *Om filen* (release facts,
//! marker legend, indicator definitions from the metadata), *Register*, *Bakgrundsmått*, *Enkät*
//! (per respondent, Ja/Nej) and *Enkät andelar* (shares per riket, län, kommungrupp and
//! storleksklass with the number of respondents).
//!
//! Guarantees: every cell value is the row's `varde` (unrounded by this code; number formats only
//! change the display); markers are text aligned right; the workbook's creation time is the
//! release's, so the same input gives the same bytes.

mod about;
mod cells;
mod table;

use super::error::PublicationError;
use super::input::{IndicatorSource, PublicationInput};
use super::view::Release;
use crate::vocab::IndicatorKind;
use crate::vocab::Niva;
use cells::{Formats, Sheet};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};
use table::{Column, Key, Layout};

const ABOUT: &str = "Om filen";
const REGISTER: &str = "Register";
const BAKGRUND: &str = "Bakgrundsmått";
const ENKAT: &str = "Enkät";
const ENKAT_ANDELAR: &str = "Enkät andelar";

const LOCAL_KEYS: &[Key] = &[
    Key::Kod,
    Key::Namn,
    Key::Niva,
    Key::Lan,
    Key::Kommungrupp,
    Key::Folkmangd,
];
const GROUP_KEYS: &[Key] = &[Key::Kod, Key::Namn, Key::Niva];

fn value_previous_change(_: IndicatorKind) -> &'static [Column] {
    &[Column::Value, Column::Previous, Column::Change]
}

fn answer_columns(kind: IndicatorKind) -> &'static [Column] {
    match kind {
        IndicatorKind::Andel => &[Column::Value, Column::Previous],
        _ => &[Column::Value, Column::Previous, Column::Change],
    }
}

fn share_columns(_: IndicatorKind) -> &'static [Column] {
    &[
        Column::Value,
        Column::Namnare,
        Column::Previous,
        Column::Change,
    ]
}

const LAYOUTS: [Layout; 4] = [
    Layout {
        name: REGISTER,
        source: IndicatorSource::Register,
        levels: &Niva::ALL,
        keys: LOCAL_KEYS,
        columns: value_previous_change,
        answers: false,
    },
    Layout {
        name: BAKGRUND,
        source: IndicatorSource::Bakgrund,
        levels: &Niva::ALL,
        keys: LOCAL_KEYS,
        columns: value_previous_change,
        answers: false,
    },
    Layout {
        name: ENKAT,
        source: IndicatorSource::Enkat,
        levels: &[Niva::Kommun, Niva::Stadsdel],
        keys: LOCAL_KEYS,
        columns: answer_columns,
        answers: true,
    },
    Layout {
        name: ENKAT_ANDELAR,
        source: IndicatorSource::Enkat,
        levels: &[
            Niva::Riket,
            Niva::Lan,
            Niva::Kommungrupp,
            Niva::Storleksklass,
        ],
        keys: GROUP_KEYS,
        columns: share_columns,
        answers: false,
    },
];

/// The workbook's file name in the release folder: `oj_ekonomiskt_bistand_<Y>.xlsx`.
pub fn workbook_file_name(year: i64) -> String {
    format!("oj_ekonomiskt_bistand_{year}.xlsx")
}

/// Builds the Excel publication of a release and returns the `.xlsx` bytes.
///
/// Sheets: `Om filen`, `Register`, `Bakgrundsmått`, `Enkät`, `Enkät andelar` (a data sheet is
/// written even when it has no rows, so the file always has the same sheets). `input.earlier` is
/// not used: the previous year's values come from the rows' `varde_foregaende_ar`.
pub fn workbook(input: &PublicationInput) -> Result<Vec<u8>, PublicationError> {
    let release = Release::load(input)?;
    let formats = Formats::new();
    let mut book = Workbook::new();
    let created = ExcelDateTime::from_timestamp(release.info.created.timestamp())?;
    book.set_properties(
        &DocProperties::new()
            .set_title(format!(
                "Öppna jämförelser – ekonomiskt bistånd {}",
                release.info.year
            ))
            .set_author("oj")
            .set_creation_datetime(&created),
    );
    about::write(&mut Sheet::new(book.add_worksheet()), &release, &formats)?;
    for layout in &LAYOUTS {
        table::write(
            &mut Sheet::new(book.add_worksheet()),
            &release,
            &formats,
            layout,
        )?;
    }
    Ok(book.save_to_buffer()?)
}
