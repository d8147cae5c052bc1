//! The publication people read: the Excel workbook `oj_ekonomiskt_bistand_<Y>.xlsx`, the
//! self-contained `rapport.html`, and the one-page profile of a kommun or stadsdel (`oj report`).
//!
//! Everything here works from the final, disclosure-controlled `indikatorer` rows of a release
//! (outputs.md) plus the indicator metadata of `pipelines/`. Guarantees:
//! - every published value and marker appears exactly as in the rows (the workbook cells hold the
//!   row's `varde`; number formats only change how it is displayed);
//! - a suppressed (`..`), missing (`-`) or not applicable (`.`) cell is shown as its marker, never
//!   as a number and never drawn as zero in a chart;
//! - rows that break the `indikatorer` contract (wrong column type, unknown status, a value on a
//!   suppressed row, a duplicate key, an indicator without metadata or a group its metadata does
//!   not publish) are refused with a typed error, so nothing is silently left out;
//! - the HTML is self-contained (inline CSS and SVG; no scripts, fonts or images) and built with
//!   a template engine (`maud`) that escapes every text taken from data by default.

mod chart;
mod columns;
mod error;
mod facts;
mod files;
mod html;
mod input;
mod metadata;
mod numbers;
mod profile;
mod report;
mod rows;
mod view;
mod workbook;

pub use error::PublicationError;
pub use facts::region_facts;
pub use files::release_files;
pub use input::{IndicatorMeta, IndicatorSource, PublicationInput, RegionFacts, ReleaseInfo};
pub use metadata::indicator_meta;
pub use profile::region_profile_html;
pub use report::report_html;
pub use workbook::{workbook, workbook_file_name};
