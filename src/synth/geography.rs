//! The real Swedish geography the generator draws on: 21 län, 290 kommuner and the stadsdelar of
//! Stockholm, Göteborg and Malmö with their validity years, from `regions.csv` (copied from the
//! project's reference list).
//!
//! Beyond the reference facts, `regions.csv` carries columns that are *synthetic approximations*
//! for the demo only: `population` (rounded 2017 size), `foreign` (share born abroad, %, where it
//! stands out; otherwise derived from size) and `need` (relative level of assistance where it
//! stands out). For stadsdelar, `foreign` and `need` are factors relative to their kommun, and
//! `successor` names the stadsdel a district was merged into (Älvsjö and Hägersten-Liljeholmen
//! into Hägersten-Älvsjö 2020; Malmö's ten stadsdelar into five stadsområden 2014).
//!
//! Guarantees: a stadsdel is reported for a year only if that year lies in its validity; the
//! "fine areas" (stadsdelar nobody was merged into) are a fixed partition of each city, mapped to
//! the year's stadsdelar by following successors.

use super::SynthError;

const REGIONS: &str = include_str!("regions.csv");

/// A län.
pub(crate) struct Lan {
    pub code: String,
    pub name: String,
}

/// A kommun with its synthetic profile.
pub(crate) struct Kommun {
    pub code: String,
    /// The code as a number (used to label random streams and ids).
    pub num: u64,
    pub name: String,
    /// Index into [`Geography::lan`].
    pub lan: usize,
    /// Approximate 2017 population.
    pub(crate) base_population: f64,
    /// Share born abroad (0–1).
    pub(crate) foreign: f64,
    /// Relative level of need for assistance (1 = ordinary).
    pub need: f64,
    /// SKR kommungrupp (synthetic, see [`kommungrupp`]).
    pub group: &'static str,
    /// Indices into [`Geography::stadsdelar`] of the kommun's fine areas (empty outside the cities).
    pub(crate) areas: Vec<usize>,
}

/// A stadsdel (district) of one of the three cities.
pub(crate) struct Stadsdel {
    pub code: String,
    pub num: u64,
    pub name: String,
    /// Index into [`Geography::kommuner`].
    pub kommun: usize,
    pub(crate) valid_from: i32,
    pub(crate) valid_to: i32,
    /// Index of the stadsdel this one was merged into.
    pub(crate) successor: Option<usize>,
    /// Fine areas only: approximate population and factors relative to the kommun.
    pub(crate) base_population: f64,
    pub(crate) foreign_factor: f64,
    pub(crate) need_factor: f64,
}

/// The whole geography, in code order.
pub(crate) struct Geography {
    pub lan: Vec<Lan>,
    pub kommuner: Vec<Kommun>,
    pub stadsdelar: Vec<Stadsdel>,
}

impl Stadsdel {
    pub(crate) fn valid_in(&self, year: i32) -> bool {
        (self.valid_from..=self.valid_to).contains(&year)
    }

    /// The two-digit district code (the last two digits of the stadsdel code).
    pub fn district(&self) -> u8 {
        (self.num % 100) as u8
    }
}

impl Geography {
    /// Parses the embedded `regions.csv`.
    pub fn load() -> Result<Self, SynthError> {
        Self::parse(REGIONS)
    }

