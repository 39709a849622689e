-- vigil schema, migration 4: the re-check remembers the hex SHA-256 of the
-- post's text as last recorded (the capture's post.text, then each
-- `edited` observation's), so an edit is observed once, not at every check.
-- NULL: not yet compared; the capture entry says.
ALTER TABLE rechecks ADD COLUMN text_sha256 TEXT;
