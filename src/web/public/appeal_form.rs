//! `GET /appeals/new` and `POST /appeals`.

use actix_multipart::form::MultipartForm;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::fields::{self, Choice, FieldView, Input};
use chrono::{DateTime, Utc};

use crate::domain::appeal::{Field, RawAppeal};
use crate::domain::claim::{self, ClaimStatus};
use crate::domain::evidence::{PacketKind, SentAt};
use crate::domain::guidance::{Guidance, Reason};
use crate::domain::{Lang, Refusal, guidance, policy};
use crate::web::csrf;
use crate::web::errors::{AppError, AppResult, Denied};
use crate::web::evidence::PendingFile;
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome};
use crate::web::upload::{self, EvidencePart, FileForm, Value};
use crate::web::{AppState, assets};
use crate::workflows::evidence::FormFiles;
use crate::workflows::file_appeal::{self, Submission, Submitted};

/// The form as sent, multipart (with its `evidence` files) or urlencoded (without);
/// every field optional so that a missing one is refused next to the field rather than
/// with a bare 400.
#[derive(MultipartForm, Deserialize, Default)]
#[serde(default)]
pub struct AppealForm {
    wechat_id: Option<Value>,
    email: Option<Value>,
    packet_kind: Option<Value>,
    amount: Option<Value>,
    sent_at: Option<Value>,
    transaction_id: Option<Value>,
    counterparty_phone_suffix: Option<Value>,
    card_last4: Option<Value>,
    account: Option<Value>,
    claim_status: Option<Value>,
    acknowledge_claimed: Option<Value>,
    csrf_token: Option<Value>,
    /// A kept file the appellant removed from the form (its remove button).
    remove_file: Option<Value>,
    /// All of a submission's files together: the body's own limit
    /// (`policy::REQUEST_MAX_BYTES`); one file past `EVIDENCE_FILE_MAX_BYTES` is refused
    /// by name, not cut off.
    #[multipart(limit = "41 MiB")]
    #[serde(skip)]
    evidence: Vec<EvidencePart>,
}

impl AppealForm {
    fn raw(&mut self) -> RawAppeal {
        let take = |v: &mut Option<Value>| Value::text(v.take());
        RawAppeal {
            wechat_id: take(&mut self.wechat_id),
            email: take(&mut self.email),
            packet_kind: take(&mut self.packet_kind),
            amount: take(&mut self.amount),
            sent_at: take(&mut self.sent_at),
            transaction_id: take(&mut self.transaction_id),
            counterparty_phone_suffix: take(&mut self.counterparty_phone_suffix),
            card_last4: take(&mut self.card_last4),
            account: take(&mut self.account),
            claim_status: take(&mut self.claim_status),
            acknowledge_claimed: !take(&mut self.acknowledge_claimed).is_empty(),
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

    /// The files the form holds, and why any that came were refused.
    fn with_files(mut self, lang: Lang, files: &FormFiles) -> Self {
        self.refused_count += usize::from(!files.problems.is_empty());
        self.pending = PendingFile::all(&files.kept);
        self.file_problems = files.problems.iter().map(|p| p.message(lang)).collect();
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
    FileForm(mut form): FileForm<AppealForm>,
) -> AppResult<HttpResponse> {
    let csrf_token = Value::text(form.csrf_token.take());
    let form_key = csrf::verify(&state.keys, &req, state.secure_cookies, &csrf_token)
        .ok_or(AppError::Forbidden(Denied::ForeignForm))?;
    // `_room` holds the files' room in the upload budget until this request ends.
    let evidence = std::mem::take(&mut form.evidence);
    let (files, _room) = upload::sent_files(form_key, evidence, form.remove_file.take());
    let raw = form.raw();
    let now = state.clock.now();
    let shown = shown_guidance(&raw, lang, now);
    let submission = Submission {
        raw: raw.clone(),
        lang,
        files,
        links_base: state.links_base(),
        // Behind trusted proxies, the forwarded client (`web::client`), never the proxy.
        client_ip: Some(crate::web::client::ClientAddr::of(&req).0),
        guidance: shown.iter().map(|g| g.reason).collect(),
    };
    let page = |csrf_token, error: &dyn Fn(Field) -> Option<String>, notice| {
        FormPage::new(&req, lang, &raw, csrf_token, error, notice, shown.clone())
    };
    match file_appeal::submit(&state.store, &state.keys, submission, now).await? {
        Submitted::Filed {
            tracking_token,
            new,
        } => {
            if new {
                state.mail.wake();
            }
            Ok(page::see_other(format!(
                "/appeals/receipt/{tracking_token}"
            )))
        }
        Submitted::Edited(files) => {
            let page = page(csrf_token, &|_| None, None).with_files(lang, &files);
            page::render_private(StatusCode::OK, &page)
        }
        Submitted::Invalid { refusals, files } => {
            let error = |f| fields::message(refusals.get(f), lang);
            let page = page(csrf_token, &error, None).with_files(lang, &files);
            page::render_private(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Submitted::Refused { refused, files } => {
            // The form the files wait for: this one, or a fresh one when this one has
            // filed its case.
            let (keys, secure) = (&state.keys, state.secure_cookies);
            let form = csrf::PublicForm::for_key(&req, keys, secure, &files.form_key);
            let message = refused.message(lang);
            let field = refused.field();
            let error = |f| (Some(f) == field).then(|| message.clone());
            let page = page(form.token.clone(), &error, Some(message.clone()));
            let page = page.with_files(lang, &files);
            Ok(form.respond(StatusCode::CONFLICT, page.render()?))
        }
    }
}
