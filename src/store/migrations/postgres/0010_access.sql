-- Access policy facts (access/facts.h) and the audit trail (access/audit.h).

-- Care relationships between a professional (IdNatPs) and a space: the designated
-- physician (set by the holder), declared care-team members (presumed authorised; the holder
-- is notified and can remove them), consent for one consultation, emergency access.
-- A relationship ends when removed_at or expires_at passes.
CREATE TABLE care_relationships (
  space_id TEXT NOT NULL,
  idnatps TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('designated', 'care_team', 'consent', 'emergency')),
  since TEXT NOT NULL,
  expires_at TEXT,
  removed_at TEXT,
  PRIMARY KEY (space_id, idnatps, kind, since)
);

-- Professionals the holder blocked; `emergency_allowed`: emergency access stays possible.
CREATE TABLE blocked_professionals (
  space_id TEXT NOT NULL,
  idnatps TEXT NOT NULL,
  since TEXT NOT NULL,
  emergency_allowed BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (space_id, idnatps)
);

-- Per-resource access flags: hidden from professionals / representatives, and the
-- professional who added it (who may then change it, and see it even when hidden).
CREATE TABLE resource_access (
  compartment TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  hidden_from_professionals BIGINT NOT NULL DEFAULT 0,
  hidden_from_representatives BIGINT NOT NULL DEFAULT 0,
  author_idnatps TEXT,
  PRIMARY KEY (compartment, resource_type, resource_id)
);

-- The holder's settings for access.
CREATE TABLE space_access_settings (
  space_id TEXT PRIMARY KEY,
  emergency_forbidden BIGINT NOT NULL DEFAULT 0
);

-- The profession x category matrix in force (replaced whole by an operator import; empty:
-- the national default compiled into the binary).
CREATE TABLE access_matrix (
  profession_code TEXT NOT NULL,
  profession_label TEXT NOT NULL,
  category TEXT NOT NULL,
  allowed BIGINT NOT NULL,
  PRIMARY KEY (profession_code, category)
);

-- Audit events, one hash chain per space: hash = keyed BLAKE2b(prev_hash || event).
CREATE TABLE audit_events (
  space_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  at TEXT NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  on_behalf_of TEXT NOT NULL,
  action TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL,
  client_address TEXT NOT NULL,
  emergency BIGINT NOT NULL,
  by_holder BIGINT NOT NULL,
  prev_hash BYTEA NOT NULL,
  hash BYTEA NOT NULL,
  PRIMARY KEY (space_id, seq)
);
CREATE INDEX audit_events_by_actor ON audit_events (actor_id, at);

-- The last event of each chain, so that removing events from the end is detected too.
CREATE TABLE audit_heads (
  space_id TEXT PRIMARY KEY,
  last_seq BIGINT NOT NULL,
  last_hash BYTEA NOT NULL
);
