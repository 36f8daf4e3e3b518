//! `/track/{token}`: the case's status, dates and timeline for whoever holds the link;
//! answering a request for evidence; withdrawing before a decision.

use actix_multipart::form::MultipartForm;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::case_status::{Action, CaseStatus};
use crate::domain::money::Fen;
use crate::domain::{Lang, Refusal, cst};
use crate::web::errors::{AppError, AppResult, Denied};
use crate::web::evidence::{FileView, PendingFile};
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome, DateView};
use crate::web::public::fields;
use crate::web::upload::{self, EvidencePart, FileForm, Value};
use crate::web::{AppState, csrf};
use crate::workflows::review::{self, Command, ReviewError};
use crate::workflows::track_case::{self, Replied, Reply, Tracked, track_case};
use crate::workflows::views::EventView;

#[derive(Template)]
#[template(path = "public/track.html")]
struct TrackPage {
    chrome: Chrome,
    token: String,
    csrf_token: String,
    case_number: String,
    status: &'static str,
    status_code: &'static str,
    packet_kind: &'static str,
    amount: Fen,
    sent_at: String,
    filed_at: String,
    review_target: DateView,
    review_deadline: DateView,
    /// What the agent asked for, while the case waits for the appellant.
    evidence_request: Option<String>,
    reply_due: Option<DateView>,
    decision_reason: Option<String>,
    can_withdraw: bool,
    reply_text: String,
    reply_problem: Option<String>,
    /// Files kept for the reply form from a refused send, and why new ones were refused.
    pending: Vec<PendingFile>,
    file_problems: Vec<String>,
    file_hint: String,
    timeline: Vec<Entry>,
    files: Vec<FileView>,
}

#[derive(Template)]
#[template(path = "public/withdraw.html")]
struct WithdrawPage {
    chrome: Chrome,
    token: String,
    csrf_token: String,
    case_number: String,
}

struct Entry {
    at: String,
    what: &'static str,
    note: Option<String>,
}

/// What the appellant sees of the trail: never internal notes, views or who handled it.
fn entry(lang: Lang, event: &EventView) -> Option<Entry> {
    let seen = event.kind.for_appellant(lang)?;
    Some(Entry {
        at: cst::format_local(event.at.and_utc()),
        what: seen.what,
        note: event.note.clone().filter(|_| seen.shows_note),
    })
}

/// The case a tracking token opens, with its timeline, or 404.
pub(super) async fn find(state: &AppState, token: String) -> AppResult<Tracked> {
    if token.len() > 100 {
        return Err(AppError::NotFound);
    }
    state
        .store
        .read(move |conn| track_case(conn, &token))
        .await??
        .ok_or(AppError::NotFound)
}

/// The reply form as it was sent back: its text, why it was refused, its token (so the
/// files kept for it stay with it) and those files.
#[derive(Default)]
struct ReplyState {
    text: String,
    problem: Option<String>,
    csrf_token: Option<String>,
    pending: Vec<PendingFile>,
    file_problems: Vec<String>,
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    lang: Lang,
    token: String,
    status: StatusCode,
    reply: ReplyState,
) -> AppResult<HttpResponse> {
    let tracked = find(state, token.clone()).await?;
    let case = tracked.case;
    let current = case.status;
    let form = csrf::PublicForm::new(req, &state.keys, state.secure_cookies);
    let csrf_token = reply.csrf_token.unwrap_or_else(|| form.token.clone());
    let awaiting = current == CaseStatus::AwaitingUser;
    let files = crate::web::evidence::views(&format!("/track/{token}/files"), &tracked.files, lang);
    let page = TrackPage {
        files,
        chrome: Chrome::new(req, lang),
        token,
        csrf_token,
        status: current.label(lang),
        status_code: current.as_str(),
        packet_kind: case.packet_kind.label(lang),
        amount: Fen::new(case.amount_fen),
        sent_at: cst::format_local(case.sent_at.and_utc()),
        filed_at: cst::format_local(case.filed_at.and_utc()),
        review_target: DateView::counted(lang, case.review_target, &tracked.arrangements),
        review_deadline: DateView::counted(lang, case.review_deadline, &tracked.arrangements),
        evidence_request: case.evidence_request.clone().filter(|_| awaiting),
        reply_due: case
            .reply_due
            .filter(|_| awaiting)
            .map(|d| DateView::counted(lang, d, &tracked.arrangements)),
        decision_reason: case.decision_reason.clone(),
        can_withdraw: current.allows(Action::Withdraw),
        reply_text: reply.text,
        reply_problem: reply.problem,
        pending: reply.pending,
        file_problems: reply.file_problems,
        file_hint: fields::evidence_hint(lang),
        timeline: tracked
            .timeline
            .iter()
            .filter_map(|e| entry(lang, e))
            .collect(),
        case_number: case.case_number,
    };
    Ok(form.respond(status, page.render()?))
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    UiLang(lang): UiLang,
) -> AppResult<HttpResponse> {
    render(
        &req,
        &state,
        lang,
        token.into_inner(),
        StatusCode::OK,
        ReplyState::default(),
    )
    .await
}

