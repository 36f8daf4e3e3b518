//! Reading a form that may carry files. Each such form is one struct read two ways:
//! `multipart/form-data` through actix-multipart's typed `MultipartForm` (its text fields
//! `Value`s, its files `EvidencePart`s or `SmallFile`s, each field's limit on it), or
//! `application/x-www-form-urlencoded` through serde, without its files.
//!
//! Limits hold while reading: the form's text within `FORM_TEXT_MAX_BYTES` (the memory
//! limit), the whole body within `REQUEST_MAX_BYTES` (413 past either). Evidence bytes
//! are held only with room in the process-wide upload budget and in the client address's
//! share of it; a file past `EVIDENCE_FILE_MAX_BYTES` is only counted, never held, and is
//! refused by name. A client that stops sending is cut off by `body_deadline`, and its
//! room goes with its request.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use actix_multipart::form::{FieldReader, Limits, MultipartCollect, MultipartForm};
use actix_multipart::{Field, MultipartError};
use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest};
use futures_util::TryStreamExt;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::errors::AppError;
use crate::domain::policy::{
    EVIDENCE_FILE_MAX_BYTES, FORM_TEXT_MAX_BYTES, REQUEST_MAX_BYTES, UPLOAD_BUDGET_BYTES,
    UPLOAD_BUDGET_PER_ADDRESS_BYTES, UPLOAD_WAIT_SECS,
};
use crate::web::client::ClientAddr;
use crate::workflows::evidence::{SentFiles, Upload};

/// The file field's name on every form that takes evidence.
pub const FILE_FIELD: &str = "evidence";

/// A form read from either encoding (see the module's head).
pub struct FileForm<F>(pub F);

impl<F> FromRequest for FileForm<F>
where
    F: MultipartCollect + DeserializeOwned + 'static,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move { Ok(read(&req, payload).await?) })
    }
}

/// Reads the form; a handler that must find something first (the case a reply is for)
/// calls it itself, after, on its `web::Payload`.
pub async fn read<F>(req: &HttpRequest, mut payload: Payload) -> Result<FileForm<F>, AppError>
where
    F: MultipartCollect + DeserializeOwned + 'static,
{
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > REQUEST_MAX_BYTES) {
        return Err(AppError::TooLarge);
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let form = MultipartForm::<F>::from_request(req, &mut payload)
            .await
            .map_err(|e| refusal_of(&e))?;
        Ok(FileForm(form.into_inner()))
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let body = actix_web::web::Payload::from_request(req, &mut payload)
            .await
            .map_err(|e| AppError::BadRequest(e.to_string()))?
            .to_bytes_limited(FORM_TEXT_MAX_BYTES)
            .await
            .map_err(|_| AppError::TooLarge)?
            .map_err(|e| AppError::BadRequest(format!("body: {e}")))?;
        let form =
            serde_urlencoded::from_bytes(&body).map_err(|e| AppError::BadRequest(e.to_string()))?;
        Ok(FileForm(form))
    } else {
        Err(AppError::UnsupportedMediaType)
    }
}

/// The limits every `MultipartForm` is read with: the whole body, and the text held in
/// memory (files are bounded by their fields' limits and the upload budget instead).
pub fn multipart_config() -> actix_multipart::form::MultipartFormConfig {
    actix_multipart::form::MultipartFormConfig::default()
        .total_limit(usize::try_from(REQUEST_MAX_BYTES).unwrap_or(usize::MAX))
        .memory_limit(FORM_TEXT_MAX_BYTES)
        .error_handler(|e, _| multipart_refusal(e).into())
}

/// A multipart body we cannot take, as the answer it gets: 413 past a limit, 503 when the
/// upload budget has no room, 400 for anything malformed; never a 500.
pub fn multipart_refusal(e: MultipartError) -> AppError {
    match e {
        MultipartError::Payload(PayloadError::Overflow) => AppError::TooLarge,
        MultipartError::Field { name, source } => match source.as_response_error().status_code() {
            StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
            StatusCode::SERVICE_UNAVAILABLE => AppError::Unavailable(source.to_string()),
            _ => AppError::BadRequest(format!("field {name}: {source}")),
        },
        other => AppError::BadRequest(format!("multipart: {other}")),
    }
}