    /// Parses a regions table in the format of `regions.csv`.
    fn parse(text: &str) -> Result<Self, SynthError> {
        let bad = |line: usize, what: &str| SynthError::Regions {
            line,
            message: what.to_string(),
        };
        let mut lan = Vec::new();
        let mut kommuner: Vec<Kommun> = Vec::new();
        let mut stadsdelar: Vec<Stadsdel> = Vec::new();
        let mut successors: Vec<(usize, String)> = Vec::new();
        for (i, line) in text.lines().enumerate().skip(1) {
            let n = i + 1;
            let f: Vec<&str> = line.split(';').collect();
            if f.len() != 10 {
                return Err(bad(n, "expected 10 fields"));
            }
            let num = |s: &str| s.parse::<f64>().map_err(|_| bad(n, "not a number"));
            match f[0] {
                "riket" => {}
                "lan" => lan.push(Lan {
                    code: f[1].to_string(),
                    name: f[2].to_string(),
                }),
                "kommun" => {
                    let li = lan
                        .iter()
                        .position(|l| l.code == f[3])
                        .ok_or_else(|| bad(n, "unknown län"))?;
                    let pop = num(f[7])?;
                    let foreign = if f[8].is_empty() {
                        default_foreign_share(pop)
                    } else {
                        num(f[8])? / 100.0
                    };
                    let need = if f[9].is_empty() { 1.0 } else { num(f[9])? };
                    kommuner.push(Kommun {
                        code: f[1].to_string(),
                        num: f[1].parse().map_err(|_| bad(n, "bad kommun code"))?,
                        name: f[2].to_string(),
                        lan: li,
                        base_population: pop,
                        foreign,
                        need,
                        group: kommungrupp(f[1], f[3], pop),
                        areas: Vec::new(),
                    });
                }
                "stadsdel" => {
                    let k = kommuner
                        .iter()
                        .position(|k| k.code == f[3])
                        .ok_or_else(|| bad(n, "unknown kommun"))?;
                    let year = |s: &str| s.parse::<i32>().map_err(|_| bad(n, "bad year"));
                    let merged = f[7].is_empty();
                    if !f[6].is_empty() {
                        successors.push((stadsdelar.len(), f[6].to_string()));
                    }
                    stadsdelar.push(Stadsdel {
                        code: f[1].to_string(),
                        num: f[1].parse().map_err(|_| bad(n, "bad stadsdel code"))?,
                        name: f[2].to_string(),
                        kommun: k,
                        valid_from: year(f[4])?,
                        valid_to: year(f[5])?,
                        successor: None,
                        base_population: if merged { 0.0 } else { num(f[7])? },
                        foreign_factor: if merged { 0.0 } else { num(f[8])? },
                        need_factor: if merged { 0.0 } else { num(f[9])? },
                    });
                }
                _ => return Err(bad(n, "unknown level")),
            }
        }
        for (i, code) in successors {
            let s = stadsdelar
                .iter()
                .position(|s| s.code == code)
                .ok_or_else(|| bad(0, "unknown successor"))?;
            stadsdelar[i].successor = Some(s);
        }
        normalise_foreign(&mut kommuner);
        for (i, s) in stadsdelar.iter().enumerate() {
            if s.base_population > 0.0 {
                kommuner[s.kommun].areas.push(i);
            }
        }
        Ok(Geography {
            lan,
            kommuner,
            stadsdelar,
        })
    }

    /// The stadsdel a fine area belongs to in `year`, if the kommun has stadsdelar that year.
    pub(crate) fn stadsdel_of(&self, area: usize, year: i32) -> Option<usize> {
        let mut s = area;
        loop {
            if self.stadsdelar[s].valid_in(year) {
                return Some(s);
            }
            s = self.stadsdelar[s].successor?;
        }
    }

    /// Whether kommun `k` reports by district in `year`.
    pub(crate) fn has_districts(&self, k: usize, year: i32) -> bool {
        self.kommuner[k]
            .areas
            .first()
            .is_some_and(|&a| self.stadsdel_of(a, year).is_some())
    }

    /// The stadsdelar valid in `year`, in code order.
    pub(crate) fn stadsdelar_in(&self, year: i32) -> impl Iterator<Item = (usize, &Stadsdel)> {
        self.stadsdelar
            .iter()
            .enumerate()
            .filter(move |(_, s)| s.valid_in(year))
    }
}

/// Scales every kommun's born-abroad share so the national share is 18.5 % (2017).
fn normalise_foreign(kommuner: &mut [Kommun]) {
    let pop: f64 = kommuner.iter().map(|k| k.base_population).sum();
    let abroad: f64 = kommuner.iter().map(|k| k.base_population * k.foreign).sum();
    if abroad > 0.0 {
        let f = 0.185 * pop / abroad;
        for k in kommuner {
            k.foreign = (k.foreign * f).min(0.6);
        }
    }
}

/// Born-abroad share for kommuner the table leaves blank: grows with size (synthetic).
fn default_foreign_share(pop: f64) -> f64 {
    (0.095 + 0.035 * (pop / 10_000.0).ln()).clamp(0.06, 0.3)
}

