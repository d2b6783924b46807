-- What the last directory imports brought, by natural key (IdNatPs for practitioners, the
-- structure's technical id for organizations, practitioner + structure + profession +
-- speciality for roles), so that a re-import updates what changed and deactivates what
-- vanished. The resources themselves are in `resources` (compartment 'directory').
CREATE TABLE directory_entries (
  resource_type TEXT NOT NULL,
  natural_key TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  content_hash BYTEA NOT NULL,
  active BIGINT NOT NULL DEFAULT 1,
  last_import TEXT NOT NULL,
  PRIMARY KEY (resource_type, natural_key)
);
CREATE INDEX directory_by_import ON directory_entries (resource_type, last_import);
