-- int_belopp_bidrag: the households behind every amount cell of year Y = $year, for the primary
-- suppression of amounts in the disclose stage (never published, never leaves that stage).
--
-- Per region at every level (int_hushall_region_ar: a household's kronor paid in the region):
--   hushall        households with a payment in the region (contributors)
--   belopp_kr      the total amount, kronor
--   storsta        the largest household amount (x1 of the p % dominance rule)
--   nast_storsta   the second-largest household amount (x2), 0 with a single household
SELECT
    niva,
    region,
    COUNT(*) FILTER (WHERE belopp_kr > 0) AS hushall,
    CAST(SUM(belopp_kr) AS DOUBLE) AS belopp_kr,
    CAST(MAX(belopp_kr) AS DOUBLE) AS storsta,
    CAST(COALESCE(nth_value(belopp_kr, 2 ORDER BY belopp_kr DESC), 0) AS DOUBLE) AS nast_storsta
FROM int_hushall_region_ar
GROUP BY niva, region
