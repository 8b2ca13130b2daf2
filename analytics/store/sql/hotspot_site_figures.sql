-- Figures of each site over its accidents. The caller puts in front the windowed accidents
-- (hotspot_accidents.sql) as `windowed` and which of them belong to which site as
-- `members` (site_no, then every column of `windowed`).
counted AS (  -- how often each value occurs at each site; one grouping per column
    SELECT site_no, 'collision' AS what, collision_type AS v, count(*) AS n
    FROM members
    WHERE collision_type IS NOT NULL
    GROUP BY ALL
    UNION ALL
    SELECT site_no, 'hour', CAST(h AS VARCHAR), n
    FROM (SELECT site_no, hour(occurred_at) AS h, count(*) AS n FROM members GROUP BY ALL)
    UNION ALL
    SELECT site_no, 'month', CAST(mo AS VARCHAR), n
    FROM (SELECT site_no, month(occurred_at) AS mo, count(*) AS n FROM members GROUP BY ALL)
    UNION ALL
    SELECT site_no, 'unit', unit_adcode, count(*)
    FROM members
    WHERE unit_adcode IS NOT NULL
    GROUP BY ALL
    UNION ALL
    SELECT site_no, 'road', road_name, count(*)
    FROM members
    WHERE road_name IS NOT NULL
    GROUP BY ALL
),

commonest AS (  -- the most frequent value per site, ties to the smallest (as text)
    SELECT site_no, what, first(v ORDER BY n DESC, v) AS v
    FROM counted
    GROUP BY ALL
),

picked AS (
    SELECT
        site_no,
        any_value(v) FILTER (what = 'collision') AS top_collision_type,
        CAST(any_value(v) FILTER (what = 'hour') AS INTEGER) AS peak_hour,
        CAST(any_value(v) FILTER (what = 'month') AS INTEGER) AS peak_month,
        any_value(v) FILTER (what = 'unit') AS unit_adcode,
        any_value(v) FILTER (what = 'road') AS road_name
    FROM commonest
    GROUP BY site_no
)

SELECT
    m.site_no,
    count(*) AS accidents,
    CAST(sum(m.fatal_accidents) AS BIGINT) AS fatal_accidents,
    CAST(sum(m.deaths) AS BIGINT) AS deaths,
    CAST(sum(m.injuries) AS BIGINT) AS injuries,
    sum(m.loss_yuan) AS loss_yuan,
    sum(m.score) AS score,
    CAST(sum(m.injury_or_fatal_accidents) AS BIGINT) AS injury_or_fatal_accidents,
    CAST(sum(m.major_accidents) AS BIGINT) AS major_accidents,
    CAST(sum(m.general_procedure_accidents) AS BIGINT) AS general_procedure_accidents,
    avg(m.lon) AS mean_lon,
    avg(m.lat) AS mean_lat,
    any_value(p.top_collision_type) AS top_collision_type,
    any_value(p.peak_hour) AS peak_hour,
    any_value(p.peak_month) AS peak_month,
    any_value(p.unit_adcode) AS unit_adcode,
    any_value(p.road_name) AS road_name
FROM members AS m
LEFT JOIN picked AS p ON p.site_no = m.site_no
GROUP BY m.site_no
