-- int_region_tillhorighet: which regions each place of the register belongs to, per year.
--
-- A place (`plats`) is a kommun code, or a stadsdel code when the register row carries a district,
-- in the codes of the row's own year (history years Y-1, Y-2 keep their own kommun and district
-- codes). One row per (ar, plats, niva, region), with the region's number `nr` (below):
--   kommun         the row's kommun code
--   stadsdel       the stadsdel code, only when the row carries a district
--   lan            the kommun's län in Y's regions (a history kommun code unknown in Y falls back to
--                  its first two digits, which is its län code)
--   riket          '00'
--   kommungrupp    the kommun's group in Y's regions
--   storleksklass  the kommun's size class by its population 31 December Y
-- Bortfall: the Y rows of a bortfall kommun are not part of riket, kommungrupp or storleksklass
-- (those are computed over reporting kommuner only); they stay in kommun, stadsdel and län, whose
-- register indicators are published as missing ('-'). History years are used as they are.
WITH platser AS (
    SELECT DISTINCT ar, plats
    FROM int_hushall_plats
),
grupper AS (
    SELECT
        p.ar,
        substr(p.plats, 1, 4) AS kommun,
        p.plats,
        COALESCE(k.lan, substr(p.plats, 1, 2)) AS lan,
        k.kommungrupp,
        k.storleksklass,
        CASE WHEN p.ar = $year AND k.bortfall = 1 THEN 0 ELSE 1 END AS i_summor
    FROM platser p
    LEFT JOIN int_kommun k ON k.kommun = substr(p.plats, 1, 4)
),
tillhorighet AS (
SELECT g.ar, g.plats, n.niva,
    CASE n.niva
        WHEN 'kommun' THEN g.kommun
        WHEN 'stadsdel' THEN g.plats
        WHEN 'lan' THEN g.lan
        WHEN 'riket' THEN '00'
        WHEN 'kommungrupp' THEN g.kommungrupp
        ELSE g.storleksklass
    END AS region
FROM grupper g
CROSS JOIN (
    VALUES ('kommun'), ('stadsdel'), ('lan'), ('riket'), ('kommungrupp'), ('storleksklass')
) AS n (niva)
WHERE (n.niva IN ('kommun', 'lan'))
   OR (n.niva = 'stadsdel' AND g.plats <> g.kommun)
   OR (n.niva = 'riket' AND g.i_summor = 1)
   OR (n.niva = 'kommungrupp' AND g.i_summor = 1 AND g.kommungrupp IS NOT NULL)
   OR (n.niva = 'storleksklass' AND g.i_summor = 1 AND g.storleksklass IS NOT NULL)
)
-- nr: the region (niva, region) as one number, the same in every row of the region, so that the
-- large steps of int_person_region_ar and int_hushall_region_ar group by (number, id) instead of
-- three texts and join the names back at the end. A 64-bit integer (DENSE_RANK gives an unsigned
-- one, and unsigned times signed arithmetic is carried out in decimals).
SELECT ar, plats, niva, region, CAST(DENSE_RANK() OVER (ORDER BY niva, region) AS BIGINT) AS nr
FROM tillhorighet
