-- Survey indicators in the long indicator-row shape (HELPERS.md), before disclosure control.
--
-- Per respondent (niva kommun / stadsdel): share indicators varde 1 (Ja, fulfilled) or 0 (Nej),
--   taljare and namnare null; status '-' when no answer or not returned. Households per case
--   worker: varde = kvot, taljare = households per month, namnare = FTEs; '-' when kvot is null.
-- Per riket, län, kommungrupp, storleksklass (a stadsdel counts in its kommun's groups):
--   shares: varde = 100 * fulfilling / responding units, taljare = fulfilling, namnare = units
--     that answered the question; with no responding unit the row is '-' with null taljare and
--     namnare.
--   households per case worker: ratio of sums over respondents with a kvot (positive FTEs,
--     reporting kommun); '-' when none. Per län also the lowest and highest respondent kvot
--     (regel households_per_case_worker_min / _max); taljare and namnare null.
--   response rate: varde = 100 * returned / respondents.
WITH andelar AS (
    SELECT
        p.ar, p.indikator, m.niva, m.region, m.regionnamn,
        SUM(p.poang) AS uppfyllda,
        COUNT(p.poang) AS svarande
    FROM int_enkat_poang p
    JOIN int_enkat_medlemskap m ON m.respondent = p.respondent
    GROUP BY p.ar, p.indikator, m.niva, m.region, m.regionnamn
),
kvoter AS (
    SELECT
        h.ar, h.indikator, h.fraga, m.niva, m.region, m.regionnamn,
        SUM(CASE WHEN h.kvot IS NOT NULL THEN h.hushall_per_manad END) AS hushall,
        SUM(CASE WHEN h.kvot IS NOT NULL THEN h.arsarbetare END) AS arsarbetare,
        MIN(h.kvot) AS lagsta,
        MAX(h.kvot) AS hogsta
    FROM int_enkat_hushall h
    JOIN int_enkat_medlemskap m ON m.respondent = h.respondent
    GROUP BY h.ar, h.indikator, h.fraga, m.niva, m.region, m.regionnamn
),
spann AS (
    SELECT
        k.ar, i.indikator, k.niva, k.region, k.regionnamn,
        CASE WHEN i.regel = 'households_per_case_worker_min' THEN k.lagsta ELSE k.hogsta END
            AS varde
    FROM kvoter k
    JOIN enkat_indikatorer i
        ON i.ar = k.ar
        AND i.fraga = k.fraga
        AND i.regel IN ('households_per_case_worker_min', 'households_per_case_worker_max')
    WHERE k.niva = 'lan'
),
svarsfrekvens AS (
    SELECT
        r.ar, i.indikator, m.niva, m.region, m.regionnamn,
        SUM(CASE WHEN r.inkommit THEN 1 ELSE 0 END) AS inkomna,
        COUNT(*) AS respondenter
    FROM int_enkat_respondenter r
    JOIN int_enkat_medlemskap m ON m.respondent = r.respondent
    JOIN enkat_indikatorer i ON i.ar = r.ar AND i.regel = 'response_rate'
    GROUP BY r.ar, i.indikator, m.niva, m.region, m.regionnamn
)
SELECT
    r.ar, p.indikator, r.niva, r.respondent AS region, r.regionnamn, 'totalt' AS grupp,
    CAST(p.poang AS DOUBLE) AS varde,
    CAST(NULL AS DOUBLE) AS taljare,
    CAST(NULL AS DOUBLE) AS namnare,
    CASE WHEN p.poang IS NULL THEN '-' ELSE '' END AS status
FROM int_enkat_poang p
JOIN int_enkat_respondenter r ON r.respondent = p.respondent
UNION ALL
SELECT
    r.ar, h.indikator, r.niva, r.respondent, r.regionnamn, 'totalt',
    h.kvot,
    CASE WHEN h.kvot IS NOT NULL THEN h.hushall_per_manad END,
    CASE WHEN h.kvot IS NOT NULL THEN h.arsarbetare END,
    CASE WHEN h.kvot IS NULL THEN '-' ELSE '' END
FROM int_enkat_hushall h
JOIN int_enkat_respondenter r ON r.respondent = h.respondent
UNION ALL
SELECT
    ar, indikator, niva, region, regionnamn, 'totalt',
    CASE WHEN svarande > 0 THEN 100 * CAST(uppfyllda AS DOUBLE) / CAST(svarande AS DOUBLE) END,
    CASE WHEN svarande > 0 THEN CAST(uppfyllda AS DOUBLE) END,
    CASE WHEN svarande > 0 THEN CAST(svarande AS DOUBLE) END,
    CASE WHEN svarande > 0 THEN '' ELSE '-' END
FROM andelar
UNION ALL
SELECT
    ar, indikator, niva, region, regionnamn, 'totalt',
    CASE WHEN arsarbetare > 0 THEN hushall / arsarbetare END,
    CASE WHEN arsarbetare > 0 THEN hushall END,
    CASE WHEN arsarbetare > 0 THEN arsarbetare END,
    CASE WHEN arsarbetare > 0 THEN '' ELSE '-' END
FROM kvoter
UNION ALL
SELECT
    ar, indikator, niva, region, regionnamn, 'totalt',
    varde,
    CAST(NULL AS DOUBLE),
    CAST(NULL AS DOUBLE),
    CASE WHEN varde IS NULL THEN '-' ELSE '' END
FROM spann
UNION ALL
SELECT
    ar, indikator, niva, region, regionnamn, 'totalt',
    100 * CAST(inkomna AS DOUBLE) / CAST(respondenter AS DOUBLE),
    CAST(inkomna AS DOUBLE),
    CAST(respondenter AS DOUBLE),
    ''
FROM svarsfrekvens
ORDER BY indikator, niva, region
