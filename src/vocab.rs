//! The project's vocabulary: the names every layer shares – the stages, the datasets and models
//! that pass between stages – defined once here and used everywhere else.
//!
//! Guarantees: no other module defines its own copy of these names or enums; the strings are the
//! ones written in `pipelines/`, on the command line and in the lake.

use std::fmt;

/// One of the four stages, in their fixed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StageId {
    Ingest,
    Transform,
    Disclose,
    Publish,
}

impl StageId {
    /// Every stage in run order.
    pub const ALL: [StageId; 4] = [
        StageId::Ingest,
        StageId::Transform,
        StageId::Disclose,
        StageId::Publish,
    ];

    /// The stage's name as written in pipelines/ and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            StageId::Ingest => "ingest",
            StageId::Transform => "transform",
            StageId::Disclose => "disclose",
            StageId::Publish => "publish",
        }
    }

    /// Parses a stage name.
    pub fn parse(name: &str) -> Option<StageId> {
        StageId::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// How a question is answered (domain.md "Survey indicators").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerType {
    /// `Ja` / `Nej` / `Vet ej`; blank = no answer.
    JaNej,
    /// `Helt` / `Delvis` / `Inte alls` / `Vet ej`; blank = no answer.
    HeltDelvis,
    /// A number ≥ 0, decimal comma allowed; blank = no answer.
    Tal,
}

impl AnswerType {
    /// Every answer type.
    pub const ALL: [AnswerType; 3] = [AnswerType::JaNej, AnswerType::HeltDelvis, AnswerType::Tal];

    /// The name used in the configuration (`ja_nej`, `helt_delvis`, `tal`).
    pub fn name(self) -> &'static str {
        match self {
            AnswerType::JaNej => "ja_nej",
            AnswerType::HeltDelvis => "helt_delvis",
            AnswerType::Tal => "tal",
        }
    }

    /// The answers allowed besides blank, exactly as written in the drop; empty for `tal`, whose
    /// answers are numbers.
    pub fn allowed_answers(self) -> &'static [&'static str] {
        match self {
            AnswerType::JaNej => &["Ja", "Nej", "Vet ej"],
            AnswerType::HeltDelvis => &["Helt", "Delvis", "Inte alls", "Vet ej"],
            AnswerType::Tal => &[],
        }
    }

    /// Parses a configuration name.
    pub fn parse(name: &str) -> Option<AnswerType> {
        AnswerType::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// The years a question or indicator applies: `from`..=`to`, `to` = `None` while still in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Years {
    /// First year.
    pub from: i64,
    /// Last year, `None` = open-ended.
    pub to: Option<i64>,
}

impl Years {
    /// Whether `year` lies in these years.
    pub fn contains(&self, year: i64) -> bool {
        year >= self.from && self.to.is_none_or(|to| year <= to)
    }

    /// Whether the two ranges share a year.
    pub fn overlaps(&self, other: &Years) -> bool {
        self.contains(other.from) || other.contains(self.from)
    }

    /// Whether these years lie inside `outer`.
    pub fn within(&self, outer: &Years) -> bool {
        outer.contains(self.from)
            && match (self.to, outer.to) {
                (_, None) => true,
                (Some(to), Some(outer_to)) => to <= outer_to,
                (None, Some(_)) => false,
            }
    }
}

impl fmt::Display for Years {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to {
            Some(to) => write!(f, "{}–{}", self.from, to),
            None => write!(f, "{}–", self.from),
        }
    }
}

/// What a run does when a register history year of the very-long-term window is not in the lake
/// (`parameters.register.missing_history`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingHistory {
    /// The run stops with an error naming the missing years.
    Fail,
    /// `reg_mycket_langvarigt_andel` is published with status `.` for the year.
    NotApplicable,
}

/// Whether `id` has the shape of a Kolada KPI id: one capital letter and five digits, e.g.
/// `N31807` (`N` nyckeltal, `U` uppgift).
pub fn is_kpi_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 6 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit)
}

/// The names of the datasets and models that pass from one stage to the next.
pub mod names {
    /// The staged datasets the `sql/` models read.
    pub const MODEL_SOURCES: [&str; 5] =
        ["regioner", "befolkning", "register", "bakgrund", "enkat"];
    /// The staged reference dataset of regions.
    pub const REGIONS: &str = "regioner";
    /// The model holding every indicator row before disclosure control.
    pub const INDICATOR_MODEL: &str = "ind_indikatorer";
    /// The model with each kommun's län, kommungrupp and storleksklass.
    pub const KOMMUN_MODEL: &str = "int_kommun";
    /// The model with the households behind each amount cell.
    pub const CONTRIBUTIONS_MODEL: &str = "int_belopp_bidrag";
    /// The model with each kommun's survey non-response.
    pub const BORTFALL_MODEL: &str = "int_bortfall";
    /// The dataset the disclose stage writes (the publishable table without previous-year
    /// columns).
    pub const DISCLOSED_DATASET: &str = "rel_indikatorer";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kpi_id_shape() {
        assert!(is_kpi_id("N31807"));
        assert!(is_kpi_id("U31462"));
        for bad in [
            "n31807", "N3180", "N318070", "31807N", "NN1807", "", "N31 07",
        ] {
            assert!(!is_kpi_id(bad), "{bad}");
        }
    }
}
