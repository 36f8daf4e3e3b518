//! One integration binary: every test drives the real server over HTTP.
//! SQLite by default; PostgreSQL when TEST_DATABASE_URL is set. The mail tests need
//! python3 with aiosmtpd (`pip install aiosmtpd==1.4.6`).

mod accessibility;
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
mod mail_delivery;
mod mail_helpers;
mod mail_injection;
mod mail_limits;
mod mail_receipt;
mod mail_steps;
mod operations;
mod outbox_claims;
mod pages;
mod quota;
mod quota_squatting;
mod recover_link;
mod refusals;
mod review_race;
mod secrets_at_rest;
mod sign_in;
mod smtp;
mod stopping;
mod tracking;
mod typed_storage;
mod webhook_helpers;
mod webhooks;
