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
    pub(crate) fn allowed_answers(self) -> &'static [&'static str] {
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
    pub(crate) fn overlaps(&self, other: &Years) -> bool {
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

/// What an indicator's value is, as declared by `kind:` in `pipelines/ekonomiskt_bistand.yaml`
/// (register and background indicators: `andel`, `antal`, `kronor`, `tkr`) or set by its rule
/// in `pipelines/enkat.yaml` (survey indicators: `andel`, `kvot`). Decides rounding, the primary
/// disclosure rules (the `disclose` module) and how values and change are shown (`publication`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IndicatorKind {
    /// A share in percent: numerator (persons) over denominator (persons); change in percentage
    /// points.
    Andel,
    /// A count of persons or households; the count is the numerator.
    Antal,
    /// Kronor per inhabitant: an amount over a (mean) population.
    Kronor,
    /// A total amount in thousands of kronor (the model's `varde` is already belopp / 1000).
    Tkr,
    /// A ratio of two quantities that are not persons over persons, e.g. households per
    /// full-time case worker.
    Kvot,
}

impl IndicatorKind {
    /// Every kind.
    pub const ALL: [IndicatorKind; 5] = [
        IndicatorKind::Andel,
        IndicatorKind::Antal,
        IndicatorKind::Kronor,
        IndicatorKind::Tkr,
        IndicatorKind::Kvot,
    ];

    /// The kind as written in the configuration and the indicator metadata.
    pub fn name(self) -> &'static str {
        match self {
            IndicatorKind::Andel => "andel",
            IndicatorKind::Antal => "antal",
            IndicatorKind::Kronor => "kronor",
            IndicatorKind::Tkr => "tkr",
            IndicatorKind::Kvot => "kvot",
        }
    }

    /// Parses a kind's name.
    pub fn parse(name: &str) -> Option<IndicatorKind> {
        IndicatorKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Decimals of the published value; rounding is half away from zero.
    pub fn decimals(self) -> i64 {
        match self {
            IndicatorKind::Andel | IndicatorKind::Kvot => 1,
            IndicatorKind::Antal | IndicatorKind::Kronor | IndicatorKind::Tkr => 0,
        }
    }
}

impl fmt::Display for IndicatorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The publication status of a cell (`status` of the release table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// `''`: the value is published.
    Published,
    /// `..`: suppressed (sekretess).
    Suppressed,
    /// `-`: missing (bortfall or no answer).
    Missing,
    /// `.`: not applicable.
    NotApplicable,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 4] = [
        Status::Published,
        Status::Suppressed,
        Status::Missing,
        Status::NotApplicable,
    ];

    /// Parses a marker (`''`, `..`, `-`, `.`).
    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.marker() == text)
    }

    /// The marker printed instead of a value (empty for a published value).
    pub fn marker(self) -> &'static str {
        match self {
            Status::Published => "",
            Status::Suppressed => "..",
            Status::Missing => "-",
            Status::NotApplicable => ".",
        }
    }

    /// The marker's meaning in Swedish, for legends and tooltips.
    pub fn meaning(self) -> &'static str {
        match self {
            Status::Published => "publicerat värde",
            Status::Suppressed => "sekretess",
            Status::Missing => "bortfall/saknas",
            Status::NotApplicable => "ej tillämpligt",
        }
    }
}

/// The geographic or group level of a row (`niva`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Niva {
    Riket,
    Lan,
    Kommun,
    Stadsdel,
    Kommungrupp,
    Storleksklass,
}

impl Niva {
    /// Every level, in the release's order.
    pub const ALL: [Niva; 6] = [
        Niva::Riket,
        Niva::Lan,
        Niva::Kommun,
        Niva::Stadsdel,
        Niva::Kommungrupp,
        Niva::Storleksklass,
    ];

    /// The level as written in the release and the configuration (`lan`, …).
    pub fn name(self) -> &'static str {
        match self {
            Niva::Riket => "riket",
            Niva::Lan => "lan",
            Niva::Kommun => "kommun",
            Niva::Stadsdel => "stadsdel",
            Niva::Kommungrupp => "kommungrupp",
            Niva::Storleksklass => "storleksklass",
        }
    }

    /// Parses a level's name.
    pub fn parse(text: &str) -> Option<Niva> {
        Niva::ALL.into_iter().find(|n| n.name() == text)
    }

    /// The level's Swedish name as shown to readers.
    pub fn label(self) -> &'static str {
        match self {
            Niva::Lan => "län",
            other => other.name(),
        }
    }
}

/// The population group of a row (`grupp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Grupp {
    Totalt,
    Kvinnor,
    Man,
    Inrikes,
    Utrikes,
}

impl Grupp {
    /// Every group, in the release's order.
    pub const ALL: [Grupp; 5] = [
        Grupp::Totalt,
        Grupp::Kvinnor,
        Grupp::Man,
        Grupp::Inrikes,
        Grupp::Utrikes,
    ];

    /// The group as written in the release and the configuration.
    pub fn name(self) -> &'static str {
        match self {
            Grupp::Totalt => "totalt",
            Grupp::Kvinnor => "kvinnor",
            Grupp::Man => "man",
            Grupp::Inrikes => "inrikes",
            Grupp::Utrikes => "utrikes",
        }
    }

    /// Parses a group's name.
    pub fn parse(text: &str) -> Option<Grupp> {
        Grupp::ALL.into_iter().find(|g| g.name() == text)
    }

    /// The group's Swedish label as shown to readers.
    pub fn label(self) -> &'static str {
        match self {
            Grupp::Totalt => "Totalt",
            Grupp::Kvinnor => "Kvinnor",
            Grupp::Man => "Män",
            Grupp::Inrikes => "Inrikes födda",
            Grupp::Utrikes => "Utrikes födda",
        }
    }
}

/// Whether `id` has the shape of a Kolada KPI id: one capital letter and five digits, e.g.
/// `N31807` (`N` nyckeltal, `U` uppgift).
pub(crate) fn is_kpi_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 6 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit)
}

/// The names of the datasets and models that pass from one stage to the next.
pub mod names {
    /// The staged datasets the `sql/` models read.
    pub(crate) const MODEL_SOURCES: [&str; 5] =
        ["regioner", "befolkning", "register", "bakgrund", "enkat"];
    /// The staged reference dataset of regions.
    pub const REGIONS: &str = "regioner";
    /// The model holding every indicator row before disclosure control.
    pub(crate) const INDICATOR_MODEL: &str = "ind_indikatorer";
    /// The model with each kommun's län, kommungrupp and storleksklass.
    pub(crate) const KOMMUN_MODEL: &str = "int_kommun";
    /// The model with the households behind each amount cell.
    pub(crate) const CONTRIBUTIONS_MODEL: &str = "int_belopp_bidrag";
    /// The model with each kommun's survey non-response.
    pub(crate) const BORTFALL_MODEL: &str = "int_bortfall";
    /// The dataset the disclose stage writes (the publishable table without previous-year
    /// columns).
    pub(crate) const DISCLOSED_DATASET: &str = "rel_indikatorer";
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
