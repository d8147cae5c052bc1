-- Score per respondent and share indicator (rules answer and at_most): 1 fulfilled, 0 not, null no
-- answer. Rule answer looks the answer up in enkat_poang (Ja -> 1, Nej / Vet ej -> 0; Helt /
-- Delvis / Inte alls / Vet ej per indicator); rule at_most scores tal <= troskel. Null when the
-- questionnaire was not returned, the answer is blank, missing or not allowed.
SELECT
    r.ar,
    r.respondent,
    i.indikator,
    CASE
        WHEN NOT r.inkommit OR NOT COALESCE(s.giltigt, FALSE) THEN NULL
        WHEN i.regel = 'answer' THEN p.poang
        WHEN i.regel = 'at_most' AND s.tal IS NOT NULL
            THEN CASE WHEN s.tal <= i.troskel THEN 1 ELSE 0 END
    END AS poang
FROM int_enkat_respondenter r
JOIN enkat_indikatorer i
    ON i.ar = r.ar AND i.regel IN ('answer', 'at_most')
LEFT JOIN stg_enkat_svar s
    ON s.respondent = r.respondent AND s.fraga = i.fraga
LEFT JOIN enkat_poang p
    ON p.ar = i.ar AND p.indikator = i.indikator AND p.svar = s.svar
