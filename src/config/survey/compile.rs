//! Compiling the raw survey configuration: the compiler that collects every problem with file,
//! line and hint, the `questions:` section, the resolution of `replaces` and the overlap checks.
//! The `indicators:` entries are compiled in `indicators`.

use super::raw::{RawConfig, RawIndicator, RawQuestion};
use super::{Indicator, Question, Rule, SurveyConfig, SurveyConfigError};
use crate::config::Diagnostic;
use crate::vocab::{AnswerType, IndicatorKind, Years};
use crate::yaml::{Pos, Spans};
use std::collections::BTreeMap;

/// The published members of one indicator entry: suffix of the id and how each is computed.
pub(super) struct Member {
    pub(super) suffix: &'static str,
    pub(super) rule: Rule,
    pub(super) kind: IndicatorKind,
    pub(super) namn: String,
    pub(super) taljare: String,
    pub(super) namnare: Option<String>,
}

/// One compiled `indicators:` entry before `replaces` is resolved.
pub(super) struct Entry<'a> {
    pub(super) raw: &'a RawIndicator,
    pub(super) line: usize,
    pub(super) years: Years,
    pub(super) members: Vec<Member>,
}

/// Where a survey problem is: a list item (by its line) or an exact place.
pub(super) enum At {
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

pub(super) struct Compiler<'t> {
    pub(super) file: &'t str,
    pub(super) spans: Spans,
    /// Line of each list item → its path in the document (`indicators.3`) and where its first
    /// key's value starts.
    pub(super) items: BTreeMap<usize, (String, Pos)>,
    pub(super) diagnostics: Vec<Diagnostic>,
}

pub(super) const RULES: &str = "answer, at_most, households_per_case_worker, response_rate";
pub(super) const RESPONDING_UNITS: &str = "Kommuner och stadsdelar som besvarat frågan";

impl<'t> Compiler<'t> {
    pub(super) fn new(file: &'t str, text: &'t str) -> Self {
        Compiler {
            file,
            spans: Spans::read(text),
            items: BTreeMap::new(),
            diagnostics: Vec::new(),
        }
    }

    /// Reports a problem at `at`: a line (of a list item, see [`Compiler::item_lines`]) or a
    /// place found by [`Compiler::field_line`].
    pub(super) fn report(&mut self, at: impl Into<At>, message: String, hint: impl Into<String>) {
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
    pub(super) fn item_lines(&mut self, section: &str, key: &str, count: usize) -> Vec<usize> {
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
    pub(super) fn field_line(&self, key: &str, item_line: usize) -> Pos {
        match self.items.get(&item_line) {
            Some((path, pos)) => self.spans.value(&format!("{path}.{key}")).unwrap_or(*pos),
            None => Pos {
                line: item_line,
                column: 1,
            },
        }
    }

    pub(super) fn compile(mut self, raw: &RawConfig) -> Result<SurveyConfig, SurveyConfigError> {
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

    pub(super) fn compile_questions(&mut self, raw: &[RawQuestion]) -> Vec<Question> {
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
    pub(super) fn check_year_order(&mut self, years: &Years, line: usize, what: &str) -> bool {
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
}

impl Compiler<'_> {
    /// Expands the entries into published indicators, resolving `replaces`.
    pub(super) fn resolve(&mut self, entries: &[Entry]) -> Vec<Indicator> {
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
    pub(super) fn kolada_kpi(&mut self, entry: &Entry) -> Option<String> {
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
    pub(super) fn replaced<'e>(
        &mut self,
        entry: &Entry,
        old: &'e str,
        entries: &[Entry],
    ) -> Option<&'e str> {
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

    pub(super) fn check_overlaps(&mut self, indicators: &[Indicator]) {
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

pub(super) fn is_column_name(name: &str) -> bool {
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
