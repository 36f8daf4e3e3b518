-- Limits against abuse of the public form.

-- Where a filing came from (a parsed IP address), and its quota year: supervisors see
-- the same WeChat ID filing from different emails or addresses within one year.
ALTER TABLE cases ADD COLUMN client_addr TEXT;
ALTER TABLE cases ADD COLUMN quota_year INTEGER NOT NULL DEFAULT 0;
UPDATE cases SET quota_year = CAST(strftime('%Y', filed_on) AS INTEGER);
CREATE INDEX cases_by_wechat_year ON cases (wechat_id, quota_year);

-- Receipt mails one mailbox gets from new filings on one China-local day, as slots:
-- the primary key refuses a slot taken concurrently (domain::policy::RECEIPTS_PER_MAILBOX_PER_DAY).
CREATE TABLE receipt_slots (
    mailbox TEXT NOT NULL,
    day DATE NOT NULL,
    slot INTEGER NOT NULL CHECK (slot >= 1),
    case_id BIGINT NOT NULL REFERENCES cases (id),
    PRIMARY KEY (mailbox, day, slot)
);

DROP TRIGGER case_events_values_known;
CREATE TRIGGER case_events_values_known BEFORE INSERT ON case_events
WHEN NEW.kind NOT IN ('filed', 'claimed', 'assigned', 'evidence_requested', 'appellant_replied', 'closed_no_response', 'approved', 'rejected', 'carried_out', 'withdrawn', 'voided', 'note', 'viewed_evidence', 'mail_resent', 'evidence_added', 'evidence_opened', 'evidence_deleted', 'link_reissued')
  OR (NEW.from_status IS NOT NULL AND NEW.from_status NOT IN ('submitted', 'in_review', 'awaiting_user', 'approved', 'rejected', 'closed', 'withdrawn', 'voided'))
  OR (NEW.to_status IS NOT NULL AND NEW.to_status NOT IN ('submitted', 'in_review', 'awaiting_user', 'approved', 'rejected', 'closed', 'withdrawn', 'voided'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: case_events kind or status'); END;
