//! The ingest stage: each drop file of a dataset is found in the year's drop folder and
//! fingerprinted ([`fingerprint_drop`]: SHA-256 and the checks of its text, read in chunks), then
//! read again in chunks of `ingest.read_chunk_bytes` – decoded as its contract says, read as text
//! by arrow's incremental CSV decoder ([`read::DelimitedReader`]; calamine reads an xlsx survey
//! whole) – and its rows stream through validation in DataFusion ([`validate`]) into one Parquet
//! file through the stage's transaction ([`crate::commit::Txn`]): run-scoped first, committed to
//! `<lake>/staging/<dataset>/ar=<Y>/` only after the ingest gate passed. Memory holds a few
//! batches of rows and one chunk per file, never the file; unique keys are checked by a streamed
//! aggregation beside the rows (`unique`). Rejected rows go to `<lake>/rejects/<dataset>/ar=<Y>/`
//! with file, line, broken rules, reason and the raw line (the record's text travels with its row);
//! the stage fails when rejects exceed the contract's tolerance, and then leaves the previous
//! staged data untouched.
//!
//! (About 530 lines: the driver [`ingest_dataset`] and its streamed `pass` share the pass's state
//! and are read together; the row source, reader, verdicts and unique keys are their own files.)

pub mod decode;
mod error;
mod hash;
pub mod header;
pub mod lines;
pub mod read;
mod shape;
mod source;
mod trim;
mod unique;
pub mod validate;
mod verdict;
mod xlsx;

pub use error::IngestError;
pub(crate) use shape::staged_schema;
use shape::{raw_schema, staged_columns, staged_frame};
use source::{IN_FLIGHT, Source, is_workbook, one_shot, open};
use verdict::{META_COLUMNS, reject_rows, split_verdict};

use crate::commit::Txn;
use crate::config::{Contract, Dataset, Project};

use crate::lake;
use crate::layout;
use crate::store::Store;
use datafusion::arrow::array::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::ident;
use datafusion::prelude::SessionContext;
use futures::StreamExt;
pub use header::QuestionColumn;
use std::collections::BTreeMap;
use std::sync::Arc;
use unique::{Duplicates, FindBy};

/// A drop file that was read, with its fingerprint.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputFile {
    /// Path relative to the drops root, e.g. `2017/register.tsv`.
    pub relative: String,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// The file's stat when its SHA-256 was taken, if it had not changed for [`STABLE_SECONDS`]
    /// before ([`DropFile::stat`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stat: Option<String>,
}

impl From<&DropFile> for InputFile {
    fn from(f: &DropFile) -> InputFile {
        InputFile {
            relative: f.relative.clone(),
            sha256: f.sha256.clone(),
            bytes: f.bytes,
            stat: f.stat.clone(),
        }
    }
}

/// How long a drop file must have been unmodified when it is hashed for its hash to be recorded
/// with its [`DropFile::stat`]: a file written while (or just before) it was read could change
/// again within the same modification time.
pub const STABLE_SECONDS: i64 = 2;

/// The SHA-256 of drop files recorded by an earlier run, by path relative to the drops root:
/// (stat, SHA-256). A file whose stat is the recorded one is not read again to be fingerprinted.
pub type RecordedHashes = std::collections::HashMap<String, (String, String)>;

/// What ingesting one dataset did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IngestOutcome {
    pub dataset: String,
    pub files: Vec<InputFile>,
    pub(crate) rows_read: u64,
    pub(crate) rows_staged: u64,
    pub rows_rejected: u64,
    pub(crate) tolerance_percent: f64,
    /// The first rejects as `file:line: reason`.
    pub first_rejects: Vec<String>,
}

