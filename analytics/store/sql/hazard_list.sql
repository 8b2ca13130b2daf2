-- The listed hazards as of a date with their standing on that date, most urgent first.
-- Parameters: $as_of (DATE), $horizon (days), $unit (adcode or NULL), $only_overdue (BOOLEAN).
-- standing: 逾期 (open, deadline passed) | 临期 (open, deadline within the horizon) |
-- 正常推进 (open, neither overdue nor due soon) | 已销号 (closed by as_of). listed_on: the hazard_listing view.
WITH hazard AS (
    SELECT *
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
),

standing AS (
    SELECT
        *,
        CASE
            WHEN is_closed THEN '已销号'
            WHEN deadline < $as_of THEN '逾期'
            WHEN deadline <= $as_of + to_days(CAST($horizon AS INTEGER)) THEN '临期'
            ELSE '正常推进'
        END AS standing,
        CASE WHEN NOT is_closed AND deadline < $as_of THEN date_diff('day', deadline, $as_of) END
            AS days_overdue
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
WHERE NOT $only_overdue OR s.standing = '逾期'
ORDER BY
    CASE s.standing WHEN '逾期' THEN 0 WHEN '临期' THEN 1 WHEN '正常推进' THEN 2 ELSE 3 END,
    s.days_overdue DESC NULLS LAST,
    s.deadline NULLS LAST,
    s.hazard_id
