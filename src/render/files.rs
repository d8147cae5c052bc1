//! The publication's files of a release folder (outputs.md): the Excel workbook and
//! `rapport.html`, ready for the publish stage to write before the manifest.

use super::error::PublicationError;
use super::input::PublicationInput;
use super::report::report_html;
use super::workbook::{workbook, workbook_file_name};
use crate::publish::ReleaseFile;

/// The report's file name in the release folder.
pub(crate) const REPORT_FILE: &str = "rapport.html";

/// `oj_ekonomiskt_bistand_<Y>.xlsx` and `rapport.html` of a release.
pub fn release_files(input: &PublicationInput) -> Result<Vec<ReleaseFile>, PublicationError> {
    Ok(vec![
        ReleaseFile {
            name: workbook_file_name(input.info.year),
            bytes: workbook(input)?,
        },
        ReleaseFile {
            name: REPORT_FILE.to_string(),
            bytes: report_html(input)?.into_bytes(),
        },
    ])
}
