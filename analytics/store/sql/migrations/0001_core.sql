-- 0001: units, routes and road segments, the hazard ledger with its event log, accidents.

CREATE TABLE units (
    adcode      VARCHAR PRIMARY KEY,           -- 341202; zones use their own codes
    name        VARCHAR NOT NULL UNIQUE,       -- 颍州区
    short_name  VARCHAR NOT NULL,              -- 颍州
    kind        VARCHAR NOT NULL,              -- district | county | city | zone
    aliases     VARCHAR[] NOT NULL DEFAULT [],
    seat_lon    DOUBLE,                        -- WGS-84
    seat_lat    DOUBLE,
    sort_order  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE routes (
    route_code  VARCHAR PRIMARY KEY,           -- G105, S12, X003
    name        VARCHAR NOT NULL,              -- 国道105线 / 济广高速
    road_class  VARCHAR NOT NULL,              -- 高速公路 | 国道 | 省道 | 县道 | 乡道 | 城市道路
    start_m     INTEGER,                       -- stake of the city's first metre
    end_m       INTEGER,
    provenance  VARCHAR                        -- where the route and its alignment come from
);

CREATE TABLE road_segments (
    segment_id  VARCHAR PRIMARY KEY,
    route_code  VARCHAR NOT NULL,
    name        VARCHAR,
    start_m     INTEGER NOT NULL,
    end_m       INTEGER NOT NULL,
    unit_adcode VARCHAR,
    path        DOUBLE[][] NOT NULL,           -- [[lon, lat], ...] WGS-84
    CHECK (end_m >= start_m)
);

CREATE TABLE hazards (
    hazard_id            VARCHAR PRIMARY KEY,  -- 隐患编号
    unit_adcode          VARCHAR NOT NULL,     -- 所属区县
    township             VARCHAR,              -- 乡镇
    road_name            VARCHAR,              -- 道路名称
    route_code           VARCHAR,              -- 路线编码 (blank for urban streets)
    start_m              INTEGER,              -- 起点桩号 in metres
    end_m                INTEGER,              -- 止点桩号 in metres
    lon                  DOUBLE,               -- WGS-84
    lat                  DOUBLE,
    coord_source         VARCHAR,              -- system the coordinates arrived in
    hazard_type          VARCHAR,              -- 隐患类型
    description          VARCHAR,              -- 隐患描述
    risk_grade           VARCHAR,              -- 重大 | 较大 | 一般
    supervision_level    VARCHAR NOT NULL DEFAULT '无',  -- 部 | 省 | 市 | 县 | 无
    source               VARCHAR,              -- 隐患来源
    found_date           DATE,                 -- 排查日期
    listed_date          DATE,                 -- 入单日期
    goal                 VARCHAR,              -- 工作目标
    lead_leader          VARCHAR,              -- 牵头领导
    responsible_unit     VARCHAR,              -- 责任单位
    completion_standard  VARCHAR,              -- 完成标准
    deadline             DATE,                 -- 完成时限
    reward_penalty       VARCHAR,              -- 奖惩措施
    measures             VARCHAR,              -- 整改措施
    temporary_controls   VARCHAR,              -- 临时管控措施
    progress             VARCHAR,              -- 整改进展 (latest)
    state                VARCHAR NOT NULL,     -- workflow state, see analytics/ledger.py
    closed_date          DATE,                 -- 销号日期
    accept_unit          VARCHAR,              -- 验收单位
    accepted_by          VARCHAR,              -- 验收人
    accepted_date        DATE,                 -- 验收日期
    acceptance_evidence  VARCHAR,
    voided_date          DATE,
    void_reason          VARCHAR,
    funds_wan            DECIMAL(12, 2),       -- 投入资金(万元)
    version              INTEGER NOT NULL DEFAULT 1,
    created_at           TIMESTAMP NOT NULL DEFAULT current_timestamp,
    updated_at           TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE SEQUENCE hazard_event_seq START 1;

CREATE TABLE hazard_events (
    event_id    BIGINT PRIMARY KEY DEFAULT nextval('hazard_event_seq'),
    hazard_id   VARCHAR NOT NULL,
    event_at    TIMESTAMP NOT NULL,
    actor       VARCHAR NOT NULL,              -- who (account or unit)
    action      VARCHAR NOT NULL,              -- 发现 | 入单 | 交办 | 进展 | 申请销号 | 退回 | 销号 | 作废 | 导入 | 修改
    from_state  VARCHAR,
    to_state    VARCHAR,
    changes     JSON,                          -- {"field": [before, after], ...}
    note        VARCHAR
);

CREATE TABLE accidents (
    accident_id   VARCHAR PRIMARY KEY,         -- 事故编号
    occurred_at   TIMESTAMP NOT NULL,          -- 事故时间
    unit_adcode   VARCHAR,                     -- 所属区县
    road_name     VARCHAR,                     -- 道路名称
    route_code    VARCHAR,                     -- 路线编码
    stake_m       INTEGER,                     -- 公里数*1000 + 米数
    lon           DOUBLE,                      -- WGS-84
    lat           DOUBLE,
    coord_source  VARCHAR,
    deaths        INTEGER NOT NULL DEFAULT 0,  -- 死亡人数
    injuries      INTEGER NOT NULL DEFAULT 0,  -- 受伤人数
    loss_yuan     DECIMAL(14, 2),              -- 直接财产损失(元)
    collision_type VARCHAR,                    -- 事故形态
    weather       VARCHAR,                     -- 天气
    severity      VARCHAR,                     -- 财产损失事故 | 伤人事故 | 死亡事故
    procedure     VARCHAR,                     -- 简易程序 | 一般程序
    legacy_grade  VARCHAR                      -- 轻微 | 一般 | 重大 | 特大 (old records)
);
