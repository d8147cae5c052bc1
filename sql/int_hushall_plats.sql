-- int_hushall_plats: the paid months of every household per place and year, over the window of
-- years Y-($very_long_term_window_years - 1) … Y, where Y = $year.
--
-- Read straight from the register: only *paid months* (belopp_kr > 0) count. A row with
-- belopp_kr = 0 is a nil report (registered, nothing paid) and is left out here; bortfall is
-- judged on all rows in int_bortfall. One row per (ar, plats, hushall_id):
--   plats          the finest region of the register row, in that year's own codes: the stadsdel
--                  code (kommun + district) when the row carries a district, else the kommun code
--                  (the kommun is always its first four characters)
--   manader        the paid months as a 12-bit month set: bit (month - 1) is set when the
--                  household was paid that month in that place
--   barn_under_16  the largest count of children under 16 over those months
--   belopp_kr      kronor paid to the household in the place that year, as DECIMAL(38, 0): sums
--                  of 64-bit amounts in it cannot overflow (an Int64 sum would wrap silently)
-- Later models only combine these month sets (bit_or), largest counts (MAX) and sums (SUM): the
-- register's 1.5 M household-months a year are grouped once here, instead of being stored as rows
-- and grouped again by every reader.
-- Grouped by kommun and distrikt, from which plats follows (the contract makes kommun four digits
-- and distrikt two, so the pair and plats give each other): the staged register is read in parts
-- of disjoint kommuner where it can be (src/lake/parts.rs), and with kommun among the keys each
-- part is grouped on its own.
SELECT
    ar,
    CASE WHEN distrikt IS NULL THEN kommun ELSE kommun || distrikt END AS plats,
    hushall_id,
    CAST(bit_or(1 << (manad - 1)) AS BIGINT) AS manader,
    MAX(barn_under_16) AS barn_under_16,
    SUM(CAST(belopp_kr AS DECIMAL(38, 0))) AS belopp_kr
FROM register
WHERE ar BETWEEN $year - $very_long_term_window_years + 1 AND $year
  AND belopp_kr > 0
GROUP BY ar, kommun, distrikt, hushall_id
