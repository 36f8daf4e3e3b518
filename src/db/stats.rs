//! Figures for the supervisor dashboard. Each is one indexed aggregate: over open cases,
//! or over the per-day counters (`daily_counts`) for what grows with history.

use chrono::NaiveDate;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{agents, cases, daily_counts, digest_runs, open_counts};
use crate::domain::case_status::CaseStatus;
use crate::domain::evidence::PacketKind;
use crate::domain::ids::CaseId;

/// Rows each day's counter is spread over (the migration's `id % 8`): concurrent
/// filings on PostgreSQL update different rows instead of waiting for one another.
const SHARDS: i64 = 8;

/// Counts a case entering `status` on `day`, in the caller's transaction.
pub fn count_entry(
    conn: &mut DbConn,
    case_id: CaseId,
    status: CaseStatus,
    packet_kind: PacketKind,
    day: NaiveDate,
    (target, deadline): (NaiveDate, NaiveDate),
) -> QueryResult<()> {
    use daily_counts::dsl as d;
    use diesel::upsert::excluded;
    let (within_target, within_deadline) = within(day, (target, deadline));
    let shard = (case_id.get() % SHARDS) as i32;
    // Most entries find the day's row: an update diesel keeps prepared. (An upsert, `ON
    // CONFLICT DO UPDATE`, is compiled again at every call: 7% of SQLite's writer time
    // in a filing.)
    let update = diesel::update(
        daily_counts::table
            .filter(d::status.eq(status))
            .filter(d::day.eq(day))
            .filter(d::packet_kind.eq(packet_kind))
            .filter(d::shard.eq(shard)),
    )
    .set((
        d::entered.eq(d::entered + 1),
        d::within_target.eq(d::within_target + within_target),
        d::within_deadline.eq(d::within_deadline + within_deadline),
    ));
    if on_backend!(conn, |c| update.execute(c))? > 0 {
        return Ok(());
    }
    // The day's first entry of this kind and shard; on PostgreSQL two concurrent first
    // entries meet in the conflict clause.
    let first = diesel::insert_into(daily_counts::table)
        .values((
            d::status.eq(status),
            d::day.eq(day),
            d::packet_kind.eq(packet_kind),
            d::shard.eq(shard),
            d::entered.eq(1),
            d::within_target.eq(within_target),
            d::within_deadline.eq(within_deadline),
        ))
        .on_conflict((d::status, d::day, d::packet_kind, d::shard))
        .do_update()
        .set((
            d::entered.eq(d::entered + excluded(d::entered)),
            d::within_target.eq(d::within_target + excluded(d::within_target)),
            d::within_deadline.eq(d::within_deadline + excluded(d::within_deadline)),
        ));
    // One statement, run on the backend's own connection (the multi-backend one knows
    // no conflict clause).
    on_backend!(conn, |c| first.execute(c)).map(drop)
}

/// Whether an entry on `day` counts as within the case's target and deadline (1 or 0).
fn within(day: NaiveDate, (target, deadline): (NaiveDate, NaiveDate)) -> (i32, i32) {
    (i32::from(day <= target), i32::from(day <= deadline))
}

/// Decisions taken since `from`, from the counters: (all, within target, within deadline).
pub fn counted_decisions(conn: &mut DbConn, from: NaiveDate) -> QueryResult<(i64, i64, i64)> {
    use diesel::dsl::sum;
    let (all, on_target, on_deadline): (Option<i64>, Option<i64>, Option<i64>) =
        daily_counts::table
            .filter(daily_counts::status.eq_any([CaseStatus::Approved, CaseStatus::Rejected]))
            .filter(daily_counts::day.ge(from))
            .select((
                sum(daily_counts::entered),
                sum(daily_counts::within_target),
                sum(daily_counts::within_deadline),
            ))
            .get_result(conn)?;
    Ok((
        all.unwrap_or(0),
        on_target.unwrap_or(0),
        on_deadline.unwrap_or(0),
    ))
}

/// Filings per day since `from`, from the counters.
pub fn counted_filings(conn: &mut DbConn, from: NaiveDate) -> QueryResult<Vec<(NaiveDate, i64)>> {
    use diesel::dsl::sum;
    let rows: Vec<(NaiveDate, Option<i64>)> = daily_counts::table
        .filter(daily_counts::status.eq(CaseStatus::Submitted))
        .filter(daily_counts::day.ge(from))
        .group_by(daily_counts::day)
        .select((daily_counts::day, sum(daily_counts::entered)))
        .order(daily_counts::day)
        .load(conn)?;
    Ok(rows.into_iter().map(|(d, n)| (d, n.unwrap_or(0))).collect())
}

/// The open work: cases per open status, due today and overdue, per agent (disabled
/// accounts included while they still hold cases), and with nobody.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct OpenWork {
    pub by_status: Vec<(CaseStatus, i64)>,
    pub due_today: i64,
    pub overdue: i64,
    pub workload: Vec<(String, i64)>,
    pub unassigned: i64,
}