/// The files of `dataset` in the year's drop folder: the first pattern with any match wins.
pub async fn find_files(
    drops: &Store,
    year: i64,
    dataset: &Dataset,
) -> Result<Vec<String>, IngestError> {
    let dir = layout::drop_dir(year);
    let listed = drops.list(&dir).await?;
    let names: Vec<&str> = listed
        .iter()
        .filter_map(|p| p.strip_prefix(&format!("{dir}/")))
        .filter(|n| !n.contains('/'))
        .collect();
    for pattern in &dataset.files {
        let Ok(glob) = glob::Pattern::new(pattern) else {
            continue;
        };
        let mut matched: Vec<String> = names
            .iter()
            .filter(|n| glob.matches(n))
            .map(|n| layout::drop_file(year, n))
            .collect();
        if !matched.is_empty() {
            matched.sort();
            return Ok(matched);
        }
    }
    Err(IngestError::Missing {
        dataset: dataset.name.clone(),
        dir: drops.display(&dir),
        patterns: dataset.files.join(" or "),
    })
}

/// A drop file found and fingerprinted (read once, in chunks, never whole), with what that first
/// read found wrong with its text.
#[derive(Debug, Clone)]
pub struct DropFile {
    /// Path relative to the drops root.
    pub relative: String,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// The first structural problem of the file's text (a line above `ingest.max_line_bytes`, an
    /// undecodable byte, an empty file, a blank line), reported when the file is ingested.
    pub problem: Option<read::TextProblem>,
    /// The file's stat as hashed: size, modification time, ETag, the settings of the text checks
    /// and, on a local disk, the inode's change time (`None` when it was modified less than
    /// [`STABLE_SECONDS`] before, or its text has a problem). A later run that finds the same stat
    /// takes the SHA-256 from the run record instead of reading the file.
    pub stat: Option<String>,
    /// Where its SHA-256 came from: the run record, or a read of the file (and why it was read).
    pub hashed: Hashed,
}

/// Where a drop file's SHA-256 came from ([`fingerprint_drop`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hashed {
    /// From the record of the stage's last successful run: the file's stat is the recorded one.
    Recorded,
    /// The file was read: the record given has no stat of it (no earlier run of the year, or
    /// `--force`, or a failed last attempt, or a file new to the drop).
    NotRecorded,
    /// The file was read: its stat is not the recorded one.
    Changed,
    /// The file was read: it was modified less than [`STABLE_SECONDS`] before, so its stat is not
    /// compared with the record (it could change again within the same modification time).
    JustModified,
}

impl Hashed {
    /// Why the file was read, for a progress line; `None` when it was not read.
    pub fn why_read(self) -> Option<&'static str> {
        match self {
            Hashed::Recorded => None,
            Hashed::NotRecorded => Some("not in the record"),
            Hashed::Changed => Some("changed"),
            Hashed::JustModified => Some("modified just now"),
        }
    }
}

/// The time of the last change of a local file's inode (its content or its metadata, the
/// modification time included: unlike that time, no tool can set it back), as text; empty for
/// other stores.
fn status_change(drops: &Store, relative: &str) -> String {
    #[cfg(unix)]
    if let Some(meta) = drops
        .local_file(relative)
        .and_then(|p| std::fs::metadata(p).ok())
    {
        use std::os::unix::fs::MetadataExt;
        return format!(", status changed {}.{:09}", meta.ctime(), meta.ctime_nsec());
    }
    let _ = (drops, relative);
    String::new()
}

/// The size, modification time and ETag of an object, and how its text is checked (`checks`),
/// as one text.
fn stat_of(meta: &object_store::ObjectMeta, checks: &str) -> String {
    format!(
        "{} bytes, modified {}, etag {}{checks}",
        meta.size,
        meta.last_modified
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        meta.e_tag.as_deref().unwrap_or("none")
    )
}

