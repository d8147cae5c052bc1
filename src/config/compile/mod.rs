//! Compiles the raw configuration into a typed [`Project`], collecting every problem with file,
//! line, column and hint instead of stopping at the first: the driver ([`compile_project`]) reads
//! the files and hands each to its compiler (`pipeline`, `contract` with `columns`, the
//! checks in [`crate::config::checks`], the other parts in `parts`), then checks what spans
//! files (`references`, `kolada`).
//!
//! Guarantees: a problem with a YAML entry points at the key or value it is about, found by the
//! entry's place in the document ([`crate::yaml::Spans`]: list index and keys), never by
//! searching the text.

mod columns;
mod contract;
mod kolada;
mod parts;
mod pipeline;
mod references;

use crate::config::{ConfigErrors, Contract, Diagnostic, Pipeline, Project, checks, disclosure};
use crate::yaml::{Pos, Spans};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The pipeline definition file, relative to the project root.
pub(crate) const PIPELINE_FILE: &str = "pipelines/ekonomiskt_bistand.yaml";
/// Folder of the data contracts.
pub(crate) const CONTRACTS_DIR: &str = "data-contracts";

/// The problems found so far.
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
    let pipeline_text = read_pipeline(&mut c, root);
    let contract_texts = read_contracts(&mut c, root);
    let mut sources = BTreeMap::new();
    for extra in ["pipelines/enkat.yaml", disclosure::DISCLOSURE_FILE] {
        if let Ok(t) = std::fs::read_to_string(root.join(extra)) {
            sources.insert(extra.to_string(), t);
        }
    }

    let (mut contracts, broken) = compile_contracts(&mut c, &contract_texts);
    references::check_contract_references(&mut c, &contracts, &contract_texts, &broken);
    let pipeline = pipeline_text
        .as_deref()
        .and_then(|text| pipeline::compile_pipeline(&mut c, text, &contracts, &broken));
    if let Some(p) = &pipeline {
        references::resolve_parameter_bounds(&mut c, &mut contracts, &contract_texts, &p.params);
    }
    let checks = pipeline
        .as_ref()
        .and_then(|p| compile_checks(&mut c, root, p, &contracts, &mut sources));
    let survey = parts::compile_survey(&mut c, &sources, &contracts);
    if let (Some(p), Some(s)) = (&pipeline, &survey) {
        kolada::check_kolada_unique(&mut c, p, s);
    }
    let disclosure =
        parts::compile_disclosure(&mut c, &sources, pipeline.as_ref(), survey.as_ref());
    let models = parts::compile_models(&mut c, root);

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

/// The text of the pipeline definition, when it can be read.
fn read_pipeline(c: &mut Collector, root: &Path) -> Option<String> {
    match std::fs::read_to_string(root.join(PIPELINE_FILE)) {
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
    }
}

/// The text of every contract file (`*.yaml`, `*.yml`), by its path relative to `root`.
fn read_contracts(c: &mut Collector, root: &Path) -> BTreeMap<String, String> {
    let mut texts = BTreeMap::new();
    let entries = match std::fs::read_dir(root.join(CONTRACTS_DIR)) {
        Ok(entries) => entries,
        Err(e) => {
            c.push(
                CONTRACTS_DIR,
                None,
                format!("cannot read the contracts folder: {e}"),
                None,
            );
            return texts;
        }
    };
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
                texts.insert(rel, t);
            }
            Err(e) => c.push(&rel, None, format!("cannot read: {e}"), None),
        }
    }
    texts
}

/// The contracts by id, and the file stems of those that exist but did not compile (references
/// to them are not reported again).
fn compile_contracts(
    c: &mut Collector,
    texts: &BTreeMap<String, String>,
) -> (BTreeMap<String, Contract>, BTreeSet<String>) {
    let mut contracts = BTreeMap::new();
    let mut broken = BTreeSet::new();
    for (file, text) in texts {
        let Some(contract) = contract::compile_contract(c, file, text) else {
            broken.insert(
                Path::new(file)
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string(),
            );
            continue;
        };
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
    (contracts, broken)
}

/// `pipelines/checks.yaml` compiled against the pipeline and contracts; its text joins
/// `sources` whether or not it compiled.
fn compile_checks(
    c: &mut Collector,
    root: &Path,
    pipeline: &Pipeline,
    contracts: &BTreeMap<String, Contract>,
    sources: &mut BTreeMap<String, String>,
) -> Option<checks::Checks> {
    match checks::load(root, pipeline, contracts) {
        Ok((checks, text)) => {
            sources.insert(checks::CHECKS_FILE.to_string(), text);
            Some(checks)
        }
        Err(d) => {
            c.diagnostics.extend(d);
            if let Ok(text) = std::fs::read_to_string(root.join(checks::CHECKS_FILE)) {
                sources.insert(checks::CHECKS_FILE.to_string(), text);
            }
            None
        }
    }
}
