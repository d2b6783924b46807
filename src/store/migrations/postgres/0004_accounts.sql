-- Accounts of holders (and, later, professionals and operators). The login (an e-mail
-- address) is looked up by keyed hash and kept sealed for sending one-time codes.
CREATE TABLE accounts (
  account_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('holder', 'professional', 'operator')),
  login_hash BYTEA NOT NULL UNIQUE,
  login_sealed BYTEA NOT NULL,
  password_hash TEXT NOT NULL,
  second_factor TEXT NOT NULL CHECK (second_factor IN ('totp', 'email', 'sms')),
  factor_sealed BYTEA,                 -- TOTP secret, or the phone number for SMS codes
  totp_last_step BIGINT NOT NULL DEFAULT 0,
  space_id TEXT REFERENCES spaces (space_id),
  created_at TEXT NOT NULL,
  disabled BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX accounts_space ON accounts (space_id) WHERE space_id IS NOT NULL;

CREATE TABLE recovery_codes (
  account_id TEXT NOT NULL REFERENCES accounts (account_id),
  code_hash BYTEA NOT NULL,
  used_at TEXT,
  PRIMARY KEY (account_id, code_hash)
);

-- Half-finished activations and sign-ins waiting for their second factor.
CREATE TABLE challenges (
  challenge_hash BYTEA PRIMARY KEY,
  purpose TEXT NOT NULL CHECK (purpose IN ('activation', 'sign_in')),
  account_id TEXT,
  space_id TEXT,
  payload BYTEA,                       -- sealed: the pending activation's choices
  otp_hash BYTEA,                      -- for codes sent by e-mail or SMS
  attempts BIGINT NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);

CREATE TABLE sessions (
  token_hash BYTEA PRIMARY KEY,
  session_id TEXT NOT NULL UNIQUE,    -- public handle for listing and revoking
  account_id TEXT NOT NULL REFERENCES accounts (account_id),
  kind TEXT NOT NULL CHECK (kind IN ('cookie', 'bearer')),
  csrf_hash BYTEA,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,           -- absolute expiry
  client_address TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  revoked_at TEXT
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Failed sign-in attempts, per account and per client address, for back-off.
CREATE TABLE throttle (
  throttle_key TEXT PRIMARY KEY,
  failures BIGINT NOT NULL,
  last_failure_at TEXT NOT NULL,
  blocked_until TEXT NOT NULL
);
