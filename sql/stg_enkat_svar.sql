-- Answers of returned questionnaires to the year's configured questions, trimmed (blank = null),
-- with the number read from tal answers (decimal comma allowed) and whether the answer is allowed:
-- blank is allowed (no answer); a categorical answer must be one of enkat_svarsalternativ exactly;
-- a tal answer must be a number >= 0.
WITH svar AS (
    SELECT e.ar, e.respondent, e.fraga, f.svarstyp, NULLIF(TRIM(e.svar), '') AS svar
    FROM enkat e
    JOIN enkat_fragor f ON f.ar = e.ar AND f.fraga = e.fraga
    WHERE e.ar = $year AND e.inkommen IS NOT NULL
),
tolkat AS (
    SELECT
        s.ar, s.respondent, s.fraga, s.svarstyp, s.svar,
        CASE WHEN s.svarstyp = 'tal'
            THEN TRY_CAST(REPLACE(s.svar, ',', '.') AS DOUBLE)
        END AS tal,
        a.svar IS NOT NULL AS tillatet_alternativ
    FROM svar s
    LEFT JOIN enkat_svarsalternativ a
        ON a.ar = s.ar AND a.fraga = s.fraga AND a.svar = s.svar
)
SELECT
    ar, respondent, fraga, svarstyp, svar,
    CASE WHEN tal >= 0 AND tal < 1e15 THEN tal END AS tal,
    svar IS NULL
        OR (svarstyp = 'tal' AND COALESCE(tal >= 0 AND tal < 1e15, FALSE))
        OR (svarstyp <> 'tal' AND tillatet_alternativ) AS giltigt
FROM tolkat
