//! The disclose stage (domain.md, "Disclosure control and missing values"): turns indicator rows
//! into publishable cells – primary suppression by thresholds, secondary suppression in every
//! linked set until no suppressed value can be recovered by subtraction, markers (`..`, `-`,
//! `.`) and rounding – and the blocking verification of any release table.
//!
//! Guarantees: deterministic (same input → same suppression pattern); after [`disclose`],
//! [`verify`] finds no unprotected linked set and no suppressed cell carrying a number. The
//! policy per indicator kind is in [`kind`]; the linked sets and what counts as hidden are in
//! `sets`.

mod error;
pub mod kind;
mod params;
pub(crate) mod scratch;
mod sets;
pub mod shape;
mod stage;
mod verify;

pub use error::DiscloseError;
pub use kind::{IndicatorKind, IndicatorKinds, kinds_of};
pub use params::DisclosureParams;
pub use stage::disclose;
pub use verify::{CellKey, MAX_VALUES_PER_COLUMN, Violation, verify};
