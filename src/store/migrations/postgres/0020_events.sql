-- Events between instances use LISTEN/NOTIFY on PostgreSQL (store.h, Store::listen): no
-- table (the SQLite migration of the same number creates the one it polls).
SELECT 1;
