-- stg_hushall_manad: the paid household-months the register indicators look at.
--
-- One row per register row (household, kommun, month) that is a *paid month* (belopp_kr > 0) in
-- the window of years Y-($very_long_term_window_years - 1) … Y, where Y = $year. A row with
-- belopp_kr = 0 is a nil report (registered, nothing paid) and is left out here; bortfall is
-- judged on all rows in int_bortfall.
--
-- `plats` is the finest region of the row, in that year's own codes: the stadsdel code
-- (kommun + district) when the row carries a district, else the kommun code.
SELECT
    ar,
    manad,
    kommun,
    CASE WHEN distrikt IS NULL THEN kommun ELSE kommun || distrikt END AS plats,
    hushall_id,
    barn_under_16,
    belopp_kr
FROM register
WHERE ar BETWEEN $year - $very_long_term_window_years + 1 AND $year
  AND belopp_kr > 0
