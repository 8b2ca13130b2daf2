-- Accidents per unit in [$start, $end] (dates, both included: accidents_on_days, migration 0009).
WITH period AS (
    SELECT unit_adcode, deaths, injuries, loss_yuan, severity, procedure
    FROM accidents_on_days($start, $end)
),

per_unit AS (
    SELECT
        unit_adcode,
        count(*) AS accidents,
        count(*) FILTER (deaths > 0) AS fatal,
        sum(deaths) AS deaths,
        sum(injuries) AS injuries,
        sum(loss_yuan) AS loss_yuan,
        count(*) FILTER (procedure = '一般程序') AS general_procedure,
        count(*) FILTER (procedure = '简易程序') AS simple_procedure
    FROM period
    GROUP BY unit_adcode
)

SELECT
    u.adcode AS unit_adcode,
    u.name AS unit_name,
    u.sort_order,
    coalesce(p.accidents, 0) AS accidents,
    coalesce(p.fatal, 0) AS fatal,
    coalesce(p.deaths, 0) AS deaths,
    coalesce(p.injuries, 0) AS injuries,
    coalesce(p.loss_yuan, 0) AS loss_yuan,
    coalesce(p.general_procedure, 0) AS general_procedure,
    coalesce(p.simple_procedure, 0) AS simple_procedure
FROM units AS u
LEFT JOIN per_unit AS p ON p.unit_adcode = u.adcode
UNION ALL
-- accidents whose unit is unknown or not a configured unit
SELECT
    NULL, '未归属单位', 1000000, count(*), count(*) FILTER (deaths > 0), coalesce(sum(deaths), 0),
    coalesce(sum(injuries), 0), coalesce(sum(loss_yuan), 0),
    count(*) FILTER (procedure = '一般程序'),
    count(*) FILTER (procedure = '简易程序')
FROM period
WHERE unit_adcode IS NULL OR unit_adcode NOT IN (SELECT adcode FROM units)
HAVING count(*) > 0
ORDER BY sort_order
