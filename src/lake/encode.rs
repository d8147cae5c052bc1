//! Parquet encoding on every core. `AsyncArrowWriter` encodes all columns of a file on the one
//! thread that writes it: at national size the staging models' writes (6 M and 4.7 M rows) took
//! 2.1 s and 1.2 s of the transform's 8 – 9 s on one core while the other waited. Here the rows
//! are gathered into chunks of [`CHUNK_ROWS`], and the columns of a chunk are encoded by as many
//! threads as the machine has cores (columns dealt to threads by their size in memory, largest
//! first); each row group is written to the store when it closes.
//!
//! Guarantees: the file holds what `AsyncArrowWriter` with the same properties would write – the
//! same rows in the same order, the same row groups (at most `max_row_group_row_count` rows each,
//! cut at the same rows), the same encodings and statistics, the Arrow schema in its metadata –
//! so any reader reads it the same (test `lake::encode::tests`). Memory: one open row group's
//! encoded pages, as with `AsyncArrowWriter`, plus at most one chunk of rows.

use bytes::Bytes;
use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_writer::{ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves};
use parquet::arrow::async_writer::AsyncFileWriter;
use parquet::arrow::{ArrowSchemaConverter, add_encoded_arrow_schema_to_metadata};
use parquet::errors::{ParquetError, Result};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// One field's leaf column writers, by the field's index.
type FieldWork<'a> = (usize, Vec<&'a mut ArrowColumnWriter>);

/// Rows gathered before their columns are encoded side by side (a thread per core per chunk).
pub const CHUNK_ROWS: usize = 65_536;

/// The bytes the file writer has produced and not yet sent to the store.
#[derive(Clone, Default)]
struct Pending(Arc<Mutex<Vec<u8>>>);

impl Pending {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Write for Pending {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes one Parquet file to `out`, encoding columns on every core (see the module docs).
pub struct ParallelWriter<W: AsyncFileWriter> {
    out: W,
    pending: Pending,
    file: SerializedFileWriter<Pending>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    /// Per field, its number of leaf columns (a flat column has one), from the Parquet schema.
    leaves: Vec<usize>,
    /// The open row group's column writers, one per leaf column, in schema order.
    writers: Option<Vec<ArrowColumnWriter>>,
    row_group: usize,
    /// Rows already encoded into the open row group.
    in_group: usize,
    max_group: usize,
    /// Rows gathered and not yet encoded.
    chunk: Vec<RecordBatch>,
    chunk_rows: usize,
    /// Rows per chunk (a parameter for tests).
    per_chunk: usize,
    threads: usize,
    /// The column at whose changes a row group may end early ([`ParallelWriter::with_group_ends`]).
    group_ends: Option<usize>,
    /// The last row written's value of that column (one row).
    last_key: Option<ArrayRef>,
}

impl<W: AsyncFileWriter> ParallelWriter<W> {
    pub fn try_new(out: W, schema: SchemaRef, props: WriterProperties) -> Result<Self> {
        let mut props = props;
        add_encoded_arrow_schema_to_metadata(&schema, &mut props);
        let parquet_schema = ArrowSchemaConverter::new()
            .with_coerce_types(props.coerce_types())
            .convert(&schema)?;
        let max_group = props.max_row_group_row_count().unwrap_or(usize::MAX).max(1);
        let pending = Pending::default();
        let file = SerializedFileWriter::new(
            pending.clone(),
            parquet_schema.root_schema_ptr(),
            Arc::new(props),
        )?;
        let factory = ArrowRowGroupWriterFactory::new(&file, schema.clone());
        let descr = file.schema_descr();
        let mut leaves = vec![0; schema.fields().len()];
        for leaf in 0..descr.num_columns() {
            leaves[descr.get_column_root_idx(leaf)] += 1;
        }
        Ok(ParallelWriter {
            out,
            pending,
            file,
            factory,
            schema,
            leaves,
            writers: None,
            row_group: 0,
            in_group: 0,
            max_group,
            chunk: Vec::new(),
            chunk_rows: 0,
            per_chunk: CHUNK_ROWS,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            group_ends: None,
            last_key: None,
        })
    }

