//! The pipeline layer: what a stage is ([`Stage`]), what it is given ([`StageContext`]), what it
//! reports ([`StageOutput`]) and how it fails ([`StageError`]), and the [`runner`] that executes a
//! year's stages in order without knowing any of them by name.
//!
//! Guarantees: a stage writes only through the run's [`Txn`]; the runner gates its pending
//! outputs and commits them only when the gate passed ("write, check, then commit"); every
//! failure keeps its typed source up to the command line, where [`RunError::exit_status`] decides
//! the process status in one place.

pub mod error;
mod observe;
mod prepare;
pub mod runner;
pub mod typecheck;

pub use error::{RunError, StageError};
pub(crate) use runner::current_stage;
pub use runner::{RunOptions, RunResult, Runner, Selection};

use crate::clock::Clock;
use crate::commit::Txn;
use crate::config::Project;
use crate::ledger::RunRecord;
use crate::store::Store;
use crate::vocab::StageId;
use datafusion::prelude::SessionContext;
use futures::future::BoxFuture;
use std::any::Any;

/// Reads, compiles ([`crate::config::compile_project`]) and type-checks ([`typecheck`]: every
/// model and check planned against the schemas it reads) the project folder `root`. Nothing runs
/// on a project that did not pass both; every problem is returned at once.
pub fn load_project(root: &std::path::Path) -> Result<Project, crate::config::ConfigErrors> {
    let project = crate::config::compile_project(root)?;
    let planned = typecheck::check(&project);
    if planned.is_empty() {
        Ok(project)
    } else {
        Err(crate::config::ConfigErrors(planned, project.sources))
    }
}

/// What a stage runs with: the compiled project, the stores, the session, the clock, the year,
/// and the run so far (for stages that report on earlier stages, such as publish).
pub struct StageContext<'a> {
    pub project: &'a Project,
    pub drops: &'a Store,
    pub lake: &'a Store,
    pub ctx: &'a SessionContext,
    pub clock: &'a dyn Clock,
    pub year: i64,
    /// This run's record so far (the stages before this one).
    pub run: &'a RunRecord,
    /// The ledger as read when the run began: the records holding the last success of each
    /// pair in `looked_up`, and no others.
    pub earlier: &'a [RunRecord],
    /// The (year, stage) pairs the run looked up in the ledger: each selected stage's own and
    /// what each declared with [`Stage::ledger_reads`].
    pub looked_up: &'a [(i64, &'a str)],
    /// The record of the stage's last successful run of the year whose committed outputs the
    /// stage may keep where their inputs are unchanged (its details and check results carry the
    /// keys); `None` under `--force` and after a failed attempt. The stage's preparation
    /// ([`Stage::inputs`]) is given it too.
    pub reusable: Option<&'a crate::ledger::StageRecord>,
}

impl StageContext<'_> {
    /// The record of `stage`'s current output for `year`: this run's when the stage ran or was
    /// skipped here, else its last success in the ledger. The pair must be one the run looked
    /// up (declared in [`Stage::ledger_reads`]): `earlier` holds nothing else, so an undeclared
    /// pair would silently find no record. Debug builds (the tests) stop on one; a release
    /// build warns and answers from what it read.
    pub fn current_stage(&self, year: i64, stage: StageId) -> Option<crate::ledger::StageRecord> {
        let declared = self
            .looked_up
            .iter()
            .any(|&(y, s)| y == year && s == stage.name());
        debug_assert!(
            declared,
            "the ledger lookup ({year}, {}) is not declared in Stage::ledger_reads",
            stage.name()
        );
        if !declared {
            tracing::warn!(
                year,
                stage = stage.name(),
                "a stage looked up a ledger record it did not declare in ledger_reads; the answer may miss it"
            );
        }
        current_stage(self.run, self.earlier, year, stage.name())
    }
}

/// A committed lake file a stage reads, and the stage that produces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub(crate) producer: StageId,
    /// The file relative to the lake root.
    pub file: String,
    /// The year whose stage produced it.
    pub year: i64,
}

/// What a stage reads besides the configuration, found before it runs: the stage's part of the
/// input fingerprint, the committed lake files it reads (the runner adds their versions to the
/// fingerprint and refuses to run when their producer failed), and whatever the stage prepared
/// for its run.
#[derive(Default)]
pub struct Inputs {
    /// Fingerprint parts: (label, bytes).
    pub parts: Vec<(String, Vec<u8>)>,
    pub reads: Vec<Read>,
    /// What the stage read while preparing and uses in its run (ingest: the drop files).
    pub(crate) prepared: Option<Box<dyn Any + Send + Sync>>,
    /// The stage's whole fingerprint by part (label → SHA-256), as the runner computed it before
    /// the run: `parts` above, the project's configuration files, the program build and the
    /// versions of the committed files in `reads`.
    pub(crate) hashed: std::collections::BTreeMap<String, String>,
    /// Progress lines about the preparation, printed before the runner's decision (ingest: how
    /// the drop files were fingerprinted).
    pub lines: Vec<crate::events::Line>,
}

