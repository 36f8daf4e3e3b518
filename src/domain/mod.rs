//! AppealDesk's domain: the rules for an appeal about a WeChat Pay red packet or transfer sent by
//! mistake. Pure: no I/O, no database, no web; only std, chrono, validator, zxcvbn (a
//! password's strength is a rule too), parsers (csv, iCalendar) and ICU4X's calendars.

pub mod actor;
pub mod agent;
pub mod api;
pub mod appeal;
pub mod calendar;
pub mod case_number;
pub mod case_status;
pub mod claim;
pub mod client_ip;
pub mod cst;
pub mod date_format;
pub mod decision;
pub mod evidence;
pub mod evidence_file;
pub mod guidance;
pub mod ids;
pub mod lang;
pub mod mail_status;
pub mod money;
pub mod normalize;
pub mod notices;
pub mod policy;
pub mod queue;
pub mod review_clock;
pub mod saved_reply;
pub mod second_factor;
pub mod stored;
pub mod text;
pub mod throttle;
pub mod timeline;
pub mod webhook;

pub use actor::Actor;
pub use lang::Lang;

/// A refusal a user can meet: a message in each language, shown next to the field.
pub trait Refusal: std::fmt::Debug + Send + Sync {
    fn message(&self, lang: Lang) -> String;
}
