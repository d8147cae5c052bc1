//! HTML building blocks for the report and the profile: the self-contained page shell (inline
//! CSS with print rules, a Content-Security-Policy that forbids any external fetch or script),
//! tables whose number cells show markers visibly, and the marker legend.
//!
//! Guarantees: markup is built with `maud`, which escapes every interpolated text by default;
//! only the inline style sheet and the SVG charts (built by `chart`, with their text escaped
//! there) are inserted as markup. Pages load nothing from outside the file.

use super::numbers;
use super::rows::Cell;
use crate::vocab::IndicatorKind;
use crate::vocab::Status;
use maud::{DOCTYPE, Markup, PreEscaped, html};

const STYLE: &str = r#"
:root { --ink: #1b1b1b; --muted: #5a5a5a; --rule: #c9d3dd; --head: #e8eef5; --mark: #8a1c1c; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 1.5rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .6rem; border-bottom: 2px solid var(--rule); padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
p.meta { color: var(--muted); margin: 0 0 1rem; }
nav ul { columns: 2; padding-left: 1.2rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: .4rem 0 1rem; font-size: .88rem; }
th, td { border-bottom: 1px solid var(--rule); padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
td:first-child { min-width: 12rem; }
tr.own td { font-weight: 600; background: #fbf7e6; }
.marker { color: var(--mark); font-weight: 700; }
.n { color: var(--muted); font-size: .8em; }
dl.legend { display: grid; grid-template-columns: 3rem 1fr; gap: .1rem .6rem; margin: .4rem 0 1rem; }
dl.legend dt { text-align: right; }
dl.legend dd { margin: 0; }
figure { margin: .6rem 0 1.2rem; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: .85rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: .6rem 1rem; }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 9pt; }
  nav { display: none; }
  h2 { break-after: avoid; }
  figure, tr, dl.legend { break-inside: avoid; }
  table { font-size: 7.5pt; }
  .scroll { overflow: visible; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;

/// A complete, self-contained HTML document.
pub(crate) fn page(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="sv" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy"
                    content="default-src 'none'; style-src 'unsafe-inline'; img-src data:";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    }
    .into_string()
}

/// A table cell.
pub(crate) enum Td {
    /// Text from data (escaped).
    Text(String),
    /// A published cell of an indicator of `kind`.
    Cell(IndicatorKind, Cell),
    /// A published cell with the number of units beside it (survey shares).
    CellWithN(IndicatorKind, Cell, Option<f64>),
    /// An optional plain number (previous year's value).
    Number(IndicatorKind, Option<f64>),
    /// An optional change with sign.
    Change(IndicatorKind, Option<f64>),
    /// A survey answer of one respondent (`Ja`/`Nej`) or its marker.
    Answer(Cell),
}

/// A marker with its meaning as tooltip.
pub(crate) fn marker(status: Status) -> Markup {
    html! { span.marker title=(status.meaning()) { (status.marker()) } }
}

fn cell_html(kind: IndicatorKind, cell: Cell) -> Markup {
    match cell {
        Cell::Value(v) => html! { (numbers::value(kind, v)) },
        Cell::Marker(status) => marker(status),
    }
}

impl Td {
    fn render(&self) -> Markup {
        match self {
            Td::Text(t) => html! { td { (t) } },
            Td::Cell(kind, cell) => html! { td.num { (cell_html(*kind, *cell)) } },
            Td::CellWithN(kind, cell, n) => html! {
                td.num {
                    (cell_html(*kind, *cell))
                    @if let Some(n) = n {
                        " " span.n { "(n=" (numbers::value(IndicatorKind::Antal, *n)) ")" }
                    }
                }
            },
            Td::Number(kind, v) => html! {
                td.num { @if let Some(v) = v { (numbers::value(*kind, *v)) } }
            },
            Td::Change(kind, v) => html! {
                td.num { @if let Some(v) = v { (numbers::change(*kind, *v)) } }
            },
            Td::Answer(Cell::Value(v)) => html! {
                td.num { @if *v > 0.0 { "Ja" } @else { "Nej" } }
            },
            Td::Answer(Cell::Marker(status)) => html! { td.num { (marker(*status)) } },
        }
    }
}

/// A table: `headers` (right-aligned where `numeric`), then rows; a row whose first flag is set
/// is highlighted as the reader's own region. `id` names the table for links and tests.
pub(crate) struct Table {
    id: String,
    headers: Vec<(String, bool)>,
    rows: Vec<(bool, Vec<Td>)>,
}

impl Table {
    pub(crate) fn new(id: &str) -> Table {
        Table {
            id: id.to_string(),
            headers: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Adds a text column header.
    pub(crate) fn text_column(&mut self, header: &str) -> &mut Table {
        self.headers.push((header.to_string(), false));
        self
    }

    /// Adds a number column header.
    pub(crate) fn number_column(&mut self, header: &str) -> &mut Table {
        self.headers.push((header.to_string(), true));
        self
    }

    /// Adds a row; `own` highlights it.
    pub(crate) fn row(&mut self, own: bool, cells: Vec<Td>) {
        self.rows.push((own, cells));
    }

    pub(crate) fn render(&self) -> Markup {
        html! {
            div.scroll {
                table id=(self.id) {
                    thead { tr { @for (h, numeric) in &self.headers { th.num[*numeric] { (h) } } } }
                    tbody {
                        @for (own, cells) in &self.rows {
                            tr.own[*own] { @for c in cells { (c.render()) } }
                        }
                    }
                }
            }
        }
    }
}

/// The marker legend as a definition list.
pub(crate) fn legend() -> Markup {
    html! {
        dl.legend {
            @for status in [Status::Suppressed, Status::Missing, Status::NotApplicable] {
                dt { (marker(status)) } dd { (status.meaning()) }
            }
        }
    }
}

/// A chart (an SVG document built by `chart`) as a figure with its caption.
pub(crate) fn figure(svg: &str, caption: &str) -> Markup {
    html! { figure { (PreEscaped(svg)) figcaption { (caption) } } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        let td = Td::Text("<b>\"Å&Ö\"</b>".to_string());
        assert_eq!(
            td.render().into_string(),
            "<td>&lt;b&gt;&quot;Å&amp;Ö&quot;&lt;/b&gt;</td>"
        );
    }

    #[test]
    fn suppressed_cell_shows_marker_not_zero() {
        let td = Td::Cell(IndicatorKind::Andel, Cell::Marker(Status::Suppressed));
        assert_eq!(
            td.render().into_string(),
            "<td class=\"num\"><span class=\"marker\" title=\"sekretess\">..</span></td>"
        );
    }

    #[test]
    fn page_loads_nothing_from_outside() {
        let html = page("a <title>", html! { p { "x" } });
        assert!(html.contains("<title>a &lt;title&gt;</title>"));
        assert!(html.contains("default-src 'none'"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("http://") && !html.contains("https://"));
    }
}
