//! The queue an agent works from: a page of cases by deadline, with working days left.

use chrono::{DateTime, Utc};

use super::Failure;
use crate::db::{self, DbConn};
use crate::domain::calendar::Arrangements;

use super::views::QueueLine;
use crate::domain::queue::{Cursor, Filter};
use crate::domain::{Lang, Refusal, cst, review_clock};

pub const PAGE_SIZE: i64 = 50;

/// A part of the queue's filter that could not be read (the rest still applies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterProblem {
    UnknownStatus,
    UnknownAssignee,
    BadDate,
}

impl Refusal for FilterProblem {
    fn message(&self, lang: Lang) -> String {
        match self {
            FilterProblem::UnknownStatus => lang.t("未知的状态", "Unknown status"),
            FilterProblem::UnknownAssignee => lang.t("未知的处理人", "Unknown assignee"),
            FilterProblem::BadDate => lang.t("日期格式为 YYYY-MM-DD", "Dates are YYYY-MM-DD"),
        }
        .to_owned()
    }
}

pub struct QueueItem {
    pub row: QueueLine,
    /// How many evidence files the case holds.
    pub evidence_files: i64,
    /// Negative when overdue, 0 when due today.
    pub working_days_left: i64,
}

pub struct Page {
    pub items: Vec<QueueItem>,
    pub next: Option<Cursor>,
    /// Which years' arrangements are loaded: dates in others are provisional.
    pub arrangements: Arrangements,
    /// The active accounts, for the bulk assign form.
    pub agents: Vec<super::views::AgentView>,
}

pub fn page(
    conn: &mut DbConn,
    filter: &Filter,
    after: Option<Cursor>,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<Page, Failure> {
    let mut rows = db::queue::page(conn, filter, after, limit + 1)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let today = cst::local_date(now);
    let first = rows
        .iter()
        .map(|r| r.review_deadline)
        .min()
        .unwrap_or(today)
        .min(today);
    let last = rows
        .iter()
        .map(|r| r.review_deadline)
        .max()
        .unwrap_or(today)
        .max(today);
    let calendar = db::calendar::working_calendar(conn, first, last)?;
    let next = more
        .then(|| {
            rows.last().map(|r| Cursor {
                deadline: r.review_deadline,
                id: r.id,
            })
        })
        .flatten();
    let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
    let counts = db::evidence::counts(conn, &ids)?;
    let items = rows
        .into_iter()
        .map(|row| QueueItem {
            evidence_files: counts
                .iter()
                .find(|(id, _)| *id == row.id)
                .map_or(0, |(_, n)| *n),
            working_days_left: review_clock::working_days_left(
                &calendar,
                today,
                row.review_deadline,
            ),
            row: row.into(),
        })
        .collect();
    let arrangements = db::calendar::arrangements(conn)?;
    let agents = super::views::all(db::agents::all(conn)?)
        .into_iter()
        .filter(|a: &super::views::AgentView| a.disabled_at.is_none())
        .collect();
    Ok(Page {
        items,
        next,
        arrangements,
        agents,
    })
}
