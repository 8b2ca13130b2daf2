-- Filtered accidents per calendar year; the "_to_date" figures count only 1 January … $mmdd of
-- each year (the part of a year comparable with the as-of year while that year runs).
-- Runs as "WITH filtered AS (accidents_filtered.sql) SELECT * FROM (this)"; sorted by the caller.
SELECT
    year(occurred_at) AS year,
    count(*) AS accidents,
    count(*) FILTER (deaths > 0) AS fatal,
    CAST(sum(deaths) AS BIGINT) AS deaths,
    CAST(sum(injuries) AS BIGINT) AS injuries,
    count(*) FILTER (strftime(occurred_at, '%m-%d') <= $mmdd) AS accidents_to_date,
    coalesce(sum(deaths) FILTER (strftime(occurred_at, '%m-%d') <= $mmdd), 0) AS deaths_to_date
FROM filtered
GROUP BY 1
