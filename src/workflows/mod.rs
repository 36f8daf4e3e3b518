//! One use case per file. Each owns its transaction, applies the domain rules and
//! writes every row the change needs.

pub mod agents;
pub mod calendar_admin;
pub mod case_page;
pub mod dashboard;
pub mod digest;
pub mod evidence;
pub mod file_appeal;
pub mod health;
pub mod mail_admin;
pub mod queue;
pub mod recover_link;
pub mod review;
pub mod sessions;
pub mod track_case;
pub mod working_days;

use std::sync::Arc;

use crate::db::{DbConn, Pool, Writer};

/// The connection a workflow runs on, as callers outside the database layer name it.
pub type Conn = DbConn;

/// What went wrong below the rules: the caller logs it once and shows an opaque error.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("database pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("mail template: {0}")]
    Template(String),
    #[error("blocking task: {0}")]
    Blocking(#[from] tokio::task::JoinError),
}

/// The database as the web layer reaches it: a workflow call, run on a pooled
/// connection off the async threads. Handlers never see a connection's type.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    /// SQLite's single writer, which the work's write transactions run on.
    writer: Option<Arc<Writer>>,
}

impl Store {
    pub fn new(pool: Pool, writer: Option<Arc<Writer>>) -> Self {
        Self { pool, writer }
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Runs `work` (one workflow call) on a connection from the pool. The outer error is
    /// the infrastructure's (no connection, the task died); the inner is the workflow's.
    pub async fn run<T, E>(
        &self,
        work: impl FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    ) -> Result<Result<T, E>, Failure>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        let pool = self.pool.clone();
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            Ok(Writer::bind(writer.as_ref(), || work(&mut conn)))
        })
        .await?
    }
}

impl From<crate::email::EnqueueError> for Failure {
    fn from(e: crate::email::EnqueueError) -> Self {
        match e {
            crate::email::EnqueueError::Database(e) => Self::Database(e),
            render => Self::Template(render.to_string()),
        }
    }
}
