//! `rapport.html`: the release's self-contained report – national key figures with the previous
//! year's, the distribution of each register indicator over the kommuner with riket and the län
//! marked, national trends over the years available, survey shares per storleksklass and
//! kommungrupp, and one table per län.

use super::chart::{self, Distribution, PALETTE, Series};
use super::error::PublicationError;
use super::html::{self, Table, Td};
use super::input::{IndicatorMeta, IndicatorSource, PublicationInput};
use super::numbers;
use super::rows::{Cell, Row, group_label};
use super::view::{Release, STORLEKSKLASSER};
use crate::vocab::IndicatorKind;
use crate::vocab::{Niva, Status};
use maud::{Markup, html};
use std::collections::BTreeMap;
use std::fmt::Write;

const RIKET: &str = "00";
const TOTALT: &str = "totalt";
/// Kommuner without a value are named under a chart up to this many; more are left to the län
/// tables (an indicator not applicable for the year would otherwise list all 290).
const MAX_LISTED: usize = 40;

/// Builds `rapport.html` for a release.
pub fn report_html(input: &PublicationInput) -> Result<String, PublicationError> {
    let release = Release::load(input)?;
    let info = release.info;
    let title = format!("Öppna jämförelser – ekonomiskt bistånd {}", info.year);
    let edition = match info.known_version() {
        Some(v) => format!("Utgåva {v}, skapad"),
        None => "Skapad".to_string(),
    };
    let body = html! {
        header {
            h1 { (title) }
            p.meta {
                (edition) " " (info.created.format("%Y-%m-%d %H:%M UTC"))
                ". Datakällor: " (info.sources.join("; ")) "."
            }
            p { "Teckenförklaring:" }
            (html::legend())
        }
        nav {
            h2 { "Innehåll" }
            ul {
                li { a href="#nyckeltal-riket" { "Nyckeltal för riket" } }
                li { a href="#fordelning" { "Fördelning över kommunerna" } }
                li { a href="#utveckling" { "Utveckling över tid" } }
                li { a href="#enkat" { "Kommunenkäten" } }
                li { a href="#lan" { "Län och kommuner" } }
            }
        }
        (key_figures(&release))
        (distributions(&release)?)
        (trends(&release)?)
        (survey(&release)?)
        (counties(&release))
    };
    Ok(html::page(&title, body))
}

fn key_figures(release: &Release) -> Markup {
    let year = release.info.year;
    let mut table = Table::new("nyckeltal");
    table
        .text_column("Indikator")
        .number_column(&year.to_string())
        .number_column(&(year - 1).to_string())
        .number_column("Förändring");
    for source in [IndicatorSource::Register, IndicatorSource::Bakgrund] {
        for m in release.indicators(source) {
            for g in &m.grupper {
                let Some(r) = release.current.get(&m.id, Niva::Riket, RIKET, g) else {
                    continue;
                };
                let label = if g == TOTALT {
                    m.namn.clone()
                } else {
                    format!("{} – {}", m.namn, group_label(g).to_lowercase())
                };
                table.row(
                    false,
                    vec![
                        Td::Text(label),
                        Td::Cell(m.kind, r.cell()),
                        Td::Number(m.kind, r.foregaende),
                        Td::Change(m.kind, r.forandring),
                    ],
                );
            }
        }
    }
    html! {
        section {
            h2 #nyckeltal-riket { "Nyckeltal för riket" }
            (table.render())
            p.meta { "Förändring för andelar i procentenheter. Tom cell: inget värde för föregående år." }
        }
    }
}

