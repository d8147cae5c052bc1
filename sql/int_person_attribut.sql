-- int_person_attribut: sex, age and country of birth of every person with a paid month in Y.
--
-- Taken from the person's latest paid month in Y = $year in any region; when the person is listed
-- on several household-months that month, the one with the lowest kommun code wins, then the lowest
-- household id. alder is the age reported in that month.
-- Columns: pnr, kon (1 man, 2 kvinna), alder, utrikes (1 born abroad).
SELECT
    pnr,
    first_value(kon ORDER BY manad DESC, kommun ASC, hushall_id ASC) AS kon,
    first_value(alder ORDER BY manad DESC, kommun ASC, hushall_id ASC) AS alder,
    first_value(utrikes ORDER BY manad DESC, kommun ASC, hushall_id ASC) AS utrikes
FROM stg_person_manad
WHERE ar = $year
GROUP BY pnr
