//! HTTP: thin handlers that parse into domain types, call one workflow, render.

pub mod agent;
pub mod assets;
pub mod body_deadline;
pub mod client;
pub mod csrf;
pub mod errors;
pub mod evidence;
pub mod i18n;
pub mod limits;
pub mod ops;
pub mod page;
pub mod public;
pub mod upload;

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpResponse, web};

use std::sync::Arc;

use crate::config::{Clock, TrustedProxies};
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
    /// `PUBLIC_BASE_URL`, else this server's own address (`Settings::links_base`).
    pub links_base: String,
    /// Wakes this instance's outbox worker once mail is committed.
    pub mail: Wake,
    /// Whether endpoints inside our network are allowed (`WEBHOOK_ALLOW_PRIVATE`).
    pub webhooks: crate::config::WebhookSettings,
    /// `METRICS_TOKEN`: `/metrics` answers only a request bearing it.
    pub metrics_token: Option<String>,
    pub trusted_proxies: Arc<TrustedProxies>,
    pub limits: Arc<limits::Limiters>,
    pub body_timeout: std::time::Duration,
}

impl AppState {
    /// Where the links we hand out start; never from a request's `Host`.
    pub fn links_base(&self) -> String {
        self.links_base.clone()
    }
}

/// `hsts` when served over https: browsers then never try plain http again for a year.
pub fn security_headers(hsts: bool) -> DefaultHeaders {
    let headers = if hsts {
        DefaultHeaders::new().add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        DefaultHeaders::new()
    };
    headers
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
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
    // Scopes by first segment: a static prefix is a string comparison, and only the
    // matching scope's patterns are tried (each `{param}` pattern is a regex match, which
    // was a tenth of the tracking page's time when every route was tried in turn).
    .service(web::scope("/lang").route("/{code}", web::get().to(i18n::switch)))
    .service(web::scope("/static").route("/{file}", web::get().to(assets::serve)))
    .service(
        web::scope("/appeals")
            .route("/new", web::get().to(public::appeal_form::new))
            .route("", web::post().to(public::appeal_form::create))
            .route("/receipt/{token}", web::get().to(public::receipt::show)),
    )
    .service(
        web::scope("/track")
            // Before `/{token}`, which would take "recover" for a token.
            .route("/recover", web::get().to(public::recover::show))
            .route("/recover", web::post().to(public::recover::send))
            .route("/{token}", web::get().to(public::track::show))
            .route("/{token}/reply", web::post().to(public::track::reply))
            .route(
                "/{token}/files/{file_key}",
                web::get().to(public::track::file),
            )
            .route(
                "/{token}/withdraw",
                web::get().to(public::track::confirm_withdraw),
            )
            .route("/{token}/withdraw", web::post().to(public::track::withdraw)),
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
        .store
        .run(workflows::health::check)
        .await?
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body("ok"))
}