/// Synthetic SKR kommungrupp: A1 for the three cities, A2 for the rest of Stockholms län and the
/// closest neighbours of Göteborg and Malmö, B3 for other kommuner of 50 000+, C9 for a few
/// tourism kommuner, then by size and whether the län lies in the south. Plausible, not official.
fn kommungrupp(code: &str, lan: &str, pop: f64) -> &'static str {
    const A2_NEIGHBOURS: [&str; 14] = [
        "1401", "1402", "1407", "1440", "1441", "1481", "1482", "1384", "1230", "1231", "1233",
        "1261", "1262", "1263",
    ];
    const C9_TOURISM: [&str; 9] = [
        "2321", "2326", "2361", "2023", "2039", "0885", "1486", "1435", "1427",
    ];
    const SOUTH: [&str; 13] = [
        "01", "03", "04", "05", "06", "07", "08", "10", "12", "13", "14", "18", "19",
    ];
    let south = SOUTH.contains(&lan);
    match code {
        "0180" | "1480" | "1280" => "A1",
        _ if lan == "01" || A2_NEIGHBOURS.contains(&code) => "A2",
        _ if pop >= 50_000.0 => "B3",
        _ if C9_TOURISM.contains(&code) => "C9",
        _ if pop >= 25_000.0 => {
            if south {
                "B4"
            } else {
                "C6"
            }
        }
        _ if pop >= 15_000.0 => {
            if south {
                "B5"
            } else {
                "C7"
            }
        }
        _ => "C8",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_the_real_counts() {
        let g = Geography::load().unwrap();
        assert_eq!(g.lan.len(), 21);
        assert_eq!(g.kommuner.len(), 290);
        assert_eq!(g.stadsdelar.len(), 40);
        // Fine areas: Stockholm 14 (01–14), Göteborg 10, Malmö 10 (01–10).
        let areas = |c: &str| g.kommuner.iter().find(|k| k.code == c).unwrap().areas.len();
        assert_eq!((areas("0180"), areas("1480"), areas("1280")), (14, 10, 10));
    }

    #[test]
    fn malformed_tables_name_the_line() {
        let head = "level;code;name;parent;valid_from;valid_to;successor;population;foreign;need\n";
        let e = Geography::parse(&format!("{head}lan;01;X;00;;;;;\n"))
            .err()
            .unwrap();
        assert!(e.to_string().contains("line 2: expected 10 fields"), "{e}");
        let e = Geography::parse(&format!("{head}kommun;0114;X;01;;;;1;;\n"))
            .err()
            .unwrap();
        assert!(e.to_string().contains("line 2: unknown län"), "{e}");
        let e = Geography::parse(&format!(
            "{head}lan;01;X;00;;;;;;\nkommun;0114;X;01;;;;many;;\n"
        ))
        .err()
        .unwrap();
        assert!(e.to_string().contains("line 3: not a number"), "{e}");
    }

    #[test]
    fn districts_follow_the_validity_years() {
        let g = Geography::load().unwrap();
        let idx = |c: &str| g.stadsdelar.iter().position(|s| s.code == c).unwrap();
        // Älvsjö is its own stadsdel until 2019, part of Hägersten-Älvsjö (15) from 2020.
        assert_eq!(g.stadsdel_of(idx("018012"), 2019), Some(idx("018012")));
        assert_eq!(g.stadsdel_of(idx("018012"), 2020), Some(idx("018015")));
        // Malmö Rosengård: itself until 2013, Öster (15) 2014–2016, no district from 2017.
        assert_eq!(g.stadsdel_of(idx("128008"), 2013), Some(idx("128008")));
        assert_eq!(g.stadsdel_of(idx("128008"), 2016), Some(idx("128015")));
        assert_eq!(g.stadsdel_of(idx("128008"), 2017), None);
        // Göteborg: districts 2011–2020 only.
        assert_eq!(g.stadsdel_of(idx("148001"), 2010), None);
        assert_eq!(g.stadsdel_of(idx("148001"), 2021), None);
        // Stockholm has 14 stadsdelar 2019 and 13 in 2020.
        let n = |y| {
            g.stadsdelar_in(y)
                .filter(|(_, s)| s.code.starts_with("0180"))
                .count()
        };
        assert_eq!((n(2019), n(2020)), (14, 13));
    }

    #[test]
    fn nearly_half_the_kommuner_are_small_and_the_cities_are_a1() {
        let g = Geography::load().unwrap();
        let small = g
            .kommuner
            .iter()
            .filter(|k| k.base_population < 15_000.0)
            .count();
        assert!((120..=150).contains(&small), "{small}");
        let a1: Vec<&str> = g
            .kommuner
            .iter()
            .filter(|k| k.group == "A1")
            .map(|k| k.code.as_str())
            .collect();
        assert_eq!(a1, ["0180", "1280", "1480"]);
    }
}
