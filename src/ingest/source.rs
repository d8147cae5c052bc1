//! Where a dataset's rows come from: each drop file opened in chunks, decoded and read into
//! batches of the contract's raw shape ([`Source`]), sent through a bounded channel into a
//! one-shot table that the validation plan reads ([`one_shot`]).

use super::shape::canonical_batch;
use super::{DropFile, IngestError, QuestionColumn};
use super::{header, read};
use crate::config::{Contract, Dataset};

use crate::layout;
use crate::store::Store;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::catalog::streaming::StreamingTable;
use datafusion::error::DataFusionError;
use datafusion::execution::TaskContext;
use datafusion::execution::memory_pool::MemoryConsumer;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion::prelude::{DataFrame, SessionContext};
use futures::StreamExt;
use std::sync::Arc;

pub(super) fn is_workbook(relative: &str) -> bool {
    relative.to_lowercase().ends_with(".xlsx")
}

/// The chunks of a drop file, with its size.
pub(super) async fn open(
    drops: &Store,
    year: i64,
    dataset: &Dataset,
    relative: &str,
    chunk_bytes: usize,
) -> Result<
    (
        u64,
        futures::stream::BoxStream<'static, Result<bytes::Bytes, crate::store::StoreError>>,
    ),
    IngestError,
> {
    drops
        .get_chunks(relative, chunk_bytes)
        .await?
        .ok_or_else(|| IngestError::Missing {
            dataset: dataset.name.clone(),
            dir: drops.display(&layout::drop_dir(year)),
            patterns: dataset.files.join(" or "),
        })
}

/// How a dataset's rows are read: where from, in what pieces, into what shape. It owns what it
/// reads (a few kilobytes), so that a pass reads on a task of its own.
#[derive(Clone)]
pub(super) struct Source {
    pub(super) contract: Contract,
    pub(super) dataset: Dataset,
    pub(super) year: i64,
    pub(super) questions: Vec<QuestionColumn>,
    pub(super) files: Vec<DropFile>,
    pub(super) drops: Store,
    pub(super) max_line_bytes: usize,
    pub(super) chunk_bytes: usize,
    pub(super) schema: Arc<Schema>,
}

/// Batches of rows in flight between the reading of a drop and its validation.
pub(super) const IN_FLIGHT: usize = 2;

type BatchSender = tokio::sync::mpsc::Sender<Result<RecordBatch, DataFusionError>>;
type BatchReceiver = tokio::sync::mpsc::Receiver<Result<RecordBatch, DataFusionError>>;

impl Source {
    /// [`Source::send_rows`] on a task of its own: the decoding of the files' text (the record
    /// scan, arrow's CSV decoder) runs on one core while the rows sent are validated, split and
    /// staged on the other, instead of taking turns with them in the caller's task.
    pub(super) async fn send_rows_apart(
        &self,
        ctx: &SessionContext,
        tx: BatchSender,
    ) -> Result<(), IngestError> {
        let source = self.clone();
        let ctx = ctx.clone();
        let task = tokio::spawn(async move { source.send_rows(&ctx, tx).await });
        match task.await {
            Ok(read) => read,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(IngestError::Engine {
                dataset: self.dataset.name.clone(),
                source: DataFusionError::ExecutionJoin(Box::new(e)),
            }),
        }
    }

