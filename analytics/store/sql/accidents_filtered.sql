-- The accidents matching the analysis filters that occurred on [$start, $end] (dates, both
-- included: accidents_on_days, migration 0009). Every accident-analysis query starts from this
-- (analytics/accidents/analysis.py wraps it as the CTE "filtered"); a NULL filter means "all".
SELECT
    a.*,
    coalesce(a.collision_type, '未填写') AS collision_key,
    coalesce(a.route_code, '') AS route_key,
    coalesce(a.unit_adcode, '') AS unit_key
FROM accidents_on_days($start, $end) AS a
WHERE
    ($unit IS NULL OR a.unit_adcode = $unit)
    AND ($route IS NULL OR a.route_code = $route)
    AND ($severity IS NULL OR a.severity = $severity)
    AND ($collision_type IS NULL OR a.collision_type = $collision_type)
    AND ($weather IS NULL OR a.weather = $weather)
    AND ($procedure IS NULL OR a.procedure = $procedure)
