//! Form submissions shown guidance, counted per day and reason: stopped by it or filed
//! after it. Nobody is identified.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::DbConn;
use super::schema::guidance_counts;
use crate::domain::guidance::Reason;

/// Counts one submission that was shown `reason`, in the caller's transaction.
pub fn count(conn: &mut DbConn, day: NaiveDate, reason: Reason, filed: bool) -> QueryResult<()> {
    use diesel::upsert::excluded;
    use guidance_counts::dsl as g;
    let insert = diesel::insert_into(guidance_counts::table)
        .values((
            g::day.eq(day),
            g::reason.eq(reason),
            g::filed.eq(filed),
            g::submissions.eq(1_i32),
        ))
        .on_conflict((g::day, g::reason, g::filed))
        .do_update()
        .set(g::submissions.eq(g::submissions + excluded(g::submissions)));
    on_backend!(conn, |c| insert.execute(c)).map(drop)
}

/// Since `from`: for each reason counted, (reason, stopped, filed).
pub fn since(conn: &mut DbConn, from: NaiveDate) -> QueryResult<Vec<(Reason, i64, i64)>> {
    use diesel::dsl::sum;
    let rows: Vec<(Reason, bool, Option<i64>)> = guidance_counts::table
        .filter(guidance_counts::day.ge(from))
        .group_by((guidance_counts::reason, guidance_counts::filed))
        .select((
            guidance_counts::reason,
            guidance_counts::filed,
            sum(guidance_counts::submissions),
        ))
        .load(conn)?;
    let mut out: Vec<(Reason, i64, i64)> = Vec::new();
    for reason in Reason::ALL {
        let n = |filed: bool| {
            rows.iter()
                .filter(|(r, f, _)| *r == reason && *f == filed)
                .map(|(_, _, n)| n.unwrap_or(0))
                .sum::<i64>()
        };
        out.push((reason, n(false), n(true)));
    }
    Ok(out)
}
