-- A signed-in person changing their second factor: the new factor waits here (sealed: the
-- TOTP secret to scan, or where codes go) until its first code proves it works; ten minutes
-- and five tries; one pending change per account (a new start replaces it).
CREATE TABLE factor_changes (
  account_id TEXT PRIMARY KEY REFERENCES accounts (account_id),
  change_hash BLOB NOT NULL,
  payload BLOB NOT NULL,
  otp_hash BLOB,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
) WITHOUT ROWID;
