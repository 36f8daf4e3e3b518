//! Accounts of customer service: creation (CLI), sign-in with throttling, disabling.

use std::sync::LazyLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Datelike, Duration, Utc};

use super::Failure;
use crate::db::{self, DbConn};
use crate::domain::ids::AgentId;
use crate::domain::{Lang, Refusal, cst, policy};
use crate::storage::Session;

use super::views::AgentView;
use crate::domain::agent::{PasswordError, Role, check_password};
use crate::domain::evidence::Email;
use crate::domain::text::has_control;

/// Argon2id with m = 19456 KiB, t = 2, p = 1 (OWASP's first recommendation).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Verified against when the email is unknown, so both refusals take the same time.
static DECOY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("decoy password, never matches").unwrap_or_default());

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("not an email address")]
    BadEmail,
    #[error("{}", .0.message(crate::domain::Lang::En))]
    BadPassword(PasswordError),
    #[error("the name is empty or longer than 100 characters")]
    BadName,
    #[error("an account with this email exists already")]
    Exists,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub fn create_agent(
    conn: &mut DbConn,
    email: &str,
    name: &str,
    role: Role,
    password: &str,
    now: DateTime<Utc>,
) -> Result<(), CreateError> {
    let email = Email::parse(email).map_err(|_| CreateError::BadEmail)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(CreateError::BadName);
    }
    check_password(password, &[email.as_str(), name]).map_err(CreateError::BadPassword)?;
    let hash = hash_password(password)?;
    // Accounts are keyed by the whole address in lower case, as sign-in looks them up.
    let email = email.as_str().to_lowercase();
    match db::agents::insert(conn, &email, name, role, &hash, now.naive_utc()) {
        Ok(()) => Ok(()),
        Err(e) if db::is_unique_violation(&e) => Err(CreateError::Exists),
        Err(e) => Err(CreateError::Other(e.into())),
    }
}

/// A signed-in account as the console needs it on every request.
#[derive(Clone, Debug)]
pub struct SessionAgent {
    pub agent: AgentView,
    /// Next year, when its working-day calendar is missing from `policy::CALENDAR_WARNING_FROM_MONTH` on.
    pub calendar_missing: Option<i32>,
    /// The console's language the agent chose at `/agent/me` (a `lang` cookie still wins).
    pub lang: Option<Lang>,
}

/// The enabled account behind a session, if any.
pub fn session_agent(
    conn: &mut DbConn,
    id: AgentId,
    now: DateTime<Utc>,
) -> Result<Option<SessionAgent>, Failure> {
    let Some(agent) = db::agents::by_id(conn, id)?.filter(|a| a.disabled_at.is_none()) else {
        return Ok(None);
    };
    let today = cst::local_date(now);
    let next_year = today.year() + 1;
    let warn = today.month() >= policy::CALENDAR_WARNING_FROM_MONTH;
    let missing = warn && !db::calendar::is_loaded(conn, next_year)?;
    Ok(Some(SessionAgent {
        lang: db::agent_prefs::chosen_lang(conn, agent.id)?,
        agent: agent.into(),
        calendar_missing: missing.then_some(next_year),
    }))
}

#[derive(Debug, PartialEq, Eq)]
pub enum SignInRefused {
    /// Unknown email, wrong password or disabled account: one answer for all three.
    Invalid,
    /// This account from this client address (or this address, whatever the account) has
    /// failed too often lately; the password was not checked.
    TooManyAttempts { retry_after_minutes: i64 },
}

impl Refusal for SignInRefused {
    fn message(&self, lang: Lang) -> String {
        match self {
            SignInRefused::Invalid => lang
                .t("邮箱或密码不正确。", "The email or password is not right.")
                .to_owned(),
            SignInRefused::TooManyAttempts {
                retry_after_minutes,
            } => match lang {
                Lang::Zh => format!("尝试次数过多，请 {retry_after_minutes} 分钟后再试。"),
                Lang::En => {
                    format!("Too many attempts: try again in {retry_after_minutes} minutes.")
                }
            },
        }
    }
}

/// What a sign-in came to, and how long its answer must wait: an account that has been
/// guessed at lately answers slowly (success and refusal alike, so that the wait tells
/// nothing), never more than `policy::SIGN_IN_DELAY_MAX_MS`.
#[derive(Debug)]
pub struct SignInOutcome {
    pub result: Result<AgentView, SignInRefused>,
    pub delay: std::time::Duration,
}

