//! The `oj` binary: the command-line edge of the library.

/// mimalloc instead of the system allocator when built with `--features mimalloc`.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    oj::cli::main(|memory_limit| {
        limit_malloc_arenas();
        return_freed_blocks_under_small_limits(memory_limit);
    })
}

/// Fixes glibc's mmap threshold for a run under `memory_limit` when
/// [`oj::memory::fixed_mmap_threshold`] says so (a limit below 1 GiB, `MALLOC_MMAP_THRESHOLD_`
/// not set).
#[cfg(all(target_os = "linux", target_env = "gnu", not(feature = "mimalloc")))]
fn return_freed_blocks_under_small_limits(memory_limit: usize) {
    let env_set = std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_some();
    let Some(threshold) = oj::memory::fixed_mmap_threshold(memory_limit, env_set) else {
        return;
    };
    let threshold = libc::c_int::try_from(threshold).unwrap_or(libc::c_int::MAX);
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
