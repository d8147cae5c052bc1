//! The survey configuration (`pipelines/enkat.yaml`): which questions each year's kommunenkät has,
//! their answer types, and the indicators built from them.
//!
//! Parse, then compile: the YAML is read into raw serde structs (unknown keys rejected), then
//! compiled into a typed [`SurveyConfig`]. Compilation checks everything it can and returns *all*
//! problems at once, each with file, line and a hint. A compiled configuration guarantees: every
//! answer type is known; columns are unique; every indicator scores an existing question whose
//! years cover the indicator's years and whose type fits the rule; no indicator id is defined twice
//! for one year; `replaces` names an indicator that ended the year before, with the same shape.

use crate::config::{Diagnostic, Project};
use crate::vocab::{AnswerType, IndicatorKind, Years};
use crate::yaml::{self, Pos, Spans, YamlError};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Where the survey configuration lives, relative to the project root.
pub const CONFIG_PATH: &str = "pipelines/enkat.yaml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    questions: Vec<RawQuestion>,
    indicators: Vec<RawIndicator>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    column: String,
    text: String,
    #[serde(rename = "type")]
    answer_type: String,
    from: i64,
    #[serde(default)]
    to: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: String,
    namn: String,
    #[serde(default)]
    question: Option<String>,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    threshold: Option<f64>,
    #[serde(default)]
    from: Option<i64>,
    #[serde(default)]
    to: Option<i64>,
    #[serde(default)]
    replaces: Option<String>,
    #[serde(default)]
    kolada_kpi: Option<String>,
}

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
    pub previous_id: Option<String>,
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
    pub fn all_indicators(&self) -> &[Indicator] {
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

/// The published members of one indicator entry: suffix of the id and how each is computed.
struct Member {
    suffix: &'static str,
    rule: Rule,
    kind: IndicatorKind,
    namn: String,
    taljare: String,
    namnare: Option<String>,
}

/// One compiled `indicators:` entry before `replaces` is resolved.
struct Entry<'a> {
    raw: &'a RawIndicator,
    line: usize,
    years: Years,
    members: Vec<Member>,
}

/// Where a survey problem is: a list item (by its line) or an exact place.
enum At {
    Item(usize),
    Pos(Pos),
}

impl From<usize> for At {
    fn from(line: usize) -> At {
        At::Item(line)
    }
}

impl From<Pos> for At {
    fn from(pos: Pos) -> At {
        At::Pos(pos)
    }
}

struct Compiler<'t> {
    file: &'t str,
    spans: Spans,
    /// Line of each list item → its path in the document (`indicators.3`) and where its first
    /// key's value starts.
    items: BTreeMap<usize, (String, Pos)>,
    diagnostics: Vec<Diagnostic>,
}

const RULES: &str = "answer, at_most, households_per_case_worker, response_rate";
const RESPONDING_UNITS: &str = "Kommuner och stadsdelar som besvarat frågan";

impl<'t> Compiler<'t> {
    fn new(file: &'t str, text: &'t str) -> Self {
        Compiler {
            file,
            spans: Spans::read(text),
            items: BTreeMap::new(),
            diagnostics: Vec::new(),
        }
    }

    /// Reports a problem at `at`: a line (of a list item, see [`Compiler::item_lines`]) or a
    /// place found by [`Compiler::field_line`].
    fn report(&mut self, at: impl Into<At>, message: String, hint: impl Into<String>) {
        let at = match at.into() {
            At::Item(line) => self
                .items
                .get(&line)
                .map(|(_, pos)| *pos)
                .unwrap_or(Pos { line, column: 1 }),
            At::Pos(pos) => pos,
        };
        self.diagnostics.push(Diagnostic::at(
            self.file,
            Some(at),
            message,
            Some(hint.into()),
        ));
    }

    /// Lines of the `count` list items of `section`, each where its key `key` has its value; the
    /// items are found by their place in the document.
    fn item_lines(&mut self, section: &str, key: &str, count: usize) -> Vec<usize> {
        (0..count)
            .map(|i| {
                let path = format!("{section}.{i}");
                let pos = self
                    .spans
                    .value(&format!("{path}.{key}"))
                    .or_else(|| self.spans.value(&path))
                    .unwrap_or(Pos { line: 1, column: 1 });
                self.items.insert(pos.line, (path, pos));
                pos.line
            })
            .collect()
    }

