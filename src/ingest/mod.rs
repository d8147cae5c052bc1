//! The ingest stage: each drop file of a dataset is found in the year's drop folder, decoded as its
//! contract says, read as text with arrow's CSV reader (or calamine for an xlsx survey), typed and
//! validated row by row in DataFusion ([`validate`]), and streamed – one pass, the checked rows are
//! never all in memory – into one Parquet file through the stage's transaction
//! ([`crate::commit::Txn`]): run-scoped first, committed to
//! `<lake>/staging/<dataset>/ar=<Y>/` only after the ingest gate passed. Rejected rows go to
//! `<lake>/rejects/<dataset>/ar=<Y>/` with file, line, broken rules, reason and the raw line; the
//! stage fails when rejects exceed the contract's tolerance, and then leaves the previous staged
//! data untouched.

pub mod decode;
mod error;
pub mod header;
pub mod lines;
pub mod read;
mod shape;
pub mod validate;
mod verdict;

pub use error::IngestError;
pub(crate) use shape::staged_schema;
use shape::{canonical_batch, raw_schema, staged_columns, staged_frame};
use verdict::{META_COLUMNS, reject_rows, split_verdict};

use crate::commit::Txn;
use crate::config::{Contract, Dataset, Project};

use crate::lake;
use crate::layout;
use crate::store::Store;
use datafusion::arrow::array::RecordBatch;
use datafusion::logical_expr::ident;
use datafusion::prelude::SessionContext;
use futures::StreamExt;
pub use header::QuestionColumn;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A drop file that was read, with its fingerprint.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputFile {
    /// Path relative to the drops root, e.g. `2017/register.tsv`.
    pub relative: String,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

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

/// A drop file read into memory, with its fingerprint.
#[derive(Debug, Clone)]
pub struct DropFile {
    /// Path relative to the drops root.
    pub relative: String,
    /// The whole file.
    pub bytes: bytes::Bytes,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
}

/// Reads every file of `dataset` for `year` (see [`find_files`]) and fingerprints it.
pub async fn load_drop(
    drops: &Store,
    year: i64,
    dataset: &Dataset,
) -> Result<Vec<DropFile>, IngestError> {
    let mut out = Vec::new();
    for relative in find_files(drops, year, dataset).await? {
        let bytes = drops
            .get(&relative)
            .await?
            .ok_or_else(|| IngestError::Missing {
                dataset: dataset.name.clone(),
                dir: drops.display(&layout::drop_dir(year)),
                patterns: dataset.files.join(" or "),
            })?;
        let sha256 = format!("{:x}", Sha256::digest(&bytes));
        out.push(DropFile {
            relative,
            bytes,
            sha256,
        });
    }
    Ok(out)
}

/// Ingests one dataset of one year from its loaded drop files.
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

    let started = std::time::Instant::now();
    let mut inputs = Vec::new();
    let mut texts: Vec<Option<std::borrow::Cow<str>>> = Vec::new();
    let mut records: Vec<Vec<lines::Record>> = Vec::new();
    let max_line_bytes = project.pipeline.params.ingest.max_line_bytes as usize;
    let mut batches = Vec::new();
    let schema = raw_schema(contract, questions);
    for (index, file) in files.iter().enumerate() {
        let relative = &file.relative;
        let display = drops.display(relative);
        let bytes = &file.bytes;
        inputs.push(InputFile {
            relative: relative.clone(),
            sha256: file.sha256.clone(),
            bytes: bytes.len() as u64,
        });
        let (mut rows, text) = if relative.to_lowercase().ends_with(".xlsx") {
            let rows = read::read_xlsx(bytes).map_err(|source| IngestError::Read {
                file: display.clone(),
                source,
            })?;
            (rows, None)
        } else {
            // Bounded before the text is decoded (a copy) or parsed: a huge line is an error
            // naming its line, not an allocation of its size.
            let too_long = |e: lines::TooLong| IngestError::Read {
                file: display.clone(),
                source: e.into(),
            };
            let found = lines::records(bytes, contract.format.delimiter, max_line_bytes)
                .map_err(too_long)?;
            let text = decode::decode(bytes, contract.format.encoding).map_err(|source| {
                IngestError::Text {
                    file: display.clone(),
                    source,
                }
            })?;
            // UTF-8 text is the bytes themselves: their records are the text's. A decoded copy
            // (or text after a byte-order mark) is scanned again.
            let found = if std::ptr::eq(text.as_bytes(), &bytes[..]) {
                found
            } else {
                lines::records(text.as_bytes(), contract.format.delimiter, max_line_bytes)
                    .map_err(too_long)?
            };
            let header = read::read_header(&text, contract.format.delimiter).map_err(|source| {
                IngestError::Read {
                    file: display.clone(),
                    source,
                }
            })?;
            header::map_header(&header, contract, questions).map_err(|problems| {
                IngestError::Header {
                    file: display.clone(),
                    problems,
                }
            })?;
            let rows = read::read_delimited(&text, contract.format.delimiter, found).map_err(
                |source| IngestError::Read {
                    file: display.clone(),
                    source,
                },
            )?;
            (rows, Some(text))
        };
        let mapped = header::map_header(&rows.header, contract, questions).map_err(|problems| {
            IngestError::Header {
                file: display.clone(),
                problems,
            }
        })?;
        if rows.batches.iter().all(|b| b.num_rows() == 0) {
            return Err(IngestError::NoRows { file: display });
        }
        records.push(std::mem::take(&mut rows.records));
        for batch in rows.batches {
            batches.push(
                canonical_batch(&batch, &mapped, &schema, index).map_err(|e| engine(e.into()))?,
            );
        }
        texts.push(text);
    }

    let mut references = BTreeMap::new();
    for target in referenced_datasets(contract) {
        // A dataset ingested earlier in this stage is read where this run wrote it.
        let rel = txn
            .view()
            .file(&layout::staging_file(&target, year))
            .unwrap_or_default();
        if rel.is_empty() || lake.head(&rel).await?.is_none() {
            return Err(IngestError::ReferenceNotStaged {
                dataset: dataset.name.clone(),
                target,
                year,
            });
        }
        references.insert(target, lake::read_files(ctx, lake, &[rel]).await?);
    }

    tracing::debug!(dataset = %dataset.name, seconds = started.elapsed().as_secs_f64(), "decoded and read");
    let file_names: Vec<String> = files.iter().map(|f| drops.display(&f.relative)).collect();
    // The rows read (as text) stay in memory until validation has passed over them, counted
    // against the session's memory limit.
    let _read_rows =
        crate::memory::reserve(ctx, &format!("rows read of {}", dataset.name), &batches)
            .map_err(engine)?;
    let raw = ctx.read_batches(batches).map_err(engine)?;
    let validation = validate::Validation {
        contract,
        year,
        questions,
        references: &references,
        file_names: &file_names,
    };
    let checked = validate::check(ctx, raw, &validation)
        .await
        .map_err(engine)?;
    // One pass over the checked rows: valid rows go to the staged file as they come (the survey's
    // are unpivoted first, so they are kept: a few thousand rows), rejected rows keep only where
    // they came from and what they broke, for the rejects file.
    let unpivot = contract.question_columns;
    let streamed = if unpivot {
        checked
    } else {
        let mut select = staged_columns(contract, year);
        select.extend(META_COLUMNS.iter().map(|c| ident(*c)));
        checked.select(select).map_err(engine)?
    };
    let staged_columns = streamed.schema().fields().len() - META_COLUMNS.len();
    let staged_schema = Arc::new(
        streamed
            .schema()
            .as_arrow()
            .project(&(0..staged_columns).collect::<Vec<_>>())
            .map_err(|e| engine(e.into()))?,
    );
    let mut total = 0u64;
    let mut rejected_parts: Vec<RecordBatch> = Vec::new();
    let mut valid_parts: Vec<RecordBatch> = Vec::new();
    let staged_rel = txn.target(&layout::staging_file(&dataset.name, year));
    let stream = streamed.execute_stream().await.map_err(engine)?;
    let split = stream.map(|batch| {
        let batch = batch?;
        total += batch.num_rows() as u64;
        let (valid, rejected) = split_verdict(&batch, staged_columns)?;
        if rejected.num_rows() > 0 {
            rejected_parts.push(rejected);
        }
        Ok(valid)
    });
    let mut rows_staged = if unpivot {
        let mut split = split;
        while let Some(valid) = split.next().await {
            valid_parts.push(valid.map_err(engine)?);
        }
        0
    } else {
        lake::write_stream(lake, &staged_rel, staged_schema, split).await?
    };
    tracing::debug!(dataset = %dataset.name, seconds = started.elapsed().as_secs_f64(), "validated and staged");

    let reject_batches = if rejected_parts.is_empty() {
        Vec::new()
    } else {
        ctx.read_batches(rejected_parts)
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
    let (rejects, examples) = reject_rows(&reject_batches, &file_names, &texts, &records)
        .map_err(|e| engine(e.into()))?;
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
    if unpivot {
        let valid = ctx.read_batches(valid_parts).map_err(engine)?;
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

fn referenced_datasets(contract: &Contract) -> Vec<String> {
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
