//! `pipelines/ekonomiskt_bistand.yaml` compiled into a typed [`Pipeline`]: its datasets, stages,
//! parameters and indicators, each by its own function.
//!
//! Guarantees: the five drops are declared, each with a known contract and valid file patterns,
//! reference datasets before the datasets that refer to them; the stages are exactly the four in
//! order; every parameter is within its range; every indicator has a known kind, source, groups
//! and (for a share) a denominator.

use super::kolada::check_kolada_kpi;
use super::{Collector, PIPELINE_FILE};
use crate::config::params::{self, MAX_WINDOW_YEARS};
use crate::config::raw::{RawDataset, RawIndicator, RawParameters, RawPipeline};
use crate::config::{Contract, Dataset, IndicatorDef, IndicatorKind, Parameters, Pipeline};
use crate::vocab::{MissingHistory, StageId};
use crate::yaml::{self, Spans};
use std::collections::{BTreeMap, BTreeSet};

/// The datasets every project declares (the five drops of drops.md).
const REQUIRED_DATASETS: [&str; 5] = ["regioner", "befolkning", "register", "bakgrund", "enkat"];

/// Compiles the pipeline definition `text`; contracts in `broken` exist but did not compile
/// (references to them are not reported again).
pub(super) fn compile_pipeline(
    c: &mut Collector,
    text: &str,
    contracts: &BTreeMap<String, Contract>,
    broken: &BTreeSet<String>,
) -> Option<Pipeline> {
    let raw: RawPipeline = match yaml::parse(PIPELINE_FILE, text) {
        Ok(r) => r,
        Err(e) => {
            c.push(
                PIPELINE_FILE,
                e.pos(),
                e.message,
                Some("see the field list in src/config/raw.rs"),
            );
            return None;
        }
    };
    let spans = Spans::read(text);
    let datasets = datasets(c, &spans, &raw.datasets, contracts, broken);
    check_dataset_order(c, &spans, &datasets, contracts);
    let stages = stages(c, &spans, &raw);
    let params = parameters(c, &spans, &raw.parameters);
    let indicators = indicators(c, &spans, &raw.indicators);
    Some(Pipeline {
        name: raw.pipeline,
        version: raw.version,
        datasets,
        params,
        stages,
        indicators,
    })
}

/// The declared datasets: unique names, known contracts, valid file patterns, all five drops.
fn datasets(
    c: &mut Collector,
    spans: &Spans,
    raw: &[RawDataset],
    contracts: &BTreeMap<String, Contract>,
    broken: &BTreeSet<String>,
) -> Vec<Dataset> {
    let file = PIPELINE_FILE;
    let mut seen = BTreeSet::new();
    for (i, d) in raw.iter().enumerate() {
        if !seen.insert(d.name.clone()) {
            c.push(
                file,
                spans.value(&format!("datasets.{i}.name")),
                format!("dataset `{}` is defined twice", d.name),
                None,
            );
        }
        if !contracts.contains_key(&d.contract) && !broken.contains(&d.contract) {
            let known: Vec<_> = contracts.keys().cloned().collect();
            c.push(
                file,
                spans.value(&format!("datasets.{i}.contract")),
                format!(
                    "dataset `{}` names contract `{}`, which does not exist",
                    d.name, d.contract
                ),
                Some(&format!("known contracts: {}", known.join(", "))),
            );
        }
        check_file_patterns(c, spans, i, d);
    }
    for required in REQUIRED_DATASETS {
        if !seen.contains(required) {
            c.push(
                file,
                spans.key("datasets"),
                format!("dataset `{required}` is missing"),
                Some("the five drops of drops.md are all required"),
            );
        }
    }
    raw.iter()
        .map(|d| Dataset {
            name: d.name.clone(),
            contract: d.contract.clone(),
            files: d.files.clone(),
        })
        .collect()
}

/// Dataset `i` lists at least one file pattern, and every pattern is a valid glob.
fn check_file_patterns(c: &mut Collector, spans: &Spans, i: usize, d: &RawDataset) {
    if d.files.is_empty() {
        c.push(
            PIPELINE_FILE,
            spans.value(&format!("datasets.{i}.files")),
            format!("dataset `{}` lists no file patterns", d.name),
            None,
        );
    }
    for (j, pattern) in d.files.iter().enumerate() {
        if glob::Pattern::new(pattern).is_err() {
            c.push(
                PIPELINE_FILE,
                spans.value(&format!("datasets.{i}.files.{j}")),
                format!(
                    "dataset `{}`: `{pattern}` is not a valid file pattern",
                    d.name
                ),
                None,
            );
        }
    }
}

