-- ind_register: the register indicators of year Y = $year, one row per indicator, region and group,
-- in the indicator-row shape (ar, indikator, niva, region, regionnamn, grupp, varde, taljare,
-- namnare, status), values unrounded.
--
-- Numerators (see domain.md, "Register indicators"):
--   recipients of all ages  = persons 16+ with a paid month in the region + children under 16
--                             (int_barn.barn_under_16)
--   recipients 18+          = persons aged >= $adult_min_age (int_person_region_ar)
--   long-term               = recipients 18+ with >= $long_term_months paid months in Y in the region
--   very long-term          = recipients 18+ with >= $very_long_term_months paid months in the window
--                             of $very_long_term_window_years years ending in Y, in the region
--   young adults            = recipients aged $young_adult_min_age–$young_adult_max_age
--   children / long-term children: int_barn
--   households, kronor      : int_hushall_region_ar
-- Numerators and denominators per region and group come from int_register_matt (population:
-- int_befolkning, urval 'rapporterande'); mean population = (31 Dec Y-1 + 31 Dec Y) / 2.
-- Groups: totalt for every indicator; kvinnor, man, inrikes, utrikes for the adult indicators.
--
-- varde: shares (andel) = 100 * taljare / namnare; kronor per inhabitant = taljare / namnare;
-- counts (antal) = taljare; tkr = kronor / 1000 (taljare also in tkr). namnare is null for counts.
-- status:
--   '.'  reg_mycket_langvarigt_andel when the register history is incomplete and the pipeline says
--        not_applicable ($history_complete = 0); any share whose denominator is 0
--   '-'  register indicators of a bortfall kommun, its stadsdelar and its län (int_region.bortfall);
--        kronor per inhabitant when the population of Y-1 is missing
--   ''   computed
-- varde, taljare and namnare are null unless status is ''.
WITH indikatorer AS (
    SELECT *, 'reg_mottagare_andel' AS indikator, 'andel' AS typ,
        CAST(personer_16_plus + barn_under_16 AS DOUBLE) AS taljare_,
        CAST(folk AS DOUBLE) AS namnare_, 0 AS ej_tillamplig
    FROM int_register_matt WHERE grupp = 'totalt'
    UNION ALL
    SELECT *, 'reg_vuxna_mottagare_andel', 'andel', CAST(vuxna AS DOUBLE),
        CAST(folk_vuxna AS DOUBLE), 0
    FROM int_register_matt
    UNION ALL
    SELECT *, 'reg_langvarigt_andel', 'andel', CAST(vuxna_langvarigt AS DOUBLE),
        CAST(vuxna AS DOUBLE), 0
    FROM int_register_matt
    UNION ALL
    SELECT *, 'reg_mycket_langvarigt_andel', 'andel', CAST(vuxna_mycket_langvarigt AS DOUBLE),
        CAST(vuxna AS DOUBLE), CASE WHEN $history_complete = 1 THEN 0 ELSE 1 END
    FROM int_register_matt
    UNION ALL
    SELECT *, 'reg_unga_vuxna_andel', 'andel', CAST(unga_vuxna AS DOUBLE),
        CAST(folk_unga_vuxna AS DOUBLE), 0
    FROM int_register_matt
    UNION ALL
    SELECT *, 'reg_barn_andel', 'andel', CAST(barn_under_16 + personer_16_17 AS DOUBLE),
        CAST(folk_barn AS DOUBLE), 0
    FROM int_register_matt WHERE grupp = 'totalt'
    UNION ALL
    SELECT *, 'reg_barn_langvarigt_andel', 'andel',
        CAST(barn_under_16_langvarigt + personer_16_17_langvarigt AS DOUBLE),
        CAST(folk_barn AS DOUBLE), 0
    FROM int_register_matt WHERE grupp = 'totalt'
    UNION ALL
    SELECT *, 'reg_belopp_per_invanare', 'kvot', CAST(belopp_kr AS DOUBLE),
        CAST(medelfolkmangd AS DOUBLE), 0
    FROM int_register_matt WHERE grupp = 'totalt'
    UNION ALL
    SELECT *, 'reg_mottagare_antal', 'antal', CAST(personer_16_plus + barn_under_16 AS DOUBLE),
        CAST(NULL AS DOUBLE), 0
    FROM int_register_matt WHERE grupp = 'totalt'
    UNION ALL
    SELECT *, 'reg_hushall_antal', 'antal', CAST(hushall AS DOUBLE), CAST(NULL AS DOUBLE), 0
    FROM int_register_matt WHERE grupp = 'totalt'
    UNION ALL
    SELECT *, 'reg_belopp_tkr', 'antal', CAST(belopp_kr AS DOUBLE) / 1000.0, CAST(NULL AS DOUBLE), 0
    FROM int_register_matt WHERE grupp = 'totalt'
),
med_status AS (
    SELECT
        *,
        CASE
            WHEN ej_tillamplig = 1 THEN '.'
            WHEN bortfall = 1 THEN '-'
            WHEN typ <> 'antal' AND namnare_ IS NULL THEN '-'
            WHEN typ <> 'antal' AND namnare_ = 0 THEN '.'
            ELSE ''
        END AS status
    FROM indikatorer
)
SELECT
    ar,
    indikator,
    niva,
    region,
    regionnamn,
    grupp,
    CASE
        WHEN status <> '' THEN CAST(NULL AS DOUBLE)
        WHEN typ = 'andel' THEN 100.0 * taljare_ / namnare_
        WHEN typ = 'kvot' THEN taljare_ / namnare_
        ELSE taljare_
    END AS varde,
    CASE WHEN status = '' THEN taljare_ END AS taljare,
    CASE WHEN status = '' THEN namnare_ END AS namnare,
    status
FROM med_status
