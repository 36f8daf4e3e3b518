//! The mails AppealDesk writes, in the appellant's language, plain text and HTML.
//!
//! A message is a struct of what its templates show, `templates/email/<name>/{subject.txt,
//! body.txt, body.html}`, and one `mail_templates!` line. Templates see the struct as `m`
//! and the language as `zh` (true for Chinese). No remote images, no tracking.

use chrono::{DateTime, NaiveDate, Utc};

use crate::db::{self, DbConn, outbox::NewMail};
use crate::domain::Lang;
use crate::domain::calendar::Arrangements;
use crate::domain::ids::CaseId;

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub trait Message {
    /// The outbox's `message` column: which kind of mail this is.
    const NAME: &'static str;
    fn lang(&self) -> Lang;
    fn render(&self) -> askama::Result<Rendered>;
}

#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    #[error("rendering the {0} mail: {1}")]
    Render(&'static str, askama::Error),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Renders `message` and writes it to the outbox. Call it inside the transaction of
/// the change the mail reports: the mail exists exactly when the change does.
/// `to` is an address the domain has validated; the worker parses it again for SMTP.
pub fn enqueue<M: Message>(
    conn: &mut DbConn,
    message: &M,
    to: &str,
    case_id: Option<CaseId>,
    now: DateTime<Utc>,
) -> Result<(), EnqueueError> {
    let prepared = Prepared::new(message)?;
    db::outbox::enqueue(conn, &prepared.row(to, case_id, now))?;
    Ok(())
}

/// A mail rendered before it is written: for a change that writes its mail in the
/// same statement as itself.
pub struct Prepared {
    message: &'static str,
    lang: Lang,
    subject: String,
    rendered: Rendered,
}

impl Prepared {
    pub fn new<M: Message>(message: &M) -> Result<Self, EnqueueError> {
        let rendered = message
            .render()
            .map_err(|e| EnqueueError::Render(M::NAME, e))?;
        Ok(Self {
            message: M::NAME,
            lang: message.lang(),
            subject: one_line(&rendered.subject),
            rendered,
        })
    }

    /// The outbox row for this mail to `to`.
    pub fn row<'a>(
        &'a self,
        to: &'a str,
        case_id: Option<CaseId>,
        now: DateTime<Utc>,
    ) -> NewMail<'a> {
        NewMail {
            message: self.message,
            recipient: to,
            lang: self.lang,
            subject: &self.subject,
            body_text: &self.rendered.text,
            body_html: &self.rendered.html,
            case_id,
            created_at: now.naive_utc(),
        }
    }
}

/// A subject is one line: whatever a template or a value brings, no line break gets
/// into a header.
pub fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Askama wants one struct per template file; these wrap a message for each part.
macro_rules! mail_templates {
    ($ty:ty, $name:literal, $subject:literal, $text:literal, $html:literal) => {
        impl Message for $ty {
            const NAME: &'static str = $name;

            fn lang(&self) -> Lang {
                self.lang
            }

            fn render(&self) -> askama::Result<Rendered> {
                use askama::Template;
                #[derive(Template)]
                #[template(path = $subject)]
                struct Subject<'a> {
                    m: &'a $ty,
                    zh: bool,
                }
                #[derive(Template)]
                #[template(path = $text)]
                struct Text<'a> {
                    m: &'a $ty,
                    zh: bool,
                }
                #[derive(Template)]
                #[template(path = $html)]
                struct Html<'a> {
                    m: &'a $ty,
                    zh: bool,
                }
                let zh = self.lang == Lang::Zh;
                Ok(Rendered {
                    subject: Subject { m: self, zh }.render()?,
                    text: Text { m: self, zh }.render()?,
                    html: Html { m: self, zh }.render()?,
                })
            }
        }
    };
}

/// A date as a reader of that language writes it.
pub struct MailDate {
    pub iso: String,
    pub label: String,
    /// Counted in a year whose official arrangement is not loaded yet: the note to show.
    pub provisional: Option<&'static str>,
}

impl MailDate {
    pub fn new(lang: Lang, date: NaiveDate) -> Self {
        const WEEKDAYS_ZH: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
        use chrono::Datelike;
        let label = match lang {
            Lang::Zh => format!(
                "{}（星期{}）",
                date.format("%Y年%-m月%-d日"),
                WEEKDAYS_ZH[date.weekday().num_days_from_monday() as usize]
            ),
            Lang::En => date.format("%A %-d %B %Y").to_string(),
        };
        Self {
            iso: date.format("%Y-%m-%d").to_string(),
            label,
            provisional: None,
        }
    }

