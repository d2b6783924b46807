-- Per-space data keys, stored only wrapped by the master key (see crypto/keyring.h).
-- Deleting a row crypto-shreds the space: every ciphertext under that key becomes noise.
CREATE TABLE space_keys (
  space_id TEXT PRIMARY KEY,
  wrapped_key BYTEA NOT NULL,
  master_fingerprint TEXT NOT NULL,
  created_at TEXT NOT NULL
);

-- Records of destroyed keys, so that "unknown space" and "erased space" differ.
CREATE TABLE shredded_spaces (
  space_id TEXT PRIMARY KEY,
  shredded_at TEXT NOT NULL,
  reason TEXT NOT NULL
);
