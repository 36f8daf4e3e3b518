//! One integration binary: every test drives the real server over HTTP.
//! SQLite by default; PostgreSQL when TEST_DATABASE_URL is set.

mod cli;
mod filing;
mod helpers;
mod outbox_claims;
mod pages;
mod quota;
mod refusals;
mod tracking;
