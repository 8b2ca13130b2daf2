-- Accidents in the time window [$start, $end] (dates, both included: on_days, migration 0009),
-- optionally of one unit,
-- with each accident's value for every measure of analytics/accidents/rules.py (the one place
-- these values are defined). Score weights: $w_fatal, $w_injury, $w_property.
SELECT
    -- the row's place in the table, a cheap key for a second query of the same transaction
    rowid AS accident_row,
    accident_id,
    occurred_at,
    unit_adcode,
    road_name,
    route_code,
    stake_m,
    lon,
    lat,
    deaths,
    injuries,
    loss_yuan,
    collision_type,
    1 AS accidents,
    CAST(deaths > 0 AS INTEGER) AS fatal_accidents,
    CAST(deaths > 0 OR injuries > 0 AS INTEGER) AS injury_or_fatal_accidents,
    CAST(CASE
        WHEN deaths > 0 THEN $w_fatal
        WHEN injuries > 0 THEN $w_injury
        ELSE $w_property
    END AS DOUBLE) AS score,
    CAST(deaths >= 3 AS INTEGER) AS major_accidents,
    CAST(coalesce(procedure = '一般程序', FALSE) AS INTEGER) AS general_procedure_accidents
FROM accidents
WHERE on_days(occurred_at, $start, $end) AND ($unit IS NULL OR unit_adcode = $unit)
