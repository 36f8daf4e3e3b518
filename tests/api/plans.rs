//! Every console and dashboard query over open work reads a bounded number of rows
//! whatever the history: on a skewed database (most cases closed, the closed ones with
//! and without assignees, statistics gathered), the plan of each statement the queue runs
//! is asked of the database itself, and none may scan `cases` (a partial index holding
//! only open cases may be read whole: it is the open work); the dashboard reads only its
//! counters, never `cases`.

use std::sync::{Arc, Mutex};

use appealdesk::db::{self, DbConn};
use appealdesk::domain::ids::AgentId;
use appealdesk::domain::queue::{Assignee, Cursor, Filter, Search, Statuses};
use appealdesk::workflows::{dashboard, queue};
use chrono::{Days, NaiveDate, Utc};
use diesel::connection::{Connection, InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;

use crate::helpers::TestDatabase;

/// Cases in the history, and how many of them are open.
const CASES: i64 = 100_000;
const OPEN: i64 = 300;

/// Indexes that hold open cases only: reading one whole is reading the open work.
const OPEN_ONLY: [&str; 3] = [
    "cases_open_by_status",
    "cases_open_by_assignee",
    "cases_open_unassigned",
];

fn seed(conn: &mut DbConn, today: NaiveDate) -> AgentId {
    conn.batch_execute(
        "INSERT INTO agents (email, name, role, password_hash, created_at) \
         VALUES ('plans@example.com', 'Plans', 'agent', 'x', '2026-01-01 00:00:00')",
    )
    .expect("an agent");
    let agent: i64 = diesel::sql_query("SELECT id FROM agents WHERE email = 'plans@example.com'")
        .get_result::<Id>(conn)
        .expect("the agent's id")
        .id;
    let today = today.format("%Y-%m-%d");
    // Row i: open while i < OPEN; every other row has the agent as its assignee.
    let status = format!(
        "CASE WHEN i < {OPEN} THEN (CASE i % 3 WHEN 0 THEN 'submitted' WHEN 1 THEN 'in_review' \
         ELSE 'awaiting_user' END) WHEN i % 2 = 0 THEN 'approved' ELSE 'rejected' END"
    );
    let columns = "case_number, status, tracking_token_hash, submission_key_hash, \
        submission_fingerprint, lang, wechat_id, email, packet_kind, amount_fen, sent_at, \
        transaction_id, counterparty_phone_suffix, card_last4, account, filed_at, filed_on, \
        review_target, review_deadline, updated_at, decided_on, quota_year, assignee_id";
    let (numbers, filed) = match conn {
        DbConn::Sqlite(_) => (
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {CASES}) \
             SELECT i, date('{today}', '-' || {back} || ' days') AS filed FROM n",
            "date(filed, '+5 days'), date(filed, '+9 days')",
        ),
        DbConn::Postgres(_) => (
            "SELECT i, DATE '{today}' - ({back})::int AS filed FROM generate_series(0, {CASES} - 1) AS i",
            "filed + 5, filed + 9",
        ),
    };
    // Open cases were filed in the last days, closed ones over a year: few distinct open
    // deadlines among many closed rows, the statistics under which plans went wrong.
    let back = format!("(CASE WHEN i < {OPEN} THEN i % 10 ELSE 8 + i % 365 END)");
    let numbers = numbers
        .replace("{back}", &back)
        .replace("{CASES}", &CASES.to_string())
        .replace("{today}", &today.to_string());
    conn.batch_execute(&format!(
        "INSERT INTO cases ({columns}) SELECT \
         'AD-P' || i, {status}, 't' || i, 's' || i, 'plans', 'zh-CN', 'wxid_plans' || i, \
         'plans@example.com', 'transfer', 60000, '2026-01-01 00:00:00', \
         '10' || (10000000000000000 + i), '1234', '5678', 'plans', '2026-01-01 00:00:00', \
         filed, {filed}, '2026-01-01 00:00:00', \
         CASE WHEN i < {OPEN} THEN NULL ELSE filed END, 2026, \
         CASE WHEN i % 2 = 0 THEN {agent} END \
         FROM ({numbers}) AS s; ANALYZE"
    ))
    .expect("the seed");
    AgentId::new(agent)
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct SqlitePlan {
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PgPlan {
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[diesel(column_name = "QUERY PLAN")]
    line: String,
}

/// The statements `work` runs, as SQL with placeholders.
fn statements(conn: &mut DbConn, work: impl FnOnce(&mut DbConn)) -> Vec<String> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = seen.clone();
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let text = query.to_string();
            let sql = text
                .split(" -- binds: ")
                .next()
                .unwrap_or("")
                .trim()
                .to_owned();
            keep.lock().unwrap().push(sql);
        }
    });
    work(conn);
    conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
    let seen = seen.lock().unwrap().clone();
    seen.into_iter()
        .filter(|s| s.starts_with("SELECT") || s.starts_with("WITH"))
        .collect()
}

/// The plan of `sql`, one line per step. PostgreSQL: its generic plan, the one a
/// prepared statement keeps whatever the values.
fn plan(conn: &mut DbConn, sql: &str) -> Vec<String> {
    match conn {
        DbConn::Sqlite(c) => diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load::<SqlitePlan>(c)
            .unwrap_or_else(|e| panic!("EXPLAIN {sql}: {e}"))
            .into_iter()
            .map(|p| p.detail)
            .collect(),
        DbConn::Postgres(c) => {
            let params = (1..=40)
                .rev()
                .find(|n| sql.contains(&format!("${n}")))
                .unwrap_or(0);
            let nulls = vec!["NULL"; params].join(", ");
            c.batch_execute(&format!(
                "SET plan_cache_mode = force_generic_plan; DEALLOCATE ALL; PREPARE planned AS {sql}"
            ))
            .unwrap_or_else(|e| panic!("PREPARE {sql}: {e}"));
            let execute = if params == 0 {
                "EXPLAIN EXECUTE planned".to_owned()
            } else {
                format!("EXPLAIN EXECUTE planned({nulls})")
            };
            diesel::sql_query(execute)
                .load::<PgPlan>(c)
                .unwrap_or_else(|e| panic!("EXPLAIN {sql}: {e}"))
                .into_iter()
                .map(|p| p.line)
                .collect()
        }
    }
}

