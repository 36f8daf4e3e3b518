//! AppealDesk: appeals for WeChat Pay red packets and transfers sent by mistake.
//!
//! Imports point one way: `web` → `workflows` → `email` → `db` → `domain`; `metrics`
//! (what `/metrics` shows) is a leaf any of them may count into.

pub mod clock;
pub mod config;
pub mod db;
pub mod delivery;
pub mod domain;
pub mod email;
pub mod evidence_files;
pub mod jobs;
pub mod keys;
pub mod metrics;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod web;
pub mod webhooks;
pub mod workflows;
