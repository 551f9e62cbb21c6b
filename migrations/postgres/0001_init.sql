-- modelvet catalogue, schema 1 (PostgreSQL). Keep in step with migrations/sqlite/0001_init.sql.
CREATE TABLE models (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE revisions (
    id               BIGSERIAL PRIMARY KEY,
    model_id         BIGINT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    revision         TEXT NOT NULL,
    source_kind      TEXT NOT NULL,
    source_location  TEXT NOT NULL,
    source_revision  TEXT,
    added_at         TEXT NOT NULL,
    card_raw         TEXT,
    card_json        TEXT,
    config_json      TEXT,
    metadata_json    TEXT,
    UNIQUE (model_id, revision)
);
CREATE INDEX revisions_by_model ON revisions(model_id, id);

CREATE TABLE files (
    revision_id  BIGINT NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
    path         TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT,
    git_oid      TEXT,
    format       TEXT NOT NULL,
    PRIMARY KEY (revision_id, path)
);

CREATE TABLE base_models (
    revision_id  BIGINT NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    name         TEXT NOT NULL,
    relation     TEXT NOT NULL,
    PRIMARY KEY (revision_id, position)
);

CREATE TABLE license_claims (
    id           BIGSERIAL PRIMARY KEY,
    revision_id  BIGINT NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    value        TEXT NOT NULL,
    source       TEXT NOT NULL,
    confidence   DOUBLE PRECISION
);
CREATE INDEX license_claims_by_revision ON license_claims(revision_id);

CREATE TABLE components (
    revision_id     BIGINT NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
    component_id    BIGINT NOT NULL,
    name            TEXT NOT NULL,
    status          TEXT NOT NULL,
    license         TEXT,
    license_source  TEXT,
    evidence        TEXT,
    PRIMARY KEY (revision_id, component_id)
);

CREATE TABLE findings (
    id           BIGSERIAL PRIMARY KEY,
    revision_id  BIGINT NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
    origin       TEXT NOT NULL,
    code         TEXT NOT NULL,
    severity     TEXT NOT NULL,
    path         TEXT,
    message      TEXT NOT NULL,
    evidence     TEXT
);
CREATE INDEX findings_by_revision ON findings(revision_id);

CREATE TABLE runs (
    id           BIGSERIAL PRIMARY KEY,
    revision_id  BIGINT NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    result_json  TEXT NOT NULL
);
CREATE INDEX runs_by_revision ON runs(revision_id, kind, id);
