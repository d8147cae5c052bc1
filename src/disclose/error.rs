//! Errors of the disclose stage.

use datafusion::error::DataFusionError;

/// Why the disclose stage or its verification could not run. Outcomes of the check itself are
/// [`crate::disclose::Violation`]s, not errors.
#[derive(Debug, thiserror::Error)]
pub enum DiscloseError {
    /// An indicator row names an indicator whose kind is unknown.
    #[error(
        "indicator rows: indikator {indikator:?} has no kind (hint: declare `kind:` for it in \
         pipelines/ekonomiskt_bistand.yaml or in the survey configuration)"
    )]
    UnknownKind {
        /// The indicator id without a kind.
        indikator: String,
    },
    /// An indicator row carries a status the models may not produce.
    #[error(
        "indicator rows: {indikator} {niva} {region} {grupp}: status {status:?} is not one of \
         '' (computed), '-' (missing), '.' (not applicable) (hint: the ind_ model producing it \
         must set the status; '..' is set by the disclose stage only)"
    )]
    InvalidStatus {
        /// Indicator id.
        indikator: String,
        /// Level.
        niva: String,
        /// Region code.
        region: String,
        /// Group.
        grupp: String,
        /// The offending status (`<null>` when null).
        status: String,
    },
    /// Two indicator rows share the key (ar, indikator, niva, region, grupp).
    #[error(
        "indicator rows: {count} rows for key ({ar}, {indikator}, {niva}, {region}, {grupp}) – \
         the key must be unique (hint: check the ind_ model producing {indikator} for a join \
         that fans out)"
    )]
    DuplicateCell {
        /// Year.
        ar: i64,
        /// Indicator id.
        indikator: String,
        /// Level.
        niva: String,
        /// Region code.
        region: String,
        /// Group.
        grupp: String,
        /// How many rows share the key.
        count: i64,
    },
    /// A column the stage needs is missing or has the wrong type.
    #[error(
        "{table}: {message} (hint: indicator rows must have the shape of HELPERS.md / outputs.md)"
    )]
    Shape {
        /// Which input.
        table: &'static str,
        /// What is wrong.
        message: String,
    },
    /// After suppression, an intruder can still narrow suppressed cells below their protection.
    #[error(
        "disclosure audit failed: {} suppressed cell(s) can be narrowed below their protection \
         level; nothing was published:\n  {}\n(hint: the repair rounds \
         (disclosure.audit.max_repair_rounds in pipelines/disclosure.yaml) could not protect \
         them; check the relations named)",
        failures.len(),
        failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n  ")
    )]
    Audit {
        /// One line per failing cell.
        failures: Vec<String>,
    },
    /// A declared relation does not hold on the year's numbers.
    #[error(
        "disclosure: {count} declared relation(s) do not hold on this year's numbers, so no \
         suppression can be audited:\n  {}\n(hint: fix the relation in \
         pipelines/disclosure.yaml or the model computing these cells)",
        examples.join("\n  ")
    )]
    RelationDoesNotHold {
        /// How many relation instances fail.
        count: usize,
        /// The first few, described.
        examples: Vec<String>,
    },
    /// The audit's linear-programming solver failed.
    #[error(transparent)]
    Solver(#[from] super::audit::AuditError),
    /// The query engine failed.
    #[error("disclose: query engine: {0}")]
    Engine(#[from] DataFusionError),
    /// Arrow failed building or reading batches.
    #[error("disclose: arrow: {0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
}
