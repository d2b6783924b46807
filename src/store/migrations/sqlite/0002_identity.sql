-- Spaces: one per person, keyed by a random id. The person's NIR is only stored as a keyed
-- hash (look-up); traits and contact details are sealed with the space's own data key, so
-- that crypto-shredding the space erases them too. A person who objected keeps only the
-- hash and the state, which is what prevents enrolling them again.
CREATE TABLE spaces (
  space_id TEXT PRIMARY KEY,
  ins_hash BLOB NOT NULL UNIQUE,
  state TEXT NOT NULL CHECK (state IN ('notified', 'open', 'opposed', 'closed')),
  enrolled_at TEXT NOT NULL,
  opposition_deadline TEXT NOT NULL,
  activated_at TEXT,
  state_changed_at TEXT NOT NULL,
  adult_on TEXT,                    -- 18th birthday, for minors only (representatives' end)
  identity BLOB,                    -- sealed traits and contacts; NULL once shredded
  code_hash BLOB,                   -- keyed hash of the provisional code; NULL when used up
  code_expires_at TEXT,
  code_failures INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX spaces_deadline ON spaces (state, opposition_deadline);
CREATE INDEX spaces_adult_on ON spaces (adult_on) WHERE adult_on IS NOT NULL;

-- Legal representatives of a minor's space, by the representative's NIR hash (they may be
-- enrolled later, or in another file).
CREATE TABLE representatives (
  space_id TEXT NOT NULL REFERENCES spaces (space_id),
  representative_ins_hash BLOB NOT NULL,
  since TEXT NOT NULL,
  until_date TEXT,
  PRIMARY KEY (space_id, representative_ins_hash)
) WITHOUT ROWID;
CREATE INDEX representatives_by_person ON representatives (representative_ins_hash);

-- Notifications leave through this table, written in the same transaction as the change
-- that causes them. The payload (recipient, template parameters) is sealed with the
-- outbox service key; it never holds health information.
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  space_id TEXT,
  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
  template TEXT NOT NULL,
  payload BLOB NOT NULL,
  created_at TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  sent_at TEXT,
  last_error TEXT
);
CREATE INDEX outbox_pending ON outbox (status, next_attempt_at);
