-- Households per case worker per respondent (rule households_per_case_worker).
-- hushall_per_manad: distinct households with a paid month (belopp_kr > 0), summed over the months
--   of the year and divided by 12; a stadsdel respondent counts its district's households
--   (register.kommun || register.distrikt = stadsdel code), a kommun respondent its whole kommun.
--   Null when the kommun is bortfall (its register lacks one of the 12 months, domain.md).
-- arsarbetare: the FTEs answered (tal, decimal comma allowed), null when no valid answer.
-- kvot: hushall_per_manad / arsarbetare; null (published '-') when the questionnaire was not
--   returned, the answer is blank or invalid, the kommun is bortfall, or arsarbetare = 0.
-- The households come from int_hushall_plats (Y's paid months of each household per place as a
-- 12-bit month set): a household has at most one register row per kommun and month (the
-- register's unique key), so the households of a kommun or stadsdel summed over the months are
-- the month sets' set bits summed over its places. Bortfall kommuner are those of int_bortfall.
WITH manader AS (
    SELECT
        plats,
        (manader & 1) + ((manader >> 1) & 1) + ((manader >> 2) & 1) + ((manader >> 3) & 1)
            + ((manader >> 4) & 1) + ((manader >> 5) & 1) + ((manader >> 6) & 1)
            + ((manader >> 7) & 1) + ((manader >> 8) & 1) + ((manader >> 9) & 1)
            + ((manader >> 10) & 1) + ((manader >> 11) & 1) AS hushallsmanader
    FROM int_hushall_plats
    WHERE ar = $year
),
per_enhet AS (
    SELECT enhet, CAST(SUM(hushallsmanader) AS DOUBLE) / 12 AS hushall_per_manad
    FROM (
        SELECT substr(plats, 1, 4) AS enhet, hushallsmanader
        FROM manader
        UNION ALL
        SELECT plats, hushallsmanader
        FROM manader
        WHERE length(plats) > 4
    ) enhet_manader
    GROUP BY enhet
),
underlag AS (
    SELECT
        r.ar,
        r.respondent,
        i.indikator,
        i.fraga,
        r.inkommit,
        CASE WHEN b.kommun IS NULL THEN COALESCE(h.hushall_per_manad, 0) END
            AS hushall_per_manad,
        CASE WHEN r.inkommit AND s.giltigt THEN s.tal END AS arsarbetare
    FROM int_enkat_respondenter r
    JOIN enkat_indikatorer i
        ON i.ar = r.ar AND i.regel = 'households_per_case_worker'
    LEFT JOIN int_bortfall b ON b.kommun = r.kommun
    LEFT JOIN per_enhet h ON h.enhet = r.respondent
    LEFT JOIN stg_enkat_svar s ON s.respondent = r.respondent AND s.fraga = i.fraga
)
SELECT
    ar, respondent, indikator, fraga, hushall_per_manad, arsarbetare,
    CASE
        WHEN inkommit AND arsarbetare > 0 AND hushall_per_manad IS NOT NULL
            THEN hushall_per_manad / arsarbetare
    END AS kvot
FROM underlag
