-- vigil schema, migration 5: what a post was edited into, so that an edit
-- that calls for an alert raises one and the review queue ranks a post by
-- its worst version. Working state, not evidence.

-- The labels (space-separated) of the text last recorded for the capture by
-- an `edited` observation. NULL: the capture's own classification says.
ALTER TABLE rechecks ADD COLUMN labels TEXT;

-- The new text and classification of each `edited` observation (when a
-- classifier judged it), for the alert it may raise and the review queue:
-- the observation's body has the text only in its detail, cut, and the
-- payload blob is the platform's whole answer.
CREATE TABLE edits (
  seq            INTEGER PRIMARY KEY,    -- the `edited` observation
  capture        INTEGER NOT NULL,       -- the capture it is of
  text           TEXT NOT NULL,
  classification TEXT NOT NULL           -- JSON, as in a capture's body
);
CREATE INDEX edits_capture ON edits (capture);
