//! The agents' queue: open cases by deadline, filtered, a page at a time.
//! Keyset pagination on (review_deadline, id): no OFFSET, no COUNT.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{agents, cases};
use crate::domain::case_status::CaseStatus;
use crate::domain::claim::ClaimStatus;
use crate::domain::evidence::PacketKind;
use crate::domain::ids::CaseId;

use crate::domain::queue::{Assignee, Cursor, Filter, Statuses};

#[derive(Queryable, Debug, Clone)]
pub struct QueueRow {
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
    pub version: i64,
}

/// A correlated subquery diesel's DSL cannot say; fixed text, no value from a request.
/// Reads `cases_by_wechat_year`.
fn contested() -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql::<diesel::sql_types::Bool>(
        "EXISTS (SELECT 1 FROM cases AS other WHERE other.wechat_id = cases.wechat_id \
         AND other.quota_year = cases.quota_year AND other.id <> cases.id \
         AND other.status <> 'voided' \
         AND (lower(other.email) <> lower(cases.email) OR other.client_addr <> cases.client_addr))",
    )
}

pub fn page(
    conn: &mut DbConn,
    filter: &Filter,
    after: Option<Cursor>,
    limit: i64,
) -> QueryResult<Vec<QueueRow>> {
    let mut query = cases::table
        .left_join(agents::table)
        .select((
            cases::id,
            cases::case_number,
            cases::status,
            cases::packet_kind,
            cases::amount_fen,
            cases::filed_on,
            cases::review_target,
            cases::review_deadline,
            cases::transaction_id,
            cases::wechat_id,
            agents::name.nullable(),
            cases::claim_status,
            cases::claim_acknowledged,
            cases::version,
        ))
        .into_boxed();
    // `open_deadline` is the deadline while open and NULL after: sorting on it reads the
    // open cases straight from an index, however many closed ones pile up.
    let open = filter.statuses == Statuses::Open;
    query = match filter.statuses {
        Statuses::Open => query.filter(cases::open_deadline.is_not_null()),
        Statuses::One(status) => query.filter(cases::status.eq(status)),
        Statuses::All => query,
    };
    query = match filter.assignee {
        Assignee::Anyone => query,
        Assignee::Unassigned => query.filter(cases::assignee_id.is_null()),
        Assignee::Agent(id) => query.filter(cases::assignee_id.eq(id)),
    };
    if let Some(day) = filter.overdue_before {
        query = query.filter(cases::review_deadline.lt(day));
    }
    if let Some(kind) = filter.packet_kind {
        query = query.filter(cases::packet_kind.eq(kind));
    }
    if let Some(from) = filter.filed_from {
        query = query.filter(cases::filed_on.ge(from));
    }
    if let Some(to) = filter.filed_to {
        query = query.filter(cases::filed_on.le(to));
    }
    if let Some(search) = &filter.search {
        query = query.filter(super::cases::matching(search));
    }
    if let Some(claim) = filter.claim {
        query = query.filter(cases::claim_status.eq(claim));
    }
    if filter.contested {
        query = query.filter(contested());
    }
    // Keyset: `>=` on the sort key first, so the index range starts at the cursor; the
    // rest only breaks ties. (A plain OR makes SQLite scan from the first open case.)
    if open {
        if let Some(c) = after {
            query = query.filter(
                cases::open_deadline
                    .ge(c.deadline)
                    .and(cases::open_deadline.gt(c.deadline).or(cases::id.gt(c.id))),
            );
        }
        query = query.order((cases::open_deadline.asc(), cases::id.asc()));
    } else {
        if let Some(c) = after {
            query = query.filter(
                cases::review_deadline
                    .ge(c.deadline)
                    .and(cases::review_deadline.gt(c.deadline).or(cases::id.gt(c.id))),
            );
        }
        query = query.order((cases::review_deadline.asc(), cases::id.asc()));
    }
    query.limit(limit).load(conn)
}
