//! Reading and writing lake datasets: one Parquet file per dataset and year
//! ([`crate::layout`]), written from a DataFrame's stream with a single atomic put, so a crash
//! mid-write never leaves a half-written dataset that a later stage reads. The columns are
//! encoded on every core (module `encode`); the file is the one `AsyncArrowWriter` would write.

mod encode;
mod parts;

use self::encode::ParallelWriter;
use crate::memory;
use crate::store::{Store, StoreError};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use futures::StreamExt;
use object_store::buffered::BufWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

/// A lake read or write that failed.
#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    /// The engine failed while producing or reading rows.
    #[error("{path}: {source}")]
    Engine {
        /// The dataset file.
        path: String,
        /// DataFusion's error.
        #[source]
        source: DataFusionError,
    },
    /// Parquet encoding failed.
    #[error("{path}: writing Parquet: {source}")]
    Parquet {
        /// The dataset file.
        path: String,
        /// The writer's error.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// Row groups were to end where a column changes that the file does not have.
    #[error(
        "{path}: row groups are to end where column `{column}` changes, but the file has no such \
         column (the contract's `partitioned` column must be one of the staged columns)"
    )]
    NoGroupColumn {
        /// The dataset file.
        path: String,
        /// The column asked for.
        column: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The Parquet settings of every file the pipeline writes (staging, warehouse, releases).
/// Row groups of at most [`ROW_GROUP_ROWS`] rows.
pub(crate) fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build()
}

/// Rows per Parquet row group. A reader holds the column chunks of a whole row group in memory,
/// outside the memory pool: with 1 M rows a national run peaked 100 MiB higher (and the ten times
/// national transform under 512 MiB 140 MiB higher) at the same speed (docs/benchmarks.md,
/// session 10).
pub const ROW_GROUP_ROWS: usize = 1 << 17;

/// Streams `df` into one Parquet file at `relative` in `store`; returns the rows written. The
/// file appears only when complete (multipart upload or temp file + rename in object_store).
pub async fn write_dataframe(
    store: &Store,
    relative: &str,
    df: DataFrame,
) -> Result<u64, LakeError> {
    let schema: SchemaRef = df.schema().inner().clone();
    let stream = df
        .execute_stream()
        .await
        .map_err(|source| LakeError::Engine {
            path: store.display(relative),
            source,
        })?;
    write_stream(store, relative, schema, stream).await
}

/// Writes a stream of record batches as one Parquet file at `relative`, as they come; returns the
/// rows written. The file appears only when complete.
pub async fn write_stream(
    store: &Store,
    relative: &str,
    schema: SchemaRef,
    stream: impl futures::Stream<Item = Result<RecordBatch, DataFusionError>> + Unpin,
) -> Result<u64, LakeError> {
    write_stream_grouped(store, relative, schema, stream, None).await
}

/// [`write_stream`], whose row groups also end where the value of the column `group_ends`
/// changes once they hold half of [`ROW_GROUP_ROWS`] (`encode::ParallelWriter::with_group_ends`),
/// so that a reader can split the file into parts of disjoint values ([`register_years`]). A
/// `group_ends` column the schema does not have is an error before anything is written.
pub async fn write_stream_grouped(
    store: &Store,
    relative: &str,
    schema: SchemaRef,
    mut stream: impl futures::Stream<Item = Result<RecordBatch, DataFusionError>> + Unpin,
    group_ends: Option<&str>,
) -> Result<u64, LakeError> {
    let display = store.display(relative);
    // A column the schema does not have is an error, not a file written without its cuts.
    let column = group_ends
        .map(|name| {
            schema.index_of(name).map_err(|_| LakeError::NoGroupColumn {
                path: display.clone(),
                column: name.to_string(),
            })
        })
        .transpose()?;
    let writer = BufWriter::new(store.object_store(), store.path(relative));
    let mut parquet = ParallelWriter::try_new(writer, schema, writer_properties())
        .and_then(|w| w.with_group_ends(column))
        .map_err(|source| LakeError::Parquet {
            path: display.clone(),
            source,
        })?;
    let mut rows = 0u64;
    let mut encoding = std::time::Duration::ZERO;
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|source| LakeError::Engine {
            path: display.clone(),
            source,
        })?;
        rows += batch.num_rows() as u64;
        let started = std::time::Instant::now();
        parquet
            .write(&batch)
            .await
            .map_err(|source| LakeError::Parquet {
                path: display.clone(),
                source,
            })?;
        encoding += started.elapsed();
    }
    let started = std::time::Instant::now();
    parquet.close().await.map_err(|source| LakeError::Parquet {
        path: display.clone(),
        source,
    })?;
    encoding += started.elapsed();
    let file = display.as_str();
    tracing::debug!(
        file,
        rows,
        seconds = encoding.as_secs_f64(),
        "written (seconds: encoding and writing, not waiting for rows)"
    );
    Ok(rows)
}

