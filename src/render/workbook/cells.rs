//! Cell formats and cell writing shared by the workbook's sheets: number formats per indicator
//! kind, markers as right-aligned text, header styles, and column widths that fit the content.

use super::super::rows::Cell;
use crate::vocab::IndicatorKind;
use rust_xlsxwriter::{
    ColNum, Color, Format, FormatAlign, FormatBorder, RowNum, Worksheet, XlsxError,
};

/// Widest column the workbook sets (in character widths).
const MAX_WIDTH: usize = 60;
/// Header texts wrap at about this many characters; longer headers make taller rows, not wider
/// columns.
const HEADER_WRAP: usize = 16;

/// The formats of one workbook.
pub(super) struct Formats {
    pub title: Format,
    pub(crate) heading: Format,
    pub header: Format,
    pub text: Format,
    pub wrapped: Format,
    pub marker: Format,
    pub count: Format,
    andel: Format,
    whole: Format,
    ratio: Format,
    andel_change: Format,
    whole_change: Format,
    ratio_change: Format,
}

impl Formats {
    pub(super) fn new() -> Formats {
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            heading: Format::new().set_bold().set_font_size(12),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_background_color(Color::RGB(0xDDEBF7))
                .set_border_bottom(FormatBorder::Thin),
            text: Format::new(),
            wrapped: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            marker: Format::new().set_align(FormatAlign::Right),
            count: Format::new().set_num_format("#,##0"),
            andel: Format::new().set_num_format("0.0"),
            whole: Format::new().set_num_format("#,##0"),
            ratio: Format::new().set_num_format("0.0"),
            andel_change: Format::new().set_num_format("+0.0;-0.0;0.0"),
            whole_change: Format::new().set_num_format("+#,##0;-#,##0;0"),
            ratio_change: Format::new().set_num_format("+0.0;-0.0;0.0"),
        }
    }

    /// The number format of a value of `kind` (one decimal for shares and ratios, thousands
    /// separators for counts and kronor).
    pub(super) fn value(&self, kind: IndicatorKind) -> &Format {
        match kind {
            IndicatorKind::Andel => &self.andel,
            IndicatorKind::Kvot => &self.ratio,
            IndicatorKind::Antal | IndicatorKind::Kronor | IndicatorKind::Tkr => &self.whole,
        }
    }

    /// The number format of a change of `kind`, with an explicit sign.
    pub(super) fn change(&self, kind: IndicatorKind) -> &Format {
        match kind {
            IndicatorKind::Andel => &self.andel_change,
            IndicatorKind::Kvot => &self.ratio_change,
            IndicatorKind::Antal | IndicatorKind::Kronor | IndicatorKind::Tkr => &self.whole_change,
        }
    }
}

/// A worksheet being written, remembering the widest content of each column.
pub(super) struct Sheet<'w> {
    pub(crate) ws: &'w mut Worksheet,
    widths: Vec<usize>,
}

impl<'w> Sheet<'w> {
    pub(super) fn new(ws: &'w mut Worksheet) -> Sheet<'w> {
        Sheet {
            ws,
            widths: Vec::new(),
        }
    }

    fn fit(&mut self, col: ColNum, chars: usize) {
        let i = usize::from(col);
        if self.widths.len() <= i {
            self.widths.resize(i + 1, 0);
        }
        self.widths[i] = self.widths[i].max(chars);
    }

    /// Writes text.
    pub(super) fn text(
        &mut self,
        row: RowNum,
        col: ColNum,
        text: &str,
        format: &Format,
    ) -> Result<(), XlsxError> {
        self.fit(col, text.chars().count());
        self.ws.write_string_with_format(row, col, text, format)?;
        Ok(())
    }

    /// Writes a header cell; long headers wrap instead of widening the column.
    pub(super) fn header(
        &mut self,
        row: RowNum,
        col: ColNum,
        text: &str,
        format: &Format,
    ) -> Result<(), XlsxError> {
        self.fit(col, text.chars().count().min(HEADER_WRAP));
        self.ws.write_string_with_format(row, col, text, format)?;
        Ok(())
    }

    /// Writes a header spanning `first..=last` columns (a single cell when they are equal).
    pub(super) fn header_span(
        &mut self,
        row: RowNum,
        first: ColNum,
        last: ColNum,
        text: &str,
        format: &Format,
    ) -> Result<(), XlsxError> {
        if first == last {
            return self.header(row, first, text, format);
        }
        self.ws.merge_range(row, first, row, last, text, format)?;
        Ok(())
    }

    /// Writes a number; `shown` is how many characters it displays as.
    pub(super) fn number(
        &mut self,
        row: RowNum,
        col: ColNum,
        value: f64,
        shown: usize,
        format: &Format,
    ) -> Result<(), XlsxError> {
        self.fit(col, shown);
        self.ws.write_number_with_format(row, col, value, format)?;
        Ok(())
    }

    /// Writes an optional number (nothing when `None`) in `kind`'s display.
    pub(super) fn optional(
        &mut self,
        row: RowNum,
        col: ColNum,
        value: Option<f64>,
        kind: IndicatorKind,
        format: &Format,
    ) -> Result<(), XlsxError> {
        match value {
            Some(v) => self.number(row, col, v, shown_width(kind, v), format),
            None => Ok(()),
        }
    }

    /// Writes a published cell: the number in the kind's format, or the marker as text aligned
    /// right.
    pub(super) fn cell(
        &mut self,
        row: RowNum,
        col: ColNum,
        cell: Cell,
        kind: IndicatorKind,
        formats: &Formats,
    ) -> Result<(), XlsxError> {
        match cell {
            Cell::Value(v) => self.number(row, col, v, shown_width(kind, v), formats.value(kind)),
            Cell::Marker(status) => self.text(row, col, status.marker(), &formats.marker),
        }
    }

    /// Sets every written column's width to fit its content (between 6 and 60 characters).
    pub(super) fn set_widths(&mut self) -> Result<(), XlsxError> {
        for (col, chars) in self.widths.iter().enumerate() {
            let col = ColNum::try_from(col).unwrap_or(ColNum::MAX);
            let width = (*chars).clamp(4, MAX_WIDTH) + 2;
            self.ws.set_column_width(col, width as f64)?;
        }
        Ok(())
    }
}

/// How many characters a number shows as in Excel with its kind's format (digits, separators,
/// sign).
fn shown_width(kind: IndicatorKind, v: f64) -> usize {
    let digits = super::super::numbers::value(kind, v).chars().count();
    digits + 1
}
