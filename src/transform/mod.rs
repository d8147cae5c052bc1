//! Running the SQL models of the compiled project (`crate::config::models`: loaded, parsed and
//! ordered once by the compile step) in dependency order: binding the pipeline parameters as named
//! placeholders (`$name`, never formatted into the SQL), executing each model and handing its
//! result to a [`ModelSink`] that stores it and registers it back under the model's name for the
//! models that follow ([`LakeSink`] in production, [`MemorySink`] for tests of single models).
//!
//! Guarantees: a model that fails to plan or run is an error naming its file and DataFusion's
//! message; the run order depends only on the references between models.

mod error;
mod history;
mod lake_sink;
mod person_number;
mod run;
mod sink;

pub use error::TransformError;
pub use history::history_status;
pub use lake_sink::LakeSink;
/// Registers the functions the `sql/` models call (`oj_pnr_number`) with a session.
pub(crate) use person_number::register as register_functions;
pub use run::{ModelRun, run_models};
pub use sink::{MemorySink, ModelSink};
