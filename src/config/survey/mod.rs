//! The survey configuration (`pipelines/enkat.yaml`): which questions each year's kommunenkät has,
//! their answer types, and the indicators built from them.
//!
//! Parse, then compile: the YAML is read into raw serde structs (unknown keys rejected), then
//! compiled into a typed [`SurveyConfig`]. Compilation checks everything it can and returns *all*
//! problems at once, each with file, line and a hint. A compiled configuration guarantees: every
//! answer type is known; columns are unique; every indicator scores an existing question whose
//! years cover the indicator's years and whose type fits the rule; no indicator id is defined twice
//! for one year; `replaces` names an indicator that ended the year before, with the same shape.

mod compile;
mod indicators;
mod raw;

use self::compile::Compiler;
use self::raw::RawConfig;
use crate::config::{Diagnostic, Project};
use crate::vocab::{AnswerType, IndicatorKind, Years};
use crate::yaml::{self, Pos, YamlError};
use std::path::Path;

/// Where the survey configuration lives, relative to the project root.
pub const CONFIG_PATH: &str = "pipelines/enkat.yaml";
/// One question column of the survey drop.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// Column name in enkat.csv / enkat.xlsx (lower case).
    pub column: String,
    /// The question as asked.
    pub text: String,
    /// How it is answered.
    pub answer_type: AnswerType,
    /// The years it is asked.
    pub years: Years,
    /// Line of the entry in the configuration file.
    pub line: usize,
    /// Where the entry's `column` value starts.
    pub at: Pos,
}

/// Which value of the households-per-case-worker family an indicator publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// Per respondent, and ratio of sums per län, riket, kommungrupp and storleksklass.
    Ratio,
    /// Per län: the lowest respondent value.
    LanMin,
    /// Per län: the highest respondent value.
    LanMax,
}

/// How a published indicator is computed.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Scored from a categorical answer: an answer in `fulfilled` scores 1, any other allowed answer
    /// of the question scores 0, blank is no answer.
    Answer {
        /// The question column.
        question: String,
        /// The answers that fulfil the indicator.
        fulfilled: Vec<&'static str>,
    },
    /// A number at most `threshold` scores 1, above it 0.
    AtMost {
        /// The question column (type `tal`).
        question: String,
        /// The inclusive upper bound.
        threshold: f64,
    },
    /// Register households with a paid month per reported case-worker FTE.
    HouseholdsPerCaseWorker {
        /// The question column holding the FTEs (type `tal`).
        question: String,
        /// Which value of the family this indicator is.
        statistic: Statistic,
    },
    /// Returned questionnaires / respondents.
    ResponseRate,
}

impl Rule {
    /// The rule's name in the `enkat_indikatorer` table (`regel`), which the SQL models switch on.
    pub fn name(&self) -> &'static str {
        match self {
            Rule::Answer { .. } => "answer",
            Rule::AtMost { .. } => "at_most",
            Rule::HouseholdsPerCaseWorker { statistic, .. } => match statistic {
                Statistic::Ratio => "households_per_case_worker",
                Statistic::LanMin => "households_per_case_worker_min",
                Statistic::LanMax => "households_per_case_worker_max",
            },
            Rule::ResponseRate => "response_rate",
        }
    }

    /// The question column the rule reads, if any.
    pub fn question(&self) -> Option<&str> {
        match self {
            Rule::Answer { question, .. }
            | Rule::AtMost { question, .. }
            | Rule::HouseholdsPerCaseWorker { question, .. } => Some(question),
            Rule::ResponseRate => None,
        }
    }

    /// The threshold of an `at_most` rule.
    pub fn threshold(&self) -> Option<f64> {
        match self {
            Rule::AtMost { threshold, .. } => Some(*threshold),
            _ => None,
        }
    }
}

/// A published survey indicator with its metadata for the publication.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// Published id (`enk_…`), after expansion (`_helt`, `_helt_delvis`, `_min`, `_max`).
    pub id: String,
    /// Swedish name as published.
    pub namn: String,
    /// Share or ratio.
    pub kind: IndicatorKind,
    /// What the numerator counts.
    pub taljare: String,
    /// What the denominator counts; `None` where the value is not a ratio of two counts.
    pub namnare: Option<String>,
    /// How it is computed.
    pub rule: Rule,
    /// The years it is published.
    pub years: Years,
    /// The id it had in the year before `years.from`, when renamed (`replaces`).
    pub(crate) previous_id: Option<String>,
    /// Its id in Kolada (`kolada_kpi:`), for the member published under the entry's own id.
    pub kolada_kpi: Option<String>,
    /// Line of the entry in the configuration file.
    pub line: usize,
}

impl Indicator {
    /// The levels (`niva`) this indicator has rows for in `ind_enkat`.
    pub fn levels(&self) -> &'static [&'static str] {
        const ALL: &[&str] = &[
            "kommun",
            "stadsdel",
            "lan",
            "riket",
            "kommungrupp",
            "storleksklass",
        ];
        match self.rule {
            Rule::HouseholdsPerCaseWorker {
                statistic: Statistic::LanMin | Statistic::LanMax,
                ..
            } => &["lan"],
            Rule::ResponseRate => &["lan", "riket", "kommungrupp", "storleksklass"],
            _ => ALL,
        }
    }
}