/// Writes record batches (already in memory) as one Parquet file.
pub async fn write_batches(
    store: &Store,
    relative: &str,
    schema: SchemaRef,
    batches: &[RecordBatch],
) -> Result<u64, LakeError> {
    let stream = futures::stream::iter(batches.iter().cloned().map(Ok));
    write_stream(store, relative, schema, stream).await
}

/// Reads the Parquet files at `relatives` (which must exist) as one DataFrame.
pub async fn read_files(
    ctx: &SessionContext,
    store: &Store,
    relatives: &[String],
) -> Result<DataFrame, LakeError> {
    let urls: Vec<String> = relatives.iter().map(|r| store.url(r)).collect();
    ctx.read_parquet(urls, ParquetReadOptions::default())
        .await
        .map_err(|source| files_error(store, relatives, source))
}

/// The engine's error reading the files `relatives`, naming them.
fn files_error(store: &Store, relatives: &[String], source: DataFusionError) -> LakeError {
    LakeError::Engine {
        path: relatives
            .iter()
            .map(|r| store.display(r))
            .collect::<Vec<_>>()
            .join(", "),
        source,
    }
}

/// Whether `files` yearly files of `bytes` together are read one year per partition, and if so how
/// many years are grouped at once.
///
/// They are read apart when there are more files than the session's target partitions (so no
/// fewer partitions than a repartition would make) taking together at most two thirds of the
/// memory limit. An aggregation over such a scan is one step per year (DataFusion's
/// `SinglePartitioned`); when one spills, DataFusion copies its whole table outside the memory
/// pool to sort it into the spill file. Measured at ten times national size (1107 MiB of register
/// files), two years at a time: under 2GiB (files 54 % of the limit) nothing spilled, peak 1854 –
/// 1877 MiB; under 1536MiB (72 %) 343 MB spilled, peak 1499 MiB; under 1200MiB (92 %) 679 MB
/// spilled and the peak, 1426 MiB, was above the limit plus the 128 MiB the README states. Larger
/// files keep the two-step plan.
///
/// All the years are grouped at once when the files take at most a quarter of the limit (national
/// size); else as many as the target partitions, so that each year's aggregation gets a larger
/// share of the pool (three at once at ten times national under 2GiB went to 2.3 GiB). See
/// docs/benchmarks.md, session 20.
fn years_apart(ctx: &SessionContext, files: usize, bytes: u64) -> Option<usize> {
    let target = ctx.copied_config().target_partitions();
    let limit = memory::pool_limit(ctx).map(|l| l as u64);
    let within = |parts: u64, of: u64| {
        limit.is_none_or(|l| bytes.saturating_mul(of) <= l.saturating_mul(parts))
    };
    if files <= target || !within(2, 3) {
        return None;
    }
    Some(if within(1, 4) { files } else { target })
}

/// Parts a yearly file is read in ([`parts`]), per target partition of the session.
const PARTS_PER_TARGET_PARTITION: usize = 2;

/// A yearly file: its path in the store, year, bytes and when it was written.
type YearFile = (String, i64, u64, chrono::DateTime<chrono::Utc>);

