-- 0003: the one definition of a hazard's listing day, shared by every ledger query.
-- A hazard is on the list from its 入单日期, or its 排查日期 when the sheet had no listing date;
-- a hazard still awaiting confirmation (待认定), or voided without ever being listed, is not.

CREATE VIEW hazard_listing AS
SELECT
    *,
    CASE
        WHEN state = '待认定' THEN NULL
        WHEN state = '已作废' AND listed_date IS NULL THEN NULL
        ELSE coalesce(listed_date, found_date)
    END AS listed_on
FROM hazards;
