-- ind_bakgrund: the seven background measures of year Y = $year per kommun, län, riket and
-- kommungrupp (group totalt), in the indicator-row shape, values unrounded.
--
-- Numerators come from the background drop (bakgrund, one row per kommun), denominators from
-- int_befolkning (urval 'alla': background measures are not affected by register bortfall):
--   bak_lag_inkomst                 lag_inkomst_18_64          / population 18–64
--   bak_arbetslosa                  arbetslosa_18_64           / population 18–64
--   bak_arbetslosa_utan_ersattning  arbetslosa_utan_ers_18_64  / population 18–64
--   bak_lag_utbildning              forgymn_inrikes_25_64      / born in Sweden 25–64
--   bak_utrikes_0_5                 utrikes_vist_0_5_18_64     / population 18–64
--   bak_utrikes_6_10                utrikes_vist_6_10_18_64    / population 18–64
--   bak_unga_vuxna                  population 18–24           / population 18–64
-- Län, riket and kommungrupp values are ratios of sums over their kommuner, never means of kommun
-- ratios. The six drop-based measures sum numerator and denominator over the kommuner that have a
-- row in the background drop; a region where no kommun has one gets status '-'. A zero
-- denominator gives '.'. varde = 100 * taljare / namnare.
WITH kommun AS (
    SELECT
        k.kommun,
        k.lan,
        k.kommungrupp,
        CASE WHEN b.kommun IS NULL THEN 0 ELSE 1 END AS har_bakgrund,
        COALESCE(f.folk_18_64, 0) AS folk_18_64,
        COALESCE(f.folk_inrikes_25_64, 0) AS folk_inrikes_25_64,
        COALESCE(f.folk_18_24, 0) AS folk_18_24,
        b.lag_inkomst_18_64,
        b.arbetslosa_18_64,
        b.arbetslosa_utan_ers_18_64,
        b.forgymn_inrikes_25_64,
        b.utrikes_vist_0_5_18_64,
        b.utrikes_vist_6_10_18_64
    FROM int_kommun k
    LEFT JOIN int_befolkning f
        ON f.urval = 'alla' AND f.niva = 'kommun' AND f.region = k.kommun AND f.grupp = 'totalt'
    LEFT JOIN bakgrund b ON b.ar = $year AND b.kommun = k.kommun
),
tillhorighet AS (
    SELECT kommun, 'kommun' AS niva, kommun AS region FROM int_kommun
    UNION ALL
    SELECT kommun, 'lan', lan FROM int_kommun
    UNION ALL
    SELECT kommun, 'riket', '00' FROM int_kommun
    UNION ALL
    SELECT kommun, 'kommungrupp', kommungrupp FROM int_kommun WHERE kommungrupp IS NOT NULL
),
nivaer AS (
    SELECT t.niva, t.region, k.*
    FROM tillhorighet t
    JOIN kommun k ON k.kommun = t.kommun
),
summor AS (
    SELECT
        niva,
        region,
        MAX(har_bakgrund) AS har_bakgrund,
        SUM(folk_18_64) AS folk_18_64,
        SUM(folk_18_24) AS folk_18_24,
        SUM(CASE WHEN har_bakgrund = 1 THEN folk_18_64 ELSE 0 END) AS folk_18_64_med_bakgrund,
        SUM(CASE WHEN har_bakgrund = 1 THEN folk_inrikes_25_64 ELSE 0 END)
            AS folk_inrikes_25_64_med_bakgrund,
        SUM(lag_inkomst_18_64) AS lag_inkomst_18_64,
        SUM(arbetslosa_18_64) AS arbetslosa_18_64,
        SUM(arbetslosa_utan_ers_18_64) AS arbetslosa_utan_ers_18_64,
        SUM(forgymn_inrikes_25_64) AS forgymn_inrikes_25_64,
        SUM(utrikes_vist_0_5_18_64) AS utrikes_vist_0_5_18_64,
        SUM(utrikes_vist_6_10_18_64) AS utrikes_vist_6_10_18_64
    FROM nivaer
    GROUP BY niva, region
),
indikatorer AS (
    SELECT niva, region, 'bak_lag_inkomst' AS indikator, har_bakgrund AS har_data,
        CAST(lag_inkomst_18_64 AS DOUBLE) AS taljare_,
        CAST(folk_18_64_med_bakgrund AS DOUBLE) AS namnare_
    FROM summor
    UNION ALL
    SELECT niva, region, 'bak_arbetslosa', har_bakgrund, CAST(arbetslosa_18_64 AS DOUBLE),
        CAST(folk_18_64_med_bakgrund AS DOUBLE)
    FROM summor
    UNION ALL
    SELECT niva, region, 'bak_arbetslosa_utan_ersattning', har_bakgrund,
        CAST(arbetslosa_utan_ers_18_64 AS DOUBLE), CAST(folk_18_64_med_bakgrund AS DOUBLE)
    FROM summor
    UNION ALL
    SELECT niva, region, 'bak_lag_utbildning', har_bakgrund,
        CAST(forgymn_inrikes_25_64 AS DOUBLE), CAST(folk_inrikes_25_64_med_bakgrund AS DOUBLE)
    FROM summor
    UNION ALL
    SELECT niva, region, 'bak_utrikes_0_5', har_bakgrund, CAST(utrikes_vist_0_5_18_64 AS DOUBLE),
        CAST(folk_18_64_med_bakgrund AS DOUBLE)
    FROM summor
    UNION ALL
    SELECT niva, region, 'bak_utrikes_6_10', har_bakgrund,
        CAST(utrikes_vist_6_10_18_64 AS DOUBLE), CAST(folk_18_64_med_bakgrund AS DOUBLE)
    FROM summor
    UNION ALL
    SELECT niva, region, 'bak_unga_vuxna', 1, CAST(folk_18_24 AS DOUBLE),
        CAST(folk_18_64 AS DOUBLE)
    FROM summor
),
med_status AS (
    SELECT
        i.*,
        r.ar,
        r.regionnamn,
        CASE
            WHEN i.har_data = 0 THEN '-'
            WHEN i.namnare_ = 0 THEN '.'
            ELSE ''
        END AS status
    FROM indikatorer i
    JOIN int_region r ON r.niva = i.niva AND r.region = i.region
)
SELECT
    ar,
    indikator,
    niva,
    region,
    regionnamn,
    'totalt' AS grupp,
    CASE WHEN status = '' THEN 100.0 * taljare_ / namnare_ END AS varde,
    CASE WHEN status = '' THEN taljare_ END AS taljare,
    CASE WHEN status = '' THEN namnare_ END AS namnare,
    status
FROM med_status
