//! The survey drop model: which questions a year's questionnaire has (from the question
//! configuration) and every respondent's answers.
//!
//! Guarantees: respondents are the kommuner without stadsdelar that year plus the stadsdelar valid
//! that year; about 95 % return the questionnaire (non-returned ones keep their row with an empty
//! `inkommen` and empty answers); `ja_nej` shares follow the published national shares, with
//! smaller units scoring lower except on waiting times, staffing and household-economy
//! counselling; `handlaggare_ars` is derived from the unit's paid households so that riket has
//! about 35 households per case worker.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::geography::Geography;
use super::population::{Population, count};
use super::register::{RegRow, normal};
use super::streams::{Label, stream};
use crate::config::survey::{Question, SurveyConfig};
use crate::vocab::AnswerType;

/// A survey respondent.
pub(crate) struct Respondent {
    pub code: String,
    pub kommun: usize,
    /// Two-digit district for stadsdelar, 0 for kommuner.
    pub district: u8,
    pub population: u64,
}

/// The respondents of `year`, kommuner and stadsdelar in code order.
pub(crate) fn respondents(geo: &Geography, pop: &Population, year: i32) -> Vec<Respondent> {
    let mut out = Vec::new();
    for (k, kommun) in geo.kommuner.iter().enumerate() {
        if geo.has_districts(k, year) {
            for (s, sd) in geo.stadsdelar_in(year).filter(|(_, s)| s.kommun == k) {
                out.push(Respondent {
                    code: sd.code.clone(),
                    kommun: k,
                    district: sd.district(),
                    population: count(&pop.stadsdel(geo, s, year), 0, 100, false),
                });
            }
        } else {
            out.push(Respondent {
                code: kommun.code.clone(),
                kommun: k,
                district: 0,
                population: count(&pop.kommun[k], 0, 100, false),
            });
        }
    }
    out
}

/// One row of enkat.csv.
pub(crate) struct Answers {
    pub respondent: String,
    /// (year, month, day) the answers came in; `None` = not returned.
    pub inkommen: Option<(i32, u32, u32)>,
    /// One answer per question of the year, "" = blank.
    pub answers: Vec<String>,
}

/// National share (0–1) of units answering `Ja` by year, interpolated, for the known questions;
/// `None` for columns the generator does not know (answered Ja half of the time).
fn ja_share(column: &str, year: i32) -> Option<f64> {
    let points: &[(i32, f64)] = match column {
        "besok_dagar" => &[(2014, 0.90), (2017, 0.90), (2019, 0.87)],
        "socialjour" => &[(2017, 0.80)],
        "overenskommelse_af" => &[(2017, 0.70)],
        "overenskommelse_fk" => &[(2017, 0.55)],
        "overenskommelse_primarvard" => &[(2019, 0.29), (2020, 0.34)],
        "overenskommelse_vuxenpsykiatri" => &[(2019, 0.28), (2020, 0.30)],
        "rutin_missbruk" => &[(2017, 0.70)],
        "rutin_arbetsmarknad" => &[(2017, 0.60)],
        "rutin_socialpsykiatri" => &[(2017, 0.43)],
        "rutin_vrakning_barn" => &[(2017, 0.24)],
        "uppsokande_bostad" => &[(2017, 0.54), (2019, 0.52), (2020, 0.62)],
        "metod_fia" => &[(2017, 0.45)],
        "metod_dudit" => &[(2019, 0.29), (2020, 0.35)],
        "utredningsmall" => &[(2017, 0.80)],
        "uppfoljning_handlingsplan" => &[(2014, 0.45)],
        "systematisk_uppfoljning" => &[(2017, 0.19), (2019, 0.15), (2020, 0.19)],
        "brukarundersokning" => &[(2017, 0.40)],
        "budgetradgivning" => &[(2017, 0.75)],
        "unga_atgard_manad" => &[(2019, 0.35), (2020, 0.32)],
        _ => return None,
    };
    let i = points.iter().position(|p| p.0 >= year);
    Some(match i {
        None => points[points.len() - 1].1,
        Some(0) => points[0].1,
        Some(i) => {
            let (a, b) = (points[i - 1], points[i]);
            a.1 + (b.1 - a.1) * f64::from(year - a.0) / f64::from(b.0 - a.0)
        }
    })
}

/// Whether small units do better on this question (waiting times, staffing, counselling).
fn small_do_better(column: &str) -> bool {
    matches!(
        column,
        "besok_dagar" | "budgetradgivning" | "handlaggare_ars"
    )
}

