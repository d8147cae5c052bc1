//! Linked sets: groups of cells where one hidden value could be recovered from the others by
//! subtraction (domain.md, "Secondary suppression").
//!
//! - `kon|ar|indikator|niva|region`: {totalt, kvinnor, man} of one indicator and region;
//! - `fodelseland|ar|indikator|niva|region`: {totalt, inrikes, utrikes};
//! - `stadsdelar|ar|indikator|grupp|kommun`: the kommun cell and the cells of its stadsdelar
//!   (regions with niva `stadsdel` and overordnad = the kommun in `regioner` of that year).
//!
//! Län, riket, kommungrupp and storleksklass are not linked to their kommuner: they are not sums
//! of kommun cells (a person paid in two kommuner of a län counts in both kommuner and once in
//! the län, domain.md), and the spec names only the three kinds above.
//!
//! A set needs at least two cells present to be linked. A cell is *hidden* when its status is not
//! empty (`..`, `-` or `.`): a missing or not-applicable cell carries no value either, so it
//! cannot be used to recover a suppressed one. A set is *unsafe* when exactly one of its cells is
//! hidden and that cell is suppressed (`..`). A set whose only hidden cell is `-` or `.` is safe:
//! there is no confidential value to recover.
//!
//! All queries read a table `cells` (cell_id, ar, indikator, niva, region, grupp, status, storlek)
//! and `regioner`, and the set membership table `members` (set_id, cell_id).

/// Builds `members` from `cells` and `regioner`.
pub(crate) const MEMBERS_SQL: &str = "
WITH kommuner_med_stadsdelar AS (
  SELECT DISTINCT ar, overordnad AS kommun FROM regioner
  WHERE niva = 'stadsdel' AND overordnad IS NOT NULL
), raw AS (
  SELECT concat_ws('|', 'kon', CAST(ar AS VARCHAR), indikator, niva, region) AS set_id, cell_id
  FROM cells WHERE grupp IN ('totalt', 'kvinnor', 'man')
  UNION ALL
  SELECT concat_ws('|', 'fodelseland', CAST(ar AS VARCHAR), indikator, niva, region) AS set_id, cell_id
  FROM cells WHERE grupp IN ('totalt', 'inrikes', 'utrikes')
  UNION ALL
  SELECT concat_ws('|', 'stadsdelar', CAST(c.ar AS VARCHAR), c.indikator, c.grupp, r.overordnad) AS set_id,
         c.cell_id
  FROM cells c JOIN regioner r ON r.ar = c.ar AND r.kod = c.region
  WHERE c.niva = 'stadsdel' AND r.niva = 'stadsdel' AND r.overordnad IS NOT NULL
  UNION ALL
  SELECT concat_ws('|', 'stadsdelar', CAST(c.ar AS VARCHAR), c.indikator, c.grupp, c.region) AS set_id,
         c.cell_id
  FROM cells c JOIN kommuner_med_stadsdelar k ON k.ar = c.ar AND k.kommun = c.region
  WHERE c.niva = 'kommun'
), linked AS (
  SELECT set_id FROM raw GROUP BY set_id HAVING COUNT(*) >= 2
)
SELECT CAST(raw.set_id AS VARCHAR) AS set_id, raw.cell_id
FROM raw JOIN linked ON linked.set_id = raw.set_id";

/// Sets with exactly one hidden cell, which is suppressed; with that cell's key.
pub(crate) const UNSAFE_SQL: &str = "
WITH counts AS (
  SELECT m.set_id,
         SUM(CASE WHEN c.status <> '' THEN 1 ELSE 0 END) AS hidden,
         SUM(CASE WHEN c.status = '..' THEN 1 ELSE 0 END) AS suppressed
  FROM members m JOIN cells c ON c.cell_id = m.cell_id
  GROUP BY m.set_id
)
SELECT counts.set_id, c.ar, c.indikator, c.niva, c.region, c.grupp
FROM counts
JOIN members m ON m.set_id = counts.set_id
JOIN cells c ON c.cell_id = m.cell_id
WHERE counts.hidden = 1 AND counts.suppressed = 1 AND c.status = '..'
ORDER BY counts.set_id";

/// For every unsafe set, the published cell to suppress next: the smallest by numerator
/// (`storlek`), ties broken by the lowest region code, then the lowest group name.
pub(crate) const NEXT_SMALLEST_SQL: &str = "
WITH counts AS (
  SELECT m.set_id,
         SUM(CASE WHEN c.status <> '' THEN 1 ELSE 0 END) AS hidden,
         SUM(CASE WHEN c.status = '..' THEN 1 ELSE 0 END) AS suppressed
  FROM members m JOIN cells c ON c.cell_id = m.cell_id
  GROUP BY m.set_id
), ranked AS (
  SELECT c.cell_id,
         ROW_NUMBER() OVER (
           PARTITION BY m.set_id
           ORDER BY c.storlek ASC NULLS LAST, c.region ASC, c.grupp ASC
         ) AS rn
  FROM counts
  JOIN members m ON m.set_id = counts.set_id
  JOIN cells c ON c.cell_id = m.cell_id
  WHERE counts.hidden = 1 AND counts.suppressed = 1 AND c.status = ''
)
SELECT DISTINCT cell_id FROM ranked WHERE rn = 1";
