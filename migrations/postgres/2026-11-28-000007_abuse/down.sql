ALTER TABLE case_events DROP CONSTRAINT case_events_kind_known;
ALTER TABLE case_events ADD CONSTRAINT case_events_kind_known CHECK (kind IN ('filed', 'claimed', 'assigned', 'evidence_requested', 'appellant_replied', 'closed_no_response', 'approved', 'rejected', 'carried_out', 'withdrawn', 'voided', 'note', 'viewed_evidence', 'mail_resent', 'evidence_added', 'evidence_opened', 'evidence_deleted'));
DROP TABLE receipt_slots;
DROP INDEX cases_by_wechat_year;
ALTER TABLE cases DROP COLUMN quota_year;
ALTER TABLE cases DROP COLUMN client_addr;
