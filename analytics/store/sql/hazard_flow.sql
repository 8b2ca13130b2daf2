-- New listings and closures per week or month up to an as-of date, as known on that date.
-- Parameters: $as_of (DATE), $freq ('week' | 'month'), $unit (adcode or NULL for all).
-- A week starts on Monday; the last bucket runs only to $as_of. Only the hazards listed as of
-- $as_of count (listed_hazards, migration 0009): voided and 待认定 hazards are left out.
WITH valid AS (
    SELECT
        listed_on,
        closed_date,
        is_closed
    FROM listed_hazards($as_of)
    WHERE $unit IS NULL OR unit_adcode = $unit
),

new AS (
    SELECT CAST(date_trunc($freq, listed_on) AS DATE) AS bucket, count(*) AS new
    FROM valid
    GROUP BY 1
),

closed AS (
    SELECT CAST(date_trunc($freq, closed_date) AS DATE) AS bucket, count(*) AS closed
    FROM valid
    WHERE is_closed
    GROUP BY 1
),

buckets AS (
    SELECT CAST(unnest(generate_series(
        CAST(date_trunc($freq, (SELECT min(listed_on) FROM valid)) AS TIMESTAMP),
        CAST(date_trunc($freq, $as_of) AS TIMESTAMP),
        CASE $freq WHEN 'week' THEN INTERVAL 7 DAY ELSE INTERVAL 1 MONTH END
    )) AS DATE) AS bucket
)

SELECT
    b.bucket,
    coalesce(n.new, 0) AS new,
    coalesce(c.closed, 0) AS closed
FROM buckets AS b
LEFT JOIN new AS n ON n.bucket = b.bucket
LEFT JOIN closed AS c ON c.bucket = b.bucket
ORDER BY b.bucket
