//! What the API answers, as the OpenAPI document describes it: built from what the
//! workflows read, never from a request.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Lang;
use crate::domain::api::RecoveryResult;
use crate::domain::case_status::CaseStatus;
use crate::domain::claim::ClaimStatus;
use crate::domain::evidence::PacketKind;
use crate::domain::queue::ChangeCursor;
use crate::domain::stored::Stored;
use crate::domain::timeline::EventKind;
use crate::workflows::api_cases::{CaseDetail, ChangedPage};
use crate::workflows::views::{self, RecoveryOutcome};

/// A case's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Submitted,
    InReview,
    AwaitingUser,
    Approved,
    Rejected,
    Closed,
    Withdrawn,
    Voided,
}

impl From<CaseStatus> for Status {
    fn from(s: CaseStatus) -> Self {
        match s {
            CaseStatus::Submitted => Status::Submitted,
            CaseStatus::InReview => Status::InReview,
            CaseStatus::AwaitingUser => Status::AwaitingUser,
            CaseStatus::Approved => Status::Approved,
            CaseStatus::Rejected => Status::Rejected,
            CaseStatus::Closed => Status::Closed,
            CaseStatus::Withdrawn => Status::Withdrawn,
            CaseStatus::Voided => Status::Voided,
        }
    }
}

impl From<Status> for CaseStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Submitted => CaseStatus::Submitted,
            Status::InReview => CaseStatus::InReview,
            Status::AwaitingUser => CaseStatus::AwaitingUser,
            Status::Approved => CaseStatus::Approved,
            Status::Rejected => CaseStatus::Rejected,
            Status::Closed => CaseStatus::Closed,
            Status::Withdrawn => CaseStatus::Withdrawn,
            Status::Voided => CaseStatus::Voided,
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    RedPacket,
    LuckyRedPacket,
    Transfer,
}

impl From<PacketKind> for Kind {
    fn from(k: PacketKind) -> Self {
        match k {
            PacketKind::RedPacket => Kind::RedPacket,
            PacketKind::LuckyRedPacket => Kind::LuckyRedPacket,
            PacketKind::Transfer => Kind::Transfer,
        }
    }
}

/// What the appellant said of the payment when filing.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimAnswer {
    Unclaimed,
    Claimed,
    Returned,
    Unknown,
}

impl From<ClaimStatus> for ClaimAnswer {
    fn from(c: ClaimStatus) -> Self {
        match c {
            ClaimStatus::Unclaimed => ClaimAnswer::Unclaimed,
            ClaimStatus::Claimed => ClaimAnswer::Claimed,
            ClaimStatus::Returned => ClaimAnswer::Returned,
            ClaimStatus::Unknown => ClaimAnswer::Unknown,
        }
    }
}

/// The appellant's answer to "has the recipient claimed it?"; absent for cases filed
/// before the form asked.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
pub struct ClaimView {
    pub status: ClaimAnswer,
    /// Claimed, and they said they understand it cannot be intercepted.
    pub acknowledged: bool,
}

#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
pub enum Language {
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl From<Lang> for Language {
    fn from(l: Lang) -> Self {
        match l {
            Lang::Zh => Language::ZhCn,
            Lang::En => Language::En,
        }
    }
}

/// What the back office could do about the money.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Recovery {
    Recovered,
    NotRecovered,
}

impl From<RecoveryResult> for Recovery {
    fn from(r: RecoveryResult) -> Self {
        match r {
            RecoveryResult::Recovered => Recovery::Recovered,
            RecoveryResult::NotRecovered => Recovery::NotRecovered,
        }
    }
}

