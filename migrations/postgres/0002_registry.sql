-- modelvet catalogue, schema 2 (PostgreSQL): the registry's tokens, approvals and event log.
-- Keep in step with migrations/sqlite/0002_registry.sql.

-- API tokens. Only the SHA-256 of a token is stored; a name is unique among live tokens.
CREATE TABLE tokens (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    sha256      TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    expires_on  TEXT,
    revoked_at  TEXT
);
CREATE UNIQUE INDEX tokens_live_name ON tokens(name) WHERE revoked_at IS NULL;

-- Human decisions: "this revision meets this criterion". `current` marks the newest decision for
-- a (revision, criterion); older ones (revoked or expired, then approved again) stay as history.
CREATE TABLE approvals (
    id           BIGSERIAL PRIMARY KEY,
    revision_id  BIGINT NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
    criterion    TEXT NOT NULL,
    approved_by  TEXT NOT NULL,
    approved_at  TEXT NOT NULL,
    note         TEXT,
    expires_on   TEXT,
    revoked_at   TEXT,
    revoked_by   TEXT,
    revoke_note  TEXT,
    current      BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX approvals_current ON approvals(revision_id, criterion) WHERE current = 1;

-- Append-only: who did what, written in the transaction of the change. Not tied to revisions by a
-- foreign key, so that removing a model keeps its history.
CREATE TABLE events (
    id        BIGSERIAL PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    model     TEXT,
    revision  TEXT,
    detail    TEXT NOT NULL
);
CREATE INDEX events_by_model ON events(model, id);

-- Browser sessions: the cookie carries a random secret, of which only the SHA-256 is kept. A
-- session ends with its token (revoked or expired) or after its own lifetime.
CREATE TABLE sessions (
    id            BIGSERIAL PRIMARY KEY,
    sha256        TEXT NOT NULL UNIQUE,
    token_sha256  TEXT NOT NULL,
    csrf          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);

-- What the catalogue page shows and filters by that only the record can compute (the effective
-- license and openness), one row per revision; rewritten by the use-case layer after each change
-- to the revision, never a source of truth. Verdicts, findings and approvals are read live.
CREATE TABLE summaries (
    revision_id   BIGINT PRIMARY KEY REFERENCES revisions(id) ON DELETE CASCADE,
    license       TEXT NOT NULL,
    license_ids   TEXT NOT NULL,   -- the ids in the expression, each between spaces: " MIT Apache-2.0 "
    openness      TEXT,
    mof_class     BIGINT,
    computed_at   TEXT NOT NULL
);
