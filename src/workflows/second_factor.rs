//! An agent's second factor (TOTP, RFC 6238, computed by `totp-rs`): enrolling, the code
//! step of a sign-in, turning it off, new recovery codes, and an operator's reset. Every
//! code is checked under the sign-in throttle and used at most once.

use chrono::{DateTime, NaiveDateTime, Utc};
use rand::{Rng, RngCore};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use super::Failure;
use super::agents::Attempts;
use super::views::AgentView;
use crate::db::second_factor::SecondFactorRow;
use crate::db::{self, DbConn};
use crate::domain::ids::AgentId;
use crate::domain::second_factor::{
    Code, CodeRefused, RECOVERY_ALPHABET, RECOVERY_CODE_LEN, SecurityEventKind, show_recovery_code,
};
use crate::domain::{Lang, cst, policy};
use crate::email::{self, SecondFactorReset};
use crate::keys::digest;
use crate::storage::Session;

/// The name authenticator apps show above the code.
const ISSUER: &str = "AppealDesk";
/// Whom the audit names for what the command line did.
const OPERATOR: &str = "command line";

fn totp(secret_base32: &str, account: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret_base32).ok()?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(policy::TOTP_DIGITS as u8)
        .with_skew(u16::from(policy::TOTP_SKEW_STEPS))
        .with_step_duration(policy::TOTP_STEP_SECS)
        .with_secret(secret)
        .with_issuer(Some(ISSUER))
        .with_account_name(account.replace(':', ""))
        .build()
        .ok()
}

/// The time step a six-digit code matches at `now`, if any.
fn matching_step(secret: &str, account: &str, code: &str, now: DateTime<Utc>) -> Option<i64> {
    let time = u64::try_from(now.timestamp()).ok()?;
    let counter = totp(secret, account)?.check(code, time)?;
    i64::try_from(counter).ok()
}

/// A key being enrolled, as the security page shows it.
#[derive(Clone, Debug)]
pub struct Enrollment {
    /// For the QR code: `otpauth://totp/…`.
    pub uri: String,
    /// The key as text, in groups of four, for typing into an app.
    pub key: String,
}

#[derive(Clone, Debug)]
pub struct SecurityEventView {
    pub kind: SecurityEventKind,
    pub actor: String,
    pub at: NaiveDateTime,
}

/// The security page of one account.
#[derive(Clone, Debug)]
pub struct SecurityView {
    pub on_since: Option<NaiveDateTime>,
    pub enrolling: Option<Enrollment>,
    pub recovery_codes_left: i64,
    pub events: Vec<SecurityEventView>,
}

pub fn security(conn: &mut DbConn, agent: &AgentView) -> Result<SecurityView, Failure> {
    let row = db::second_factor::of(conn, agent.id)?.unwrap_or(SecondFactorRow {
        totp_secret: None,
        totp_enabled_at: None,
        totp_last_step: None,
    });
    let enrolling = match (&row.totp_secret, row.totp_enabled_at) {
        (Some(secret), None) => totp(secret, &agent.email).and_then(|t| {
            let uri = t.to_url().ok()?;
            let key = secret
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            Some(Enrollment { uri, key })
        }),
        _ => None,
    };
    let events = db::second_factor::events(conn, agent.id, 20)?
        .into_iter()
        .map(|e| SecurityEventView {
            kind: e.kind,
            actor: e.actor,
            at: e.at,
        })
        .collect();
    Ok(SecurityView {
        on_since: row.totp_enabled_at,
        enrolling,
        recovery_codes_left: db::second_factor::recovery_codes_left(conn, agent.id)?,
        events,
    })
}

/// Starts (or starts over) an enrollment with a fresh 160-bit key; a key in use stays.
pub fn start_enrollment(conn: &mut DbConn, agent: AgentId) -> Result<(), Failure> {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    db::second_factor::start(conn, agent, &Secret::from(bytes.to_vec()).to_base32())?;
    Ok(())
}

