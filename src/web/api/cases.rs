//! `/api/v1/cases`: list by last change, read one, fetch a file, report the recovery
//! result. Each handler parses, calls one workflow, renders a view.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::ApiCaller;
use super::problem::{FieldError, Problem, lang_of};
use super::views::{CaseList, CaseView, OutcomeBody, Status};
use crate::domain::Actor;
use crate::domain::api::{ApiScope, ReportRefusal};
use crate::domain::case_status::CaseStatus;
use crate::domain::ids::CaseId;
use crate::domain::normalize::ascii_fold;
use crate::domain::queue::{ChangeCursor, ChangeFilter, Search};
use crate::domain::{Refusal, policy};
use crate::web::AppState;
use crate::workflows::api_cases::{self, Idempotency, OutcomeError, OutcomeRequest};

/// The filters of `GET /api/v1/cases` (documented; parsed by `parse_list`, which takes
/// `status` repeated).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    /// Only cases in these statuses; repeat the parameter for several.
    #[param(explode = true, style = Form)]
    status: Option<Vec<Status>>,
    /// Only cases changed at or after this time (RFC 3339). Poll with the `updated_at` of
    /// the last case seen: nothing changed since is missed.
    updated_since: Option<DateTime<Utc>>,
    /// Only cases filed on or after this day (China time).
    filed_from: Option<NaiveDate>,
    /// Only cases filed on or before this day (China time).
    filed_to: Option<NaiveDate>,
    /// A case number, transaction ID or WeChat ID, matched exactly.
    q: Option<String>,
    /// Cases per page (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page, as it was.
    #[param(pattern = r"^[0-9]{1,12}-[0-9]{1,9}-[0-9]{1,18}$")]
    cursor: Option<String>,
}

struct ListRequest {
    filter: ChangeFilter,
    after: Option<ChangeCursor>,
    limit: i64,
}

/// Where a page ended: `seconds-nanoseconds-id` of its last case. Opaque to clients;
/// every string of the documented pattern is a place in the order (none is refused).
fn encode_cursor(c: &ChangeCursor) -> String {
    let at = c.updated_at.and_utc();
    format!(
        "{}-{}-{}",
        at.timestamp().max(0),
        at.timestamp_subsec_nanos(),
        c.id
    )
}

fn decode_cursor(raw: &str) -> Option<ChangeCursor> {
    let mut parts = raw.splitn(3, '-');
    let (secs, nanos, id) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !(digits(secs, 12) && digits(nanos, 9) && digits(id, 18)) {
        return None;
    }
    Some(ChangeCursor {
        updated_at: DateTime::from_timestamp(secs.parse().ok()?, nanos.parse().ok()?)?.naive_utc(),
        id: CaseId::new(id.parse().ok()?),
    })
}

/// Every parameter checked at once; each refusal names its parameter.
fn parse_list(req: &HttpRequest) -> Result<ListRequest, Problem> {
    let lang = lang_of(req);
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| Problem::bad_request("query", e.to_string()))?;
    let mut errors = Vec::new();
    let mut refuse = |field: &str, en: &str, zh: &str| {
        errors.push(FieldError {
            field: field.to_owned(),
            message: lang.t(zh, en).to_owned(),
        })
    };
    let mut request = ListRequest {
        filter: ChangeFilter::default(),
        after: None,
        limit: policy::API_PAGE_DEFAULT,
    };
    for (name, value) in pairs {
        match name.as_str() {
            "status" => match crate::domain::stored::Stored::from_stored(value.trim()) {
                Some(status) => request.filter.statuses.push(status),
                None => refuse(
                    "status",
                    "Not a status: submitted, in_review, awaiting_user, approved, rejected, closed, withdrawn or voided.",
                    "不是有效的状态：submitted、in_review、awaiting_user、approved、rejected、closed、withdrawn 或 voided。",
                ),
            },
            "updated_since" => match DateTime::parse_from_rfc3339(value.trim()) {
                Ok(t) => request.filter.updated_since = Some(t.naive_utc()),
                Err(_) => refuse(
                    "updated_since",
                    "Give a time as RFC 3339, for example 2026-12-03T10:00:00Z.",
                    "请用 RFC 3339 格式的时间，例如 2026-12-03T10:00:00Z。",
                ),
            },
            "filed_from" | "filed_to" => {
                match NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d") {
                    Ok(day) if name == "filed_from" => request.filter.filed_from = Some(day),
                    Ok(day) => request.filter.filed_to = Some(day),
                    Err(_) => refuse(
                        &name,
                        "Give a day as YYYY-MM-DD.",
                        "请用 YYYY-MM-DD 格式的日期。",
                    ),
                }
            }
            "q" => {
                let folded: String = ascii_fold(value.trim())
                    .chars()
                    .filter(|c| !c.is_whitespace() && !c.is_control())
                    .collect();
                if !folded.is_empty() {
                    request.filter.search = Some(Search {
                        case_number: folded.to_uppercase(),
                        transaction_id: folded.clone(),
                        wechat_id: folded.to_lowercase(),
                    });
                }
            }
            "limit" => match value.trim().parse::<i64>() {
                Ok(n) if (1..=policy::API_PAGE_MAX).contains(&n) => request.limit = n,
                _ => refuse(
                    "limit",
                    "limit is a whole number from 1 to 200.",
                    "limit 须为 1 到 200 之间的整数。",
                ),
            },
            "cursor" => match decode_cursor(value.trim()) {
                Some(c) => request.after = Some(c),
                None => refuse(
                    "cursor",
                    "Pass next_cursor from a previous page as it was.",
                    "请原样传入上一页的 next_cursor。",
                ),
            },
            _ => refuse(
                &name,
                "Not a parameter of this route.",
                "这个接口没有这个参数。",
            ),
        }
    }
    let statuses: &mut Vec<CaseStatus> = &mut request.filter.statuses;
    statuses.sort_by_key(|s| *s as u8);
    statuses.dedup();
    if errors.is_empty() {
        Ok(request)
    } else {
        Err(Problem::invalid(lang, errors))
    }
}

