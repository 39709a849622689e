-- vigil schema, migration 3: find a clinician's capture of a post without
-- reading the entries themselves (the watcher asks this for every post).
CREATE INDEX entries_capture ON entries (platform, post_id, clinician) WHERE kind = 'capture';
