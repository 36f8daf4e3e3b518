//! `/agent/security`: an agent's second factor — enrolling an authenticator app (a QR
//! code drawn here, and the key as text), the recovery codes shown once, turning it off —
//! and the code step of a sign-in, `/agent/login/code`.

use actix_session::{Session, SessionExt};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use qrcode::QrCode;
use qrcode::render::svg;
use serde::Deserialize;

use super::auth::{self, CsrfProtected, SignedIn, Verified};
use super::layout::{ConsolePage, Me};
use crate::domain::second_factor::CodeRefused;
use crate::domain::{Lang, Refusal, cst, policy};
use crate::web::AppState;
use crate::web::client::ClientAddr;
use crate::web::csrf;
use crate::web::errors::{AppError, AppResult, Denied};
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome};
use crate::workflows::second_factor::{self, SecurityView};

struct EventLine {
    what: &'static str,
    actor: String,
    at: String,
}

#[derive(Template)]
#[template(path = "agent/security.html")]
struct SecurityPage {
    chrome: Chrome,
    me: Me,
    on_since: Option<String>,
    /// The QR code of the key being enrolled (an SVG drawn here) and the key as text.
    enrolling: Option<(String, String)>,
    recovery_codes_left: i64,
    events: Vec<EventLine>,
    /// Shown this once: just made.
    recovery_codes: Vec<String>,
    /// Next to the code field of the form it concerns.
    error: Option<(&'static str, String)>,
    /// The account must enroll before anything else opens (`REQUIRE_MFA`).
    required: bool,
}

/// An `otpauth://` URI as an SVG QR code; no script, no third party.
fn qr_svg(uri: &str) -> Option<String> {
    let code = QrCode::new(uri.as_bytes()).ok()?;
    let drawn = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // Inside HTML the XML declaration has no place: the `<svg>` element alone.
    drawn.find("<svg").map(|at| drawn[at..].to_owned())
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    lang: Lang,
    status: StatusCode,
    recovery_codes: Vec<String>,
    error: Option<(&'static str, String)>,
) -> AppResult<HttpResponse> {
    let agent = who.agent.clone();
    let view: SecurityView = state
        .store
        .read(move |conn| second_factor::security(conn, &agent))
        .await??;
    let console = ConsolePage::new(req, who, lang);
    let page = SecurityPage {
        chrome: console.chrome,
        me: console.me,
        on_since: view.on_since.map(|t| cst::format_local(t.and_utc())),
        enrolling: view.enrolling.and_then(|e| Some((qr_svg(&e.uri)?, e.key))),
        recovery_codes_left: view.recovery_codes_left,
        events: view
            .events
            .into_iter()
            .map(|e| EventLine {
                what: e.kind.label(lang),
                actor: e.actor,
                at: cst::format_local(e.at.and_utc()),
            })
            .collect(),
        recovery_codes,
        error,
        required: state.require_mfa.requires(who.role) && !who.agent.second_factor,
    };
    Ok(page::private(page::builder(status)).body(page.render()?))
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    console: ConsolePage,
) -> AppResult<HttpResponse> {
    render(
        &req,
        &state,
        &console.who,
        console.lang,
        StatusCode::OK,
        Vec::new(),
        None,
    )
    .await
}

/// Starts an enrollment: a fresh key, shown on the page it leads back to.
pub async fn start(
    state: web::Data<AppState>,
    verified: Verified<auth::TokenOnly>,
) -> AppResult<HttpResponse> {
    let id = verified.who.agent.id;
    state
        .store
        .write(move |conn| second_factor::start_enrollment(conn, id))
        .await??;
    Ok(page::see_other("/agent/security"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeForm {
    code: String,
    csrf_token: String,
}

impl CsrfProtected for CodeForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Which form of the page a code was typed into.
#[derive(Clone, Copy)]
pub enum Step {
    TurnOn,
    TurnOff,
    RenewCodes,
}

impl Step {
    /// The form's hook on the page, where its error is shown.
    fn form(self) -> &'static str {
        match self {
            Self::TurnOn => "turn-on",
            Self::TurnOff => "turn-off",
            Self::RenewCodes => "renew-codes",
        }
    }
}

async fn answer_code(
    step: Step,
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    client: ClientAddr,
    verified: Verified<CodeForm>,
) -> AppResult<HttpResponse> {
    let Verified { who, form } = verified;
    let (agent, address, now) = (
        who.agent.clone(),
        client.limit_key().to_string(),
        state.clock.now(),
    );
    let code = form.code;
    let outcome = state
        .store
        .run(move |session| match step {
            Step::TurnOn => second_factor::turn_on(session, &agent, &code, &address, now),
            Step::TurnOff => second_factor::turn_off(session, &agent, &code, &address, now)
                .map(|r| r.map(|()| Vec::new())),
            Step::RenewCodes => {
                second_factor::renew_recovery_codes(session, &agent, &code, &address, now)
            }
        })
        .await??;
    match outcome {
        // The codes are in this answer only: never stored, never in a redirect.
        Ok(codes) if !codes.is_empty() => {
            // The page shows the account as it is now (the session reads it on the next request).
            let mut who = who;
            who.agent.second_factor = true;
            render(&req, &state, &who, lang, StatusCode::OK, codes, None).await
        }
        Ok(_) => Ok(page::see_other("/agent/security")),
        Err(refused) => {
            let status = refusal_status(&refused);
            let message = refused.message(lang);
            let mut answer = render(
                &req,
                &state,
                &who,
                lang,
                status,
                Vec::new(),
                Some((step.form(), message)),
            )
            .await?;
            retry_after(&mut answer, &refused);
            Ok(answer)
        }
    }
}

fn refusal_status(refused: &CodeRefused) -> StatusCode {
    match refused {
        CodeRefused::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
        CodeRefused::Expired => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

fn retry_after(answer: &mut HttpResponse, refused: &CodeRefused) {
    if let CodeRefused::TooManyAttempts {
        retry_after_minutes,
    } = refused
        && let Ok(value) = header::HeaderValue::from_str(&(retry_after_minutes * 60).to_string())
    {
        answer.headers_mut().insert(header::RETRY_AFTER, value);
    }
}

/// A form of the page that takes a code (the route table names one per route).
pub trait CodeStep {
    const STEP: Step;
}

pub struct TurnOn;
pub struct TurnOff;
pub struct RenewCodes;

impl CodeStep for TurnOn {
    const STEP: Step = Step::TurnOn;
}
impl CodeStep for TurnOff {
    const STEP: Step = Step::TurnOff;
}
impl CodeStep for RenewCodes {
    const STEP: Step = Step::RenewCodes;
}

pub async fn with_code<S: CodeStep>(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    client: ClientAddr,
    verified: Verified<CodeForm>,
) -> AppResult<HttpResponse> {
    answer_code(S::STEP, req, state, lang, client, verified).await
}

// The code step of a sign-in.

#[derive(Template)]
#[template(path = "agent/login_code.html")]
struct CodeStepPage {
    chrome: Chrome,
    csrf_token: String,
    message: Option<String>,
}

/// The account whose password was right, while the code step is still open.
fn pending(session: &Session, state: &AppState) -> Option<crate::domain::ids::AgentId> {
    let id = session.get::<i64>(auth::PENDING_AGENT_ID).ok().flatten()?;
    let at = session.get::<i64>(auth::PENDING_AT).ok().flatten()?;
    let open = state.clock.now().timestamp() - at <= policy::SECOND_STEP_MINUTES * 60;
    open.then(|| crate::domain::ids::AgentId::new(id))
}

pub async fn code_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
) -> AppResult<HttpResponse> {
    // No password step (or too long ago): the sign-in form, saying so.
    if pending(&req.get_session(), &state).is_none() {
        return auth::login_page(&req, &state, lang, Some(&CodeRefused::Expired));
    }
    let form = csrf::PublicForm::new(&req, &state.keys, state.secure_cookies);
    let page = CodeStepPage {
        chrome: Chrome::new(&req, lang),
        csrf_token: form.token.clone(),
        message: None,
    };
    Ok(form.respond(StatusCode::OK, page.render()?))
}

pub async fn code(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    client: ClientAddr,
    form: web::Form<CodeForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    csrf::verify(&state.keys, &req, state.secure_cookies, &form.csrf_token)
        .ok_or(AppError::Forbidden(Denied::ForeignForm))?;
    let session = req.get_session();
    let refused = match pending(&session, &state) {
        None => CodeRefused::Expired,
        Some(id) => {
            let (address, now) = (client.limit_key().to_string(), state.clock.now());
            let code = form.code;
            let outcome = state
                .store
                .run(move |s| second_factor::second_step(s, id, &code, &address, now))
                .await??;
            match outcome {
                Ok(agent) => {
                    auth::start_session(&session, agent.id, now)?;
                    return Ok(page::see_other("/agent/cases"));
                }
                Err(refused) => refused,
            }
        }
    };
    if refused == CodeRefused::Expired {
        session.purge();
        return auth::login_refused(
            &req,
            lang,
            StatusCode::UNAUTHORIZED,
            &refused,
            form.csrf_token,
            String::new(),
        );
    }
    let page = CodeStepPage {
        chrome: Chrome::new(&req, lang),
        csrf_token: form.csrf_token,
        message: Some(refused.message(lang)),
    };
    let status = match refused {
        CodeRefused::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::UNAUTHORIZED,
    };
    let mut answer = page::private(page::builder(status)).body(page.render()?);
    retry_after(&mut answer, &refused);
    Ok(answer)
}