/// The reply form, multipart (with its `evidence` files) or urlencoded (without).
#[derive(MultipartForm, Deserialize, Default)]
#[serde(default)]
pub struct ReplyForm {
    text: Option<Value>,
    csrf_token: Option<Value>,
    /// A kept file the appellant removed from the reply (its remove button).
    remove_file: Option<Value>,
    /// All of a reply's files together: the body's own limit (`policy::REQUEST_MAX_BYTES`).
    #[multipart(limit = "41 MiB")]
    #[serde(skip)]
    evidence: Vec<EvidencePart>,
}

/// Runs the appellant's command on the case the token opens.
async fn appellant_acts(
    state: &AppState,
    token: String,
    command: Command,
) -> AppResult<Result<(), ReviewError>> {
    if token.len() > 100 {
        return Err(AppError::NotFound);
    }
    let now = state.clock.now();
    let links = state.links_base();
    let result = state
        .store
        .write(move |conn| {
            review::act_as_appellant(conn, &token, &command, &[], &links, now).map(drop)
        })
        .await?;
    if matches!(result, Err(ReviewError::NotFound)) {
        return Err(AppError::NotFound);
    }
    if result.is_ok() {
        state.mail.wake();
    }
    Ok(result)
}

fn back_to(token: &str) -> HttpResponse {
    page::see_other(format!("/track/{token}"))
}

pub async fn reply(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    UiLang(lang): UiLang,
    body: web::Payload,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    // No case, no reading: the body of a reply to no case is never read.
    let t = token.clone();
    let opens = token.len() <= 100
        && state
            .store
            .read(move |conn| track_case::opens_a_case(conn, &t))
            .await??;
    if !opens {
        return Err(AppError::NotFound);
    }
    let FileForm(form) = upload::read::<ReplyForm>(&req, body.into_inner()).await?;
    let csrf_token = Value::text(form.csrf_token);
    let form_key = csrf::verify(&state.keys, &req, state.secure_cookies, &csrf_token)
        .ok_or(AppError::Forbidden(Denied::ForeignForm))?;
    // `_room` holds the files' room in the upload budget until this request ends.
    let (files, _room) = upload::sent_files(form_key, form.evidence, form.remove_file);
    let text = Value::text(form.text);
    let reply = Reply {
        token: token.clone(),
        text: text.clone(),
        files,
        links_base: state.links_base(),
    };
    let (status, refused, files) =
        match track_case::reply(&state.store, reply, state.clock.now()).await? {
            Replied::Sent => {
                state.mail.wake();
                return Ok(back_to(&token));
            }
            Replied::NoCase => return Err(AppError::NotFound),
            Replied::Edited(files) => (StatusCode::OK, None, files),
            Replied::Returned { refused, files } => {
                let status = match &refused {
                    Some(refused) if !refused.is_of_the_form() => StatusCode::CONFLICT,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                (status, refused, files)
            }
        };
    let reply = ReplyState {
        text,
        problem: refused.map(|r| r.message(lang)),
        csrf_token: Some(csrf_token),
        pending: PendingFile::all(&files.kept),
        file_problems: files.problems.iter().map(|p| p.message(lang)).collect(),
    };
    render(&req, &state, lang, token, status, reply).await
}

pub async fn confirm_withdraw(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    UiLang(lang): UiLang,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let case = find(&state, token.clone()).await?.case;
    let form = csrf::PublicForm::new(&req, &state.keys, state.secure_cookies);
    let page = WithdrawPage {
        chrome: Chrome::new(&req, lang),
        token,
        csrf_token: form.token.clone(),
        case_number: case.case_number,
    };
    Ok(form.respond(StatusCode::OK, page.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WithdrawForm {
    csrf_token: String,
}

pub async fn withdraw(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    UiLang(lang): UiLang,
    form: web::Form<WithdrawForm>,
) -> AppResult<HttpResponse> {
    csrf::verify(&state.keys, &req, state.secure_cookies, &form.csrf_token)
        .ok_or(AppError::Forbidden(Denied::ForeignForm))?;
    let token = token.into_inner();
    match appellant_acts(&state, token.clone(), Command::Withdraw).await? {
        Ok(()) => Ok(back_to(&token)),
        Err(ReviewError::Failure(f)) => Err(f.into()),
        Err(refused) => {
            let reply = ReplyState {
                problem: Some(refused.message(lang)),
                ..ReplyState::default()
            };
            render(&req, &state, lang, token, StatusCode::CONFLICT, reply).await
        }
    }
}

/// `GET /track/{token}/files/{file_key}`: only the token's case's files; any other is 404.
pub async fn file(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<crate::web::evidence::FileQuery>,
) -> AppResult<HttpResponse> {
    let (token, file_key) = path.into_inner();
    if token.len() > 100 || file_key.len() > 100 {
        return Err(AppError::NotFound);
    }
    let (now, thumbnail) = (state.clock.now(), query.thumbnail());
    let served = state
        .store
        .run(move |session| track_case::open_file(session, &token, &file_key, thumbnail, now))
        .await??
        .ok_or(AppError::NotFound)?;
    Ok(crate::web::evidence::respond(served))
}
