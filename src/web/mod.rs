//! HTTP: thin handlers that parse into domain types, call one workflow, render.

pub mod agent;
pub mod api;
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
use crate::storage::Store;
use crate::workflows;
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
    /// `REQUIRE_MFA`: whose accounts reach only `/agent/security` until enrolled.
    pub require_mfa: crate::domain::second_factor::SecondFactorRule,
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

/// A public route: its method and pattern, and what answers it.
pub struct PublicRoute {
    pub method: &'static str,
    pub path: &'static str,
    handler: fn() -> actix_web::Route,
}

macro_rules! public_routes {
    ($($method:ident $path:literal => $handler:path;)*) => {
        /// Every route outside the console, as registered, in matching order.
        pub const PUBLIC_ROUTES: &[PublicRoute] = &[$(PublicRoute {
            method: stringify!($method),
            path: $path,
            handler: || web::$method().to($handler),
        }),*];
    };
}

public_routes! {
    get "/" => public::landing::show;
    get "/healthz" => healthz;
    get "/readyz" => ops::readyz;
    get "/metrics" => ops::metrics;
    get "/lang/{code}" => i18n::switch;
    get "/static/{file}" => assets::serve;
    get "/appeals/new" => public::appeal_form::new;
    post "/appeals" => public::appeal_form::create;
    get "/appeals/receipt/{token}" => public::receipt::show;
    // Before `/{token}`, which would take "recover" for a token.
    get "/track/recover" => public::recover::show;
    post "/track/recover" => public::recover::send;
    get "/track/{token}" => public::track::show;
    post "/track/{token}/reply" => public::track::reply;
    get "/track/{token}/files/{file_key}" => public::track::file;
    get "/track/{token}/withdraw" => public::track::confirm_withdraw;
    post "/track/{token}/withdraw" => public::track::withdraw;
}

/// `HEAD` is answered like `GET` (the server sends the head without the body).
pub async fn head_as_get(
    mut req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(req).await
}

pub fn routes(cfg: &mut web::ServiceConfig, state: &AppState) {
    cfg.app_data(
        web::FormConfig::default()
            .limit(crate::domain::policy::FORM_TEXT_MAX_BYTES)
            .error_handler(public::form_error),
    )
    .app_data(upload::multipart_config())
    .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
    .app_data(
        web::QueryConfig::default()
            .error_handler(|e, _| AppError::BadRequest(e.to_string()).into()),
    );
    // Scopes by first segment: a static prefix is a string comparison, and only the
    // matching scope's patterns are tried (each `{param}` pattern is a regex match, which
    // was a tenth of the tracking page's time when every route was tried in turn).
    let mut scopes: Vec<(&str, actix_web::Scope)> = Vec::new();
    for route in PUBLIC_ROUTES {
        let Some((first, tail)) = route.path[1..].split_once('/') else {
            cfg.route(route.path, (route.handler)());
            continue;
        };
        let at = scopes
            .iter()
            .position(|(f, _)| *f == first)
            .unwrap_or_else(|| {
                scopes.push((first, web::scope(&format!("/{first}"))));
                scopes.len() - 1
            });
        let (first, scope) = scopes.remove(at);
        scopes.insert(
            at,
            (first, scope.route(&format!("/{tail}"), (route.handler)())),
        );
    }
    for (_, scope) in scopes {
        cfg.service(scope);
    }
    // Every answer under `/api` is JSON, never a page. (After the public routes: its
    // catch-all scope would otherwise hide their patterns from `match_pattern`.)
    cfg.configure(api::register);
    cfg.service(agent::scope(state))
        .default_service(web::to(not_found));
}

async fn not_found() -> AppResult<HttpResponse> {
    Err(AppError::NotFound)
}

/// 200 once the database answers a query.
async fn healthz(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    state
        .store
        .read(workflows::health::check)
        .await?
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body("ok"))
}
