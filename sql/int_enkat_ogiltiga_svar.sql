-- Answers that break the question configuration (a data problem for the gates to flag): a
-- categorical answer outside the allowed answers, or a tal answer that is not a number >= 0.
-- They count as no answer in every indicator.
SELECT ar, respondent, fraga, svar
FROM stg_enkat_svar
WHERE NOT giltigt
