//! Planning what a run runs, against schemas only (no data, nothing read from a lake): every `sql/`
//! model in dependency order against the staged datasets' contract schemas and the planned schemas
//! of the models it reads, with the run's `$parameters` bound; then every check's queries against
//! the tables it names. Part of compiling the project, so `oj validate` (and every command) finds
//! an unknown column in a model or a check, a UNION of different shapes, an unknown `$parameter`
//! or a missing model that a stage reads before any data is touched.
//!
//! Guarantees: every diagnostic names a file and, when the file exists, a line; a model that does
//! not plan is reported once (the models reading it are not reported again, nor the checks of its
//! table); the models the later stages read exist.

use crate::config::checks::{CHECKS_FILE, TableSource};
use crate::config::compile::PIPELINE_FILE;
use crate::config::models::{ModelSet, line_of_word};
use crate::config::params::ModelParams;
use crate::config::{Diagnostic, Project};
use crate::vocab::names::{BORTFALL_MODEL, DISCLOSED_DATASET, INDICATOR_MODEL, KOMMUN_MODEL};
use crate::yaml::{Pos, Spans};
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Models the stages after transform read, and which stage reads them.
const REQUIRED_MODELS: [(&str, &str); 3] = [
    (INDICATOR_MODEL, "the disclose stage reads it"),
    (
        BORTFALL_MODEL,
        "the publish stage reads the bortfall kommuner from it",
    ),
    (
        KOMMUN_MODEL,
        "the publication reads the kommun facts from it",
    ),
];

/// The year the models and checks are planned for (any year plans alike: the year is a bound
/// value, and the survey's configuration tables have the same columns every year).
fn planning_year() -> i64 {
    chrono::Datelike::year(&chrono::Utc::now()) as i64 - 1
}

/// Plans every model and check of a compiled project; returns every problem found.
pub fn check(project: &Project) -> Vec<Diagnostic> {
    futures::executor::block_on(check_async(project))
}

async fn check_async(project: &Project) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let year = planning_year();
    let ctx = SessionContext::new();
    crate::transform::register_functions(&ctx);
    let mut schemas: BTreeMap<String, SchemaRef> = BTreeMap::new();
    for dataset in &project.pipeline.datasets {
        let schema = Arc::new(crate::ingest::staged_schema(project.contract_of(dataset)));
        schemas.insert(dataset.name.clone(), schema);
    }
    for (name, schema) in &schemas {
        if let Err(e) = register_empty(&ctx, name, schema.clone()) {
            out.push(diagnostic(
                PIPELINE_FILE,
                None,
                format!("dataset `{name}`: {e}"),
            ));
        }
    }
    if let Err(e) = crate::config::survey_tables::register_tables(&ctx, &project.survey, year) {
        out.push(diagnostic(
            crate::config::survey::CONFIG_PATH,
            None,
            format!("the survey's configuration tables cannot be built: {e}"),
        ));
    }

    let models = &project.models;
    for (name, why) in REQUIRED_MODELS {
        if models.get(name).is_none() {
            out.push(Diagnostic {
                file: format!("sql/{name}.sql"),
                line: None,
                column: None,
                message: format!("the model `{name}` is missing: {why}"),
                hint: Some(format!("add sql/{name}.sql")),
            });
        }
    }
    let failed = plan_models(&ctx, project, models, year, &mut schemas, &mut out).await;
    plan_checks(project, &schemas, &failed, year, &mut out).await;
    out
}

/// Plans the models in run order, registering each planned schema for the models that read it;
/// returns the models that did not plan (or read one that did not).
async fn plan_models(
    ctx: &SessionContext,
    project: &Project,
    models: &ModelSet,
    year: i64,
    schemas: &mut BTreeMap<String, SchemaRef>,
    out: &mut Vec<Diagnostic>,
) -> BTreeSet<String> {
    let mut failed = BTreeSet::new();
    // `$history_complete` is bound by the run once it has looked at the lake.
    let values = ModelParams::new(year, &project.pipeline.params.register)
        .with("history_complete", ScalarValue::Int64(Some(1)))
        .param_values();
    for model in models.in_order() {
        if model.references.iter().any(|r| failed.contains(r)) {
            failed.insert(model.name.clone());
            continue;
        }
        let planned = async {
            crate::session::analyzed_plan(
                ctx.sql(&model.sql)
                    .await?
                    .with_param_values(values.clone())?,
            )
        }
        .await;
        let file = model
            .path
            .strip_prefix(&project.root)
            .unwrap_or(&model.path)
            .display()
            .to_string();
        let schema = planned.and_then(|plan| {
            let schema: SchemaRef = Arc::new(plan.schema().as_arrow().clone());
            register_empty(ctx, &model.name, schema.clone())?;
            Ok(schema)
        });
        match schema {
            Ok(schema) => {
                schemas.insert(model.name.clone(), schema);
            }
            Err(e) => {
                failed.insert(model.name.clone());
                let at = error_place(&model.sql, &e);
                out.push(Diagnostic {
                    file,
                    line: at.map(|p| p.line),
                    column: at.map(|p| p.column),
                    message: format!(
                        "model `{}` does not plan against the schemas of the tables it reads: {}",
                        model.name,
                        one_line(&e)
                    ),
                    hint: Some(
                        "staged datasets have their contract's columns; models have the columns their SQL selects"
                            .into(),
                    ),
                });
            }
        }
    }
    failed
}

