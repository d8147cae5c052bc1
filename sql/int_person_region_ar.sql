-- int_person_region_ar: every recipient aged 16+ of year Y = $year, per region at every level,
-- with the paid months counted within that region.
--
-- Counting is level-specific: a region counts the distinct calendar months in which the person was
-- listed on a paid household-month *in that region*. A person in two households, or two kommuner,
-- in the same month has that month once per region (once in the län that holds both kommuner).
--   manader_ar       paid months in Y in the region (1–12)
--   manader_fonster  paid months in the window Y-($very_long_term_window_years - 1) … Y in the
--                    region, each history year counted with that year's own kommun and district
--                    codes (int_region_tillhorighet)
-- Only persons with at least one paid month in Y in the region are recipients there (rows with
-- manader_ar > 0). Person attributes (kon, alder, utrikes) come from int_person_attribut.
--
-- The months are counted by number in int_person_region_nyckel (how: there). Here the region's
-- level and code and the person's attributes are joined on; the person is `lopnr`, the number
-- int_person_attribut gives each pnr (its pnr is there). No reader needs the pnr text here, and
-- carrying it through the joins and into the file cost a fifth of this model's time (session 12,
-- docs/benchmarks.md). The counted rows are a stored table, so DataFusion knows their number:
-- the two lookups (regions, 354 rows; persons of the year, 275 K at national size) are the build
-- sides and the 1.4 M counted rows stream past them.
-- Within one query the estimate of the counted rows came out at under a thousand and they became
-- the build side of both joins (1.1 GB at ten times national size; docs/benchmarks.md).
WITH regioner AS (
    SELECT DISTINCT nr, niva, region FROM int_region_tillhorighet
)
SELECT r.niva, r.region, s.lopnr, a.kon, a.alder, a.utrikes, s.manader_ar, s.manader_fonster
FROM int_person_region_nyckel s
JOIN int_person_attribut a ON a.lopnr = s.lopnr
JOIN regioner r ON r.nr = s.nr
