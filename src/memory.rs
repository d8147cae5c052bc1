//! Peak memory of this process, for the per-stage figures of `oj bench` and the run record
//! (Linux's `/proc/self/status`; elsewhere the figures are `None`), and the memory-pool
//! reservations that make tables the pipeline keeps in memory count against `--memory-limit`.

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::prelude::SessionContext;

/// Reserves the memory of `batches` (a table kept in memory, named `what` in errors) in the
/// session's pool. The reservation is released when dropped; when the pool cannot grant it, the
/// error says what needed the memory and how much, and names the largest consumers.
pub fn reserve(
    ctx: &SessionContext,
    what: &str,
    batches: &[RecordBatch],
) -> Result<MemoryReservation, DataFusionError> {
    let bytes: usize = batches.iter().map(batch_bytes).sum();
    let mut reservation = MemoryConsumer::new(what).register(&ctx.runtime_env().memory_pool);
    resize(&mut reservation, what, bytes)?;
    Ok(reservation)
}

/// Sets `reservation` (named `what` in errors) to `bytes`: a bounded buffer that changes size as
/// it runs (ingest's rows in flight). The error is [`reserve`]'s.
pub fn resize(
    reservation: &mut MemoryReservation,
    what: &str,
    bytes: usize,
) -> Result<(), DataFusionError> {
    reservation.try_resize(bytes).map_err(|e| {
        DataFusionError::ResourcesExhausted(format!(
            "{what} ({}) does not fit in the memory limit (hint: raise --memory-limit): {e}",
            mib(bytes as u64)
        ))
    })
}

/// The session's memory limit in bytes (`--memory-limit`); `None` when its pool has none.
pub fn pool_limit(ctx: &SessionContext) -> Option<usize> {
    use datafusion::execution::memory_pool::MemoryLimit;
    match ctx.runtime_env().memory_pool.memory_limit() {
        MemoryLimit::Finite(limit) => Some(limit),
        MemoryLimit::Infinite | MemoryLimit::Unknown => None,
    }
}

/// The process's peak resident set size in bytes (VmHWM), when the OS reports it.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Resets the peak so the next reading covers only what follows (Linux: `5` to clear_refs).
/// Returns whether the reset took effect.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// `batch` in buffers of its own when it is a slice of a much larger array (operators emit their
/// results as slices of one array). DataFusion's operators count a batch's memory with
/// `get_array_memory_size`, which counts a shared buffer whole for every slice: a sort reading a
/// model table of slices believed it held many times its rows and spilled at a 4 GiB limit.
pub fn compact(batch: RecordBatch) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    if batch.get_array_memory_size() <= 2 * batch_bytes(&batch) + 4096 {
        return Ok(batch);
    }
    let rows = datafusion::arrow::array::UInt32Array::from_iter_values(0..batch.num_rows() as u32);
    datafusion::arrow::compute::take_record_batch(&batch, &rows)
}

/// The bytes of a batch's own rows. Operators emit batches as slices of one large array, and
/// `get_array_memory_size` counts the whole shared buffer for every slice; the slices' own sizes
/// add up to the buffer once.
pub fn batch_bytes(batch: &RecordBatch) -> usize {
    batch
        .columns()
        .iter()
        .map(|c| {
            c.to_data()
                .get_slice_memory_size()
                .unwrap_or_else(|_| c.get_array_memory_size())
        })
        .sum()
}

/// Bytes as MiB with one decimal.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Below this `--memory-limit`, freed blocks above [`SMALL_LIMIT_MMAP_THRESHOLD`] go back to the
/// system at once (see [`fixed_mmap_threshold`]).
pub const SMALL_LIMIT: usize = 1 << 30;

/// The mmap threshold fixed under a limit below [`SMALL_LIMIT`].
pub const SMALL_LIMIT_MMAP_THRESHOLD: usize = 256 * 1024;

/// The size above which glibc should return a freed block to the system at once, for a run under
/// `memory_limit`; `None` keeps glibc's own setting. glibc raises that size each time a large
/// block is freed, up to 32 MiB; blocks of a few MiB then come from its arenas and stay resident
/// after they are freed. Under `--memory-limit 512MiB` the transform at ten times national size
/// peaked 194 – 330 MiB above the limit with the heap's own peak at the limit (heaptrack); with
/// the size fixed at 256 KiB it peaks within the limit plus 30 MiB, for about 5 % of its time
/// (docs/benchmarks.md, sessions 11 and 12). A limit under 1 GiB asks for memory over speed, so
/// there it is fixed; from 1 GiB up (the default) glibc's own adjustment stays (the 10× transform
/// under 1 GiB peaks 52 – 73 MiB above the limit either way). `MALLOC_MMAP_THRESHOLD_` in the
/// environment (`env_set`) decides instead.
pub fn fixed_mmap_threshold(memory_limit: usize, env_set: bool) -> Option<usize> {
    (memory_limit < SMALL_LIMIT && !env_set).then_some(SMALL_LIMIT_MMAP_THRESHOLD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mmap_threshold_is_fixed_only_under_small_limits_and_without_the_variable() {
        assert_eq!(fixed_mmap_threshold(512 << 20, false), Some(256 * 1024));
        assert_eq!(fixed_mmap_threshold((1 << 30) - 1, false), Some(256 * 1024));
        assert_eq!(fixed_mmap_threshold(1 << 30, false), None);
        assert_eq!(fixed_mmap_threshold(2 << 30, false), None);
        assert_eq!(fixed_mmap_threshold(512 << 20, true), None);
    }

    #[test]
    fn slices_of_one_array_count_their_own_rows_once() {
        use datafusion::arrow::array::{ArrayRef, Int64Array};
        use std::sync::Arc;
        let all: ArrayRef = Arc::new(Int64Array::from_iter_values(0..1000));
        let batch = RecordBatch::try_from_iter([("v", all)]).unwrap();
        // Ten slices of 100 rows: 10 × 800 bytes of values (no nulls), not 10 × the whole array.
        let slices: Vec<RecordBatch> = (0..10).map(|i| batch.slice(i * 100, 100)).collect();
        assert_eq!(slices.iter().map(batch_bytes).sum::<usize>(), 8000);
        assert!(
            slices
                .iter()
                .map(RecordBatch::get_array_memory_size)
                .sum::<usize>()
                >= 80_000
        );
        // Compacted, each slice holds only its own rows, the same values.
        let compacted: Vec<RecordBatch> = slices.into_iter().map(|b| compact(b).unwrap()).collect();
        assert!(
            compacted
                .iter()
                .all(|b| b.get_array_memory_size() < 2 * batch_bytes(b) + 4096)
        );
        assert_eq!(compacted[3], batch.slice(300, 100));
    }

    #[test]
    fn peak_is_reported_on_linux_and_grows_with_an_allocation() {
        if cfg!(target_os = "linux") {
            let before = peak_rss_bytes().unwrap();
            let block = vec![1u8; 64 << 20];
            let after = peak_rss_bytes().unwrap();
            assert!(block.iter().all(|b| *b == 1));
            assert!(after >= before + (60 << 20), "{before} → {after}");
        }
        assert_eq!(mib(3 << 20), "3.0 MiB");
    }
}
