-- The version of the reference data that instances cache (access matrix, directory), bumped
-- by every change, so that a cache older than the database is noticed (store.h).
CREATE TABLE reference_data_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version BIGINT NOT NULL
);
INSERT INTO reference_data_version (id, version) VALUES (1, 1);
