-- The space a session currently acts in: the holder's own, or a represented child's.
ALTER TABLE sessions ADD COLUMN acting_space_id TEXT;
