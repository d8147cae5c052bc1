//! Survey indicators (domain.md "Survey indicators"): the yearly question sets and indicator
//! definitions ([`config`], from `pipelines/enkat.yaml`) and their materialisation as tables for
//! the `sql/` models ([`tables`]). The scoring itself is SQL, reading the rules from those tables:
//!
//! | model | one row per | holds |
//! |---|---|---|
//! | `int_enkat_respondenter` | respondent | kommun, län, kommungrupp, storleksklass, `inkommit` |
//! | `int_enkat_medlemskap` | respondent × aggregate region | riket, län, kommungrupp, storleksklass |
//! | `stg_enkat_svar` | returned answer | trimmed `svar`, parsed `tal`, `giltigt` |
//! | `int_enkat_ogiltiga_svar` | invalid answer | respondent, fraga, svar (for the gates) |
//! | `int_enkat_poang` | respondent × share indicator | `poang` 1 / 0 / null |
//! | `int_enkat_hushall` | respondent × staffing indicator | households per month, FTEs, kvot |
//! | `ind_enkat` | indicator row | the shared long shape (HELPERS.md) |
//!
//! Choices where the spec leaves room (also stated in the SQL headers):
//! - Respondent rows of shares carry varde 1 / 0 and null taljare / namnare (an answer is not a
//!   ratio); staffing respondent rows carry households per month / FTEs.
//! - An aggregate share with no responding unit is `-` with null taljare and namnare.
//! - An answer outside the allowed answers (including `Vet ej` to a `tal` question, or a number
//!   below 0) is no answer (`-`) and is listed in `int_enkat_ogiltiga_svar`.
//! - Staffing: a respondent reporting 0 FTEs, or whose kommun is bortfall in the register, is `-`
//!   and left out of the ratio of sums; `_min` / `_max` exist at län level only.
//! - The response rate exists at aggregate levels only and counts every respondent of regioner.
//! - Kommungrupp and storleksklass rows carry their code as `regionnamn`; a kommun without
//!   population rows has no storleksklass and is left out of storleksklass rows only.

pub mod config;
pub mod tables;

pub use config::{
    AnswerType, CONFIG_PATH, Indicator, IndicatorKind, Question, Rule, Statistic, SurveyConfig,
    SurveyConfigError, Years, check_against_contract, previous_ids,
};
pub use tables::{TABLES, config_batches, register_tables};
