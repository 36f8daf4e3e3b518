//! Every error under `/api` is `application/problem+json` (RFC 9457): `type`, `title`,
//! `status`, `detail`, and for a refused field `errors` naming it. Never an HTML page.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{Lang, Refusal};
use crate::web::errors::AppError;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// A field the request got wrong, and why.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FieldError {
    /// The body field, query parameter or header concerned.
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`about:blank`: the status says it all).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// For a refused request: each field and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// `Retry-After`, `Allow`: rare, so kept out of line (a problem travels in `Result`s).
    #[serde(skip)]
    headers: Option<Box<Headers>>,
}

#[derive(Clone, Debug, Default)]
struct Headers {
    retry_after: Option<u64>,
    allow: Option<String>,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.title, self.detail)
    }
}

/// The language of an API answer's words: `Accept-Language`, else English (no cookies here).
pub fn lang_of(req: &HttpRequest) -> Lang {
    req.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or(Lang::En)
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: if kind == "about:blank" {
                kind.to_owned()
            } else {
                format!("urn:appealdesk:problem:{kind}")
            },
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            headers: None,
        }
    }

    /// Only the status to say (an unknown route, a method not allowed, too large...).
    pub fn of_status(status: StatusCode) -> Self {
        let detail = match status {
            StatusCode::NOT_FOUND => "There is nothing at this address.",
            StatusCode::METHOD_NOT_ALLOWED => "This address does not take this method.",
            StatusCode::PAYLOAD_TOO_LARGE => "The request's body is too large.",
            StatusCode::REQUEST_TIMEOUT => "The request's body did not arrive in time.",
            StatusCode::SERVICE_UNAVAILABLE => "We are busy: try again shortly.",
            s if s.is_server_error() => "Something went wrong on our side: try again.",
            _ => "The request could not be read.",
        };
        let mut problem = Self::new(status, "about:blank", detail);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            problem.headers = Some(Box::new(Headers {
                retry_after: Some(5),
                allow: None,
            }));
        }
        problem
    }

    pub fn not_found() -> Self {
        Self::of_status(StatusCode::NOT_FOUND)
    }

    pub fn method_not_allowed(allow: String) -> Self {
        let mut p = Self::of_status(StatusCode::METHOD_NOT_ALLOWED);
        p.headers = Some(Box::new(Headers {
            retry_after: None,
            allow: Some(allow),
        }));
        p
    }

    /// No key, or one that is unknown or revoked.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Send an API key: Authorization: Bearer ad_...",
        )
    }

    pub fn forbidden(scope: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "scope",
            format!("This key's scopes do not include {scope}."),
        )
    }

    pub fn too_many(retry_after_secs: u64) -> Self {
        let mut p = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            format!("Too many calls with this key: try again in {retry_after_secs} s."),
        );
        p.headers = Some(Box::new(Headers {
            retry_after: Some(retry_after_secs.max(1)),
            allow: None,
        }));
        p
    }

    /// A refused request: each field and why, in `lang`.
    pub fn invalid(lang: Lang, errors: Vec<FieldError>) -> Self {
        let mut p = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            lang.t(
                "请求中有无效的字段。",
                "Some fields of the request are invalid.",
            ),
        );
        p.errors = errors;
        p
    }

    /// A request that is not what the document describes (bad JSON, unknown field).
    pub fn bad_request(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut p = Self::new(StatusCode::BAD_REQUEST, "bad-request", message.clone());
        p.errors = vec![FieldError {
            field: field.to_owned(),
            message,
        }];
        p
    }

    /// A refusal of the rules, its words in `lang`.
    pub fn refused(status: StatusCode, kind: &str, refusal: &dyn Refusal, lang: Lang) -> Self {
        Self::new(status, kind, refusal.message(lang))
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response
            .content_type(CONTENT_TYPE)
            .insert_header((header::CACHE_CONTROL, "no-store"));
        if self.status == 401 {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"appealdesk\""));
        }
        let extra = self.headers.as_deref().cloned().unwrap_or_default();
        if let Some(secs) = extra.retry_after {
            response.insert_header((header::RETRY_AFTER, secs));
        }
        if let Some(allow) = extra.allow {
            response.insert_header((header::ALLOW, allow));
        }
        response.body(serde_json::to_string(self).unwrap_or_default())
    }
}

impl From<crate::workflows::Failure> for Problem {
    fn from(f: crate::workflows::Failure) -> Self {
        // Logged once, as every unexpected failure; the status as the pages would answer.
        let status = AppError::from(f).into_status_logged();
        Self::of_status(status)
    }
}

impl From<crate::storage::Failure> for Problem {
    fn from(f: crate::storage::Failure) -> Self {
        let status = AppError::from(f).into_status_logged();
        Self::of_status(status)
    }
}

impl AppError {
    /// The status this error answers with, logged as its page would be.
    fn into_status_logged(self) -> StatusCode {
        let status = self.status_code();
        match &self {
            AppError::Internal(e) => tracing::error!(error = ?e, "API request failed"),
            other => tracing::warn!(error = %other, "API request refused"),
        }
        status
    }
}

/// Whatever answered an `/api` request with an error that is not a problem yet (the
/// router's 404, an extractor's refusal, a body too large) answers one now.
pub async fn only_problems(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = match next.call(req).await {
        Ok(response) => response.map_into_boxed_body(),
        Err(e) => {
            // The request is gone with the error: answer from the error alone.
            return Err(
                ProblemError(Problem::of_status(e.as_response_error().status_code())).into(),
            );
        }
    };
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(CONTENT_TYPE.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return Ok(response);
    }
    let (req, _) = response.into_parts();
    let problem = Problem::of_status(status).error_response();
    Ok(ServiceResponse::new(req, problem))
}

/// A problem as an `actix_web::Error` (for a middleware that can only fail).
#[derive(Debug)]
struct ProblemError(Problem);

impl std::fmt::Display for ProblemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for ProblemError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.0.error_response()
    }
}
