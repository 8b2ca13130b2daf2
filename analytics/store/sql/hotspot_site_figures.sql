-- Figures of each site over its accidents. The caller puts in front which accidents belong to
-- which site as `members` (site_no, then the columns of hotspot_accidents.sql added up below).
-- Each site's commonest values (collision type, hour, month, unit, road) are counted in numpy
-- from the same members (analytics/accidents/sites.py, _commonest).
SELECT
    site_no,
    count(*) AS accidents,
    CAST(sum(fatal_accidents) AS BIGINT) AS fatal_accidents,
    CAST(sum(deaths) AS BIGINT) AS deaths,
    CAST(sum(injuries) AS BIGINT) AS injuries,
    -- sums of fractions (weights 0.7 / 0.2 / 0.1, money in yuan and fen) come out a last bit apart
    -- in different orders of adding: rounded, equal sums are equal and rank as ties
    round(sum(loss_yuan), 9) AS loss_yuan,
    round(sum(score), 9) AS score,
    CAST(sum(injury_or_fatal_accidents) AS BIGINT) AS injury_or_fatal_accidents,
    CAST(sum(major_accidents) AS BIGINT) AS major_accidents,
    CAST(sum(general_procedure_accidents) AS BIGINT) AS general_procedure_accidents,
    avg(lon) AS mean_lon,
    avg(lat) AS mean_lat
FROM members
GROUP BY site_no
