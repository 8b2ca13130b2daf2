-- 0004: local accounts (Argon2 hashes), their audit trail, and evidence files attached to events.

CREATE TABLE accounts (
    username            VARCHAR PRIMARY KEY,
    display_name        VARCHAR NOT NULL,
    role                VARCHAR NOT NULL,        -- leader | admin | county
    unit_adcode         VARCHAR,                 -- the brigade's unit (county accounts only)
    password_hash       VARCHAR NOT NULL,        -- argon2id, encoded with its parameters
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    is_demo             BOOLEAN NOT NULL DEFAULT FALSE,
    failed_attempts     INTEGER NOT NULL DEFAULT 0,
    locked_until        TIMESTAMP,
    created_at          TIMESTAMP NOT NULL DEFAULT current_timestamp,
    password_changed_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE SEQUENCE account_event_seq START 1;

CREATE TABLE account_events (                -- append-only: who did what to which account
    event_id   BIGINT PRIMARY KEY DEFAULT nextval('account_event_seq'),
    username   VARCHAR NOT NULL,
    event_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
    actor      VARCHAR NOT NULL,
    action     VARCHAR NOT NULL,             -- 创建 | 改密码 | 停用 | 启用 | 登录成功 | 登录失败 | 锁定
    note       VARCHAR
);

CREATE TABLE attachments (                   -- evidence files, stored once by content hash
    sha256      VARCHAR PRIMARY KEY,
    mime        VARCHAR NOT NULL,            -- image/jpeg | image/png | application/pdf
    size_bytes  BIGINT NOT NULL,
    stored_at   TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE event_attachments (             -- which evidence belongs to which hazard event
    event_id   BIGINT NOT NULL,
    sha256     VARCHAR NOT NULL,
    file_name  VARCHAR NOT NULL,             -- the name the user uploaded it under
    PRIMARY KEY (event_id, sha256)
);
