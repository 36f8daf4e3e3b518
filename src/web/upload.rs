//! Reading a form that may carry evidence files: `multipart/form-data` (the fields and
//! the `evidence` files) or `application/x-www-form-urlencoded` (a form without files).
//! Limits hold while reading: a file past its limit is not kept in memory, a body past
//! the total gets 413.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use actix_multipart::Multipart;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::errors::AppError;

use crate::domain::policy::{
    EVIDENCE_FILE_MAX_BYTES, REQUEST_MAX_BYTES, UPLOAD_BUDGET_BYTES,
    UPLOAD_BUDGET_PER_ADDRESS_BYTES, UPLOAD_WAIT_SECS,
};
use crate::domain::{Lang, Refusal};
use crate::evidence_files::CleanFile;
use crate::web::AppState;
use crate::web::errors::AppResult;
use crate::workflows::evidence::{self, Upload};

/// The file field's name on every form that takes evidence.
pub const FILE_FIELD: &str = "evidence";

/// A form and the files that came with it.
pub struct WithFiles<F> {
    pub form: F,
    pub uploads: Vec<Upload>,
    /// The room the files take in the upload budget, until the request ends.
    pub budget: Option<Room>,
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

impl<F: DeserializeOwned + 'static> FromRequest for WithFiles<F> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move { Ok(read(&req, payload).await?) })
    }
}

/// Reads the form and its files; a handler that must find something first (the case a
/// reply is for) calls it itself, after, on its `web::Payload`.
pub async fn read<F: DeserializeOwned>(
    req: &HttpRequest,
    mut payload: Payload,
) -> Result<WithFiles<F>, AppError> {
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
        multipart(req, payload).await
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let body = web::Bytes::from_request(req, &mut payload)
            .await
            .map_err(|e| match e.as_error::<actix_web::error::PayloadError>() {
                Some(actix_web::error::PayloadError::Overflow) => AppError::TooLarge,
                _ => AppError::BadRequest(format!("body: {e}")),
            })?;
        if body.len() > crate::domain::policy::FORM_TEXT_MAX_BYTES {
            return Err(AppError::TooLarge);
        }
        let form =
            serde_urlencoded::from_bytes(&body).map_err(|e| AppError::BadRequest(e.to_string()))?;
        Ok(WithFiles {
            form,
            uploads: Vec::new(),
            budget: None,
        })
    } else {
        Err(AppError::UnsupportedMediaType)
    }
}

async fn multipart<F: DeserializeOwned>(
    req: &HttpRequest,
    payload: Payload,
) -> Result<WithFiles<F>, AppError> {
    let share = share_of(crate::web::client::ClientAddr::of(req).limit_key());
    let mut parts = Multipart::new(req.headers(), payload);
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut text_bytes = 0usize;
    let mut total = 0u64;
    let mut uploads = Vec::new();
    let mut budget = None;
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(|e| AppError::BadRequest(format!("multipart: {e}")))?;
        let name = part.name().unwrap_or_default().to_owned();
        let file_name = part
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_owned);
        let mut bytes = Vec::new();
        let mut size = 0u64;
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|e| AppError::BadRequest(format!("multipart: {e}")))?;
            size += chunk.len() as u64;
            total += chunk.len() as u64;
            if total > REQUEST_MAX_BYTES {
                return Err(AppError::TooLarge);
            }
            // Past its limit a file is only counted, never held.
            if size <= EVIDENCE_FILE_MAX_BYTES {
                take_room(&mut budget, &share, chunk.len()).await?;
                bytes.extend_from_slice(&chunk);
            }
        }
        match file_name {
            // A file input left empty still sends a part with no name and no bytes.
            Some(file_name) if name == FILE_FIELD => {
                if !(file_name.is_empty() && size == 0) {
                    uploads.push(Upload {
                        name: file_name,
                        oversize: (size > EVIDENCE_FILE_MAX_BYTES).then_some(size),
                        bytes,
                    });
                }
            }
            Some(_) => {}
            None => {
                text_bytes += bytes.len();
                if text_bytes > crate::domain::policy::FORM_TEXT_MAX_BYTES {
                    return Err(AppError::TooLarge);
                }
                let value = String::from_utf8(bytes)
                    .map_err(|_| AppError::BadRequest("a form field is not UTF-8".into()))?;
                fields.push((name, value));
            }
        }
    }
    // The fields as the urlencoded form would carry them: one way to read both.
    let encoded =
        serde_urlencoded::to_string(&fields).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let form =
        serde_urlencoded::from_str(&encoded).map_err(|e| AppError::BadRequest(e.to_string()))?;
    Ok(WithFiles {
        form,
        uploads,
        budget,
    })
}

/// Checks and cleans the files that came with a form, counting the files the form already
/// holds against the per-submission limit; returns them and, worded, why any were refused.
pub async fn inspect_for_form(
    state: &AppState,
    form_key: &str,
    uploads: Vec<Upload>,
    lang: Lang,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<(Vec<CleanFile>, Vec<String>)> {
    let key = form_key.to_owned();
    let kept = state
        .store
        .read(move |conn| evidence::kept_for_form(conn, &key, now))
        .await??;
    let inspected = evidence::inspect(uploads, kept.len()).await?;
    let problems = inspected.problems.iter().map(|p| p.message(lang)).collect();
    Ok((inspected.files, problems))
}

/// A file kept for a form from an earlier, refused send.
pub struct PendingFile {
    pub file_key: String,
    pub name: String,
}

/// Keeps `files` for the form (and forgets `remove`), and lists what the form now holds.
pub async fn keep(
    state: &AppState,
    form_key: &str,
    files: Vec<CleanFile>,
    remove: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Vec<PendingFile>> {
    let key = form_key.to_owned();
    let kept = state
        .store
        .write(move |conn| {
            if let Some(file_key) = remove {
                evidence::forget_for_form(conn, &key, &file_key)?;
            }
            evidence::keep_for_form(conn, &key, &files, now)?;
            evidence::kept_for_form(conn, &key, now)
        })
        .await??;
    Ok(kept
        .into_iter()
        .map(|p| PendingFile {
            name: evidence::display_name(&p.name, p.kind),
            file_key: p.file_key,
        })
        .collect())
}