/// Ten fresh recovery codes, shown once; the database keeps their digests.
fn new_recovery_codes(
    conn: &mut DbConn,
    agent: AgentId,
) -> Result<Vec<String>, diesel::result::Error> {
    let mut rng = rand::rng();
    let codes: Vec<String> = (0..policy::RECOVERY_CODES)
        .map(|_| {
            (0..RECOVERY_CODE_LEN)
                .map(|_| {
                    char::from(RECOVERY_ALPHABET[rng.random_range(0..RECOVERY_ALPHABET.len())])
                })
                .collect()
        })
        .collect();
    let digests: Vec<String> = codes.iter().map(|c| digest(c)).collect();
    db::second_factor::replace_recovery_codes(conn, agent, &digests)?;
    Ok(codes.iter().map(|c| show_recovery_code(c)).collect())
}

/// Which codes a prompt takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Accepts {
    /// From the app only (confirming an enrollment, renewing the recovery codes).
    App,
    AppOrRecovery,
}

/// Checks `raw` for the account under the throttle and uses it up; `Ok(Ok(true))` when it
/// was a recovery code. `enrolled`: the key must be in use (else: being enrolled).
fn use_code(
    session: &mut Session<'_>,
    agent: &AgentView,
    raw: &str,
    accepts: Accepts,
    enrolled: bool,
    client_address: &str,
    now: DateTime<Utc>,
) -> Result<Result<bool, CodeRefused>, Failure> {
    let code = match Code::parse(raw) {
        Ok(Code::Recovery(_)) if accepts == Accepts::App => return Ok(Err(CodeRefused::Malformed)),
        Ok(code) => code,
        Err(refused) => return Ok(Err(refused)),
    };
    let attempts = Attempts::new("code-", &agent.id.to_string(), client_address);
    if let Some(minutes) = attempts.begin(session, now)? {
        return Ok(Err(CodeRefused::TooManyAttempts {
            retry_after_minutes: minutes,
        }));
    }
    let row = db::second_factor::of(session.conn(), agent.id)?;
    let secret = match row {
        Some(SecondFactorRow {
            totp_secret: Some(secret),
            totp_enabled_at,
            ..
        }) if totp_enabled_at.is_some() == enrolled => secret,
        _ => return Ok(Err(CodeRefused::Expired)),
    };
    let (id, at) = (agent.id, now.naive_utc());
    let used = match &code {
        Code::Totp(digits) => match matching_step(&secret, &agent.email, digits, now) {
            Some(step) => session.write(|conn| db::second_factor::use_step(conn, id, step))?,
            None => false,
        },
        Code::Recovery(compact) => {
            let hash = digest(compact);
            session.write(|conn| -> Result<bool, Failure> {
                let used = db::second_factor::use_recovery_code(conn, id, &hash, at)?;
                if used {
                    db::second_factor::record(
                        conn,
                        id,
                        SecurityEventKind::RecoveryCodeUsed,
                        &agent.email,
                        at,
                    )?;
                }
                Ok(used)
            })?
        }
    };
    if !used {
        return Ok(Err(CodeRefused::Wrong));
    }
    attempts.succeeded(session, now)?;
    Ok(Ok(matches!(code, Code::Recovery(_))))
}

/// The code step of a sign-in, for the account whose password was right moments ago.
pub fn second_step(
    session: &mut Session<'_>,
    agent: AgentId,
    raw: &str,
    client_address: &str,
    now: DateTime<Utc>,
) -> Result<Result<AgentView, CodeRefused>, Failure> {
    let Some(account) = db::agents::by_id(session.conn(), agent)?
        .filter(|a| a.disabled_at.is_none())
        .map(AgentView::from)
    else {
        return Ok(Err(CodeRefused::Expired));
    };
    let used = use_code(
        session,
        &account,
        raw,
        Accepts::AppOrRecovery,
        true,
        client_address,
        now,
    )?;
    Ok(used.map(|_| account))
}

