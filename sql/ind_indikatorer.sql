-- ind_indikatorer: every indicator row of the year before disclosure control – the register
-- indicators, the background measures and the survey indicators in the one long shape of
-- outputs.md (unrounded varde, taljare, namnare, status). The disclose stage reads this model.
SELECT ar, indikator, niva, region, regionnamn, grupp, varde, taljare, namnare, status
FROM ind_register
UNION ALL
SELECT ar, indikator, niva, region, regionnamn, grupp, varde, taljare, namnare, status
FROM ind_bakgrund
UNION ALL
SELECT ar, indikator, niva, region, regionnamn, grupp, varde, taljare, namnare, status
FROM ind_enkat
