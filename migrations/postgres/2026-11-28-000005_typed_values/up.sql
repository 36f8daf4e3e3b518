-- Stored statuses, kinds and languages are closed sets, the same as the application's
-- enums (domain::stored; a test compares these lists with them).
ALTER TABLE cases
    ADD CONSTRAINT cases_status_known CHECK (status IN ('submitted', 'in_review', 'awaiting_user', 'approved', 'rejected', 'closed', 'withdrawn', 'voided')),
    ADD CONSTRAINT cases_packet_kind_known CHECK (packet_kind IN ('red_packet', 'lucky_red_packet', 'transfer')),
    ADD CONSTRAINT cases_lang_known CHECK (lang IN ('zh-CN', 'en'));

ALTER TABLE case_events
    ADD CONSTRAINT case_events_kind_known CHECK (kind IN ('filed', 'claimed', 'assigned', 'evidence_requested', 'appellant_replied', 'closed_no_response', 'approved', 'rejected', 'carried_out', 'withdrawn', 'voided', 'note', 'viewed_evidence', 'mail_resent')),
    ADD CONSTRAINT case_events_from_status_known CHECK (from_status IS NULL OR from_status IN ('submitted', 'in_review', 'awaiting_user', 'approved', 'rejected', 'closed', 'withdrawn', 'voided')),
    ADD CONSTRAINT case_events_to_status_known CHECK (to_status IS NULL OR to_status IN ('submitted', 'in_review', 'awaiting_user', 'approved', 'rejected', 'closed', 'withdrawn', 'voided'));

ALTER TABLE outbox ADD CONSTRAINT outbox_lang_known CHECK (lang IN ('zh-CN', 'en'));

-- Why a case closed is its status and its timeline; nothing read this column.
ALTER TABLE cases DROP COLUMN closed_reason;
