//! Stored values as types, on the backend under test: every variant round-trips, a value
//! that is no variant is a loud error, the database itself refuses one, and a database
//! filled by the previous version migrates with its rows intact.

use appealdesk::config::DatabaseUrl;
use appealdesk::db::{self, DbConn};
use appealdesk::domain::Lang;
use appealdesk::domain::agent::Role;
use appealdesk::domain::calendar::DayKind;
use appealdesk::domain::case_status::CaseStatus;
use appealdesk::domain::evidence::PacketKind;
use appealdesk::domain::ids::{AgentId, CaseId, OutboxId};
use appealdesk::domain::mail_status::MailStatus;
use appealdesk::domain::stored::Stored;
use appealdesk::domain::timeline::EventKind;
use appealdesk::domain::webhook::{DeliveryStatus, WebhookEvent};
use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::migration::{Migration, MigrationSource};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};

use crate::helpers::*;

/// Writes every variant as the type and reads it back as text (the pinned stored form),
/// then the other way; a value that is no variant must fail, naming what and which.
macro_rules! round_trip {
    ($conn:expr, $t:ty) => {{
        for value in <$t as Stored>::ALL {
            let text: String = diesel::select(value.into_sql::<Text>())
                .get_result($conn)
                .expect("write as text");
            assert_eq!(text, value.stored());
            let back: $t = diesel::select(text.into_sql::<Text>())
                .get_result($conn)
                .expect("read as the type");
            assert_eq!(back, *value);
        }
        let unknown = diesel::select("no_such_value".into_sql::<Text>()).get_result::<$t>($conn);
        let error = format!(
            "{:?}",
            unknown.expect_err("an unknown stored value is an error")
        );
        assert!(
            error.contains(<$t as Stored>::WHAT) && error.contains("no_such_value"),
            "the error names what and which: {error}"
        );
    }};
}

#[tokio::test]
async fn every_stored_value_round_trips_and_an_unknown_one_is_a_loud_error() {
    let app = spawn_app().await;
    let mut conn = app.conn();
    let conn: &mut DbConn = &mut conn;
    round_trip!(conn, CaseStatus);
    round_trip!(conn, PacketKind);
    round_trip!(conn, Lang);
    round_trip!(conn, EventKind);
    round_trip!(conn, Role);
    round_trip!(conn, DayKind);
    round_trip!(conn, MailStatus);
    round_trip!(conn, WebhookEvent);
    round_trip!(conn, DeliveryStatus);

    let id: i64 = diesel::select(CaseId::new(42).into_sql::<BigInt>())
        .get_result(conn)
        .expect("id as a number");
    assert_eq!(id, 42);
    let back: (AgentId, OutboxId) =
        diesel::select((7_i64.into_sql::<BigInt>(), 9_i64.into_sql::<BigInt>()))
            .get_result(conn)
            .expect("numbers as ids");
    assert_eq!(back, (AgentId::new(7), OutboxId::new(9)));
}

#[tokio::test]
async fn the_database_refuses_a_status_kind_or_language_the_application_does_not_know() {
    let app = spawn_app().await;
    let (case, _) = app.filed_case(&AppealFields::valid(Utc::now())).await;
    let mut conn = app.conn();
    for (column, value) in [
        ("status", "'archived'"),
        ("packet_kind", "'cheque'"),
        ("lang", "'fr'"),
    ] {
        let refused = conn.batch_execute(&format!(
            "UPDATE cases SET {column} = {value} WHERE case_number = '{case}'"
        ));
        assert!(refused.is_err(), "cases.{column} = {value} is refused");
    }
    let refused = conn.batch_execute(&format!(
        "INSERT INTO case_events (case_id, at, actor, kind) \
         SELECT id, updated_at, 'x', 'deleted' FROM cases WHERE case_number = '{case}'"
    ));
    assert!(refused.is_err(), "an unknown event kind is refused");
    let refused = conn.batch_execute(
        "INSERT INTO webhook_endpoints (url, events, enabled, secret, created_by, created_at) \
         VALUES ('https://h.example/', 'case.filed', TRUE, 'whsec_AA==', 'x', '2026-12-01 00:00:00'); \
         INSERT INTO webhook_deliveries (endpoint_id, event, message_id, payload, status, next_attempt_at, created_at) \
         SELECT id, 'case.exploded', 'msg_x', '{}', 'pending', created_at, created_at FROM webhook_endpoints",
    );
    assert!(refused.is_err(), "an unknown webhook event is refused");
    conn.batch_execute(
        "INSERT INTO webhook_endpoints (url, events, enabled, secret, created_by, created_at) \
         VALUES ('https://h.example/', 'case.filed', TRUE, 'whsec_AA==', 'x', '2026-12-01 00:00:00'); \
         INSERT INTO webhook_deliveries (endpoint_id, event, message_id, payload, status, next_attempt_at, created_at) \
         SELECT id, 'case.filed', 'msg_y', '{}', 'pending', created_at, created_at FROM webhook_endpoints LIMIT 1",
    )
    .expect("the same rows with a known event are taken");
}

