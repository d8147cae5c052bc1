//! The data sheets of the workbook: one row per region, a few key columns to sort and filter by,
//! then a block of columns per indicator × group (this year's value, optionally the number of
//! respondents, the previous year's value and the change). Three header rows, frozen together
//! with the code and name columns; an autofilter over the last header row.

use super::super::input::{IndicatorMeta, IndicatorSource};
use super::super::rows::{Cell, Row, group_label};
use super::super::view::{Region, Release};
use super::cells::{Formats, Sheet};
use crate::vocab::IndicatorKind;
use crate::vocab::Niva;
use rust_xlsxwriter::{ColNum, IgnoreError, RowNum, XlsxError};

/// One column of an indicator × group block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Column {
    /// This year's published value or marker.
    Value,
    /// The denominator (for survey shares: the number of responding units).
    Namnare,
    /// The previous year's published value.
    Previous,
    /// The change from the previous year.
    Change,
}

/// The key columns a sheet starts with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Key {
    Kod,
    Namn,
    Niva,
    Lan,
    Kommungrupp,
    Folkmangd,
}

impl Key {
    fn header(self) -> &'static str {
        match self {
            Key::Kod => "Kod",
            Key::Namn => "Namn",
            Key::Niva => "Nivå",
            Key::Lan => "Län",
            Key::Kommungrupp => "Kommungrupp",
            Key::Folkmangd => "Folkmängd",
        }
    }
}

/// What one data sheet shows.
pub(super) struct Layout {
    pub name: &'static str,
    pub source: IndicatorSource,
    pub levels: &'static [Niva],
    pub keys: &'static [Key],
    /// The columns of each indicator × group block, by kind.
    pub columns: fn(IndicatorKind) -> &'static [Column],
    /// Shares are answers of single respondents: shown as Ja (fulfilled) or Nej.
    pub answers: bool,
}

const HEADER_ROWS: RowNum = 3;

pub(super) fn write(
    sheet: &mut Sheet,
    release: &Release,
    f: &Formats,
    layout: &Layout,
) -> Result<(), XlsxError> {
    sheet.ws.set_name(layout.name)?;
    let year = release.info.year;
    let indicators = release.indicators(layout.source);
    let keys = ColNum::try_from(layout.keys.len()).unwrap_or(0);
    for (c, key) in (0..).zip(layout.keys) {
        sheet.ws.write_blank(0, c, &f.header)?;
        sheet.ws.write_blank(1, c, &f.header)?;
        sheet.header(2, c, key.header(), &f.header)?;
    }
    let mut col = keys;
    for m in &indicators {
        let columns = (layout.columns)(m.kind);
        let width = ColNum::try_from(columns.len()).unwrap_or(1);
        let start = col;
        for g in &m.grupper {
            sheet.header_span(1, col, col + width - 1, group_label(g), &f.header)?;
            for (c, column) in (col..).zip(columns) {
                sheet.header(2, c, &column_header(*column, m, year), &f.header)?;
            }
            col += width;
        }
        if col > start {
            sheet.header_span(0, start, col - 1, &m.namn, &f.header)?;
        }
    }
    let last_col = col.saturating_sub(1).max(keys.saturating_sub(1));
    sheet.ws.set_row_height(0, 48)?;
    sheet.ws.set_row_height(2, 32)?;

    let regions = release.ordered_regions(layout.levels, layout.source);
    let mut r = HEADER_ROWS;
    for region in &regions {
        write_keys(sheet, release, f, layout.keys, r, region)?;
        let mut col = keys;
        for m in &indicators {
            let columns = (layout.columns)(m.kind);
            for g in &m.grupper {
                let row = release.current.get(&m.id, region.niva, &region.code, g);
                for (c, column) in (col..).zip(columns) {
                    if let Some(row) = row {
                        write_value(sheet, f, layout, m, (r, c), *column, row)?;
                    }
                }
                col += ColNum::try_from(columns.len()).unwrap_or(1);
            }
        }
        r += 1;
    }
    sheet
        .ws
        .set_freeze_panes(HEADER_ROWS, ColNum::min(2, keys))?;
    let last_row = r.max(HEADER_ROWS) - 1;
    sheet
        .ws
        .autofilter(HEADER_ROWS - 1, 0, last_row, last_col)?;
    // Region codes (`0114`) and year headers are text on purpose: no green warning triangles.
    sheet
        .ws
        .ignore_error_range(0, 0, last_row, last_col, IgnoreError::NumberStoredAsText)?;
    sheet.set_widths()?;
    Ok(())
}

