-- int_person_attribut: sex, age and country of birth of every person with a paid month in Y.
--
-- Taken from the person's latest paid month in Y = $year in any region; when the person is listed
-- on several household-months that month, the one with the lowest kommun code wins, then the lowest
-- household id. alder is the age reported in that month.
-- Columns: pnr (the person id as int_person_plats's number), lopnr (the person's number 1, 2, … in
-- pnr order, which is the ids' order as text: int_person_region_ar groups by it instead of the
-- id), kon (1 man, 2 kvinna), alder, utrikes (1 born abroad).
--
-- Read from int_person_plats (one row per person, place, household and attributes with their
-- months): the person's latest month M is the largest senaste_manad of its rows in Y, and the rows
-- with senaste_manad = M are exactly those the person was listed on in month M, so picking among
-- them is picking among the household-months of M.
--
-- How the row is picked: each row gets one text key that sorts the way the rule reads – 99 -
-- senaste_manad as two digits (the latest month sorts first), the kommun code (the first four
-- characters of plats), the household id, each followed by the byte 0x01 (below every character
-- of a code, so a shorter code sorts before a longer one that starts with it, as text comparison
-- does) – and after them the three attributes packed into one number kon * 10000 + alder * 10 +
-- utrikes (alder < 1000, utrikes 0/1). The smallest key per person is its row (MIN over text is one
-- hash aggregation; an ordered first_value kept every person's rows sorted), and the number after
-- the last 0x01 is unpacked again.
WITH vald AS (
    SELECT
        pnr,
        split_part(
            MIN(
                CAST(99 - senaste_manad AS VARCHAR) || chr(1) || substr(plats, 1, 4) || chr(1)
                    || hushall_id
                    || chr(1) || CAST(kon * 10000 + alder * 10 + utrikes AS VARCHAR)
            ),
            chr(1),
            4
        ) AS attribut
    FROM int_person_plats
    WHERE ar = $year
    GROUP BY pnr
)
SELECT
    pnr,
    CAST(ROW_NUMBER() OVER (ORDER BY pnr) AS BIGINT) AS lopnr,
    CAST(attribut AS BIGINT) / 10000 AS kon,
    (CAST(attribut AS BIGINT) / 10) % 1000 AS alder,
    CAST(attribut AS BIGINT) % 10 AS utrikes
FROM vald
