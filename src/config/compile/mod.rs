//! Compiles the raw configuration into a typed [`Project`], collecting every problem with file,
//! line, column and hint instead of stopping at the first.
//!
//! Guarantees: a problem with a YAML entry points at the key or value it is about, found by the
//! entry's place in the document ([`yaml::Spans`]: list index and keys), never by searching the
//! text.

use super::raw::*;
use super::*;
use crate::vocab::MissingHistory;
use crate::yaml::{self, Pos, Spans};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::common::DFSchema;
use datafusion::prelude::SessionContext;
use std::collections::BTreeSet;
use std::path::Path;

/// The pipeline definition file, relative to the project root.
pub const PIPELINE_FILE: &str = "pipelines/ekonomiskt_bistand.yaml";
/// Folder of the data contracts.
pub const CONTRACTS_DIR: &str = "data-contracts";

const KNOWN_GROUPS: [&str; 5] = ["totalt", "kvinnor", "man", "inrikes", "utrikes"];

struct Collector {
    diagnostics: Vec<Diagnostic>,
}

impl Collector {
    fn push(
        &mut self,
        file: &str,
        at: Option<Pos>,
        message: impl Into<String>,
        hint: Option<&str>,
    ) {
        self.diagnostics
            .push(Diagnostic::at(file, at, message, hint.map(str::to_string)));
    }
}

/// Reads and compiles the project folder `root`; every problem is returned at once.
pub fn compile_project(root: &Path) -> Result<Project, ConfigErrors> {
    let mut c = Collector {
        diagnostics: Vec::new(),
    };
    let mut sources = BTreeMap::new();

    let pipeline_text = match std::fs::read_to_string(root.join(PIPELINE_FILE)) {
        Ok(t) => Some(t),
        Err(e) => {
            c.push(
                PIPELINE_FILE,
                None,
                format!("cannot read the pipeline definition: {e}"),
                Some("run oj from the project folder or pass --project DIR"),
            );
            None
        }
    };

    let mut contract_texts = BTreeMap::new();
    match std::fs::read_dir(root.join(CONTRACTS_DIR)) {
        Ok(entries) => {
            let mut files: Vec<_> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect();
            files.sort();
            for path in files {
                let rel = format!(
                    "{CONTRACTS_DIR}/{}",
                    path.file_name().unwrap_or_default().to_string_lossy()
                );
                match std::fs::read_to_string(&path) {
                    Ok(t) => {
                        contract_texts.insert(rel, t);
                    }
                    Err(e) => c.push(&rel, None, format!("cannot read: {e}"), None),
                }
            }
        }
        Err(e) => c.push(
            CONTRACTS_DIR,
            None,
            format!("cannot read the contracts folder: {e}"),
            None,
        ),
    }

    for extra in ["pipelines/enkat.yaml", disclosure::DISCLOSURE_FILE] {
        if let Ok(t) = std::fs::read_to_string(root.join(extra)) {
            sources.insert(extra.to_string(), t);
        }
    }

    let mut contracts = BTreeMap::new();
    // Contracts that exist but did not compile: references to them are not reported again.
    let mut broken = BTreeSet::new();
    for (file, text) in &contract_texts {
        let compiled = compile_contract(&mut c, file, text);
        if compiled.is_none() {
            broken.insert(
                Path::new(file)
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string(),
            );
        }
        if let Some(contract) = compiled {
            if contracts.contains_key(&contract.id) {
                c.push(
                    file,
                    Spans::read(text).value("id"),
                    format!("contract id `{}` is used by two files", contract.id),
                    None,
                );
            }
            contracts.insert(contract.id.clone(), contract);
        }
    }
    check_contract_references(&mut c, &contracts, &contract_texts, &broken);

    let pipeline = pipeline_text
        .as_deref()
        .and_then(|text| compile_pipeline(&mut c, text, &contracts, &broken));

    if let Some(p) = &pipeline {
        resolve_parameter_bounds(&mut c, &mut contracts, &contract_texts, &p.params);
    }

    let checks = match &pipeline {
        Some(p) => match super::checks::load(root, p, &contracts) {
            Ok((checks, text)) => {
                sources.insert(super::checks::CHECKS_FILE.to_string(), text);
                Some(checks)
            }
            Err(d) => {
                c.diagnostics.extend(d);
                if let Ok(text) = std::fs::read_to_string(root.join(super::checks::CHECKS_FILE)) {
                    sources.insert(super::checks::CHECKS_FILE.to_string(), text);
                }
                None
            }
        },
        None => None,
    };
    let survey = compile_survey(&mut c, &sources, &contracts);
    if let (Some(p), Some(s)) = (&pipeline, &survey) {
        check_kolada_unique(&mut c, p, s);
    }
    let disclosure = compile_disclosure(&mut c, &sources, pipeline.as_ref(), survey.as_ref());
    let models = compile_models(&mut c, root);

    if let Some(t) = pipeline_text {
        sources.insert(PIPELINE_FILE.to_string(), t);
    }
    sources.extend(contract_texts);

    match (pipeline, checks, survey, disclosure, models) {
        (Some(pipeline), Some(checks), Some(survey), Some(disclosure), Some(models))
            if c.diagnostics.is_empty() =>
        {
            Ok(Project {
                root: root.to_path_buf(),
                pipeline,
                contracts,
                checks,
                survey,
                disclosure,
                models,
                sources,
            })
        }
        _ => Err(ConfigErrors(c.diagnostics, sources)),
    }
}

