//! `/api/v1`: the back office's JSON API. A bearer API key only (no cookies, no CSRF),
//! checked against the database at every call and rate-limited per key; every error is
//! a problem (RFC 9457); the OpenAPI document is generated from these handlers.

pub mod cases;
pub mod problem;
pub mod views;

use std::sync::LazyLock;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::{DefaultHeaders, Next, from_fn};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::OpenApiFactory;

use crate::domain::api::ApiScope;
use crate::domain::stored::Stored;
use crate::web::AppState;
use crate::workflows::api_keys::{self, Caller};
use problem::Problem;

/// The document's frame; the paths and their schemas come from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "AppealDesk API",
        version = "1.0.0",
        license(name = "Proprietary"),
        description = "Cases of appeals about WeChat Pay payments sent by mistake, for a \
                       payments back office: list and read them, fetch their evidence, and \
                       report the recovery result of an approved case."
    ),
    components(schemas(Problem, problem::FieldError)),
    modifiers(&BearerScheme),
    security(("bearer" = []))
)]
struct Frame;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("ad_ followed by 43 URL-safe characters")
                    .description(Some(
                        "An API key made at /agent/api-keys or with `appealdesk api-key create`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The routes of `/api/v1`, as registered and as documented.
fn v1() -> utoipa_actix_web::scope::Scope<
    impl actix_web::dev::ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    utoipa_actix_web::scope("/api/v1")
        .service(cases::list)
        .service(cases::read)
        .service(cases::file)
        .service(cases::report_outcome)
        .default_service(web::to(fallback))
        .wrap(from_fn(authenticate))
}

/// The OpenAPI 3.1 document, built once from the handlers.
pub static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    let scope = v1();
    let mut doc = Frame::openapi();
    let mut paths = scope.paths();
    doc.paths.paths.append(&mut paths.paths);
    let mut schemas = Vec::new();
    scope.schemas(&mut schemas);
    let components = doc.components.get_or_insert_with(Default::default);
    components.schemas.extend(schemas);
    let mut doc = serde_json::to_value(&doc).unwrap_or_default();
    closed_variants(&mut doc["components"]["schemas"]["OutcomeBody"]);
    doc.to_string()
});

/// utoipa marks a `deny_unknown_fields` struct closed, not the variants of such an enum:
/// say here what serde enforces, so that a client knows extra members are refused.
fn closed_variants(schema: &mut serde_json::Value) {
    if let Some(variants) = schema.get_mut("oneOf").and_then(|v| v.as_array_mut()) {
        for variant in variants {
            if let Some(object) = variant.as_object_mut() {
                object.insert("additionalProperties".to_owned(), false.into());
            }
        }
    }
}

/// Each documented path's pattern and methods: what answers 405 rather than 404.
static ROUTES: LazyLock<Vec<(String, Vec<Method>)>> = LazyLock::new(|| {
    let doc: serde_json::Value = serde_json::from_str(&DOCUMENT).unwrap_or_default();
    let mut routes = vec![("/api/v1/openapi.json".to_owned(), vec![Method::GET])];
    if let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) {
        for (path, item) in paths {
            let methods = item
                .as_object()
                .map(|ops| {
                    ops.keys()
                        .filter_map(|m| Method::from_bytes(m.to_uppercase().as_bytes()).ok())
                        .collect()
                })
                .unwrap_or_default();
            routes.push((path.clone(), methods));
        }
    }
    routes
});

/// Every route the API's document describes, as (method, pattern): what the fuzz test and
/// the route walks take, so a new route cannot be left out of them.
pub fn documented_routes() -> Vec<(String, String)> {
    ROUTES
        .iter()
        .flat_map(|(pattern, methods)| {
            methods
                .iter()
                .map(move |m| (m.as_str().to_owned(), pattern.clone()))
        })
        .collect()
}

fn matches(pattern: &str, path: &str) -> bool {
    let (mut p, mut q) = (pattern.split('/'), path.split('/'));
    loop {
        match (p.next(), q.next()) {
            (None, None) => return true,
            (Some(seg), Some(got)) if seg.starts_with('{') => {
                if got.is_empty() {
                    return false;
                }
            }
            (Some(seg), Some(got)) if seg == got => {}
            _ => return false,
        }
    }
}

/// Nothing matched under `/api`: 405 naming the methods a known path takes, else 404.
async fn fallback(req: HttpRequest) -> HttpResponse {
    route_problem(&req).error_response()
}

fn route_problem(req: &HttpRequest) -> Problem {
    let path = req.path();
    let allowed: Vec<&Method> = ROUTES
        .iter()
        .filter(|(pattern, _)| matches(pattern, path))
        .flat_map(|(_, methods)| methods)
        .collect();
    if allowed.is_empty() || allowed.contains(&req.method()) {
        return Problem::not_found();
    }
    let allow = allowed
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    Problem::method_not_allowed(allow)
}

/// `GET /api/v1/openapi.json`: public, like any published API description.
async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(DOCUMENT.as_str())
}

/// `/api`: the document, the versioned routes, and problems for everything else.
pub fn register(cfg: &mut web::ServiceConfig) {
    let scope = v1();
    cfg.service(
        web::resource("/api/v1/openapi.json")
            .wrap(from_fn(problem::only_problems))
            .route(web::get().to(document))
            .default_service(web::to(fallback)),
    )
    .service(
        web::scope("")
            .guard(actix_web::guard::fn_guard(|ctx| {
                let path = ctx.head().uri.path();
                path == "/api" || path.starts_with("/api/")
            }))
            .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store")))
            .wrap(from_fn(problem::only_problems))
            .app_data(web::PathConfig::default().error_handler(|_, _| Problem::not_found().into()))
            .service(scope)
            .default_service(web::to(fallback)),
    );
}

/// The key a request bears: `Authorization: Bearer ad_...`.
fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Every `/api/v1` call: a live key (read from the database now: a revoke counts at
/// once), within its rate; the caller goes into the request for the handlers.
async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let refuse = |req: ServiceRequest, problem: Problem| {
        let response = problem.error_response();
        Ok(req.into_response(response))
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return refuse(
            req,
            Problem::of_status(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
        );
    };
    let Some(presented) = bearer(req.request()) else {
        return refuse(req, Problem::unauthorized());
    };
    let now = state.clock.now();
    let found = state
        .store
        .run(move |session| api_keys::authenticate(session, &presented, now))
        .await;
    let caller = match found {
        Ok(Ok(Some(caller))) => caller,
        Ok(Ok(None)) => return refuse(req, Problem::unauthorized()),
        Ok(Err(failure)) => return refuse(req, Problem::from(failure)),
        Err(failure) => return refuse(req, Problem::from(failure)),
    };
    if let Err(throttled) = state.limits.check_api_key(caller.id.get()) {
        tracing::info!(key = %caller.name, "API key rate limited");
        return refuse(req, Problem::too_many(throttled.retry_after_secs));
    }
    req.extensions_mut().insert(caller);
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// The key calling, for a handler; `allow` refuses what its scopes do not include.
pub struct ApiCaller(pub Caller);

impl ApiCaller {
    pub fn allow(&self, scope: ApiScope) -> Result<&Caller, Problem> {
        if self.0.allows(scope) {
            Ok(&self.0)
        } else {
            Err(Problem::forbidden(scope.stored()))
        }
    }
}

impl FromRequest for ApiCaller {
    type Error = Problem;
    type Future = std::future::Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(
            req.extensions()
                .get::<Caller>()
                .cloned()
                .map(ApiCaller)
                .ok_or_else(Problem::unauthorized),
        )
    }
}