    /// Where the value of `key` of the item on `item_line` starts, or the item when it has no
    /// such key.
    fn field_line(&self, key: &str, item_line: usize) -> Pos {
        match self.items.get(&item_line) {
            Some((path, pos)) => self.spans.value(&format!("{path}.{key}")).unwrap_or(*pos),
            None => Pos {
                line: item_line,
                column: 1,
            },
        }
    }

    fn compile(mut self, raw: &RawConfig) -> Result<SurveyConfig, SurveyConfigError> {
        let questions = self.compile_questions(&raw.questions);
        let lines = self.item_lines("indicators", "id", raw.indicators.len());
        let entries: Vec<Entry> = raw
            .indicators
            .iter()
            .zip(lines)
            .filter_map(|(r, line)| self.compile_entry(r, line, &questions))
            .collect();
        let indicators = self.resolve(&entries);
        self.check_overlaps(&indicators);
        if self.diagnostics.is_empty() {
            Ok(SurveyConfig {
                file: self.file.to_string(),
                questions,
                indicators,
            })
        } else {
            Err(SurveyConfigError::Invalid(self.diagnostics))
        }
    }

    fn compile_questions(&mut self, raw: &[RawQuestion]) -> Vec<Question> {
        let lines = self.item_lines("questions", "column", raw.len());
        let mut questions: Vec<Question> = Vec::new();
        let mut seen: Vec<(&str, usize)> = Vec::new();
        for (r, line) in raw.iter().zip(lines) {
            let column = r.column.trim();
            if !is_column_name(column) {
                self.report(
                    line,
                    format!("question column `{}` is not a valid column name", r.column),
                    "use lower-case letters, digits and _, starting with a letter",
                );
            }
            if let Some(&(_, first_line)) =
                seen.iter().find(|(c, _)| c.eq_ignore_ascii_case(column))
            {
                self.report(
                    line,
                    format!("duplicate question column `{column}` (first defined on line {first_line})"),
                    "a column is listed once; a changed question gets a new column name, or a `to` on the old entry and a new column",
                );
                continue;
            }
            seen.push((column, line));
            let years = Years {
                from: r.from,
                to: r.to,
            };
            self.check_year_order(&years, line, &format!("question `{column}`"));
            let Some(answer_type) = AnswerType::parse(r.answer_type.trim()) else {
                let type_line = self.field_line("type", line);
                self.report(
                    type_line,
                    format!(
                        "question `{column}` has unknown answer type `{}`",
                        r.answer_type
                    ),
                    "use ja_nej, helt_delvis or tal",
                );
                continue;
            };
            let at = self.field_line("column", line);
            questions.push(Question {
                column: column.to_string(),
                text: r.text.clone(),
                answer_type,
                years,
                line,
                at,
            });
        }
        questions
    }

    /// Reports `to` before `from`; false when reported.
    fn check_year_order(&mut self, years: &Years, line: usize, what: &str) -> bool {
        let Some(to) = years.to.filter(|to| *to < years.from) else {
            return true;
        };
        {
            let to_line = self.field_line("to", line);
            self.report(
                to_line,
                format!("{what} has to = {to} before from = {}", years.from),
                "`to` is the last year (inclusive) and must be at least `from`",
            );
        }
        false
    }

