-- Hashed token codes are hex text from the start on PostgreSQL (see the SQLite migration of
-- the same number, which converts the raw hashes it had stored).
SELECT 1;
