CREATE TABLE agents (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor')),
    password_hash TEXT NOT NULL,
    disabled_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

-- Server-side sessions: the cookie carries only the key; we keep its digest.
CREATE TABLE agent_sessions (
    key_hash TEXT PRIMARY KEY NOT NULL,
    agent_id BIGINT REFERENCES agents (id),
    state TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX agent_sessions_by_agent ON agent_sessions (agent_id);

-- Failed sign-ins, per account and per client address, for throttling.
CREATE TABLE sign_in_failures (
    id BIGSERIAL PRIMARY KEY,
    subject TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_failures_by_subject ON sign_in_failures (subject, at);

ALTER TABLE cases ADD COLUMN assignee_id BIGINT REFERENCES agents (id);
-- While awaiting the appellant: when the request was made and the last day to answer.
ALTER TABLE cases ADD COLUMN awaiting_since DATE;
ALTER TABLE cases ADD COLUMN reply_due DATE;
ALTER TABLE cases ADD COLUMN evidence_request TEXT;
ALTER TABLE cases ADD COLUMN decision_reason TEXT;
ALTER TABLE cases ADD COLUMN decided_on DATE;
ALTER TABLE cases ADD COLUMN closed_reason TEXT;

-- The queue's sort key: the deadline while the case is open, NULL once it is not. It
-- lets the queue read open cases in deadline order straight from an index however many
-- closed cases pile up. The list mirrors domain::case_status::CaseStatus::OPEN (a test
-- checks every status).
ALTER TABLE cases ADD COLUMN open_deadline DATE GENERATED ALWAYS AS (
    CASE WHEN status IN ('submitted', 'in_review', 'awaiting_user') THEN review_deadline END
) STORED;
CREATE INDEX cases_open_queue ON cases (open_deadline, id);
CREATE INDEX cases_by_assignee ON cases (assignee_id, open_deadline, id);
CREATE INDEX cases_queue ON cases (review_deadline, id);
CREATE INDEX cases_by_filing_day ON cases (filed_on);
CREATE INDEX cases_by_decision_day ON cases (decided_on);
CREATE INDEX cases_awaiting ON cases (status, reply_due);

ALTER TABLE case_events ADD COLUMN agent_id BIGINT REFERENCES agents (id);

-- The audit trail is append-only, whoever connects.
CREATE FUNCTION case_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'case_events is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER case_events_no_change BEFORE UPDATE OR DELETE ON case_events
FOR EACH ROW EXECUTE FUNCTION case_events_append_only();
