-- Filtered accidents per calendar month; the "_to_day" figures count only days 1 … $day of
-- each month (the part of a month comparable with the as-of month while that month runs).
-- Runs as "WITH filtered AS (accidents_filtered.sql) SELECT * FROM (this)"; sorted by the caller.
SELECT
    CAST(date_trunc('month', occurred_at) AS DATE) AS month,
    count(*) AS accidents,
    count(*) FILTER (deaths > 0) AS fatal,
    CAST(sum(deaths) AS BIGINT) AS deaths,
    CAST(sum(injuries) AS BIGINT) AS injuries,
    count(*) FILTER (day(occurred_at) <= $day) AS accidents_to_day,
    coalesce(sum(deaths) FILTER (day(occurred_at) <= $day), 0) AS deaths_to_day
FROM filtered
GROUP BY 1
