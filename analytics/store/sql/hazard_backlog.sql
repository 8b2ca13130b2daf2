-- Open hazards on each day from the first listing to an as-of date.
-- Parameters: $as_of (DATE), $unit (adcode or NULL). Open on day t is open_as_of(…, t)
-- (migration 0009): listed on or before t and neither closed nor voided on or before t. Counted
-- for every day at once as a sweep: +1 on the listing day, −1 on the earlier of the close and
-- void days (tests/store/test_definitions.py checks the sweep against open_as_of day by day).
WITH hazard AS (
    SELECT
        listed_on,
        least(closed_date, voided_date) AS exit_on
    FROM hazard_listing
    WHERE $unit IS NULL OR unit_adcode = $unit
),

spells AS (
    SELECT listed_on, exit_on
    FROM hazard
    WHERE listed_on <= $as_of
      AND (exit_on IS NULL OR exit_on > listed_on)
),

deltas AS (
    SELECT listed_on AS day, 1 AS delta FROM spells
    UNION ALL
    SELECT exit_on, -1 FROM spells WHERE exit_on <= $as_of
),

per_day AS (
    SELECT day, sum(delta) AS delta FROM deltas GROUP BY day
),

days AS (
    SELECT CAST(unnest(generate_series(
        CAST((SELECT min(listed_on) FROM spells) AS TIMESTAMP),
        CAST($as_of AS TIMESTAMP),
        INTERVAL 1 DAY
    )) AS DATE) AS day
)

SELECT
    d.day,
    CAST(sum(coalesce(p.delta, 0)) OVER (ORDER BY d.day) AS BIGINT) AS open
FROM days AS d
LEFT JOIN per_day AS p ON p.day = d.day
ORDER BY d.day
