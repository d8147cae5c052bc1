//! Loading `sql/`: one model per `.sql` file (file stem = table name), its table references found
//! with DataFusion's own parser, and the run order.
//!
//! Guarantees: [`ModelSet::load`] either returns every model in a valid run order or every problem
//! found (unreadable file, parse error, not exactly one query, duplicate name, reference to a table
//! that is neither a model nor a source dataset, reference cycle), each naming its file.

use super::order::topological;
use datafusion::sql::parser::{DFParser, Statement as DFStatement};
use datafusion::sql::resolve::resolve_table_references;
use datafusion::sql::sqlparser::ast::Statement;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// One SQL model: a query whose result is stored as the table `name`.
#[derive(Debug, Clone)]
pub struct Model {
    /// Table name = file stem (`int_person_plats`).
    pub name: String,
    /// The file the model came from.
    pub path: PathBuf,
    /// The SQL text as written.
    pub sql: String,
    /// Every table the query reads (models and source datasets), lower-case, sorted.
    pub references: BTreeSet<String>,
}

/// A problem in `sql/`, pointing at a file (and a line when one is known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelDiagnostic {
    /// The model file concerned.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for ModelDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file.display(), l, self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// All models of `sql/`, in run order.
#[derive(Debug, Clone)]
pub struct ModelSet {
    models: BTreeMap<String, Model>,
    order: Vec<String>,
}

impl ModelSet {
    /// Loads every `*.sql` file under `sql_dir` (sub-folders included). `sources` are the tables
    /// that exist before any model runs (the staged datasets: `regioner`, `befolkning`, `register`,
    /// `bakgrund`, `enkat`); any other reference must be another model.
    pub fn load(sql_dir: &Path, sources: &[&str]) -> Result<ModelSet, Vec<ModelDiagnostic>> {
        let mut diags = Vec::new();
        let mut files = Vec::new();
        collect_sql_files(sql_dir, &mut files, &mut diags);
        files.sort();
        let mut models: BTreeMap<String, Model> = BTreeMap::new();
        for path in files {
            match parse_model(&path) {
                Ok(model) => {
                    if let Some(first) = models.get(&model.name) {
                        diags.push(ModelDiagnostic {
                            file: path.clone(),
                            line: None,
                            message: format!(
                                "model `{}` is also defined in {} (hint: file stems are table names and must be unique)",
                                model.name,
                                first.path.display()
                            ),
                        });
                    } else if sources.contains(&model.name.as_str()) {
                        diags.push(ModelDiagnostic {
                            file: path.clone(),
                            line: None,
                            message: format!(
                                "model `{}` has the name of a source dataset (hint: rename the file)",
                                model.name
                            ),
                        });
                    } else {
                        models.insert(model.name.clone(), model);
                    }
                }
                Err(d) => diags.push(d),
            }
        }
        for model in models.values() {
            for r in &model.references {
                if !models.contains_key(r) && !sources.contains(&r.as_str()) {
                    diags.push(ModelDiagnostic {
                        file: model.path.clone(),
                        line: line_of_word(&model.sql, r),
                        message: format!(
                            "reads table `{r}`, which is neither a model in sql/ nor a source dataset ({}) (hint: check the spelling or add sql/{r}.sql)",
                            sources.join(", ")
                        ),
                    });
                }
            }
        }
        let deps: BTreeMap<String, BTreeSet<String>> = models
            .iter()
            .map(|(n, m)| {
                let d = m
                    .references
                    .iter()
                    .filter(|r| models.contains_key(*r))
                    .cloned()
                    .collect();
                (n.clone(), d)
            })
            .collect();
        let order = match topological(&deps) {
            Ok(order) => order,
            Err(cycles) => {
                for cycle in cycles {
                    for member in &cycle {
                        if let Some(m) = models.get(member) {
                            diags.push(ModelDiagnostic {
                                file: m.path.clone(),
                                line: None,
                                message: format!(
                                    "model `{member}` is part of a reference cycle among: {} (hint: a model may only read models that do not read it back)",
                                    cycle.join(", ")
                                ),
                            });
                        }
                    }
                }
                Vec::new()
            }
        };
        if diags.is_empty() {
            Ok(ModelSet { models, order })
        } else {
            diags.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
            Err(diags)
        }
    }

    /// Model names in run order: each after every model it reads.
    pub fn names_in_order(&self) -> Vec<&str> {
        self.order.iter().map(String::as_str).collect()
    }

    /// Models in run order.
    pub(crate) fn in_order(&self) -> impl Iterator<Item = &Model> {
        self.order.iter().filter_map(|n| self.models.get(n))
    }

    /// The model called `name`.
    pub fn get(&self, name: &str) -> Option<&Model> {
        self.models.get(name)
    }

