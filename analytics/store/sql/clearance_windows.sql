-- New listings and closures in each of the last $weeks 7-day windows ending on $as_of, per unit.
-- Window k (0 = the latest) is ($as_of − 7(k+1), $as_of − 7k]. Only the hazards listed as of
-- $as_of count (listed_hazards, migration 0009).
WITH recent AS (
    SELECT
        unit_adcode,
        listed_on,
        closed_date
    FROM listed_hazards($as_of)
    WHERE
        listed_on > $as_of - CAST(7 * $weeks AS INTEGER)
        OR closed_date > $as_of - CAST(7 * $weeks AS INTEGER)
),

windows AS (
    SELECT
        k,
        $as_of - CAST(7 * (k + 1) AS INTEGER) AS after_day,
        $as_of - CAST(7 * k AS INTEGER) AS last_day
    FROM (SELECT CAST(unnest(range(0, $weeks)) AS INTEGER) AS k)
)

SELECT
    r.unit_adcode,
    w.k,
    count(*) FILTER (r.listed_on > w.after_day AND r.listed_on <= w.last_day) AS new,
    count(*) FILTER (r.closed_date > w.after_day AND r.closed_date <= w.last_day) AS closed
FROM windows AS w
CROSS JOIN recent AS r
GROUP BY r.unit_adcode, w.k
ORDER BY r.unit_adcode, w.k
