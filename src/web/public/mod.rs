//! The appellant's pages: no sign-in, no JavaScript needed.

pub mod appeal_form;
pub mod fields;
pub mod landing;
pub mod receipt;
pub mod recover;
pub mod track;

use actix_web::error::UrlencodedError;
use actix_web::{HttpRequest, http::StatusCode};

use super::errors::AppError;

/// A form body we cannot read never reaches a handler, and never becomes a 500.
pub fn form_error(err: UrlencodedError, _req: &HttpRequest) -> actix_web::Error {
    let app = match err {
        UrlencodedError::Overflow { .. } => AppError::TooLarge,
        UrlencodedError::ContentType => {
            return actix_web::error::InternalError::new(
                "send the form as application/x-www-form-urlencoded",
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            )
            .into();
        }
        other => AppError::BadRequest(other.to_string()),
    };
    app.into()
}