/// What a run of a stage would keep of its committed output and what it would compute again: a
/// dry run's preview ([`Stage::plan_parts`]), shown by `oj plan` and `run --dry-run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartsPlan {
    /// What the parts are.
    pub what: crate::events::PartKind,
    /// The parts whose committed files a run would keep (their inputs are unchanged).
    pub kept: Vec<String>,
    /// The parts a run would compute (or read) again, in run order.
    pub computed: Vec<String>,
    /// The lake files (relative to its root) a run would write anew: a later stage that reads one
    /// would read a new version of it.
    pub rewritten: Vec<String>,
    /// The lake file of each part → the part's key, as a run would give it to the gate
    /// ([`StageOutput::part_keys`]).
    pub keys: std::collections::BTreeMap<String, String>,
}

impl PartsPlan {
    /// The plan of the parts `names` (in run order): those for which `kept` holds are kept, the
    /// others computed, each into the lake file `file(name)`; `keys` by part name.
    pub fn split(
        what: crate::events::PartKind,
        names: impl IntoIterator<Item = String>,
        kept: impl Fn(&str) -> bool,
        file: impl Fn(&str) -> String,
        keys: &std::collections::BTreeMap<String, String>,
    ) -> PartsPlan {
        let (kept, computed): (Vec<String>, Vec<String>) = names.into_iter().partition(|n| kept(n));
        let rewritten = computed.iter().map(|n| file(n)).collect();
        let keys = kept
            .iter()
            .chain(&computed)
            .filter_map(|n| Some((file(n), keys.get(n)?.clone())))
            .collect();
        PartsPlan {
            what,
            kept,
            computed,
            rewritten,
            keys,
        }
    }
}

/// The facts a stage reports when it has run.
#[derive(Debug, Default)]
pub struct StageOutput {
    pub rows_in: u64,
    pub rows_out: u64,
    pub details: serde_json::Value,
    pub checks: Vec<serde_json::Value>,
    /// Lines for the progress output, with their facts.
    pub lines: Vec<crate::events::Line>,
    /// The committed file (relative to the lake) of each part the stage wrote or kept → the
    /// part's key (ingest: each dataset's; transform: each model's): the gate knows those tables
    /// by it ([`crate::gates::Reuse::parts`]).
    pub part_keys: std::collections::BTreeMap<String, String>,
}

/// One stage of the pipeline: each folder of the `stages` layer implements it. The runner asks it
/// what it reads, decides from the fingerprint whether it runs, runs it into a transaction, runs
/// the gate of [`Stage::id`] over the pending outputs and commits.
pub trait Stage: Send + Sync {
    /// Which stage this is (its name, order and gate).
    fn id(&self) -> StageId;

    /// What the stage reads for the year besides the configuration.
    fn inputs<'a>(&'a self, cx: &'a StageContext<'a>) -> BoxFuture<'a, Result<Inputs, StageError>>;

    /// The lake files a successful run leaves committed (a skipped stage must still have them).
    fn outputs(&self, project: &Project, year: i64) -> Vec<String>;

    /// Runs the stage, writing through `txn` only.
    fn run<'a>(
        &'a self,
        cx: &'a StageContext<'a>,
        inputs: Inputs,
        txn: &'a Txn<'a>,
    ) -> BoxFuture<'a, Result<StageOutput, StageError>>;

    /// The stages (of its own year or others) whose last successful run this stage reads from the
    /// ledger ([`StageContext::current_stage`]) when it is selected. The runner
    /// reads each selected stage's own last success (to decide whether it is up to date) and
    /// these; no other record of the ledger is read.
    fn ledger_reads(&self, _project: &Project, _year: i64) -> Vec<(i64, StageId)> {
        Vec::new()
    }

    /// For a dry run: which parts of its committed output a run of the stage would keep and which
    /// it would compute, given `inputs` as prepared (their fingerprint parts already marking the
    /// lake files that earlier stages of the run would write anew) and [`StageContext::reusable`].
    /// `None` (the default): the stage computes its outputs whole, and a later stage should
    /// assume every file it produces is new.
    fn plan_parts<'a>(
        &'a self,
        _cx: &'a StageContext<'a>,
        _inputs: &'a Inputs,
    ) -> BoxFuture<'a, Result<Option<PartsPlan>, StageError>> {
        Box::pin(async { Ok(None) })
    }

    /// The details the record of a skipped run of the stage carries, from `earlier` (those of its
    /// last success, or of a run skipped since) and `inputs` as prepared. By default `earlier` as
    /// it is.
    fn skipped_details(
        &self,
        _project: &Project,
        earlier: serde_json::Value,
        _inputs: &Inputs,
    ) -> serde_json::Value {
        earlier
    }

    /// Datasets outside the lake the stage reads, for its lineage (drop files).
    fn external_inputs(
        &self,
        _cx: &StageContext<'_>,
        _inputs: &Inputs,
    ) -> Vec<crate::lineage::Dataset> {
        Vec::new()
    }
}
