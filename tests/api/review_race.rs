//! A decision and a reassignment at the same moment: the permission check and the write
//! must see one state of the case. On PostgreSQL under READ COMMITTED that needs the case
//! row locked before the check; without it, an agent's decision lands after the case
//! was given to someone else.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use appealdesk::domain::Actor;
use appealdesk::domain::agent::Role;
use appealdesk::domain::decision::Decision;
use appealdesk::domain::timeline::EventKind;
use appealdesk::workflows::review::{self, Command};
use chrono::Utc;

use crate::helpers::*;

fn actor(app: &TestApp, email: &str) -> Actor {
    let agent = appealdesk::db::agents::by_email(&mut app.conn(), email)
        .expect("agent")
        .expect("exists");
    Actor::Agent {
        id: agent.id,
        email: agent.email,
        role: agent.role,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_is_only_recorded_by_the_agent_assigned_when_it_is_made() {
    let app = spawn_app().await;
    app.create_agent("a@example.com", Role::Agent);
    app.create_agent("b@example.com", Role::Agent);
    app.create_agent("boss@example.com", Role::Supervisor);
    let (a, boss) = (
        actor(&app, "a@example.com"),
        actor(&app, "boss@example.com"),
    );
    let b_id = actor(&app, "b@example.com").agent_id().expect("an agent");
    let decision = Decision::parse("approved", "evidence_complete", "").expect("a decision");
    let links = "http://127.0.0.1:8080";

    let trials: u64 = 40;
    let mut late_decisions = Vec::new();
    let mut decided = 0;
    for trial in 0..trials {
        let (number, _) = app.filed_case(&AppealFields::valid(Utc::now())).await;
        review::act(
            &mut app.conn(),
            &number,
            &a,
            &Command::Claim,
            links,
            Utc::now(),
        )
        .expect("a claims");

        // Two connections, two threads: the supervisor reassigns to B while A decides,
        // A starting a little later each trial (0 to 4 ms), across the reassignment.
        let start = Arc::new(Barrier::new(2));
        let reassign = {
            let (mut conn, start, boss, number) =
                (app.conn(), start.clone(), boss.clone(), number.clone());
            std::thread::spawn(move || {
                start.wait();
                let assign = Command::Assign { agent_id: b_id };
                review::act(&mut conn, &number, &boss, &assign, links, Utc::now()).is_ok()
            })
        };
        let decide = {
            let (mut conn, start, a, number, decision) = (
                app.conn(),
                start.clone(),
                a.clone(),
                number.clone(),
                decision.clone(),
            );
            std::thread::spawn(move || {
                start.wait();
                std::thread::sleep(Duration::from_micros(trial * 100));
                review::act(
                    &mut conn,
                    &number,
                    &a,
                    &Command::Decide(decision),
                    links,
                    Utc::now(),
                )
                .is_ok()
            })
        };
        let reassigned = reassign.join().expect("the reassigning thread");
        let approved = decide.join().expect("the deciding thread");
        assert!(reassigned || approved, "one of them goes through");

        let case = appealdesk::db::cases::by_number(&mut app.conn(), &number)
            .expect("read")
            .expect("the case");
        let trail = appealdesk::db::events::for_case(&mut app.conn(), case.id).expect("trail");
        let kinds: Vec<EventKind> = trail.iter().map(|e| e.kind).collect();
        let assigned_at = kinds.iter().position(|k| *k == EventKind::Assigned);
        let approved_at = kinds.iter().position(|k| *k == EventKind::Approved);
        if let Some(at) = approved_at {
            decided += 1;
            assert_eq!(trail[at].actor, "a@example.com");
            // A's decision after the case was B's: A was not its assignee any more.
            if assigned_at.is_some_and(|assigned| assigned < at) {
                late_decisions.push(number);
            }
        }
    }
    println!("{decided} of {trials} trials ended with A's decision");
    assert_eq!(
        late_decisions,
        Vec::<String>::new(),
        "decisions recorded by an agent no longer assigned"
    );
}
