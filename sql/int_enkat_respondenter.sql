-- Survey respondents of the year: every kommun or stadsdel that regioner marks enkat_respondent = 1,
-- with the kommun it belongs to (itself, or a stadsdel's parent), that kommun's län, kommungrupp and
-- storleksklass (kommun population 31 Dec of the year), and whether its questionnaire came back.
-- Not returned: inkommen is null, or the respondent is absent from the enkat drop.
-- A kommun without population rows gets no storleksklass (left out of storleksklass rows only).
WITH kommun_folkmangd AS (
    SELECT region, SUM(antal) AS folkmangd
    FROM befolkning
    WHERE ar = $year
    GROUP BY region
),
inkommet AS (
    SELECT respondent, MAX(inkommen) AS inkommen
    FROM enkat
    WHERE ar = $year
    GROUP BY respondent
)
SELECT
    r.ar,
    r.kod AS respondent,
    r.niva,
    r.namn AS regionnamn,
    k.kod AS kommun,
    k.overordnad AS lan,
    k.kommungrupp,
    CASE
        WHEN f.folkmangd IS NULL THEN NULL
        WHEN f.folkmangd < 15000 THEN '<15000'
        WHEN f.folkmangd < 50000 THEN '15000-49999'
        WHEN f.folkmangd < 200000 THEN '50000-199999'
        ELSE '>=200000'
    END AS storleksklass,
    i.inkommen IS NOT NULL AS inkommit
FROM regioner r
JOIN regioner k
    ON k.ar = r.ar
    AND k.niva = 'kommun'
    AND k.kod = CASE WHEN r.niva = 'stadsdel' THEN r.overordnad ELSE r.kod END
LEFT JOIN kommun_folkmangd f ON f.region = k.kod
LEFT JOIN inkommet i ON i.respondent = r.kod
WHERE r.ar = $year
    AND r.enkat_respondent = 1
    AND r.niva IN ('kommun', 'stadsdel')
