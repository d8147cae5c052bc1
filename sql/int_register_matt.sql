-- int_register_matt: the numerators and denominators of the register indicators of year
-- Y = $year, one row per published region (int_region) and group.
--
-- Recipients 16+ (int_person_region_ar): personer_16_plus, vuxna (aged >= $adult_min_age),
-- vuxna_langvarigt (>= $long_term_months paid months in Y in the region), vuxna_mycket_langvarigt
-- (>= $very_long_term_months paid months in the window), unga_vuxna (aged
-- $young_adult_min_age–$young_adult_max_age); households and kronor (int_hushall_region_ar);
-- children (int_barn); population (int_befolkning, urval 'rapporterande') and mean population
-- medelfolkmangd = (31 Dec Y-1 + 31 Dec Y) / 2 (null when Y-1 is missing).
-- Groups: totalt, kvinnor (kon 2), man (kon 1), inrikes (utrikes 0), utrikes (utrikes 1); the
-- household, kronor and children columns are per region (the same in every group row).
-- bortfall and regionnamn come from int_region.
WITH grupper AS (
    SELECT 'totalt' AS grupp
    UNION ALL SELECT 'kvinnor'
    UNION ALL SELECT 'man'
    UNION ALL SELECT 'inrikes'
    UNION ALL SELECT 'utrikes'
),
-- Recipients 16+ are first counted per region and (kon, utrikes) – a few rows per region – and the
-- five groups are sums of those.
per_kon_utrikes AS (
    SELECT
        niva,
        region,
        kon,
        utrikes,
        COUNT(*) AS personer_16_plus,
        COUNT(*) FILTER (WHERE alder >= $adult_min_age) AS vuxna,
        COUNT(*) FILTER (WHERE alder >= $adult_min_age AND manader_ar >= $long_term_months)
            AS vuxna_langvarigt,
        COUNT(*) FILTER (
            WHERE alder >= $adult_min_age AND manader_fonster >= $very_long_term_months
        ) AS vuxna_mycket_langvarigt,
        COUNT(*) FILTER (WHERE alder BETWEEN $young_adult_min_age AND $young_adult_max_age)
            AS unga_vuxna
    FROM int_person_region_ar
    GROUP BY niva, region, kon, utrikes
),
per_grupp AS (
    SELECT p.*, g.grupp
    FROM per_kon_utrikes p
    JOIN grupper g
        ON g.grupp = 'totalt'
        OR g.grupp = CASE WHEN p.kon = 2 THEN 'kvinnor' ELSE 'man' END
        OR g.grupp = CASE WHEN p.utrikes = 1 THEN 'utrikes' ELSE 'inrikes' END
),
mottagare AS (
    SELECT
        niva,
        region,
        grupp,
        SUM(personer_16_plus) AS personer_16_plus,
        SUM(vuxna) AS vuxna,
        SUM(vuxna_langvarigt) AS vuxna_langvarigt,
        SUM(vuxna_mycket_langvarigt) AS vuxna_mycket_langvarigt,
        SUM(unga_vuxna) AS unga_vuxna
    FROM per_grupp
    GROUP BY niva, region, grupp
),
hushall AS (
    SELECT niva, region, COUNT(*) AS hushall, SUM(belopp_kr) AS belopp_kr
    FROM int_hushall_region_ar
    GROUP BY niva, region
)
SELECT
    r.ar,
    r.niva,
    r.region,
    r.regionnamn,
    r.bortfall,
    g.grupp,
    COALESCE(m.personer_16_plus, 0) AS personer_16_plus,
    COALESCE(m.vuxna, 0) AS vuxna,
    COALESCE(m.vuxna_langvarigt, 0) AS vuxna_langvarigt,
    COALESCE(m.vuxna_mycket_langvarigt, 0) AS vuxna_mycket_langvarigt,
    COALESCE(m.unga_vuxna, 0) AS unga_vuxna,
    COALESCE(h.hushall, 0) AS hushall,
    COALESCE(h.belopp_kr, 0) AS belopp_kr,
    COALESCE(b.barn_under_16, 0) AS barn_under_16,
    COALESCE(b.personer_16_17, 0) AS personer_16_17,
    COALESCE(b.barn_under_16_langvarigt, 0) AS barn_under_16_langvarigt,
    COALESCE(b.personer_16_17_langvarigt, 0) AS personer_16_17_langvarigt,
    COALESCE(f.folk, 0) AS folk,
    COALESCE(f.folk_vuxna, 0) AS folk_vuxna,
    COALESCE(f.folk_unga_vuxna, 0) AS folk_unga_vuxna,
    COALESCE(f.folk_barn, 0) AS folk_barn,
    (f.folk + f.folk_foregaende_ar) / 2.0 AS medelfolkmangd
FROM int_region r
CROSS JOIN grupper g
LEFT JOIN mottagare m ON m.niva = r.niva AND m.region = r.region AND m.grupp = g.grupp
LEFT JOIN hushall h ON h.niva = r.niva AND h.region = r.region
LEFT JOIN int_barn b ON b.niva = r.niva AND b.region = r.region
LEFT JOIN int_befolkning f
    ON f.urval = 'rapporterande' AND f.niva = r.niva AND f.region = r.region
    AND f.grupp = g.grupp
