-- 0010: 人·车·企 source hazards (docs/methods.md §八). A county imports the list of one indicator
-- (逾期未检验, 逾期未审验 …) as of a date: a snapshot. A subject (vehicle, driver, enterprise) on the
-- list with no open case of that indicator opens one; an open case whose subject is absent from the
-- next snapshot, or listed with a clearing word (已检验 …), is cleared on that snapshot's date. A
-- brigade may also ask to clear a case by hand with evidence; the detachment accepts it. Every
-- change of a case appends an event. Full views of personal information are logged.

CREATE SEQUENCE source_snapshot_seq START 1;
CREATE SEQUENCE source_case_seq START 1;
CREATE SEQUENCE source_event_seq START 1;
CREATE SEQUENCE source_summons_seq START 1;
CREATE SEQUENCE pii_view_seq START 1;

CREATE TABLE source_subjects (
    subject_key     VARCHAR PRIMARY KEY,     -- V:<号牌号码>:<号牌种类> | D:<身份证明号码> | E:<企业名称>
    subject         VARCHAR NOT NULL,        -- vehicle | driver | enterprise
    unit_adcode     VARCHAR NOT NULL,        -- the unit whose list named it last
    plate           VARCHAR,                 -- 号牌号码
    plate_kind      VARCHAR,                 -- 号牌种类 (01 大型汽车 …)
    vehicle_kind    VARCHAR,                 -- the key kind (两客一危一货一校一面 …, configured)
    vehicle_type    VARCHAR,                 -- 车辆类型 as the platform writes it
    use_nature      VARCHAR,                 -- 使用性质
    seats           INTEGER,                 -- 核定载客
    name            VARCHAR,                 -- a driver's 姓名, an enterprise's name
    id_number       VARCHAR,                 -- a driver's 身份证明号码 (also the licence number)
    licence_class   VARCHAR,                 -- 准驾车型
    ab_class        BOOLEAN,                 -- A1 A2 A3 B1 B2
    phone           VARCHAR,
    enterprise      VARCHAR,                 -- 所属企业 of a vehicle or driver
    licence_no      VARCHAR,                 -- an enterprise's 经营许可证号
    enterprise_kind VARCHAR,                 -- 客运 | 危货 | 货运 | 校车服务 …
    updated_at      TIMESTAMP NOT NULL
);

CREATE TABLE source_snapshots (
    snapshot_id  BIGINT PRIMARY KEY DEFAULT nextval('source_snapshot_seq'),
    indicator    VARCHAR NOT NULL,           -- the indicator's code in the sources configuration
    unit_adcode  VARCHAR NOT NULL,
    as_of        DATE NOT NULL,
    import_id    BIGINT,
    listed       INTEGER NOT NULL,           -- subjects the list names as hazards
    cleared      INTEGER NOT NULL,           -- cases this snapshot cleared
    opened       INTEGER NOT NULL,           -- cases it opened
    UNIQUE (indicator, unit_adcode, as_of)
);

CREATE TABLE source_snapshot_rows (
    snapshot_id  BIGINT NOT NULL,
    subject_key  VARCHAR NOT NULL,
    status       VARCHAR,                    -- the file's status; a clearing word ends the case
    detail       JSON,                       -- the indicator's own fields (违法未处理数, sightings …)
    PRIMARY KEY (snapshot_id, subject_key)
);

CREATE TABLE source_cases (
    case_id          BIGINT PRIMARY KEY DEFAULT nextval('source_case_seq'),
    indicator        VARCHAR NOT NULL,
    subject_key      VARCHAR NOT NULL,
    unit_adcode      VARCHAR NOT NULL,
    opened_on        DATE NOT NULL,
    opened_snapshot  BIGINT,
    state            VARCHAR NOT NULL,       -- 未清零 | 待验收 | 已清零
    cleared_on       DATE,
    cleared_how      VARCHAR,                -- 已检验 … | 未再列入清单 | 人工清零
    cleared_snapshot BIGINT,
    version          INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE source_case_events (
    event_id     BIGINT PRIMARY KEY DEFAULT nextval('source_event_seq'),
    case_id      BIGINT NOT NULL,
    event_at     TIMESTAMP NOT NULL,
    actor        VARCHAR NOT NULL,
    action       VARCHAR NOT NULL,           -- 新增 | 清零 | 申请清零 | 验收清零 | 退回
    from_state   VARCHAR,
    to_state     VARCHAR,
    snapshot_id  BIGINT,
    note         VARCHAR
);

CREATE TABLE source_event_attachments (     -- evidence of a hand clearing (files in attachments)
    event_id   BIGINT NOT NULL,
    sha256     VARCHAR NOT NULL,
    file_name  VARCHAR NOT NULL,
    PRIMARY KEY (event_id, sha256)
);

CREATE TABLE source_summons (               -- 约谈 of a transport enterprise
    summons_id   BIGINT PRIMARY KEY DEFAULT nextval('source_summons_seq'),
    enterprise   VARCHAR NOT NULL,
    unit_adcode  VARCHAR,
    summoned_on  DATE NOT NULL,
    open_cases   INTEGER NOT NULL,           -- its open cases when the summons was recorded
    note         VARCHAR,
    recorded_by  VARCHAR NOT NULL,
    recorded_at  TIMESTAMP NOT NULL
);

CREATE TABLE pii_views (                    -- every full view or unmasked download of personal data
    view_id      BIGINT PRIMARY KEY DEFAULT nextval('pii_view_seq'),
    viewed_at    TIMESTAMP NOT NULL,
    actor        VARCHAR NOT NULL,
    what         VARCHAR NOT NULL,           -- 案件详情 | 下载
    case_id      BIGINT,
    subject_key  VARCHAR,
    subjects     INTEGER NOT NULL DEFAULT 1  -- how many subjects the view showed in full
);
