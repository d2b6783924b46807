-- Scheduled jobs: one row per job. An instance runs a job only after winning its lease
-- with a conditional UPDATE, so several carnetd instances sharing the database never run
-- the same job twice in one period.
CREATE TABLE job_leases (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL DEFAULT '',
  lease_until TEXT NOT NULL DEFAULT '',
  next_run_at TEXT NOT NULL DEFAULT '',
  last_run_at TEXT,
  last_status TEXT
);
