-- Stored statuses, kinds and languages are closed sets, the same as the application's
-- enums (domain::stored; a test compares these lists with them). SQLite cannot add a
-- CHECK to an existing table without rebuilding it (and every table that refers to
-- it), so triggers refuse the same values a CHECK would.
CREATE TRIGGER cases_values_known_insert BEFORE INSERT ON cases
WHEN NEW.status NOT IN ('submitted', 'in_review', 'awaiting_user', 'approved', 'rejected', 'closed', 'withdrawn', 'voided')
  OR NEW.packet_kind NOT IN ('red_packet', 'lucky_red_packet', 'transfer')
  OR NEW.lang NOT IN ('zh-CN', 'en')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: cases status, packet_kind or lang'); END;

CREATE TRIGGER cases_values_known_update BEFORE UPDATE OF status, packet_kind, lang ON cases
WHEN NEW.status NOT IN ('submitted', 'in_review', 'awaiting_user', 'approved', 'rejected', 'closed', 'withdrawn', 'voided')
  OR NEW.packet_kind NOT IN ('red_packet', 'lucky_red_packet', 'transfer')
  OR NEW.lang NOT IN ('zh-CN', 'en')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: cases status, packet_kind or lang'); END;

CREATE TRIGGER case_events_values_known BEFORE INSERT ON case_events
WHEN NEW.kind NOT IN ('filed', 'claimed', 'assigned', 'evidence_requested', 'appellant_replied', 'closed_no_response', 'approved', 'rejected', 'carried_out', 'withdrawn', 'voided', 'note', 'viewed_evidence', 'mail_resent')
  OR (NEW.from_status IS NOT NULL AND NEW.from_status NOT IN ('submitted', 'in_review', 'awaiting_user', 'approved', 'rejected', 'closed', 'withdrawn', 'voided'))
  OR (NEW.to_status IS NOT NULL AND NEW.to_status NOT IN ('submitted', 'in_review', 'awaiting_user', 'approved', 'rejected', 'closed', 'withdrawn', 'voided'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: case_events kind or status'); END;

CREATE TRIGGER outbox_lang_known_insert BEFORE INSERT ON outbox
WHEN NEW.lang NOT IN ('zh-CN', 'en')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: outbox lang'); END;

-- Why a case closed is its status and its timeline; nothing read this column.
ALTER TABLE cases DROP COLUMN closed_reason;
