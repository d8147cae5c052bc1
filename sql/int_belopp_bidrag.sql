-- int_belopp_bidrag: the households behind every amount cell of year Y = $year, for the primary
-- suppression of amounts in the disclose stage (never published, never leaves that stage).
--
-- Per region at every level (int_hushall_region_ar: a household's kronor paid in the region):
--   hushall        households with a payment in the region (contributors)
--   belopp_kr      the total amount, kronor
--   storsta        the largest household amount (x1 of the p % dominance rule)
--   nast_storsta   the second-largest household amount (x2), 0 with a single household: the
--                  largest again when two or more households share the largest amount, else the
--                  largest amount below it (one pass with the region's largest joined on, instead
--                  of sorting every household of the region)
WITH storsta AS (
    SELECT niva, region, MAX(belopp_kr) AS storsta
    FROM int_hushall_region_ar
    GROUP BY niva, region
)
SELECT
    h.niva,
    h.region,
    COUNT(*) FILTER (WHERE h.belopp_kr > 0) AS hushall,
    CAST(SUM(h.belopp_kr) AS DOUBLE) AS belopp_kr,
    CAST(MAX(s.storsta) AS DOUBLE) AS storsta,
    CAST(
        CASE
            WHEN COUNT(*) FILTER (WHERE h.belopp_kr = s.storsta) >= 2 THEN MAX(s.storsta)
            ELSE COALESCE(MAX(h.belopp_kr) FILTER (WHERE h.belopp_kr < s.storsta), 0)
        END AS DOUBLE
    ) AS nast_storsta
FROM storsta s
JOIN int_hushall_region_ar h ON h.niva = s.niva AND h.region = s.region
GROUP BY h.niva, h.region
