-- Search indexes of the current version of each resource (fhir/search_index.h). They hold
-- codes, time ranges and references only; identifier values are keyed hashes. Each table
-- has a look-up key (by parameter and value) and an owner index (to replace the rows of one
-- resource when it changes).
CREATE TABLE search_tokens (
  compartment TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  param TEXT NOT NULL,
  code TEXT NOT NULL,
  system TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  PRIMARY KEY (compartment, resource_type, param, code, system, resource_id)
);
CREATE INDEX search_tokens_owner ON search_tokens (compartment, resource_type, resource_id);

-- [low, high) in seconds since the epoch, UTC.
CREATE TABLE search_dates (
  compartment TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  param TEXT NOT NULL,
  low BIGINT NOT NULL,
  high BIGINT NOT NULL,
  resource_id TEXT NOT NULL,
  PRIMARY KEY (compartment, resource_type, param, low, high, resource_id)
);
CREATE INDEX search_dates_owner ON search_dates (compartment, resource_type, resource_id, param, low);

CREATE TABLE search_references (
  compartment TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  param TEXT NOT NULL,
  target TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  PRIMARY KEY (compartment, resource_type, param, target, resource_id)
);
CREATE INDEX search_references_owner ON search_references (compartment, resource_type, resource_id);

-- Type history (GET /fhir/r4/Type/_history), newest first.
CREATE INDEX resource_versions_by_time ON resource_versions (compartment, resource_type, last_updated);