/// Confirms an enrollment with a code from the app: the second factor is on, and the
/// recovery codes (shown once) are made.
pub fn turn_on(
    session: &mut Session<'_>,
    agent: &AgentView,
    raw: &str,
    client_address: &str,
    now: DateTime<Utc>,
) -> Result<Result<Vec<String>, CodeRefused>, Failure> {
    if let Err(refused) = use_code(
        session,
        agent,
        raw,
        Accepts::App,
        false,
        client_address,
        now,
    )? {
        return Ok(Err(refused));
    }
    let (id, at) = (agent.id, now.naive_utc());
    session.write(
        |conn| -> Result<Result<Vec<String>, CodeRefused>, Failure> {
            if !db::second_factor::enable(conn, id, at)? {
                // Another tab turned it on first: its codes stand.
                return Ok(Err(CodeRefused::Expired));
            }
            let codes = new_recovery_codes(conn, id)?;
            db::second_factor::record(
                conn,
                id,
                SecurityEventKind::SecondFactorOn,
                &agent.email,
                at,
            )?;
            Ok(Ok(codes))
        },
    )
}

/// Turns the second factor off, with a code from the app or a recovery code.
pub fn turn_off(
    session: &mut Session<'_>,
    agent: &AgentView,
    raw: &str,
    client_address: &str,
    now: DateTime<Utc>,
) -> Result<Result<(), CodeRefused>, Failure> {
    let used = use_code(
        session,
        agent,
        raw,
        Accepts::AppOrRecovery,
        true,
        client_address,
        now,
    )?;
    if let Err(refused) = used {
        return Ok(Err(refused));
    }
    let (id, at) = (agent.id, now.naive_utc());
    session.write(|conn| -> Result<(), Failure> {
        db::second_factor::clear(conn, id)?;
        db::second_factor::record(
            conn,
            id,
            SecurityEventKind::SecondFactorOff,
            &agent.email,
            at,
        )?;
        Ok(())
    })?;
    Ok(Ok(()))
}

/// New recovery codes (the old ones stop working), with a code from the app.
pub fn renew_recovery_codes(
    session: &mut Session<'_>,
    agent: &AgentView,
    raw: &str,
    client_address: &str,
    now: DateTime<Utc>,
) -> Result<Result<Vec<String>, CodeRefused>, Failure> {
    if let Err(refused) = use_code(session, agent, raw, Accepts::App, true, client_address, now)? {
        return Ok(Err(refused));
    }
    let (id, at) = (agent.id, now.naive_utc());
    session
        .write(|conn| -> Result<Vec<String>, Failure> {
            let codes = new_recovery_codes(conn, id)?;
            db::second_factor::record(
                conn,
                id,
                SecurityEventKind::RecoveryCodesRenewed,
                &agent.email,
                at,
            )?;
            Ok(codes)
        })
        .map(Ok)
}

#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    #[error("no account {0}")]
    NoAccount(String),
    #[error("{0} has no second factor to reset")]
    NotEnrolled(String),
    #[error(transparent)]
    Failure(#[from] Failure),
}

/// An operator clears an account's second factor (a lost phone): its sessions end, the
/// audit records it, and the owner is mailed.
pub fn reset(
    conn: &mut DbConn,
    email: &str,
    links_base: &str,
    now: DateTime<Utc>,
) -> Result<(), ResetError> {
    let email = email.trim().to_lowercase();
    let agent = db::agents::by_email(conn, &email)
        .map_err(Failure::from)?
        .ok_or_else(|| ResetError::NoAccount(email.clone()))?;
    let row = db::second_factor::of(conn, agent.id).map_err(Failure::from)?;
    if row.is_none_or(|r| r.totp_secret.is_none()) {
        return Err(ResetError::NotEnrolled(email));
    }
    let at = now.naive_utc();
    db::second_factor::clear(conn, agent.id).map_err(Failure::from)?;
    db::second_factor::end_sessions(conn, agent.id).map_err(Failure::from)?;
    db::second_factor::record(
        conn,
        agent.id,
        SecurityEventKind::SecondFactorReset,
        OPERATOR,
        at,
    )
    .map_err(Failure::from)?;
    let mail = SecondFactorReset {
        // Staff mail is in Chinese, with the English below it in the same message.
        lang: Lang::Zh,
        name: agent.name,
        at: cst::format_local(now),
        security_url: format!("{links_base}/agent/security"),
    };
    email::enqueue(conn, &mail, &agent.email, None, now).map_err(Failure::from)?;
    Ok(())
}
