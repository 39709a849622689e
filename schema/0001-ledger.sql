-- vigil ledger schema, migration 1. See evidence-format.md.
-- Evidence tables are append-only: triggers refuse UPDATE and DELETE.

CREATE TABLE entries (
  seq       INTEGER PRIMARY KEY,           -- position in the ledger, from 0
  bytes     BLOB    NOT NULL,              -- canonical entry bytes (RFC 8785)
  sig       BLOB    NOT NULL,              -- 64-byte Ed25519 signature
  hash      BLOB    NOT NULL,              -- SHA-256(bytes), the next prev
  leaf      BLOB    NOT NULL,              -- SHA-256(0x00 || bytes)
  kind      TEXT    NOT NULL,
  time      TEXT    NOT NULL,
  key_id    TEXT    NOT NULL,              -- key that signed this entry
  clinician TEXT,                          -- derived, for queries
  of_seq    INTEGER,                       -- derived: observation/annotation target
  platform  TEXT,                          -- derived: captures
  post_id   TEXT                           -- derived: captures
);
CREATE INDEX entries_clinician ON entries (clinician);
CREATE INDEX entries_of ON entries (of_seq);
CREATE INDEX entries_post ON entries (platform, post_id);
CREATE INDEX entries_kind ON entries (kind);

CREATE TABLE blobs (
  sha256 TEXT    PRIMARY KEY,              -- hex SHA-256 of data
  size   INTEGER NOT NULL,
  data   BLOB    NOT NULL
);

CREATE TABLE checkpoints (
  size INTEGER PRIMARY KEY,                -- tree size
  root BLOB    NOT NULL,                   -- RFC 9162 root
  note TEXT    NOT NULL,                   -- signed note (spec 1.4)
  time TEXT    NOT NULL
);

CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'vigil evidence is append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'vigil evidence is append-only'); END;
CREATE TRIGGER blobs_no_update BEFORE UPDATE ON blobs
BEGIN SELECT RAISE(ABORT, 'vigil evidence is append-only'); END;
CREATE TRIGGER blobs_no_delete BEFORE DELETE ON blobs
BEGIN SELECT RAISE(ABORT, 'vigil evidence is append-only'); END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'vigil evidence is append-only'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'vigil evidence is append-only'); END;
