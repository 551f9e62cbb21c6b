-- modelvet catalogue, schema 4 (SQLite): lineage (tensor digests) and upstream drift observations.
-- Keep in step with migrations/postgres/0004_lineage.sql.

-- "Which other revision holds this exact file?" is a lookup by digest, not a scan.
CREATE INDEX files_by_sha256 ON files(sha256);

-- The SHA-256 of every tensor's raw bytes in a revision's safetensors and GGUF files, computed at
-- `add` in the read that hashes the file. `shape` is a JSON array. Indexed by digest, so that
-- "which revisions share this tensor?" stays a lookup at 100,000 models.
CREATE TABLE tensors (
    revision_id  INTEGER NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
    path         TEXT NOT NULL,
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    dtype        TEXT NOT NULL,
    shape        TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    PRIMARY KEY (revision_id, path, position)
);
CREATE INDEX tensors_by_sha256 ON tensors(sha256, revision_id);

-- What `outdated` saw when it asked the Hub again about a Hub-pinned revision: when, the ref it
-- followed and where that pointed, `current` or `drift`, and the whole observation as JSON.
CREATE TABLE upstream_observations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    revision_id  INTEGER NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
    observed_at  TEXT NOT NULL,
    ref_name     TEXT,
    head         TEXT,
    status       TEXT NOT NULL,
    detail       TEXT NOT NULL
);
CREATE INDEX upstream_observations_by_revision ON upstream_observations(revision_id, id);
