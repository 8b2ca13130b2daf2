-- The ledger (台账): every hazard with its current state and, as of $as_of, its standing.
-- Filters are bound parameters; NULL means "any". $text matches id, road, township,
-- description, responsible unit and lead leader. $standing '在办' means every open listed hazard
-- (逾期, 临期 and 正常推进 together: 在办 of docs/methods.md). Definitions: the macros of migration 0009.
WITH h AS (
    SELECT
        l.*,
        closed_as_of(l.closed_date, $as_of) AS is_closed,
        listed_as_of(l.listed_on, l.voided_date, $as_of) AS is_listed
    FROM hazard_listing AS l
),

standing AS (
    SELECT
        *,
        CASE
            WHEN voided_date <= $as_of THEN '已作废'
            WHEN NOT coalesce(is_listed, FALSE) THEN '未入单'
            ELSE standing_as_of(closed_date, deadline, $as_of, $horizon)
        END AS standing,
        CASE WHEN is_listed THEN days_overdue_as_of(closed_date, deadline, $as_of) END
            AS days_overdue
    FROM h
)

SELECT s.*, u.name AS unit_name
FROM standing AS s
LEFT JOIN units AS u ON u.adcode = s.unit_adcode
WHERE ($unit IS NULL OR s.unit_adcode = $unit)
  AND ($state IS NULL OR s.state = $state)
  AND ($type IS NULL OR s.hazard_type = $type)
  AND ($grade IS NULL OR s.risk_grade = $grade)
  AND ($level IS NULL OR s.supervision_level = $level)
  AND ($source IS NULL OR s.source = $source)
  AND ($standing IS NULL OR s.standing = $standing
       OR ($standing = '在办' AND s.standing IN ('逾期', '临期', '正常推进')))
  AND ($text IS NULL OR concat_ws(' ', s.hazard_id, s.road_name, s.township, s.description,
                                  s.responsible_unit, s.lead_leader) ILIKE '%' || $text || '%')
ORDER BY
    CASE s.standing WHEN '逾期' THEN 0 WHEN '临期' THEN 1 WHEN '正常推进' THEN 2 WHEN '未入单' THEN 3
                    WHEN '已销号' THEN 4 ELSE 5 END,
    s.days_overdue DESC NULLS LAST,
    s.deadline NULLS LAST,
    s.hazard_id