/// Share of respondents returning the questionnaire (calibration.md: 94 % 2014, 96 % 2015, 2020).
fn return_rate(year: i32) -> f64 {
    match year {
        2014 => 0.94,
        2015 | 2020 => 0.96,
        _ => 0.95,
    }
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Every respondent's answers for `year`.
pub(crate) fn answers(
    geo: &Geography,
    pop: &Population,
    rows: &[RegRow],
    questions: &SurveyConfig,
    year: i32,
    seed: u64,
) -> Vec<Answers> {
    let resp = respondents(geo, pop, year);
    let mut paid: std::collections::BTreeMap<(u16, u8), u64> = std::collections::BTreeMap::new();
    for r in rows.iter().filter(|r| r.belopp > 0) {
        *paid.entry((r.kommun, r.district)).or_insert(0) += 1;
    }
    let size: Vec<f64> = resp
        .iter()
        .map(|r| {
            (r.population.max(1) as f64 / 15_000.0)
                .ln()
                .clamp(-2.5, 2.5)
        })
        .collect();
    let mean = size.iter().sum::<f64>() / size.len().max(1) as f64;
    let qs: Vec<&Question> = questions.questions_for_year(year as i64);
    let mut out = Vec::with_capacity(resp.len());
    for (r, z) in resp.iter().zip(&size) {
        let z = z - mean;
        let num = r.code.parse::<u64>().unwrap_or(0);
        let mut rng = stream(seed, Label::Survey, &[year as u64, num]);
        let returned = rng.random_bool(return_rate(year));
        let day = rng.random_range(0..61u32);
        let inkommen = returned.then(|| {
            if day < 31 {
                (year, 3, day + 1)
            } else {
                (year, 4, day - 30)
            }
        });
        let households = paid
            .get(&(r.kommun as u16, r.district))
            .copied()
            .unwrap_or(0) as f64
            / 12.0;
        let mut answers = Vec::with_capacity(qs.len());
        for q in &qs {
            let a = answer(q, &mut rng, z, year, households);
            answers.push(if returned { a } else { String::new() });
        }
        out.push(Answers {
            respondent: r.code.clone(),
            inkommen,
            answers,
        });
    }
    out
}

/// One answer; the random draws are made whether or not the questionnaire came back, so a
/// non-returned unit does not shift the answers of the others.
fn answer(q: &Question, rng: &mut ChaCha8Rng, z: f64, year: i32, households: f64) -> String {
    let sign = if small_do_better(&q.column) {
        -1.0
    } else {
        1.0
    };
    let blank = rng.random_bool(0.01);
    let u: f64 = rng.random();
    let v: f64 = rng.random();
    let w = normal(rng);
    if blank {
        return String::new();
    }
    match q.answer_type {
        AnswerType::JaNej => {
            let p0 = ja_share(&q.column, year).unwrap_or(0.5);
            let p = sigmoid(logit(p0) + sign * 0.45 * z);
            if u < p {
                "Ja".into()
            } else if v < 0.06 {
                "Vet ej".into()
            } else {
                "Nej".into()
            }
        }
        AnswerType::HeltDelvis => {
            let helt = sigmoid(logit(0.11) + 0.3 * z);
            let delvis = 0.66;
            if u < helt {
                "Helt".into()
            } else if u < helt + delvis {
                "Delvis".into()
            } else if v < 0.1 {
                "Vet ej".into()
            } else {
                "Inte alls".into()
            }
        }
        AnswerType::Tal if q.column == "handlaggare_ars" => {
            // Households per case worker: about 35 for riket (as a ratio of sums, so the unit
            // level is set a little lower because large units weigh more), lower in small units.
            let ratio = 31.5 * (0.12 * z + 0.15 * w).exp();
            let fte = (households / ratio * 10.0).round().max(1.0) / 10.0;
            format!("{fte:.1}").replace('.', ",")
        }
        AnswerType::Tal if q.column == "besok_dagar" => {
            let p0 = ja_share(&q.column, year).unwrap_or(0.9);
            let p = sigmoid(logit(p0) + sign * 0.45 * z);
            let days = if u < p {
                1 + (v * 14.0) as u32
            } else {
                15 + (v * 40.0) as u32
            };
            days.to_string()
        }
        AnswerType::Tal => ((u * 20.0) as u32).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_interpolate_between_published_years() {
        // Primary care agreements: 29 % (2019) and 34 % (2020); held outside.
        assert_eq!(ja_share("overenskommelse_primarvard", 2019), Some(0.29));
        assert_eq!(ja_share("overenskommelse_primarvard", 2015), Some(0.29));
        // Outreach: 54 % 2017, 52 % 2019 → 53 % in 2018.
        let v = ja_share("uppsokande_bostad", 2018).unwrap();
        assert!((v - 0.53).abs() < 1e-12);
        assert_eq!(ja_share("unknown_column", 2018), None);
    }
}
