-- One-time codes a holder reads out to a professional outside their care team, to consent
-- to one consultation (access/care.h). Only a keyed hash of the code is kept.
CREATE TABLE consultation_codes (
  space_id TEXT NOT NULL,
  code_hash BYTEA NOT NULL,
  expires_at TEXT NOT NULL,
  failures BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (space_id)
);
