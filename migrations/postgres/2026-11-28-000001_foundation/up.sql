-- Times are UTC (naive TIMESTAMP); calendar dates are China-local dates.
CREATE TABLE cases (
    id BIGSERIAL PRIMARY KEY,
    case_number TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    tracking_token_hash TEXT NOT NULL UNIQUE,
    submission_key_hash TEXT NOT NULL UNIQUE,
    submission_fingerprint TEXT NOT NULL,
    lang TEXT NOT NULL,
    wechat_id TEXT NOT NULL,
    email TEXT NOT NULL,
    packet_kind TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    sent_at TIMESTAMP NOT NULL,
    transaction_id TEXT NOT NULL UNIQUE,
    counterparty_phone_suffix TEXT NOT NULL,
    card_last4 TEXT NOT NULL,
    account TEXT NOT NULL,
    filed_at TIMESTAMP NOT NULL,
    filed_on DATE NOT NULL,
    review_target DATE NOT NULL,
    review_deadline DATE NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX cases_wechat_id ON cases (wechat_id);
CREATE INDEX cases_by_status ON cases (status, review_deadline, id);

-- The yearly quota as an invariant the database holds: a filing must take a free slot.
-- The bound mirrors domain::policy::APPEALS_PER_YEAR.
CREATE TABLE quota_slots (
    wechat_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    slot INTEGER NOT NULL CHECK (slot BETWEEN 1 AND 2),
    case_id BIGINT NOT NULL REFERENCES cases (id),
    PRIMARY KEY (wechat_id, year, slot)
);

-- Append-only: the case's timeline and audit trail.
CREATE TABLE case_events (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    note TEXT
);
CREATE INDEX case_events_by_case ON case_events (case_id, id);

-- Dates that differ from "Monday to Friday work"; one row per date.
CREATE TABLE calendar_days (
    day DATE PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('day_off', 'working_day')),
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL
);
-- A year listed here has its official calendar loaded; others fall back to Monday–Friday.
CREATE TABLE calendar_years (
    year INTEGER PRIMARY KEY NOT NULL,
    source TEXT NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);

CREATE TABLE app_secrets (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
