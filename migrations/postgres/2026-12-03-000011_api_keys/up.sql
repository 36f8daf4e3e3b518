-- Keys of the back office's API: only a digest of each is kept.
CREATE TABLE api_keys (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL UNIQUE,
    -- A comma-separated set of 'cases:read', 'cases:outcome' (db::types checks each).
    scopes TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);

-- The first answer to each Idempotency-Key of a key's POSTs, kept 24 hours.
CREATE TABLE api_idempotency (
    api_key_id BIGINT NOT NULL REFERENCES api_keys (id),
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (api_key_id, idempotency_key)
);
CREATE INDEX api_idempotency_by_age ON api_idempotency (created_at);

-- The recovery result the back office reported for an approved case.
CREATE TABLE case_outcomes (
    case_id BIGINT PRIMARY KEY NOT NULL REFERENCES cases (id),
    result TEXT NOT NULL CHECK (result IN ('recovered', 'not_recovered')),
    reference TEXT NOT NULL,
    amount_fen BIGINT,
    note TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    reported_at TIMESTAMP NOT NULL
);

-- Grows with every change of the case (db::cases::touch), so a reader can tell versions apart.
ALTER TABLE cases ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
-- The API lists cases by last change: keyset pagination walks this index.
CREATE INDEX cases_by_change ON cases (updated_at, id);