/// Counts of kommuner without a value, by marker, e.g. `2 sekretess (..), 1 bortfall/saknas (-)`.
fn marker_counts(markers: &[(String, Status)]) -> String {
    let mut counts: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    for (_, status) in markers {
        counts
            .entry(status.marker())
            .or_insert((0, status.meaning()))
            .0 += 1;
    }
    counts
        .iter()
        .map(|(marker, (n, meaning))| format!("{n} {meaning} ({marker})"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn distributions(release: &Release) -> Result<Markup, PublicationError> {
    let mut parts = Vec::new();
    for m in release.indicators(IndicatorSource::Register) {
        let mut kommuner = Vec::new();
        let mut markers = Vec::new();
        for r in release
            .current
            .rows
            .iter()
            .filter(|r| r.indikator == m.id && r.niva == Niva::Kommun && r.grupp == TOTALT)
        {
            match r.cell() {
                Cell::Value(v) => kommuner.push(v),
                Cell::Marker(status) => markers.push((r.regionnamn.clone(), status)),
            }
        }
        let lan: Vec<f64> = release
            .current
            .rows
            .iter()
            .filter(|r| r.indikator == m.id && r.niva == Niva::Lan && r.grupp == TOTALT)
            .filter_map(|r| r.varde)
            .collect();
        let riket = release
            .current
            .get(&m.id, Niva::Riket, RIKET, TOTALT)
            .map(|r| r.cell());
        let comparable = chart::comparable(m.kind);
        let distribution = Distribution {
            name: &m.id,
            kind: m.kind,
            kommuner,
            riket: match riket {
                Some(Cell::Value(v)) if comparable => Some(v),
                _ => None,
            },
            lan: if comparable { lan } else { Vec::new() },
        };
        let mut caption = format!(
            "{} kommuner med publicerat värde.",
            distribution.kommuner.len()
        );
        match riket {
            Some(cell) => {
                let _ = write!(caption, " Riket: {}.", numbers::cell(m.kind, cell));
            }
            None => caption.push_str(" Riket: inget värde."),
        }
        if !comparable {
            caption.push_str(" Riket och län är summor och visas därför inte i diagrammet.");
        }
        if !markers.is_empty() {
            let _ = write!(caption, " Utan värde: {}.", marker_counts(&markers));
        }
        let svg = chart::distribution(&distribution)?;
        parts.push(html! {
            h3 { (m.namn) }
            @match svg {
                Some(svg) => (html::figure(&svg, &caption)),
                None => p { strong { "Inget kommunvärde publicerat." } " " (caption) },
            }
            @if markers.len() > MAX_LISTED {
                p.meta { "Kommunerna utan värde visas i tabellerna per län nedan." }
            } @else if !markers.is_empty() {
                p.meta {
                    "Kommuner utan värde: "
                    @for (i, (name, status)) in markers.iter().enumerate() {
                        @if i > 0 { ", " }
                        (name) " " (html::marker(*status))
                    }
                }
            }
        });
    }
    Ok(html! {
        section {
            h2 #fordelning { "Fördelning över kommunerna" }
            p {
                "Staplarna visar hur många kommuner som har ett värde i varje intervall. Röd linje: riket. \
                 Gröna trianglar: länen. Kommuner utan publicerat värde ritas inte; de räknas upp under diagrammet."
            }
            @for part in parts { (part) }
        }
    })
}

fn trends(release: &Release) -> Result<Markup, PublicationError> {
    let years: Vec<i64> = release.years().map(|t| t.year).collect();
    let span = match (years.first(), years.last()) {
        (Some(a), Some(b)) if a != b => format!("{a}–{b}"),
        _ => release.info.year.to_string(),
    };
    let mut charts = Vec::new();
    for m in release.indicators(IndicatorSource::Register) {
        let points = release.history(&m.id, Niva::Riket, RIKET, TOTALT);
        if points.is_empty() {
            continue;
        }
        let caption = trend_caption(m, &points);
        let series = [Series {
            name: "Riket".to_string(),
            color: PALETTE[3],
            points,
        }];
        let svg = chart::trend(&m.id, m.kind, &series, (340, 190))?;
        charts.push(html! { div { h3 { (m.namn) } (html::figure(&svg, &caption)) } });
    }
    Ok(html! {
        section {
            h2 #utveckling { "Utveckling över tid" }
            p { "Riket " (span) ", enligt de utgåvor som finns." }
            div.grid { @for c in charts { (c) } }
        }
    })
}

/// `2015: 4,3; 2016: ..; 2017: 4,5` – the plotted values in words, markers included.
fn trend_caption(m: &IndicatorMeta, points: &[(i64, Cell)]) -> String {
    points
        .iter()
        .map(|(y, c)| format!("{y}: {}", numbers::cell(m.kind, *c)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn survey(release: &Release) -> Result<Markup, PublicationError> {
    let indicators = release.indicators(IndicatorSource::Enkat);
    if indicators.is_empty() {
        return Ok(html! {
            section {
                h2 #enkat { "Kommunenkäten" }
                p { "Inga enkätindikatorer i denna utgåva." }
            }
        });
    }
    let storlek: Vec<(String, String)> = {
        let present = release.current.regions(Niva::Storleksklass);
        let mut ordered: Vec<(String, String)> = STORLEKSKLASSER
            .iter()
            .filter_map(|k| present.iter().find(|(c, _)| c == k).cloned())
            .collect();
        ordered.extend(
            present
                .into_iter()
                .filter(|(c, _)| !STORLEKSKLASSER.contains(&c.as_str())),
        );
        ordered
    };
    let grupper = release.current.regions(Niva::Kommungrupp);
    let mut parts = Vec::new();
    for (heading, id, niva, groups) in [
        (
            "Per storleksklass (invånare)",
            "enkat-storleksklass",
            Niva::Storleksklass,
            storlek,
        ),
        (
            "Per kommungrupp",
            "enkat-kommungrupp",
            Niva::Kommungrupp,
            grupper,
        ),
    ] {
        let chart = match niva {
            Niva::Storleksklass => size_chart(release, &indicators, &groups)?,
            _ => None,
        };
        let mut table = Table::new(id);
        table.text_column("Indikator");
        for (_, name) in &groups {
            table.number_column(name);
        }
        table.number_column("Riket");
        let columns: Vec<(Niva, &str)> = groups
            .iter()
            .map(|(code, _)| (niva, code.as_str()))
            .chain([(Niva::Riket, RIKET)])
            .collect();
        for m in &indicators {
            for g in &m.grupper {
                let mut cells = vec![Td::Text(m.namn.clone())];
                for &(level, code) in &columns {
                    cells.push(match release.current.get(&m.id, level, code, g) {
                        Some(r) => with_respondents(m.kind, r),
                        None => Td::Text(String::new()),
                    });
                }
                table.row(false, cells);
            }
        }
        parts.push(html! { h3 { (heading) } @if let Some(c) = chart { (c) } (table.render()) });
    }
    Ok(html! {
        section {
            h2 #enkat { "Kommunenkäten" }
            p { "Andel av de svarande kommunerna och stadsdelarna som uppfyller indikatorn, med antalet svarande (n)." }
            @for part in parts { (part) }
        }
    })
}

/// The shares of every survey share indicator per storleksklass as a dot chart (the
/// publications compare small and large kommuner), riket marked; markers are not drawn but
/// counted in the caption.
fn size_chart(
    release: &Release,
    indicators: &[&IndicatorMeta],
    groups: &[(String, String)],
) -> Result<Option<Markup>, PublicationError> {
    let mut rows = Vec::new();
    let mut riket = Vec::new();
    let mut markers = 0;
    for m in indicators.iter().filter(|m| m.kind == IndicatorKind::Andel) {
        for g in &m.grupper {
            let values = groups
                .iter()
                .map(|(code, _)| {
                    let row = release.current.get(&m.id, Niva::Storleksklass, code, g);
                    markers += usize::from(row.is_some_and(|r| r.status != Status::Published));
                    row.and_then(|r| r.varde)
                })
                .collect();
            rows.push(chart::DotRow {
                label: m.namn.clone(),
                values,
            });
            riket.push(
                release
                    .current
                    .get(&m.id, Niva::Riket, RIKET, g)
                    .and_then(|r| r.varde),
            );
        }
    }
    if rows.is_empty() {
        return Ok(None);
    }
    let names: Vec<String> = groups.iter().map(|(_, name)| name.clone()).collect();
    let svg = chart::dots("enkat-storleksklass", &names, &rows, &riket)?;
    let mut caption =
        "Andel som uppfyller indikatorn per storleksklass; röd markering: riket.".to_string();
    if markers > 0 {
        let _ = write!(
            caption,
            " {markers} värden utan publicerad andel (markerade i tabellen) ritas inte."
        );
    }
    Ok(Some(html::figure(&svg, &caption)))
}

/// A survey cell of a group: a share with its number of responding units (the denominator);
/// other kinds (such as households per case worker) without it.
pub(crate) fn with_respondents(kind: IndicatorKind, row: &Row) -> Td {
    if kind == IndicatorKind::Andel {
        Td::CellWithN(kind, row.cell(), row.namnare)
    } else {
        Td::Cell(kind, row.cell())
    }
}

fn counties(release: &Release) -> Markup {
    let mut parts = Vec::new();
    let indicators = release.indicators(IndicatorSource::Register);
    let locals =
        release.ordered_regions(&[Niva::Kommun, Niva::Stadsdel], IndicatorSource::Register);
    for (lan, name) in release.current.regions(Niva::Lan) {
        let mut table = Table::new(&format!("tabell-lan-{lan}"));
        table.text_column("Område");
        for m in &indicators {
            table.number_column(&m.namn);
        }
        let row = |niva: Niva, code: &str| -> Vec<Td> {
            indicators
                .iter()
                .map(|m| match release.current.get(&m.id, niva, code, TOTALT) {
                    Some(r) => Td::Cell(m.kind, r.cell()),
                    None => Td::Text(String::new()),
                })
                .collect()
        };
        let mut own = vec![Td::Text(name.clone())];
        own.extend(row(Niva::Lan, &lan));
        table.row(true, own);
        for k in locals.iter().filter(|k| release.lan_of(&k.code) == lan) {
            let label = match k.niva {
                Niva::Stadsdel => format!("– {}", k.name),
                _ => k.name.clone(),
            };
            let mut cells = vec![Td::Text(label)];
            cells.extend(row(k.niva, &k.code));
            table.row(false, cells);
        }
        let mut riket = vec![Td::Text("Riket".to_string())];
        riket.extend(row(Niva::Riket, RIKET));
        table.row(false, riket);
        parts.push(html! { h3 id={ "lan-" (lan) } { (name) " (" (lan) ")" } (table.render()) });
    }
    html! {
        section {
            h2 #lan { "Län och kommuner" }
            p { "Registerindikatorer, totalt, för länet och dess kommuner (och stadsdelar), med riket som jämförelse." }
            @for part in parts { (part) }
        }
    }
}