    /// Row groups also end at the first row whose value in the field `column` differs from the
    /// row before, once they hold at least half the maximum rows: every value of a column whose
    /// rows come in runs (the register's kommun, written kommun by kommun) then starts a row group
    /// or lies inside one, except runs longer than half a row group. A reader can tell from the
    /// row groups' statistics where the file splits into parts holding disjoint sets of values
    /// (`lake::parts`). Row groups stay at most the maximum rows; without this the file is what
    /// `AsyncArrowWriter` writes. A column index beyond the schema is an error (the file would
    /// otherwise be written without its cuts).
    pub fn with_group_ends(mut self, column: Option<usize>) -> Result<Self> {
        let fields = self.schema.fields().len();
        if let Some(c) = column.filter(|c| *c >= fields) {
            return Err(ParquetError::General(format!(
                "row groups are to end where column {c} changes, but the schema has {fields} columns"
            )));
        }
        self.group_ends = column;
        Ok(self)
    }

    /// Rows per chunk and encoding threads (tests).
    #[cfg(test)]
    fn with_chunks(mut self, rows: usize, threads: usize) -> Self {
        self.per_chunk = rows.max(1);
        self.threads = threads.max(1);
        self
    }

    /// Adds a batch; encodes a chunk when it is full and writes a row group when it is.
    pub async fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let mut rest = batch.clone();
        while rest.num_rows() > 0 {
            let room = self.max_group - self.in_group - self.chunk_rows;
            let mut take = room.min(rest.num_rows());
            let mut ends = false;
            if let Some(column) = self.group_ends {
                let held = self.in_group + self.chunk_rows;
                let from = (self.max_group / 2).max(1).saturating_sub(held);
                if let Some(change) = first_change(rest.column(column), &self.last_key, from, take)?
                {
                    take = change;
                    ends = true;
                }
                if take > 0 {
                    self.last_key = Some(rest.column(column).slice(take - 1, 1));
                }
            }
            if take > 0 {
                self.chunk.push(rest.slice(0, take));
            }
            self.chunk_rows += take;
            rest = rest.slice(take, rest.num_rows() - take);
            if ends || self.in_group + self.chunk_rows == self.max_group {
                self.encode_chunk()?;
                self.close_group().await?;
            } else if self.chunk_rows >= self.per_chunk {
                self.encode_chunk()?;
            }
        }
        Ok(())
    }

    /// Encodes what is left, writes the last row group and the footer, and completes the file.
    pub async fn close(self) -> Result<()> {
        self.finish().await.map(drop)
    }

    /// [`ParallelWriter::close`], returning the writer.
    pub async fn finish(mut self) -> Result<W> {
        self.encode_chunk()?;
        self.close_group().await?;
        self.file.finish()?;
        self.send().await?;
        self.out.complete().await?;
        Ok(self.out)
    }

    /// Encodes the gathered rows into the open row group, the columns dealt to the threads.
    fn encode_chunk(&mut self) -> Result<()> {
        if self.chunk_rows == 0 {
            return Ok(());
        }
        let writers = match &mut self.writers {
            Some(w) => w,
            None => self
                .writers
                .insert(self.factory.create_column_writers(self.row_group)?),
        };
        let chunk = std::mem::take(&mut self.chunk);
        let fields = self.schema.fields();
        // Each field's leaf writers (a flat column has one), in order.
        let mut slots: Vec<Option<&mut ArrowColumnWriter>> = writers.iter_mut().map(Some).collect();
        let mut next = 0;
        let mut jobs: Vec<(usize, usize, Vec<&mut ArrowColumnWriter>)> = Vec::new();
        for (f, &leaves) in self.leaves.iter().enumerate() {
            let mine: Vec<&mut ArrowColumnWriter> = slots[next..next + leaves]
                .iter_mut()
                .filter_map(Option::take)
                .collect();
            next += leaves;
            let size: usize = chunk
                .iter()
                .map(|b| b.column(f).get_array_memory_size())
                .sum();
            jobs.push((size, f, mine));
        }
        // Largest first, each to the least loaded thread.
        jobs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut bins: Vec<(usize, Vec<FieldWork>)> = (0..self.threads.min(jobs.len()).max(1))
            .map(|_| (0, Vec::new()))
            .collect();
        for (size, f, mine) in jobs {
            let bin = bins
                .iter_mut()
                .min_by_key(|(load, _)| *load)
                .expect("at least one thread");
            bin.0 += size;
            bin.1.push((f, mine));
        }
        let encode = |work: Vec<FieldWork>| -> Result<()> {
            for (f, mut mine) in work {
                for batch in &chunk {
                    let leaves = compute_leaves(&fields[f], batch.column(f))?;
                    for (writer, leaf) in mine.iter_mut().zip(leaves) {
                        writer.write(&leaf)?;
                    }
                }
            }
            Ok(())
        };
        let mut bins = bins.into_iter().map(|(_, work)| work);
        let here = bins.next().unwrap_or_default();
        std::thread::scope(|s| {
            let others: Vec<_> = bins.map(|work| s.spawn(|| encode(work))).collect();
            let mut result = encode(here);
            for handle in others {
                let joined = handle.join().unwrap_or_else(|_| {
                    Err(ParquetError::General("an encoding thread panicked".into()))
                });
                result = result.and(joined);
            }
            result
        })?;
        self.in_group += self.chunk_rows;
        self.chunk_rows = 0;
        Ok(())
    }

