-- Accidents in the before or after window of each coordinate-located hazard whose position
-- falls in a box a little larger than the buffer circle; analytics/effect.py keeps those within
-- $buffer metres (great-circle). Runs as "WITH closed AS (effect_hazards.sql) SELECT * FROM (this)".
WITH boxed AS (
    SELECT
        *,
        degrees($buffer / 6371008.8) * 1.01 + 1e-9 AS dlat,
        degrees($buffer / 6371008.8) * 1.01 / greatest(cos(radians(abs(lat) + 1)), 0.01) + 1e-9
            AS dlon
    FROM closed
    WHERE mode = 'coords'
)

SELECT
    b.hazard_id,
    b.lon AS hazard_lon,
    b.lat AS hazard_lat,
    a.lon,
    a.lat,
    a.deaths,
    a.occurred_at >= CAST(b.after_start AS TIMESTAMP) AS is_after
FROM boxed AS b
INNER JOIN accidents AS a
    ON
        a.lat BETWEEN b.lat - b.dlat AND b.lat + b.dlat
        AND a.lon BETWEEN b.lon - b.dlon AND b.lon + b.dlon
        AND on_days(a.occurred_at, b.before_start, b.observed_end)
        AND (
            a.occurred_at < CAST(b.listed_on AS TIMESTAMP)
            OR a.occurred_at >= CAST(b.after_start AS TIMESTAMP)
        )
