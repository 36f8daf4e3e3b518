//! Static files, built into the binary so it runs from any directory. The stylesheet's
//! URL carries a digest of its content, so it can be cached for a year.

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

pub async fn serve(file: web::Path<String>) -> Result<HttpResponse, AppError> {
    match file.as_str() {
        "app.css" => Ok(HttpResponse::Ok()
            .content_type("text/css; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(CSS)),
        _ => Err(AppError::NotFound),
    }
}
