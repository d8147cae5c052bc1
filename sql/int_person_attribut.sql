-- int_person_attribut: sex, age and country of birth of every person with a paid month in Y.
--
-- Taken from the person's latest paid month in Y = $year in any region; when the person is listed
-- on several household-months that month, the one with the lowest kommun code wins, then the lowest
-- household id. alder is the age reported in that month.
-- Columns: pnr, kon (1 man, 2 kvinna), alder, utrikes (1 born abroad).
--
-- How the row is picked: each row gets one text key that sorts the way the rule reads – 99 - manad
-- as two digits (the latest month sorts first), the kommun code, the household id, each followed
-- by the byte 0x01 (below every character of a code, so a shorter code sorts before a longer one
-- that starts with it, as text comparison does) – and after them the three attributes packed into
-- one number kon * 10000 + alder * 10 + utrikes (alder < 1000, utrikes 0/1). The smallest key per
-- person is its row (MIN over text is one hash aggregation; an ordered first_value kept every
-- person's rows sorted), and the number after the last 0x01 is unpacked again.
WITH vald AS (
    SELECT
        pnr,
        split_part(
            MIN(
                CAST(99 - manad AS VARCHAR) || chr(1) || kommun || chr(1) || hushall_id
                    || chr(1) || CAST(kon * 10000 + alder * 10 + utrikes AS VARCHAR)
            ),
            chr(1),
            4
        ) AS attribut
    FROM stg_person_manad
    WHERE ar = $year
    GROUP BY pnr
)
SELECT
    pnr,
    CAST(attribut AS BIGINT) / 10000 AS kon,
    (CAST(attribut AS BIGINT) / 10) % 1000 AS alder,
    CAST(attribut AS BIGINT) % 10 AS utrikes
FROM vald
