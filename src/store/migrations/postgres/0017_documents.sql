-- Document bytes (documents/vault.h): the content of each Binary version is one blob in the
-- blob store, encrypted under a key of its own, which is kept here sealed with the space key.
CREATE TABLE binary_contents (
  space_id TEXT NOT NULL,
  binary_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  blob_id TEXT NOT NULL,
  sealed_key BYTEA NOT NULL,
  size BIGINT NOT NULL,
  sha1 BYTEA NOT NULL,
  content_type TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (space_id, binary_id, version)
);
-- Orphan collection asks whether a blob is named.
CREATE INDEX binary_contents_by_blob ON binary_contents (blob_id);

-- Results the author withholds from the patient until an announcement consultation
-- (DocumentReference.securityLabel INVISIBLE_PATIENT): hidden from the holder and their
-- representatives until `withheld_until`, unless the author releases them earlier. The
-- holder is told after a while that a document awaits them, then when it is released.
ALTER TABLE resource_access ADD COLUMN withheld_since TEXT;
ALTER TABLE resource_access ADD COLUMN withheld_until TEXT;
ALTER TABLE resource_access ADD COLUMN awaiting_notice_at TEXT;
ALTER TABLE resource_access ADD COLUMN released_notice_at TEXT;
CREATE INDEX resource_access_withheld ON resource_access (withheld_until) WHERE withheld_until IS NOT NULL;
