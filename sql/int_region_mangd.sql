-- int_region_mangd: which set of regions each place of the register belongs to, as one number, per
-- year Y-($very_long_term_window_years - 1) … Y of the window (Y = $year).
--
-- One row per (ar, plats) of int_region_tillhorighet with `mangd`: two rows share a number exactly
-- when their places belong to the same regions (the same region numbers `nr`, every level). The
-- same place in two years usually shares its number; a bortfall kommun's places in Y do not (they
-- are outside riket, kommungrupp and storleksklass in Y only). int_person_region_nyckel uses it to
-- give a person whose rows all lie in one set of regions a row in each of them without grouping.
SELECT
    ar,
    plats,
    CAST(DENSE_RANK() OVER (ORDER BY regioner) AS BIGINT) AS mangd
FROM (
    SELECT ar, plats, string_agg(CAST(nr AS VARCHAR), ',' ORDER BY nr) AS regioner
    FROM int_region_tillhorighet
    GROUP BY ar, plats
)