/// What [`register_years`] registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearFiles {
    /// The years that had no file.
    pub missing: Vec<i64>,
    /// When the files are read one year (or part of a year) per partition: how many partitions to
    /// group at once
    /// ([`years_apart`]; `transform::LakeSink::with_partitions_at_once`).
    pub at_once: Option<usize>,
    /// The files' bytes together.
    pub bytes: u64,
    /// How many partitions the scan reads the files in when they are read one year or one part of
    /// a year per partition (a year in parts adds its parts: session 23 of docs/benchmarks.md);
    /// `None` when they are split in byte ranges over the target partitions.
    pub partitions: Option<usize>,
}

/// Reads the yearly `files` (ascending years, each file holding only rows whose `column` is its
/// year) as one table whose scan has one partition per year, declared as range partitioned on
/// `column`: an aggregation grouped by the year (and more) then groups each partition on its own,
/// with no repartition and no final step over all years. Given `part_column`, each file whose row
/// groups allow it is read in up to [`PARTS_PER_TARGET_PARTITION`] × target partitions parts of
/// disjoint values of that column, declared range partitioned on (`column`, `part_column`)
/// ([`parts`]). Returns the table and its partitions.
async fn read_years_apart(
    ctx: &SessionContext,
    store: &Store,
    files: &[YearFile],
    column: &str,
    part_column: Option<&str>,
) -> Result<(DataFrame, usize), LakeError> {
    let relatives: Vec<String> = files.iter().map(|f| f.0.clone()).collect();
    let years: Vec<i64> = files.iter().map(|f| f.1).collect();
    let relatives = relatives.as_slice();
    use datafusion::common::{ScalarValue, SplitPoint};
    use datafusion::datasource::file_format::options::ReadOptions;
    use datafusion::datasource::listing::{ListingTable, ListingTableConfig, ListingTableUrl};
    use datafusion::logical_expr::{Partitioning, RangePartitioning};
    let build = async {
        let paths = relatives
            .iter()
            .map(|r| ListingTableUrl::parse(store.url(r)))
            .collect::<Result<Vec<_>, _>>()?;
        let split_points = years[1..]
            .iter()
            .map(|y| SplitPoint::new(vec![ScalarValue::Int64(Some(*y))]))
            .collect();
        let ordering = vec![datafusion::prelude::col(column).sort(true, false)];
        let options = ParquetReadOptions::default()
            .to_listing_options(&ctx.copied_config(), ctx.copied_table_options())
            .with_output_partitioning(Some(Partitioning::Range(RangePartitioning::try_new(
                ordering,
                split_points,
            )?)));
        let config = ListingTableConfig::new_with_multi_paths(paths)
            .with_listing_options(options)
            .infer_schema(&ctx.state())
            .await?;
        let table = ListingTable::try_new(config)?
            .with_cache(ctx.runtime_env().cache_manager.get_file_statistic_cache());
        Ok::<_, DataFusionError>(std::sync::Arc::new(table))
    };
    let table = build
        .await
        .map_err(|source| files_error(store, relatives, source))?;
    // Parts per year: twice the target partitions. At ten times national under 2GiB (two parts
    // grouped at a time) with 2, 3, 4, 6 and 8 parts a year on 2 cores, the transform took
    // 36.9 – 39.8 s with 2 and 31.5 – 35.1 s with 4 to 8 (smaller hash tables, and no part of
    // the window left to run alone at the end); at national size the same with 1, 2 or 4
    // (docs/benchmarks.md, session 23).
    let per_year = ctx.copied_config().target_partitions() * PARTS_PER_TARGET_PARTITION;
    if let Some(part_column) = part_column.filter(|_| per_year > 1) {
        let mut split = Vec::with_capacity(files.len());
        for (rel, year, size, modified) in files {
            use datafusion::datasource::physical_plan::parquet::metadata::DFParquetMetadata;
            let object_store = store.object_store();
            let object = object_store::ObjectMeta {
                location: store.path(rel),
                last_modified: *modified,
                size: *size,
                e_tag: None,
                version: None,
            };
            // Through the session's metadata cache: the scan then finds the footer read.
            let meta = DFParquetMetadata::new(object_store.as_ref(), &object)
                .with_file_metadata_cache(Some(
                    ctx.runtime_env().cache_manager.get_file_metadata_cache(),
                ))
                .fetch_metadata()
                .await
                .map_err(|source| files_error(store, std::slice::from_ref(rel), source))?;
            let parts = parts::split(&meta, part_column, per_year, *size);
            split.push((store.path(rel).to_string(), *year, parts));
        }
        if let Some(table) = parts::YearParts::new(table.clone(), &split, column, part_column) {
            let count = split.iter().map(|f| f.2.len()).sum();
            tracing::debug!(column, part_column, count, "yearly files read in parts");
            let df = ctx
                .read_table(std::sync::Arc::new(table))
                .map_err(|source| files_error(store, relatives, source))?;
            return Ok((df, count));
        }
    }
    let df = ctx
        .read_table(table)
        .map_err(|source| files_error(store, relatives, source))?;
    Ok((df, files.len()))
}

