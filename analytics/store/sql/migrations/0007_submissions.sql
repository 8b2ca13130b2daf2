-- 0007: one submission, one record. Each form submission carries a token (made by the page from
-- the account, the form, what the form was drawn for and what was typed); the write that it
-- caused records the token here in the same transaction, so the same submission arriving again
-- (a double click, a second tab, a resent request) is refused and the user is shown the record
-- already made.

CREATE TABLE submissions (
    token         VARCHAR PRIMARY KEY,         -- unique: the second write with it fails
    action        VARCHAR NOT NULL,            -- report | progress | request_signoff | ...
    hazard_id     VARCHAR NOT NULL,            -- the hazard created or changed
    event_id      BIGINT,                      -- the event the submission appended
    actor         VARCHAR NOT NULL,            -- display name·username
    submitted_at  TIMESTAMP NOT NULL
);