/// Reference data must be ingested before the datasets that refer to it.
fn check_dataset_order(
    c: &mut Collector,
    spans: &Spans,
    datasets: &[Dataset],
    contracts: &BTreeMap<String, Contract>,
) {
    for (i, d) in datasets.iter().enumerate() {
        let Some(contract) = contracts.get(&d.contract) else {
            continue;
        };
        let targets = contract
            .columns
            .iter()
            .filter_map(|col| col.references.as_ref().map(|r| r.dataset.clone()))
            .chain(
                contract
                    .expr_references
                    .iter()
                    .map(|r| r.target.dataset.clone()),
            );
        for target in targets {
            if target != d.name && !datasets[..i].iter().any(|p| p.name == target) {
                c.push(
                    PIPELINE_FILE,
                    spans.value(&format!("datasets.{i}.name")),
                    format!(
                        "dataset `{}` refers to `{target}`, which is not listed before it",
                        d.name
                    ),
                    Some("list reference datasets (regioner) first: ingest runs in this order"),
                );
            }
        }
    }
}

/// The stages: exactly ingest, transform, disclose, publish, in that order.
fn stages(c: &mut Collector, spans: &Spans, raw: &RawPipeline) -> Vec<StageId> {
    let mut stages = Vec::new();
    for (i, s) in raw.stages.iter().enumerate() {
        match StageId::parse(&s.name) {
            Some(st) => stages.push(st),
            None => c.push(
                PIPELINE_FILE,
                spans.value(&format!("stages.{i}.name")),
                format!("unknown stage `{}`", s.name),
                Some("stages are ingest, transform, disclose, publish"),
            ),
        }
    }
    if stages != StageId::ALL {
        c.push(
            PIPELINE_FILE,
            spans.key("stages"),
            "stages must be exactly ingest, transform, disclose, publish, in that order",
            None,
        );
    }
    stages
}

/// The typed parameters, each within its range.
fn parameters(c: &mut Collector, spans: &Spans, p: &RawParameters) -> Parameters {
    let missing_history = match p.register.missing_history.as_str() {
        "fail" => MissingHistory::Fail,
        "not_applicable" => MissingHistory::NotApplicable,
        other => {
            c.push(
                PIPELINE_FILE,
                spans.value("parameters.register.missing_history"),
                format!("missing_history = `{other}` is not a choice"),
                Some("use fail or not_applicable"),
            );
            MissingHistory::Fail
        }
    };
    check_whole_number_ranges(c, spans, p);
    check_ingest_limits(c, spans, p);
    Parameters {
        register: params::RegisterParameters {
            long_term_months: p.register.long_term_months,
            very_long_term_months: p.register.very_long_term_months,
            very_long_term_window_years: p.register.very_long_term_window_years,
            adult_min_age: p.register.adult_min_age,
            young_adult_min_age: p.register.young_adult_min_age,
            young_adult_max_age: p.register.young_adult_max_age,
            child_max_age: p.register.child_max_age,
            counted_child_below_age: p.register.counted_child_below_age,
            missing_history,
        },
        disclosure: p.disclosure.clone(),
        ingest: p.ingest.clone(),
        survey: p.survey.clone(),
        drift: p.drift.clone(),
    }
}

/// The register and disclosure parameters that are whole numbers lie within their ranges.
fn check_whole_number_ranges(c: &mut Collector, spans: &Spans, p: &RawParameters) {
    let r = &p.register;
    let ranges = [
        ("long_term_months", r.long_term_months, 1, 12),
        (
            "very_long_term_window_years",
            r.very_long_term_window_years,
            1,
            MAX_WINDOW_YEARS,
        ),
        (
            "very_long_term_months",
            r.very_long_term_months,
            1,
            12 * r.very_long_term_window_years.max(1),
        ),
        ("adult_min_age", r.adult_min_age, 0, 110),
        ("young_adult_min_age", r.young_adult_min_age, 0, 110),
        (
            "young_adult_max_age",
            r.young_adult_max_age,
            r.young_adult_min_age,
            110,
        ),
        ("child_max_age", r.child_max_age, 0, 110),
        ("counted_child_below_age", r.counted_child_below_age, 0, 110),
        ("min_numerator", p.disclosure.min_numerator, 1, 1000),
        ("min_denominator", p.disclosure.min_denominator, 0, 100000),
    ];
    for (name, value, lo, hi) in ranges {
        if value < lo || value > hi {
            let section = if name.starts_with("min_") {
                "disclosure"
            } else {
                "register"
            };
            c.push(
                PIPELINE_FILE,
                spans.value(&format!("parameters.{section}.{name}")),
                format!("parameter {name} = {value} is outside {lo}..={hi}"),
                None,
            );
        }
    }
}

