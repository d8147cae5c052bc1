//! `oj`: the Öppna jämförelser – ekonomiskt bistånd pipeline as a library; `src/main.rs` is the
//! thin command-line edge.

pub mod disclose;
pub mod exit;
pub mod publish;
pub mod yaml;
