//! Survey indicators (domain.md "Survey indicators"): the yearly question sets and indicator
//! definitions ([`config`]) and their materialisation as tables for the `sql/` models
//! ([`tables`]). The scoring itself lives in the SQL models `stg_enkat_svar`,
//! `int_enkat_respondenter`, `int_enkat_medlemskap`, `int_enkat_poang`, `int_enkat_hushall`,
//! `int_enkat_ogiltiga_svar` and `ind_enkat`.

pub mod config;
pub mod tables;

pub use config::{
    AnswerType, CONFIG_PATH, Indicator, IndicatorKind, Question, Rule, Statistic, SurveyConfig,
    SurveyConfigError, Years, check_against_contract, previous_ids,
};
pub use tables::{TABLES, config_batches, register_tables};
