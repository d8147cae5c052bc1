//! `oj`: the Öppna jämförelser – ekonomiskt bistånd pipeline as a library; `src/main.rs` is the
//! thin command-line edge.

pub mod cli;
pub mod clock;
pub mod commit;
pub mod config;
pub mod disclose;
pub mod events;
pub mod exit;
pub mod fingerprint;
pub mod gates;
pub mod ingest;
pub(crate) mod key_hash;
pub mod lake;
pub mod layout;
pub mod ledger;
pub mod lineage;
pub mod memory;
pub mod pipeline;
pub mod progress;
pub mod publish;
pub mod render;
pub mod session;
pub mod stages;
pub mod store;
pub mod synth;
pub mod transform;
pub mod vocab;
pub mod yaml;
