-- vigil schema, migration 5: an edit that turns a post into one that calls
-- for an alert raises one. Working state, not evidence.

-- The labels (space-separated) of the text last recorded for the capture by
-- an `edited` observation. NULL: the capture's own classification says.
ALTER TABLE rechecks ADD COLUMN labels TEXT;

-- The new text and classification of an `edited` observation that raised
-- an alert, for the alert's message: the observation's body has the text
-- only in its detail, cut, and the payload blob is the platform's answer.
CREATE TABLE edits (
  seq            INTEGER PRIMARY KEY,    -- the `edited` observation
  capture        INTEGER NOT NULL,       -- the capture it is of
  text           TEXT NOT NULL,
  classification TEXT NOT NULL           -- JSON, as in a capture's body
);
