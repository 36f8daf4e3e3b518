//! The supervisors' morning digest: at 09:00 China time on working days, the open cases
//! due today or on the next working day, and those overdue. Once per day across all instances.

use chrono::{DateTime, Days, Timelike, Utc};

use super::{Failure, working_days};
use crate::db::{self, DbConn};
use crate::domain::{Lang, cst};
use crate::email::{self, Digest, DigestCase, MailDate};

/// The hour (China time) from which the day's digest goes out.
pub const HOUR: u32 = 9;
/// The most cases one list carries; the queue has the rest.
const LIST_LIMIT: i64 = 200;

#[derive(Debug, PartialEq, Eq)]
pub enum Sent {
    /// Before 09:00, a day off, or another instance sent today's already.
    NotDue,
    /// Nothing at risk or overdue: no mail, nobody is woken for nothing.
    NothingToReport,
    Mailed {
        supervisors: usize,
    },
}

pub fn send_if_due(
    conn: &mut DbConn,
    links_base: &str,
    now: DateTime<Utc>,
) -> Result<Sent, Failure> {
    let local = cst::local(now);
    let today = local.date_naive();
    if local.hour() < HOUR {
        return Ok(Sent::NotDue);
    }
    let calendar = working_days::calendar_from(conn, today)?;
    if !calendar.is_working_day(today) {
        return Ok(Sent::NotDue);
    }
    let next = calendar.add_working_days(today, 1);
    db::write_tx(conn, |conn| {
        if !db::stats::claim_digest(conn, today, now.naive_utc())? {
            return Ok(Sent::NotDue);
        }
        let arrangements = calendar.arrangements();
        let rows = |list: Vec<(String, chrono::NaiveDate, Option<String>)>| -> Vec<DigestCase> {
            list.into_iter()
                .map(|(case_number, deadline, assignee)| DigestCase {
                    case_number,
                    deadline: match arrangements.note(Lang::Zh, deadline) {
                        Some(note) => format!("{}（{note}）", deadline.format("%Y-%m-%d")),
                        None => deadline.format("%Y-%m-%d").to_string(),
                    },
                    assignee: assignee.unwrap_or_else(|| "—".to_owned()),
                })
                .collect()
        };
        let at_risk = rows(db::stats::open_due_list(conn, today, next, LIST_LIMIT)?);
        let yesterday = today.pred_opt().unwrap_or(today);
        // A floor both backends can store; no open case is older than ten years.
        let floor = today - Days::new(3650);
        let overdue = rows(db::stats::open_due_list(
            conn, floor, yesterday, LIST_LIMIT,
        )?);
        if at_risk.is_empty() && overdue.is_empty() {
            return Ok(Sent::NothingToReport);
        }
        let supervisors = db::agents::active_supervisors(conn)?;
        let digest = Digest {
            lang: Lang::Zh,
            day: MailDate::new(Lang::Zh, today),
            at_risk,
            overdue,
            queue_url: format!("{links_base}/agent/cases"),
            case_url_base: format!("{links_base}/agent/cases"),
        };
        for supervisor in &supervisors {
            email::enqueue(conn, &digest, &supervisor.email, None, now).map_err(Failure::from)?;
        }
        Ok(Sent::Mailed {
            supervisors: supervisors.len(),
        })
    })
}
