//! The disclose stage (domain.md, "Disclosure control and missing values"): turns indicator rows
//! into publishable cells – primary suppression ([`primary`]), secondary suppression over every
//! relation declared in `pipelines/disclosure.yaml` to a fixpoint ([`secondary`]), the intruder
//! audit by linear programming with repair ([`audit`]), markers (`..`, `-`, `.`) and rounding –
//! and the blocking verification of any release table ([`verify`]).
//!
//! Guarantees: deterministic (same input → same suppression pattern); a table [`disclose`]
//! returns passed the audit: no suppressed cell can be narrowed below its protection level by an
//! intruder holding it, every earlier release of the year and the declared relations;
//! [`verify`] finds no suppressed cell carrying a number and no identifier.

pub mod audit;
pub mod cells;
mod error;
pub mod kind;
mod params;
pub mod primary;
pub mod relations;
pub mod report;
pub mod secondary;
pub mod shape;
mod stage;
pub mod table;
mod verify;

pub use error::DiscloseError;
pub use kind::{IndicatorKinds, kinds_of};
pub use params::DisclosureParams;
pub(crate) use stage::audit_release;
pub use stage::{DiscloseInput, Disclosed, disclose};
pub use verify::{CellKey, Violation, verify};
