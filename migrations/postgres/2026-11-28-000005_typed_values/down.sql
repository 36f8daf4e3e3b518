ALTER TABLE cases ADD COLUMN closed_reason TEXT;
ALTER TABLE outbox DROP CONSTRAINT outbox_lang_known;
ALTER TABLE case_events
    DROP CONSTRAINT case_events_kind_known,
    DROP CONSTRAINT case_events_from_status_known,
    DROP CONSTRAINT case_events_to_status_known;
ALTER TABLE cases
    DROP CONSTRAINT cases_status_known,
    DROP CONSTRAINT cases_packet_kind_known,
    DROP CONSTRAINT cases_lang_known;
