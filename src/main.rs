//! The `oj` binary: the command-line edge of the library.

/// mimalloc instead of the system allocator when built with `--features mimalloc`.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    oj::cli::main_with(|memory_limit| {
        limit_malloc_arenas();
        return_freed_blocks_under_small_limits(memory_limit);
    })
}

/// Below this `--memory-limit`, freed blocks above [`SMALL_LIMIT_MMAP_THRESHOLD`] go back to the
/// system at once.
const SMALL_LIMIT: usize = 1 << 30;

/// glibc raises the size above which a block is its own mapping (returned when freed) each time
/// such a block is freed, up to 32 MiB; blocks of a few MiB then come from its arenas and stay
/// resident after they are freed. Under `--memory-limit 512MiB` the transform at ten times national
/// size peaked 237 – 264 MiB above the limit with the heap's own peak at the limit (heaptrack);
/// with the threshold fixed at 256 KiB it peaks 87 – 136 MiB above it, for 5 – 10 % of the time
/// (docs/benchmarks.md, sessions 11 and 12). A limit under 1 GiB asks for memory over speed, so
/// there the threshold is fixed, unless `MALLOC_MMAP_THRESHOLD_` says otherwise; at 1 GiB and
/// above glibc's own adjustment stays (a national year is within the limit either way).
const SMALL_LIMIT_MMAP_THRESHOLD: usize = 256 * 1024;

#[cfg(all(target_os = "linux", target_env = "gnu", not(feature = "mimalloc")))]
fn return_freed_blocks_under_small_limits(memory_limit: usize) {
    if memory_limit >= SMALL_LIMIT || std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_some() {
        return;
    }
    let threshold = libc::c_int::try_from(SMALL_LIMIT_MMAP_THRESHOLD).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt only changes an allocator setting; no other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, threshold);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu", not(feature = "mimalloc"))))]
fn return_freed_blocks_under_small_limits(_memory_limit: usize) {}

/// glibc's allocator gives each thread that contends for memory an arena of its own (up to
/// eight per core) and keeps what is freed in each: at ten times national size the transform's
/// resident memory reached 2.9 – 3.1 GiB under a 2 GiB limit; with two arenas per core 2.5 GiB,
/// and a national year 610 – 706 MiB instead of 807 – 849, in the same time (one per core saved a
/// little more memory but cost about a tenth of the time; docs/benchmarks.md, session 8). Two
/// arenas per core, unless `MALLOC_ARENA_MAX` says otherwise. Called first in `main`, before any
/// other thread exists.
#[cfg(all(target_os = "linux", target_env = "gnu", not(feature = "mimalloc")))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let arenas = libc::c_int::try_from(2 * cores).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt only changes an allocator setting; no other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu", not(feature = "mimalloc"))))]
fn limit_malloc_arenas() {}
