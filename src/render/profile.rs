//! The one-page profile of one kommun or stadsdel (`oj report --year Y --region <code>`): its
//! values against its kommun (for a stadsdel), län, kommungrupp, storleksklass and riket, its
//! survey answers against the shares of those groups, and its trends beside the län's and
//! riket's. Self-contained like `rapport.html`.

use super::chart::{self, PALETTE, Series};
use super::error::PublicationError;
use super::html::{self, Table, Td};
use super::input::{IndicatorSource, PublicationInput};
use super::numbers;
use super::rows::group_label;
use super::view::Release;
use crate::vocab::IndicatorKind;
use crate::vocab::Niva;
use maud::{Markup, html};

/// A comparison column: label, level and code.
struct Comparison {
    label: String,
    niva: Niva,
    code: String,
}

/// Builds the profile page of the kommun (4 digits) or stadsdel (6 characters) `region`.
pub fn region_profile_html(
    input: &PublicationInput,
    region: &str,
) -> Result<String, PublicationError> {
    let release = Release::load(input)?;
    let year = release.info.year;
    let own = release
        .current
        .rows
        .iter()
        .find(|r| r.region == region && matches!(r.niva, Niva::Kommun | Niva::Stadsdel))
        .ok_or_else(|| PublicationError::UnknownRegion {
            code: region.to_string(),
            year,
        })?;
    let (niva, name) = (own.niva, own.regionnamn.clone());
    let facts = release.facts(region);
    let lan = release.lan_of(region);
    let lan_name = release.lan_name(&lan);
    let kommungrupp = facts.and_then(|f| f.kommungrupp.clone());
    let storleksklass = facts.and_then(|f| f.storleksklass.clone());

    let mut comparisons = vec![Comparison {
        label: name.clone(),
        niva,
        code: region.to_string(),
    }];
    if let (Niva::Stadsdel, Some(kommun)) = (niva, region.get(..4)) {
        let kommun_name = release
            .current
            .regions(Niva::Kommun)
            .into_iter()
            .find(|(c, _)| c == kommun)
            .map(|(_, n)| n)
            .unwrap_or_else(|| kommun.to_string());
        comparisons.push(Comparison {
            label: kommun_name,
            niva: Niva::Kommun,
            code: kommun.to_string(),
        });
    }
    comparisons.push(Comparison {
        label: lan_name.clone(),
        niva: Niva::Lan,
        code: lan.clone(),
    });
    if let Some(kg) = &kommungrupp {
        comparisons.push(Comparison {
            label: group_name(&release, Niva::Kommungrupp, kg, "Kommungrupp"),
            niva: Niva::Kommungrupp,
            code: kg.clone(),
        });
    }
    if let Some(sk) = &storleksklass {
        comparisons.push(Comparison {
            label: group_name(&release, Niva::Storleksklass, sk, "Storleksklass"),
            niva: Niva::Storleksklass,
            code: sk.clone(),
        });
    }
    comparisons.push(Comparison {
        label: "Riket".to_string(),
        niva: Niva::Riket,
        code: "00".to_string(),
    });

    let title = format!("{name} – ekonomiskt bistånd {year}");
    let mut facts_line = vec![format!("{} i {}", capitalized(niva.label()), lan_name)];
    if let Some(kg) = &kommungrupp {
        facts_line.push(format!("kommungrupp {kg}"));
    }
    if let Some(sk) = &storleksklass {
        facts_line.push(format!("storleksklass {sk}"));
    }
    if let Some(n) = release.folkmangd(region) {
        facts_line.push(format!(
            "{} invånare",
            numbers::value(IndicatorKind::Antal, n as f64)
        ));
    }
    let edition = release
        .info
        .known_version()
        .map(|v| format!(", utgåva {v}"))
        .unwrap_or_default();
    let body = html! {
        header {
            h1 { (title) }
            p.meta {
                "Kod " (region) ". " (facts_line.join(", ")) ". Öppna jämförelser " (year) (edition) "."
            }
            (html::legend())
        }
        (values_table(&release, &comparisons))
        (survey_table(&release, &comparisons))
        (trend_charts(&release, &comparisons)?)
    };
    Ok(html::page(&title, body))
}

