-- int_befolkning: population per region, level and group – the denominators.
--
-- From befolkning (31 December). Kommun rows cover the whole kommun and are summed to län, riket,
-- kommungrupp and storleksklass with Y's regions (int_kommun); stadsdel rows give the stadsdelar.
-- One row per (urval, niva, region, grupp):
--   urval  'alla'           every kommun (background measures)
--          'rapporterande'  bortfall kommuner and their stadsdelar left out (register indicators:
--                           riket, kommungrupp and storleksklass count reporting kommuner only)
--   grupp  totalt, kvinnor (kon 2), man (kon 1), inrikes (utrikes_fodd 0), utrikes (utrikes_fodd 1)
-- Columns (31 December Y = $year unless said):
--   folk                all ages
--   folk_vuxna          aged $adult_min_age and over
--   folk_unga_vuxna     aged $young_adult_min_age–$young_adult_max_age
--   folk_barn           aged 0–$child_max_age
--   folk_18_24          aged 18–24 (bak_unga_vuxna's age band)
--   folk_18_64          aged 18–64 (the background drop's age band)
--   folk_inrikes_25_64  born in Sweden, aged 25–64 (the background drop's age band)
--   folk_foregaende_ar  all ages, 31 December Y-1 (null when Y-1 has no population rows)
WITH rader AS (
    SELECT ar, region AS kod, kon, alder, utrikes_fodd, antal
    FROM befolkning
    WHERE ar BETWEEN $year - 1 AND $year
),
rader_grupp AS (
    SELECT ar, kod, 'totalt' AS grupp, alder, utrikes_fodd, antal FROM rader
    UNION ALL
    SELECT ar, kod, CASE WHEN kon = 2 THEN 'kvinnor' ELSE 'man' END, alder, utrikes_fodd, antal
    FROM rader
    UNION ALL
    SELECT ar, kod, CASE WHEN utrikes_fodd = 1 THEN 'utrikes' ELSE 'inrikes' END, alder,
        utrikes_fodd, antal
    FROM rader
),
per_kod AS (
    SELECT
        kod,
        grupp,
        SUM(CASE WHEN ar = $year THEN antal ELSE 0 END) AS folk,
        SUM(CASE WHEN ar = $year AND alder >= $adult_min_age THEN antal ELSE 0 END) AS folk_vuxna,
        SUM(CASE WHEN ar = $year AND alder BETWEEN $young_adult_min_age AND $young_adult_max_age
            THEN antal ELSE 0 END) AS folk_unga_vuxna,
        SUM(CASE WHEN ar = $year AND alder <= $child_max_age THEN antal ELSE 0 END) AS folk_barn,
        SUM(CASE WHEN ar = $year AND alder BETWEEN 18 AND 24 THEN antal ELSE 0 END) AS folk_18_24,
        SUM(CASE WHEN ar = $year AND alder BETWEEN 18 AND 64 THEN antal ELSE 0 END) AS folk_18_64,
        SUM(CASE WHEN ar = $year AND alder BETWEEN 25 AND 64 AND utrikes_fodd = 0
            THEN antal ELSE 0 END) AS folk_inrikes_25_64,
        SUM(CASE WHEN ar = $year - 1 THEN antal END) AS folk_foregaende_ar
    FROM rader_grupp
    GROUP BY kod, grupp
),
tillhorighet AS (
    SELECT kommun AS kod, 'kommun' AS niva, kommun AS region, bortfall FROM int_kommun
    UNION ALL
    SELECT kommun, 'lan', lan, bortfall FROM int_kommun
    UNION ALL
    SELECT kommun, 'riket', '00', bortfall FROM int_kommun
    UNION ALL
    SELECT kommun, 'kommungrupp', kommungrupp, bortfall FROM int_kommun
    WHERE kommungrupp IS NOT NULL
    UNION ALL
    SELECT kommun, 'storleksklass', storleksklass, bortfall FROM int_kommun
    UNION ALL
    SELECT s.kod, 'stadsdel', s.kod AS stadsdel, k.bortfall
    FROM regioner s
    JOIN int_kommun k ON k.kommun = s.overordnad
    WHERE s.ar = $year AND s.niva = 'stadsdel'
),
urval AS (
    SELECT 'alla' AS urval, 1 AS med_bortfall
    UNION ALL
    SELECT 'rapporterande', 0
)
SELECT
    u.urval,
    t.niva,
    t.region,
    p.grupp,
    SUM(p.folk) AS folk,
    SUM(p.folk_vuxna) AS folk_vuxna,
    SUM(p.folk_unga_vuxna) AS folk_unga_vuxna,
    SUM(p.folk_barn) AS folk_barn,
    SUM(p.folk_18_24) AS folk_18_24,
    SUM(p.folk_18_64) AS folk_18_64,
    SUM(p.folk_inrikes_25_64) AS folk_inrikes_25_64,
    SUM(p.folk_foregaende_ar) AS folk_foregaende_ar
FROM per_kod p
JOIN tillhorighet t ON t.kod = p.kod
CROSS JOIN urval u
WHERE t.bortfall = 0 OR u.med_bortfall = 1
GROUP BY u.urval, t.niva, t.region, p.grupp
