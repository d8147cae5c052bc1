//! Compiling one `indicators:` entry of the survey configuration: its years, its rule and the
//! question it scores, and the published members (indicator ids) it expands into.

use super::compile::{Compiler, Entry, Member, RESPONDING_UNITS, RULES, is_column_name};
use super::raw::RawIndicator;
use super::{Question, Rule, Statistic};
use crate::vocab::{AnswerType, IndicatorKind, Years};

impl<'t> Compiler<'t> {
    pub(super) fn compile_entry<'r>(
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

    pub(super) fn compile_response_rate<'r>(
        &mut self,
        r: &'r RawIndicator,
        line: usize,
    ) -> Option<Entry<'r>> {
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
    pub(super) fn members(
        &mut self,
        r: &RawIndicator,
        line: usize,
        q: &Question,
    ) -> Option<Vec<Member>> {
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
}