fn column_header(column: Column, m: &IndicatorMeta, year: i64) -> String {
    match column {
        Column::Value => year.to_string(),
        Column::Previous => (year - 1).to_string(),
        Column::Namnare => m.namnare.clone().unwrap_or_else(|| "Nämnare".to_string()),
        Column::Change if m.kind == IndicatorKind::Andel => {
            "Förändring (procentenheter)".to_string()
        }
        Column::Change => "Förändring".to_string(),
    }
}

fn write_keys(
    sheet: &mut Sheet,
    release: &Release,
    f: &Formats,
    keys: &[Key],
    r: RowNum,
    region: &Region,
) -> Result<(), XlsxError> {
    let local = matches!(region.niva, Niva::Kommun | Niva::Stadsdel);
    let facts = if local {
        release.facts(&region.code)
    } else {
        None
    };
    for (c, key) in (0..).zip(keys) {
        match key {
            Key::Kod => sheet.text(r, c, &region.code, &f.text)?,
            Key::Namn => sheet.text(r, c, &region.name, &f.text)?,
            Key::Niva => sheet.text(r, c, region.niva.label(), &f.text)?,
            Key::Lan => match region.niva {
                Niva::Lan => sheet.text(r, c, &region.name, &f.text)?,
                _ if local => {
                    let lan = release.lan_name(&release.lan_of(&region.code));
                    sheet.text(r, c, &lan, &f.text)?
                }
                _ => {}
            },
            Key::Kommungrupp => match (region.niva, facts.and_then(|f| f.kommungrupp.as_ref())) {
                (Niva::Kommungrupp, _) => sheet.text(r, c, &region.code, &f.text)?,
                (_, Some(group)) => sheet.text(r, c, group, &f.text)?,
                _ => {}
            },
            Key::Folkmangd => {
                if let Some(n) = release.folkmangd(&region.code).filter(|_| local) {
                    let shown = super::super::numbers::value(IndicatorKind::Antal, n as f64);
                    sheet.number(r, c, n as f64, shown.chars().count(), &f.count)?;
                }
            }
        }
    }
    Ok(())
}

/// The answer of a single respondent to a share indicator: fulfilled (any positive value) or not.
pub(super) fn answer(value: f64) -> &'static str {
    if value > 0.0 { "Ja" } else { "Nej" }
}

fn write_value(
    sheet: &mut Sheet,
    f: &Formats,
    layout: &Layout,
    m: &IndicatorMeta,
    (r, c): (RowNum, ColNum),
    column: Column,
    row: &Row,
) -> Result<(), XlsxError> {
    let as_answer = layout.answers && m.kind == IndicatorKind::Andel;
    match column {
        Column::Value => match (row.cell(), as_answer) {
            (Cell::Value(v), true) => sheet.text(r, c, answer(v), &f.marker),
            (cell, _) => sheet.cell(r, c, cell, m.kind, f),
        },
        Column::Previous => match (row.foregaende, as_answer) {
            (Some(v), true) => sheet.text(r, c, answer(v), &f.marker),
            (value, _) => sheet.optional(r, c, value, m.kind, f.value(m.kind)),
        },
        Column::Namnare if m.kind == IndicatorKind::Andel => {
            sheet.optional(r, c, row.namnare, IndicatorKind::Antal, &f.count)
        }
        Column::Namnare => sheet.optional(
            r,
            c,
            row.namnare,
            IndicatorKind::Kvot,
            f.value(IndicatorKind::Kvot),
        ),
        Column::Change => sheet.optional(r, c, row.forandring, m.kind, f.change(m.kind)),
    }
}
