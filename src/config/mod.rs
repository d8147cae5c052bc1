//! The project's configuration: `pipelines/`, `data-contracts/` and `sql/`, parsed into raw serde
//! structs ([`raw`]) and compiled ([`compile`]) into one typed [`Project`] that every stage runs
//! from (the `pipeline` layer then plans its models and checks against the schemas they read).
//! Nothing runs on unvalidated YAML; `oj validate` is the compile step alone.

pub mod checks;
pub mod compile;
pub mod disclosure;
pub mod models;
mod order;
pub mod params;
pub mod raw;
pub mod survey;
pub mod survey_tables;

use crate::vocab::{IndicatorKind, StageId};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

pub(crate) use compile::compile_project;

/// One problem found in the configuration, with where it is and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// File relative to the project root, e.g. `data-contracts/register.yaml`.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column (in characters), when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at `at` (a place found in the file's YAML structure, see [`crate::yaml`]).
    pub fn at(
        file: &str,
        at: Option<crate::yaml::Pos>,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Diagnostic {
        Diagnostic {
            file: file.to_string(),
            line: at.map(|p| p.line),
            column: at.map(|p| p.column),
            message: message.into(),
            hint,
        }
    }

    /// The diagnostic the way rustc renders one: `error: message`, `--> file:line:col`, the
    /// source line with a caret under the column, and the hint as `= help:`. `source` is the
    /// text of [`Diagnostic::file`]; without it (or a line) the location stands alone.
    pub fn render(&self, source: Option<&str>) -> String {
        use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
        let line_text = source
            .zip(self.line)
            .and_then(|(text, line)| text.lines().nth(line.saturating_sub(1)));
        let title = Level::ERROR.primary_title(&self.message);
        let mut group = match (line_text, self.line) {
            (Some(text), Some(line)) => {
                let column = self.column.unwrap_or(1);
                let start = text
                    .char_indices()
                    .nth(column.saturating_sub(1))
                    .map_or(text.len(), |(i, _)| i);
                let end = start + token_len(&text[start..]);
                title.element(
                    Snippet::source(text)
                        .line_start(line)
                        .path(&self.file)
                        .annotation(AnnotationKind::Primary.span(start..end)),
                )
            }
            _ => title.element(annotate_snippets::Origin::path(&self.file)),
        };
        if let Some(hint) = &self.hint {
            group = group.element(Level::HELP.message(hint));
        }
        Renderer::plain().render(&[group])
    }
}

/// Bytes of the YAML token at the start of `rest` (a key, a scalar or a bracket): up to a `: `,
/// `,`, `]`, `}` or ` #`, trailing blanks left out; at least one character.
fn token_len(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let mut end = bytes.len();
    for (i, &b) in bytes.iter().enumerate() {
        let next = bytes.get(i + 1).copied();
        let stop = match b {
            b',' | b']' | b'}' => i > 0,
            b':' => matches!(next, None | Some(b' ')),
            b'#' => i > 0 && bytes[i - 1] == b' ',
            _ => false,
        };
        if stop {
            end = i;
            break;
        }
    }
    let token = rest[..end].trim_end();
    match token.len() {
        0 => rest.chars().next().map_or(0, char::len_utf8),
        n => n,
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{}:{}: {}", self.file, l, c, self.message)?,
            (Some(l), None) => write!(f, "{}:{}: {}", self.file, l, self.message)?,
            _ => write!(f, "{}: {}", self.file, self.message)?,
        }
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

/// All problems of a configuration, reported at once, with the text of every file read (file →
/// text) so each is shown with its source line.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ConfigErrors(pub Vec<Diagnostic>, pub BTreeMap<String, String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} problem(s) in the configuration:", self.0.len())?;
        for d in &self.0 {
            writeln!(f, "{}", d.render(self.1.get(&d.file).map(String::as_str)))?;
        }
        Ok(())
    }
}

