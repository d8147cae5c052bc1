//! Yearly files read in parts of disjoint values of a column, so that an aggregation grouped by
//! the year and that column (and more) groups each part on its own.
//!
//! At ten times national size, a window of three register years under `--memory-limit 2GiB` is
//! grouped two years at a time (`super::years_apart`), so the third year was grouped alone on one
//! of the two cores (about 7 CPU-seconds of the transform left unused; docs/benchmarks.md, session
//! 22). The staged register's row groups end where the kommun changes
//! (`encode::ParallelWriter::with_group_ends`), so its row groups' statistics show where a year's
//! file splits into parts of disjoint kommuner. Each part is then a partition of its own (a byte
//! range of the file, which DataFusion reads as the row groups starting in it), declared range
//! partitioned on (year, kommun).
//!
//! Nothing is taken on trust: a file is split only at a row group before which every row group's
//! largest value is below every later row group's smallest, as the footer's exact statistics
//! (no nulls) say. A file written without such row groups (an older lake, rows not in runs) is
//! read whole, one partition per year, as before.

use datafusion::arrow::compute::SortOptions;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::catalog::{ScanArgs, ScanResult, Session, TableProvider};
use datafusion::common::{ScalarValue, SplitPoint};
use datafusion::datasource::TableType;
use datafusion::datasource::listing::ListingTable;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfig};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::{LexOrdering, Partitioning, PhysicalSortExpr, RangePartitioning};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::expressions::Column;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::statistics::Statistics;
use std::sync::Arc;

/// One part of a file: the byte range DataFusion reads (the row groups whose first page starts
/// in it) and the part's smallest value of the column (`None` for a file's first part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    pub start: u64,
    pub end: u64,
    pub first: Option<String>,
}

/// The parts (at most `parts`, as equal in rows as the row groups allow) a file of `size` bytes
/// with footer `meta` splits into at row groups where the text column `column` has disjoint
/// values before and after; one part (the whole file) when it cannot be split.
pub(crate) fn split(meta: &ParquetMetaData, column: &str, parts: usize, size: u64) -> Vec<Part> {
    let whole = vec![Part {
        start: 0,
        end: size,
        first: None,
    }];
    let groups = meta.row_groups();
    let Some(leaf) = meta
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .position(|c| c.path().string() == column)
    else {
        return whole;
    };
    // Each row group's exact smallest and largest value, its rows and where it starts.
    let mut bounds = Vec::with_capacity(groups.len());
    for group in groups {
        let chunk = group.column(leaf);
        let Some(Statistics::ByteArray(stats)) = chunk.statistics() else {
            return whole;
        };
        let (Some(min), Some(max)) = (stats.min_opt(), stats.max_opt()) else {
            return whole;
        };
        if stats.null_count_opt() != Some(0) || !stats.min_is_exact() || !stats.max_is_exact() {
            return whole;
        }
        let first = group.column(0);
        let offset = first
            .dictionary_page_offset()
            .unwrap_or_else(|| first.data_page_offset());
        bounds.push((min.data(), max.data(), group.num_rows(), offset));
    }
    let n = bounds.len();
    if n < 2 || parts < 2 || !bounds.windows(2).all(|w| w[0].3 < w[1].3) {
        return whole;
    }
    // Largest value up to each row group, smallest from each on.
    let mut largest: Vec<&[u8]> = Vec::with_capacity(n);
    for (i, b) in bounds.iter().enumerate() {
        largest.push(if i == 0 { b.1 } else { largest[i - 1].max(b.1) });
    }
    let mut smallest = vec![bounds[n - 1].0; n];
    for i in (0..n - 1).rev() {
        smallest[i] = smallest[i + 1].min(bounds[i].0);
    }
    let mut before = Vec::with_capacity(n);
    let mut rows = 0i64;
    for b in &bounds {
        before.push(rows);
        rows += b.2;
    }
    let cuts: Vec<usize> = (1..n).filter(|&i| largest[i - 1] < smallest[i]).collect();
    let mut chosen: Vec<usize> = Vec::new();
    for k in 1..parts {
        let target = rows as i128 * k as i128 / parts as i128;
        let best = cuts
            .iter()
            .filter(|&&c| chosen.last().is_none_or(|&last| c > last))
            .min_by_key(|&&c| (before[c] as i128 - target).abs());
        if let Some(&c) = best {
            chosen.push(c);
        }
    }
    if chosen.is_empty() {
        return whole;
    }
    let Ok(firsts) = chosen
        .iter()
        .map(|&c| String::from_utf8(smallest[c].to_vec()))
        .collect::<Result<Vec<_>, _>>()
    else {
        return whole;
    };
    let mut out = Vec::with_capacity(chosen.len() + 1);
    let mut start = 0u64;
    let mut first = None;
    for (&c, value) in chosen.iter().zip(firsts) {
        let end = bounds[c].3 as u64;
        out.push(Part { start, end, first });
        start = end;
        first = Some(value);
    }
    out.push(Part {
        start,
        end: size,
        first,
    });
    out
}

