-- int_barn: children (0–$child_max_age) in recipient households of year Y = $year, per region.
--
--   barn_under_16              sum over the region's recipient households of their largest
--                              barn_under_16 (int_hushall_region_ar)
--   personer_16_17             recipients in the region aged 16–$child_max_age (persons listed
--                              with an id; age from int_person_attribut), each counted once
--   barn_under_16_langvarigt   as barn_under_16, over households with at least $long_term_months
--                              paid months in Y in the region
--   personer_16_17_langvarigt  distinct persons aged 16–$child_max_age listed on a paid month in
--                              the region of such a long-term household
-- Children = barn_under_16 + personer_16_17; long-term children = the two _langvarigt columns.
WITH hushall AS (
    SELECT
        niva,
        region,
        SUM(barn_under_16) AS barn_under_16,
        SUM(CASE WHEN manader >= $long_term_months THEN barn_under_16 ELSE 0 END)
            AS barn_under_16_langvarigt
    FROM int_hushall_region_ar
    GROUP BY niva, region
),
unga AS (
    SELECT niva, region, COUNT(*) AS personer_16_17
    FROM int_person_region_ar
    WHERE alder <= $child_max_age
    GROUP BY niva, region
),
unga_langvarigt AS (
    SELECT t.niva, t.region, COUNT(DISTINCT pm.pnr) AS personer_16_17_langvarigt
    FROM int_person_plats pm
    JOIN int_person_attribut a ON a.pnr = pm.pnr
    JOIN int_region_tillhorighet t ON t.ar = pm.ar AND t.plats = pm.plats
    JOIN int_hushall_region_ar h
        ON h.niva = t.niva AND h.region = t.region AND h.hushall_id = pm.hushall_id
    WHERE pm.ar = $year
      AND a.alder <= $child_max_age
      AND h.manader >= $long_term_months
    GROUP BY t.niva, t.region
)
SELECT
    h.niva,
    h.region,
    h.barn_under_16,
    COALESCE(u.personer_16_17, 0) AS personer_16_17,
    h.barn_under_16_langvarigt,
    COALESCE(ul.personer_16_17_langvarigt, 0) AS personer_16_17_langvarigt
FROM hushall h
LEFT JOIN unga u ON u.niva = h.niva AND u.region = h.region
LEFT JOIN unga_langvarigt ul ON ul.niva = h.niva AND ul.region = h.region
