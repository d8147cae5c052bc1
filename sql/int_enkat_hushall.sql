-- Households per case worker per respondent (rule households_per_case_worker).
-- hushall_per_manad: distinct households with a paid month (belopp_kr > 0), summed over the months
--   of the year and divided by 12; a stadsdel respondent counts its district's households
--   (register.kommun || register.distrikt = stadsdel code), a kommun respondent its whole kommun.
--   Null when the kommun is bortfall (its register lacks one of the 12 months, domain.md).
-- arsarbetare: the FTEs answered (tal, decimal comma allowed), null when no valid answer.
-- kvot: hushall_per_manad / arsarbetare; null (published '-') when the questionnaire was not
--   returned, the answer is blank or invalid, the kommun is bortfall, or arsarbetare = 0.
-- The households come from int_hushall_region_ar: its `manader` is a household's distinct paid
-- months of Y in the region, so summed over a kommun's or stadsdel's households it is the
-- households counted month by month. Bortfall kommuner are those of int_bortfall.
WITH per_enhet AS (
    SELECT region AS enhet, CAST(SUM(manader) AS DOUBLE) / 12 AS hushall_per_manad
    FROM int_hushall_region_ar
    WHERE niva IN ('kommun', 'stadsdel')
    GROUP BY region
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
