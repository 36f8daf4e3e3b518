//! Each agent's morning list: from `policy::MORNING_LIST_HOUR` (China time) on working
//! days, their open cases due today or the next working day, in their language. Once per
//! agent and day across all instances; no mail when there is nothing due.

use chrono::{DateTime, Timelike, Utc};

use super::{Failure, working_days};
use crate::db::{self, DbConn};
use crate::domain::{cst, policy};
use crate::email::{self, MailDate, MorningList};

/// How many agents were mailed their list.
pub fn send_if_due(
    conn: &mut DbConn,
    links_base: &str,
    now: DateTime<Utc>,
) -> Result<usize, Failure> {
    let local = cst::local(now);
    let today = local.date_naive();
    if local.hour() < policy::MORNING_LIST_HOUR {
        return Ok(0);
    }
    let calendar = working_days::calendar_from(conn, today)?;
    if !calendar.is_working_day(today) {
        return Ok(0);
    }
    let next = calendar.add_working_days(today, 1);
    let arrangements = calendar.arrangements();
    let mut mailed = 0;
    for agent in db::agents::all(conn)? {
        if agent.disabled_at.is_some() {
            continue;
        }
        let sent = db::write_tx(conn, |conn| -> Result<bool, Failure> {
            let prefs = db::agent_prefs::of(conn, agent.id)?;
            if !prefs.morning || !db::agent_prefs::claim_morning(conn, agent.id, today)? {
                return Ok(false);
            }
            let due =
                db::cases::open_due_for(conn, agent.id, today, next, policy::MORNING_LIST_MAX)?;
            if due.is_empty() {
                return Ok(false);
            }
            let lang = prefs.lang;
            let mail = MorningList {
                lang,
                agent_name: agent.name.clone(),
                day: MailDate::new(lang, today),
                cases: due
                    .into_iter()
                    .map(|(number, deadline)| {
                        (
                            number,
                            MailDate::counted(lang, deadline, &arrangements).label,
                        )
                    })
                    .collect(),
                case_url_base: format!("{links_base}/agent/cases"),
            };
            email::enqueue(conn, &mail, &agent.email, None, now)?;
            Ok(true)
        })?;
        mailed += usize::from(sent);
    }
    Ok(mailed)
}
