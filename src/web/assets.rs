//! Static files, built into the binary so it runs from any directory. Each URL carries a
//! digest of the file's content, so it can be cached for a year.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::errors::AppError;

const CSS: &str = include_str!("../../static/css/app.css");

static CSS_URL: LazyLock<String> = LazyLock::new(|| {
    let digest = crate::keys::digest(CSS);
    format!("/static/app.css?v={}", &digest[..12])
});

pub fn css_url() -> &'static str {
    &CSS_URL
}

/// The appeal form's script: says when an unclaimed red packet returns by itself.
const UNCLAIMED_RETURN_JS: &str = include_str!("../../static/js/unclaimed-return.js");

static UNCLAIMED_RETURN_URL: LazyLock<String> = LazyLock::new(|| {
    let digest = crate::keys::digest(UNCLAIMED_RETURN_JS);
    format!("/static/unclaimed-return.js?v={}", &digest[..12])
});

pub fn unclaimed_return_js_url() -> &'static str {
    &UNCLAIMED_RETURN_URL
}

/// The appeal form's triage script: shows the guidance its answers call for.
const TRIAGE_JS: &str = include_str!("../../static/js/triage.js");

static TRIAGE_URL: LazyLock<String> = LazyLock::new(|| {
    let digest = crate::keys::digest(TRIAGE_JS);
    format!("/static/triage.js?v={}", &digest[..12])
});

pub fn triage_js_url() -> &'static str {
    &TRIAGE_URL
}

pub async fn serve(file: web::Path<String>) -> Result<HttpResponse, AppError> {
    match file.as_str() {
        "app.css" => Ok(HttpResponse::Ok()
            .content_type("text/css; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(CSS)),
        "unclaimed-return.js" => Ok(HttpResponse::Ok()
            .content_type("text/javascript; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(UNCLAIMED_RETURN_JS)),
        "triage.js" => Ok(HttpResponse::Ok()
            .content_type("text/javascript; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(TRIAGE_JS)),
        _ => Err(AppError::NotFound),
    }
}
