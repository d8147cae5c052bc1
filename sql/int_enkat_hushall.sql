-- Households per case worker per respondent (rule households_per_case_worker).
-- hushall_per_manad: distinct households with a paid month (belopp_kr > 0), summed over the months
--   of the year and divided by 12; a stadsdel respondent counts its district's households
--   (register.kommun || register.distrikt = stadsdel code), a kommun respondent its whole kommun.
--   Null when the kommun is bortfall (its register lacks one of the 12 months, domain.md).
-- arsarbetare: the FTEs answered (tal, decimal comma allowed), null when no valid answer.
-- kvot: hushall_per_manad / arsarbetare; null (published '-') when the questionnaire was not
--   returned, the answer is blank or invalid, the kommun is bortfall, or arsarbetare = 0.
WITH rapporterande AS (
    SELECT kommun
    FROM register
    WHERE ar = $year
    GROUP BY kommun
    HAVING COUNT(DISTINCT manad) = 12
),
betalda AS (
    SELECT
        kommun,
        CASE WHEN distrikt IS NOT NULL THEN kommun || distrikt END AS stadsdel,
        manad,
        hushall_id
    FROM register
    WHERE ar = $year AND belopp_kr > 0
),
per_enhet AS (
    SELECT enhet, CAST(SUM(hushall) AS DOUBLE) / 12 AS hushall_per_manad
    FROM (
        SELECT kommun AS enhet, manad, COUNT(DISTINCT hushall_id) AS hushall
        FROM betalda
        GROUP BY kommun, manad
        UNION ALL
        SELECT stadsdel, manad, COUNT(DISTINCT hushall_id)
        FROM betalda
        WHERE stadsdel IS NOT NULL
        GROUP BY stadsdel, manad
    ) enhet_manad
    GROUP BY enhet
),
underlag AS (
    SELECT
        r.ar,
        r.respondent,
        i.indikator,
        i.fraga,
        r.inkommit,
        CASE WHEN k.kommun IS NOT NULL THEN COALESCE(h.hushall_per_manad, 0) END
            AS hushall_per_manad,
        CASE WHEN r.inkommit AND s.giltigt THEN s.tal END AS arsarbetare
    FROM int_enkat_respondenter r
    JOIN enkat_indikatorer i
        ON i.ar = r.ar AND i.regel = 'households_per_case_worker'
    LEFT JOIN rapporterande k ON k.kommun = r.kommun
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
