//! `oj`: the Öppna jämförelser – ekonomiskt bistånd pipeline as a library; `src/main.rs` is the
//! thin command-line edge.

pub mod exit;
pub mod publication;
pub mod yaml;
