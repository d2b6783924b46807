-- The latest height of each space, kept on write (profile/profile_hooks.cpp): a new weight's
-- body-mass index reads it here. Found by a search, it read index pages that every create
-- writes into; on PostgreSQL, whose serializable transactions watch the pages they read,
-- concurrent weights failed one another (a retry per weight at 64 clients, issue 18).
-- A row names the space's height Observation (LOINC 8302-2) with the latest effective time,
-- `at` as in the search indexes, that is not entered in error; no row: the space has none.
CREATE TABLE latest_measures (
  compartment TEXT NOT NULL,
  code TEXT NOT NULL,
  at INTEGER NOT NULL,
  resource_id TEXT NOT NULL,
  PRIMARY KEY (compartment, code)
) WITHOUT ROWID;
INSERT INTO latest_measures (compartment, code, at, resource_id)
  SELECT t.compartment, '8302-2', MAX(t.at), t.resource_id FROM search_tokens t
  WHERE t.resource_type = 'Observation' AND t.param = 'code' AND t.code = '8302-2' AND t.system = 'http://loinc.org'
    AND NOT EXISTS (SELECT 1 FROM search_tokens s WHERE s.compartment = t.compartment AND s.resource_type = 'Observation'
                    AND s.resource_id = t.resource_id AND s.param = 'status' AND s.code = 'entered-in-error')
  GROUP BY t.compartment;
