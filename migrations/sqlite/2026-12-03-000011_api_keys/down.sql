DROP INDEX cases_by_change;
ALTER TABLE cases DROP COLUMN version;
DROP TABLE case_outcomes;
DROP TABLE api_idempotency;
DROP TABLE api_keys;
