//! HTTP: thin handlers that parse into domain types, call one workflow, render.

pub mod agent;
pub mod assets;
pub mod csrf;
pub mod errors;
pub mod evidence;
pub mod i18n;
pub mod ops;
pub mod page;
pub mod public;
pub mod upload;

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpResponse, web};

use crate::config::Clock;
use crate::email::Wake;
use crate::keys::Keys;
use crate::workflows::{self, Store};
use errors::{AppError, AppResult};

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub keys: Keys,
    pub clock: Clock,
    pub secure_cookies: bool,
    pub public_base_url: Option<String>,
    /// Wakes this instance's outbox worker once mail is committed.
    pub mail: Wake,
    /// `METRICS_TOKEN`: `/metrics` answers only a request bearing it.
    pub metrics_token: Option<String>,
}

impl AppState {
    /// Where the links we mail start: `PUBLIC_BASE_URL`, else the local default.
    pub fn links_base(&self) -> String {
        self.public_base_url
            .clone()
            .unwrap_or_else(|| crate::config::Settings::DEFAULT_PUBLIC_BASE_URL.to_owned())
    }

    /// Runs one workflow call on a pooled connection, off the async threads.
    pub async fn run<T, E>(
        &self,
        work: impl FnOnce(&mut crate::workflows::Conn) -> Result<T, E> + Send + 'static,
    ) -> AppResult<Result<T, E>>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        Ok(self.store.run(work).await?)
    }
}

pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        // Tracking links carry their token in the path: never leak it to another site.
        .add((header::REFERRER_POLICY, "no-referrer"))
}

pub fn routes(cfg: &mut web::ServiceConfig, state: &AppState) {
    cfg.app_data(
        web::FormConfig::default()
            .limit(crate::domain::policy::FORM_TEXT_MAX_BYTES)
            .error_handler(public::form_error),
    )
    .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
    .app_data(
        web::QueryConfig::default()
            .error_handler(|e, _| AppError::BadRequest(e.to_string()).into()),
    )
    .route("/", web::get().to(public::landing::show))
    .route("/healthz", web::get().to(healthz))
    .route("/readyz", web::get().to(ops::readyz))
    .route("/metrics", web::get().to(ops::metrics))
    .route("/lang/{code}", web::get().to(i18n::switch))
    .route("/static/{file}", web::get().to(assets::serve))
    .route("/appeals/new", web::get().to(public::appeal_form::new))
    .route("/appeals", web::post().to(public::appeal_form::create))
    .route(
        "/appeals/receipt/{token}",
        web::get().to(public::receipt::show),
    )
    // Before `/track/{token}`, which would take "recover" for a token.
    .route("/track/recover", web::get().to(public::recover::show))
    .route("/track/recover", web::post().to(public::recover::send))
    .route("/track/{token}", web::get().to(public::track::show))
    .route("/track/{token}/reply", web::post().to(public::track::reply))
    .route(
        "/track/{token}/files/{file_key}",
        web::get().to(public::track::file),
    )
    .route(
        "/track/{token}/withdraw",
        web::get().to(public::track::confirm_withdraw),
    )
    .route(
        "/track/{token}/withdraw",
        web::post().to(public::track::withdraw),
    )
    .service(agent::scope(state))
    .default_service(web::to(not_found));
}

async fn not_found() -> AppResult<HttpResponse> {
    Err(AppError::NotFound)
}

/// 200 once the database answers a query.
async fn healthz(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    state
        .run(workflows::health::check)
        .await?
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body("ok"))
}
