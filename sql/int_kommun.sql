-- int_kommun: every kommun of year Y = $year with the groups it belongs to that year.
--
-- lan and kommungrupp come from Y's regions (regioner). befolkning is the kommun's population on
-- 31 December Y (kommun rows of befolkning); storleksklass is the size class by that population:
--   '<15000'        fewer than 15 000 inhabitants
--   '15000-49999'   15 000 – 49 999
--   '50000-199999'  50 000 – 199 999
--   '>=200000'      200 000 or more
-- bortfall = 1 when the kommun is in int_bortfall (did not report all 12 months of Y).
WITH kommuner AS (
    SELECT kod AS kommun, overordnad AS lan, kommungrupp
    FROM regioner
    WHERE ar = $year AND niva = 'kommun'
),
folk AS (
    SELECT region AS kommun, SUM(antal) AS befolkning
    FROM befolkning
    WHERE ar = $year
    GROUP BY region
)
SELECT
    k.kommun,
    k.lan,
    k.kommungrupp,
    COALESCE(f.befolkning, 0) AS befolkning,
    CASE
        WHEN COALESCE(f.befolkning, 0) < 15000 THEN '<15000'
        WHEN f.befolkning < 50000 THEN '15000-49999'
        WHEN f.befolkning < 200000 THEN '50000-199999'
        ELSE '>=200000'
    END AS storleksklass,
    CASE WHEN b.kommun IS NULL THEN 0 ELSE 1 END AS bortfall
FROM kommuner k
LEFT JOIN folk f ON f.kommun = k.kommun
LEFT JOIN int_bortfall b ON b.kommun = k.kommun
