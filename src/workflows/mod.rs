//! One use case per file. Each owns its transaction, applies the domain rules and
//! writes every row the change needs.

pub mod agents;
pub mod api_cases;
pub mod api_keys;
pub mod bulk;
pub mod calendar_admin;
pub mod case_page;
pub mod dashboard;
pub mod digest;
pub mod evidence;
pub mod file_appeal;
pub mod health;
pub mod mail_admin;
pub mod morning_list;
pub mod preferences;
pub mod queue;
pub mod recover_link;
pub mod review;
pub mod saved_replies;
pub mod second_factor;
pub mod sessions;
pub mod timeline;
pub mod track_case;
pub mod views;
pub mod webhooks;
pub mod working_days;

/// What went wrong below the rules: the caller logs it once and shows an opaque error.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("mail template: {0}")]
    Template(String),
    /// The store could not run the call (no connection, too many writes waiting...).
    #[error(transparent)]
    Storage(#[from] crate::storage::Failure),
}

impl From<crate::email::EnqueueError> for Failure {
    fn from(e: crate::email::EnqueueError) -> Self {
        match e {
            crate::email::EnqueueError::Database(e) => Self::Database(e),
            render => Self::Template(render.to_string()),
        }
    }
}
