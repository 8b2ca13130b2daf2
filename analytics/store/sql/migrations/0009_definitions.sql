-- 0009: the core definitions, each written once, as macros every query uses (docs/methods.md §一).
-- d is the as-of date; horizon is the due-soon warning in days. A hazard's listing day is
-- hazard_listing.listed_on (0003). Macros are expanded where they are used, so a filter written
-- with one is exactly the filter written out (same plan, same zone-map pruning).

-- Listed as of d: on the list on d, that is listed on or before d and not voided on or before d.
-- NULL when the hazard has no listing day (待认定, or voided without being listed): not listed.
CREATE OR REPLACE MACRO listed_as_of(listed_on, voided_date, d) AS
    listed_on <= d AND (voided_date IS NULL OR voided_date > d);

-- Closed as of d (已销号 by d). A listed hazard that is not closed is open (在办).
CREATE OR REPLACE MACRO closed_as_of(closed_date, d) AS
    coalesce(closed_date <= d, FALSE);

-- Open as of d (在办): listed and not closed.
CREATE OR REPLACE MACRO open_as_of(listed_on, voided_date, closed_date, d) AS
    listed_as_of(listed_on, voided_date, d) AND NOT closed_as_of(closed_date, d);

-- Overdue as of d (逾期), for a listed hazard: not closed and its deadline before d.
CREATE OR REPLACE MACRO overdue_as_of(closed_date, deadline, d) AS
    NOT closed_as_of(closed_date, d) AND deadline < d;

-- Due soon as of d (临期), for a listed hazard: not closed, deadline on d … d + horizon.
CREATE OR REPLACE MACRO due_soon_as_of(closed_date, deadline, d, horizon) AS
    NOT closed_as_of(closed_date, d)
    AND deadline BETWEEN d AND d + to_days(CAST(horizon AS INTEGER));

-- Days a listed hazard is overdue as of d; NULL when it is not overdue.
CREATE OR REPLACE MACRO days_overdue_as_of(closed_date, deadline, d) AS
    CASE WHEN overdue_as_of(closed_date, deadline, d) THEN date_diff('day', deadline, d) END;

-- A listed hazard's standing as of d: 已销号 | 逾期 | 临期 | 正常推进 (open, neither).
CREATE OR REPLACE MACRO standing_as_of(closed_date, deadline, d, horizon) AS
    CASE
        WHEN closed_as_of(closed_date, d) THEN '已销号'
        WHEN overdue_as_of(closed_date, deadline, d) THEN '逾期'
        WHEN due_soon_as_of(closed_date, deadline, d, horizon) THEN '临期'
        ELSE '正常推进'
    END;

-- The hazards listed as of d, each with is_closed (closed as of d).
CREATE OR REPLACE MACRO listed_hazards(d) AS TABLE
    SELECT
        *,
        closed_as_of(closed_date, d) AS is_closed
    FROM hazard_listing
    WHERE listed_as_of(listed_on, voided_date, d);

-- The accident (or event) window: ts falls on one of the days first_day … last_day, both
-- included, whatever its time of day.
CREATE OR REPLACE MACRO on_days(ts, first_day, last_day) AS
    ts >= CAST(first_day AS TIMESTAMP)
    AND ts < CAST(last_day AS TIMESTAMP) + INTERVAL 1 DAY;

-- The accidents that occurred on first_day … last_day.
CREATE OR REPLACE MACRO accidents_on_days(first_day, last_day) AS TABLE
    SELECT *
    FROM accidents
    WHERE on_days(occurred_at, first_day, last_day);
