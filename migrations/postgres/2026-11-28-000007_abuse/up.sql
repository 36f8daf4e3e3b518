-- Limits against abuse of the public form.

-- Where a filing came from (a parsed IP address), and its quota year: supervisors see
-- the same WeChat ID filing from different emails or addresses within one year.
ALTER TABLE cases ADD COLUMN client_addr TEXT;
ALTER TABLE cases ADD COLUMN quota_year INTEGER;
UPDATE cases SET quota_year = CAST(EXTRACT(YEAR FROM filed_on) AS INTEGER);
ALTER TABLE cases ALTER COLUMN quota_year SET NOT NULL;
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

ALTER TABLE case_events DROP CONSTRAINT case_events_kind_known;
ALTER TABLE case_events ADD CONSTRAINT case_events_kind_known CHECK (kind IN ('filed', 'claimed', 'assigned', 'evidence_requested', 'appellant_replied', 'closed_no_response', 'approved', 'rejected', 'carried_out', 'withdrawn', 'voided', 'note', 'viewed_evidence', 'mail_resent', 'evidence_added', 'evidence_opened', 'evidence_deleted', 'link_reissued'));
