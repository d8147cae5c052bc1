-- The aggregate regions each respondent counts in: riket, its kommun's län, kommungrupp and
-- storleksklass (a stadsdel counts where its kommun does). Riket and län names come from regioner;
-- kommungrupp and storleksklass rows carry their code as name.
WITH riket AS (
    SELECT kod, namn FROM regioner WHERE ar = $year AND niva = 'riket'
),
lan AS (
    SELECT kod, namn FROM regioner WHERE ar = $year AND niva = 'lan'
)
SELECT r.ar, r.respondent, 'riket' AS niva, riket.kod AS region, riket.namn AS regionnamn
FROM int_enkat_respondenter r CROSS JOIN riket
UNION ALL
SELECT r.ar, r.respondent, 'lan', lan.kod, lan.namn
FROM int_enkat_respondenter r JOIN lan ON lan.kod = r.lan
UNION ALL
SELECT r.ar, r.respondent, 'kommungrupp', r.kommungrupp AS region, r.kommungrupp AS regionnamn
FROM int_enkat_respondenter r
WHERE r.kommungrupp IS NOT NULL
UNION ALL
SELECT r.ar, r.respondent, 'storleksklass', r.storleksklass AS region, r.storleksklass AS regionnamn
FROM int_enkat_respondenter r
WHERE r.storleksklass IS NOT NULL