/// The compiled configuration of a project folder.
#[derive(Debug, Clone)]
pub struct Project {
    /// The folder holding pipelines/, data-contracts/ and sql/.
    pub root: PathBuf,
    /// The pipeline.
    pub pipeline: Pipeline,
    /// Contracts by id.
    pub contracts: BTreeMap<String, Contract>,
    /// The data-quality checks of every gate (`pipelines/checks.yaml` and the contracts' keys).
    pub checks: checks::Checks,
    /// The survey's question sets and indicators per year (pipelines/enkat.yaml).
    pub survey: survey::SurveyConfig,
    /// Disclosure control: amount rules, protection levels, linked tables
    /// (`pipelines/disclosure.yaml`).
    pub disclosure: disclosure::DisclosureConfig,
    /// The `sql/` models, parsed and ordered.
    pub models: models::ModelSet,
    /// The text of every configuration file read (relative path → text), for fingerprints.
    pub sources: BTreeMap<String, String>,
}

impl Parameters {
    /// The numeric parameter at `path` (`section.name`, e.g. `ingest.max_line_bytes`).
    pub fn number(&self, path: &str) -> Option<f64> {
        let value = serde_json::json!({
            "register": self.register,
            "disclosure": self.disclosure,
            "ingest": self.ingest,
            "survey": self.survey,
            "drift": self.drift,
        });
        let (section, name) = path.split_once('.')?;
        value.get(section)?.get(name)?.as_f64()
    }
}

impl Project {
    /// Indicator id → Kolada KPI id for the indicators published in `year` that declare one
    /// (register and background indicators in the pipeline, survey indicators in enkat.yaml).
    pub fn kolada_kpis(&self, year: i64) -> BTreeMap<String, String> {
        let register = self
            .pipeline
            .indicators
            .iter()
            .filter_map(|i| Some((i.id.clone(), i.kolada_kpi.clone()?)));
        let survey = self
            .survey
            .indicators_for_year(year)
            .into_iter()
            .filter_map(|i| Some((i.id.clone(), i.kolada_kpi.clone()?)));
        register.chain(survey).collect()
    }

    /// Whether the project's `sql/` declares `model`: the warehouse output of a model that was
    /// deleted or renamed is never read.
    pub(crate) fn declares_model(&self, model: &str) -> bool {
        self.models.get(model).is_some()
    }

    /// The contract of a dataset.
    pub fn contract_of(&self, dataset: &Dataset) -> &Contract {
        &self.contracts[&dataset.contract]
    }
}

/// The typed pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub name: String,
    pub version: String,
    /// Datasets in ingest order (reference data first).
    pub datasets: Vec<Dataset>,
    pub params: Parameters,
    /// Stage names in order.
    pub stages: Vec<StageId>,
    pub indicators: Vec<IndicatorDef>,
}

/// A drop dataset.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub name: String,
    pub contract: String,
    /// Glob patterns of file names in the year's drop folder; the first matching pattern wins.
    pub files: Vec<String>,
}

/// Every parameter of the pipeline.
#[derive(Debug, Clone)]
pub struct Parameters {
    pub register: params::RegisterParameters,
    pub disclosure: raw::RawDisclosureParams,
    pub ingest: raw::RawIngestParams,
    pub survey: raw::RawSurveyParams,
    pub drift: raw::RawDriftParams,
}

/// A register or background indicator's definition.
#[derive(Debug, Clone)]
pub struct IndicatorDef {
    pub id: String,
    pub namn: String,
    pub kind: IndicatorKind,
    pub source: String,
    pub taljare: String,
    pub namnare: Option<String>,
    pub grupper: Vec<String>,
    /// The indicator's id in Kolada (`kolada_kpi:`), when it has one.
    pub kolada_kpi: Option<String>,
}

/// A compiled data contract.
#[derive(Debug, Clone)]
pub struct Contract {
    pub id: String,
    pub version: String,
    /// The contract file relative to the project root.
    pub file: String,
    pub format: Format,
    /// Percent of data rows that may be rejected before the stage fails; `None` = pipeline default.
    pub reject_tolerance_percent: Option<f64>,
    pub columns: Vec<Column>,
    pub rules: Vec<RowRule>,
    pub(crate) uniques: Vec<UniqueKey>,
    pub(crate) expr_references: Vec<ExprReference>,
    /// Whether the year's survey questions add columns (enkat).
    pub(crate) question_columns: bool,
}

