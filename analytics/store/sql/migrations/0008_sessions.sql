-- 0008: signed-in sessions, shared by every tab and every app process. The browser keeps a random
-- token (32 bytes) in a cookie; the database keeps only its SHA-256, so a copy of this table (or a
-- backup) signs nobody in. A session ends at sign-out, after the idle or the absolute limit, when
-- the account is disabled or its password changed; an ended session is never revived.

CREATE TABLE sessions (
    token_hash  VARCHAR PRIMARY KEY,          -- hex SHA-256 of the cookie's token
    username    VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL,           -- signed in (the absolute limit counts from here)
    last_seen   TIMESTAMP NOT NULL,           -- last activity, written at most once a minute
    ended_at    TIMESTAMP,
    end_reason  VARCHAR                       -- sign_out | idle | max_age | disabled | password | restore
);