fn json(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(body)
}

/// List cases, oldest change first.
#[utoipa::path(
    tag = "cases",
    operation_id = "list_cases",
    params(ListParams),
    responses(
        (status = 200, description = "A page of cases by last change", body = CaseList),
        (status = 401, description = "No key, or an unknown or revoked one", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "Bearer"))),
        (status = 403, description = "The key lacks cases:read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many calls with this key", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
)]
#[get("/cases")]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
) -> Result<HttpResponse, Problem> {
    caller.allow(ApiScope::CasesRead)?;
    let ListRequest {
        filter,
        after,
        limit,
    } = parse_list(&req)?;
    let page = state
        .store
        .read(move |conn| api_cases::list(conn, &filter, after, limit))
        .await??;
    let view = CaseList::new(&page, encode_cursor);
    Ok(json(
        StatusCode::OK,
        serde_json::to_string(&view).unwrap_or_default(),
    ))
}

/// Read a case as agents see it.
#[utoipa::path(
    tag = "cases",
    operation_id = "read_case",
    params(("case_number" = String, Path, description = "The case's number")),
    responses(
        (status = 200, description = "The case", body = CaseView),
        (status = 401, description = "No key, or an unknown or revoked one", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "Bearer"))),
        (status = 403, description = "The key lacks cases:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many calls with this key", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
)]
#[get("/cases/{case_number}")]
pub async fn read(
    state: web::Data<AppState>,
    caller: ApiCaller,
    number: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    caller.allow(ApiScope::CasesRead)?;
    let number = number.into_inner();
    let detail = state
        .store
        .read(move |conn| api_cases::read(conn, &number))
        .await??
        .ok_or_else(Problem::not_found)?;
    let view = CaseView::from(&detail);
    Ok(json(
        StatusCode::OK,
        serde_json::to_string(&view).unwrap_or_default(),
    ))
}

/// Download one of the case's evidence files (as the console serves it).
#[utoipa::path(
    tag = "cases",
    operation_id = "download_file",
    params(
        ("case_number" = String, Path, description = "The case's number"),
        ("file_key" = String, Path, description = "The file's `key` in the case"),
    ),
    responses(
        (status = 200, description = "The file, with its verified type", content(
            ([u8] = "image/jpeg"), ([u8] = "image/png"), ([u8] = "image/webp"), ([u8] = "application/pdf"))),
        (status = 401, description = "No key, or an unknown or revoked one", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "Bearer"))),
        (status = 403, description = "The key lacks cases:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case or file", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many calls with this key", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
)]
#[get("/cases/{case_number}/files/{file_key}")]
pub async fn file(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Problem> {
    let caller = caller.allow(ApiScope::CasesRead)?;
    let (number, key) = path.into_inner();
    let (actor, now) = (
        Actor::ApiKey {
            name: caller.name.clone(),
        },
        state.clock.now(),
    );
    // Opening a file is recorded: a write.
    let served = state
        .store
        .run(move |session| api_cases::file(session, &number, &key, &actor, now))
        .await??
        .ok_or_else(Problem::not_found)?;
    Ok(crate::web::evidence::respond(served))
}

/// The headers of a POST, as documented (read by `idempotency_key`).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct PostHeaders {
    /// Unique per report: the same key and body answer the first answer again for 24 hours;
    /// the same key with another body is refused (422).
    #[serde(rename = "Idempotency-Key")]
    #[param(pattern = r"^[!-~]{1,255}$")]
    idempotency_key: String,
}

