//! Exit codes of `oj` (outputs.md): the one mapping from outcomes to process status.

/// Process exit status of the `oj` binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything succeeded.
    Success = 0,
    /// A blocking data-quality check failed (rejects over tolerance, an `error` check).
    DataQuality = 1,
    /// Invalid usage, pipeline, SQL or contract.
    Invalid = 2,
    /// Runtime failure: I/O, engine.
    Runtime = 3,
}

impl ExitStatus {
    /// The numeric status passed to the operating system.
    pub fn code(self) -> i32 {
        self as i32
    }
}