/// A table of yearly files (one year each, in year order) read through `inner` (a listing table
/// declared range partitioned by the year, one file per partition), whose scans read each file
/// in its parts, one partition each, declared range partitioned on (year, part column).
#[derive(Debug)]
pub(crate) struct YearParts {
    inner: Arc<ListingTable>,
    /// Each file's path in the store and its parts, in the order of the split points (the
    /// years'), which must be the inner scan's order of files.
    files: Vec<(String, Vec<Part>)>,
    partitioning: Partitioning,
}

impl YearParts {
    /// `None` when the columns are not an integer year and a text part column, or no file splits.
    pub(crate) fn new(
        inner: Arc<ListingTable>,
        files: &[(String, i64, Vec<Part>)],
        year_column: &str,
        part_column: &str,
    ) -> Option<Self> {
        if files.iter().all(|(_, _, parts)| parts.len() < 2) {
            return None;
        }
        let schema: SchemaRef = inner.schema();
        let (y, year_field) = schema.column_with_name(year_column)?;
        let (k, part_field) = schema.column_with_name(part_column)?;
        let year = |v: i64| match year_field.data_type() {
            DataType::Int64 => Some(ScalarValue::Int64(Some(v))),
            DataType::Int32 => i32::try_from(v).ok().map(|v| ScalarValue::Int32(Some(v))),
            _ => None,
        };
        if part_field.data_type() != &DataType::Utf8 {
            return None;
        }
        let text = |v: &str| ScalarValue::Utf8(Some(v.to_string()));
        let mut split_points = Vec::new();
        for (i, (_, file_year, parts)) in files.iter().enumerate() {
            for (j, part) in parts.iter().enumerate() {
                if i == 0 && j == 0 {
                    continue;
                }
                // A year's first part starts at the year with the empty text, below every value.
                let from = part.first.as_deref().unwrap_or("");
                split_points.push(SplitPoint::new(vec![year(*file_year)?, text(from)]));
            }
        }
        let ascending = SortOptions {
            descending: false,
            nulls_first: false,
        };
        let ordering = LexOrdering::new(vec![
            PhysicalSortExpr::new(Arc::new(Column::new(year_column, y)), ascending),
            PhysicalSortExpr::new(Arc::new(Column::new(part_column, k)), ascending),
        ])?;
        let range = RangePartitioning::try_new(ordering, split_points).ok()?;
        Some(YearParts {
            inner,
            files: files
                .iter()
                .map(|(path, _, parts)| (path.clone(), parts.clone()))
                .collect(),
            partitioning: Partitioning::Range(range),
        })
    }

    /// `plan` (the inner table's scan) reading each file in its parts; unchanged (one year per
    /// partition, as the inner table declares) when it is not a scan of the files, one per
    /// partition, in the split points' order.
    fn in_parts(&self, plan: Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
        let Some(config) = plan
            .downcast_ref::<DataSourceExec>()
            .and_then(|exec| exec.data_source().downcast_ref::<FileScanConfig>())
        else {
            return plan;
        };
        if config.file_groups.len() != self.files.len() {
            return plan;
        }
        let mut groups = Vec::new();
        for (group, (path, parts)) in config.file_groups.iter().zip(&self.files) {
            let [file] = group.files() else {
                return plan;
            };
            if file.object_meta.location.as_ref() != path.as_str() {
                return plan;
            }
            for part in parts {
                let mut piece = file.clone();
                if parts.len() > 1 {
                    // The file's statistics are not the part's.
                    piece.statistics = None;
                    piece = piece.with_range(part.start as i64, part.end as i64);
                }
                groups.push(FileGroup::new(vec![piece]));
            }
        }
        let mut config = config.clone();
        config.file_groups = groups;
        config.output_partitioning = Some(self.partitioning.clone());
        DataSourceExec::from_data_source(config)
    }
}

