//! The `oj` binary: the command-line edge of the library.

/// mimalloc instead of the system allocator when built with `--features mimalloc`.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    oj::cli::main()
}
