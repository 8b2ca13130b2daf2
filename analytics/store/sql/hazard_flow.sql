-- New listings and closures per week or month up to an as-of date, as known on that date.
-- Parameters: $as_of (DATE), $freq ('week' | 'month'), $unit (adcode or NULL for all).
-- A week starts on Monday; the last bucket runs only to $as_of. Hazards voided by $as_of and
-- hazards still 待认定 are not on the list and are left out.
WITH hazard AS (
    SELECT
        listed_on,
        closed_date,
        voided_date
    FROM hazard_listing
    WHERE $unit IS NULL OR unit_adcode = $unit
),

valid AS (
    SELECT *
    FROM hazard
    WHERE listed_on <= $as_of
      AND (voided_date IS NULL OR voided_date > $as_of)
),

new AS (
    SELECT CAST(date_trunc($freq, listed_on) AS DATE) AS bucket, count(*) AS new
    FROM valid
    GROUP BY 1
),

closed AS (
    SELECT CAST(date_trunc($freq, closed_date) AS DATE) AS bucket, count(*) AS closed
    FROM valid
    WHERE closed_date <= $as_of
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
