-- int_region: every region published for year Y = $year, with its name and whether its register
-- indicators are missing because of bortfall.
--
-- riket, län, kommuner and stadsdelar come from Y's regions. Kommungrupper are the SKR 2017 groups
-- (A1–C9) present among Y's kommuner, named with SKR's Swedish names; storleksklasser are the size
-- classes present (int_kommun), named in words.
-- bortfall = 1: a bortfall kommun, a stadsdel of one, or a län holding one (their register
-- indicators are published as '-'). Riket, kommungrupp and storleksklass are computed over the
-- reporting kommuner, so they are missing only when every one of their kommuner is bortfall.
SELECT r.ar, 'riket' AS niva, r.kod AS region, r.namn AS regionnamn, 0 AS bortfall
FROM regioner r
WHERE r.ar = $year AND r.niva = 'riket'
UNION ALL
SELECT r.ar, 'lan', r.kod, r.namn, COALESCE(k.bortfall, 0)
FROM regioner r
LEFT JOIN (
    SELECT lan, MAX(bortfall) AS bortfall FROM int_kommun GROUP BY lan
) k ON k.lan = r.kod
WHERE r.ar = $year AND r.niva = 'lan'
UNION ALL
SELECT r.ar, 'kommun', r.kod, r.namn, k.bortfall
FROM regioner r
JOIN int_kommun k ON k.kommun = r.kod
WHERE r.ar = $year AND r.niva = 'kommun'
UNION ALL
SELECT r.ar, 'stadsdel', r.kod, r.namn, k.bortfall
FROM regioner r
JOIN int_kommun k ON k.kommun = r.overordnad
WHERE r.ar = $year AND r.niva = 'stadsdel'
UNION ALL
SELECT CAST($year AS BIGINT), 'kommungrupp', kommungrupp,
    CASE kommungrupp
        WHEN 'A1' THEN 'Storstäder'
        WHEN 'A2' THEN 'Pendlingskommun nära storstad'
        WHEN 'B3' THEN 'Större stad'
        WHEN 'B4' THEN 'Pendlingskommun nära större stad'
        WHEN 'B5' THEN 'Lågpendlingskommun nära större stad'
        WHEN 'C6' THEN 'Mindre stad/tätort'
        WHEN 'C7' THEN 'Pendlingskommun nära mindre stad/tätort'
        WHEN 'C8' THEN 'Landsbygdskommun'
        WHEN 'C9' THEN 'Landsbygdskommun med besöksnäring'
        ELSE kommungrupp
    END,
    MIN(bortfall)
FROM int_kommun
WHERE kommungrupp IS NOT NULL
GROUP BY kommungrupp
UNION ALL
SELECT CAST($year AS BIGINT), 'storleksklass', storleksklass,
    CASE storleksklass
        WHEN '<15000' THEN 'Färre än 15 000 invånare'
        WHEN '15000-49999' THEN '15 000–49 999 invånare'
        WHEN '50000-199999' THEN '50 000–199 999 invånare'
        ELSE '200 000 invånare eller fler'
    END,
    MIN(bortfall)
FROM int_kommun
GROUP BY storleksklass
