//! Error policy for requests: a refusal the user can fix is rendered by its handler
//! next to the field it concerns; what is left here is "not found", "forbidden",
//! "too large" and the unexpected, which is logged once and shown as an opaque page.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use std::sync::LazyLock;

use crate::domain::policy;
use crate::storage::Failure as Unavailable;
use crate::workflows::Failure;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// A console page without a live session: off to the sign-in page.
    #[error("sign-in required")]
    SignInRequired,
    #[error("forbidden: {0:?}")]
    Forbidden(Denied),
    #[error("payload too large")]
    TooLarge,
    /// The request's body did not arrive in time (`policy::BODY_TIMEOUT_SECS`).
    #[error("request body timed out")]
    BodyTimeout,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

/// Why a request is refused with 403: each reason has its own page title.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// The form's CSRF token is missing, expired or not ours.
    ForeignForm,
    /// A supervisor's page or action, asked for by another account.
    SupervisorsOnly,
    /// `REQUIRE_MFA`: this account must turn on a second factor first.
    SecondFactorFirst,
}

impl From<Failure> for AppError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Database(e) => Self::Internal(e.into()),
            Failure::Template(e) => Self::Internal(anyhow::anyhow!(e)),
            Failure::Storage(e) => e.into(),
        }
    }
}

impl From<Unavailable> for AppError {
    fn from(f: Unavailable) -> Self {
        // Load: the client is asked to come back.
        if f.is_load() {
            Self::Unavailable(f.to_string())
        } else {
            Self::Internal(f.into())
        }
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::Internal(anyhow::anyhow!("blocking task: {e}"))
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::Internal(anyhow::anyhow!("template: {e}"))
    }
}

/// What a 413 says: the limits, so the sender knows what would have fitted.
static TOO_LARGE_ZH: LazyLock<String> = LazyLock::new(|| {
    format!(
        "提交的内容太大：每个文件最大 {} MB，每次最多 {} 个文件、合计 {} MB，表单文字最多 {} KB",
        policy::EVIDENCE_FILE_MAX_BYTES / (1024 * 1024),
        policy::EVIDENCE_FILES_PER_SUBMISSION,
        policy::EVIDENCE_CASE_MAX_BYTES / (1024 * 1024),
        policy::FORM_TEXT_MAX_BYTES / 1024
    )
});
static TOO_LARGE_EN: LazyLock<String> = LazyLock::new(|| {
    format!(
        "What was sent is too large: each file may be up to {} MB, at most {} files and {} MB in all at a time, and the form's text up to {} KB",
        policy::EVIDENCE_FILE_MAX_BYTES / (1024 * 1024),
        policy::EVIDENCE_FILES_PER_SUBMISSION,
        policy::EVIDENCE_CASE_MAX_BYTES / (1024 * 1024),
        policy::FORM_TEXT_MAX_BYTES / 1024
    )
});

/// One page for every error, in both languages: it is rendered without a request.
#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorPage {
    status: u16,
    title_zh: &'static str,
    title_en: &'static str,
    css: &'static str,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::SignInRequired => StatusCode::SEE_OTHER,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        use actix_web::http::header;
        // ERROR is for what an operator must act on; an answer given on purpose (a
        // redirect to sign in, a 404, a refusal) is DEBUG.
        match self {
            Self::Internal(e) => tracing::error!(error = ?e, "request failed"),
            Self::Unavailable(e) => tracing::warn!(error = %e, "request refused for load"),
            _ => tracing::debug!(error = %self, "request refused"),
        }
        // An error answers this request only: never kept by a browser or a proxy.
        if let Self::SignInRequired = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/agent/login"))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish();
        }
        let (title_zh, title_en) = match self {
            Self::NotFound => ("找不到这个页面", "This page does not exist"),
            Self::SignInRequired => ("请先登录", "Please sign in"),
            Self::Forbidden(Denied::ForeignForm) => (
                "表单已过期或来源不明，请重新打开表单再提交",
                "This form has expired or did not come from us: open the form again and resubmit",
            ),
            Self::Forbidden(Denied::SupervisorsOnly) => (
                "只有主管可以使用这个页面或操作",
                "Only supervisors may use this page or action",
            ),
            Self::Forbidden(Denied::SecondFactorFirst) => (
                "请先在「账号安全」页面启用两步验证",
                "Turn on a second factor on the Security page first",
            ),
            Self::TooLarge => (TOO_LARGE_ZH.as_str(), TOO_LARGE_EN.as_str()),
            Self::BodyTimeout => (
                "提交的内容没有及时到达，请检查网络后重新提交",
                "What you sent did not arrive in time: check your connection and send it again",
            ),
            Self::UnsupportedMediaType => (
                "请通过网页上的表单提交",
                "Send the form from the page it is on",
            ),
            Self::BadRequest(_) => ("请求无法识别", "The request could not be read"),
            Self::Unavailable(_) => (
                "系统繁忙，请稍后再试",
                "We are busy: please try again shortly",
            ),
            Self::Internal(_) => (
                "系统出错，请稍后再试",
                "Something went wrong on our side: please try again",
            ),
        };
        let status = self.status_code();
        let page = ErrorPage {
            status: status.as_u16(),
            title_zh,
            title_en,
            css: super::assets::css_url(),
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if matches!(self, Self::Unavailable(_)) {
            response.insert_header(("Retry-After", "5"));
        }
        match page.render() {
            Ok(body) => response.content_type("text/html; charset=utf-8").body(body),
            Err(_) => response
                .content_type("text/plain; charset=utf-8")
                .body(title_en),
        }
    }
}