    /// Closes the open row group (if it has rows) and sends its bytes to the store.
    async fn close_group(&mut self) -> Result<()> {
        let Some(writers) = self.writers.take() else {
            return Ok(());
        };
        let mut group = self.file.next_row_group()?;
        for writer in writers {
            writer.close()?.append_to_row_group(&mut group)?;
        }
        group.close()?;
        self.row_group += 1;
        self.in_group = 0;
        self.send().await
    }

    async fn send(&mut self) -> Result<()> {
        let bytes = self.pending.take();
        if bytes.is_empty() {
            return Ok(());
        }
        self.out.write(Bytes::from(bytes)).await
    }
}

/// The first row `i` in `from..to` of `values` whose value differs from the row before (row 0's
/// from `last`, the previous batch's last row; none before the first batch).
fn first_change(
    values: &ArrayRef,
    last: &Option<ArrayRef>,
    from: usize,
    to: usize,
) -> Result<Option<usize>> {
    use datafusion::arrow::array::make_comparator;
    use datafusion::arrow::compute::SortOptions;
    let to = to.min(values.len());
    if from >= to {
        return Ok(None);
    }
    let error = |e: datafusion::arrow::error::ArrowError| ParquetError::General(e.to_string());
    if from == 0
        && let Some(last) = last
    {
        let cmp = make_comparator(last, values, SortOptions::default()).map_err(error)?;
        if cmp(0, 0).is_ne() {
            return Ok(Some(0));
        }
    }
    let cmp = make_comparator(values, values, SortOptions::default()).map_err(error)?;
    Ok((from.max(1)..to).find(|&i| cmp(i - 1, i).is_ne()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use parquet::arrow::AsyncArrowWriter;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::basic::Compression;

    fn batches() -> (SchemaRef, Vec<RecordBatch>) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("namn", DataType::Utf8, true),
            Field::new("belopp", DataType::Float64, true),
        ]));
        let batches = [700usize, 1, 1300, 0, 2500]
            .iter()
            .scan(0i64, |start, &n| {
                let ids: Vec<i64> = (*start..*start + n as i64).collect();
                *start += n as i64;
                let cols: Vec<ArrayRef> = vec![
                    Arc::new(Int64Array::from(ids.clone())),
                    Arc::new(StringArray::from_iter(
                        ids.iter()
                            .map(|i| (i % 7 != 0).then(|| format!("hushall-{}", i % 113))),
                    )),
                    Arc::new(Float64Array::from_iter(
                        ids.iter().map(|i| (i % 5 != 0).then_some(*i as f64 * 1.5)),
                    )),
                ];
                Some(RecordBatch::try_new(schema.clone(), cols).unwrap())
            })
            .collect();
        (schema, batches)
    }

    fn props() -> WriterProperties {
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(1000))
            .build()
    }

    /// Row groups of 1 000 rows over 4 501 rows in five uneven batches, chunks of 300 rows on
    /// three threads: the same row groups (1000, 1000, 1000, 1000, 501), the same rows and the
    /// same Arrow schema as `AsyncArrowWriter` writes, and the same bytes.
    #[tokio::test]
    async fn writes_what_the_single_threaded_writer_writes() {
        let (schema, batches) = batches();
        let mut single =
            AsyncArrowWriter::try_new(Vec::new(), schema.clone(), Some(props())).unwrap();
        for b in &batches {
            single.write(b).await.unwrap();
        }
        single.finish().await.unwrap();
        let single = Bytes::from(single.into_inner());

        let mut parallel = ParallelWriter::try_new(Vec::new(), schema.clone(), props())
            .unwrap()
            .with_chunks(300, 3);
        for b in &batches {
            parallel.write(b).await.unwrap();
        }
        let out: Vec<u8> = parallel.finish().await.unwrap();

        let read = |bytes: Bytes| {
            let reader = ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap();
            let groups: Vec<i64> = reader
                .metadata()
                .row_groups()
                .iter()
                .map(|g| g.num_rows())
                .collect();
            let schema = reader.schema().clone();
            let rows: Vec<RecordBatch> = reader.build().unwrap().map(Result::unwrap).collect();
            (groups, schema, rows)
        };
        let (g1, s1, r1) = read(single.clone());
        let (g2, s2, r2) = read(Bytes::from(out.clone()));
        assert_eq!(g2, vec![1000, 1000, 1000, 1000, 501]);
        assert_eq!(g1, g2);
        assert_eq!(s1, s2);
        assert_eq!(s2, schema);
        let all =
            |r: &[RecordBatch]| datafusion::arrow::compute::concat_batches(&schema, r).unwrap();
        assert_eq!(all(&r1), all(&r2));
        assert_eq!(single.as_ref(), out.as_slice());
    }
}

