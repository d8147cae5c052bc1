-- int_hushall_region_ar: every recipient household of year Y = $year, per region at every level.
--
-- A household belongs to a region when it has a paid month (belopp_kr > 0) there in Y.
--   manader        distinct paid months of the household in Y in the region (a household paid in
--                  two kommuner in the same month has that month once in their län)
--   barn_under_16  the largest count of children under 16 over the household's paid months in the
--                  region (children have no id, so each household's children are counted once, at
--                  their largest number)
--   belopp_kr      kronor paid to the household in Y in the region, as DECIMAL(38, 0): sums of
--                  64-bit amounts in it cannot overflow (an Int64 sum would wrap silently)
-- Months are counted with 12-bit month sets (int_hushall_plats.manader): bit_or over the places of a
-- region keeps each month once.
WITH plats AS (
    SELECT hushall_id, plats, manader, barn_under_16, belopp_kr
    FROM int_hushall_plats
    WHERE ar = $year
),
-- Regions as numbers (int_region_tillhorighet.nr): the grouping is by (number, household) instead
-- of three texts; the names are joined back at the end, the small lookup written first so that it
-- is the join's build side.
-- Most households are paid in one place in Y (98 % at national size): int_region_tillhorighet maps a
-- place to at most one region of each level, so such a household has exactly one row in each of
-- its regions and its rows pass through as they are. Only the households paid in more than one
-- place (`flera`) are grouped per region. (Grouping every (region, household) pair – 1.1 M at
-- national size, 11 M at ten times – spilled at ten times; docs/benchmarks.md, session 10.)
regioner AS (
    SELECT DISTINCT nr, niva, region FROM int_region_tillhorighet WHERE ar = $year
),
flera AS (
    SELECT hushall_id FROM plats GROUP BY hushall_id HAVING COUNT(*) > 1
),
markerade AS (
    SELECT t.nr, p.hushall_id, p.manader, p.barn_under_16, p.belopp_kr,
        f.hushall_id IS NOT NULL AS flera
    FROM plats p
    LEFT JOIN flera f ON f.hushall_id = p.hushall_id
    JOIN int_region_tillhorighet t ON t.ar = $year AND t.plats = p.plats
),
region AS (
    SELECT nr, hushall_id, manader, barn_under_16, belopp_kr
    FROM markerade
    WHERE NOT flera
    UNION ALL
    SELECT
        nr,
        hushall_id,
        bit_or(manader) AS manader,
        MAX(barn_under_16) AS barn_under_16,
        SUM(belopp_kr) AS belopp_kr
    FROM markerade
    WHERE flera
    GROUP BY nr, hushall_id
)
SELECT
    r.niva,
    r.region,
    s.hushall_id,
    (manader & 1) + ((manader >> 1) & 1) + ((manader >> 2) & 1) + ((manader >> 3) & 1)
        + ((manader >> 4) & 1) + ((manader >> 5) & 1) + ((manader >> 6) & 1)
        + ((manader >> 7) & 1) + ((manader >> 8) & 1) + ((manader >> 9) & 1)
        + ((manader >> 10) & 1) + ((manader >> 11) & 1) AS manader,
    s.barn_under_16,
    s.belopp_kr
FROM regioner r
JOIN region s ON s.nr = r.nr
