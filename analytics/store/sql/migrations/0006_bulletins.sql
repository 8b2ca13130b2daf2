-- 0006: issued bulletins (通报), frozen as issued: their content and the files people downloaded.

CREATE TABLE bulletins (
    year         INTEGER NOT NULL,           -- year of the document's date; numbers restart at 1
    number       INTEGER NOT NULL,           -- 第N期: 1, 2, 3 ... without gaps within a year
    period       VARCHAR NOT NULL,           -- week | month | quarter
    as_of        DATE NOT NULL,              -- 统计截至
    dated        DATE NOT NULL,              -- 成文日期
    title        VARCHAR NOT NULL,
    issued_by    VARCHAR NOT NULL,           -- the administrator: display name·username
    issued_at    TIMESTAMP NOT NULL,
    content      JSON NOT NULL,              -- analytics.bulletin.Bulletin as JSON (figures, tables, sites)
    docx         BLOB NOT NULL,              -- the files exactly as issued
    xlsx         BLOB NOT NULL,
    docx_sha256  VARCHAR NOT NULL,
    xlsx_sha256  VARCHAR NOT NULL,
    PRIMARY KEY (year, number),
    UNIQUE (period, as_of)                   -- one bulletin of a kind per as-of date
);
