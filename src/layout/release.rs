//! The names of the files in a release folder; [`crate::layout`] spells the folders.
//!
//! Guarantees: no release file name is spelled anywhere else.

/// The file every release folder is complete with; written last.
pub const MANIFEST: &str = "manifest.json";
/// The long table as Parquet.
pub const INDIKATORER_PARQUET: &str = "indikatorer.parquet";
/// The long table as CSV.
pub const INDIKATORER_CSV: &str = "indikatorer.csv";
/// The Kolada file.
pub const KOLADA_CSV: &str = "kolada.csv";
/// The Kolada cells in the shape of Kolada's data API.
pub const KOLADA_JSON: &str = "kolada.json";
/// The Frictionless Data Package describing `indikatorer.csv`.
pub const DATAPACKAGE: &str = "datapackage.json";
/// The pointer to the current release of a year (the last segment of
/// [`crate::layout::latest_file`]).
pub const LATEST: &str = "LATEST";
