//! `GET /appeals/new` and `POST /appeals`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::fields::{self, Choice, FieldView, Input};
use chrono::{DateTime, Utc};

use crate::domain::appeal::{Appeal, ClaimAnswer, Field, RawAppeal};
use crate::domain::claim::{self, ClaimRefusal, ClaimStatus};
use crate::domain::evidence::{PacketKind, SentAt};
use crate::domain::guidance::{Guidance, Reason};
use crate::domain::{Lang, Refusal, guidance, policy};
use crate::web::csrf;
use crate::web::errors::{AppError, AppResult, Denied};
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome};
use crate::web::upload::{PendingFile, WithFiles, inspect_for_form, keep};
use crate::web::{AppState, assets};
use crate::workflows::file_appeal::{
    FileError, Filed, Filing, Refused, file_appeal, stopped_by_guidance,
};

/// The form as sent; every field optional so that a missing one is refused next to
/// the field rather than with a bare 400.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AppealForm {
    wechat_id: String,
    email: String,
    packet_kind: String,
    amount: String,
    sent_at: String,
    transaction_id: String,
    counterparty_phone_suffix: String,
    card_last4: String,
    account: String,
    claim_status: String,
    acknowledge_claimed: String,
    csrf_token: String,
    /// A kept file the appellant removed from the form (its remove button).
    remove_file: String,
}

impl AppealForm {
    fn raw(self) -> RawAppeal {
        RawAppeal {
            wechat_id: self.wechat_id,
            email: self.email,
            packet_kind: self.packet_kind,
            amount: self.amount,
            sent_at: self.sent_at,
            transaction_id: self.transaction_id,
            counterparty_phone_suffix: self.counterparty_phone_suffix,
            card_last4: self.card_last4,
            account: self.account,
            claim_status: self.claim_status,
            acknowledge_claimed: !self.acknowledge_claimed.is_empty(),
        }
    }
}

#[derive(Template)]
#[template(path = "public/appeal_form.html")]
struct FormPage {
    chrome: Chrome,
    fields: Vec<FieldView>,
    packet_kinds: Vec<Choice>,
    csrf_token: String,
    /// A refusal of the whole filing (quota, duplicate), shown above the form.
    notice: Option<String>,
    refused_count: usize,
    /// Files kept for this form from an earlier, refused send.
    pending: Vec<PendingFile>,
    /// Why files that came were not taken, each naming its file.
    file_problems: Vec<String>,
    file_hint: String,
    /// Customer service acts on unclaimed packets only.
    eligibility: &'static str,
    /// Shown by the form's script while the send time is less than a day ago.
    unclaimed_return: UnclaimedReturn,
    claim_choices: Vec<Choice>,
    acknowledged: bool,
    acknowledgement: &'static str,
    /// Every piece of guidance: those the answers call for shown, the rest hidden for the
    /// form's script to show as the answers change.
    guidance: Vec<GuidanceView>,
    triage: TriageScript,
}

struct GuidanceView {
    reason: &'static str,
    lead: String,
    steps: Vec<String>,
    shown: bool,
}

impl GuidanceView {
    fn is_claimed(&self) -> bool {
        self.reason == Reason::Claimed.as_str()
    }
}

/// What the triage script needs: its address and the rules' numbers.
struct TriageScript {
    script: &'static str,
    bank_minutes: i64,
}

/// The guidance the answers so far call for (each answer taken if it parses).
fn shown_guidance(raw: &RawAppeal, lang: Lang, now: DateTime<Utc>) -> Vec<Guidance> {
    guidance::triage(
        PacketKind::parse(&raw.packet_kind).ok(),
        SentAt::parse(&raw.sent_at, now).ok().map(|s| s.utc()),
        ClaimStatus::parse(&raw.claim_status).ok(),
        now,
        lang,
    )
}

/// What the form's script needs to say when a red packet would still return by itself.
struct UnclaimedReturn {
    script: &'static str,
    hours: i64,
    /// How far ahead of the phone's clock a send time may be (the send time's own rule).
    clock_skew_minutes: i64,
    /// The kinds WeChat returns by themselves, space-separated form values.
    kinds: String,
    /// The note, `{time}` standing for the return time.
    text: String,
}

impl FormPage {
    fn new(
        req: &HttpRequest,
        lang: Lang,
        raw: &RawAppeal,
        csrf_token: String,
        error: impl Fn(Field) -> Option<String>,
        notice: Option<String>,
        shown: Vec<Guidance>,
    ) -> Self {
        let fields = fields::views(lang, raw, error);
        let guidance = guidance::all_pieces(lang)
            .into_iter()
            .map(|piece| {
                let here = shown.iter().find(|g| g.reason == piece.reason);
                let g = here.unwrap_or(&piece);
                GuidanceView {
                    reason: g.reason.as_str(),
                    lead: g.lead.clone(),
                    steps: g.steps.clone(),
                    shown: here.is_some(),
                }
            })
            .collect();
        Self {
            chrome: Chrome::new(req, lang),
            refused_count: fields.iter().filter(|f| f.error.is_some()).count(),
            packet_kinds: fields::packet_kind_choices(lang, &raw.packet_kind),
            fields,
            csrf_token,
            notice,
            pending: Vec::new(),
            file_problems: Vec::new(),
            file_hint: fields::evidence_hint(lang),
            eligibility: guidance::eligibility(lang),
            unclaimed_return: UnclaimedReturn {
                script: assets::unclaimed_return_js_url(),
                hours: policy::UNCLAIMED_RETURN_HOURS,
                clock_skew_minutes: policy::CLOCK_SKEW_MINUTES,
                kinds: PacketKind::ALL
                    .iter()
                    .filter(|k| guidance::returns_unclaimed(**k))
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                text: guidance::before_return_template(lang),
            },
            claim_choices: fields::claim_choices(lang, &raw.claim_status),
            acknowledged: raw.acknowledge_claimed,
            acknowledgement: claim::acknowledgement(lang),
            guidance,
            triage: TriageScript {
                script: assets::triage_js_url(),
                bank_minutes: policy::BANK_REVOKE_MINUTES,
            },
        }
    }

