-- Whether a resource's `patient` search parameter names its space's own patient. Nearly
-- every resource does, so `patient=<the holder>` never leads a search (issue 18); checked on
-- each candidate, it was one look-up in search_references per result, a third of the index
-- pages a page of 25 read in a store of 10 M. Kept on every write (fhir/resource_store.cpp)
-- from the same index entries, it is read on the resources row each candidate already reads.
-- NULL: written before this column, still looked up (fhir/search_ordered.cpp). Not filled
-- here: on PostgreSQL that UPDATE ran for more than ten minutes in a store of 10 M resources,
-- and adding a column without a default rewrites nothing.
ALTER TABLE resources ADD COLUMN names_holder INTEGER;
