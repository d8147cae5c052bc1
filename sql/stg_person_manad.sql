-- stg_person_manad: the paid person-months (persons aged 16+), one row per person listed on a
-- paid household-month.
--
-- The register lists up to five persons 16+ per household-month in the columns pnr1…pnr5 (with
-- kon, alder, utrikes); this model turns them into rows ("unpivot"). Only paid months
-- (belopp_kr > 0) of the window Y-($very_long_term_window_years - 1) … Y are kept. Children under
-- 16 are not persons here: they are only the count barn_under_16 of stg_hushall_manad.
--
-- `plats` as in stg_hushall_manad: stadsdel code when the row has a district, else kommun code.
-- kon: 1 man, 2 kvinna; utrikes: 1 born abroad; alder: the age reported that month.
WITH betalda AS (
    SELECT
        *,
        CASE WHEN distrikt IS NULL THEN kommun ELSE kommun || distrikt END AS plats
    FROM register
    WHERE ar BETWEEN $year - $very_long_term_window_years + 1 AND $year
      AND belopp_kr > 0
)
SELECT ar, manad, kommun, plats, hushall_id, pnr1 AS pnr, kon1 AS kon, alder1 AS alder, utrikes1 AS utrikes
FROM betalda WHERE pnr1 IS NOT NULL
UNION ALL
SELECT ar, manad, kommun, plats, hushall_id, pnr2, kon2, alder2, utrikes2
FROM betalda WHERE pnr2 IS NOT NULL
UNION ALL
SELECT ar, manad, kommun, plats, hushall_id, pnr3, kon3, alder3, utrikes3
FROM betalda WHERE pnr3 IS NOT NULL
UNION ALL
SELECT ar, manad, kommun, plats, hushall_id, pnr4, kon4, alder4, utrikes4
FROM betalda WHERE pnr4 IS NOT NULL
UNION ALL
SELECT ar, manad, kommun, plats, hushall_id, pnr5, kon5, alder5, utrikes5
FROM betalda WHERE pnr5 IS NOT NULL
