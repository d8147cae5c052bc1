//! Planning every check's queries against the schemas of the tables it reads, without data: the
//! same SQL a gate runs ([`super::kinds`]), with the pipeline's parameters bound, analysed and
//! optimised by DataFusion. `oj validate` uses it so that an unknown column in a check's
//! `columns`, `where` or `sql` is found before a run.
//!
//! Guarantees: a check is planned only when every table it reads is registered in the session
//! given; the first error of each check is returned with the check's id.

use super::kinds;
use super::run::pipeline_params;
use crate::config::Project;
use crate::vocab::StageId;
use datafusion::common::ParamValues;
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;

/// Plans the checks of every gate in `ctx` (tables registered, typically empty) for `year`;
/// returns each check that does not plan with its error.
pub async fn plan_checks(
    ctx: &SessionContext,
    project: &Project,
    year: i64,
) -> Vec<(String, DataFusionError)> {
    let params = pipeline_params(project, year);
    let mut out = Vec::new();
    for stage in StageId::ALL {
        for check in project.checks.of(stage) {
            if !check
                .reads
                .iter()
                .all(|t| ctx.table_exist(t.as_str()).unwrap_or(false))
            {
                continue;
            }
            let mut own = Vec::new();
            let queries: Vec<String> = match check.table.as_deref() {
                Some(table) if check.kind.is_row_level() => {
                    let schema = ctx.table_provider(table).await.ok().map(|t| t.schema());
                    let column_type = |name: &str| {
                        schema
                            .as_ref()
                            .and_then(|s| s.field_with_name(name).ok())
                            .map(|f| f.data_type().clone())
                    };
                    let plan = kinds::row_plan(check, 0, &mut own, &column_type);
                    vec![
                        kinds::counts_sql(table, std::slice::from_ref(&plan)),
                        kinds::row_offending_sql(table, &plan),
                    ]
                }
                _ => {
                    let plan = kinds::set_plan(check, &mut own);
                    std::iter::once(plan.offending).chain(plan.total).collect()
                }
            };
            let mut values = params.clone();
            values.extend(own);
            for sql in queries {
                let planned = async {
                    crate::session::analyzed_plan(
                        ctx.sql(&sql)
                            .await?
                            .with_param_values(ParamValues::from(values.clone()))?,
                    )
                }
                .await;
                if let Err(e) = planned {
                    out.push((check.id.clone(), e));
                    break;
                }
            }
        }
    }
    out
}
