-- Hashed token codes (identifiers, words of document titles) become lower-case hex, like
-- every other token code: text that any backend can store (PostgreSQL text is UTF-8).
UPDATE search_tokens SET code = lower(hex(code))
WHERE param = 'identifier' OR (resource_type = 'DocumentReference' AND param = 'title');