/// The heading of a group column: `Storstäder (A1)` or `15 000–49 999 invånare` when the rows
/// name the group, else the level word and the code (`Kommungrupp B3`).
fn group_name(release: &Release, niva: Niva, code: &str, word: &str) -> String {
    let name = release
        .current
        .rows
        .iter()
        .find(|r| r.niva == niva && r.region == code)
        .map(|r| r.regionnamn.as_str())
        .filter(|n| !n.is_empty() && *n != code);
    match (name, niva) {
        (Some(n), Niva::Kommungrupp) => format!("{n} ({code})"),
        (Some(n), _) => n.to_string(),
        (None, _) => format!("{word} {code}"),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn values_table(release: &Release, comparisons: &[Comparison]) -> Markup {
    let year = release.info.year;
    let own = &comparisons[0];
    let mut table = Table::new("profil");
    table.text_column("Indikator").text_column("Grupp");
    for c in comparisons {
        table.number_column(&c.label);
    }
    table
        .number_column(&format!("{} {}", own.label, year - 1))
        .number_column("Förändring");
    for source in [IndicatorSource::Register, IndicatorSource::Bakgrund] {
        for m in release.indicators(source) {
            for g in &m.grupper {
                let Some(row) = release.current.get(&m.id, own.niva, &own.code, g) else {
                    continue;
                };
                let mut cells = vec![
                    Td::Text(m.namn.clone()),
                    Td::Text(group_label(g).to_string()),
                ];
                for c in comparisons {
                    cells.push(match release.current.get(&m.id, c.niva, &c.code, g) {
                        Some(r) => Td::Cell(m.kind, r.cell()),
                        None => Td::Text(String::new()),
                    });
                }
                cells.push(Td::Number(m.kind, row.foregaende));
                cells.push(Td::Change(m.kind, row.forandring));
                table.row(false, cells);
            }
        }
    }
    html! { section { h2 { "Register och bakgrundsmått" } (table.render()) } }
}

fn survey_table(release: &Release, comparisons: &[Comparison]) -> Markup {
    let year = release.info.year;
    let own = &comparisons[0];
    let indicators = release.indicators(IndicatorSource::Enkat);
    if indicators.is_empty() {
        return html! {};
    }
    let answered = indicators.iter().any(|m| {
        m.grupper
            .iter()
            .any(|g| release.current.get(&m.id, own.niva, &own.code, g).is_some())
    });
    let mut table = Table::new("profil-enkat");
    table
        .text_column("Indikator")
        .number_column(&format!("{} {}", own.label, year))
        .number_column(&format!("{} {}", own.label, year - 1));
    for c in &comparisons[1..] {
        table.number_column(&c.label);
    }
    for m in indicators {
        for g in &m.grupper {
            let row = release.current.get(&m.id, own.niva, &own.code, g);
            let answer = m.kind == IndicatorKind::Andel;
            let mut cells = vec![Td::Text(m.namn.clone())];
            match (row, answer) {
                (Some(r), true) => {
                    cells.push(Td::Answer(r.cell()));
                    cells.push(match r.foregaende {
                        Some(v) => Td::Answer(super::rows::Cell::Value(v)),
                        None => Td::Text(String::new()),
                    });
                }
                (Some(r), false) => {
                    cells.push(Td::Cell(m.kind, r.cell()));
                    cells.push(Td::Number(m.kind, r.foregaende));
                }
                (None, _) => {
                    cells.push(Td::Text(String::new()));
                    cells.push(Td::Text(String::new()));
                }
            }
            for c in &comparisons[1..] {
                cells.push(match release.current.get(&m.id, c.niva, &c.code, g) {
                    Some(r) if c.niva == Niva::Kommun && answer => Td::Answer(r.cell()),
                    Some(r) => super::report::with_respondents(m.kind, r),
                    None => Td::Text(String::new()),
                });
            }
            table.row(false, cells);
        }
    }
    html! {
        section {
            h2 { "Kommunenkäten" }
            p { "Svaret för området och andelen av de svarande som uppfyller indikatorn i jämförelsegrupperna (n = antal svarande)." }
            @if !answered {
                p {
                    strong { (own.label) " har inga egna svar i kommunenkäten " (year) }
                    " (där kommunen har stadsdelar svarar de i stället)."
                }
            }
            (table.render())
        }
    }
}

fn trend_charts(release: &Release, comparisons: &[Comparison]) -> Result<Markup, PublicationError> {
    let mut charts = Vec::new();
    let shown: Vec<&Comparison> = comparisons
        .iter()
        .filter(|c| {
            matches!(
                c.niva,
                Niva::Kommun | Niva::Stadsdel | Niva::Lan | Niva::Riket
            )
        })
        .collect();
    for m in release.indicators(IndicatorSource::Register) {
        let compared = if chart::comparable(m.kind) {
            &shown[..]
        } else {
            &shown[..shown.len().min(1)]
        };
        let series: Vec<Series> = compared
            .iter()
            .enumerate()
            .map(|(i, c)| Series {
                name: c.label.clone(),
                color: match c.niva {
                    Niva::Riket => PALETTE[3],
                    Niva::Lan => PALETTE[1],
                    _ if i == 0 => PALETTE[0],
                    _ => PALETTE[2],
                },
                points: release.history(&m.id, c.niva, &c.code, "totalt"),
            })
            .filter(|s| !s.points.is_empty())
            .collect();
        if series
            .first()
            .is_none_or(|s| s.name != comparisons[0].label)
        {
            continue;
        }
        let caption: Vec<String> = series
            .iter()
            .map(|s| {
                let points: Vec<String> = s
                    .points
                    .iter()
                    .map(|(y, c)| format!("{y}: {}", numbers::cell(m.kind, *c)))
                    .collect();
                format!("{} – {}", s.name, points.join("; "))
            })
            .collect();
        let svg = chart::trend(&m.id, m.kind, &series, (340, 190))?;
        charts.push(html! { div { h3 { (m.namn) } (html::figure(&svg, &caption.join(". "))) } });
    }
    Ok(html! {
        section { h2 { "Utveckling över tid" } div.grid { @for c in charts { (c) } } }
    })
}
