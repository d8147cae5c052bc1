//! The `oj` binary: the command-line edge of the library.

fn main() -> std::process::ExitCode {
    oj::cli::main()
}
