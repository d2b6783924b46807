-- Searches read one page of index entries, however full the space (issue 18). Each resource
-- has a time, `at`: the earliest start of its type's first date parameter (an
-- Observation's effective time, an Appointment's start; fhir::primary_date_param), or
-- -62135596801 (before year 1) when it has none. Searches are ordered by it (newest first by
-- default), and every index row carries it after the parameter and value, so that
-- `code=X` newest first, or within a date range, is one range of one index read in order.
ALTER TABLE resources ADD COLUMN at BIGINT NOT NULL DEFAULT -62135596801;
UPDATE resources SET at = COALESCE((
  SELECT MIN(d.low) FROM search_dates d
  WHERE d.compartment = resources.compartment AND d.resource_type = resources.resource_type
    AND d.resource_id = resources.resource_id
    AND d.param = CASE resources.resource_type
      WHEN 'Patient' THEN 'birthdate' WHEN 'DocumentReference' THEN 'date' WHEN 'List' THEN 'date'
      WHEN 'AllergyIntolerance' THEN 'date' WHEN 'Condition' THEN 'onset-date' WHEN 'Immunization' THEN 'date'
      WHEN 'MedicationStatement' THEN 'effective' WHEN 'Observation' THEN 'date' WHEN 'Appointment' THEN 'date'
      WHEN 'Communication' THEN 'sent' WHEN 'MedicationRequest' THEN 'authoredon'
      WHEN 'MedicationDispense' THEN 'whenhandedover' WHEN 'Consent' THEN 'date' ELSE '' END), -62135596801);
-- The default order of a type's search without criteria (deleted resources are not searched).
CREATE INDEX resources_by_at ON resources (compartment, resource_type, at, resource_id) WHERE deleted = 0;
DROP INDEX resources_by_updated;
CREATE INDEX resources_by_updated ON resources (compartment, resource_type, last_updated, resource_id);

CREATE TABLE search_tokens_by_at (
  compartment TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  param TEXT NOT NULL,
  code TEXT NOT NULL,
  at BIGINT NOT NULL,
  resource_id TEXT NOT NULL,
  system TEXT NOT NULL,
  PRIMARY KEY (compartment, resource_type, param, code, at, resource_id, system)
);
INSERT INTO search_tokens_by_at (compartment, resource_type, param, code, at, resource_id, system)
  SELECT t.compartment, t.resource_type, t.param, t.code, r.at, t.resource_id, t.system
  FROM search_tokens t JOIN resources r
    ON r.compartment = t.compartment AND r.resource_type = t.resource_type AND r.resource_id = t.resource_id;
DROP TABLE search_tokens;
ALTER TABLE search_tokens_by_at RENAME TO search_tokens;
-- Owner index: replaces a resource's rows, and checks the criteria that do not lead a search.
CREATE INDEX search_tokens_owner ON search_tokens (compartment, resource_type, resource_id, param, code);

CREATE TABLE search_references_by_at (
  compartment TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  param TEXT NOT NULL,
  target TEXT NOT NULL,
  at BIGINT NOT NULL,
  resource_id TEXT NOT NULL,
  PRIMARY KEY (compartment, resource_type, param, target, at, resource_id)
);
INSERT INTO search_references_by_at (compartment, resource_type, param, target, at, resource_id)
  SELECT x.compartment, x.resource_type, x.param, x.target, r.at, x.resource_id
  FROM search_references x JOIN resources r
    ON r.compartment = x.compartment AND r.resource_type = x.resource_type AND r.resource_id = x.resource_id;
DROP TABLE search_references;
ALTER TABLE search_references_by_at RENAME TO search_references;
CREATE INDEX search_references_owner ON search_references (compartment, resource_type, resource_id, param, target);
