//! One use case per file. Each owns its transaction, applies the domain rules and
//! writes every row the change needs.

pub mod agents;
pub mod calendar_admin;
pub mod file_appeal;
pub mod queue;
pub mod review;
pub mod track_case;
pub mod working_days;

/// What went wrong below the rules: the caller logs it once and shows an opaque error.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("database pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
}