/// Back from an actix error that came out of `multipart_refusal` (or the extractor).
fn refusal_of(e: &actix_web::Error) -> AppError {
    match e.as_response_error().status_code() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
        StatusCode::SERVICE_UNAVAILABLE => AppError::Unavailable(e.to_string()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType,
        _ => AppError::BadRequest(e.to_string()),
    }
}

/// A text field, as sent (a form's fields are `Option<Value>`: a missing one is refused
/// next to its field by the rules, not with a bare 400). Counted in the memory limit.
#[derive(Default, Deserialize)]
#[serde(transparent)]
pub struct Value(String);

impl Value {
    /// The text of a field that may be missing (then empty).
    pub fn text(value: Option<Value>) -> String {
        value.map(|v| v.0).unwrap_or_default()
    }
}

impl<'t> FieldReader<'t> for Value {
    type Future = LocalBoxFuture<'t, Result<Self, MultipartError>>;

    fn read_field(_: &'t HttpRequest, mut field: Field, limits: &'t mut Limits) -> Self::Future {
        Box::pin(async move {
            let mut bytes = Vec::new();
            while let Some(chunk) = field.try_next().await? {
                limits.try_consume_limits(chunk.len(), true)?;
                bytes.extend_from_slice(&chunk);
            }
            String::from_utf8(bytes)
                .map(Value)
                .map_err(|_| MultipartError::Field {
                    name: field.name().unwrap_or_default().to_owned(),
                    source: AppError::BadRequest("a form field is not UTF-8".into()).into(),
                })
        })
    }
}

/// A small file read whole (a calendar), bounded by its field's limit.
#[derive(Default)]
pub struct SmallFile(pub Vec<u8>);

impl<'t> FieldReader<'t> for SmallFile {
    type Future = LocalBoxFuture<'t, Result<Self, MultipartError>>;

    fn read_field(_: &'t HttpRequest, mut field: Field, limits: &'t mut Limits) -> Self::Future {
        Box::pin(async move {
            let mut bytes = Vec::new();
            while let Some(chunk) = field.try_next().await? {
                limits.try_consume_limits(chunk.len(), false)?;
                bytes.extend_from_slice(&chunk);
            }
            Ok(SmallFile(bytes))
        })
    }
}

/// One part of the `evidence` field, read as it arrives: held up to
/// `EVIDENCE_FILE_MAX_BYTES`, each chunk with room in the upload budget, and past that
/// only counted.
pub struct EvidencePart {
    /// The name the sender's device gave it; `None` for a part that is not a file.
    file_name: Option<String>,
    bytes: Vec<u8>,
    size: u64,
    room: Option<Room>,
}

impl<'t> FieldReader<'t> for EvidencePart {
    type Future = LocalBoxFuture<'t, Result<Self, MultipartError>>;

    fn read_field(req: &'t HttpRequest, mut field: Field, limits: &'t mut Limits) -> Self::Future {
        let share = share_of(ClientAddr::of(req).limit_key());
        Box::pin(async move {
            let file_name = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .map(str::to_owned);
            let mut part = EvidencePart {
                file_name,
                bytes: Vec::new(),
                size: 0,
                room: None,
            };
            while let Some(chunk) = field.try_next().await? {
                limits.try_consume_limits(chunk.len(), false)?;
                part.size += chunk.len() as u64;
                // Past its limit a file is only counted, never held; a part that is not
                // a file is not held either.
                if part.file_name.is_some() && part.size <= EVIDENCE_FILE_MAX_BYTES {
                    take_room(&mut part.room, &share, chunk.len())
                        .await
                        .map_err(|e| MultipartError::Field {
                            name: FILE_FIELD.to_owned(),
                            source: e.into(),
                        })?;
                    part.bytes.extend_from_slice(&chunk);
                }
            }
            Ok(part)
        })
    }
}

