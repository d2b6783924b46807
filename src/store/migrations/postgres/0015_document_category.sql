-- The matrix category of each document (access/matrix.h), set when it is written.
ALTER TABLE resource_access ADD COLUMN category TEXT;