/// Fingerprints every file of `dataset` for `year` (see [`find_files`]), reading each in chunks
/// of `chunk_bytes`: its SHA-256 and, for delimited text, the checks of its text that come before
/// any row is read ([`read::TextCheck`]). A file whose stat (size, modification time, ETag and
/// the settings of those checks) is the one `recorded` with its SHA-256 by an earlier run is not
/// read: that SHA-256 is taken, and its text passed the same checks then.
pub async fn fingerprint_drop(
    drops: &Store,
    year: i64,
    dataset: &Dataset,
    contract: &Contract,
    max_line_bytes: usize,
    chunk_bytes: usize,
    recorded: &RecordedHashes,
) -> Result<Vec<DropFile>, IngestError> {
    let mut out = Vec::new();
    for relative in find_files(drops, year, dataset).await? {
        let checks = if is_workbook(&relative) {
            String::new()
        } else {
            format!(
                ", text checked as {:?} {:?} lines up to {max_line_bytes} bytes",
                contract.format.delimiter, contract.format.encoding
            )
        };
        let changed = status_change(drops, &relative);
        let stat = drops.head(&relative).await?.map(|meta| {
            let age = chrono::Utc::now() - meta.last_modified;
            let stable = age.num_seconds() >= STABLE_SECONDS;
            (stat_of(&meta, &checks) + &changed, meta.size, stable)
        });
        let hashed = match (&stat, recorded.get(&relative)) {
            (_, None) => Hashed::NotRecorded,
            (Some((_, _, false)), Some(_)) => Hashed::JustModified,
            (Some((stat, size, true)), Some((was, sha256))) if was == stat => {
                out.push(DropFile {
                    relative,
                    sha256: sha256.clone(),
                    bytes: *size,
                    problem: None,
                    stat: Some(stat.clone()),
                    hashed: Hashed::Recorded,
                });
                continue;
            }
            _ => Hashed::Changed,
        };
        let (size, mut chunks) = open(drops, year, dataset, &relative, chunk_bytes).await?;
        let mut hasher = hash::Background::start();
        let mut check = (!is_workbook(&relative)).then(|| {
            read::TextCheck::new(
                contract.format.delimiter,
                contract.format.encoding,
                max_line_bytes,
            )
        });
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk?;
            hasher.update(chunk.clone()).await;
            if let Some(check) = check.as_mut() {
                check.push(&chunk);
            }
        }
        let problem = check.and_then(read::TextCheck::finish);
        let sha256 = hasher.finish(&dataset.name).await?;
        // The stat is recorded only when it was taken before the file was read, the file was
        // already stable then, and the read saw the size the stat says.
        let stat = match stat {
            Some((stat, was, true)) if was == size && problem.is_none() => Some(stat),
            _ => None,
        };
        out.push(DropFile {
            relative,
            sha256,
            bytes: size,
            problem,
            stat,
            hashed,
        });
    }
    Ok(out)
}

/// What a pass over a drop does with the unique keys.
#[derive(Clone, Copy)]
enum Keys<'a> {
    /// Looks for duplicated keys ([`unique::find`]).
    Find(FindBy),
    /// Rejects the later occurrences of the duplicated keys found.
    Mark(&'a Duplicates),
}

/// What one pass over a drop found.
#[derive(Default)]
struct Pass {
    total: u64,
    rows_staged: u64,
    rejected: Vec<RecordBatch>,
    /// The survey's valid rows (kept to be unpivoted).
    valid: Vec<RecordBatch>,
    /// The duplicated keys of each unique key (first pass only).
    duplicates: Vec<Vec<RecordBatch>>,
}

