-- Loading or correcting a year of the official calendar moves open cases' review dates:
-- each move is a timeline entry.
ALTER TABLE case_events DROP CONSTRAINT case_events_kind_known;
ALTER TABLE case_events ADD CONSTRAINT case_events_kind_known CHECK (kind IN ('filed', 'claimed', 'assigned', 'evidence_requested', 'appellant_replied', 'closed_no_response', 'approved', 'rejected', 'carried_out', 'withdrawn', 'voided', 'note', 'viewed_evidence', 'mail_resent', 'evidence_added', 'evidence_opened', 'evidence_deleted', 'link_reissued', 'review_dates_moved', 'review_dates_moved_earlier'));