impl Recovery {
    pub fn stored(self) -> &'static str {
        match self {
            Recovery::Recovered => RecoveryResult::Recovered.stored(),
            Recovery::NotRecovered => RecoveryResult::NotRecovered.stored(),
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionOutcome {
    Approved,
    Rejected,
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Yuan as a plain decimal string, "1234.56".
fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, (fen % 100).abs())
}

/// A case in a list.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CaseSummary {
    #[schema(example = "AD-2026-000123")]
    pub case_number: String,
    pub status: Status,
    pub packet_kind: Kind,
    pub amount_fen: i64,
    /// The amount in yuan, as a decimal string.
    #[schema(example = "1234.56")]
    pub amount: String,
    pub transaction_id: String,
    pub wechat_id: String,
    pub filed_at: DateTime<Utc>,
    pub review_deadline: NaiveDate,
    pub updated_at: DateTime<Utc>,
    /// Grows with every change of the case.
    pub version: i64,
}

impl From<&views::CaseView> for CaseSummary {
    fn from(c: &views::CaseView) -> Self {
        Self {
            case_number: c.case_number.clone(),
            status: c.status.into(),
            packet_kind: c.packet_kind.into(),
            amount_fen: c.amount_fen,
            amount: yuan(c.amount_fen),
            transaction_id: c.transaction_id.clone(),
            wechat_id: c.wechat_id.clone(),
            filed_at: utc(c.filed_at),
            review_deadline: c.review_deadline,
            updated_at: utc(c.updated_at),
            version: c.version,
        }
    }
}

/// A page of cases by last change, oldest first.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CaseList {
    pub data: Vec<CaseSummary>,
    /// Pass as `cursor` for the next page; null after the last.
    pub next_cursor: Option<String>,
}

