-- The listed hazards as of a date with their standing on that date, most urgent first.
-- Parameters: $as_of (DATE), $horizon (days), $unit (adcode or NULL), $only_overdue (BOOLEAN),
-- $route (route code or NULL), $limit (the first rows only, or NULL for all), $active_since (a
-- date: only the hazards overdue or due soon, or listed or closed on or after it; or NULL).
-- standing: 逾期 (open, deadline passed) | 临期 (open, deadline within the horizon) |
-- 正常推进 (open, neither overdue nor due soon) | 已销号 (closed by as_of). Definitions: the
-- macros of migration 0009 (listed_hazards, standing_as_of, days_overdue_as_of).
WITH listed AS (
    SELECT *
    FROM listed_hazards($as_of)
    WHERE $unit IS NULL OR unit_adcode = $unit
),

standing AS (
    SELECT
        *,
        standing_as_of(closed_date, deadline, $as_of, $horizon) AS standing,
        days_overdue_as_of(closed_date, deadline, $as_of) AS days_overdue
    FROM listed
)

SELECT
    s.hazard_id,
    s.unit_adcode,
    u.name AS unit_name,
    s.road_name,
    s.route_code,
    s.start_m,
    s.end_m,
    s.township,
    s.hazard_type,
    s.risk_grade,
    s.supervision_level,
    s.source,
    s.listed_on,
    s.deadline,
    s.closed_date,
    s.standing,
    s.days_overdue,
    s.responsible_unit,
    s.lead_leader,
    s.state,
    s.lon,
    s.lat
FROM standing AS s
LEFT JOIN units AS u ON u.adcode = s.unit_adcode
WHERE
    (NOT $only_overdue OR s.standing = '逾期')
    AND ($route IS NULL OR s.route_code = $route)
    AND (
        $active_since IS NULL
        OR s.standing IN ('逾期', '临期')
        OR s.listed_on >= $active_since
        OR s.closed_date >= $active_since
    )
ORDER BY
    CASE s.standing WHEN '逾期' THEN 0 WHEN '临期' THEN 1 WHEN '正常推进' THEN 2 ELSE 3 END,
    s.days_overdue DESC NULLS LAST,
    s.deadline NULLS LAST,
    s.hazard_id
LIMIT $limit
