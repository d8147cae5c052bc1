//! HTML building blocks for the report and the profile: escaping, the self-contained page shell
//! (inline CSS with print rules, a Content-Security-Policy that forbids any external fetch or
//! script), tables whose number cells show markers visibly, and the marker legend.
//!
//! Guarantees: every text that comes from data goes through [`escape`]; pages load nothing from
//! outside the file.

use super::input::IndicatorKind;
use super::numbers;
use super::rows::{Cell, Status};
use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

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
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"sv\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
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

fn marker(status: Status) -> String {
    format!(
        "<span class=\"marker\" title=\"{}\">{}</span>",
        status.meaning(),
        escape(status.marker())
    )
}

fn cell_html(kind: IndicatorKind, cell: Cell) -> String {
    match cell {
        Cell::Value(v) => escape(&numbers::value(kind, v)),
        Cell::Marker(status) => marker(status),
    }
}

impl Td {
    fn render(&self) -> String {
        match self {
            Td::Text(t) => format!("<td>{}</td>", escape(t)),
            Td::Cell(kind, cell) => format!("<td class=\"num\">{}</td>", cell_html(*kind, *cell)),
            Td::CellWithN(kind, cell, n) => {
                let n = n
                    .map(|n| {
                        format!(
                            " <span class=\"n\">(n={})</span>",
                            numbers::value(IndicatorKind::Antal, n)
                        )
                    })
                    .unwrap_or_default();
                format!("<td class=\"num\">{}{n}</td>", cell_html(*kind, *cell))
            }
            Td::Number(kind, v) => format!(
                "<td class=\"num\">{}</td>",
                v.map(|v| escape(&numbers::value(*kind, v)))
                    .unwrap_or_default()
            ),
            Td::Change(kind, v) => format!(
                "<td class=\"num\">{}</td>",
                v.map(|v| escape(&numbers::change(*kind, v)))
                    .unwrap_or_default()
            ),
            Td::Answer(Cell::Value(v)) => {
                format!(
                    "<td class=\"num\">{}</td>",
                    if *v > 0.0 { "Ja" } else { "Nej" }
                )
            }
            Td::Answer(Cell::Marker(status)) => {
                format!("<td class=\"num\">{}</td>", marker(*status))
            }
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

    pub(crate) fn render(&self) -> String {
        let mut out = format!(
            "<div class=\"scroll\"><table id=\"{}\">\n<thead><tr>",
            escape(&self.id)
        );
        for (h, numeric) in &self.headers {
            let class = if *numeric { " class=\"num\"" } else { "" };
            let _ = write!(out, "<th{class}>{}</th>", escape(h));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for (own, cells) in &self.rows {
            out.push_str(if *own { "<tr class=\"own\">" } else { "<tr>" });
            for c in cells {
                out.push_str(&c.render());
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody></table></div>\n");
        out
    }
}

/// The marker legend as a definition list.
pub(crate) fn legend() -> String {
    let mut out = String::from("<dl class=\"legend\">");
    for status in [Status::Suppressed, Status::Missing, Status::NotApplicable] {
        let _ = write!(
            out,
            "<dt>{}</dt><dd>{}</dd>",
            marker(status),
            escape(status.meaning())
        );
    }
    out.push_str("</dl>\n");
    out
}

/// A chart as a figure with its caption.
pub(crate) fn figure(svg: &str, caption: &str) -> String {
    format!(
        "<figure>{svg}<figcaption>{}</figcaption></figure>\n",
        escape(caption)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<b>\"Å&Ö\" 'x'</b>"),
            "&lt;b&gt;&quot;Å&amp;Ö&quot; &#39;x&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn suppressed_cell_shows_marker_not_zero() {
        let td = Td::Cell(IndicatorKind::Andel, Cell::Marker(Status::Suppressed));
        assert_eq!(
            td.render(),
            "<td class=\"num\"><span class=\"marker\" title=\"sekretess\">..</span></td>"
        );
    }

    #[test]
    fn page_loads_nothing_from_outside() {
        let html = page("a <title>", "<p>x</p>");
        assert!(html.contains("<title>a &lt;title&gt;</title>"));
        assert!(html.contains("default-src 'none'"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("http://") && !html.contains("https://"));
    }
}
