-- Evidence files live in the database: a file exists exactly when the filing or reply
-- it came with does. Contents are kept once per SHA-256 (a screenshot sent twice is
-- stored once).
CREATE TABLE evidence_blobs (
    sha256 TEXT PRIMARY KEY,
    bytes BLOB NOT NULL
);

CREATE TABLE evidence_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- In URLs: random, so one case's file id says nothing about another's.
    file_key TEXT NOT NULL UNIQUE,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL CHECK (kind IN ('jpeg', 'png', 'webp', 'pdf')),
    name TEXT NOT NULL,
    size BIGINT NOT NULL CHECK (size > 0),
    sha256 TEXT NOT NULL REFERENCES evidence_blobs (sha256),
    thumb_sha256 TEXT REFERENCES evidence_blobs (sha256),
    added_by TEXT NOT NULL,
    agent_id BIGINT REFERENCES agents (id),
    added_at TIMESTAMP NOT NULL
);
CREATE INDEX evidence_files_by_case ON evidence_files (case_id, id);

-- Files that came with a refused form, kept for that browser's form until it is sent
-- again (or for a day).
CREATE TABLE pending_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_key TEXT NOT NULL UNIQUE,
    form_key_hash TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('jpeg', 'png', 'webp', 'pdf')),
    name TEXT NOT NULL,
    size BIGINT NOT NULL CHECK (size > 0),
    sha256 TEXT NOT NULL REFERENCES evidence_blobs (sha256),
    thumb_sha256 TEXT REFERENCES evidence_blobs (sha256),
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX pending_files_by_form ON pending_files (form_key_hash, id);
CREATE INDEX pending_files_by_expiry ON pending_files (expires_at);

DROP TRIGGER case_events_values_known;
CREATE TRIGGER case_events_values_known BEFORE INSERT ON case_events
WHEN NEW.kind NOT IN ('filed', 'claimed', 'assigned', 'evidence_requested', 'appellant_replied', 'closed_no_response', 'approved', 'rejected', 'carried_out', 'withdrawn', 'voided', 'note', 'viewed_evidence', 'mail_resent', 'evidence_added', 'evidence_opened', 'evidence_deleted')
  OR (NEW.from_status IS NOT NULL AND NEW.from_status NOT IN ('submitted', 'in_review', 'awaiting_user', 'approved', 'rejected', 'closed', 'withdrawn', 'voided'))
  OR (NEW.to_status IS NOT NULL AND NEW.to_status NOT IN ('submitted', 'in_review', 'awaiting_user', 'approved', 'rejected', 'closed', 'withdrawn', 'voided'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: case_events kind or status'); END;