    /// Reads every file in order and sends its rows (canonical raw schema) to `tx`, reserving
    /// the rows in flight in the session's memory pool. Stops quietly when the receiver is gone
    /// (its side reports why).
    async fn send_rows(&self, ctx: &SessionContext, tx: BatchSender) -> Result<(), IngestError> {
        let engine = |source| IngestError::Engine {
            dataset: self.dataset.name.clone(),
            source,
        };
        let what = format!("rows read of {}", self.dataset.name);
        let mut held = MemoryConsumer::new(what.clone()).register(&ctx.runtime_env().memory_pool);
        for (index, file) in self.files.iter().enumerate() {
            let display = self.drops.display(&file.relative);
            if let Some(problem) = &file.problem {
                return Err(problem.clone().into_error(display));
            }
            let (size, mut chunks) = open(
                &self.drops,
                self.year,
                &self.dataset,
                &file.relative,
                self.chunk_bytes,
            )
            .await?;
            let mut hasher = super::hash::Background::start();
            let mut rows = 0usize;
            let mut send =
                async |batch: RecordBatch, mapped: &[String]| -> Result<bool, IngestError> {
                    let batch = canonical_batch(&batch, mapped, &self.schema, index)
                        .map_err(|e| engine(e.into()))?;
                    rows += batch.num_rows();
                    crate::memory::resize(
                        &mut held,
                        &what,
                        crate::memory::batch_bytes(&batch) * (IN_FLIGHT + 1),
                    )
                    .map_err(engine)?;
                    Ok(tx.send(Ok(batch)).await.is_ok())
                };
            if is_workbook(&file.relative) {
                let mut bytes = Vec::with_capacity(size as usize);
                while let Some(chunk) = chunks.next().await {
                    let chunk = chunk?;
                    bytes.extend_from_slice(&chunk);
                    hasher.update(chunk).await;
                }
                let read_error = |source| IngestError::Read {
                    file: display.clone(),
                    source,
                };
                let raw = read::read_xlsx(&bytes).map_err(read_error)?;
                let mapped = self.map_header(&raw.header, &display)?;
                for batch in raw.batches {
                    if !send(batch, &mapped).await? {
                        return Ok(());
                    }
                }
            } else {
                let format = &self.contract.format;
                let mut reader = read::DelimitedReader::new(
                    format.delimiter,
                    format.encoding,
                    self.max_line_bytes,
                );
                let file_error = |e: read::FileError| match e {
                    read::FileError::Text(source) => IngestError::Text {
                        file: display.clone(),
                        source,
                    },
                    read::FileError::Read(source) => IngestError::Read {
                        file: display.clone(),
                        source,
                    },
                };
                let bar = crate::progress::Bar::bytes(size, "reading");
                let mut mapped: Option<Vec<String>> = None;
                let mut position = 0u64;
                let mut done = false;
                while !done {
                    match chunks.next().await {
                        Some(chunk) => {
                            let chunk = chunk?;
                            position += chunk.len() as u64;
                            bar.set_position(position);
                            reader.push(&chunk).map_err(file_error)?;
                            hasher.update(chunk).await;
                        }
                        None => {
                            reader.finish().map_err(file_error)?;
                            done = true;
                        }
                    }
                    if mapped.is_none() {
                        match reader.header() {
                            Some(header) => mapped = Some(self.map_header(header, &display)?),
                            None => continue,
                        }
                    }
                    let mapped = mapped.as_deref().unwrap_or_default();
                    while let Some(batch) = reader.next_batch().map_err(file_error)? {
                        if !send(batch, mapped).await? {
                            return Ok(());
                        }
                    }
                }
            }
            let sha256 = hasher.finish(&self.dataset.name).await?;
            if sha256 != file.sha256 {
                return Err(IngestError::Changed { file: display });
            }
            if rows == 0 {
                return Err(IngestError::NoRows { file: display });
            }
        }
        Ok(())
    }

    fn map_header(&self, header: &[String], display: &str) -> Result<Vec<String>, IngestError> {
        header::map_header(header, &self.contract, &self.questions).map_err(|problems| {
            IngestError::Header {
                file: display.to_string(),
                problems,
            }
        })
    }
}

/// A one-partition table over a stream that can be executed once: the rows of a drop as they are
/// read, planned like any table.
struct OneShot {
    schema: SchemaRef,
    rows: std::sync::Mutex<Option<BatchReceiver>>,
}

impl std::fmt::Debug for OneShot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneShot").finish_non_exhaustive()
    }
}

impl PartitionStream for OneShot {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let rows = self.rows.lock().ok().and_then(|mut r| r.take());
        let stream = match rows {
            Some(rx) => futures::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|batch| (batch, rx))
            })
            .boxed(),
            None => futures::stream::once(async {
                Err(DataFusionError::Internal(
                    "the rows of a drop were read twice".into(),
                ))
            })
            .boxed(),
        };
        Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), stream))
    }
}

/// The rows `rx` receives as a table that streams them (read once).
pub(super) fn one_shot(
    ctx: &SessionContext,
    schema: SchemaRef,
    rx: BatchReceiver,
) -> datafusion::error::Result<DataFrame> {
    let partition = OneShot {
        schema: schema.clone(),
        rows: std::sync::Mutex::new(Some(rx)),
    };
    let table = StreamingTable::try_new(schema, vec![Arc::new(partition)])?;
    ctx.read_table(Arc::new(table))
}
