DROP TRIGGER case_events_values_known;
CREATE TRIGGER case_events_values_known BEFORE INSERT ON case_events
WHEN NEW.kind NOT IN ('filed', 'claimed', 'assigned', 'evidence_requested', 'appellant_replied', 'closed_no_response', 'approved', 'rejected', 'carried_out', 'withdrawn', 'voided', 'note', 'viewed_evidence', 'mail_resent', 'evidence_added', 'evidence_opened', 'evidence_deleted')
  OR (NEW.from_status IS NOT NULL AND NEW.from_status NOT IN ('submitted', 'in_review', 'awaiting_user', 'approved', 'rejected', 'closed', 'withdrawn', 'voided'))
  OR (NEW.to_status IS NOT NULL AND NEW.to_status NOT IN ('submitted', 'in_review', 'awaiting_user', 'approved', 'rejected', 'closed', 'withdrawn', 'voided'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: case_events kind or status'); END;
DROP TABLE receipt_slots;
DROP INDEX cases_by_wechat_year;
ALTER TABLE cases DROP COLUMN quota_year;
ALTER TABLE cases DROP COLUMN client_addr;