    fn compile_entry<'r>(
        &mut self,
        r: &'r RawIndicator,
        line: usize,
        questions: &[Question],
    ) -> Option<Entry<'r>> {
        let id = r.id.trim();
        if !id.starts_with("enk_") || !is_column_name(id) {
            self.report(
                line,
                format!("indicator id `{}` is not a survey indicator id", r.id),
                "survey ids start with enk_ and use lower-case letters, digits and _",
            );
        }
        let rule_name = r.rule.as_deref().map(str::trim);
        if rule_name == Some("response_rate") {
            return self.compile_response_rate(r, line);
        }
        let Some(column) = r.question.as_deref().map(str::trim) else {
            self.report(
                line,
                format!("indicator `{id}` names no question"),
                "add `question: <column>` (only rule response_rate has none)",
            );
            return None;
        };
        let question_line = self.field_line("question", line);
        let Some(question) = questions
            .iter()
            .find(|q| q.column.eq_ignore_ascii_case(column))
        else {
            self.report(
                question_line,
                format!("indicator `{id}` uses unknown question `{column}`"),
                "name a column listed under `questions:`",
            );
            return None;
        };
        let years = Years {
            from: r.from.unwrap_or(question.years.from),
            to: r.to.or(question.years.to),
        };
        // An inherited `to` before an explicit `from` is reported as outside the question's
        // years; a question with broken years is reported once, at the question.
        let own_order_ok =
            r.to.is_none() || self.check_year_order(&years, line, &format!("indicator `{id}`"));
        let question_ok = question.years.to.is_none_or(|to| to >= question.years.from);
        if own_order_ok && question_ok && !years.within(&question.years) {
            self.report(
                line,
                format!(
                    "indicator `{id}` is published {years} but its question `{}` is asked only {}",
                    question.column, question.years
                ),
                "limit the indicator's years (from/to) to the question's years",
            );
        }
        let members = self.members(r, line, question)?;
        Some(Entry {
            raw: r,
            line,
            years,
            members,
        })
    }

    fn compile_response_rate<'r>(&mut self, r: &'r RawIndicator, line: usize) -> Option<Entry<'r>> {
        let id = r.id.trim();
        if r.question.is_some() {
            let l = self.field_line("question", line);
            self.report(
                l,
                format!("indicator `{id}` (rule response_rate) names a question"),
                "remove `question:`; the response rate counts returned questionnaires",
            );
        }
        if r.threshold.is_some() {
            let l = self.field_line("threshold", line);
            self.report(
                l,
                format!("indicator `{id}` (rule response_rate) has a threshold"),
                "remove `threshold:`; only rule at_most uses one",
            );
        }
        let Some(from) = r.from else {
            self.report(
                line,
                format!("indicator `{id}` (rule response_rate) has no `from`"),
                "add `from: <first year>`: without a question there are no years to inherit",
            );
            return None;
        };
        let years = Years { from, to: r.to };
        self.check_year_order(&years, line, &format!("indicator `{id}`"));
        Some(Entry {
            raw: r,
            line,
            years,
            members: vec![Member {
                suffix: "",
                rule: Rule::ResponseRate,
                kind: IndicatorKind::Andel,
                namn: format!("{}, %", r.namn.trim()),
                taljare: "Inkomna enkätsvar".to_string(),
                namnare: Some("Kommuner och stadsdelar som fått enkäten".to_string()),
            }],
        })
    }

    /// The published members of an entry scoring `question`, or `None` (reported) when the rule
    /// does not fit the question.
    fn members(&mut self, r: &RawIndicator, line: usize, q: &Question) -> Option<Vec<Member>> {
        let id = r.id.trim();
        let namn = r.namn.trim();
        let column = q.column.clone();
        let rule_line = self.field_line("rule", line);
        if r.threshold.is_some() && q.answer_type != AnswerType::Tal {
            let l = self.field_line("threshold", line);
            self.report(
                l,
                format!(
                    "indicator `{id}` has a threshold but its question `{column}` is of type {}",
                    q.answer_type.name()
                ),
                "a threshold needs a question of type tal; remove it or score another question",
            );
            return None;
        }
        let rule = match r.rule.as_deref().map(str::trim) {
            Some(rule) => rule,
            None if q.answer_type == AnswerType::Tal => {
                self.report(
                    line,
                    format!("indicator `{id}` scores the tal question `{column}` without a rule"),
                    "add `rule: at_most` with `threshold:`, or `rule: households_per_case_worker`",
                );
                return None;
            }
            None => "answer",
        };
        let andel = |suffix, rule, namn: String, taljare: String| Member {
            suffix,
            rule,
            kind: IndicatorKind::Andel,
            namn,
            taljare,
            namnare: Some(RESPONDING_UNITS.to_string()),
        };
        match (rule, q.answer_type) {
            ("answer", AnswerType::JaNej) => Some(vec![andel(
                "",
                Rule::Answer {
                    question: column,
                    fulfilled: vec!["Ja"],
                },
                format!("{namn}, %"),
                "Svarande som svarat Ja".to_string(),
            )]),
            ("answer", AnswerType::HeltDelvis) => Some(vec![
                andel(
                    "_helt",
                    Rule::Answer {
                        question: column.clone(),
                        fulfilled: vec!["Helt"],
                    },
                    format!("{namn} – helt, %"),
                    "Svarande som svarat Helt".to_string(),
                ),
                andel(
                    "_helt_delvis",
                    Rule::Answer {
                        question: column,
                        fulfilled: vec!["Helt", "Delvis"],
                    },
                    format!("{namn} – helt eller delvis, %"),
                    "Svarande som svarat Helt eller Delvis".to_string(),
                ),
            ]),
            ("at_most", AnswerType::Tal) => {
                let Some(threshold) = r.threshold else {
                    self.report(
                        rule_line,
                        format!("indicator `{id}` has rule at_most but no threshold"),
                        "add `threshold: <number>` (answers at most the threshold fulfil it)",
                    );
                    return None;
                };
                Some(vec![andel(
                    "",
                    Rule::AtMost {
                        question: column,
                        threshold,
                    },
                    format!("{namn}, %"),
                    format!("Svarande som angett högst {threshold}"),
                )])
            }
            ("households_per_case_worker", AnswerType::Tal) => {
                if r.threshold.is_some() {
                    let l = self.field_line("threshold", line);
                    self.report(
                        l,
                        format!(
                            "indicator `{id}` (rule households_per_case_worker) has a threshold"
                        ),
                        "remove `threshold:`; only rule at_most uses one",
                    );
                    return None;
                }
                let kvot = |suffix, statistic, namn, taljare: &str, namnare: Option<&str>| Member {
                    suffix,
                    rule: Rule::HouseholdsPerCaseWorker {
                        question: column.clone(),
                        statistic,
                    },
                    kind: IndicatorKind::Kvot,
                    namn,
                    taljare: taljare.to_string(),
                    namnare: namnare.map(str::to_string),
                };
                Some(vec![
                    kvot(
                        "",
                        Statistic::Ratio,
                        namn.to_string(),
                        "Hushåll med utbetalning enligt registret, genomsnitt per månad",
                        Some("Årsarbetare (handläggare) för ekonomiskt bistånd enligt enkäten"),
                    ),
                    kvot(
                        "_min",
                        Statistic::LanMin,
                        format!("{namn}, lägsta värdet i länet"),
                        "Lägsta värdet bland länets kommuner och stadsdelar",
                        None,
                    ),
                    kvot(
                        "_max",
                        Statistic::LanMax,
                        format!("{namn}, högsta värdet i länet"),
                        "Högsta värdet bland länets kommuner och stadsdelar",
                        None,
                    ),
                ])
            }
            ("answer" | "at_most" | "households_per_case_worker", t) => {
                let fits = match rule {
                    "answer" => "ja_nej or helt_delvis",
                    _ => "tal",
                };
                self.report(
                    rule_line,
                    format!(
                        "indicator `{id}` has rule {rule} but its question `{column}` is of type {}",
                        t.name()
                    ),
                    format!("rule {rule} needs a question of type {fits}"),
                );
                None
            }
            (other, _) => {
                self.report(
                    rule_line,
                    format!("indicator `{id}` has unknown rule `{other}`"),
                    format!("use one of: {RULES}"),
                );
                None
            }
        }
    }

    /// Expands the entries into published indicators, resolving `replaces`.
    fn resolve(&mut self, entries: &[Entry]) -> Vec<Indicator> {
        let mut indicators = Vec::new();
        for entry in entries {
            let base = entry.raw.id.trim();
            let previous = entry
                .raw
                .replaces
                .as_deref()
                .map(str::trim)
                .and_then(|old| self.replaced(entry, old, entries));
            let kolada_kpi = self.kolada_kpi(entry);
            for m in &entry.members {
                indicators.push(Indicator {
                    id: format!("{base}{}", m.suffix),
                    namn: m.namn.clone(),
                    kind: m.kind,
                    taljare: m.taljare.clone(),
                    namnare: m.namnare.clone(),
                    rule: m.rule.clone(),
                    years: entry.years,
                    previous_id: previous.map(|old| format!("{old}{}", m.suffix)),
                    kolada_kpi: kolada_kpi.clone().filter(|_| m.suffix.is_empty()),
                    line: entry.line,
                });
            }
        }
        indicators
    }

    /// The entry's `kolada_kpi`, when it has Kolada's shape and the entry publishes an indicator
    /// under its own id (a helt_delvis entry publishes only `_helt` and `_helt_delvis`).
    fn kolada_kpi(&mut self, entry: &Entry) -> Option<String> {
        let kpi = entry.raw.kolada_kpi.as_deref()?.trim();
        let id = entry.raw.id.trim();
        let line = self.field_line("kolada_kpi", entry.line);
        if !crate::vocab::is_kpi_id(kpi) {
            self.report(
                line,
                format!("indicator `{id}` has kolada_kpi `{kpi}`, which is not a Kolada KPI id"),
                "a Kolada KPI id is one capital letter and five digits, e.g. N31807",
            );
            return None;
        }
        if !entry.members.iter().any(|m| m.suffix.is_empty()) {
            self.report(
                line,
                format!("indicator `{id}` publishes no indicator named `{id}` to give kolada_kpi `{kpi}`"),
                "a helt_delvis question publishes <id>_helt and <id>_helt_delvis; a Kolada KPI id belongs to one published indicator",
            );
            return None;
        }
        Some(kpi.to_string())
    }

    /// The id `entry` replaces, when valid: an entry with that id ends the year before `entry`
    /// starts and publishes the same suffixes.
    fn replaced<'e>(&mut self, entry: &Entry, old: &'e str, entries: &[Entry]) -> Option<&'e str> {
        let id = entry.raw.id.trim();
        let line = self.field_line("replaces", entry.line);
        let year_before = entry.years.from - 1;
        let Some(previous) = entries
            .iter()
            .find(|e| e.raw.id.trim() == old && e.years.to == Some(year_before))
        else {
            self.report(
                line,
                format!("indicator `{id}` replaces `{old}`, but no indicator `{old}` ends in {year_before}"),
                format!("`replaces` names the id used the year before `from`; give `{old}` `to: {year_before}`"),
            );
            return None;
        };
        let suffixes = |e: &Entry| e.members.iter().map(|m| m.suffix).collect::<Vec<_>>();
        if suffixes(previous) != suffixes(entry) {
            self.report(
                line,
                format!(
                    "indicator `{id}` replaces `{old}` (line {}), which is published in a different shape",
                    previous.line
                ),
                "only an indicator of the same answer type and rule can be compared with the previous year; drop `replaces`",
            );
            return None;
        }
        Some(old)
    }

    fn check_overlaps(&mut self, indicators: &[Indicator]) {
        for (n, later) in indicators.iter().enumerate() {
            if let Some(earlier) = indicators[..n]
                .iter()
                .find(|e| e.id == later.id && e.years.overlaps(&later.years))
            {
                let (earlier_line, earlier_years) = (earlier.line, earlier.years);
                self.report(
                    later.line,
                    format!(
                        "indicator `{}` is defined for {} here and for {} on line {}: the years overlap",
                        later.id, later.years, earlier_years, earlier_line
                    ),
                    "give each definition of an id its own years (`to` on the earlier one, a later `from` here), or a new id",
                );
            }
        }
    }
}

fn is_column_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_contain_overlap_and_nest() {
        let open = Years {
            from: 2010,
            to: None,
        };
        let closed = Years {
            from: 2012,
            to: Some(2015),
        };
        assert!(open.contains(2030) && !open.contains(2009));
        assert!(closed.contains(2015) && !closed.contains(2016));
        assert!(open.overlaps(&closed) && closed.overlaps(&open));
        assert!(!closed.overlaps(&Years {
            from: 2016,
            to: None
        }));
        assert!(closed.within(&open) && !open.within(&closed));
        assert_eq!(closed.to_string(), "2012–2015");
        assert_eq!(open.to_string(), "2010–");
    }

    #[test]
    fn column_names() {
        assert!(is_column_name("besok_dagar2"));
        assert!(!is_column_name("Besok"));
        assert!(!is_column_name("2x"));
        assert!(!is_column_name("a-b"));
        assert!(!is_column_name(""));
    }
}