/// Whether a plan reads `cases` whole, or a whole index of it that holds closed cases
/// too. SQLite: one line per step. PostgreSQL: a node's line, then its conditions.
fn scans_cases(plan: &[String]) -> bool {
    let open_only = |line: &str| OPEN_ONLY.iter().any(|index| line.contains(index));
    plan.iter().enumerate().any(|(i, line)| {
        if open_only(line) {
            return false;
        }
        if line.starts_with("SCAN cases") || line.contains("Seq Scan on cases") {
            return true;
        }
        let index_scan = (line.contains("Index Scan using")
            || line.contains("Index Only Scan using"))
            && line.contains(" on cases");
        // Without an index condition, an index scan walks the whole index.
        index_scan
            && !plan[i + 1..]
                .iter()
                .take_while(|l| !l.contains("->"))
                .any(|l| l.contains("Index Cond"))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_and_dashboard_queries_never_scan_the_history() {
    let database = TestDatabase::fresh();
    let pool = db::pool(&database.url, 1).expect("pool");
    let mut conn = pool.get().expect("a connection");
    let today = appealdesk::domain::cst::local_date(Utc::now());
    let agent = seed(&mut conn, today);
    let now = Utc::now();

    let filters = [
        ("the open queue", Filter::default()),
        (
            "my cases",
            Filter {
                assignee: Assignee::Agent(agent),
                ..Filter::default()
            },
        ),
        (
            "unassigned",
            Filter {
                assignee: Assignee::Unassigned,
                ..Filter::default()
            },
        ),
        (
            "overdue",
            Filter {
                overdue_before: Some(today),
                ..Filter::default()
            },
        ),
        (
            "one open status",
            Filter {
                statuses: Statuses::One(appealdesk::domain::case_status::CaseStatus::InReview),
                ..Filter::default()
            },
        ),
        (
            "a search",
            Filter {
                search: Some(Search {
                    case_number: "AD-P7".into(),
                    transaction_id: "1010000000000000007".into(),
                    wechat_id: "wxid_plans7".into(),
                }),
                statuses: Statuses::All,
                ..Filter::default()
            },
        ),
    ];
    let mut runs: Vec<(String, Vec<String>)> = Vec::new();
    runs.push((
        "the dashboard".into(),
        statements(&mut conn, |c| {
            dashboard::figures(c, today).expect("the figures");
        }),
    ));
    for (name, filter) in &filters {
        runs.push((
            (*name).into(),
            statements(&mut conn, |c| {
                queue::page(c, filter, None, 50, now).expect("a page");
            }),
        ));
    }
    runs.push((
        "the next page".into(),
        statements(&mut conn, |c| {
            let after = Cursor {
                deadline: today - Days::new(30),
                id: appealdesk::domain::ids::CaseId::new(10),
            };
            queue::page(c, &Filter::default(), Some(after), 50, now).expect("a page");
        }),
    ));

    let mut offences = Vec::new();
    let mut asked = 0;
    for (name, sqls) in &runs {
        assert!(!sqls.is_empty(), "{name}: no statement was seen");
        for sql in sqls.iter().filter(|s| s.contains("cases")) {
            asked += 1;
            let steps = plan(&mut conn, sql);
            if scans_cases(&steps) {
                offences.push(format!("{name}:\n  {sql}\n  {}", steps.join("\n  ")));
            }
        }
    }
    assert!(
        asked >= 7,
        "only {asked} statements over cases were planned"
    );
    // The dashboard reads no case at all: its open work is in `open_counts`, its history
    // in `daily_counts`, both kept as the cases change.
    let (_, dashboard) = &runs[0];
    assert!(
        dashboard.iter().any(|s| s.contains("open_counts"))
            && dashboard.iter().all(|s| !s.contains("cases")),
        "the dashboard's statements: {dashboard:#?}"
    );
    assert!(
        offences.is_empty(),
        "{} statements scan the cases:\n{}",
        offences.len(),
        offences.join("\n\n")
    );
}

#[test]
fn a_scan_of_the_cases_is_recognised_in_both_dialects() {
    let plan = |lines: &[&str]| lines.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>();
    assert!(scans_cases(&plan(&["SCAN cases"])));
    assert!(scans_cases(&plan(&[
        "SCAN cases USING INDEX cases_awaiting"
    ])));
    assert!(scans_cases(&plan(&[
        "Seq Scan on cases  (cost=0.00..1.00 rows=1 width=8)"
    ])));
    assert!(scans_cases(&plan(&[
        "Aggregate",
        "  ->  Index Only Scan using cases_awaiting on cases  (cost=0.29..9.00)",
        "        Filter: (open_deadline IS NOT NULL)",
    ])));
    assert!(!scans_cases(&plan(&[
        "SCAN cases USING COVERING INDEX cases_open_by_status"
    ])));
    assert!(!scans_cases(&plan(&[
        "SEARCH cases USING INDEX cases_open_queue (open_deadline>?)"
    ])));
    assert!(!scans_cases(&plan(&[
        "Limit",
        "  ->  Index Scan using cases_open_queue on cases  (cost=0.29..9.00)",
        "        Index Cond: (open_deadline IS NOT NULL)",
    ])));
}
