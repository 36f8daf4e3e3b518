-- An agent's second factor (RFC 6238 TOTP). The shared key is kept from the start of the
-- enrollment (enabled_at NULL) and in use once a code confirmed it; the last time step a
-- code was accepted for, so that no code signs in twice.
ALTER TABLE agents ADD COLUMN totp_secret TEXT;
ALTER TABLE agents ADD COLUMN totp_enabled_at TIMESTAMP;
ALTER TABLE agents ADD COLUMN totp_last_step BIGINT;

-- One-time recovery codes: only their digests.
CREATE TABLE recovery_codes (
    id BIGSERIAL PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents (id),
    digest TEXT NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX recovery_codes_by_agent ON recovery_codes (agent_id);

-- The audit of an account's security: who turned its second factor on or off, reset it,
-- or used a recovery code, and when.
CREATE TABLE security_events (
    id BIGSERIAL PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents (id),
    kind TEXT NOT NULL CHECK (kind IN
        ('second-factor-on', 'second-factor-off', 'second-factor-reset', 'recovery-code-used', 'recovery-codes-renewed')),
    actor TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX security_events_by_agent ON security_events (agent_id, at);
