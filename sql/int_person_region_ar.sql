-- int_person_region_ar: every recipient aged 16+ of year Y = $year, per region at every level,
-- with the paid months counted within that region.
--
-- Counting is level-specific: a region counts the distinct calendar months in which the person was
-- listed on a paid household-month *in that region*. A person in two households, or two kommuner,
-- in the same month has that month once per region (once in the län that holds both kommuner).
--   manader_ar       paid months in Y in the region (1–12)
--   manader_fonster  paid months in Y-($very_long_term_window_years - 1) … Y in the region, each
--                    history year counted with that year's own kommun and district codes
-- Only persons with at least one paid month in Y in the region are recipients there (rows with
-- manader_ar > 0). Person attributes (kon, alder, utrikes) come from int_person_attribut.
--
-- How months are counted: per person, year and place the paid months are collected as a set of
-- 12 bits (bit m-1 set = month m paid, built with bit_or); sets of the places in one region are
-- merged with bit_or, and the months are the number of bits set. This gives distinct months
-- without a DISTINCT over every person-month and region.
WITH plats_ar AS (
    SELECT pnr, ar, plats, bit_or(1 << (manad - 1)) AS manader
    FROM stg_person_manad
    GROUP BY pnr, ar, plats
),
region_ar AS (
    SELECT t.niva, t.region, p.pnr, p.ar, bit_or(p.manader) AS manader
    FROM plats_ar p
    JOIN int_region_tillhorighet t ON t.ar = p.ar AND t.plats = p.plats
    GROUP BY t.niva, t.region, p.pnr, p.ar
),
antal AS (
    SELECT
        niva,
        region,
        pnr,
        ar,
        (manader & 1) + ((manader >> 1) & 1) + ((manader >> 2) & 1) + ((manader >> 3) & 1)
            + ((manader >> 4) & 1) + ((manader >> 5) & 1) + ((manader >> 6) & 1)
            + ((manader >> 7) & 1) + ((manader >> 8) & 1) + ((manader >> 9) & 1)
            + ((manader >> 10) & 1) + ((manader >> 11) & 1) AS antal_manader
    FROM region_ar
),
per_region AS (
    SELECT
        niva,
        region,
        pnr,
        SUM(CASE WHEN ar = $year THEN antal_manader ELSE 0 END) AS manader_ar,
        SUM(antal_manader) AS manader_fonster
    FROM antal
    GROUP BY niva, region, pnr
)
SELECT r.niva, r.region, r.pnr, a.kon, a.alder, a.utrikes, r.manader_ar, r.manader_fonster
FROM per_region r
JOIN int_person_attribut a ON a.pnr = r.pnr
WHERE r.manader_ar > 0
