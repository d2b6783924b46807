-- The keys of each resource's token and reference index rows, in one row per resource
-- (index_keys.keys, JSON: {"t": [[param, code, system], ...], "r": [[param, target], ...]},
-- fhir::SearchIndex::keys), instead of those two tables' index by resource: that index was a
-- B-tree more written per index row, five of the sixteen a new Observation wrote; this is one
-- (issue 18). What it served reads the keys instead: an update or a deletion removes exactly
-- the rows they name (by primary key, with the resources row's `at`), a search checks its
-- other criteria on a candidate's keys, an _include reads its targets there. The keys have
-- their own table rather than a column of resources (on SQLite, a longer row spills onto an
-- overflow page). search_dates keeps its index by resource (a sort on a secondary date reads
-- it). A deleted resource has no index rows, and no keys.
CREATE TABLE index_keys (
  compartment TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  keys TEXT NOT NULL,
  PRIMARY KEY (compartment, resource_type, resource_id)
);
INSERT INTO index_keys (compartment, resource_type, resource_id, keys)
SELECT r.compartment, r.resource_type, r.resource_id, json_build_object(
  't', COALESCE((SELECT json_agg(json_build_array(t.param, t.code, t.system)) FROM search_tokens t
                 WHERE t.compartment = r.compartment AND t.resource_type = r.resource_type
                   AND t.resource_id = r.resource_id), '[]'::json),
  'r', COALESCE((SELECT json_agg(json_build_array(x.param, x.target)) FROM search_references x
                 WHERE x.compartment = r.compartment AND x.resource_type = r.resource_type
                   AND x.resource_id = r.resource_id), '[]'::json))::text
FROM resources r WHERE r.deleted = 0;
DROP INDEX search_tokens_owner;
DROP INDEX search_references_owner;
