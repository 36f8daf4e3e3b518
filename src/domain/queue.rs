//! What an agent asks of the queue: which cases, in what order, from where.

use chrono::{NaiveDate, NaiveDateTime};

use super::case_status::CaseStatus;
use super::claim::ClaimStatus;
use super::evidence::PacketKind;
use super::ids::{AgentId, CaseId};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Assignee {
    #[default]
    Anyone,
    Unassigned,
    Agent(AgentId),
}

/// Which statuses the queue shows; each reads its own index in deadline order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Statuses {
    /// Submitted, in review or awaiting the appellant: the work to do.
    #[default]
    Open,
    One(CaseStatus),
    All,
}

#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub statuses: Statuses,
    pub assignee: Assignee,
    /// Only cases whose deadline is before this day.
    pub overdue_before: Option<NaiveDate>,
    pub packet_kind: Option<PacketKind>,
    pub filed_from: Option<NaiveDate>,
    pub filed_to: Option<NaiveDate>,
    /// Matched exactly against case number, transaction ID and WeChat ID.
    pub search: Option<Search>,
    /// Only cases whose WeChat ID filed another case that quota year from a different
    /// email or client address (someone may be using up another person's appeals).
    pub contested: bool,
    /// Only cases whose appellant gave this answer to the claim question.
    pub claim: Option<ClaimStatus>,
}

#[derive(Clone, Debug, Default)]
pub struct Search {
    pub case_number: String,
    pub transaction_id: String,
    pub wechat_id: String,
}

/// Where the previous page ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub deadline: NaiveDate,
    pub id: CaseId,
}

/// Which cases the API lists, by last change.
#[derive(Clone, Debug, Default)]
pub struct ChangeFilter {
    /// Any of these statuses; all when empty.
    pub statuses: Vec<CaseStatus>,
    /// Changed at or after this.
    pub updated_since: Option<NaiveDateTime>,
    pub filed_from: Option<NaiveDate>,
    pub filed_to: Option<NaiveDate>,
    /// Matched exactly against case number, transaction ID and WeChat ID.
    pub search: Option<Search>,
}

/// Where the previous page of changes ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChangeCursor {
    pub updated_at: NaiveDateTime,
    pub id: CaseId,
}
