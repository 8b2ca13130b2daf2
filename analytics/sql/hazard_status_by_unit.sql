-- Hazard ledger status per unit as of a date. Parameters: $as_of (DATE), $horizon (days).
-- Definitions (issue 5): listed = listing date (found date when absent) <= as_of and not voided
-- by then; closed = listed and closed by as_of; overdue = listed, open, deadline < as_of;
-- due soon = listed, open, as_of <= deadline <= as_of + horizon; on time = closed on or before
-- its deadline, among the due (deadline <= as_of).
WITH hazard AS (
    SELECT
        unit_adcode,
        coalesce(listed_date, found_date) AS listed_on,
        voided_date,
        closed_date,
        deadline,
        goal, lead_leader, responsible_unit, completion_standard
    FROM hazards
),

listed AS (
    SELECT
        *,
        closed_date IS NOT NULL AND closed_date <= $as_of AS is_closed
    FROM hazard
    WHERE listed_on <= $as_of
      AND (voided_date IS NULL OR voided_date > $as_of)
),

per_unit AS (
    SELECT
        unit_adcode,
        count(*) AS listed,
        count(*) FILTER (is_closed) AS closed,
        count(*) FILTER (NOT is_closed AND deadline < $as_of) AS overdue,
        count(*) FILTER (
            NOT is_closed AND deadline BETWEEN $as_of AND $as_of + to_days(CAST($horizon AS INTEGER))
        ) AS due_soon,
        count(*) FILTER (deadline <= $as_of) AS due,
        count(*) FILTER (deadline <= $as_of AND is_closed AND closed_date <= deadline) AS closed_on_time,
        count(*) FILTER (
            nullif(trim(goal), '') IS NOT NULL AND nullif(trim(lead_leader), '') IS NOT NULL
            AND nullif(trim(responsible_unit), '') IS NOT NULL
            AND nullif(trim(completion_standard), '') IS NOT NULL AND deadline IS NOT NULL
        ) AS five_complete,
        max(date_diff('day', deadline, $as_of)) FILTER (NOT is_closed AND deadline < $as_of)
            AS max_days_overdue
    FROM listed
    GROUP BY unit_adcode
)

SELECT
    u.adcode AS unit_adcode,
    u.name AS unit_name,
    u.kind AS unit_kind,
    coalesce(p.listed, 0) AS listed,
    coalesce(p.closed, 0) AS closed,
    coalesce(p.listed, 0) - coalesce(p.closed, 0) AS open,
    coalesce(p.overdue, 0) AS overdue,
    coalesce(p.due_soon, 0) AS due_soon,
    coalesce(p.due, 0) AS due,
    coalesce(p.closed_on_time, 0) AS closed_on_time,
    coalesce(p.five_complete, 0) AS five_complete,
    p.max_days_overdue
FROM units AS u
LEFT JOIN per_unit AS p ON p.unit_adcode = u.adcode
ORDER BY u.sort_order