/// The ingest parameters: a percent, a line length arrow can hold, a positive amount.
fn check_ingest_limits(c: &mut Collector, spans: &Spans, p: &RawParameters) {
    let file = PIPELINE_FILE;
    if !(0.0..=100.0).contains(&p.ingest.reject_tolerance_percent) {
        c.push(
            file,
            spans.value("parameters.ingest.reject_tolerance_percent"),
            "reject_tolerance_percent must be within 0..=100",
            None,
        );
    }
    if p.ingest.max_line_bytes == 0 || p.ingest.max_line_bytes > u64::from(u32::MAX) {
        c.push(
            file,
            spans.value("parameters.ingest.max_line_bytes"),
            format!(
                "max_line_bytes = {} is outside 1..={}",
                p.ingest.max_line_bytes,
                u32::MAX
            ),
            Some("arrow's text arrays hold at most 4 GiB; a drop line is a few hundred bytes"),
        );
    }
    if p.ingest.read_chunk_bytes == 0 || p.ingest.read_chunk_bytes > u64::from(u32::MAX) {
        c.push(
            file,
            spans.value("parameters.ingest.read_chunk_bytes"),
            format!(
                "read_chunk_bytes = {} is outside 1..={}",
                p.ingest.read_chunk_bytes,
                u32::MAX
            ),
            Some("drop files are read in chunks of this size; 1048576 (1 MiB) is the default"),
        );
    }
    let max_belopp = p.ingest.max_belopp_kr_per_household_month;
    if max_belopp.is_nan() || max_belopp <= 0.0 {
        c.push(
            file,
            spans.value("parameters.ingest.max_belopp_kr_per_household_month"),
            "max_belopp_kr_per_household_month must be above 0",
            None,
        );
    }
}

/// The indicators, each defined once.
fn indicators(c: &mut Collector, spans: &Spans, raw: &[RawIndicator]) -> Vec<IndicatorDef> {
    let mut ids = BTreeSet::new();
    let mut indicators = Vec::new();
    for (i, ind) in raw.iter().enumerate() {
        if !ids.insert(ind.id.clone()) {
            c.push(
                PIPELINE_FILE,
                spans.at(&format!("indicators.{i}.id")),
                format!("indicator `{}` is defined twice", ind.id),
                None,
            );
        }
        indicators.push(indicator(c, spans, i, ind));
    }
    indicators
}

/// Indicator `i`: a known kind, source (and its id prefix) and groups, a denominator for a
/// share, a well-formed Kolada KPI id.
fn indicator(c: &mut Collector, spans: &Spans, i: usize, ind: &RawIndicator) -> IndicatorDef {
    let file = PIPELINE_FILE;
    let at = |key: &str| spans.at(&format!("indicators.{i}.{key}"));
    // Register and background indicators are shares, counts or amounts; ratios (`kvot`) are
    // survey indicators only.
    let kind = match IndicatorKind::parse(&ind.kind).filter(|k| *k != IndicatorKind::Kvot) {
        Some(k) => Some(k),
        None => {
            let other = &ind.kind;
            c.push(
                file,
                at("kind"),
                format!("indicator `{}` has unknown kind `{other}`", ind.id),
                Some("kinds: andel, antal, kronor, tkr"),
            );
            None
        }
    };
    check_indicator_source(c, spans, i, ind);
    for (j, g) in ind.grupper.iter().enumerate() {
        if crate::vocab::Grupp::parse(g).is_none() {
            c.push(
                file,
                at(&format!("grupper.{j}")),
                format!("indicator `{}` has unknown group `{g}`", ind.id),
                Some("groups: totalt, kvinnor, man, inrikes, utrikes"),
            );
        }
    }
    if kind == Some(IndicatorKind::Andel) && ind.namnare.is_none() {
        c.push(
            file,
            at("namnare"),
            format!("indicator `{}` is a share but has no namnare", ind.id),
            None,
        );
    }
    if let Some(kpi) = &ind.kolada_kpi {
        check_kolada_kpi(c, file, at("kolada_kpi"), &ind.id, kpi);
    }
    IndicatorDef {
        id: ind.id.clone(),
        namn: ind.namn.clone(),
        kind: kind.unwrap_or(IndicatorKind::Antal),
        source: ind.source.clone(),
        taljare: ind.taljare.clone(),
        namnare: ind.namnare.clone(),
        grupper: ind.grupper.clone(),
        kolada_kpi: ind.kolada_kpi.clone(),
    }
}

/// Indicator `i` has a known source and carries its prefix (`reg_`, `bak_`).
fn check_indicator_source(c: &mut Collector, spans: &Spans, i: usize, ind: &RawIndicator) {
    let at = |key: &str| spans.at(&format!("indicators.{i}.{key}"));
    if !["register", "bakgrund"].contains(&ind.source.as_str()) {
        c.push(
            PIPELINE_FILE,
            at("source"),
            format!("indicator `{}` has unknown source `{}`", ind.id, ind.source),
            Some("sources: register, bakgrund (survey indicators live in pipelines/enkat.yaml)"),
        );
    }
    let prefix_ok = match ind.source.as_str() {
        "register" => ind.id.starts_with("reg_"),
        _ => ind.id.starts_with("bak_"),
    };
    if !prefix_ok {
        c.push(
            PIPELINE_FILE,
            at("id"),
            format!("indicator `{}` does not carry its source's prefix", ind.id),
            Some("register indicators start with reg_, background measures with bak_"),
        );
    }
}
