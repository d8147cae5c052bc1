//! The raw shape of `pipelines/enkat.yaml` as serde reads it (unknown keys rejected); nothing
//! here is checked yet – `compile` turns it into a [`super::SurveyConfig`].

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) questions: Vec<RawQuestion>,
    pub(super) indicators: Vec<RawIndicator>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawQuestion {
    pub(super) column: String,
    pub(super) text: String,
    #[serde(rename = "type")]
    pub(super) answer_type: String,
    pub(super) from: i64,
    #[serde(default)]
    pub(super) to: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIndicator {
    pub(super) id: String,
    pub(super) namn: String,
    #[serde(default)]
    pub(super) question: Option<String>,
    #[serde(default)]
    pub(super) rule: Option<String>,
    #[serde(default)]
    pub(super) threshold: Option<f64>,
    #[serde(default)]
    pub(super) from: Option<i64>,
    #[serde(default)]
    pub(super) to: Option<i64>,
    #[serde(default)]
    pub(super) replaces: Option<String>,
    #[serde(default)]
    pub(super) kolada_kpi: Option<String>,
}