/// A declared Kolada KPI id has Kolada's shape (one capital letter, five digits).
fn check_kolada_kpi(c: &mut Collector, file: &str, at: Option<Pos>, id: &str, kpi: &str) {
    if !crate::vocab::is_kpi_id(kpi) {
        c.push(
            file,
            at,
            format!("indicator `{id}` has kolada_kpi `{kpi}`, which is not a Kolada KPI id"),
            Some("a Kolada KPI id is one capital letter and five digits, e.g. N31807"),
        );
    }
}

/// No Kolada KPI id is declared for two different indicators (kolada.csv would hold two
/// figures for one KPI and kommun).
fn check_kolada_unique(
    c: &mut Collector,
    pipeline: &Pipeline,
    survey: &crate::config::survey::SurveyConfig,
) {
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    let declared = pipeline
        .indicators
        .iter()
        .filter_map(|i| Some((i.id.as_str(), i.kolada_kpi.as_deref()?)))
        .chain(survey.kolada_kpis());
    for (id, kpi) in declared {
        match owner.get(kpi) {
            Some(first) if *first != id => c.push(
                PIPELINE_FILE,
                None,
                format!("Kolada KPI `{kpi}` is declared for both `{first}` and `{id}`"),
                Some("each Kolada KPI id belongs to one indicator"),
            ),
            _ => {
                owner.insert(kpi, id);
            }
        }
    }
}

/// `pipelines/disclosure.yaml`: its relations name indicators, levels and groups that exist.
/// Not compiled (and not reported) when the pipeline or the survey did not compile.
fn compile_disclosure(
    c: &mut Collector,
    sources: &BTreeMap<String, String>,
    pipeline: Option<&Pipeline>,
    survey: Option<&crate::config::survey::SurveyConfig>,
) -> Option<disclosure::DisclosureConfig> {
    let Some(text) = sources.get(disclosure::DISCLOSURE_FILE) else {
        c.push(
            disclosure::DISCLOSURE_FILE,
            None,
            "the disclosure configuration is missing",
            Some("pipelines/disclosure.yaml declares the amount rules, protection levels and linked tables"),
        );
        return None;
    };
    let (pipeline, survey) = (pipeline?, survey?);
    let known = disclosure::KnownIndicators::new(
        &pipeline.indicators,
        survey
            .all_indicators()
            .iter()
            .map(|i| (i.id.as_str(), i.namnare.is_some())),
    );
    match disclosure::compile(text, &known, pipeline.params.disclosure.min_numerator) {
        Ok(config) => Some(config),
        Err(diagnostics) => {
            c.diagnostics.extend(diagnostics);
            None
        }
    }
}

