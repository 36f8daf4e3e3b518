//! Each agent's own choices (`/agent/me`); no row: the defaults.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::DbConn;
use super::schema::agent_preferences;
use crate::domain::Lang;
use crate::domain::ids::AgentId;
use crate::domain::notices::Preferences;

#[derive(Queryable, Selectable, Insertable, AsChangeset, Debug, Clone)]
#[diesel(table_name = agent_preferences)]
struct PrefsRow {
    agent_id: AgentId,
    lang: Lang,
    notify_replied: bool,
    notify_withdrawn: bool,
    notify_assigned: bool,
    notify_morning: bool,
}

pub fn of(conn: &mut DbConn, agent: AgentId) -> QueryResult<Preferences> {
    let row: Option<PrefsRow> = agent_preferences::table
        .filter(agent_preferences::agent_id.eq(agent))
        .select(PrefsRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map_or_else(Preferences::default, |r| Preferences {
        lang: r.lang,
        replied: r.notify_replied,
        withdrawn: r.notify_withdrawn,
        assigned: r.notify_assigned,
        morning: r.notify_morning,
    }))
}

/// The language the agent chose at `/agent/me`, if they chose one.
pub fn chosen_lang(conn: &mut DbConn, agent: AgentId) -> QueryResult<Option<Lang>> {
    agent_preferences::table
        .filter(agent_preferences::agent_id.eq(agent))
        .select(agent_preferences::lang)
        .first(conn)
        .optional()
}

pub fn save(conn: &mut DbConn, agent: AgentId, prefs: &Preferences) -> QueryResult<()> {
    let row = PrefsRow {
        agent_id: agent,
        lang: prefs.lang,
        notify_replied: prefs.replied,
        notify_withdrawn: prefs.withdrawn,
        notify_assigned: prefs.assigned,
        notify_morning: prefs.morning,
    };
    on_backend!(conn, |c| diesel::insert_into(agent_preferences::table)
        .values(&row)
        .on_conflict(agent_preferences::agent_id)
        .do_update()
        .set(&row)
        .execute(c))
    .map(drop)
}

/// Claims the morning list of `day` for `agent`: true for the first caller of the day on
/// any instance (a conditional update), false when it went out already.
pub fn claim_morning(conn: &mut DbConn, agent: AgentId, day: NaiveDate) -> QueryResult<bool> {
    let defaults = Preferences::default();
    let row = PrefsRow {
        agent_id: agent,
        lang: defaults.lang,
        notify_replied: defaults.replied,
        notify_withdrawn: defaults.withdrawn,
        notify_assigned: defaults.assigned,
        notify_morning: defaults.morning,
    };
    on_backend!(conn, |c| diesel::insert_into(agent_preferences::table)
        .values(&row)
        .on_conflict(agent_preferences::agent_id)
        .do_nothing()
        .execute(c))?;
    diesel::update(
        agent_preferences::table
            .filter(agent_preferences::agent_id.eq(agent))
            .filter(
                agent_preferences::morning_sent_on
                    .is_null()
                    .or(agent_preferences::morning_sent_on.lt(day)),
            ),
    )
    .set(agent_preferences::morning_sent_on.eq(day))
    .execute(conn)
    .map(|n| n == 1)
}
