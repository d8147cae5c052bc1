//! Inline SVG charts drawn with plotters' SVG backend: the distribution of an indicator over the
//! kommuner (a histogram with riket and the län marked) and trends over the years.
//!
//! Guarantees: only published values are drawn; a suppressed, missing or not applicable point is
//! written as its marker at the foot of the chart, never plotted as zero; the output is an
//! `<svg>` element with no external references.

use super::error::PublicationError;
use super::numbers;
use super::rows::Cell;
use crate::vocab::IndicatorKind;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::fmt::Display;

/// Series colours: own region, län, kommungrupp, riket (distinguishable in grey print too).
pub(crate) const PALETTE: [RGBColor; 4] = [
    RGBColor(0x1f, 0x5f, 0xa8),
    RGBColor(0x2e, 0x8b, 0x57),
    RGBColor(0x7d, 0x3c, 0x98),
    RGBColor(0xc0, 0x39, 0x2b),
];

const FONT: &str = "sans-serif";

fn failed<E: Display>(chart: &str) -> impl Fn(E) -> PublicationError + '_ {
    move |e| PublicationError::Chart {
        chart: chart.to_string(),
        message: e.to_string(),
    }
}

/// Whether values of `kind` can be compared between regions of different size: shares, amounts
/// per inhabitant and ratios can; counts and sums (antal, tkr) cannot, so charts of those show no
/// riket or län beside a kommun.
pub(crate) fn comparable(kind: IndicatorKind) -> bool {
    matches!(
        kind,
        IndicatorKind::Andel | IndicatorKind::Kronor | IndicatorKind::Kvot
    )
}

/// The distribution of one indicator over the kommuner.
pub(crate) struct Distribution<'a> {
    /// Names the chart in errors.
    pub name: &'a str,
    pub kind: IndicatorKind,
    /// Published kommun values (markers already left out).
    pub kommuner: Vec<f64>,
    pub riket: Option<f64>,
    /// Published län values.
    pub lan: Vec<f64>,
}

/// Equal-width bins over `lo..hi`: (start, end, count).
fn bins(values: &[f64], lo: f64, hi: f64) -> Vec<(f64, f64, usize)> {
    let n = ((values.len() as f64).sqrt().ceil() as usize).clamp(5, 24);
    let width = (hi - lo) / n as f64;
    let mut counts = vec![0usize; n];
    for v in values {
        let i = (((v - lo) / width).floor() as usize).min(n - 1);
        counts[i] += 1;
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(i, c)| (lo + width * i as f64, lo + width * (i + 1) as f64, c))
        .collect()
}

/// A padded range that holds every value (never empty).
fn span(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() {
        return None;
    }
    if hi - lo < 1e-9 {
        let pad = (lo.abs() * 0.1).max(1.0);
        return Some((lo - pad, hi + pad));
    }
    Some((lo, hi))
}

/// A histogram of the kommun values with a line for riket and triangles for the län; `None` when
/// no kommun has a published value.
pub(crate) fn distribution(d: &Distribution) -> Result<Option<String>, PublicationError> {
    let all = d.kommuner.iter().chain(&d.lan).chain(&d.riket).copied();
    let (Some((lo, hi)), false) = (span(all), d.kommuner.is_empty()) else {
        return Ok(None);
    };
    let bins = bins(&d.kommuner, lo, hi);
    let top = bins.iter().map(|b| b.2).max().unwrap_or(1) as f64;
    let ymax = top * 1.25 + 1.0;
    let fail = failed(d.name);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 260)).into_drawing_area();
        root.fill(&WHITE).map_err(&fail)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(38)
            .y_label_area_size(46)
            .build_cartesian_2d(lo..hi, 0f64..ymax)
            .map_err(&fail)?;
        let unit = numbers::unit(d.kind);
        let x_label = |v: &f64| numbers::value(d.kind, *v);
        let y_label = |v: &f64| {
            if (v - v.round()).abs() < 1e-6 {
                format!("{v:.0}")
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .x_labels(8)
            .y_labels(5)
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .x_desc(if unit.is_empty() { "Värde" } else { unit })
            .y_desc("Antal kommuner")
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 12))
            .draw()
            .map_err(&fail)?;
        chart
            .draw_series(bins.iter().map(|&(a, b, c)| {
                Rectangle::new([(a, 0.0), (b, c as f64)], PALETTE[0].mix(0.55).filled())
            }))
            .map_err(&fail)?
            .label("Kommuner")
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 5), (x + 12, y + 5)], PALETTE[0].mix(0.55).filled())
            });
        if !d.lan.is_empty() {
            let y = top * 1.12 + 0.5;
            chart
                .draw_series(
                    d.lan
                        .iter()
                        .map(|&v| TriangleMarker::new((v, y), 5, PALETTE[1].filled())),
                )
                .map_err(&fail)?
                .label("Län")
                .legend(|(x, y)| TriangleMarker::new((x + 6, y), 5, PALETTE[1].filled()));
        }
        if let Some(r) = d.riket {
            chart
                .draw_series(LineSeries::new(
                    [(r, 0.0), (r, ymax)],
                    PALETTE[3].stroke_width(2),
                ))
                .map_err(&fail)?
                .label(format!("Riket {}", numbers::value(d.kind, r)))
                .legend(|(x, y)| {
                    PathElement::new([(x, y), (x + 12, y)], PALETTE[3].stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FONT, 12))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(&fail)?;
        root.present().map_err(&fail)?;
    }
    Ok(Some(svg))
}

