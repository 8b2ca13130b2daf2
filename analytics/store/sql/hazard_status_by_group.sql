-- Hazard ledger status per group as of a date.
-- Parameters: $as_of (DATE), $horizon (days), $by ('unit' | 'type' | 'grade' | 'supervision' |
-- 'source' | 'all'), $unit (an adcode to keep one unit only, or NULL for all).
-- Definitions (docs/methods.md §一): listed, closed, open, overdue and due soon as of a date are the macros
-- of migration 0009 (listed_hazards, overdue_as_of, due_soon_as_of); due = deadline <= as_of;
-- on time = closed by as_of on or before its deadline, among the due.
WITH listed AS (
    SELECT
        CASE $by
            WHEN 'unit' THEN unit_adcode
            WHEN 'type' THEN hazard_type
            WHEN 'grade' THEN risk_grade
            WHEN 'supervision' THEN supervision_level
            WHEN 'source' THEN source
            ELSE 'all'
        END AS group_key,
        listed_on,
        closed_date,
        deadline,
        is_closed,
        -- (a missing element makes this NULL or false: either is not counted by FILTER; the
        -- comparison is cheaper than nullif(…) IS NOT NULL, 2 ms of a unit ranking's 24)
        trim(goal) <> ''
        AND trim(lead_leader) <> ''
        AND trim(responsible_unit) <> ''
        AND trim(completion_standard) <> ''
        AND deadline IS NOT NULL AS five_complete
    FROM listed_hazards($as_of)
    WHERE $unit IS NULL OR unit_adcode = $unit
)

SELECT
    group_key,
    count(*) AS listed,
    count(*) FILTER (is_closed) AS closed,
    count(*) FILTER (NOT is_closed) AS open,
    count(*) FILTER (deadline <= $as_of) AS due,
    count(*) FILTER (deadline <= $as_of AND is_closed AND closed_date <= deadline) AS on_time,
    count(*) FILTER (overdue_as_of(closed_date, deadline, $as_of)) AS overdue,
    count(*) FILTER (due_soon_as_of(closed_date, deadline, $as_of, $horizon)) AS due_soon,
    count(*) FILTER (five_complete) AS five_complete,
    avg(date_diff('day', listed_on, closed_date)) FILTER (is_closed) AS avg_days_to_close,
    max(days_overdue_as_of(closed_date, deadline, $as_of)) AS max_days_overdue
FROM listed
GROUP BY group_key
ORDER BY group_key
