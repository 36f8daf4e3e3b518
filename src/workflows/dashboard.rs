//! The supervisors' figures: load by status, what is due, service levels, filings per
//! day and each agent's open cases.

use chrono::{Days, NaiveDate};

use super::Failure;
use crate::db::{DbConn, stats};
use crate::domain::case_status::CaseStatus;
use crate::domain::guidance::Reason;
use crate::domain::policy::{
    DASHBOARD_CHART_DAYS, DASHBOARD_SERVICE_WINDOW_DAYS, GUIDANCE_WINDOW_DAYS,
};

#[derive(Debug, PartialEq, Eq)]
pub struct Figures {
    /// Every open status, with its count (zero included).
    pub open_by_status: Vec<(CaseStatus, i64)>,
    pub due_today: i64,
    pub overdue: i64,
    /// Decisions within the service window: all, within target, within deadline.
    pub decided: (i64, i64, i64),
    /// Every day of the chart, oldest first, with the empty days too.
    pub filings_per_day: Vec<(NaiveDate, i64)>,
    pub workload: Vec<(String, i64)>,
    pub unassigned: i64,
    /// Over the last `GUIDANCE_WINDOW_DAYS`, per reason: submissions the guidance stopped,
    /// and submissions filed after seeing it.
    pub guided: Vec<(Reason, i64, i64)>,
}

/// The figures, read from the counters (open work from `open_counts`, history from
/// `daily_counts`) wherever they span many cases: the page costs
/// the same at ten thousand cases and at a million.
pub fn figures(conn: &mut DbConn, today: NaiveDate) -> Result<Figures, Failure> {
    assemble(
        conn,
        today,
        stats::open_work,
        stats::counted_decisions,
        stats::counted_filings,
    )
}

/// The same figures counted over the cases themselves: what the counters must equal.
pub fn figures_recounted(conn: &mut DbConn, today: NaiveDate) -> Result<Figures, Failure> {
    assemble(
        conn,
        today,
        stats::open_work_recounted,
        stats::decided_within,
        stats::filings_per_day,
    )
}

/// One part of the figures, as of a day (today, or the first day of its window).
type Part<T> = fn(&mut DbConn, NaiveDate) -> diesel::QueryResult<T>;

fn assemble(
    conn: &mut DbConn,
    today: NaiveDate,
    open_work: Part<stats::OpenWork>,
    decisions: Part<(i64, i64, i64)>,
    filings: Part<Vec<(NaiveDate, i64)>>,
) -> Result<Figures, Failure> {
    let open = &CaseStatus::OPEN;
    let stats::OpenWork {
        by_status: counted,
        due_today,
        overdue,
        workload,
        unassigned,
    } = open_work(conn, today)?;
    let decided = decisions(conn, today - Days::new(DASHBOARD_SERVICE_WINDOW_DAYS))?;
    let first_day = today - Days::new(DASHBOARD_CHART_DAYS - 1);
    let per_day = filings(conn, first_day)?;
    Ok(Figures {
        open_by_status: open
            .iter()
            .map(|s| {
                let n = counted.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
                (*s, n)
            })
            .collect(),
        due_today,
        overdue,
        decided,
        filings_per_day: (0..DASHBOARD_CHART_DAYS)
            .map(|i| first_day + Days::new(i))
            .map(|day| {
                let n = per_day
                    .iter()
                    .find(|(d, _)| *d == day)
                    .map_or(0, |(_, n)| *n);
                (day, n)
            })
            .collect(),
        workload,
        unassigned,
        guided: crate::db::guidance_counts::since(
            conn,
            today - Days::new(GUIDANCE_WINDOW_DAYS - 1),
        )?,
    })
}
