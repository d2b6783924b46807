-- FHIR resources, every version kept. The body is the resource's JSON sealed with the key of
-- its compartment (the person's space key, or the directory's service key); the associated
-- data binds compartment, type, id and version, so a body cannot be moved. Deletions are
-- versions without a body. The compartment leads every key so the data can be distributed
-- by space.
CREATE TABLE resource_versions (
  compartment TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  last_updated TEXT NOT NULL,
  deleted BIGINT NOT NULL DEFAULT 0,
  body BYTEA,
  PRIMARY KEY (compartment, resource_type, resource_id, version)
);

-- The current version of each resource, for reads and as the anchor of search indexes.
CREATE TABLE resources (
  compartment TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  last_updated TEXT NOT NULL,
  deleted BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (compartment, resource_type, resource_id)
);
CREATE INDEX resources_by_updated ON resources (compartment, resource_type, last_updated);
