//! Where a mail in the outbox stands.

use super::stored::Stored;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailStatus {
    /// Waiting to be sent, or to be tried again.
    Pending,
    Sent,
    /// Refused for good, or too many attempts: a supervisor may resend it.
    Dead,
}

impl Stored for MailStatus {
    const WHAT: &'static str = "mail status";
    const ALL: &'static [Self] = &[MailStatus::Pending, MailStatus::Sent, MailStatus::Dead];

    fn stored(self) -> &'static str {
        match self {
            MailStatus::Pending => "pending",
            MailStatus::Sent => "sent",
            MailStatus::Dead => "dead",
        }
    }
}
