//! The SQL-facing checks of a check's text: identifiers safe to quote, SQL expressions that
//! parse, and the tables a custom query reads.
//!
//! Guarantees: every problem is pushed to the file's diagnostics with the place it is about.

use super::Ctx;
use crate::yaml::Pos;
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// A table or column name is a plain lowercase identifier (safe to quote into SQL).
pub(super) fn check_ident(cx: &mut Ctx, line: Option<Pos>, what: &str, name: &str) {
    let ok = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !ok {
        cx.push(
            line,
            format!("{what} name `{name}` is not a plain lowercase identifier"),
            Some("use a-z, 0-9 and _ (the staged and warehouse column names)"),
        );
    }
}

/// `sql` parses as one SQL expression (a filter or rule of check `id`).
pub(super) fn check_expr(cx: &mut Ctx, line: Option<Pos>, id: &str, sql: &str) {
    let parsed = Parser::new(&GenericDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_expr());
    if let Err(e) = parsed {
        cx.push(
            line,
            format!(
                "check `{id}`: `{}` is not a SQL expression: {e}",
                sql.trim()
            ),
            None,
        );
    }
}

/// The tables a custom query reads (its CTE names excluded).
pub(super) fn query_tables(cx: &mut Ctx, line: Option<Pos>, id: &str, sql: &str) -> Vec<String> {
    let state = SessionContext::new().state();
    let statement = state.sql_to_statement(sql, &datafusion::config::Dialect::Generic);
    match statement.and_then(|s| state.resolve_table_references(&s)) {
        Ok(refs) => refs.iter().map(|r| r.table().to_string()).collect(),
        Err(e) => {
            cx.push(
                line,
                format!("check `{id}`: the query does not parse: {e}"),
                None,
            );
            Vec::new()
        }
    }
}
