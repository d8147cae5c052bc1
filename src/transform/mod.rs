//! The transform stage: runs the SQL models in `sql/` in dependency order.
//!
//! Owns loading the models (one `sql/*.sql` file per model, file stem = table name), finding the
//! tables each model reads with DataFusion's own SQL parser, ordering them topologically, binding the
//! pipeline parameters as named placeholders (`$name`, never formatted into the SQL), executing each
//! model and handing its result to a [`ModelSink`] that stores it and registers it back under the
//! model's name for the models that follow.
//!
//! Guarantees: every problem in `sql/` (parse errors, references to unknown tables, cycles) is
//! reported at once, each naming its file; a model that fails to plan or run is an error naming its
//! file and DataFusion's message; the run order depends only on the references between models.

mod error;
mod history;
mod model;
mod order;
mod params;
mod run;
mod sink;

pub use error::TransformError;
pub use history::history_status;
pub(crate) use model::line_of_word;
pub use model::{Model, ModelDiagnostic, ModelSet};
pub use params::{MAX_WINDOW_YEARS, MissingHistory, ModelParams, RegisterParameters};
pub use run::{ModelRun, run_models};
pub use sink::{MemorySink, ModelSink};
