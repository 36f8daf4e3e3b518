//! Who is signed in: the session extractors, CSRF for console forms, sign-in and -out.

use std::future::Future;
use std::pin::Pin;

use actix_session::config::{BrowserSession, TtlExtensionPolicy};
use actix_session::{Session, SessionExt, SessionMiddleware};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::{Key, SameSite, time::Duration};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::Access;
use super::session_store::{AGENT_ID, DbSessionStore};
use crate::domain::Actor;
use crate::domain::Refusal;
use crate::domain::agent::Role;
use crate::domain::ids::AgentId;
use crate::domain::policy::{SESSION_ABSOLUTE_HOURS, SESSION_IDLE_MINUTES};
use crate::keys::random_token;
use crate::web::client::ClientAddr;
use crate::web::errors::{AppError, AppResult, Denied};
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome};
use crate::web::{AppState, csrf};
use crate::workflows::agents::{
    SessionAgent, SignInOutcome, SignInRefused, session_agent, sign_in,
};
use crate::workflows::views::AgentView;
use chrono::{DateTime, Utc};

const SIGNED_IN_AT: &str = "signed_in_at";
const CSRF: &str = "csrf";
/// Between the password and the code: whose password was right, and when. Not a session:
/// `load` reads only `AGENT_ID`.
pub const PENDING_AGENT_ID: &str = "pending_agent_id";
pub const PENDING_AT: &str = "pending_at";

pub fn session_middleware(state: &AppState) -> SessionMiddleware<DbSessionStore> {
    let store = DbSessionStore {
        store: state.store.clone(),
        clock: state.clock,
    };
    let name = if state.secure_cookies {
        "__Host-appealdesk_session"
    } else {
        "appealdesk_session"
    };
    SessionMiddleware::builder(store, Key::derive_from(&state.keys.session_key_material()))
        .cookie_name(name.to_owned())
        .cookie_secure(state.secure_cookies)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_path("/".to_owned())
        .session_lifecycle(
            BrowserSession::default()
                .state_ttl(Duration::minutes(SESSION_IDLE_MINUTES))
                .state_ttl_extension_policy(TtlExtensionPolicy::OnEveryRequest),
        )
        .build()
}

/// A signed-in, enabled account. The route table's access check puts it in the
/// request (`require`); a handler only reads it.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub agent: AgentView,
    pub role: Role,
    pub csrf: String,
    /// Next year, when its working-day calendar is missing from 1 November on.
    pub calendar_missing: Option<i32>,
    /// The console's language the agent chose at `/agent/me`.
    pub lang: Option<crate::domain::Lang>,
}

impl SignedIn {
    pub fn is_supervisor(&self) -> bool {
        self.role == Role::Supervisor
    }

    pub fn actor(&self) -> Actor {
        Actor::Agent {
            id: self.agent.id,
            email: self.agent.email.clone(),
            role: self.role,
        }
    }
}

type Boxed<T> = Pin<Box<dyn Future<Output = Result<T, actix_web::Error>>>>;

impl FromRequest for SignedIn {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // A route the table does not guard has no account in it: the sign-in page.
        std::future::ready(
            req.extensions()
                .get::<SignedIn>()
                .cloned()
                .ok_or_else(|| AppError::SignInRequired.into()),
        )
    }
}

/// The route table's access rule, applied before the handler runs: anonymous → 303 to
/// the sign-in page, an agent on a supervisor's route → 403 that says so.
pub async fn require(
    access: Access,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if access != Access::Public {
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no state")))?;
        // Refusals are answers here (not errors), so the security headers wrap them too.
        let who = match load(&req.get_session(), &state).await {
            Ok(who) => who,
            Err(refused) => return Ok(req.error_response(refused).map_into_right_body()),
        };
        if access == Access::Supervisor && !who.is_supervisor() {
            let refused = AppError::Forbidden(Denied::SupervisorsOnly);
            return Ok(req.error_response(refused).map_into_right_body());
        }
        // `REQUIRE_MFA`: until enrolled, only the security page (and signing out) opens.
        if access != Access::Enrolling
            && state.require_mfa.requires(who.role)
            && !who.agent.second_factor
        {
            let answer = if req.method() == actix_web::http::Method::GET {
                page::see_other("/agent/security")
            } else {
                AppError::Forbidden(Denied::SecondFactorFirst).error_response()
            };
            return Ok(req.into_response(answer).map_into_right_body());
        }
        if let Some(lang) = who.lang {
            req.extensions_mut()
                .insert(crate::web::i18n::ChosenLang(lang));
        }
        req.extensions_mut().insert(who);
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

async fn load(session: &Session, state: &AppState) -> AppResult<SignedIn> {
    let agent_id = session.get::<i64>(AGENT_ID).ok().flatten();
    let signed_in_at = session.get::<i64>(SIGNED_IN_AT).ok().flatten();
    let csrf = session.get::<String>(CSRF).ok().flatten();
    let (Some(agent_id), Some(signed_in_at), Some(csrf)) = (agent_id, signed_in_at, csrf) else {
        return Err(AppError::SignInRequired);
    };
    let now = state.clock.now();
    if now.timestamp() - signed_in_at > SESSION_ABSOLUTE_HOURS * 3600 {
        session.purge();
        return Err(AppError::SignInRequired);
    }
    let id = AgentId::new(agent_id);
    let Some(SessionAgent {
        agent,
        calendar_missing,
        lang,
    }) = state
        .store
        .read(move |conn| session_agent(conn, id, now))
        .await??
    else {
        session.purge();
        return Err(AppError::SignInRequired);
    };
    Ok(SignedIn {
        role: agent.role,
        agent,
        csrf,
        calendar_missing,
        lang,
    })
}

/// A console form carries the session's CSRF token.
pub trait CsrfProtected {
    fn csrf_token(&self) -> &str;
}

/// A state change: a signed-in account and its form, with the form's CSRF token checked.
pub struct Verified<T> {
    pub who: SignedIn,
    pub form: T,
}

impl<T: DeserializeOwned + CsrfProtected + 'static> FromRequest for Verified<T> {
    type Error = actix_web::Error;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed_in = SignedIn::from_request(req, payload);
        let form = web::Form::<T>::from_request(req, payload);
        Box::pin(async move {
            // Sign-in first: without a session, the answer is the sign-in page.
            let who = signed_in.await?;
            let form = form.await?.into_inner();
            if !constant_time_eq(form.csrf_token(), &who.csrf) {
                return Err(AppError::Forbidden(Denied::ForeignForm).into());
            }
            Ok(Verified { who, form })
        })
    }
}

