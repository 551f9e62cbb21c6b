-- modelvet catalogue, schema 3 (PostgreSQL): OpenSSF model signatures found when a revision was added.
-- Keep in step with migrations/sqlite/0003_signatures.sql.

-- One `model.sig` per revision: the signer it names (indexed by fingerprint, for "what did this key
-- sign?") and the whole section as JSON (record.rs `SignatureSection`).
CREATE TABLE signatures (
    revision_id  BIGINT PRIMARY KEY REFERENCES revisions(id) ON DELETE CASCADE,
    path         TEXT NOT NULL,
    signer_kind  TEXT,
    fingerprint  TEXT,
    section      TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX signatures_fingerprint ON signatures(fingerprint);
