-- int_person_region_nyckel: the counted months of every recipient aged 16+ of year Y = $year per
-- region, by number: region number (int_region_tillhorighet.nr) and person number (lopnr of
-- int_person_attribut). int_person_region_ar names the regions and persons; the definitions are
-- documented there.
--
-- How months are counted: every month of the window is one bit of a number
-- (int_person_mangd.manader), so Y's twelve months are the highest twelve bits. int_person_mangd
-- holds each year's months of a person per place and household; combined per region with bit_or
-- they keep each month once. The number of months is then the number of bits set, counted with
-- the standard steps: bits in pairs, in fours, in bytes, then the bytes summed. (The window is at
-- most 5 years = 60 bits.)
--
-- Only persons with a paid month in Y anywhere (those int_person_attribut lists) can be recipients
-- in a region; int_person_mangd has only them, by their number `lopnr`. Most persons have every row
-- of the window in places that belong to the same regions (one `mangd`: 86 % of the persons at
-- national size): the month set of each of their regions is the bit_or of all their rows, so they
-- are grouped once per person and given a row in each region of their set, without grouping per
-- (region, person). Only the others are grouped per region, by one 64-bit number,
-- region number (int_region_tillhorighet.nr) * 2^32 + lopnr, instead of a number and a text; the
-- region's names and the person's id and attributes are joined on in int_person_region_ar.
-- `person` is read by both branches, so DataFusion groups int_person_mangd by person twice; that is
-- cheaper than one grouping per (person, set) with a window count of sets per person, which needs
-- a sort (session 15, docs/benchmarks.md).
WITH mangd_regioner AS (
    SELECT DISTINCT m.mangd, t.nr
    FROM int_region_mangd m
    JOIN int_region_tillhorighet t ON t.ar = m.ar AND t.plats = m.plats
),
person AS (
    SELECT lopnr, MIN(mangd) AS mangd, MAX(mangd) AS sista_mangd, bit_or(manader) AS fonster
    FROM int_person_mangd
    GROUP BY lopnr
),
region AS (
    SELECT r.nr * 4294967296 + p.lopnr AS nyckel, p.fonster
    FROM person p
    JOIN mangd_regioner r ON r.mangd = p.mangd
    WHERE p.mangd = p.sista_mangd
    UNION ALL
    SELECT r.nr * 4294967296 + p.lopnr AS nyckel, bit_or(p.manader) AS fonster
    FROM int_person_mangd p
    JOIN person f ON f.lopnr = p.lopnr
    JOIN mangd_regioner r ON r.mangd = p.mangd
    WHERE f.mangd <> f.sista_mangd
    GROUP BY r.nr * 4294967296 + p.lopnr
),
i_ar AS (
    SELECT nyckel >> 32 AS nr, nyckel & 4294967295 AS lopnr,
        fonster >> (12 * ($very_long_term_window_years - 1)) AS ar, fonster
    FROM region
    WHERE fonster >> (12 * ($very_long_term_window_years - 1)) > 0
),
par AS (
    SELECT nr, lopnr,
        ar - ((ar >> 1) & 6148914691236517205) AS ar,
        fonster - ((fonster >> 1) & 6148914691236517205) AS fonster
    FROM i_ar
),
fyror AS (
    SELECT nr, lopnr,
        (ar & 3689348814741910323) + ((ar >> 2) & 3689348814741910323) AS ar,
        (fonster & 3689348814741910323) + ((fonster >> 2) & 3689348814741910323) AS fonster
    FROM par
),
byte AS (
    SELECT nr, lopnr,
        (ar + (ar >> 4)) & 1085102592571150095 AS ar,
        (fonster + (fonster >> 4)) & 1085102592571150095 AS fonster
    FROM fyror
),
summa AS (
    SELECT nr, lopnr,
        (ar + (ar >> 8) + (ar >> 16) + (ar >> 24) + (ar >> 32) + (ar >> 40) + (ar >> 48)
            + (ar >> 56)) & 255 AS manader_ar,
        (fonster + (fonster >> 8) + (fonster >> 16) + (fonster >> 24) + (fonster >> 32)
            + (fonster >> 40) + (fonster >> 48) + (fonster >> 56)) & 255 AS manader_fonster
    FROM byte
)
SELECT nr, lopnr, manader_ar, manader_fonster FROM summa