#[async_trait::async_trait]
impl TableProvider for YearParts {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        self.inner.supports_filters_pushdown(filters)
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let plan = self.inner.scan(state, projection, filters, limit).await?;
        Ok(self.in_parts(plan))
    }

    async fn scan_with_args<'a>(
        &self,
        state: &dyn Session,
        args: ScanArgs<'a>,
    ) -> Result<ScanResult> {
        let result = self.inner.scan_with_args(state, args).await?;
        Ok(ScanResult::new(self.in_parts(result.into_inner())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use datafusion::arrow::array::StringArray;
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use parquet::arrow::ArrowWriter;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    /// A file whose row groups hold `groups` (each a list of kommun codes, `None` a null).
    fn file(groups: &[&[Option<&str>]]) -> (Arc<ParquetMetaData>, u64) {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "kommun",
            DataType::Utf8,
            true,
        )]));
        let mut writer = ArrowWriter::try_new(Vec::new(), schema.clone(), None).unwrap();
        for group in groups {
            let batch = RecordBatch::try_new(
                schema.clone(),
                vec![Arc::new(StringArray::from(group.to_vec()))],
            )
            .unwrap();
            writer.write(&batch).unwrap();
            writer.flush().unwrap();
        }
        let bytes = Bytes::from(writer.into_inner().unwrap());
        let size = bytes.len() as u64;
        let reader = SerializedFileReader::new(bytes).unwrap();
        (Arc::new(reader.metadata().clone()), size)
    }

    fn start(meta: &ParquetMetaData, group: usize) -> u64 {
        let c = meta.row_group(group).column(0);
        c.dictionary_page_offset()
            .unwrap_or_else(|| c.data_page_offset()) as u64
    }

    fn part(start: u64, end: u64, first: Option<&str>) -> Part {
        Part {
            start,
            end,
            first: first.map(str::to_string),
        }
    }

    /// Row groups 0114 0114 0114 0115 0115 | 0117 ×5 | 0120 ×3 0125 ×2 | 0125 ×5 | 0127 (21
    /// rows). Cuts are possible before groups 1, 2 and 4 (0125 lies on both sides of 3), after 5,
    /// 10 and 20 rows. Two parts: the cut nearest 10.5 rows, before group 2 (0120 on). Three:
    /// nearest 7 (before group 1, 0117 on), then nearest 14 after it (before group 2).
    #[test]
    fn a_file_splits_where_the_values_before_and_after_are_disjoint() {
        let s = |k: &'static str, n: usize| std::iter::repeat_n(Some(k), n);
        let g0: Vec<_> = s("0114", 3).chain(s("0115", 2)).collect();
        let g1: Vec<_> = s("0117", 5).collect();
        let g2: Vec<_> = s("0120", 3).chain(s("0125", 2)).collect();
        let g3: Vec<_> = s("0125", 5).collect();
        let g4: Vec<_> = s("0127", 1).collect();
        let (meta, size) = file(&[&g0, &g1, &g2, &g3, &g4]);
        assert_eq!(
            split(&meta, "kommun", 2, size),
            vec![
                part(0, start(&meta, 2), None),
                part(start(&meta, 2), size, Some("0120"))
            ]
        );
        assert_eq!(
            split(&meta, "kommun", 3, size),
            vec![
                part(0, start(&meta, 1), None),
                part(start(&meta, 1), start(&meta, 2), Some("0117")),
                part(start(&meta, 2), size, Some("0120"))
            ]
        );
        assert_eq!(split(&meta, "kommun", 1, size), vec![part(0, size, None)]);
        assert_eq!(split(&meta, "manad", 2, size), vec![part(0, size, None)]);
    }

    /// Values that are not in runs (every cut has a value on both sides), or a null in a row
    /// group: the file is read whole.
    #[test]
    fn a_file_without_disjoint_row_groups_is_read_whole() {
        let (meta, size) = file(&[
            &[Some("0120"), Some("0114")],
            &[Some("0117")],
            &[Some("0114")],
        ]);
        assert_eq!(split(&meta, "kommun", 2, size), vec![part(0, size, None)]);
        let (meta, size) = file(&[&[Some("0114")], &[None, Some("0120")]]);
        assert_eq!(split(&meta, "kommun", 2, size), vec![part(0, size, None)]);
    }
}