/// Runs the migrations of the version before `before` (exclusive), as that version did.
fn migrate_before<DB, C>(conn: &mut C, dir: &str, before: &str)
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
    FileBasedMigrations: MigrationSource<DB>,
{
    let source = FileBasedMigrations::from_path(dir).expect("migrations folder");
    let mut migrations: Vec<Box<dyn Migration<DB>>> =
        MigrationSource::<DB>::migrations(&source).expect("read migrations");
    migrations.sort_by_key(|m| m.name().to_string());
    // Creates diesel's table of applied migrations, as a first run does.
    conn.applied_migrations().expect("migrations table");
    for migration in migrations
        .iter()
        .filter(|m| m.name().to_string().as_str() < before)
    {
        conn.run_migration(migration.as_ref())
            .expect("an earlier migration");
    }
}

#[tokio::test]
async fn a_database_filled_by_the_previous_version_migrates_and_its_rows_read_as_types() {
    const TYPED: &str = "2026-11-28-000005";
    let database = TestDatabase::empty();
    let pool = db::pool(&database.url, 1).expect("pool");
    let mut conn = pool.get().expect("connection");
    let root = env!("CARGO_MANIFEST_DIR");
    match &mut *conn {
        DbConn::Sqlite(c) => migrate_before(c, &format!("{root}/migrations/sqlite"), TYPED),
        DbConn::Postgres(c) => migrate_before(c, &format!("{root}/migrations/postgres"), TYPED),
    }
    // Rows as the previous version wrote them, closed_reason included.
    conn.batch_execute(
        "INSERT INTO cases (case_number, status, tracking_token_hash, submission_key_hash, \
         submission_fingerprint, lang, wechat_id, email, packet_kind, amount_fen, sent_at, \
         transaction_id, counterparty_phone_suffix, card_last4, account, filed_at, filed_on, \
         review_target, review_deadline, updated_at, decision_reason, decided_on, closed_reason) \
         VALUES ('AD20261102-7KQ2XM', 'closed', 't1', 's1', 'f1', 'en', 'wxid_old', \
         'old@example.com', 'lucky_red_packet', 80000, '2026-11-01 02:00:00', \
         '1000000000000000001', '1234', '5678', 'Sent to the wrong group.', \
         '2026-11-02 02:00:00', '2026-11-02', '2026-11-05', '2026-11-11', \
         '2026-11-04 02:00:00', 'Paid back.', '2026-11-04', 'carried_out'); \
         INSERT INTO case_events (case_id, at, actor, kind, from_status, to_status, note) \
         SELECT id, '2026-11-02 02:00:00', 'appellant', 'filed', NULL, 'submitted', NULL \
         FROM cases; \
         INSERT INTO case_events (case_id, at, actor, kind, from_status, to_status, note) \
         SELECT id, '2026-11-03 02:00:00', 'boss@example.com', 'viewed_evidence', NULL, NULL, \
         NULL FROM cases; \
         INSERT INTO case_events (case_id, at, actor, kind, from_status, to_status, note) \
         SELECT id, '2026-11-04 02:00:00', 'boss@example.com', 'carried_out', 'approved', \
         'closed', NULL FROM cases;",
    )
    .expect("rows of the previous version");

    db::migrate(&mut conn, Utc::now().naive_utc()).expect("the new migration applies");

    let case = db::cases::by_number(&mut conn, "AD20261102-7KQ2XM")
        .expect("read")
        .expect("the case survived");
    assert_eq!(case.status, CaseStatus::Closed);
    assert_eq!(case.lang, Lang::En);
    assert_eq!(case.packet_kind, PacketKind::LuckyRedPacket);
    assert_eq!(case.decision_reason.as_deref(), Some("Paid back."));
    let kinds: Vec<EventKind> = db::events::for_case(&mut conn, case.id)
        .expect("trail")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            EventKind::Filed,
            EventKind::ViewedCase,
            EventKind::CarriedOut
        ]
    );
    // closed_reason is gone; the constraints hold for new rows.
    let gone = diesel::sql_query("SELECT closed_reason FROM cases").execute(&mut conn);
    assert!(gone.is_err(), "closed_reason was dropped");
    let refused = conn.batch_execute("UPDATE cases SET status = 'archived'");
    assert!(refused.is_err(), "a status the application does not know");
    let count: i64 = diesel::select(sql::<BigInt>("COUNT(*) FROM cases"))
        .get_result(&mut conn)
        .expect("count");
    assert_eq!(count, 1);
    drop(conn);
    drop(pool);
    if let DatabaseUrl::Sqlite(path) = &database.url {
        assert!(path.exists());
    }
}
