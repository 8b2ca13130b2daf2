-- 0002: where data came from (imports, dataset facts) and the rural safety-upgrade projects.

CREATE SEQUENCE import_seq START 1;

CREATE TABLE imports (
    import_id    BIGINT PRIMARY KEY DEFAULT nextval('import_seq'),
    file_name    VARCHAR NOT NULL,
    sha256       VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,             -- hazards | accidents | segments | demo
    unit_adcode  VARCHAR,
    imported_by  VARCHAR NOT NULL,
    imported_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    rows_read    INTEGER NOT NULL DEFAULT 0,
    rows_added   INTEGER NOT NULL DEFAULT 0,
    rows_updated INTEGER NOT NULL DEFAULT 0,
    rows_rejected INTEGER NOT NULL DEFAULT 0,
    note         VARCHAR
);

ALTER TABLE hazards ADD COLUMN import_id BIGINT;
ALTER TABLE accidents ADD COLUMN import_id BIGINT;

CREATE TABLE upgrade_projects (             -- 公路安全生命防护工程 and similar
    project_id   VARCHAR PRIMARY KEY,
    unit_adcode  VARCHAR NOT NULL,
    year         INTEGER NOT NULL,
    name         VARCHAR NOT NULL,
    road_name    VARCHAR,
    km           DECIMAL(10, 3) NOT NULL,     -- 公里
    funds_wan    DECIMAL(12, 2) NOT NULL,     -- 万元
    import_id    BIGINT
);

CREATE TABLE dataset (                     -- facts about the database as a whole
    key    VARCHAR PRIMARY KEY,            -- is_demo, demo_seed, demo_generated_at, city_adcode
    value  VARCHAR NOT NULL
);

CREATE INDEX accidents_time_idx ON accidents (occurred_at);
CREATE INDEX hazard_events_hazard_idx ON hazard_events (hazard_id);