impl Contract {
    /// The column with this canonical name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The column that holds each staged file's own year (`equalsDropYear`).
    pub(crate) fn year_column(&self) -> Option<&str> {
        self.columns
            .iter()
            .find(|c| c.equals_drop_year)
            .map(|c| c.name.as_str())
    }

    /// The `partitioned` column: the staged file's row groups end where it changes, and the
    /// transform reads each year in parts of its disjoint values.
    pub(crate) fn partitioned_column(&self) -> Option<&str> {
        self.columns
            .iter()
            .find(|c| c.partitioned)
            .map(|c| c.name.as_str())
    }
}

/// How a drop file is encoded and delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    pub delimiter: u8,
    pub encoding: Encoding,
    pub(crate) decimal_comma: bool,
}

/// Text encodings the contracts may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Windows1252,
}

impl Encoding {
    /// The name contracts use.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Windows1252 => "windows-1252",
        }
    }
}

/// Column types of contracts and the Arrow type each is staged as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogicalType {
    /// Utf8
    String,
    /// Int64
    Integer,
    /// Float64
    Number,
    /// Date32 (ISO `YYYY-MM-DD`)
    Date,
}

impl LogicalType {
    /// Parses a contract's `logicalType`.
    pub fn parse(s: &str) -> Option<LogicalType> {
        match s {
            "string" => Some(LogicalType::String),
            "integer" => Some(LogicalType::Integer),
            "number" => Some(LogicalType::Number),
            "date" => Some(LogicalType::Date),
            _ => None,
        }
    }

    /// The Arrow type staged for this logical type.
    pub(crate) fn arrow_type(self) -> datafusion::arrow::datatypes::DataType {
        use datafusion::arrow::datatypes::DataType;
        match self {
            LogicalType::String => DataType::Utf8,
            LogicalType::Integer => DataType::Int64,
            LogicalType::Number => DataType::Float64,
            LogicalType::Date => DataType::Date32,
        }
    }

    /// The contract's name of the type.
    pub fn name(self) -> &'static str {
        match self {
            LogicalType::String => "string",
            LogicalType::Integer => "integer",
            LogicalType::Number => "number",
            LogicalType::Date => "date",
        }
    }
}

/// A column of a contract with its rules.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub(crate) logical: LogicalType,
    pub required: bool,
    pub unique: bool,
    /// Header names accepted besides `name` (compared case-insensitively, trimmed).
    pub(crate) aliases: Vec<String>,
    /// Allowed values, as text (integers written in decimal).
    pub allowed: Vec<String>,
    pub pattern: Option<String>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    /// The pipeline parameter `minimum` was taken from (`ingest.…`), when it names one.
    pub(crate) minimum_parameter: Option<String>,
    /// The pipeline parameter `maximum` was taken from, when it names one.
    pub maximum_parameter: Option<String>,
    /// The value must equal the drop's year.
    pub(crate) equals_drop_year: bool,
    /// The staged files' row groups end where the value changes (ODCS `partitioned`): the
    /// transform reads each year in parts of disjoint values (`lake::register_years`).
    pub(crate) partitioned: bool,
    pub references: Option<Reference>,
}

/// A reference to a column of another (or the same) dataset.
#[derive(Debug, Clone)]
pub struct Reference {
    pub dataset: String,
    pub column: String,
    /// SQL filter on the referenced dataset, e.g. `niva = 'kommun'`.
    pub filter: Option<String>,
}

/// A row-level rule: a SQL boolean expression every row must satisfy (NULL counts as satisfied,
/// as in SQL CHECK constraints).
#[derive(Debug, Clone)]
pub struct RowRule {
    pub id: String,
    pub description: String,
    pub sql: String,
}

/// A unique key over one or more columns.
#[derive(Debug, Clone)]
pub struct UniqueKey {
    pub id: String,
    pub columns: Vec<String>,
}

/// A reference from a SQL expression over the row to a column of another dataset.
#[derive(Debug, Clone)]
pub struct ExprReference {
    pub id: String,
    pub description: String,
    pub expression: String,
    pub when: Option<String>,
    pub target: Reference,
}