/// Throttles per (account, client address) pair and per address, never per account
/// alone: a guesser elsewhere cannot keep the owner out. Only attempts whose password
/// was checked count.
pub fn sign_in(
    session: &mut Session<'_>,
    email: &str,
    password: &str,
    client_address: &str,
    now: DateTime<Utc>,
) -> Result<SignInOutcome, Failure> {
    let email = email.trim().to_lowercase();
    if has_control(&email) {
        // No account has such an address (and PostgreSQL text cannot hold a NUL).
        return Ok(SignInOutcome {
            result: Err(SignInRefused::Invalid),
            delay: std::time::Duration::ZERO,
        });
    }
    let attempts = Attempts::new("", &email, client_address);
    let delay = policy::sign_in_delay(attempts.account_failures(session, now)?);
    if let Some(minutes) = attempts.begin(session, now)? {
        return Ok(SignInOutcome {
            result: Err(SignInRefused::TooManyAttempts {
                retry_after_minutes: minutes,
            }),
            delay: std::time::Duration::ZERO,
        });
    }

    // The hash is checked off the writer: it takes tens of milliseconds.
    let agent = db::agents::by_email(session.conn(), &email)?;
    let matches = match &agent {
        Some(a) => verify_password(password, &a.password_hash),
        None => {
            verify_password(password, &DECOY_HASH);
            false
        }
    };
    let result = match agent {
        Some(agent) if matches && agent.disabled_at.is_none() => {
            attempts.succeeded(session, now)?;
            Ok(agent)
        }
        _ => Err(SignInRefused::Invalid),
    };
    Ok(SignInOutcome {
        result: result.map(AgentView::from),
        delay,
    })
}

/// Who one guess counts against: the account, the (address, account) pair and the address,
/// never the account alone (a guesser elsewhere cannot keep the owner out). Passwords and
/// second-factor codes are counted apart (`kind`), with the same limits.
pub(super) struct Attempts {
    account: String,
    pair: String,
    address: String,
}

impl Attempts {
    pub(super) fn new(kind: &str, account: &str, client_address: &str) -> Self {
        Self {
            account: format!("{kind}account:{account}"),
            pair: format!("{kind}pair:{client_address}:{account}"),
            address: format!("{kind}address:{client_address}"),
        }
    }

    fn since(now: DateTime<Utc>) -> chrono::NaiveDateTime {
        (now - Duration::minutes(policy::SIGN_IN_WINDOW_MINUTES)).naive_utc()
    }

    fn account_failures(
        &self,
        session: &mut Session<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64, Failure> {
        Ok(db::sign_in::failures_since(
            session.conn(),
            &self.account,
            Self::since(now),
        )?)
    }

    /// Counts this attempt as a failure before it is checked, so that each guess of a
    /// parallel burst sees the others; over a limit, takes it back and answers the minutes
    /// until the next try (the guess is then not checked at all).
    pub(super) fn begin(
        &self,
        session: &mut Session<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, Failure> {
        let (at, since) = (now.naive_utc(), Self::since(now));
        let subjects = [&self.account, &self.pair, &self.address];
        // Committed before the count, so that each guess of a parallel burst sees the others.
        session.write(|conn| -> Result<(), Failure> {
            for subject in subjects {
                db::sign_in::record_failure(conn, subject, at)?;
            }
            Ok(())
        })?;
        for (subject, limit) in [
            (&self.pair, policy::SIGN_IN_MAX_FAILURES_PER_PAIR),
            (&self.address, policy::SIGN_IN_MAX_FAILURES_PER_ADDRESS),
        ] {
            if db::sign_in::failures_since(session.conn(), subject, since)? > limit {
                session.write(|conn| -> Result<(), Failure> {
                    for subject in subjects {
                        db::sign_in::forget_one(conn, subject, at)?;
                    }
                    Ok(())
                })?;
                let oldest =
                    db::sign_in::oldest_since(session.conn(), subject, since)?.unwrap_or(since);
                let opens = oldest + Duration::minutes(policy::SIGN_IN_WINDOW_MINUTES);
                return Ok(Some((opens - at).num_minutes().max(0) + 1));
            }
        }
        Ok(None)
    }

    /// The attempt was right: it is taken back, and the pair starts afresh.
    pub(super) fn succeeded(
        &self,
        session: &mut Session<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), Failure> {
        let at = now.naive_utc();
        session.write(|conn| -> Result<(), Failure> {
            db::sign_in::forget_one(conn, &self.account, at)?;
            db::sign_in::forget_one(conn, &self.address, at)?;
            db::sign_in::clear(conn, &self.pair)?;
            Ok(())
        })
    }
}
