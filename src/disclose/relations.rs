//! The declared linked tables (`pipelines/disclosure.yaml`) instantiated over the cells of one
//! year: every additive relation between published numbers, as terms over (cell, part).
//!
//! Missing and not-applicable cells (`-`, `.`) are unknown to an intruder but not confidential.
//! In a hierarchy, such a cell with no computed cell below it (a bortfall kommun, a respondent
//! who did not answer) is *void*: the parent was computed without it, so it contributes nothing
//! and is left out; a `-` cell with computed cells below it (a län holding a bortfall kommun)
//! stays in as an unknown. A relation whose parent is void is not instantiated.
//!
//! Guarantees: relations come out in a deterministic order (declaration order, then cell key
//! order) and every term names an existing cell.

use super::cells::Cells;
use crate::config::disclosure::{Hierarchy, LinkedTables, Part, RelationKind};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// A number of a cell, times a factor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Term {
    pub cell: usize,
    pub part: Part,
    pub factor: f64,
}

/// `left (kind) Σ right`.
#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    /// The declaration's name (`kon`, `personer`, `alla_aldrar`, …).
    pub name: String,
    pub kind: RelationKind,
    pub left: Term,
    pub right: Vec<Term>,
}

impl Relation {
    /// Every term, left first.
    pub fn terms(&self) -> impl Iterator<Item = &Term> {
        std::iter::once(&self.left).chain(self.right.iter())
    }

    /// A line naming the relation for messages: its name and the left cell.
    pub fn describe(&self, cells: &Cells) -> String {
        format!(
            "{} ({} = {} parts) at {}",
            self.name,
            match self.kind {
                RelationKind::Exact => "exact",
                RelationKind::Movers => "movers",
                RelationKind::AtLeastSum => "at least the sum of",
                RelationKind::AtMost => "at most",
            },
            self.right.len(),
            cells[self.left.cell]
        )
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Taljare => "taljare",
            Part::Namnare => "namnare",
        })
    }
}

/// The groups a kommun belongs to in the year (from `int_kommun`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KommunGroups {
    pub lan: String,
    pub kommungrupp: Option<String>,
    pub storleksklass: Option<String>,
}

/// Region membership: kommun code → its groups. A stadsdel belongs to the kommun of its first
/// four characters.
pub type Membership = HashMap<String, KommunGroups>;

/// The parent region at `parent_level` of a region at `child_level`, when known.
pub(crate) fn parent_region(
    membership: &Membership,
    child_level: &str,
    region: &str,
    parent_level: &str,
) -> Option<String> {
    if parent_level == "riket" {
        return Some("00".to_string());
    }
    let kommun = match child_level {
        "kommun" | "stadsdel" => region.get(..4)?,
        _ => return None,
    };
    match parent_level {
        "kommun" if child_level == "stadsdel" => Some(kommun.to_string()),
        "lan" => Some(
            membership
                .get(kommun)
                .map(|g| g.lan.clone())
                .unwrap_or_else(|| kommun[..2].to_string()),
        ),
        "kommungrupp" => membership.get(kommun)?.kommungrupp.clone(),
        "storleksklass" => membership.get(kommun)?.storleksklass.clone(),
        _ => None,
    }
}

/// Every relation of `linked` over `cells`.
pub fn instantiate(cells: &Cells, linked: &LinkedTables, membership: &Membership) -> Vec<Relation> {
    let mut out = Vec::new();
    group_splits(cells, linked, &mut out);
    for h in &linked.hierarchies {
        hierarchy(cells, h, membership, &mut out);
    }
    identities(cells, linked, &mut out);
    out
}

fn term(cell: usize) -> Term {
    Term {
        cell,
        part: Part::Taljare,
        factor: 1.0,
    }
}

fn group_splits(cells: &Cells, linked: &LinkedTables, out: &mut Vec<Relation>) {
    for split in &linked.group_splits {
        for (i, c) in cells.cells.iter().enumerate() {
            if c.grupp != split.total {
                continue;
            }
            let parts: Option<Vec<usize>> = split
                .parts
                .iter()
                .map(|p| cells.find(&c.indikator, &c.niva, &c.region, p))
                .collect();
            let Some(parts) = parts else { continue };
            if !c.computed() && parts.iter().all(|&p| !cells[p].computed()) {
                continue;
            }
            out.push(Relation {
                name: split.name.clone(),
                kind: RelationKind::Exact,
                left: term(i),
                right: parts.into_iter().map(term).collect(),
            });
        }
    }
}

fn hierarchy(cells: &Cells, h: &Hierarchy, membership: &Membership, out: &mut Vec<Relation>) {
    for indikator in &h.indicators {
        // Cells of this indicator by group, and per (group, level link) the children of every
        // parent region.
        let own: Vec<usize> = cells
            .cells
            .iter()
            .enumerate()
            .filter(|(_, c)| &c.indikator == indikator)
            .map(|(i, _)| i)
            .collect();
        let mut groups: Vec<&str> = own.iter().map(|&i| cells[i].grupp.as_str()).collect();
        groups.sort_unstable();
        groups.dedup();
        for grupp in groups {
            // parent cell → children cells, over every level link.
            let mut children: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for link in &h.levels {
                for &i in &own {
                    let c = &cells[i];
                    if c.grupp != grupp || !link.children.contains(&c.niva) {
                        continue;
                    }
                    let Some(parent) = parent_region(membership, &c.niva, &c.region, &link.parent)
                    else {
                        continue;
                    };
                    if let Some(p) = cells.find(indikator, &link.parent, &parent, grupp) {
                        children.entry(p).or_default().push(i);
                    }
                }
            }
            // A cell is live when it is computed or has a live child.
            let mut live: HashMap<usize, bool> = HashMap::new();
            for _ in 0..8 {
                let mut changed = false;
                for (&p, kids) in &children {
                    let now = cells[p].computed()
                        || kids
                            .iter()
                            .any(|k| cells[*k].computed() || live.get(k).copied() == Some(true));
                    if live.insert(p, now) != Some(now) {
                        changed = true;
                    }
                }
                if !changed {
                    break;
                }
            }
            let is_live = |i: usize| cells[i].computed() || live.get(&i).copied() == Some(true);
            for (&p, kids) in &children {
                if !is_live(p) {
                    continue;
                }
                let mut right: Vec<Term> = kids
                    .iter()
                    .copied()
                    .filter(|&k| is_live(k))
                    .map(term)
                    .collect();
                right.sort_by_key(|t| t.cell);
                right.dedup_by_key(|t| t.cell);
                out.push(Relation {
                    name: h.name.clone(),
                    kind: h.kind,
                    left: term(p),
                    right,
                });
            }
        }
    }
}

fn identities(cells: &Cells, linked: &LinkedTables, out: &mut Vec<Relation>) {
    for id in &linked.identities {
        for (i, c) in cells.cells.iter().enumerate() {
            if c.indikator != id.left.indicator || !id.groups.contains(&c.grupp) {
                continue;
            }
            let right: Option<Vec<Term>> = id
                .right
                .iter()
                .map(|t| {
                    cells
                        .find(&t.indicator, &c.niva, &c.region, &c.grupp)
                        .map(|cell| Term {
                            cell,
                            part: t.part,
                            factor: t.factor,
                        })
                })
                .collect();
            let Some(right) = right else { continue };
            let left = Term {
                cell: i,
                part: id.left.part,
                factor: id.left.factor,
            };
            if !c.computed() && right.iter().all(|t| !cells[t.cell].computed()) {
                continue;
            }
            out.push(Relation {
                name: id.name.clone(),
                kind: id.kind,
                left,
                right,
            });
        }
    }
}