/// What a form brought, for its workflow: the files among `parts` and the kept file it
/// removes; and the room the files hold in the upload budget, to be held until the
/// request ends.
pub fn sent_files(
    form_key: String,
    parts: Vec<EvidencePart>,
    remove: Option<Value>,
) -> (SentFiles, Vec<Room>) {
    let (uploads, rooms) = evidence(parts);
    let remove = Some(Value::text(remove)).filter(|k| !k.is_empty());
    let sent = SentFiles {
        form_key,
        uploads,
        remove,
    };
    (sent, rooms)
}

/// The files among the parts, and the room they hold. A file input left empty still
/// sends a part with no name and no bytes: not a file.
fn evidence(parts: Vec<EvidencePart>) -> (Vec<Upload>, Vec<Room>) {
    let mut uploads = Vec::new();
    let mut rooms = Vec::new();
    for part in parts {
        rooms.extend(part.room);
        match part.file_name {
            Some(name) if !(name.is_empty() && part.size == 0) => uploads.push(Upload {
                name,
                oversize: (part.size > EVIDENCE_FILE_MAX_BYTES).then_some(part.size),
                bytes: part.bytes,
            }),
            _ => {}
        }
    }
    (uploads, rooms)
}

/// Room in the client address's share and in the process-wide budget, given back together.
pub struct Room {
    _address: OwnedSemaphorePermit,
    _process: OwnedSemaphorePermit,
}

/// Upload bytes held at once, in KiB (`policy::UPLOAD_BUDGET_BYTES`).
static BUDGET: LazyLock<Arc<Semaphore>> =
    LazyLock::new(|| Arc::new(Semaphore::new((UPLOAD_BUDGET_BYTES / 1024) as usize)));

/// Each client address's share of the budget, in KiB; an address without uploads under
/// way has no entry (its semaphore's only holder is the map).
static SHARES: LazyLock<Mutex<HashMap<IpAddr, Arc<Semaphore>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn share_of(address: IpAddr) -> Arc<Semaphore> {
    let mut shares = SHARES.lock().unwrap_or_else(|e| e.into_inner());
    shares.retain(|_, share| Arc::strong_count(share) > 1);
    shares
        .entry(address)
        .or_insert_with(|| {
            Arc::new(Semaphore::new(
                (UPLOAD_BUDGET_PER_ADDRESS_BYTES / 1024) as usize,
            ))
        })
        .clone()
}

/// Takes room for `bytes` more, in the address's share and then in the budget, waiting a
/// little for other uploads to finish; 503 if none.
async fn take_room(
    held: &mut Option<Room>,
    share: &Arc<Semaphore>,
    bytes: usize,
) -> Result<(), AppError> {
    let kib = u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX);
    let wait = Duration::from_secs(UPLOAD_WAIT_SECS);
    let taking = async {
        let address = share.clone().acquire_many_owned(kib).await?;
        let process = BUDGET.clone().acquire_many_owned(kib).await?;
        Ok::<_, tokio::sync::AcquireError>((address, process))
    };
    let (address, process) = tokio::time::timeout(wait, taking)
        .await
        .map_err(|_| AppError::Unavailable("upload budget exhausted".into()))?
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    match held {
        Some(held) => {
            held._address.merge(address);
            held._process.merge(process);
        }
        None => {
            *held = Some(Room {
                _address: address,
                _process: process,
            })
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use actix_multipart::form::MultipartCollect;

    use super::*;
    use crate::domain::policy::CALENDAR_FILE_MAX_BYTES;
    use crate::web::agent::calendar::IcsForm;
    use crate::web::public::appeal_form::AppealForm;
    use crate::web::public::track::ReplyForm;

    /// `#[multipart(limit)]` takes a literal: it must say what the policy says.
    #[test]
    fn each_forms_field_limits_are_the_policys() {
        let all_files = usize::try_from(REQUEST_MAX_BYTES).ok();
        assert_eq!(AppealForm::limit(FILE_FIELD), all_files);
        assert_eq!(ReplyForm::limit(FILE_FIELD), all_files);
        assert_eq!(IcsForm::limit("ics"), Some(CALENDAR_FILE_MAX_BYTES));
    }
}
