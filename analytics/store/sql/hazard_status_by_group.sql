-- Hazard ledger status per group as of a date.
-- Parameters: $as_of (DATE), $horizon (days), $by ('unit' | 'type' | 'grade' | 'supervision' |
-- 'source' | 'all'), $unit (an adcode to keep one unit only, or NULL for all).
-- Definitions (issue 5): listed = listed_on (the hazard_listing view, migration 0003)
-- <= as_of and not voided by then; closed = listed and closed by as_of; overdue = listed, open, deadline < as_of;
-- due soon = listed, open, as_of <= deadline <= as_of + horizon; due = deadline <= as_of;
-- on time = closed by as_of on or before its deadline, among the due.
WITH hazard AS (
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
        voided_date,
        closed_date,
        deadline,
        nullif(trim(goal), '') IS NOT NULL
        AND nullif(trim(lead_leader), '') IS NOT NULL
        AND nullif(trim(responsible_unit), '') IS NOT NULL
        AND nullif(trim(completion_standard), '') IS NOT NULL
        AND deadline IS NOT NULL AS five_complete
    FROM hazard_listing
    WHERE $unit IS NULL OR unit_adcode = $unit
),

listed AS (
    SELECT
        *,
        coalesce(closed_date <= $as_of, FALSE) AS is_closed
    FROM hazard
    WHERE listed_on <= $as_of
      AND (voided_date IS NULL OR voided_date > $as_of)
)

SELECT
    group_key,
    count(*) AS listed,
    count(*) FILTER (is_closed) AS closed,
    count(*) FILTER (NOT is_closed) AS open,
    count(*) FILTER (deadline <= $as_of) AS due,
    count(*) FILTER (deadline <= $as_of AND is_closed AND closed_date <= deadline) AS on_time,
    count(*) FILTER (NOT is_closed AND deadline < $as_of) AS overdue,
    count(*) FILTER (
        NOT is_closed AND deadline BETWEEN $as_of AND $as_of + to_days(CAST($horizon AS INTEGER))
    ) AS due_soon,
    count(*) FILTER (five_complete) AS five_complete,
    avg(date_diff('day', listed_on, closed_date)) FILTER (is_closed) AS avg_days_to_close,
    max(date_diff('day', deadline, $as_of)) FILTER (NOT is_closed AND deadline < $as_of)
        AS max_days_overdue
FROM listed
GROUP BY group_key
ORDER BY group_key
