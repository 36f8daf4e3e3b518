//! One integration binary: every test drives the real server over HTTP.
//! SQLite by default; PostgreSQL when TEST_DATABASE_URL is set.

mod browser;
mod cli;
mod console_auth;
mod console_queue;
mod console_review;
mod filing;
mod helpers;
mod pages;
mod quota;
mod refusals;
mod tracking;
