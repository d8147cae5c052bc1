-- int_person_mangd: the rows of int_person_plats of every person with a paid month in Y = $year
-- (int_person_attribut), by number, for int_person_region_nyckel:
--   lopnr    the person's number (int_person_attribut.lopnr)
--   mangd    the set of regions the row's place belongs to in the row's year (int_region_mangd)
--   manader  the row's months as bits of the window: bit (year's place in the window) * 12 +
--            (month - 1), so Y's twelve months are the highest twelve bits
-- Persons without a paid month in Y (only in the history years) are left out: they are recipients
-- of no region in Y. Stored once because int_person_region_nyckel reads it twice (DataFusion would
-- run the join on the person id once per reader).
SELECT
    a.lopnr,
    m.mangd,
    p.manader << ((p.ar - ($year - $very_long_term_window_years + 1)) * 12) AS manader
FROM int_person_plats p
JOIN int_person_attribut a ON a.pnr = p.pnr
JOIN int_region_mangd m ON m.ar = p.ar AND m.plats = p.plats
