use std::collections::HashSet;

use appealdesk::db::{self, outbox::NewMail};
use chrono::{Duration, NaiveDateTime, Utc};

use crate::helpers::*;

fn enqueue_many(app: &TestApp, n: usize, at: NaiveDateTime) {
    let mut conn = app.conn();
    for i in 0..n {
        db::outbox::enqueue(
            &mut conn,
            &NewMail {
                message: "test",
                recipient: &format!("r{i}@example.com"),
                lang: appealdesk::domain::Lang::En,
                subject: "Hello",
                body_text: "Hello.",
                body_html: "<p>Hello.</p>",
                case_id: None,
                created_at: at,
            },
        )
        .expect("enqueue");
    }
}

#[tokio::test]
async fn concurrent_claims_never_hand_out_the_same_row_twice() {
    let app = spawn_app().await;
    let now = Utc::now().naive_utc();
    enqueue_many(&app, 60, now);
    let pool = db::pool(&app.database.url, 4).expect("pool");

    let claimed: Vec<i64> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let pool = pool.clone();
                scope.spawn(move || {
                    let mut conn = pool.get().expect("connection");
                    let mut mine = Vec::new();
                    loop {
                        let rows = db::outbox::claim_due(&mut conn, now, Duration::minutes(10), 3)
                            .expect("claim");
                        if rows.is_empty() {
                            return mine;
                        }
                        mine.extend(rows.iter().map(|r| r.id.get()));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("claiming thread"))
            .collect()
    });

    let distinct: HashSet<i64> = claimed.iter().copied().collect();
    assert_eq!(claimed.len(), 60, "every row claimed");
    assert_eq!(distinct.len(), 60, "no row claimed twice");
}

#[tokio::test]
async fn a_crashed_workers_rows_are_claimable_again_once_the_lease_ends() {
    let app = spawn_app().await;
    let now = Utc::now().naive_utc();
    enqueue_many(&app, 2, now);
    let mut conn = app.conn();
    let lease = Duration::seconds(60);

    let first = db::outbox::claim_due(&mut conn, now, lease, 10).unwrap();
    assert_eq!(first.len(), 2);
    // The worker "crashes": it never marks them.
    let during = db::outbox::claim_due(&mut conn, now + Duration::seconds(59), lease, 10).unwrap();
    assert!(during.is_empty(), "leased rows are not handed out");
    let after = db::outbox::claim_due(&mut conn, now + Duration::seconds(61), lease, 10).unwrap();
    let ids = |rows: &[db::outbox::MailRow]| rows.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(&after), ids(&first));
    assert!(after.iter().all(|r| r.attempts == 2));

    // The crashed worker's lease is gone: what it would record now changes nothing.
    let stale = first[0].lease_until.unwrap();
    assert!(!db::outbox::mark_sent(&mut conn, first[0].id, stale, now).unwrap());
    assert!(!db::outbox::mark_dead(&mut conn, first[1].id, stale, "late").unwrap());

    // Marked rows are never claimed again, however late.
    let lease_of = |row: &db::outbox::MailRow| row.lease_until.unwrap();
    assert!(db::outbox::mark_sent(&mut conn, after[0].id, lease_of(&after[0]), now).unwrap());
    assert!(
        db::outbox::mark_dead(
            &mut conn,
            after[1].id,
            lease_of(&after[1]),
            "550 no such user"
        )
        .unwrap()
    );
    let much_later = now + Duration::days(30);
    assert!(
        db::outbox::claim_due(&mut conn, much_later, lease, 10)
            .unwrap()
            .is_empty()
    );
    assert!(!db::outbox::any_due(&mut conn, much_later).unwrap());
}

#[tokio::test]
async fn a_retried_mail_waits_for_its_next_attempt_time() {
    let app = spawn_app().await;
    let now = Utc::now().naive_utc();
    enqueue_many(&app, 1, now);
    let mut conn = app.conn();
    let lease = Duration::seconds(60);
    let row = db::outbox::claim_due(&mut conn, now, lease, 10)
        .unwrap()
        .remove(0);
    let retried = db::outbox::mark_retry(
        &mut conn,
        row.id,
        row.lease_until.unwrap(),
        now + Duration::seconds(120),
        "451 try later",
    )
    .unwrap();
    assert!(retried, "the claim's own lease");

    assert!(
        db::outbox::claim_due(&mut conn, now + Duration::seconds(119), lease, 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        db::outbox::claim_due(&mut conn, now + Duration::seconds(120), lease, 10)
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_renewed_lease_keeps_rows_and_a_released_row_is_due_at_once_without_an_attempt() {
    let app = spawn_app().await;
    let now = Utc::now().naive_utc();
    enqueue_many(&app, 3, now);
    let mut conn = app.conn();
    let lease = Duration::seconds(60);
    let rows = db::outbox::claim_due(&mut conn, now, lease, 10).unwrap();
    let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
    let held = rows[0].lease_until.unwrap();

    // Renewed before it ran out: past the first lease, the rows are still taken.
    let later = now + Duration::seconds(50);
    let until = db::outbox::lease_end(later, lease);
    assert_eq!(
        db::outbox::renew(&mut conn, &ids, held, until).unwrap(),
        ids
    );
    let past_first = now + Duration::seconds(90);
    assert!(
        db::outbox::claim_due(&mut conn, past_first, lease, 10)
            .unwrap()
            .is_empty()
    );
    // The old lease value proves nothing any more.
    assert!(
        db::outbox::renew(&mut conn, &ids, held, until)
            .unwrap()
            .is_empty()
    );
    assert!(!db::outbox::mark_sent(&mut conn, ids[0], held, later).unwrap());
    assert!(db::outbox::mark_sent(&mut conn, ids[0], until, later).unwrap());

    // A stopping worker gives back what it did not send: due at once, no attempt spent.
    assert_eq!(
        db::outbox::release(&mut conn, &ids, until).unwrap(),
        2,
        "the unsent two"
    );
    let again = db::outbox::claim_due(&mut conn, later, lease, 10).unwrap();
    assert_eq!(again.iter().map(|r| r.id).collect::<Vec<_>>(), ids[1..]);
    assert!(
        again.iter().all(|r| r.attempts == 1),
        "the given-back claim did not count"
    );
}
