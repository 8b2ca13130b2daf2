-- Filtered accidents grouped four ways in one pass: hour x weekday, 事故形态, route, unit.
-- "dim" names the grouping; key/key2 hold its values ('' for a missing route or unit).
-- Runs as "WITH filtered AS (accidents_filtered.sql) SELECT * FROM (this)"; sorted by the caller.
WITH grouped AS (
    SELECT
        CASE
            WHEN grouping(hour, weekday) = 0 THEN 'heat'
            WHEN grouping(collision_key) = 0 THEN 'collision'
            WHEN grouping(route_key) = 0 THEN 'route'
            ELSE 'unit'
        END AS dim,
        coalesce(collision_key, route_key, unit_key, CAST(hour AS VARCHAR)) AS key,
        weekday AS key2,
        count(*) AS accidents,
        count(*) FILTER (deaths > 0) AS fatal,
        CAST(sum(deaths) AS BIGINT) AS deaths,
        CAST(sum(injuries) AS BIGINT) AS injuries,
        coalesce(sum(loss_yuan), 0) AS loss_yuan,
        any_value(road_name) AS road_name
    FROM (
        SELECT
            *,
            hour(occurred_at) AS hour,
            isodow(occurred_at) AS weekday
        FROM filtered
    )
    GROUP BY GROUPING SETS ((hour, weekday), (collision_key), (route_key), (unit_key))
)

SELECT
    g.dim,
    g.key,
    g.key2,
    g.accidents,
    g.fatal,
    g.deaths,
    g.injuries,
    g.loss_yuan,
    CASE
        WHEN g.dim = 'route' THEN coalesce(r.name, g.road_name, '')
        WHEN g.dim = 'unit' THEN coalesce(u.name, '未归属单位')
    END AS name,
    u.sort_order
FROM grouped AS g
LEFT JOIN routes AS r ON g.dim = 'route' AND r.route_code = g.key
LEFT JOIN units AS u ON g.dim = 'unit' AND u.adcode = g.key