/// The `sql/` models: every file parses, reads only known tables, and no cycle exists.
fn compile_models(c: &mut Collector, root: &Path) -> Option<super::models::ModelSet> {
    let mut sources: Vec<&str> = crate::vocab::names::MODEL_SOURCES.to_vec();
    sources.extend(super::survey_tables::TABLES);
    match super::models::ModelSet::load(&root.join("sql"), &sources) {
        Ok(models) => Some(models),
        Err(diagnostics) => {
            for d in diagnostics {
                let file = d
                    .file
                    .strip_prefix(root)
                    .unwrap_or(&d.file)
                    .display()
                    .to_string();
                c.diagnostics.push(Diagnostic {
                    file,
                    line: d.line,
                    column: None,
                    message: d.message.clone(),
                    hint: None,
                });
            }
            None
        }
    }
}

/// The survey configuration, checked against the survey contract's fixed columns.
fn compile_survey(
    c: &mut Collector,
    sources: &BTreeMap<String, String>,
    contracts: &BTreeMap<String, Contract>,
) -> Option<crate::config::survey::SurveyConfig> {
    use crate::config::survey::CONFIG_PATH;
    let Some(text) = sources.get(CONFIG_PATH) else {
        c.push(
            CONFIG_PATH,
            None,
            "the survey configuration is missing",
            Some("pipelines/enkat.yaml lists the questions per year"),
        );
        return None;
    };
    match crate::config::survey::SurveyConfig::from_yaml(CONFIG_PATH, text) {
        Ok(survey) => {
            if let Some(contract) = contracts.values().find(|k| k.question_columns) {
                let fixed: Vec<&str> = contract
                    .columns
                    .iter()
                    .map(|col| col.name.as_str())
                    .collect();
                c.diagnostics
                    .extend(crate::config::survey::check_against_contract(
                        &survey, &fixed,
                    ));
            }
            Some(survey)
        }
        Err(e) => {
            c.diagnostics.extend(e.diagnostics());
            None
        }
    }
}

