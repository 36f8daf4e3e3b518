//! Mail. Nothing here sees a request, and handlers never talk to SMTP: a workflow
//! renders a message into the outbox inside its own transaction, and the worker
//! delivers it afterwards, retrying until it is sent or dead.
//!
//! Adding a message: a folder `templates/email/<name>/` with `subject.txt`, `body.txt`
//! and `body.html`; a struct with `mail_templates!` in `messages.rs`; one
//! `email::enqueue(conn, &message, to, case_id, now)` in the workflow, and
//! `state.mail.wake()` in the handler after it commits (else the poll finds it).

pub mod compose;
pub mod messages;
pub mod transport;
pub mod worker;

pub use messages::{
    Assigned, CaseNews, Closed, DatesMoved, Decision, Digest, DigestCase, EnqueueError,
    EvidenceRequested, LinkReissued, MailDate, Message, MorningList, News, NotRecovered, Prepared,
    Receipt, Recovered, SecondFactorReset, Voided, WebhookDisabled, Withdrawn, enqueue,
};
pub use worker::{Wake, Worker};