    fn with_files(mut self, pending: Vec<PendingFile>, problems: Vec<String>) -> Self {
        self.refused_count += usize::from(!problems.is_empty());
        self.pending = pending;
        self.file_problems = problems;
        self
    }
}

pub async fn new(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
) -> AppResult<HttpResponse> {
    let form = csrf::PublicForm::new(&req, &state.keys, state.secure_cookies);
    let page = FormPage::new(
        &req,
        lang,
        &RawAppeal::default(),
        form.token.clone(),
        |_| None,
        None,
        Vec::new(),
    );
    Ok(form.respond(StatusCode::OK, page.render()?))
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    sent: WithFiles<AppealForm>,
) -> AppResult<HttpResponse> {
    // `_budget` holds the files' room in the upload budget until this request ends.
    let WithFiles {
        form,
        uploads,
        budget: _budget,
    } = sent;
    let csrf_token = form.csrf_token.clone();
    let form_key = csrf::verify(&state.keys, &req, state.secure_cookies, &csrf_token)
        .ok_or(AppError::Forbidden(Denied::ForeignForm))?;
    let remove = form.remove_file.clone();
    let raw = form.raw();
    let now = state.clock.now();

    let (files, problems) = inspect_for_form(&state, &form_key, uploads, lang, now).await?;

    // Removing a kept file re-renders the form; nothing is filed.
    if !remove.is_empty() {
        let files = keep(&state, &form_key, files, Some(remove), now).await?;
        let shown = shown_guidance(&raw, lang, now);
        let page = FormPage::new(&req, lang, &raw, csrf_token, |_| None, None, shown)
            .with_files(files, problems);
        return page::render_private(StatusCode::OK, &page);
    }
    let appeal = match Appeal::parse(&raw, now) {
        Ok(appeal) if problems.is_empty() => appeal,
        parsed => {
            crate::metrics::filing(crate::metrics::FilingOutcome::Refused("invalid_form"));
            let refusals = parsed.err().unwrap_or_default();
            // Stopped by the guidance alone (every other answer was right): counted.
            let stopped = match ClaimAnswer::parse(&raw) {
                Err(ClaimRefusal::ClaimedNotAcknowledged) => Some(Reason::Claimed),
                Err(ClaimRefusal::AlreadyReturned) => Some(Reason::AlreadyReturned),
                _ => None,
            }
            .filter(|_| refusals.0.len() == 1 && problems.is_empty());
            if let Some(reason) = stopped {
                state
                    .store
                    .write(move |conn| stopped_by_guidance(conn, reason, now))
                    .await??;
            }
            // Nothing that came is lost: the good files wait for the corrected form.
            let files = keep(&state, &form_key, files, None, now).await?;
            let page = FormPage::new(
                &req,
                lang,
                &raw,
                csrf_token,
                |f| fields::message(refusals.get(f), lang),
                None,
                shown_guidance(&raw, lang, now),
            )
            .with_files(files, problems);
            return page::render_private(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };

    let keys = state.keys.clone();
    let links_base = state.links_base();
    let (key, files) = (form_key.clone(), files);
    let shown: Vec<Reason> = shown_guidance(&raw, lang, now)
        .iter()
        .map(|g| g.reason)
        .collect();
    // Behind trusted proxies, the forwarded client (`web::client`), never the proxy.
    let client_ip = Some(crate::web::client::ClientAddr::of(&req).0);
    let outcome = state
        .store
        .write(move |conn| {
            let filing = Filing {
                appeal: &appeal,
                lang,
                submission_key: &key,
                links_base: &links_base,
                files: &files,
                client_ip,
                guidance: &shown,
            };
            file_appeal(conn, &keys, &filing, now).map_err(|e| (e, files))
        })
        .await?;
    if let Ok(Filed::New { .. }) = outcome {
        state.mail.wake();
    }
    let (refused, files) = match outcome {
        Ok(Filed::New { tracking_token } | Filed::Again { tracking_token }) => {
            return Ok(page::see_other(format!(
                "/appeals/receipt/{tracking_token}"
            )));
        }
        Err((FileError::Failure(failure), _)) => return Err(failure.into()),
        Err((FileError::Refused(refused), files)) => (refused, files),
    };

    // A used form key has filed its case: a new filing needs a fresh form, and the
    // files that came wait for that one.
    let (form_token, form_key) = match refused {
        Refused::FormAlreadyUsed => {
            let fresh = csrf::PublicForm::new(&req, &state.keys, state.secure_cookies);
            (fresh.token.clone(), fresh.form_key().to_owned())
        }
        _ => (csrf_token, form_key),
    };
    let kept = keep(&state, &form_key, files, None, now).await?;
    let message = refused.message(lang);
    let (field, field_message) = (refused.field(), message.clone());
    let page = FormPage::new(
        &req,
        lang,
        &raw,
        form_token,
        move |f| (Some(f) == field).then(|| field_message.clone()),
        Some(message),
        shown_guidance(&raw, lang, now),
    )
    .with_files(kept, Vec::new());
    page::render_private(StatusCode::CONFLICT, &page)
}
