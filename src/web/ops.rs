//! The operator's endpoints: `/readyz` for a load balancer or orchestrator, `/metrics`
//! for Prometheus (with `METRICS_TOKEN`, as a bearer token, or on `METRICS_BIND`'s own
//! listener), and the middleware that counts every request by route pattern and status.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

use super::AppState;
use super::errors::{AppError, AppResult};
use crate::workflows::health::{self, Readiness};

/// 200 when the database answers and has every migration of this build; 503 otherwise,
/// saying which.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let answer = match state.store.read(health::readiness).await {
        Ok(Ok(Readiness::Ready)) => Ok("ready".to_owned()),
        Ok(Ok(Readiness::MigrationsPending(n))) => Err(format!(
            "{n} migration(s) pending: run `appealdesk migrate`"
        )),
        Ok(Err(e)) => Err(format!("database: {e}")),
        Err(e) => Err(format!("database: {e}")),
    };
    let mut response = match &answer {
        Ok(_) => HttpResponse::Ok(),
        Err(why) => {
            tracing::warn!(why, "not ready");
            HttpResponse::ServiceUnavailable()
        }
    };
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/plain; charset=utf-8")
        .body(answer.unwrap_or_else(|why| format!("not ready: {why}")))
}

/// The Prometheus text format, for a request bearing `METRICS_TOKEN`; 404 to anyone
/// else, and to everyone when no token is set.
pub async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let Some(token) = &state.metrics_token else {
        return Err(AppError::NotFound);
    };
    let sent = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !crate::keys::same_secret(sent, token) {
        return Err(AppError::NotFound);
    }
    scrape(&state).await
}

/// `/metrics` on `METRICS_BIND`'s own listener: whoever reaches that address may read.
pub async fn metrics_listener(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    scrape(&state).await
}

async fn scrape(state: &AppState) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let gauges = state
        .store
        .read(move |conn| health::gauges(conn, now))
        .await?
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(crate::metrics::render(gauges)))
}

/// Counts each request under its route pattern (`/track/{token}`: never the token).
pub async fn count_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    // Any token is a method to HTTP: only the standard ones get a label of their own, so
    // made-up methods cannot grow the series without bound.
    let method = match req.method().as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "PATCH" => "PATCH",
        _ => "other",
    };
    let route = req
        .extensions()
        .get::<crate::web::client::Route>()
        .map_or_else(|| "(no route)".into(), |r| r.0.clone());
    let answered = next.call(req).await;
    let status = match &answered {
        Ok(res) => res.response().status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    crate::metrics::request(method, &route, status, started.elapsed());
    answered
}
