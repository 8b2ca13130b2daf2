-- 0005: column mappings saved per unit and kind, offered again on the next upload.

CREATE TABLE column_mappings (
    unit_adcode  VARCHAR NOT NULL,           -- '' for the detachment's own uploads
    kind         VARCHAR NOT NULL,           -- hazards | accidents
    mapping      JSON NOT NULL,              -- {"the file's column": "standard column"}
    saved_by     VARCHAR NOT NULL,
    saved_at     TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (unit_adcode, kind)
);

ALTER TABLE road_segments ADD COLUMN import_id BIGINT;  -- every imported segment points to its import