/// Ingests one dataset of one year from its drop files (fingerprinted by [`fingerprint_drop`]):
/// the files are read in chunks of `ingest.read_chunk_bytes`, their rows validated and staged as
/// they arrive, so memory holds a few batches of rows, not the drop.
#[allow(clippy::too_many_arguments)]
pub async fn ingest_dataset(
    ctx: &SessionContext,
    project: &Project,
    dataset: &Dataset,
    year: i64,
    files: &[DropFile],
    drops: &Store,
    txn: &Txn<'_>,
    questions: &[QuestionColumn],
) -> Result<IngestOutcome, IngestError> {
    let lake = txn.lake();
    let contract = project.contract_of(dataset);
    let engine = |source| IngestError::Engine {
        dataset: dataset.name.clone(),
        source,
    };
    let questions: &[QuestionColumn] = if contract.question_columns {
        questions
    } else {
        &[]
    };
    let inputs: Vec<InputFile> = files.iter().map(InputFile::from).collect();
    let file_names: Vec<String> = files.iter().map(|f| drops.display(&f.relative)).collect();

    // The datasets this one refers to; a missing one is reported after the files are read (their
    // own errors come first).
    let mut references = BTreeMap::new();
    let mut not_staged = None;
    for target in referenced_datasets(contract) {
        // A dataset ingested earlier in this stage is read where this run wrote it.
        let rel = txn
            .view()
            .file(&layout::staging_file(&target, year))
            .unwrap_or_default();
        if rel.is_empty() || lake.head(&rel).await?.is_none() {
            not_staged.get_or_insert(target);
            continue;
        }
        references.insert(target, lake::read_files(ctx, lake, &[rel]).await?);
    }

    let source = Source {
        contract: contract.clone(),
        dataset: dataset.clone(),
        year,
        questions: questions.to_vec(),
        files: files.to_vec(),
        drops: drops.clone(),
        max_line_bytes: project.pipeline.params.ingest.max_line_bytes as usize,
        chunk_bytes: project.pipeline.params.ingest.read_chunk_bytes as usize,
        schema: raw_schema(contract, questions),
    };
    let validation = validate::Validation {
        contract,
        year,
        questions,
        references: &references,
    };
    let staged_rel = txn.target(&layout::staging_file(&dataset.name, year));
    let started = std::time::Instant::now();
    let mut first = pass(
        ctx,
        &source,
        &validation,
        not_staged.is_some(),
        &staged_rel,
        lake,
        Keys::Find(FindBy::Hash),
    )
    .await?;
    if let Some(target) = not_staged {
        return Err(IngestError::ReferenceNotStaged {
            dataset: dataset.name.clone(),
            target,
            year,
        });
    }
    tracing::debug!(dataset = %dataset.name, seconds = started.elapsed().as_secs_f64(), "read, validated and staged");
    // A pass after the first: the rows are validated and staged again.
    let again = async |keys: Keys<'_>| {
        pass(ctx, &source, &validation, false, &staged_rel, lake, keys).await
    };
    if first.duplicates.iter().flatten().any(|b| b.num_rows() > 0) {
        // A hash of a key appeared twice: the pass again, grouping on the keys themselves.
        first = again(Keys::Find(FindBy::Key)).await?;
        tracing::debug!(dataset = %dataset.name, seconds = started.elapsed().as_secs_f64(), "keys grouped");
    }
    let found = std::mem::take(&mut first.duplicates);
    let duplicates = Duplicates::new(contract, found, &file_names).map_err(engine)?;
    let done = match duplicates {
        // A duplicated key: read the drop again, rejecting every later occurrence as it passes.
        Some(duplicates) => {
            let second = again(Keys::Mark(&duplicates)).await?;
            tracing::debug!(dataset = %dataset.name, seconds = started.elapsed().as_secs_f64(), "duplicates rejected");
            second
        }
        None => first,
    };
    let total = done.total;

    let reject_batches = if done.rejected.is_empty() {
        Vec::new()
    } else {
        ctx.read_batches(done.rejected)
            .map_err(engine)?
            .sort(vec![
                ident(validate::FILE_COLUMN).sort(true, false),
                ident(read::LINE_COLUMN).sort(true, false),
            ])
            .map_err(engine)?
            .collect()
            .await
            .map_err(engine)?
    };
    let (rejects, examples) =
        reject_rows(&reject_batches, &file_names).map_err(|e| engine(e.into()))?;
    let rejected = rejects.num_rows() as u64;
    let rejects_rel = layout::rejects_file(&dataset.name, year);
    lake::write_batches(lake, &rejects_rel, rejects.schema(), &[rejects]).await?;

    let tolerance = contract
        .reject_tolerance_percent
        .unwrap_or(project.pipeline.params.ingest.reject_tolerance_percent);
    let percent = if total == 0 {
        0.0
    } else {
        rejected as f64 * 100.0 / total as f64
    };
    if rejected > 0 && percent > tolerance {
        return Err(IngestError::TooManyRejects {
            dataset: dataset.name.clone(),
            rejected,
            total,
            percent,
            tolerance,
            rejects: lake.display(&rejects_rel),
            examples,
        });
    }
    let mut rows_staged = done.rows_staged;
    if contract.question_columns {
        let valid = ctx.read_batches(done.valid).map_err(engine)?;
        let staged = staged_frame(valid, contract, questions, year).map_err(engine)?;
        rows_staged = lake::write_dataframe(lake, &staged_rel, staged).await?;
    }
    Ok(IngestOutcome {
        dataset: dataset.name.clone(),
        files: inputs,
        rows_read: total,
        rows_staged,
        rows_rejected: rejected,
        tolerance_percent: tolerance,
        first_rejects: examples,
    })
}