impl CaseList {
    pub fn new(page: &ChangedPage, cursor: impl Fn(&ChangeCursor) -> String) -> Self {
        Self {
            data: page.cases.iter().map(CaseSummary::from).collect(),
            next_cursor: page.next.as_ref().map(cursor),
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DecisionView {
    pub outcome: DecisionOutcome,
    pub reason: String,
    pub decided_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OutcomeView {
    pub result: Recovery,
    pub reference: String,
    pub amount_fen: Option<i64>,
    pub note: String,
    /// The key that reported it.
    pub reported_by: String,
    pub reported_at: DateTime<Utc>,
}

impl From<&RecoveryOutcome> for OutcomeView {
    fn from(o: &RecoveryOutcome) -> Self {
        Self {
            result: o.result.into(),
            reference: o.reference.clone(),
            amount_fen: o.amount_fen,
            note: o.note.clone(),
            reported_by: o.reported_by.clone(),
            reported_at: utc(o.reported_at),
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FileView {
    /// Names the file in `/api/v1/cases/{case_number}/files/{file_key}`.
    pub key: String,
    pub name: String,
    /// Its verified media type.
    #[serde(rename = "type")]
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub added_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    /// What happened (`filed`, `approved`, `carried_out`, `note`, ...).
    pub kind: String,
    pub at: DateTime<Utc>,
    /// An agent's email, `appellant`, `system`, or an API key's name.
    pub actor: String,
    pub text: Option<String>,
}

/// A case as agents see it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CaseView {
    pub case_number: String,
    pub status: Status,
    pub packet_kind: Kind,
    pub amount_fen: i64,
    #[schema(example = "1234.56")]
    pub amount: String,
    pub sent_at: DateTime<Utc>,
    pub transaction_id: String,
    pub counterparty_phone_suffix: String,
    pub card_last4: String,
    pub wechat_id: String,
    pub email: String,
    pub lang: Language,
    pub filed_at: DateTime<Utc>,
    pub review_target: NaiveDate,
    pub review_deadline: NaiveDate,
    /// The review dates fall in a year whose official holiday arrangement is not loaded.
    pub provisional: bool,
    /// `null` for a case filed before the form asked.
    pub claim: Option<ClaimView>,
    /// The assigned agent's email.
    pub assignee: Option<String>,
    pub decision: Option<DecisionView>,
    pub outcome: Option<OutcomeView>,
    pub files: Vec<FileView>,
    pub timeline: Vec<TimelineEntry>,
    pub updated_at: DateTime<Utc>,
    /// Grows with every change of the case.
    pub version: i64,
}

impl From<&CaseDetail> for CaseView {
    fn from(d: &CaseDetail) -> Self {
        let c = &d.case;
        let decided = d.timeline.iter().rev().find_map(|e| match e.kind {
            EventKind::Approved => Some(DecisionOutcome::Approved),
            EventKind::Rejected => Some(DecisionOutcome::Rejected),
            _ => None,
        });
        Self {
            case_number: c.case_number.clone(),
            status: c.status.into(),
            packet_kind: c.packet_kind.into(),
            amount_fen: c.amount_fen,
            amount: yuan(c.amount_fen),
            sent_at: utc(c.sent_at),
            transaction_id: c.transaction_id.clone(),
            counterparty_phone_suffix: c.counterparty_phone_suffix.clone(),
            card_last4: c.card_last4.clone(),
            wechat_id: c.wechat_id.clone(),
            email: c.email.clone(),
            lang: c.lang.into(),
            filed_at: utc(c.filed_at),
            review_target: c.review_target,
            review_deadline: c.review_deadline,
            provisional: d.provisional,
            claim: c.claim_status.map(|status| ClaimView {
                status: status.into(),
                acknowledged: c.claim_acknowledged,
            }),
            assignee: d.assignee.clone(),
            decision: decided.map(|outcome| DecisionView {
                outcome,
                reason: c.decision_reason.clone().unwrap_or_default(),
                decided_at: d.decided_at.map(utc),
            }),
            outcome: d.outcome.as_ref().map(OutcomeView::from),
            files: d
                .files
                .iter()
                .map(|f| FileView {
                    key: f.file_key.clone(),
                    name: f.name.clone(),
                    media_type: f.kind.content_type().to_owned(),
                    size: f.size,
                    sha256: f.sha256.clone(),
                    added_at: utc(f.added_at),
                })
                .collect(),
            timeline: d
                .timeline
                .iter()
                .map(|e| TimelineEntry {
                    kind: e.kind.stored().to_owned(),
                    at: utc(e.at),
                    actor: e.actor.clone(),
                    text: e.note.clone(),
                })
                .collect(),
            updated_at: utc(c.updated_at),
            version: c.version,
        }
    }
}

/// `POST /api/v1/cases/{case_number}/outcome`: what became of the money, by `result`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "result", rename_all = "snake_case", deny_unknown_fields)]
pub enum OutcomeBody {
    /// The money came back: how much, at most the case's amount (more is refused, 409).
    Recovered {
        /// The back office's reference for the recovery.
        #[schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$",
            example = "RF-20261203-0042"
        )]
        reference: String,
        /// In fen.
        #[serde(deserialize_with = "whole_number")]
        #[schema(minimum = 1, maximum = 100_000_000)]
        amount_fen: i64,
        #[serde(default)]
        #[schema(max_length = 2000)]
        note: String,
    },
    /// The money could not be recovered: why, for the appellant.
    NotRecovered {
        #[schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$",
            example = "RF-20261203-0043"
        )]
        reference: String,
        /// Mailed to the appellant.
        #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
        note: String,
    },
}

/// A JSON integer, however written (`52000` or `52000.0`: JSON Schema's integer).
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    use serde::de::Error;
    let n = serde_json::Number::deserialize(d)?;
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(D::Error::custom("amount_fen is a whole number of fen")),
    }
}

impl OutcomeBody {
    /// (result, reference, amount_fen, note) as the workflow takes them.
    pub fn parts(self) -> (&'static str, String, Option<i64>, String) {
        match self {
            OutcomeBody::Recovered {
                reference,
                amount_fen,
                note,
            } => (
                RecoveryResult::Recovered.stored(),
                reference,
                Some(amount_fen),
                note,
            ),
            OutcomeBody::NotRecovered { reference, note } => {
                (RecoveryResult::NotRecovered.stored(), reference, None, note)
            }
        }
    }
}