/// Registers the yearly files of a dataset (e.g. `staging/register`) that exist for `years` as
/// table `name`; returns the years that had no file and how many years to group at once.
/// Registers nothing when none exists.
/// `year_column` names the column in which every row of a yearly file holds that file's year
/// (the contract makes it equal to the drop's year). Given it, more years than the session's
/// target partitions, and files within two thirds of the memory limit ([`years_apart`]), the
/// files are read one year per partition ([`read_years_apart`]), or in parts of disjoint values
/// of `part_column` (the contract's `partitioned` column) where the files' row groups allow;
/// else they are split in byte ranges over the target partitions.
pub async fn register_years(
    ctx: &SessionContext,
    store: &Store,
    name: &str,
    file_of_year: impl Fn(i64) -> String,
    years: &[i64],
    year_column: Option<&str>,
    part_column: Option<&str>,
) -> Result<YearFiles, LakeError> {
    let mut present = Vec::new();
    let mut present_years = Vec::new();
    let mut sizes = Vec::new();
    let mut missing = Vec::new();
    let mut bytes = 0u64;
    for &year in years {
        let rel = file_of_year(year);
        if let Some(meta) = store.head(&rel).await? {
            bytes += meta.size;
            sizes.push((meta.size, meta.last_modified));
            present.push(rel);
            present_years.push(year);
        } else {
            missing.push(year);
        }
    }
    // DataFusion puts the files in path order, one partition each; the declared ranges follow the
    // years, so both orders must agree.
    let in_order = present.is_sorted() && present_years.is_sorted();
    let mut at_once = year_column
        .filter(|_| in_order)
        .and_then(|_| years_apart(ctx, present.len(), bytes));
    let partitions = if present.is_empty() {
        None
    } else {
        let (df, read_in) = match (year_column, at_once) {
            (Some(column), Some(_)) => {
                let files: Vec<YearFile> = present
                    .iter()
                    .zip(&present_years)
                    .zip(&sizes)
                    .map(|((rel, year), (size, modified))| (rel.clone(), *year, *size, *modified))
                    .collect();
                let (df, read_in) =
                    read_years_apart(ctx, store, &files, column, part_column).await?;
                // Parts are grouped as many at a time as the target partitions (one a core):
                // more at once would only hold more readers' row groups on the same cores. The
                // time was the same at national size either way (docs/benchmarks.md, session 23).
                if read_in > present.len() {
                    at_once = Some(ctx.copied_config().target_partitions());
                }
                (df, Some(read_in))
            }
            _ => (read_files(ctx, store, &present).await?, None),
        };
        ctx.deregister_table(name)
            .map_err(|source| LakeError::Engine {
                path: name.to_string(),
                source,
            })?;
        ctx.register_table(name, df.into_view())
            .map_err(|source| LakeError::Engine {
                path: name.to_string(),
                source,
            })?;
        read_in
    };
    Ok(YearFiles {
        missing,
        at_once,
        bytes,
        partitions,
    })
}
