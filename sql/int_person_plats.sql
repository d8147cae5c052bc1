-- int_person_plats: the paid months of every person aged 16+ per place, household and year, over
-- the window of years Y-($very_long_term_window_years - 1) … Y, where Y = $year.
--
-- The register lists up to five persons 16+ per household-month in the columns pnr1…pnr5 (with
-- kon, alder, utrikes); each listed person of a paid household-month (belopp_kr > 0) counts.
-- Children under 16 are not persons here: they are only the count barn_under_16 of
-- int_hushall_plats. One row per (ar, pnr, plats, hushall_id, kon, alder, utrikes):
--   pnr            the person id as a number, oj_pnr_number(pnrN): the id's 16 hex digits as a
--                  BIGINT that sorts as the text does (equal ids, equal numbers), so that every
--                  later model groups, joins and orders persons by a number instead of the text
--                  (at ten times national size about 4 % faster and 100 MiB smaller;
--                  docs/benchmarks.md, session 22)
--   plats          as in int_hushall_plats (the kommun is its first four characters)
--   kon, alder, utrikes  as reported on those months (kon: 1 man, 2 kvinna; utrikes: 1 born
--                  abroad); a birthday during the year gives the person two rows
--   manader        the months as a 12-bit month set: bit (month - 1) is set when the person was
--                  listed on a paid month of the household in the place with these attributes
--   senaste_manad  the latest of those months
-- A person's latest month of the year is the largest senaste_manad over the person's rows, and
-- exactly the rows with that senaste_manad were listed in that month: int_person_attribut picks the
-- attributes from them as it would from the months themselves. The 6 M person-months of the window
-- are grouped here once (to about a sixth of the rows) and never stored as rows. Grouped by kommun
-- and distrikt rather than plats, as in int_hushall_plats (each part of disjoint kommuner of the
-- staged register is grouped on its own).
WITH betalda AS (
    SELECT
        ar,
        manad,
        kommun,
        distrikt,
        hushall_id,
        pnr1, kon1, alder1, utrikes1,
        pnr2, kon2, alder2, utrikes2,
        pnr3, kon3, alder3, utrikes3,
        pnr4, kon4, alder4, utrikes4,
        pnr5, kon5, alder5, utrikes5
    FROM register
    WHERE ar BETWEEN $year - $very_long_term_window_years + 1 AND $year
      AND belopp_kr > 0
),
-- Persons 3–5 are rare (on 4 %, 0.8 % and 0.1 % of household-months): the few rows that list any
-- of them are read once and their three slots turned into rows with unnest, instead of reading
-- every household-month once per slot.
flera AS (
    SELECT
        ar,
        manad,
        kommun,
        distrikt,
        hushall_id,
        unnest(make_array(
            named_struct('pnr', pnr3, 'kon', kon3, 'alder', alder3, 'utrikes', utrikes3),
            named_struct('pnr', pnr4, 'kon', kon4, 'alder', alder4, 'utrikes', utrikes4),
            named_struct('pnr', pnr5, 'kon', kon5, 'alder', alder5, 'utrikes', utrikes5)
        )) AS p
    FROM betalda
    WHERE pnr3 IS NOT NULL OR pnr4 IS NOT NULL OR pnr5 IS NOT NULL
),
-- A person's sex, age and birth country are grouped as one number, kon * 10000 + alder * 10 +
-- utrikes (as in int_person_attribut; the contract keeps kon in 1–2, alder in 16–110 and utrikes in
-- 0–1, so the number gives each back exactly): one key instead of three per group.
personer AS (
    SELECT ar, manad, kommun, distrikt, hushall_id, oj_pnr_number(pnr1) AS pnr,
        kon1 * 10000 + alder1 * 10 + utrikes1 AS attribut
    FROM betalda WHERE pnr1 IS NOT NULL
    UNION ALL
    SELECT ar, manad, kommun, distrikt, hushall_id, oj_pnr_number(pnr2),
        kon2 * 10000 + alder2 * 10 + utrikes2
    FROM betalda WHERE pnr2 IS NOT NULL
    UNION ALL
    SELECT ar, manad, kommun, distrikt, hushall_id, oj_pnr_number(p['pnr']),
        p['kon'] * 10000 + p['alder'] * 10 + p['utrikes']
    FROM flera WHERE p['pnr'] IS NOT NULL
)
SELECT
    ar,
    pnr,
    CASE WHEN distrikt IS NULL THEN kommun ELSE kommun || distrikt END AS plats,
    hushall_id,
    attribut / 10000 AS kon,
    (attribut / 10) % 1000 AS alder,
    attribut % 10 AS utrikes,
    CAST(bit_or(1 << (manad - 1)) AS BIGINT) AS manader,
    MAX(manad) AS senaste_manad
FROM personer
GROUP BY ar, kommun, distrikt, pnr, hushall_id, attribut
