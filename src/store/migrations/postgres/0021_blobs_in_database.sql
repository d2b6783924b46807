-- Document bytes kept in the database (carnetd --document-storage database; store/blobs.h):
-- a head row per blob, visible to readers once committed, and its encrypted bytes in chunks
-- of up to 1 MiB. Blob ids are random; the document rows of a space name them.
CREATE TABLE blob_objects (
  id TEXT PRIMARY KEY,
  size BIGINT NOT NULL,
  committed INTEGER NOT NULL,
  created_at BIGINT NOT NULL  -- unix milliseconds; collect() removes old orphans
);
CREATE INDEX blob_objects_created ON blob_objects (created_at);
CREATE TABLE blob_chunks (
  id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  bytes BYTEA NOT NULL,
  PRIMARY KEY (id, seq)
);
-- The bytes are encrypted, so compressing them is wasted work: stored out of line as they are.
ALTER TABLE blob_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;
