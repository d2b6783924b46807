-- A holder's delegations: another person (by their own space) acts in the holder's space with
-- the rights given — read only, or read and write. Revoked at any time by the holder.
CREATE TABLE delegations (
  space_id TEXT NOT NULL,
  delegate_space_id TEXT NOT NULL,
  rights TEXT NOT NULL CHECK (rights IN ('read', 'write')),
  since TEXT NOT NULL,
  revoked_at TEXT,
  PRIMARY KEY (space_id, delegate_space_id)
);
CREATE INDEX delegations_by_delegate ON delegations (delegate_space_id);
