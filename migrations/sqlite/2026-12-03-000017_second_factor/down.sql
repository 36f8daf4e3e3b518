DROP TABLE security_events;
DROP TABLE recovery_codes;
ALTER TABLE agents DROP COLUMN totp_last_step;
ALTER TABLE agents DROP COLUMN totp_enabled_at;
ALTER TABLE agents DROP COLUMN totp_secret;
