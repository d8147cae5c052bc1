-- int_person_attribut: sex, age and country of birth of every person with a paid month in Y.
--
-- Taken from the person's latest paid month in Y = $year in any region; when the person is listed
-- on several household-months that month, the one with the lowest kommun code wins, then the lowest
-- household id. alder is the age reported in that month.
-- Columns: pnr, kon (1 man, 2 kvinna), alder, utrikes (1 born abroad).
--
-- The three attributes are picked together from the same row: they are packed into one number
-- kon * 10000 + alder * 10 + utrikes (alder < 1000, utrikes 0/1), the winning row's number is
-- taken with first_value(… ORDER BY …), and unpacked again.
WITH vald AS (
    SELECT
        pnr,
        first_value(kon * 10000 + alder * 10 + utrikes
            ORDER BY manad DESC, kommun ASC, hushall_id ASC) AS attribut
    FROM stg_person_manad
    WHERE ar = $year
    GROUP BY pnr
)
SELECT
    pnr,
    attribut / 10000 AS kon,
    (attribut / 10) % 1000 AS alder,
    attribut % 10 AS utrikes
FROM vald
