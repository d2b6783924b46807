-- Professionals name resources by id only: find the space that holds one.
CREATE INDEX resources_by_id ON resources (resource_type, resource_id);
