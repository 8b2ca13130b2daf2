-- Closed hazards (已销号, closed as of $as_of: closed_as_of, migration 0009) with a location, and
-- their windows:
-- before = the $months months before the listing day (listed_on − $months months … listed_on − 1),
-- after  = the $months months after the closing day (closed_date + 1 … closed_date + $months months),
-- observed up to $as_of. Located by stakes (route and start_m; a missing end_m is the start; the
-- two in either order) or, without stakes, by coordinates. $unit limits the hazards to one unit (NULL: all).
SELECT
    h.hazard_id,
    h.unit_adcode,
    u.name AS unit_name,
    h.road_name,
    h.hazard_type,
    h.route_code,
    -- the stretch low to high (a ledger may give its stakes against the chainage)
    -- (least and greatest pass over NULLs: without a start there is no stretch)
    CASE WHEN h.start_m IS NOT NULL THEN least(h.start_m, coalesce(h.end_m, h.start_m)) END
        AS start_m,
    CASE WHEN h.start_m IS NOT NULL THEN greatest(h.start_m, coalesce(h.end_m, h.start_m)) END
        AS end_m,
    h.lon,
    h.lat,
    CASE WHEN h.route_code IS NOT NULL AND h.start_m IS NOT NULL THEN 'stake' ELSE 'coords' END
        AS mode,
    h.listed_on,
    h.closed_date,
    CAST(h.listed_on - to_months($months) AS DATE) AS before_start,
    CAST(h.listed_on - INTERVAL 1 DAY AS DATE) AS before_end,
    CAST(h.closed_date + INTERVAL 1 DAY AS DATE) AS after_start,
    CAST(h.closed_date + to_months($months) AS DATE) AS after_end,
    least(CAST(h.closed_date + to_months($months) AS DATE), CAST($as_of AS DATE)) AS observed_end
FROM hazard_listing AS h
LEFT JOIN units AS u ON u.adcode = h.unit_adcode
WHERE
    h.state = '已销号'
    AND closed_as_of(h.closed_date, $as_of)
    AND h.listed_on IS NOT NULL
    AND h.listed_on <= h.closed_date
    AND (
        (h.route_code IS NOT NULL AND h.start_m IS NOT NULL)
        OR (h.lon IS NOT NULL AND h.lat IS NOT NULL)
    )
    AND ($unit IS NULL OR h.unit_adcode = $unit)