    /// The date, marked provisional when its year has no loaded arrangement.
    pub fn counted(lang: Lang, date: NaiveDate, arrangements: &Arrangements) -> Self {
        Self {
            provisional: arrangements.note(lang, date),
            ..Self::new(lang, date)
        }
    }
}

/// To the appellant, when the appeal is filed: what to keep, and when to expect an answer.
pub struct Receipt {
    pub lang: Lang,
    pub case_number: String,
    pub packet_kind: &'static str,
    /// Yuan, "1,234.50".
    pub amount: String,
    /// China time, "YYYY-MM-DD HH:MM:SS".
    pub sent_at: String,
    pub review_target: MailDate,
    pub review_deadline: MailDate,
    /// The policy's working days, as the mail explains the dates.
    pub target_days: u32,
    pub deadline_days: u32,
    pub tracking_url: String,
    /// The evidence files received with the filing, by kind and count ("2 pictures"), never
    /// by name: a name is the sender's text and may carry a link to anyone's inbox.
    pub files: Vec<String>,
}

/// "2 张图片", "1 个 PDF文件" / "2 pictures", "1 PDF": one line per kind received.
pub fn files_by_kind(lang: Lang, kinds: &[crate::domain::evidence_file::FileKind]) -> Vec<String> {
    let pictures = kinds.iter().filter(|k| k.is_image()).count();
    let pdfs = kinds.len() - pictures;
    let mut lines = Vec::new();
    if pictures > 0 {
        lines.push(match lang {
            Lang::Zh => format!("图片 {pictures} 张"),
            Lang::En if pictures == 1 => "1 picture".to_owned(),
            Lang::En => format!("{pictures} pictures"),
        });
    }
    if pdfs > 0 {
        lines.push(match lang {
            Lang::Zh => format!("PDF 文件 {pdfs} 个"),
            Lang::En if pdfs == 1 => "1 PDF".to_owned(),
            Lang::En => format!("{pdfs} PDFs"),
        });
    }
    lines
}

mail_templates!(
    Receipt,
    "receipt",
    "email/receipt/subject.txt",
    "email/receipt/body.txt",
    "email/receipt/body.html"
);

/// To the appellant: the agent needs more evidence; the clock is paused meanwhile.
pub struct EvidenceRequested {
    pub lang: Lang,
    pub case_number: String,
    pub request: String,
    pub reply_due: MailDate,
}

mail_templates!(
    EvidenceRequested,
    "evidence_requested",
    "email/evidence_requested/subject.txt",
    "email/evidence_requested/body.txt",
    "email/evidence_requested/body.html"
);

/// To the appellant: approved or rejected, and why.
pub struct Decision {
    pub lang: Lang,
    pub case_number: String,
    pub approved: bool,
    pub reason: String,
    /// A rejection of a payment the appellant said was claimed: what works instead.
    pub what_works: Option<crate::domain::guidance::Guidance>,
}

mail_templates!(
    Decision,
    "decision",
    "email/decision/subject.txt",
    "email/decision/body.txt",
    "email/decision/body.html"
);

/// To the appellant: the case is closed, and why.
pub struct Closed {
    pub lang: Lang,
    pub case_number: String,
    pub why: &'static str,
}

mail_templates!(
    Closed,
    "closed",
    "email/closed/subject.txt",
    "email/closed/body.txt",
    "email/closed/body.html"
);

/// To the appellant: the back office got the money back (amount in yuan, its reference).
pub struct Recovered {
    pub lang: Lang,
    pub case_number: String,
    pub amount: String,
    pub reference: String,
}

mail_templates!(
    Recovered,
    "recovered",
    "email/recovered/subject.txt",
    "email/recovered/body.txt",
    "email/recovered/body.html"
);

/// To the appellant: the back office could not get the money back (why, in its note).
pub struct NotRecovered {
    pub lang: Lang,
    pub case_number: String,
    pub reference: String,
    pub note: String,
}

mail_templates!(
    NotRecovered,
    "not_recovered",
    "email/not_recovered/subject.txt",
    "email/not_recovered/body.txt",
    "email/not_recovered/body.html"
);

/// To the appellant: the withdrawal they asked for is done.
pub struct Withdrawn {
    pub lang: Lang,
    pub case_number: String,
}

mail_templates!(
    Withdrawn,
    "withdrawn",
    "email/withdrawn/subject.txt",
    "email/withdrawn/body.txt",
    "email/withdrawn/body.html"
);

/// To the appellant: a year's official arrangement was loaded or corrected, and the
/// deadline they were given moved.
pub struct DatesMoved {
    pub lang: Lang,
    pub case_number: String,
    pub year: i32,
    pub old_deadline: MailDate,
    pub review_target: MailDate,
    pub review_deadline: MailDate,
    pub earlier: bool,
}

