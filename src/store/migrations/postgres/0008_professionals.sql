-- Professional accounts are bound to one IdNatPs (the directory's Practitioner).
ALTER TABLE accounts ADD COLUMN idnatps TEXT;
CREATE UNIQUE INDEX accounts_idnatps ON accounts (idnatps) WHERE idnatps IS NOT NULL;

-- Invitations to create a professional account, sent by e-mail (by an operator, or on the
-- professional's request to the address the directory lists).
CREATE TABLE invitations (
  token_hash BYTEA PRIMARY KEY,
  idnatps TEXT NOT NULL,
  email_sealed BYTEA NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT
);