#[cfg(test)]
mod group_end_tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::basic::Compression;

    /// Rows of kommuner in runs: `runs` gives each kommun's rows, in order.
    fn runs(runs: &[(&str, usize)]) -> (SchemaRef, Vec<String>) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("kommun", DataType::Utf8, false),
            Field::new("rad", DataType::Int64, false),
        ]));
        let keys = runs
            .iter()
            .flat_map(|(k, n)| std::iter::repeat_n(k.to_string(), *n))
            .collect();
        (schema, keys)
    }

    /// The row groups' sizes of the file written from `keys` in batches of `batch` rows, row
    /// groups of at most 10 rows, ending at kommun changes.
    async fn groups(schema: SchemaRef, keys: &[String], batch: usize) -> Vec<i64> {
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(10))
            .build();
        let mut writer = ParallelWriter::try_new(Vec::new(), schema.clone(), props)
            .unwrap()
            .with_chunks(3, 2)
            .with_group_ends(Some(0))
            .unwrap();
        for (i, chunk) in keys.chunks(batch).enumerate() {
            let rows = RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(StringArray::from_iter_values(chunk.iter())),
                    Arc::new(Int64Array::from_iter_values(
                        (0..chunk.len()).map(|j| (i * batch + j) as i64),
                    )),
                ],
            )
            .unwrap();
            writer.write(&rows).await.unwrap();
        }
        let out: Vec<u8> = writer.finish().await.unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(out)).unwrap();
        let sizes = reader
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.num_rows())
            .collect();
        let rows: Vec<RecordBatch> = reader.build().unwrap().map(Result::unwrap).collect();
        let all = datafusion::arrow::compute::concat_batches(&schema, &rows).unwrap();
        let written = all
            .column(1)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .values()
            .to_vec();
        assert_eq!(written, (0..keys.len() as i64).collect::<Vec<_>>());
        sizes
    }

    /// Runs of 3, 4, 2, 12 and 1 rows (22), groups of at most 10 ending at a change once they
    /// hold 5: the first group takes 0114 and 0115 (7 rows: the change to 0115 comes at row 3,
    /// before 5 rows, the change to 0117 at row 7); 0117's 2 rows and 0120's first 8 fill the
    /// next to 10 (no change after row 5 of it before the limit); 0120's last 4 end at the
    /// change to 0125 (4 rows, below 5, so 0125 joins): the rows are kept in order, whatever the
    /// batch size.
    #[tokio::test]
    async fn row_groups_end_where_the_kommun_changes_once_half_full() {
        let (schema, keys) = runs(&[
            ("0114", 3),
            ("0115", 4),
            ("0117", 2),
            ("0120", 12),
            ("0125", 1),
        ]);
        for batch in [1, 4, 7, 22] {
            assert_eq!(
                groups(schema.clone(), &keys, batch).await,
                vec![7, 10, 5],
                "batch {batch}"
            );
        }
    }

    /// One kommun only: no change, so groups of the maximum 10 as without group ends.
    #[tokio::test]
    async fn a_single_run_keeps_full_row_groups() {
        let (schema, keys) = runs(&[("0180", 23)]);
        assert_eq!(groups(schema, &keys, 6).await, vec![10, 10, 3]);
    }

    /// A column index beyond the two-column schema is refused, naming the index and the width.
    #[test]
    fn group_ends_beyond_the_schema_are_an_error() {
        let (schema, _) = runs(&[("0180", 1)]);
        let writer = ParallelWriter::try_new(Vec::new(), schema, WriterProperties::default())
            .unwrap()
            .with_group_ends(Some(2));
        let message = writer.err().expect("column 2 of 2 is refused").to_string();
        assert!(
            message.contains("column 2 changes, but the schema has 2 columns"),
            "{message}"
        );
    }
}
