//! What pages are given to show: views built from the rows, holding what a page may show
//! and nothing the storage keeps for itself (digests, fingerprints, password hashes).
//! `src/web` names these, never a row.

use chrono::{NaiveDate, NaiveDateTime};

use crate::db::agents::AgentRow;
use crate::db::api_keys::OutcomeRow;
use crate::db::cases::CaseRow;
use crate::db::events::EventRow;
use crate::db::evidence::{FileRow, PendingRow};
use crate::db::outbox::DeadMail;
use crate::db::queue::QueueRow;
use crate::domain::Lang;
use crate::domain::agent::Role;
use crate::domain::api::RecoveryResult;
use crate::domain::case_status::CaseStatus;
use crate::domain::claim::ClaimStatus;
use crate::domain::client_ip::ClientIp;
use crate::domain::evidence::PacketKind;
use crate::domain::evidence_file::FileKind;
use crate::domain::ids::{AgentId, CaseId, OutboxId};
use crate::domain::timeline::EventKind;

/// A case as agents and its appellant see it.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub id: CaseId,
    pub case_number: String,
    pub status: CaseStatus,
    pub lang: Lang,
    pub wechat_id: String,
    pub packet_kind: PacketKind,
    pub amount_fen: i64,
    pub sent_at: NaiveDateTime,
    pub transaction_id: String,
    pub counterparty_phone_suffix: String,
    pub card_last4: String,
    pub filed_at: NaiveDateTime,
    pub filed_on: NaiveDate,
    pub review_target: NaiveDate,
    pub review_deadline: NaiveDate,
    pub email: String,
    pub account: String,
    pub assignee_id: Option<AgentId>,
    pub quota_year: i32,
    pub client_addr: Option<ClientIp>,
    pub awaiting_since: Option<NaiveDate>,
    pub reply_due: Option<NaiveDate>,
    pub evidence_request: Option<String>,
    pub decision_reason: Option<String>,
    pub decided_on: Option<NaiveDate>,
    /// What the appellant said of the payment; `None`: not asked (filed before).
    pub claim_status: Option<ClaimStatus>,
    pub claim_acknowledged: bool,
    pub updated_at: NaiveDateTime,
    /// Grows with every change of the case.
    pub version: i64,
}

impl CaseView {
    /// "The appellant says: …", in `lang`.
    pub fn claim_said(&self, lang: &Lang) -> &'static str {
        let lang = *lang;
        match self.claim_status {
            Some(status) => status.said(self.claim_acknowledged, lang),
            None => crate::domain::claim::not_asked(lang),
        }
    }
}

