-- How the holder wants to hear about each kind of event in their space (first access by a
-- new professional, emergency access, a document added): by e-mail, SMS, or not at all.
-- No row: the first contact they gave.
CREATE TABLE notification_prefs (
  space_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('first_access', 'emergency', 'new_document')),
  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'none')),
  PRIMARY KEY (space_id, kind)
);

-- Professionals who already accessed a space (the first access is notified once).
CREATE TABLE professional_accesses (
  space_id TEXT NOT NULL,
  idnatps TEXT NOT NULL,
  first_at TEXT NOT NULL,
  PRIMARY KEY (space_id, idnatps)
);