/// The `Idempotency-Key` of a POST: 1 to 255 visible ASCII characters.
fn idempotency_key(req: &HttpRequest) -> Result<String, Problem> {
    let lang = lang_of(req);
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Problem::invalid(
            lang,
            vec![FieldError {
                field: "Idempotency-Key".to_owned(),
                message: lang
                    .t(
                        "每个 POST 请求都需要 Idempotency-Key 请求头（1 到 255 个可见 ASCII 字符）。",
                        "Every POST needs an Idempotency-Key header (1 to 255 visible ASCII characters).",
                    )
                    .to_owned(),
            }],
        ));
    }
    Ok(key.to_owned())
}

/// Report the recovery result of an approved case: closes it as carried out and mails the
/// appellant. Repeat with the same `Idempotency-Key` and body to get the first answer again.
#[utoipa::path(
    tag = "cases",
    params(
        ("case_number" = String, Path, description = "The case's number"),
        PostHeaders,
    ),
    request_body = OutcomeBody,
    responses(
        (status = 200, description = "The case, closed with the result", body = CaseView),
        (status = 400, description = "The body is not the JSON described", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No key, or an unknown or revoked one", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "Bearer"))),
        (status = 403, description = "The key lacks cases:outcome", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The case is not approved (its status is said), or the amount is more than the case's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid, or the Idempotency-Key was used with another body", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many calls with this key", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
)]
#[post("/cases/{case_number}/outcome")]
pub async fn report_outcome(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    number: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let caller = caller.allow(ApiScope::CasesOutcome)?.clone();
    let lang = lang_of(&req);
    let key = idempotency_key(&req)?;
    let parsed: OutcomeBody =
        serde_json::from_slice(&body).map_err(|e| Problem::bad_request("body", e.to_string()))?;
    let number = number.into_inner();
    // The same report is the same request however its JSON was spaced or ordered.
    let canonical = serde_json::to_string(&parsed).unwrap_or_default();
    let idempotency = Idempotency {
        api_key: caller.id,
        key,
        request_hash: crate::keys::digest(&format!("{number}\n{canonical}")),
    };
    let (result, reference, amount_fen, note) = parsed.parts();
    let request = OutcomeRequest {
        result: result.to_owned(),
        reference,
        amount_fen,
        note,
    };
    let now = state.clock.now();
    let answered = state
        .store
        .write(move |conn| {
            api_cases::report_outcome(
                conn,
                &caller.name,
                &idempotency,
                &number,
                &request,
                |detail| serde_json::to_string(&CaseView::from(detail)).unwrap_or_default(),
                now,
            )
        })
        .await?;
    match answered {
        Ok(answer) => {
            state.mail.wake();
            let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
            Ok(json(status, answer.body))
        }
        Err(e) => Err(outcome_problem(e, lang)),
    }
}

fn outcome_problem(e: OutcomeError, lang: crate::domain::Lang) -> Problem {
    match &e {
        OutcomeError::NotFound => Problem::refused(StatusCode::NOT_FOUND, "not-found", &e, lang),
        OutcomeError::NotApproved(_) => {
            Problem::refused(StatusCode::CONFLICT, "not-approved", &e, lang)
        }
        // The body is well-formed; the case's own amount is what it conflicts with.
        OutcomeError::Invalid(refusals) if refusals == &[ReportRefusal::AmountAboveCase] => {
            let mut p = Problem::invalid(lang, field_errors(refusals, lang));
            p.status = 409;
            p.title = "Conflict";
            p.kind = "urn:appealdesk:problem:amount-above-case".to_owned();
            p
        }
        OutcomeError::KeyReused => Problem::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency-key-reused",
            &e,
            lang,
        ),
        OutcomeError::Invalid(refusals) => Problem::invalid(lang, field_errors(refusals, lang)),
        OutcomeError::Failure(_) => match e {
            OutcomeError::Failure(f) => Problem::from(f),
            _ => Problem::of_status(StatusCode::INTERNAL_SERVER_ERROR),
        },
    }
}

fn field_errors(refusals: &[ReportRefusal], lang: crate::domain::Lang) -> Vec<FieldError> {
    refusals
        .iter()
        .map(|r| FieldError {
            field: r.field().to_owned(),
            message: r.message(lang),
        })
        .collect()
}