/// A form's token against the session's, for forms `Verified` cannot read (multipart).
pub fn same_token(sent: &str, session: &str) -> bool {
    constant_time_eq(sent, session)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A form with nothing but its token (sign out, claim, mark carried out).
#[derive(Deserialize)]
pub struct TokenOnly {
    #[serde(default)]
    csrf_token: String,
}

impl CsrfProtected for TokenOnly {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(Template)]
#[template(path = "agent/login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf_token: String,
    email: String,
    message: Option<String>,
}

pub async fn login_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
) -> AppResult<HttpResponse> {
    login_page(&req, &state, lang, None)
}

/// The sign-in form with a fresh form token, and why it is shown again, if it is.
pub fn login_page(
    req: &HttpRequest,
    state: &AppState,
    lang: crate::domain::Lang,
    refused: Option<&dyn Refusal>,
) -> AppResult<HttpResponse> {
    let form = csrf::PublicForm::new(req, &state.keys, state.secure_cookies);
    let page = LoginPage {
        chrome: Chrome::new(req, lang),
        csrf_token: form.token.clone(),
        email: String::new(),
        message: refused.map(|r| r.message(lang)),
    };
    Ok(form.respond(StatusCode::OK, page.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    csrf_token: String,
}

pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    client: ClientAddr,
    form: web::Form<LoginForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    csrf::verify(&state.keys, &req, state.secure_cookies, &form.csrf_token)
        .ok_or(AppError::Forbidden(Denied::ForeignForm))?;
    // An IPv6 client holds a whole /64: counted as one address.
    let address = client.limit_key().to_string();
    let now = state.clock.now();
    let (email, password) = (form.email.clone(), form.password);
    let SignInOutcome { result, delay } = state
        // Not `write`: the password hash (Argon2, tens of milliseconds) must not hold up the
        // single SQLite writer; its writes borrow the writer in their turn.
        .store
        .run(move |session| sign_in(session, &email, &password, &address, now))
        .await??;
    // An account guessed at lately answers slowly, right or wrong; a timer, not a thread.
    if !delay.is_zero() {
        actix_web::rt::time::sleep(delay).await;
    }
    match result {
        Ok(agent) if agent.second_factor => {
            // The password was right; the session starts only after the code.
            let session = req.get_session();
            session.renew();
            let stored = session
                .insert(PENDING_AGENT_ID, agent.id.get())
                .and_then(|_| session.insert(PENDING_AT, now.timestamp()));
            stored.map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))?;
            Ok(page::see_other("/agent/login/code"))
        }
        Ok(agent) => {
            start_session(&req.get_session(), agent.id, now)?;
            Ok(page::see_other("/agent/cases"))
        }
        Err(refused) => {
            let status = match refused {
                SignInRefused::Invalid => StatusCode::UNAUTHORIZED,
                SignInRefused::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            };
            let mut answer =
                login_refused(&req, lang, status, &refused, form.csrf_token, form.email)?;
            if let SignInRefused::TooManyAttempts {
                retry_after_minutes,
            } = refused
            {
                answer
                    .headers_mut()
                    .insert(header::RETRY_AFTER, (retry_after_minutes * 60).into());
            }
            Ok(answer)
        }
    }
}

/// Signs the account in: a new session id (a planted cookie never becomes a signed-in
/// one), the account, the time and the session's CSRF token.
pub fn start_session(session: &Session, agent: AgentId, now: DateTime<Utc>) -> AppResult<()> {
    session.renew();
    let _ = session.remove(PENDING_AGENT_ID);
    let _ = session.remove(PENDING_AT);
    session
        .insert(AGENT_ID, agent.get())
        .and_then(|_| session.insert(SIGNED_IN_AT, now.timestamp()))
        .and_then(|_| session.insert(CSRF, random_token()))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))
}

/// The sign-in page again, saying why.
pub fn login_refused(
    req: &HttpRequest,
    lang: crate::domain::Lang,
    status: StatusCode,
    refused: &dyn Refusal,
    csrf_token: String,
    email: String,
) -> AppResult<HttpResponse> {
    let page = LoginPage {
        chrome: Chrome::new(req, lang),
        csrf_token,
        email,
        message: Some(refused.message(lang)),
    };
    Ok(page::private(page::builder(status)).body(page.render()?))
}

pub async fn logout(session: Session, verified: Verified<TokenOnly>) -> HttpResponse {
    let _ = verified.who;
    session.purge();
    page::see_other("/agent/login")
}