/// The open work from `open_counts`, which the triggers of migration 000018 keep in the
/// transaction of every change of a case: a few rows per deadline and agent, however
/// many cases are open or closed.
pub fn open_work(conn: &mut DbConn, today: NaiveDate) -> QueryResult<OpenWork> {
    use diesel::dsl::sum;
    use open_counts::dsl as o;
    let by_status: Vec<(CaseStatus, Option<i64>)> = o::open_counts
        .group_by(o::status)
        .select((o::status, sum(o::n)))
        .load(conn)?;
    let due_today: Option<i64> = o::open_counts
        .filter(o::deadline.eq(today))
        .select(sum(o::n))
        .get_result(conn)?;
    let overdue: Option<i64> = o::open_counts
        .filter(o::deadline.lt(today))
        .select(sum(o::n))
        .get_result(conn)?;
    let workload: Vec<(String, Option<i64>)> = o::open_counts
        .inner_join(agents::table.on(agents::id.eq(o::assignee_id)))
        .group_by((agents::id, agents::name))
        .select((agents::name, sum(o::n)))
        .order(agents::name)
        .load(conn)?;
    // Assignee 0 is nobody (the triggers' COALESCE).
    let unassigned: Option<i64> = o::open_counts
        .filter(o::assignee_id.eq(0))
        .select(sum(o::n))
        .get_result(conn)?;
    Ok(OpenWork {
        by_status: by_status
            .into_iter()
            .map(|(s, n)| (s, n.unwrap_or(0)))
            .collect(),
        due_today: due_today.unwrap_or(0),
        overdue: overdue.unwrap_or(0),
        workload: workload
            .into_iter()
            .map(|(a, n)| (a, n.unwrap_or(0)))
            .collect(),
        unassigned: unassigned.unwrap_or(0),
    })
}

/// The same open work counted over the cases: what `open_counts` must equal. Open cases
/// are found by `open_deadline`, the deadline while a case is open and NULL after (a
/// generated column, indexed): its partial indexes hold the open cases apart from the
/// closed ones whatever the history (SQLite plans a statement once, not per bound value:
/// `.cargo/config.toml`).
pub fn open_work_recounted(conn: &mut DbConn, today: NaiveDate) -> QueryResult<OpenWork> {
    let by_status = cases::table
        .filter(cases::open_deadline.is_not_null())
        .group_by(cases::status)
        .select((cases::status, count_star()))
        .load(conn)?;
    let due_today = cases::table
        .filter(cases::open_deadline.eq(today))
        .count()
        .get_result(conn)?;
    let overdue = cases::table
        .filter(cases::open_deadline.lt(today))
        .count()
        .get_result(conn)?;
    let workload = cases::table
        .inner_join(agents::table)
        .filter(cases::open_deadline.is_not_null())
        .group_by((agents::id, agents::name))
        .select((agents::name, count_star()))
        .order(agents::name)
        .load(conn)?;
    let unassigned = cases::table
        .filter(cases::assignee_id.is_null())
        .filter(cases::open_deadline.is_not_null())
        .count()
        .get_result(conn)?;
    Ok(OpenWork {
        by_status,
        due_today,
        overdue,
        workload,
        unassigned,
    })
}

/// Decisions taken since `from`, counted over the cases: (all, within target, within
/// deadline). Reads every decision in the window; the page uses `counted_decisions`.
pub fn decided_within(conn: &mut DbConn, from: NaiveDate) -> QueryResult<(i64, i64, i64)> {
    let decided = cases::table.filter(cases::decided_on.ge(from));
    let all = decided.count().get_result(conn)?;
    let on_target = decided
        .filter(cases::decided_on.le(cases::review_target.nullable()))
        .count()
        .get_result(conn)?;
    let on_deadline = decided
        .filter(cases::decided_on.le(cases::review_deadline.nullable()))
        .count()
        .get_result(conn)?;
    Ok((all, on_target, on_deadline))
}

/// Filings per day since `from`, counted over the cases (the page uses `counted_filings`).
pub fn filings_per_day(conn: &mut DbConn, from: NaiveDate) -> QueryResult<Vec<(NaiveDate, i64)>> {
    cases::table
        .filter(cases::filed_on.ge(from))
        .group_by(cases::filed_on)
        .select((cases::filed_on, count_star()))
        .order(cases::filed_on)
        .load(conn)
}

/// Open cases due in `from..=to`: (number, deadline, assignee), by deadline.
pub fn open_due_list(
    conn: &mut DbConn,
    from: NaiveDate,
    to: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<(String, NaiveDate, Option<String>)>> {
    cases::table
        .left_join(agents::table)
        .filter(cases::open_deadline.between(from, to))
        .select((
            cases::case_number,
            cases::review_deadline,
            agents::name.nullable(),
        ))
        .order((cases::open_deadline.asc(), cases::id.asc()))
        .limit(limit)
        .load(conn)
}

/// Claims the day's digest: false when another instance sent it already.
pub fn claim_digest(
    conn: &mut DbConn,
    day: NaiveDate,
    now: chrono::NaiveDateTime,
) -> QueryResult<bool> {
    match diesel::insert_into(digest_runs::table)
        .values((digest_runs::day.eq(day), digest_runs::sent_at.eq(now)))
        .execute(conn)
    {
        Ok(_) => Ok(true),
        Err(e) if super::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}
