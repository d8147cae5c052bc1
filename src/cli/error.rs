//! Why a command failed, and the one mapping of every failure of the command line to its exit
//! code (outputs.md: 1 a blocking data-quality failure, 2 invalid usage, pipeline, SQL or
//! contract, 3 a runtime failure). Failures of a run keep their own mapping
//! ([`crate::pipeline::RunError::exit_status`]); this module adds the edge's own.
//!
//! Guarantees: every error keeps its typed source; [`report`] prints it once with its whole
//! chain.

use crate::config::ConfigErrors;
use crate::exit::ExitStatus;
use crate::pipeline::{RunError, StageError};
use crate::publish::PublishError;
use crate::store::StoreError;

/// A failed command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line asks for something impossible.
    #[error("{0}")]
    Usage(String),
    /// The project's configuration does not compile.
    #[error(transparent)]
    Config(#[from] ConfigErrors),
    /// A drops folder or lake given on the command line cannot be opened.
    #[error(transparent)]
    Open(StoreError),
    /// The query session cannot be built.
    #[error("building the query session: {0}")]
    Session(#[source] datafusion::error::DataFusionError),
    /// A release named on the command line does not exist or is incomplete.
    #[error(transparent)]
    NoRelease(PublishError),
    /// The region asked for has no profile in the release.
    #[error(transparent)]
    Region(crate::render::PublicationError),
    /// The synthetic drops cannot be written.
    #[error(transparent)]
    Synth(#[from] crate::synth::SynthError),
    /// A run failed.
    #[error("{}", .0.first)]
    Run(Box<RunFailure>),
    /// Reading the lake outside a run failed.
    #[error(transparent)]
    Stage(Box<StageError>),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error(transparent)]
    Disclose(#[from] crate::disclose::DiscloseError),
    #[error(transparent)]
    Commit(Box<crate::commit::CommitError>),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("starting the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The demo's drop generator stopped without an error of its own (cancelled).
    #[error("the demo's drop generator stopped: {0}")]
    Generator(String),
}

/// A failed run: its first failure, the failures after it (writing the run record or the
/// failure marker), and where its record is.
#[derive(Debug)]
pub struct RunFailure {
    pub first: RunError,
    pub later: Vec<RunError>,
    /// The run id and where its record is (not for a dry run).
    pub record: Option<(String, String)>,
}

impl From<crate::commit::CommitError> for CliError {
    fn from(e: crate::commit::CommitError) -> Self {
        CliError::Commit(Box::new(e))
    }
}

impl From<StageError> for CliError {
    fn from(e: StageError) -> Self {
        CliError::Stage(Box::new(e))
    }
}

impl From<RunError> for CliError {
    fn from(first: RunError) -> Self {
        CliError::Run(Box::new(RunFailure {
            first,
            later: Vec::new(),
            record: None,
        }))
    }
}

impl CliError {
    /// The process exit status of this failure.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            CliError::Usage(_)
            | CliError::Config(_)
            | CliError::Open(_)
            | CliError::NoRelease(_)
            | CliError::Region(_)
            | CliError::Synth(_) => ExitStatus::Invalid,
            CliError::Run(run) => run.first.exit_status(),
            CliError::Stage(e) => e.exit_status(),
            CliError::Session(_)
            | CliError::Publish(_)
            | CliError::Disclose(_)
            | CliError::Commit(_)
            | CliError::Write { .. }
            | CliError::Runtime(_)
            | CliError::Generator(_) => ExitStatus::Runtime,
        }
    }
}

/// Prints a failed command to stderr: the error with its whole source chain, for a run also the
/// failures after the first and where the run record is.
pub fn report(error: &CliError) {
    match error {
        CliError::Run(run) => {
            print_chain(&run.first);
            for e in &run.later {
                print_chain(e);
            }
            if let Some((run_id, path)) = &run.record {
                eprintln!("run {run_id} failed; record: {path}");
            }
        }
        CliError::Stage(e) => print_chain(e.as_ref()),
        other => print_chain(other),
    }
}

/// `error: …` and one `caused by: …` line per source whose text the lines before do not
/// already say (a stage error's message includes its source's).
fn print_chain(error: &(dyn std::error::Error + 'static)) {
    let mut said = error.to_string();
    eprintln!("error: {said}");
    let mut source = error.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !said.contains(&text) {
            eprintln!("  caused by: {text}");
            said = text;
        }
        source = s.source();
    }
}