/// Colours of the groups in a dot chart, light to dark (small to large kommuner).
const GROUP_COLORS: [RGBColor; 5] = [
    RGBColor(0x9e, 0xca, 0xe1),
    RGBColor(0x42, 0x92, 0xc6),
    RGBColor(0x21, 0x71, 0xb5),
    RGBColor(0x08, 0x30, 0x6b),
    RGBColor(0x4a, 0x4a, 0x4a),
];

/// Longest indicator label drawn beside a dot chart row (longer ones end with `…`).
const DOT_LABEL_CHARS: usize = 46;

/// One row of a dot chart: a label and each group's published share (`None` when the group has
/// a marker or no row).
pub(crate) struct DotRow {
    pub label: String,
    pub values: Vec<Option<f64>>,
}

/// A dot chart of shares (0–100 %): one row per indicator, one dot per group, and riket as a red
/// bar. Rows keep their order from the top.
pub(crate) fn dots(
    name: &str,
    groups: &[String],
    rows: &[DotRow],
    riket: &[Option<f64>],
) -> Result<String, PublicationError> {
    // Empty segments below the rows keep the legend clear of the dots.
    let legend_rows = ((groups.len() + 1) * 15 + 12).div_ceil(24);
    let segments = rows.len() + legend_rows;
    let n = i32::try_from(segments).unwrap_or(i32::MAX);
    let fail = failed(name);
    let height = 50 + 24 * u32::try_from(segments).unwrap_or(0);
    let labels: Vec<String> = rows
        .iter()
        .map(|r| {
            if r.label.chars().count() > DOT_LABEL_CHARS {
                let cut: String = r.label.chars().take(DOT_LABEL_CHARS - 1).collect();
                format!("{cut}…")
            } else {
                r.label.clone()
            }
        })
        .collect();
    // Segment i (from the bottom) shows row n-1-i, so the first row is on top.
    let at = |row: usize| SegmentValue::CenterOf(n - 1 - i32::try_from(row).unwrap_or(0));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (820, height)).into_drawing_area();
        root.fill(&WHITE).map_err(&fail)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(300)
            .build_cartesian_2d(0f64..100f64, (0..n).into_segmented())
            .map_err(&fail)?;
        let y_label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => usize::try_from(n - 1 - i)
                .ok()
                .and_then(|row| labels.get(row).cloned())
                .unwrap_or_default(),
            _ => String::new(),
        };
        let x_label = |v: &f64| format!("{v:.0} %");
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(TRANSPARENT)
            .y_labels(segments)
            .x_labels(6)
            .y_label_formatter(&y_label)
            .x_label_formatter(&x_label)
            .label_style((FONT, 12))
            .draw()
            .map_err(&fail)?;
        for (g, group) in groups.iter().enumerate() {
            let color = GROUP_COLORS[g.min(GROUP_COLORS.len() - 1)];
            chart
                .draw_series(rows.iter().enumerate().filter_map(|(i, r)| {
                    r.values
                        .get(g)
                        .copied()
                        .flatten()
                        .map(|v| Circle::new((v, at(i)), 5, color.filled()))
                }))
                .map_err(&fail)?
                .label(group.clone())
                .legend(move |(x, y)| Circle::new((x + 6, y), 5, color.filled()));
        }
        chart
            .draw_series(riket.iter().enumerate().filter_map(|(i, v)| {
                v.map(|v| {
                    EmptyElement::at((v, at(i)))
                        + Rectangle::new([(-1, -9), (1, 9)], PALETTE[3].filled())
                })
            }))
            .map_err(&fail)?
            .label("Riket")
            .legend(|(x, y)| Rectangle::new([(x + 5, y - 6), (x + 7, y + 6)], PALETTE[3].filled()));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .label_font((FONT, 11))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(&fail)?;
        root.present().map_err(&fail)?;
    }
    Ok(svg)
}