/// Why the survey configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SurveyConfigError {
    /// The file could not be read.
    #[error("cannot read the survey configuration {path}: {source}")]
    Read {
        /// The path tried.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The project folder has no survey configuration.
    #[error(
        "{CONFIG_PATH} is missing from the project (hint: the survey questions and indicators are configured there)"
    )]
    NotInProject,
    /// The YAML does not parse into the expected structure.
    #[error("{0} (hint: see the key list at the top of {CONFIG_PATH})")]
    Yaml(#[from] YamlError),
    /// The YAML parsed but breaks the rules; every problem found is listed.
    #[error("{} problem(s) in the survey configuration:\n{}", .0.len(), render(.0))]
    Invalid(Vec<Diagnostic>),
}

impl SurveyConfigError {
    /// The error as diagnostics, for `oj validate` to list beside the other configuration
    /// problems.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            SurveyConfigError::Read { path, source } => vec![Diagnostic::at(
                path,
                None,
                format!("cannot read the survey configuration: {source}"),
                Some(format!("the survey configuration lives in {CONFIG_PATH}")),
            )],
            SurveyConfigError::NotInProject => vec![Diagnostic::at(
                CONFIG_PATH,
                None,
                "the survey configuration is missing",
                Some("add it: the survey questions and indicators are configured there".into()),
            )],
            SurveyConfigError::Yaml(e) => vec![Diagnostic::at(
                &e.file,
                e.pos(),
                e.message.clone(),
                Some(format!("see the key list at the top of {CONFIG_PATH}")),
            )],
            SurveyConfigError::Invalid(d) => d.clone(),
        }
    }
}

fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("  {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The compiled survey configuration for all years.
#[derive(Debug, Clone)]
pub struct SurveyConfig {
    file: String,
    questions: Vec<Question>,
    indicators: Vec<Indicator>,
}

impl SurveyConfig {
    /// Reads and compiles the configuration at `path`.
    pub fn load(path: &Path) -> Result<SurveyConfig, SurveyConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| SurveyConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        SurveyConfig::from_yaml(&path.display().to_string(), &text)
    }

    /// Compiles the project's survey configuration from the text the project compile already read
    /// (`project.sources[CONFIG_PATH]`); diagnostics name the file relative to the project root.
    pub fn from_project(project: &Project) -> Result<SurveyConfig, SurveyConfigError> {
        let text = project
            .sources
            .get(CONFIG_PATH)
            .ok_or(SurveyConfigError::NotInProject)?;
        SurveyConfig::from_yaml(CONFIG_PATH, text)
    }

    /// Parses and compiles `text`, named `file` in diagnostics.
    pub fn from_yaml(file: &str, text: &str) -> Result<SurveyConfig, SurveyConfigError> {
        let raw: RawConfig = yaml::parse(file, text)?;
        Compiler::new(file, text).compile(&raw)
    }

    /// The file the configuration came from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The questions asked in `year`, in configuration order.
    pub fn questions_for_year(&self, year: i64) -> Vec<&Question> {
        self.questions
            .iter()
            .filter(|q| q.years.contains(year))
            .collect()
    }

    /// The question columns of `year`'s drop, in configuration order.
    pub fn columns_for_year(&self, year: i64) -> Vec<String> {
        self.questions_for_year(year)
            .into_iter()
            .map(|q| q.column.clone())
            .collect()
    }

    /// The answer type of `column` in `year` (column names compare case-insensitively), or `None`
    /// when the column is not asked that year.
    pub fn answer_type(&self, year: i64, column: &str) -> Option<AnswerType> {
        self.questions_for_year(year)
            .into_iter()
            .find(|q| q.column.eq_ignore_ascii_case(column.trim()))
            .map(|q| q.answer_type)
    }

    /// Every (indicator id, Kolada KPI id) declared, over all years.
    pub fn kolada_kpis(&self) -> impl Iterator<Item = (&str, &str)> {
        self.indicators
            .iter()
            .filter_map(|i| Some((i.id.as_str(), i.kolada_kpi.as_deref()?)))
    }

    /// Every indicator of every year (expanded ids), in configuration order.
    pub(crate) fn all_indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    /// The indicators published for `year` (expanded ids), in configuration order. This is also
    /// the indicator metadata of the publication (id, namn, kind, taljare, namnare).
    pub fn indicators_for_year(&self, year: i64) -> Vec<&Indicator> {
        self.indicators
            .iter()
            .filter(|i| i.years.contains(year))
            .collect()
    }
}

/// Renamed indicators of `year`: `(id in year, id in year - 1)` for every indicator whose first
/// year is `year` and that `replaces` an earlier one. Indicators new in `year` without `replaces`
/// are not listed: they have no previous-year value.
pub fn previous_ids(config: &SurveyConfig, year: i64) -> Vec<(String, String)> {
    config
        .indicators_for_year(year)
        .into_iter()
        .filter(|i| i.years.from == year)
        .filter_map(|i| i.previous_id.clone().map(|p| (i.id.clone(), p)))
        .collect()
}

/// Checks the question columns against the survey contract's fixed columns (e.g. `respondent`,
/// `inkommen`): a question column may not have the same name (compared case-insensitively, as
/// drop headers are). Returns every collision.
pub fn check_against_contract(config: &SurveyConfig, fixed_columns: &[&str]) -> Vec<Diagnostic> {
    config
        .questions
        .iter()
        .filter(|q| {
            fixed_columns
                .iter()
                .any(|f| f.trim().eq_ignore_ascii_case(&q.column))
        })
        .map(|q| {
            Diagnostic::at(
                &config.file,
                Some(q.at),
                format!(
                    "question column `{}` has the name of a fixed column of the enkat contract",
                    q.column
                ),
                Some(format!(
                    "rename the question; the contract's own columns are {}",
                    fixed_columns.join(", ")
                )),
            )
        })
        .collect()
}