/// One pass over a drop: its files are read on a task of their own ([`Source::send_rows_apart`])
/// while the rows are validated (one DataFusion plan over the stream of rows), each checked batch
/// is split by its verdict – valid rows to the staged file as they come (the survey's kept, to be
/// unpivoted), rejected rows kept for the rejects file – and, in the first pass, each unique key's
/// columns stream into the aggregation that finds duplicates ([`unique::find`], as `keys` says).
/// With [`Keys::Mark`] (the last pass), the later occurrences of a duplicated key are rejected.
/// `read_only`: the rows are read (for their errors) and not validated (a referenced dataset is
/// missing).
#[allow(clippy::too_many_arguments)]
async fn pass(
    ctx: &SessionContext,
    source: &Source,
    validation: &validate::Validation<'_>,
    read_only: bool,
    staged_rel: &str,
    lake: &Store,
    keys: Keys<'_>,
) -> Result<Pass, IngestError> {
    let (duplicates, find_by) = match keys {
        Keys::Find(by) => (None, by),
        Keys::Mark(d) => (Some(d), FindBy::Key),
    };
    let contract = &source.contract;
    let name = &source.dataset.name;
    let engine = |e: DataFusionError| IngestError::Engine {
        dataset: name.clone(),
        source: e,
    };
    let (rows_tx, rows_rx) = tokio::sync::mpsc::channel(IN_FLIGHT);
    let read = source.send_rows_apart(ctx, rows_tx);
    if read_only {
        let mut rows_rx = rows_rx;
        let drain = async move { while rows_rx.recv().await.is_some() {} };
        let (read, ()) = futures::join!(read, drain);
        read?;
        return Ok(Pass::default());
    }
    let work = async {
        let unpivot = contract.question_columns;
        // A contract that refers to itself (a region's parent is a region) needs the whole drop
        // as its key set: its rows (a reference table, small) are collected first.
        let self_referencing = contract
            .columns
            .iter()
            .filter_map(|c| c.references.as_ref())
            .map(|r| &r.dataset)
            .chain(contract.expr_references.iter().map(|r| &r.target.dataset))
            .any(|d| *d == contract.id);
        let (raw, _held) = if self_referencing {
            let mut rows_rx = rows_rx;
            let mut batches = Vec::new();
            while let Some(batch) = rows_rx.recv().await {
                batches.push(batch.map_err(engine)?);
            }
            let held = crate::memory::reserve(ctx, &format!("rows read of {name}"), &batches)
                .map_err(engine)?;
            (ctx.read_batches(batches).map_err(engine)?, Some(held))
        } else {
            (
                one_shot(ctx, source.schema.clone(), rows_rx).map_err(engine)?,
                None,
            )
        };
        let checked = validate::check(ctx, raw, validation)
            .await
            .map_err(engine)?;
        let streamed = if unpivot {
            checked
        } else {
            let mut select = staged_columns(contract, source.year);
            select.extend(META_COLUMNS.iter().map(|c| ident(*c)));
            checked.select(select).map_err(engine)?
        };
        let arrow_schema = streamed.schema().as_arrow().clone();
        let staged_columns = arrow_schema.fields().len() - META_COLUMNS.len();
        let staged_schema = Arc::new(
            arrow_schema
                .project(&(0..staged_columns).collect::<Vec<_>>())
                .map_err(|e| engine(e.into()))?,
        );
        // The first pass feeds each unique key's columns to the aggregation of duplicates.
        let uniques = if duplicates.is_none() {
            contract.uniques.len()
        } else {
            0
        };
        let mut key_txs = Vec::new();
        let mut finds = Vec::new();
        for i in 0..uniques {
            let indices: Vec<usize> = unique::key_columns(contract, i)
                .iter()
                .map(|c| arrow_schema.index_of(c))
                .collect::<Result<_, _>>()
                .map_err(|e| engine(e.into()))?;
            let key_schema = Arc::new(
                arrow_schema
                    .project(&indices)
                    .map_err(|e| engine(e.into()))?,
            );
            let (tx, rx) = tokio::sync::mpsc::channel(IN_FLIGHT);
            key_txs.push(tx);
            let rows = one_shot(ctx, key_schema, rx).map_err(engine)?;
            finds.push(unique::find(rows, &contract.uniques[i].columns, find_by));
        }
        let mut stream = streamed.execute_stream().await.map_err(engine)?;
        let (valid_tx, mut valid_rx) = tokio::sync::mpsc::channel(IN_FLIGHT);

        // Each checked batch: duplicates marked (second pass), keys fed (first pass), split.
        let split = async move {
            let mut total = 0u64;
            let mut rejected = Vec::new();
            'batches: while let Some(batch) = stream.next().await {
                let batch = batch.map_err(engine)?;
                let batch = match duplicates {
                    Some(d) => d.mark(batch).map_err(engine)?,
                    None => batch,
                };
                total += batch.num_rows() as u64;
                for (i, tx) in key_txs.iter().enumerate() {
                    let keys =
                        unique::key_batch(&batch, contract, i).map_err(|e| engine(e.into()))?;
                    if tx.send(Ok(keys)).await.is_err() {
                        // The aggregation stopped; it reports why.
                        break 'batches;
                    }
                }
                let (valid, rejects) = split_verdict(&batch, staged_columns).map_err(engine)?;
                if rejects.num_rows() > 0 {
                    rejected.push(rejects);
                }
                if valid_tx
                    .send(Ok::<_, DataFusionError>(valid))
                    .await
                    .is_err()
                {
                    // The writer stopped; it reports why.
                    break;
                }
            }
            Ok::<_, IngestError>((total, rejected))
        };
        let write = async {
            if unpivot {
                let mut valid = Vec::new();
                while let Some(batch) = valid_rx.recv().await {
                    valid.push(batch.map_err(engine)?);
                }
                return Ok::<_, IngestError>((0, valid));
            }
            let batches = futures::stream::unfold(valid_rx, |mut rx| async move {
                rx.recv().await.map(|batch| (batch, rx))
            });
            // Row groups end where the contract's partitioned column changes value.
            let rows = lake::write_stream_grouped(
                lake,
                staged_rel,
                staged_schema,
                Box::pin(batches),
                contract.partitioned_column(),
            )
            .await?;
            Ok((rows, Vec::new()))
        };
        let (split, written, found) =
            futures::join!(split, write, futures::future::join_all(finds));
        let (rows_staged, valid) = written?;
        let duplicates = found
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(engine)?;
        let (total, rejected) = split?;
        Ok::<_, IngestError>(Pass {
            total,
            rows_staged,
            rejected,
            valid,
            duplicates,
        })
    };
    let (read, work) = futures::join!(read, work);
    read?;
    work
}

/// The datasets `contract` refers to (its columns' references and its expression references),
/// other than itself, sorted.
pub(crate) fn referenced_datasets(contract: &Contract) -> Vec<String> {
    let mut out: Vec<String> = contract
        .columns
        .iter()
        .filter_map(|c| c.references.as_ref().map(|r| r.dataset.clone()))
        .chain(
            contract
                .expr_references
                .iter()
                .map(|r| r.target.dataset.clone()),
        )
        .filter(|d| *d != contract.id)
        .collect();
    out.sort();
    out.dedup();
    out
}
