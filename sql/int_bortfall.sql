-- int_bortfall: the kommuner that are bortfall (non-reporting) in year Y = $year.
--
-- A kommun is bortfall when its register drop for Y lacks any of the 12 months. Every reporting
-- kommun sends at least one row per month (a row with belopp_kr = 0 is a nil report and counts as
-- reported), so a month without any row means the kommun did not report it. A kommun of Y's
-- regions with no register rows at all is bortfall too.
--
-- Columns: ar, kommun.
WITH rapporterade AS (
    SELECT kommun, COUNT(DISTINCT manad) AS manader
    FROM register
    WHERE ar = $year
    GROUP BY kommun
)
SELECT r.ar, r.kod AS kommun
FROM regioner r
LEFT JOIN rapporterade m ON m.kommun = r.kod
WHERE r.ar = $year
  AND r.niva = 'kommun'
  AND COALESCE(m.manader, 0) < 12