impl From<CaseRow> for CaseView {
    fn from(r: CaseRow) -> Self {
        Self {
            id: r.id,
            case_number: r.case_number,
            status: r.status,
            lang: r.lang,
            wechat_id: r.wechat_id,
            packet_kind: r.packet_kind,
            amount_fen: r.amount_fen,
            sent_at: r.sent_at,
            transaction_id: r.transaction_id,
            counterparty_phone_suffix: r.counterparty_phone_suffix,
            card_last4: r.card_last4,
            filed_at: r.filed_at,
            filed_on: r.filed_on,
            review_target: r.review_target,
            review_deadline: r.review_deadline,
            email: r.email,
            account: r.account,
            assignee_id: r.assignee_id,
            quota_year: r.quota_year,
            client_addr: r.client_addr,
            awaiting_since: r.awaiting_since,
            reply_due: r.reply_due,
            evidence_request: r.evidence_request,
            decision_reason: r.decision_reason,
            decided_on: r.decided_on,
            claim_status: r.claim_status,
            claim_acknowledged: r.claim_acknowledged,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// An entry of a case's timeline.
#[derive(Debug, Clone)]
pub struct EventView {
    pub at: NaiveDateTime,
    pub actor: String,
    pub kind: EventKind,
    pub from_status: Option<CaseStatus>,
    pub to_status: Option<CaseStatus>,
    pub note: Option<String>,
}

impl From<EventRow> for EventView {
    fn from(r: EventRow) -> Self {
        Self {
            at: r.at,
            actor: r.actor,
            kind: r.kind,
            from_status: r.from_status,
            to_status: r.to_status,
            note: r.note,
        }
    }
}

/// An evidence file of a case, without its bytes.
#[derive(Debug, Clone)]
pub struct EvidenceFile {
    pub file_key: String,
    pub kind: FileKind,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub has_thumbnail: bool,
    pub added_by: String,
    pub added_at: NaiveDateTime,
}

impl From<FileRow> for EvidenceFile {
    fn from(r: FileRow) -> Self {
        Self {
            file_key: r.file_key,
            kind: r.kind,
            name: r.name,
            size: r.size,
            sha256: r.sha256,
            has_thumbnail: r.thumb_sha256.is_some(),
            added_by: r.added_by,
            added_at: r.added_at,
        }
    }
}

/// A console account, without its password hash.
#[derive(Debug, Clone)]
pub struct AgentView {
    pub id: AgentId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub disabled_at: Option<NaiveDateTime>,
    /// A second factor is on (a code follows the password at sign-in).
    pub second_factor: bool,
}

impl From<AgentRow> for AgentView {
    fn from(r: AgentRow) -> Self {
        Self {
            id: r.id,
            email: r.email,
            name: r.name,
            role: r.role,
            disabled_at: r.disabled_at,
            second_factor: r.totp_enabled_at.is_some(),
        }
    }
}

/// A line of the queue.
#[derive(Debug, Clone)]
pub struct QueueLine {
    pub id: CaseId,
    pub case_number: String,
    pub status: CaseStatus,
    pub packet_kind: PacketKind,
    pub amount_fen: i64,
    pub filed_on: NaiveDate,
    pub review_target: NaiveDate,
    pub review_deadline: NaiveDate,
    pub transaction_id: String,
    pub wechat_id: String,
    pub assignee: Option<String>,
    pub claim_status: Option<ClaimStatus>,
    pub claim_acknowledged: bool,
    /// Grows at every change: the bulk form sends it back, so a case changed since the
    /// queue was shown is refused by number.
    pub version: i64,
}

impl QueueLine {
    /// What the appellant said of the claim, in `lang`.
    pub fn claim_said(&self, lang: Lang) -> &'static str {
        match self.claim_status {
            Some(status) => status.said(self.claim_acknowledged, lang),
            None => crate::domain::claim::not_asked(lang),
        }
    }
}

impl From<QueueRow> for QueueLine {
    fn from(r: QueueRow) -> Self {
        Self {
            id: r.id,
            case_number: r.case_number,
            status: r.status,
            packet_kind: r.packet_kind,
            amount_fen: r.amount_fen,
            filed_on: r.filed_on,
            review_target: r.review_target,
            review_deadline: r.review_deadline,
            transaction_id: r.transaction_id,
            wechat_id: r.wechat_id,
            assignee: r.assignee,
            claim_status: r.claim_status,
            claim_acknowledged: r.claim_acknowledged,
            version: r.version,
        }
    }
}

/// A mail that could not be delivered, as a supervisor sees it.
#[derive(Debug, Clone)]
pub struct DeadMailView {
    pub id: OutboxId,
    pub message: String,
    pub recipient: String,
    pub case_number: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
}

impl From<DeadMail> for DeadMailView {
    fn from(r: DeadMail) -> Self {
        Self {
            id: r.id,
            message: r.message,
            recipient: r.recipient,
            case_number: r.case_number,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: r.created_at,
        }
    }
}

/// The back office's report of an approved case's recovery.
#[derive(Debug, Clone)]
pub struct RecoveryOutcome {
    pub result: RecoveryResult,
    pub reference: String,
    pub amount_fen: Option<i64>,
    pub note: String,
    pub reported_by: String,
    pub reported_at: NaiveDateTime,
}

impl From<OutcomeRow> for RecoveryOutcome {
    fn from(r: OutcomeRow) -> Self {
        Self {
            result: r.result,
            reference: r.reference,
            amount_fen: r.amount_fen,
            note: r.note,
            reported_by: r.reported_by,
            reported_at: r.reported_at,
        }
    }
}

/// Rows into their views.
pub fn all<R, V: From<R>>(rows: Vec<R>) -> Vec<V> {
    rows.into_iter().map(V::from).collect()
}

/// A file kept for a form from an earlier, refused send.
#[derive(Debug, Clone)]
pub struct KeptFile {
    pub file_key: String,
    pub kind: FileKind,
    pub name: String,
}

impl From<PendingRow> for KeptFile {
    fn from(r: PendingRow) -> Self {
        Self {
            file_key: r.file_key,
            kind: r.kind,
            name: r.name,
        }
    }
}

/// A saved reply, as supervisors list it and agents pick it.
#[derive(Debug, Clone)]
pub struct SavedReplyView {
    pub id: crate::domain::ids::SavedReplyId,
    pub title: String,
    pub text_zh: String,
    pub text_en: String,
    pub applies_to: crate::domain::saved_reply::ReplyUse,
    pub created_by: String,
}

impl From<crate::db::saved_replies::ReplyRow> for SavedReplyView {
    fn from(r: crate::db::saved_replies::ReplyRow) -> Self {
        Self {
            id: r.id,
            title: r.title,
            text_zh: r.text_zh,
            text_en: r.text_en,
            applies_to: r.applies_to,
            created_by: r.created_by,
        }
    }
}
