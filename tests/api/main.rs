//! One integration binary: every test drives the real server over HTTP.
//! SQLite by default; PostgreSQL when TEST_DATABASE_URL names a server, or with
//! TEST_DATABASE=postgres on a throwaway cluster the run starts itself. The mail tests need
//! python3 with aiosmtpd (`pip install aiosmtpd==1.4.6`).

mod accessibility;
mod api_cases;
mod api_helpers;
mod api_keys;
mod api_outcome;
mod back_office_loop;
mod backup;
mod browser;
mod calendar_updates;
mod cli;
mod console_auth;
mod console_queue;
mod console_review;
mod dashboard_counts;
mod evidence_files;
mod filing;
mod fuzz;
mod helpers;
mod hygiene;
mod leases;
mod limits;
mod log_levels;
mod mail_delivery;
mod mail_helpers;
mod mail_injection;
mod mail_limits;
mod mail_receipt;
mod mail_steps;
mod operations;
mod outbox_claims;
mod pages;
#[path = "../support/pg_cluster.rs"]
#[allow(dead_code)]
mod pg_cluster;
mod plans;
mod probe_holes;
#[path = "../support/process_group.rs"]
#[allow(dead_code)]
mod process_group;
mod quota;
mod quota_squatting;
mod recover_link;
mod refusals;
mod review_race;
mod second_factor;
mod secrets_at_rest;
mod sign_in;
mod smtp;
mod stopping;
mod team_console;
mod team_notices;
mod tracking;
mod triage;
mod typed_storage;
mod webhook_helpers;
mod webhooks;
