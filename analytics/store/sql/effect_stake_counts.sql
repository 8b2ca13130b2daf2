-- Accidents before and after at each stake-located hazard: same route, stake within
-- [start_m − $buffer, end_m + $buffer] (ends included). Hazards and accidents meet through
-- 1 km stake buckets (an equality join; a range join on a million accidents is far slower).
-- Runs as "WITH closed AS (effect_hazards.sql) SELECT * FROM (this)".
WITH stretches AS (
    SELECT
        hazard_id,
        route_code,
        listed_on,
        before_start,
        after_start,
        observed_end,
        start_m - $buffer AS lo,
        end_m + $buffer AS hi
    FROM closed
    WHERE mode = 'stake'
),

buckets AS (
    SELECT
        *,
        unnest(range(floor(lo / 1000)::BIGINT, floor(hi / 1000)::BIGINT + 1)) AS bucket
    FROM stretches
),

windowed AS (
    SELECT
        route_code,
        floor(stake_m / 1000)::BIGINT AS bucket,
        stake_m,
        occurred_at,
        deaths
    FROM accidents
    WHERE
        stake_m IS NOT NULL
        AND route_code IN (SELECT route_code FROM stretches)
        AND occurred_at >= (SELECT CAST(min(before_start) AS TIMESTAMP) FROM stretches)
)

SELECT
    b.hazard_id,
    count(*) FILTER (a.occurred_at < CAST(b.listed_on AS TIMESTAMP)) AS before,
    count(*) FILTER (a.occurred_at >= CAST(b.after_start AS TIMESTAMP)) AS after,
    CAST(coalesce(sum(a.deaths) FILTER (a.occurred_at < CAST(b.listed_on AS TIMESTAMP)), 0)
        AS BIGINT) AS before_deaths,
    CAST(coalesce(sum(a.deaths) FILTER (a.occurred_at >= CAST(b.after_start AS TIMESTAMP)), 0)
        AS BIGINT) AS after_deaths
FROM buckets AS b
INNER JOIN windowed AS a ON a.route_code = b.route_code AND a.bucket = b.bucket
WHERE
    a.stake_m BETWEEN b.lo AND b.hi
    AND on_days(a.occurred_at, b.before_start, b.observed_end)
    AND (
        a.occurred_at < CAST(b.listed_on AS TIMESTAMP)
        OR a.occurred_at >= CAST(b.after_start AS TIMESTAMP)
    )
GROUP BY b.hazard_id
