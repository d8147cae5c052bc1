//! Raw serde structures of `pipelines/*.yaml` and `data-contracts/*.yaml`, exactly as written.
//! Nothing runs on these: [`super::compile`] turns them into the typed plan.

use serde::Deserialize;

/// `pipelines/ekonomiskt_bistand.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPipeline {
    pub pipeline: String,
    pub version: String,
    #[serde(default)]
    pub description: Option<String>,
    pub datasets: Vec<RawDataset>,
    pub parameters: RawParameters,
    pub stages: Vec<RawStage>,
    pub indicators: Vec<RawIndicator>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDataset {
    pub name: String,
    pub contract: String,
    pub files: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStage {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIndicator {
    pub id: String,
    pub namn: String,
    pub kind: String,
    pub source: String,
    pub taljare: String,
    #[serde(default)]
    pub namnare: Option<String>,
    pub grupper: Vec<String>,
    #[serde(default)]
    pub kolada_kpi: Option<String>,
}

#[derive(Debug, Deserialize, serde::Serialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawParameters {
    pub register: RawRegisterParams,
    pub disclosure: RawDisclosureParams,
    pub ingest: RawIngestParams,
    pub survey: RawSurveyParams,
    pub drift: RawDriftParams,
}

#[derive(Debug, Deserialize, serde::Serialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawRegisterParams {
    pub long_term_months: i64,
    pub(crate) very_long_term_months: i64,
    pub very_long_term_window_years: i64,
    pub(crate) adult_min_age: i64,
    pub(crate) young_adult_min_age: i64,
    pub(crate) young_adult_max_age: i64,
    pub(crate) child_max_age: i64,
    pub(crate) counted_child_below_age: i64,
    pub missing_history: String,
}

#[derive(Debug, Deserialize, serde::Serialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawDisclosureParams {
    pub min_numerator: i64,
    pub min_denominator: i64,
}

#[derive(Debug, Deserialize, serde::Serialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawIngestParams {
    pub reject_tolerance_percent: f64,
    /// The largest plausible payment to one household in one month (kronor); the register
    /// contract's `belopp_kr` maximum names it.
    pub max_belopp_kr_per_household_month: f64,
    /// The longest line (record) of a delimited drop file, in bytes; a longer one is an error
    /// naming its line.
    pub max_line_bytes: u64,
    /// The size of the chunks a drop file is read in, in bytes (memory holds about one chunk and
    /// the rows of one batch of each file, never the file).
    #[serde(default = "default_read_chunk_bytes")]
    pub read_chunk_bytes: u64,
}

fn default_read_chunk_bytes() -> u64 {
    1 << 20
}

#[derive(Debug, Deserialize, serde::Serialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawSurveyParams {
    pub(crate) min_response_rate_percent: f64,
}

#[derive(Debug, Deserialize, serde::Serialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawDriftParams {
    pub max_change_pp: f64,
    pub max_change_percent: f64,
    pub(crate) min_base: f64,
}

/// A data contract, ODCS v3 in shape.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawContract {
    /// Required by ODCS; accepted as given, nothing depends on it.
    #[allow(dead_code, reason = "a required ODCS field that no compile step reads")]
    pub(crate) api_version: String,
    pub kind: String,
    pub id: String,
    pub version: String,
    pub status: String,
    #[serde(default)]
    pub description: Option<RawDescription>,
    pub format: RawFormat,
    #[serde(default)]
    pub reject_tolerance_percent: Option<f64>,
    pub schema: Vec<RawSchema>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDescription {
    pub purpose: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawFormat {
    #[serde(rename = "type")]
    pub kind: String,
    pub delimiter: String,
    pub encoding: String,
    pub decimal: String,
    #[serde(default)]
    pub(crate) question_columns: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchema {
    pub name: String,
    pub(crate) properties: Vec<RawProperty>,
    #[serde(default)]
    pub quality: Vec<RawQuality>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawProperty {
    pub name: String,
    pub(crate) logical_type: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub unique: bool,
    #[serde(default)]
    pub(crate) aliases: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub(crate) logical_type_options: Option<RawTypeOptions>,
    #[serde(default)]
    pub references: Option<RawReference>,
    /// ODCS `partitioned`: the staged files' row groups end where this (text) column's value
    /// changes, and the transform reads a year in parts of disjoint values.
    #[serde(default)]
    pub(crate) partitioned: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawTypeOptions {
    #[serde(default, rename = "enum")]
    pub allowed: Option<Vec<RawScalar>>,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub minimum: Option<RawBound>,
    #[serde(default)]
    pub maximum: Option<RawBound>,
    #[serde(default)]
    pub(crate) equals_drop_year: bool,
}

/// A bound of a column: a number, or `$section.name` naming a number under `parameters:` of the
/// pipeline (e.g. `$ingest.max_belopp_kr_per_household_month`).
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum RawBound {
    Number(f64),
    Parameter(String),
}

/// An allowed value: YAML gives numbers or strings.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum RawScalar {
    Int(i64),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReference {
    pub dataset: String,
    pub column: String,
    #[serde(default, rename = "where")]
    pub filter: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuality {
    pub id: String,
    pub description: String,
    #[serde(default)]
    pub rule: Option<String>,
    #[serde(default)]
    pub unique: Option<Vec<String>>,
    #[serde(default)]
    pub reference: Option<RawExprReference>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExprReference {
    pub expression: String,
    #[serde(default)]
    pub when: Option<String>,
    pub dataset: String,
    pub column: String,
    #[serde(default, rename = "where")]
    pub filter: Option<String>,
}
