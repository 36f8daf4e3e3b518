ALTER TABLE cases ADD COLUMN closed_reason TEXT;
DROP TRIGGER outbox_lang_known_insert;
DROP TRIGGER case_events_values_known;
DROP TRIGGER cases_values_known_update;
DROP TRIGGER cases_values_known_insert;