    /// The models `targets` need: the targets and every model they read, directly or not, in run
    /// order. Errors with the first target that is not a model.
    pub fn upstream_of(&self, targets: &[&str]) -> Result<ModelSet, String> {
        let mut keep: BTreeSet<String> = BTreeSet::new();
        let mut todo: Vec<String> = Vec::new();
        for t in targets {
            if !self.models.contains_key(*t) {
                return Err(format!("`{t}` is not a model in sql/"));
            }
            todo.push(t.to_string());
        }
        while let Some(m) = todo.pop() {
            if keep.insert(m.clone())
                && let Some(model) = self.models.get(&m)
            {
                todo.extend(
                    model
                        .references
                        .iter()
                        .filter(|r| self.models.contains_key(*r))
                        .cloned(),
                );
            }
        }
        Ok(ModelSet {
            models: self
                .models
                .iter()
                .filter(|(n, _)| keep.contains(*n))
                .map(|(n, m)| (n.clone(), m.clone()))
                .collect(),
            order: self
                .order
                .iter()
                .filter(|n| keep.contains(*n))
                .cloned()
                .collect(),
        })
    }
}

fn collect_sql_files(dir: &Path, files: &mut Vec<PathBuf>, diags: &mut Vec<ModelDiagnostic>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diags.push(ModelDiagnostic {
                file: dir.to_path_buf(),
                line: None,
                message: format!("cannot read the models folder: {e}"),
            });
            return;
        }
    };
    for entry in entries {
        match entry {
            Ok(entry) => {
                let path = entry.path();
                if path.is_dir() {
                    collect_sql_files(&path, files, diags);
                } else if path.extension().is_some_and(|e| e == "sql") {
                    files.push(path);
                }
            }
            Err(e) => diags.push(ModelDiagnostic {
                file: dir.to_path_buf(),
                line: None,
                message: format!("cannot list the models folder: {e}"),
            }),
        }
    }
}

fn parse_model(path: &Path) -> Result<Model, ModelDiagnostic> {
    let diag = |line: Option<usize>, message: String| ModelDiagnostic {
        file: path.to_path_buf(),
        line,
        message,
    };
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .map(str::to_lowercase)
        .ok_or_else(|| diag(None, "the file name is not valid UTF-8".into()))?;
    let sql = std::fs::read_to_string(path).map_err(|e| diag(None, format!("cannot read: {e}")))?;
    let mut statements = DFParser::parse_sql(&sql).map_err(|e| {
        let message = e.to_string();
        diag(
            line_in_parser_message(&message),
            format!("SQL does not parse: {message}"),
        )
    })?;
    if statements.len() != 1 {
        return Err(diag(
            None,
            format!(
                "holds {} statements; a model is exactly one query (hint: one SELECT/WITH per file)",
                statements.len()
            ),
        ));
    }
    let statement = statements
        .pop_front()
        .ok_or_else(|| diag(None, "holds no statement".into()))?;
    if !matches!(&statement, DFStatement::Statement(s) if matches!(**s, Statement::Query(_))) {
        return Err(diag(
            None,
            "is not a query; a model is one SELECT or WITH … SELECT (hint: no DDL or DML in sql/)"
                .into(),
        ));
    }
    let (tables, _ctes) = resolve_table_references(&statement, true)
        .map_err(|e| diag(None, format!("table references cannot be resolved: {e}")))?;
    let references = tables.iter().map(|t| t.table().to_lowercase()).collect();
    Ok(Model {
        name,
        path: path.to_path_buf(),
        sql,
        references,
    })
}

/// The line sqlparser names in messages like "… at Line: 3, Column: 7".
fn line_in_parser_message(message: &str) -> Option<usize> {
    let rest = &message[message.find("Line: ")? + 6..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The first line where `word` appears as a whole identifier (case-insensitive).
pub(crate) fn line_of_word(text: &str, word: &str) -> Option<usize> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.lines().enumerate().find_map(|(i, line)| {
        let lower = line.to_lowercase();
        let code = lower.split("--").next().unwrap_or_default();
        code.match_indices(word)
            .any(|(at, _)| {
                let before = code[..at].chars().next_back().is_none_or(|c| !is_ident(c));
                let after = code[at + word.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !is_ident(c));
                before && after
            })
            .then_some(i + 1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_word_lines_outside_comments() {
        let sql = "-- reads stg_x\nSELECT a\nFROM stg_xy\nJOIN stg_x ON true";
        assert_eq!(line_of_word(sql, "stg_x"), Some(4));
        assert_eq!(line_of_word(sql, "nope"), None);
    }

    #[test]
    fn reads_line_from_parser_message() {
        assert_eq!(
            line_in_parser_message(
                "sql parser error: Expected: end of statement, found: x at Line: 3, Column: 7"
            ),
            Some(3)
        );
        assert_eq!(line_in_parser_message("no position"), None);
    }
}
