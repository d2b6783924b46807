-- Forgotten passwords: a code e-mailed to the account's login (keyed hash only), valid 30
-- minutes and five tries; one pending reset per account (a new request replaces it).
CREATE TABLE password_resets (
  account_id TEXT PRIMARY KEY REFERENCES accounts (account_id),
  code_hash BLOB NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
) WITHOUT ROWID;
