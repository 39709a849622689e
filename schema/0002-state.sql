-- vigil schema, migration 2: the daemon's working state. Nothing here is
-- evidence; these rows are updated freely. Evidence stays in entries.

CREATE TABLE sources (
  name         TEXT PRIMARY KEY,         -- [source NAME] in vigil.conf
  platform     TEXT NOT NULL,
  clinician    TEXT NOT NULL,
  cursor       TEXT,                     -- advanced only after its posts are stored
  last_poll_ms INTEGER,
  last_ok_ms   INTEGER,
  next_poll_ms INTEGER,
  captures     INTEGER NOT NULL DEFAULT 0,
  errors       INTEGER NOT NULL DEFAULT 0,
  last_error   TEXT
);

-- The last registration entry written for each clinician, to notice changes.
CREATE TABLE registrations (
  clinician TEXT PRIMARY KEY,
  digest    TEXT NOT NULL,               -- SHA-256 of the canonical clinician object
  seq       INTEGER NOT NULL
);

-- Captures still to be checked for deletion.
CREATE TABLE rechecks (
  seq         INTEGER PRIMARY KEY,       -- the capture
  source      TEXT NOT NULL,
  post_id     TEXT NOT NULL,
  captured_ms INTEGER NOT NULL,
  next_ms     INTEGER NOT NULL,
  done        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX rechecks_due ON rechecks (done, next_ms);

-- Alerts to send, grouped by clinician and author; kept until delivered.
CREATE TABLE alerts (
  id          INTEGER PRIMARY KEY,
  clinician   TEXT NOT NULL,
  author      TEXT NOT NULL,
  first_seq   INTEGER NOT NULL,
  last_seq    INTEGER NOT NULL,
  count       INTEGER NOT NULL,
  labels      TEXT NOT NULL,
  created_ms  INTEGER NOT NULL,
  next_try_ms INTEGER NOT NULL,
  tries       INTEGER NOT NULL DEFAULT 0,
  webhook_ok  INTEGER NOT NULL DEFAULT 0,
  email_ok    INTEGER NOT NULL DEFAULT 0,
  sent_ms     INTEGER,
  last_error  TEXT
);
CREATE INDEX alerts_pending ON alerts (sent_ms, next_try_ms);