fn compile_pipeline(
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
    let file = PIPELINE_FILE;
    let spans = Spans::read(text);
    let mut datasets = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, d) in raw.datasets.iter().enumerate() {
        let line = spans.value(&format!("datasets.{i}.name"));
        if !seen.insert(d.name.clone()) {
            c.push(
                file,
                line,
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
        if d.files.is_empty() {
            c.push(
                file,
                spans.value(&format!("datasets.{i}.files")),
                format!("dataset `{}` lists no file patterns", d.name),
                None,
            );
        }
        for (j, pattern) in d.files.iter().enumerate() {
            if glob::Pattern::new(pattern).is_err() {
                c.push(
                    file,
                    spans.value(&format!("datasets.{i}.files.{j}")),
                    format!(
                        "dataset `{}`: `{pattern}` is not a valid file pattern",
                        d.name
                    ),
                    None,
                );
            }
        }
        datasets.push(Dataset {
            name: d.name.clone(),
            contract: d.contract.clone(),
            files: d.files.clone(),
        });
    }
    for required in ["regioner", "befolkning", "register", "bakgrund", "enkat"] {
        if !seen.contains(required) {
            c.push(
                file,
                spans.key("datasets"),
                format!("dataset `{required}` is missing"),
                Some("the five drops of drops.md are all required"),
            );
        }
    }
    // Reference data must be ingested before the datasets that refer to it.
    for (i, d) in datasets.iter().enumerate() {
        if let Some(contract) = contracts.get(&d.contract) {
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
                        file,
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

    let mut stages = Vec::new();
    for (i, s) in raw.stages.iter().enumerate() {
        match StageId::parse(&s.name) {
            Some(st) => stages.push(st),
            None => c.push(
                file,
                spans.value(&format!("stages.{i}.name")),
                format!("unknown stage `{}`", s.name),
                Some("stages are ingest, transform, disclose, publish"),
            ),
        }
    }
    if stages != StageId::ALL {
        c.push(
            file,
            spans.key("stages"),
            "stages must be exactly ingest, transform, disclose, publish, in that order",
            None,
        );
    }

    let p = &raw.parameters;
    let missing_history = match p.register.missing_history.as_str() {
        "fail" => MissingHistory::Fail,
        "not_applicable" => MissingHistory::NotApplicable,
        other => {
            c.push(
                file,
                spans.value("parameters.register.missing_history"),
                format!("missing_history = `{other}` is not a choice"),
                Some("use fail or not_applicable"),
            );
            MissingHistory::Fail
        }
    };
    let positive = [
        ("long_term_months", p.register.long_term_months, 1, 12),
        (
            "very_long_term_window_years",
            p.register.very_long_term_window_years,
            1,
            crate::config::params::MAX_WINDOW_YEARS,
        ),
        (
            "very_long_term_months",
            p.register.very_long_term_months,
            1,
            12 * p.register.very_long_term_window_years.max(1),
        ),
        ("adult_min_age", p.register.adult_min_age, 0, 110),
        (
            "young_adult_min_age",
            p.register.young_adult_min_age,
            0,
            110,
        ),
        (
            "young_adult_max_age",
            p.register.young_adult_max_age,
            p.register.young_adult_min_age,
            110,
        ),
        ("child_max_age", p.register.child_max_age, 0, 110),
        (
            "counted_child_below_age",
            p.register.counted_child_below_age,
            0,
            110,
        ),
        ("min_numerator", p.disclosure.min_numerator, 1, 1000),
        ("min_denominator", p.disclosure.min_denominator, 0, 100000),
    ];
    for (name, value, lo, hi) in positive {
        if value < lo || value > hi {
            let section = if name.starts_with("min_") {
                "disclosure"
            } else {
                "register"
            };
            c.push(
                file,
                spans.value(&format!("parameters.{section}.{name}")),
                format!("parameter {name} = {value} is outside {lo}..={hi}"),
                None,
            );
        }
    }
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
    let max_belopp = p.ingest.max_belopp_kr_per_household_month;
    if max_belopp.is_nan() || max_belopp <= 0.0 {
        c.push(
            file,
            spans.value("parameters.ingest.max_belopp_kr_per_household_month"),
            "max_belopp_kr_per_household_month must be above 0",
            None,
        );
    }

    let mut indicators = Vec::new();
    let mut ids = BTreeSet::new();
    for (i, ind) in raw.indicators.iter().enumerate() {
        let at = |key: &str| spans.at(&format!("indicators.{i}.{key}"));
        let line = at("id");
        if !ids.insert(ind.id.clone()) {
            c.push(
                file,
                line,
                format!("indicator `{}` is defined twice", ind.id),
                None,
            );
        }
        let kind = match ind.kind.as_str() {
            "andel" => Some(IndicatorKind::Andel),
            "antal" => Some(IndicatorKind::Antal),
            "kronor" => Some(IndicatorKind::Kronor),
            "tkr" => Some(IndicatorKind::Tkr),
            other => {
                c.push(
                    file,
                    at("kind"),
                    format!("indicator `{}` has unknown kind `{other}`", ind.id),
                    Some("kinds: andel, antal, kronor, tkr"),
                );
                None
            }
        };
        if !["register", "bakgrund"].contains(&ind.source.as_str()) {
            c.push(
                file,
                at("source"),
                format!("indicator `{}` has unknown source `{}`", ind.id, ind.source),
                Some(
                    "sources: register, bakgrund (survey indicators live in pipelines/enkat.yaml)",
                ),
            );
        }
        let prefix_ok = match ind.source.as_str() {
            "register" => ind.id.starts_with("reg_"),
            _ => ind.id.starts_with("bak_"),
        };
        if !prefix_ok {
            c.push(
                file,
                line,
                format!("indicator `{}` does not carry its source's prefix", ind.id),
                Some("register indicators start with reg_, background measures with bak_"),
            );
        }
        for (j, g) in ind.grupper.iter().enumerate() {
            if !KNOWN_GROUPS.contains(&g.as_str()) {
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
        indicators.push(IndicatorDef {
            id: ind.id.clone(),
            namn: ind.namn.clone(),
            kind: kind.unwrap_or(IndicatorKind::Antal),
            source: ind.source.clone(),
            taljare: ind.taljare.clone(),
            namnare: ind.namnare.clone(),
            grupper: ind.grupper.clone(),
            kolada_kpi: ind.kolada_kpi.clone(),
        });
    }

    Some(Pipeline {
        name: raw.pipeline,
        version: raw.version,
        datasets,
        params: Parameters {
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
        },
        stages,
        indicators,
    })
}

fn compile_contract(c: &mut Collector, file: &str, text: &str) -> Option<Contract> {
    let raw: RawContract = match yaml::parse(file, text) {
        Ok(r) => r,
        Err(e) => {
            c.push(file, e.pos(), e.message, Some("contracts follow ODCS v3: schema → properties with logicalType, required, unique, logicalTypeOptions, quality"));
            return None;
        }
    };
    let before = c.diagnostics.len();
    let spans = Spans::read(text);
    let stem = Path::new(file)
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .to_string();
    if raw.id != stem {
        c.push(
            file,
            spans.value("id"),
            format!(
                "contract id `{}` differs from the file name `{stem}`",
                raw.id
            ),
            Some("name the file <id>.yaml"),
        );
    }
    if raw.kind != "DataContract" {
        c.push(
            file,
            spans.value("kind"),
            format!("kind `{}` is not DataContract", raw.kind),
            None,
        );
    }
    let f = &raw.format;
    if f.kind != "csv" {
        c.push(
            file,
            spans.value("format.type"),
            format!("format type `{}` is not supported", f.kind),
            Some("use csv (an xlsx survey is read by its file extension)"),
        );
    }
    let delimiter = match f.delimiter.as_bytes() {
        [b] => *b,
        _ => {
            c.push(
                file,
                spans.value("format.delimiter"),
                format!(
                    "delimiter `{}` is not one character",
                    f.delimiter.escape_default()
                ),
                Some("use \";\" or \"\\t\""),
            );
            b';'
        }
    };
    let encoding = match f.encoding.to_ascii_lowercase().as_str() {
        "utf-8" | "utf8" => Encoding::Utf8,
        "windows-1252" | "cp1252" => Encoding::Windows1252,
        other => {
            c.push(
                file,
                spans.value("format.encoding"),
                format!("encoding `{other}` is not supported"),
                Some("use utf-8 or windows-1252"),
            );
            Encoding::Utf8
        }
    };
    let decimal_comma = match f.decimal.as_str() {
        "." => false,
        "," => true,
        other => {
            c.push(
                file,
                spans.value("format.decimal"),
                format!("decimal separator `{other}` is not supported"),
                Some("use \".\" or \",\""),
            );
            false
        }
    };
    let question_columns = match f.question_columns.as_deref() {
        None => false,
        Some("survey") => true,
        Some(other) => {
            c.push(
                file,
                spans.value("format.questionColumns"),
                format!("questionColumns `{other}` is not known"),
                Some("the only source is `survey` (pipelines/enkat.yaml)"),
            );
            false
        }
    };
    if let Some(t) = raw
        .reject_tolerance_percent
        .filter(|t| !(0.0..=100.0).contains(t))
    {
        c.push(
            file,
            spans.value("rejectTolerancePercent"),
            format!("rejectTolerancePercent {t} is outside 0..=100"),
            None,
        );
    }
    if raw.schema.len() != 1 {
        c.push(
            file,
            spans.key("schema"),
            "a drop contract has exactly one schema object",
            None,
        );
        return None;
    }
    let schema = &raw.schema[0];
    if schema.name != raw.id {
        c.push(
            file,
            spans.value("schema.0.name"),
            format!(
                "schema name `{}` differs from the contract id `{}`",
                schema.name, raw.id
            ),
            None,
        );
    }

    let mut columns = Vec::new();
    let mut names = BTreeSet::new();
    for (pi, p) in schema.properties.iter().enumerate() {
        let at = |key: &str| spans.at(&format!("schema.0.properties.{pi}.{key}"));
        let line = at("name");
        let mut header_names = vec![p.name.to_lowercase()];
        header_names.extend(p.aliases.iter().map(|a| a.trim().to_lowercase()));
        for h in header_names {
            if !names.insert(h.clone()) {
                c.push(
                    file,
                    line,
                    format!("column name or alias `{h}` is used twice"),
                    None,
                );
            }
        }
        let parsed = LogicalType::parse(&p.logical_type);
        if parsed.is_none() {
            c.push(
                file,
                at("logicalType"),
                format!(
                    "column `{}` has unknown logicalType `{}`",
                    p.name, p.logical_type
                ),
                Some("use string, integer, number or date"),
            );
        }
        let logical = parsed.unwrap_or(LogicalType::String);
        let mut column = Column {
            name: p.name.clone(),
            logical,
            required: p.required,
            unique: p.unique,
            aliases: p.aliases.clone(),
            allowed: Vec::new(),
            pattern: None,
            minimum: None,
            maximum: None,
            minimum_parameter: None,
            maximum_parameter: None,
            equals_drop_year: false,
            references: None,
        };
        if let (Some(o), Some(_)) = (&p.logical_type_options, parsed) {
            for (k, v) in o.allowed.iter().flatten().enumerate() {
                match (v, logical) {
                    (RawScalar::Int(i), LogicalType::Integer | LogicalType::Number) => {
                        column.allowed.push(i.to_string())
                    }
                    (RawScalar::Text(s), LogicalType::String) => column.allowed.push(s.clone()),
                    _ => c.push(
                        file,
                        at(&format!("logicalTypeOptions.enum.{k}")),
                        format!(
                            "column `{}`: allowed value {v:?} does not fit logicalType {}",
                            p.name,
                            logical.name()
                        ),
                        None,
                    ),
                }
            }
            if let Some(pattern) = &o.pattern {
                if logical != LogicalType::String {
                    c.push(
                        file,
                        at("logicalTypeOptions.pattern"),
                        format!("column `{}`: a pattern needs logicalType string", p.name),
                        None,
                    );
                }
                if let Err(e) = regex::Regex::new(pattern) {
                    c.push(
                        file,
                        at("logicalTypeOptions.pattern"),
                        format!("column `{}`: pattern does not compile: {e}", p.name),
                        None,
                    );
                }
                column.pattern = Some(pattern.clone());
            }
            let mut bound = |b: &Option<RawBound>, which: &str| match b {
                None => (None, None),
                Some(RawBound::Number(n)) => (Some(*n), None),
                Some(RawBound::Parameter(s)) => match s.strip_prefix('$') {
                    Some(name) => (None, Some(name.to_string())),
                    None => {
                        c.push(
                            file,
                            line,
                            format!("column `{}`: {which} `{s}` is neither a number nor a `$parameter`", p.name),
                            Some("write a number or $section.name of a pipeline parameter, e.g. $ingest.max_belopp_kr_per_household_month"),
                        );
                        (None, None)
                    }
                },
            };
            (column.minimum, column.minimum_parameter) = bound(&o.minimum, "minimum");
            (column.maximum, column.maximum_parameter) = bound(&o.maximum, "maximum");
            if (o.minimum.is_some() || o.maximum.is_some())
                && !matches!(logical, LogicalType::Integer | LogicalType::Number)
            {
                let key = if o.minimum.is_some() {
                    "minimum"
                } else {
                    "maximum"
                };
                c.push(
                    file,
                    at(&format!("logicalTypeOptions.{key}")),
                    format!(
                        "column `{}`: minimum/maximum need a numeric logicalType",
                        p.name
                    ),
                    None,
                );
            }
            if let (Some(lo), Some(hi)) = (column.minimum, column.maximum)
                && lo > hi
            {
                c.push(
                    file,
                    at("logicalTypeOptions.minimum"),
                    format!("column `{}`: minimum {lo} is above maximum {hi}", p.name),
                    None,
                );
            }
            if o.equals_drop_year && logical != LogicalType::Integer {
                c.push(
                    file,
                    at("logicalTypeOptions.equalsDropYear"),
                    format!(
                        "column `{}`: equalsDropYear needs logicalType integer",
                        p.name
                    ),
                    None,
                );
            }
            column.equals_drop_year = o.equals_drop_year;
        }
        column.references = p.references.as_ref().map(|r| Reference {
            dataset: r.dataset.clone(),
            column: r.column.clone(),
            filter: r.filter.clone(),
        });
        columns.push(column);
    }

    let typed_schema = contract_df_schema(&columns);
    let ctx = SessionContext::new();
    let mut rules = Vec::new();
    let mut uniques: Vec<UniqueKey> = columns
        .iter()
        .filter(|col| col.unique)
        .map(|col| UniqueKey {
            id: format!("unique_{}", col.name),
            columns: vec![col.name.clone()],
        })
        .collect();
    let mut expr_references = Vec::new();
    let mut ids = BTreeSet::new();
    for (qi, q) in schema.quality.iter().enumerate() {
        let at = |key: &str| spans.at(&format!("schema.0.quality.{qi}.{key}"));
        let line = at("id");
        if !ids.insert(q.id.clone()) {
            c.push(
                file,
                line,
                format!("quality rule id `{}` is used twice", q.id),
                None,
            );
        }
        let kinds = [q.rule.is_some(), q.unique.is_some(), q.reference.is_some()];
        if kinds.iter().filter(|k| **k).count() != 1 {
            c.push(
                file,
                line,
                format!(
                    "quality rule `{}` must have exactly one of rule, unique, reference",
                    q.id
                ),
                None,
            );
            continue;
        }
        if let Some(sql) = &q.rule {
            check_sql_expr(c, &ctx, &typed_schema, file, at("rule"), &q.id, sql);
            rules.push(RowRule {
                id: q.id.clone(),
                description: q.description.clone(),
                sql: sql.trim().to_string(),
            });
        }
        if let Some(cols) = &q.unique {
            for (k, col) in cols.iter().enumerate() {
                if !columns.iter().any(|x| &x.name == col) {
                    c.push(file, at(&format!("unique.{k}")), format!("quality rule `{}`: unique column `{col}` is not a column of the contract", q.id), None);
                }
            }
            uniques.push(UniqueKey {
                id: q.id.clone(),
                columns: cols.clone(),
            });
        }
        if let Some(r) = &q.reference {
            let expression = at("reference.expression");
            check_sql_expr(
                c,
                &ctx,
                &typed_schema,
                file,
                expression,
                &q.id,
                &r.expression,
            );
            if let Some(w) = &r.when {
                check_sql_expr(c, &ctx, &typed_schema, file, at("reference.when"), &q.id, w);
            }
            expr_references.push(ExprReference {
                id: q.id.clone(),
                description: q.description.clone(),
                expression: r.expression.clone(),
                when: r.when.clone(),
                target: Reference {
                    dataset: r.dataset.clone(),
                    column: r.column.clone(),
                    filter: r.filter.clone(),
                },
            });
        }
    }
    if c.diagnostics.len() > before {
        return None;
    }
    Some(Contract {
        id: raw.id,
        version: raw.version,
        file: file.to_string(),
        format: Format {
            delimiter,
            encoding,
            decimal_comma,
        },
        reject_tolerance_percent: raw.reject_tolerance_percent,
        columns,
        rules,
        uniques,
        expr_references,
        question_columns,
    })
}

/// Sets the bounds contracts take from pipeline parameters (`maximum: $ingest.…`); an unknown or
/// non-numeric parameter, or a minimum above the maximum, names the contract's line.
fn resolve_parameter_bounds(
    c: &mut Collector,
    contracts: &mut BTreeMap<String, Contract>,
    texts: &BTreeMap<String, String>,
    params: &Parameters,
) {
    for contract in contracts.values_mut() {
        let spans = Spans::read(texts.get(&contract.file).map(String::as_str).unwrap_or(""));
        for column in &mut contract.columns {
            let item = spans
                .item_with("schema.0.properties", "name", &column.name)
                .map(|i| format!("schema.0.properties.{i}"));
            let at = |key: &str| {
                let item = item.as_deref()?;
                spans.at(&format!("{item}.{key}"))
            };
            for (name, value, key) in [
                (&column.minimum_parameter, &mut column.minimum, "minimum"),
                (&column.maximum_parameter, &mut column.maximum, "maximum"),
            ] {
                let Some(name) = name else { continue };
                match params.number(name) {
                    Some(n) => *value = Some(n),
                    None => c.push(
                        &contract.file,
                        at(&format!("logicalTypeOptions.{key}")),
                        format!(
                            "column `{}`: `${name}` is not a numeric parameter of {PIPELINE_FILE}",
                            column.name
                        ),
                        Some("name a number under parameters:, e.g. $ingest.max_belopp_kr_per_household_month"),
                    ),
                }
            }
            if let (Some(lo), Some(hi)) = (column.minimum, column.maximum)
                && lo > hi
            {
                c.push(
                    &contract.file,
                    at("logicalTypeOptions.minimum"),
                    format!(
                        "column `{}`: minimum {lo} is above maximum {hi}",
                        column.name
                    ),
                    None,
                );
            }
        }
    }
}

/// The typed schema a contract's rules are written against (its columns plus `ar`).
pub fn contract_df_schema(columns: &[Column]) -> DFSchema {
    let mut fields: Vec<Field> = columns
        .iter()
        .map(|c| Field::new(&c.name, c.logical.arrow_type(), true))
        .collect();
    if !columns.iter().any(|c| c.name == "ar") {
        fields.push(Field::new(
            "ar",
            datafusion::arrow::datatypes::DataType::Int64,
            true,
        ));
    }
    DFSchema::try_from(Schema::new(fields)).unwrap_or_else(|_| DFSchema::empty())
}

fn check_sql_expr(
    c: &mut Collector,
    ctx: &SessionContext,
    schema: &DFSchema,
    file: &str,
    line: Option<Pos>,
    id: &str,
    sql: &str,
) {
    match ctx.parse_sql_expr(sql, schema) {
        Ok(expr) => {
            for col in expr.column_refs() {
                if schema.field_with_unqualified_name(&col.name).is_err() {
                    c.push(
                        file,
                        line,
                        format!(
                            "rule `{id}` uses `{}`, which is not a column of the contract",
                            col.name
                        ),
                        None,
                    );
                }
            }
        }
        Err(e) => c.push(
            file,
            line,
            format!("rule `{id}` is not a valid SQL expression: {e}"),
            None,
        ),
    }
}

fn check_contract_references(
    c: &mut Collector,
    contracts: &BTreeMap<String, Contract>,
    texts: &BTreeMap<String, String>,
    broken: &BTreeSet<String>,
) {
    let ctx = SessionContext::new();
    for contract in contracts.values() {
        let spans = Spans::read(texts.get(&contract.file).map(String::as_str).unwrap_or(""));
        // Each reference with the path of its YAML mapping.
        let refs = contract
            .columns
            .iter()
            .filter_map(|col| {
                let r = col.references.as_ref()?;
                let i = spans.item_with("schema.0.properties", "name", &col.name);
                let path = format!("schema.0.properties.{}.references", i.unwrap_or(usize::MAX));
                Some((col.name.clone(), r, path))
            })
            .chain(contract.expr_references.iter().map(|r| {
                let i = spans.item_with("schema.0.quality", "id", &r.id);
                let path = format!("schema.0.quality.{}.reference", i.unwrap_or(usize::MAX));
                (r.id.clone(), &r.target, path)
            }));
        for (owner, r, path) in refs {
            let line = spans.at(&format!("{path}.dataset"));
            let Some(target) = contracts.get(&r.dataset) else {
                if broken.contains(&r.dataset) {
                    continue;
                }
                c.push(
                    &contract.file,
                    line,
                    format!(
                        "`{owner}` refers to dataset `{}`, which has no contract",
                        r.dataset
                    ),
                    Some(&format!(
                        "known: {}",
                        contracts.keys().cloned().collect::<Vec<_>>().join(", ")
                    )),
                );
                continue;
            };
            if target.column(&r.column).is_none() {
                c.push(
                    &contract.file,
                    spans.at(&format!("{path}.column")),
                    format!(
                        "`{owner}` refers to `{}.{}`, which is not a column",
                        r.dataset, r.column
                    ),
                    None,
                );
            }
            if let Some(filter) = &r.filter {
                check_sql_expr(
                    c,
                    &ctx,
                    &contract_df_schema(&target.columns),
                    &contract.file,
                    spans.at(&format!("{path}.where")),
                    &owner,
                    filter,
                );
            }
        }
    }
}