/// One line of a trend chart.
pub(crate) struct Series {
    pub name: String,
    pub(crate) color: RGBColor,
    /// (year, published cell) for each year that has a row.
    pub points: Vec<(i64, Cell)>,
}

/// A line chart over the years; runs of published values are joined, markers are written at the
/// foot of the chart in the series' colour.
pub(crate) fn trend(
    name: &str,
    kind: IndicatorKind,
    series: &[Series],
    size: (u32, u32),
) -> Result<String, PublicationError> {
    let years = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let first = years.clone().min().unwrap_or(0);
    let last = years.max().unwrap_or(0);
    let values = || {
        series.iter().flat_map(|s| {
            s.points.iter().filter_map(|p| match p.1 {
                Cell::Value(v) => Some(v),
                Cell::Marker(_) => None,
            })
        })
    };
    let (vlo, vhi) = span(values()).unwrap_or((0.0, 1.0));
    let lo = if vlo >= 0.0 { 0.0 } else { vlo * 1.1 };
    let hi = vhi + (vhi - lo).abs() * 0.15;
    let fail = failed(name);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(&fail)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(28)
            .y_label_area_size(52)
            .build_cartesian_2d((first as f64 - 0.5)..(last as f64 + 0.5), lo..hi)
            .map_err(&fail)?;
        let x_label = |v: &f64| {
            if (v - v.round()).abs() < 1e-6 {
                format!("{}", v.round() as i64)
            } else {
                String::new()
            }
        };
        let y_label = |v: &f64| numbers::value(kind, *v);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .x_labels(usize::try_from(last - first + 2).unwrap_or(2))
            .y_labels(5)
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .label_style((FONT, 12))
            .draw()
            .map_err(&fail)?;
        for (i, s) in series.iter().enumerate() {
            let style = s.color.stroke_width(2);
            let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
            for &(year, cell) in &s.points {
                match cell {
                    Cell::Value(v) => runs
                        .last_mut()
                        .map(|r| r.push((year as f64, v)))
                        .unwrap_or(()),
                    Cell::Marker(status) => {
                        runs.push(Vec::new());
                        let y = lo + (hi - lo) * (0.04 + 0.08 * i as f64);
                        let text = TextStyle::from((FONT, 18).into_font().style(FontStyle::Bold))
                            .color(&s.color)
                            .pos(Pos::new(HPos::Center, VPos::Bottom));
                        chart
                            .draw_series(std::iter::once(Text::new(
                                status.marker().to_string(),
                                (year as f64, y),
                                text,
                            )))
                            .map_err(&fail)?;
                    }
                }
            }
            for run in runs.iter().filter(|r| !r.is_empty()) {
                chart
                    .draw_series(LineSeries::new(run.iter().copied(), style))
                    .map_err(&fail)?;
            }
            let color = s.color;
            chart
                .draw_series(
                    runs.iter()
                        .flatten()
                        .map(|&p| Circle::new(p, 3, color.filled())),
                )
                .map_err(&fail)?
                .label(s.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 12, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font((FONT, 11))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(&fail)?;
        root.present().map_err(&fail)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Status;

    #[test]
    fn bins_cover_every_value_once() {
        // 9 values → ceil(sqrt 9) = 3, clamped up to 5 bins of width (10-0)/5 = 2.
        let v = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 9.0, 10.0];
        let b = bins(&v, 0.0, 10.0);
        assert_eq!(b.len(), 5);
        let counts: Vec<usize> = b.iter().map(|x| x.2).collect();
        // [0,2): 0,1  [2,4): 2,3  [4,6): 4,5  [6,8): 6  [8,10]: 9,10 (the top value joins the last bin)
        assert_eq!(counts, vec![2, 2, 2, 1, 2]);
    }

    #[test]
    fn distribution_without_kommun_values_draws_nothing() {
        let d = Distribution {
            name: "x",
            kind: IndicatorKind::Andel,
            kommuner: vec![],
            riket: Some(4.0),
            lan: vec![3.0],
        };
        assert!(distribution(&d).unwrap().is_none());
    }

    #[test]
    fn trend_writes_markers_as_text_not_points() {
        let s = Series {
            name: "Riket".into(),
            color: PALETTE[3],
            points: vec![
                (2015, Cell::Value(4.0)),
                (2016, Cell::Marker(Status::Suppressed)),
                (2017, Cell::Value(5.0)),
            ],
        };
        let svg = trend("t", IndicatorKind::Andel, &[s], (300, 160)).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains(">\n..\n</text>"), "{svg}");
        // two published points → two circles
        assert_eq!(svg.matches("<circle").count(), 2);
    }
}
