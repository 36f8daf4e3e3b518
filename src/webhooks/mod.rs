//! Signed webhooks out (Standard Webhooks): a change of a case writes one delivery per
//! subscribed endpoint in its own transaction (`db::webhooks::queue_event`); the worker
//! here POSTs each, signed, through a client that never calls into our own network.

pub mod client;
pub mod courier;
pub mod sign;

pub use courier::{Hooks, Worker, worker};