mail_templates!(
    DatesMoved,
    "dates_moved",
    "email/dates_moved/subject.txt",
    "email/dates_moved/body.txt",
    "email/dates_moved/body.html"
);

/// To the address that filed a case a supervisor voided (abusive, or filed with someone
/// else's WeChat ID): what happened, and what to do if it was theirs after all.
pub struct Voided {
    pub lang: Lang,
    pub case_number: String,
}

mail_templates!(
    Voided,
    "voided",
    "email/voided/subject.txt",
    "email/voided/body.txt",
    "email/voided/body.html"
);

/// To the appellant who asked for their tracking link again (`/track/recover`): the new
/// link; the old one no longer opens the case.
pub struct LinkReissued {
    pub lang: Lang,
    pub case_number: String,
    pub tracking_url: String,
}

mail_templates!(
    LinkReissued,
    "link_reissued",
    "email/link_reissued/subject.txt",
    "email/link_reissued/body.txt",
    "email/link_reissued/body.html"
);

/// To an agent: a supervisor gave them a case.
pub struct Assigned {
    pub lang: Lang,
    pub agent_name: String,
    pub case_number: String,
    pub deadline: MailDate,
    pub case_url: String,
}

mail_templates!(
    Assigned,
    "assigned",
    "email/assigned/subject.txt",
    "email/assigned/body.txt",
    "email/assigned/body.html"
);

/// What happened on an agent's case.
#[derive(Clone, Debug)]
pub enum News {
    /// The appellant replied: the first lines of the reply.
    Replied {
        first_lines: String,
    },
    Withdrew,
    /// A supervisor gave the case to someone else.
    Unassigned,
}

/// To the assignee (or the agent a case was taken from), in their own language.
pub struct CaseNews {
    pub lang: Lang,
    pub agent_name: String,
    pub case_number: String,
    pub case_url: String,
    pub news: News,
}

impl CaseNews {
    pub fn replied(&self) -> Option<&str> {
        match &self.news {
            News::Replied { first_lines } => Some(first_lines),
            _ => None,
        }
    }

    pub fn withdrew(&self) -> bool {
        matches!(self.news, News::Withdrew)
    }
}

mail_templates!(
    CaseNews,
    "case_news",
    "email/case_news/subject.txt",
    "email/case_news/body.txt",
    "email/case_news/body.html"
);

/// To an agent, on a working-day morning: their cases due today or the next working day.
pub struct MorningList {
    pub lang: Lang,
    pub agent_name: String,
    pub day: MailDate,
    /// Number and deadline (as the agent reads dates), by deadline.
    pub cases: Vec<(String, String)>,
    pub case_url_base: String,
}

mail_templates!(
    MorningList,
    "morning_list",
    "email/morning_list/subject.txt",
    "email/morning_list/body.txt",
    "email/morning_list/body.html"
);

pub struct DigestCase {
    pub case_number: String,
    pub deadline: String,
    pub assignee: String,
}

/// To supervisors, at 09:00 China time on working days: what is at risk and overdue.
pub struct Digest {
    pub lang: Lang,
    pub day: MailDate,
    pub at_risk: Vec<DigestCase>,
    pub overdue: Vec<DigestCase>,
    pub queue_url: String,
    pub case_url_base: String,
}

mail_templates!(
    Digest,
    "digest",
    "email/digest/subject.txt",
    "email/digest/body.txt",
    "email/digest/body.html"
);

/// To supervisors: an endpoint failed every delivery for days and was disabled.
pub struct WebhookDisabled {
    pub lang: Lang,
    pub url: String,
    /// China time.
    pub failing_since: String,
    pub days: i64,
    pub last_error: String,
    pub page_url: String,
}

mail_templates!(
    WebhookDisabled,
    "webhook_disabled",
    "email/webhook_disabled/subject.txt",
    "email/webhook_disabled/body.txt",
    "email/webhook_disabled/body.html"
);

/// To an agent: an operator reset their second factor (`agent reset-mfa`). In both
/// languages: staff have no language of their own yet.
pub struct SecondFactorReset {
    pub lang: Lang,
    pub name: String,
    /// China time.
    pub at: String,
    pub security_url: String,
}

mail_templates!(
    SecondFactorReset,
    "second_factor_reset",
    "email/second_factor_reset/subject.txt",
    "email/second_factor_reset/body.txt",
    "email/second_factor_reset/body.html"
);

#[cfg(test)]
mod tests;