/// Registers every table of pipelines/checks.yaml whose schema is known and plans each check.
async fn plan_checks(
    project: &Project,
    schemas: &BTreeMap<String, SchemaRef>,
    failed: &BTreeSet<String>,
    year: i64,
    out: &mut Vec<Diagnostic>,
) {
    let text = project
        .sources
        .get(CHECKS_FILE)
        .map(String::as_str)
        .unwrap_or_default();
    let spans = Spans::read(text);
    let ctx = SessionContext::new();
    for (name, source) in &project.checks.tables {
        let schema = match source {
            TableSource::Staging(dataset) => schemas.get(dataset).cloned(),
            TableSource::Warehouse(model) if model == DISCLOSED_DATASET => {
                Some(crate::disclose::shape::disclosed_schema())
            }
            TableSource::Warehouse(model) => {
                if !schemas.contains_key(model) && !failed.contains(model) {
                    out.push(diagnostic(
                        CHECKS_FILE,
                        spans
                            .item_with("tables", "name", name)
                            .and_then(|i| spans.value(&format!("tables.{i}.warehouse"))),
                        format!(
                            "table `{name}` reads the warehouse model `{model}`, which is not a model in sql/ (hint: a model is sql/<name>.sql)"
                        ),
                    ));
                }
                schemas.get(model).cloned()
            }
            TableSource::Release { file, .. } if file == "indikatorer.parquet" => {
                Some(crate::disclose::shape::release_schema())
            }
            TableSource::Release { .. } => None,
        };
        if let Some(schema) = schema
            && let Err(e) = register_empty(&ctx, name, schema)
        {
            out.push(diagnostic(
                CHECKS_FILE,
                None,
                format!("table `{name}`: {e}"),
            ));
        }
    }
    for (id, e) in crate::gates::plan_checks(&ctx, project, year).await {
        out.push(diagnostic(
            CHECKS_FILE,
            crate::config::checks::place_of_check(text, &id),
            format!(
                "check `{id}` does not plan against the tables it reads: {}",
                one_line(&e)
            ),
        ));
    }
}

fn register_empty(
    ctx: &SessionContext,
    name: &str,
    schema: SchemaRef,
) -> Result<(), DataFusionError> {
    let schema = Arc::new(Schema::new(schema.fields().clone()));
    let table = MemTable::try_new(schema, vec![vec![]])?;
    ctx.deregister_table(name)?;
    ctx.register_table(name, Arc::new(table))?;
    Ok(())
}

fn diagnostic(file: &str, at: Option<Pos>, message: String) -> Diagnostic {
    Diagnostic::at(file, at, message, None)
}

/// The engine's message on one line.
fn one_line(e: &DataFusionError) -> String {
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where in a model's SQL the error points: the unknown column, the unknown `$parameter`, the
/// first UNION for a union of different shapes (line, and the column of that word); else the
/// first line of SQL after the comments.
fn error_place(sql: &str, e: &DataFusionError) -> Option<Pos> {
    use datafusion::common::SchemaError;
    let at = |line: usize, word: &str| Pos {
        line,
        column: column_of(sql, line, word),
    };
    if let DataFusionError::SchemaError(error, _) = e.find_root()
        && let SchemaError::FieldNotFound { field, .. } = error.as_ref()
        && let Some(line) = line_of_word(sql, &field.name)
    {
        return Some(at(line, &field.name));
    }
    let message = e.to_string();
    if let Some(start) = message.find('$') {
        let name: String = message[start..]
            .chars()
            .take_while(|c| *c == '$' || c.is_alphanumeric() || *c == '_')
            .collect();
        if let Some(line) = sql.lines().position(|l| {
            let code = l.split("--").next().unwrap_or_default();
            code.match_indices(&name).any(|(i, _)| {
                code[i + name.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
            })
        }) {
            return Some(at(line + 1, &name));
        }
    }
    if message.to_lowercase().contains("union")
        && let Some(line) = line_of_word(sql, "union")
    {
        return Some(at(line, "union"));
    }
    sql.lines()
        .position(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with("--")
        })
        .map(|i| Pos {
            line: i + 1,
            column: column_of(sql, i + 1, ""),
        })
}

/// The 1-based column (in characters) where `word` (compared case-insensitively) first occurs on
/// 1-based `line` of `sql`; the line's first non-blank character when it does not (or `word` is
/// empty).
fn column_of(sql: &str, line: usize, word: &str) -> usize {
    let text = sql.lines().nth(line.saturating_sub(1)).unwrap_or_default();
    let lower = text.to_lowercase();
    let byte = (!word.is_empty())
        .then(|| lower.find(&word.to_lowercase()))
        .flatten()
        .filter(|b| lower.len() == text.len() && text.is_char_boundary(*b))
        .unwrap_or(text.len() - text.trim_start().len());
    text[..byte].chars().count() + 1
}
