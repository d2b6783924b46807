-- The current version's body lives on its resources row; resource_versions keeps the versions
-- before it (and deletions). A search page or a read by id finds a resource's row and has its
-- body there: on PostgreSQL a page of 25 no longer descends resource_versions' primary key 25
-- more times in a second statement, and a create writes one row and its indexes instead of
-- two (issue 18). An update moves the version it replaces into resource_versions
-- (fhir/resource_store.cpp). Rows written before this column keep a NULL body and their
-- current version in resource_versions, where reads still find it: nothing is rewritten here.
-- A deletion, the current version without a body, is kept in resource_versions as before.
ALTER TABLE resources ADD COLUMN body BYTEA;
