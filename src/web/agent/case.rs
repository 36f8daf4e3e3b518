//! `GET /agent/cases/{case_number}`: the case, its trail, and the actions it allows
//! (their handlers are in `case_actions.rs`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::auth::SignedIn;
use super::layout::{ConsolePage, Me};
use crate::domain::agent;
use crate::domain::agent::Role;
use crate::domain::case_status::Action;
use crate::domain::decision::{Outcome, StandardReason, reasons_for};
use crate::domain::ids::{AgentId, SavedReplyId};
use crate::domain::money::Fen;
use crate::domain::saved_reply::ReplyUse;
use crate::domain::{Lang, cst};
use crate::web::AppState;
use crate::web::errors::{AppError, AppResult};
use crate::web::evidence::FileView;
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome, DateView};
use crate::workflows::case_page::{self, CaseFile, Sibling};
use crate::workflows::views::{CaseView, EventView};

struct Event {
    at: String,
    actor: String,
    what: &'static str,
    /// "submitted → in_review", as the statuses read.
    change: Option<String>,
    note: Option<String>,
}

struct AgentChoice {
    id: AgentId,
    name: String,
    selected: bool,
}

struct SiblingView {
    case_number: String,
    status: &'static str,
    other_email: bool,
    other_address: bool,
}

impl SiblingView {
    fn new(s: Sibling, lang: Lang) -> Self {
        Self {
            status: s.status.staff_label(lang),
            case_number: s.case_number,
            other_email: s.other_email,
            other_address: s.other_address,
        }
    }
}

struct ReasonChoice {
    code: &'static str,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "agent/case.html")]
struct CasePage {
    chrome: Chrome,
    me: Me,
    case: CaseView,
    status: &'static str,
    kind: &'static str,
    amount: Fen,
    sent_at: String,
    filed_at: String,
    target: DateView,
    deadline: DateView,
    reply_due: Option<DateView>,
    days_left: i64,
    assignee: Option<String>,
    timeline: Vec<Event>,
    files: Vec<FileView>,
    can_claim: bool,
    can_assign: bool,
    can_request: bool,
    can_decide: bool,
    can_carry_out: bool,
    can_void: bool,
    agents: Vec<AgentChoice>,
    approve_reasons: Vec<ReasonChoice>,
    reject_reasons: Vec<ReasonChoice>,
    /// A refused action: the form it concerns and why.
    problem: Option<(&'static str, String)>,
    /// For supervisors: this WeChat ID's other filings this year from another email or address.
    contested_by: Vec<SiblingView>,
    /// Where this filing came from, when recorded.
    client_addr: Option<String>,
    /// "李伟, 2 minutes ago": the other agents who opened the case lately.
    viewers: Vec<String>,
    /// The case changed since the page that acted was loaded: what changed.
    stale: Option<String>,
    /// The saved replies to pick from, by where they apply.
    reply_groups: Vec<ReplyGroup>,
    /// The saved reply picked: the form it fills and its text, ready for this case.
    picked: Option<(&'static str, String)>,
}

struct ReplyGroup {
    label: &'static str,
    replies: Vec<(SavedReplyId, String, bool)>,
}

impl CasePage {
    fn problem_for(&self, form: &str) -> Option<&str> {
        self.problem
            .as_ref()
            .filter(|(f, _)| *f == form)
            .map(|(_, m)| m.as_str())
    }

    /// The text a picked saved reply puts in `form`'s text box.
    fn prefill(&self, form: &str) -> &str {
        self.picked
            .as_ref()
            .filter(|(f, _)| *f == form)
            .map_or("", |(_, t)| t.as_str())
    }
}

fn status_change(e: &EventView, lang: Lang) -> Option<String> {
    match (e.from_status, e.to_status) {
        (Some(from), Some(to)) if from != to => Some(format!(
            "{} → {}",
            from.staff_label(lang),
            to.staff_label(lang)
        )),
        _ => None,
    }
}

/// A refused action: the answer's status, the form it concerns and why.
pub(super) struct Refused {
    status: StatusCode,
    form: &'static str,
    message: String,
    /// The case changed since the page was loaded: said at the top, with a reload link.
    stale: bool,
}

impl Refused {
    pub(super) fn form(status: StatusCode, form: &'static str, message: String) -> Self {
        Self {
            status,
            form,
            message,
            stale: false,
        }
    }

    pub(super) fn stale(form: &'static str, message: String) -> Self {
        Self {
            status: StatusCode::CONFLICT,
            form,
            message,
            stale: true,
        }
    }
}

/// "2 minutes ago", in `lang`.
fn minutes_ago(
    lang: Lang,
    at: chrono::NaiveDateTime,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    let minutes = (now.naive_utc() - at).num_minutes().max(0);
    match (lang, minutes) {
        (Lang::Zh, 0) => "刚刚".to_owned(),
        (Lang::Zh, m) => format!("{m} 分钟前"),
        (Lang::En, 0) => "just now".to_owned(),
        (Lang::En, 1) => "1 minute ago".to_owned(),
        (Lang::En, m) => format!("{m} minutes ago"),
    }
}

/// Why the case page is shown.
pub(super) enum Opening {
    /// The agent opened it (recorded), perhaps picking a saved reply.
    Viewed { pick: Option<SavedReplyId> },
    /// After a refused action: nothing recorded.
    AfterRefusal(Refused),
}

/// Renders the case page.
pub(super) async fn render_page(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    lang: Lang,
    number: String,
    opening: Opening,
) -> AppResult<HttpResponse> {
    let (record_view, pick, refused) = match opening {
        Opening::Viewed { pick } => (true, pick, None),
        Opening::AfterRefusal(refused) => (false, None, Some(refused)),
    };
    let (status, problem, stale) = match refused {
        Some(r) if r.stale => (r.status, None, Some(r.message)),
        Some(r) => (r.status, Some((r.form, r.message)), None),
        None => (StatusCode::OK, None, None),
    };
    let (now, actor) = (state.clock.now(), who.actor());
    let Some(CaseFile {
        case,
        timeline: events,
        files,
        agents,
        working_days_left: days_left,
        arrangements,
        contested_by,
        viewers,
        replies,
        picked,
    }) = state
        .store
        .run(move |session| case_page::open(session, &number, &actor, record_view, pick, now))
        .await??
    else {
        return Err(AppError::NotFound);
    };
    let console = ConsolePage::new(req, who, lang);
    let current = case.status;
    let is_assignee = case.assignee_id == Some(who.agent.id);
    let can = |action: Action| current.allows(action) && agent::may(who.role, action, is_assignee);
    let reasons = |outcome| {
        reasons_for(outcome)
            .map(|r: &StandardReason| ReasonChoice {
                code: r.code,
                label: r.text(lang),
            })
            .collect()
    };
    let page = CasePage {
        chrome: console.chrome,
        me: console.me,
        status: current.staff_label(lang),
        kind: case.packet_kind.label(lang),
        amount: Fen::new(case.amount_fen),
        sent_at: cst::format_local(case.sent_at.and_utc()),
        filed_at: cst::format_local(case.filed_at.and_utc()),
        target: DateView::counted(lang, case.review_target, &arrangements),
        deadline: DateView::counted(lang, case.review_deadline, &arrangements),
        reply_due: case
            .reply_due
            .map(|d| DateView::counted(lang, d, &arrangements)),
        days_left,
        assignee: agents
            .iter()
            .find(|a| Some(a.id) == case.assignee_id)
            .map(|a| a.name.clone()),
        timeline: events
            .iter()
            .map(|e: &EventView| Event {
                at: cst::format_local(e.at.and_utc()),
                actor: e.actor.clone(),
                what: e.kind.for_agent(lang),
                change: status_change(e, lang),
                // Notes stored before bidi controls were taken out at input.
                note: e
                    .note
                    .as_deref()
                    .map(crate::domain::text::without_bidi_controls),
            })
            .collect(),
        files: crate::web::evidence::views(
            &format!("/agent/cases/{}/files", case.case_number),
            &files,
            lang,
        ),
        can_claim: can(Action::Claim),
        can_assign: can(Action::Assign),
        can_request: can(Action::RequestEvidence),
        can_decide: can(Action::Approve),
        can_carry_out: can(Action::RecordCarriedOut),
        can_void: can(Action::Void),
        agents: agents
            .into_iter()
            .filter(|a| a.disabled_at.is_none())
            .map(|a| AgentChoice {
                selected: Some(a.id) == case.assignee_id,
                id: a.id,
                name: a.name,
            })
            .collect(),
        approve_reasons: reasons(Outcome::Approved),
        reject_reasons: reasons(Outcome::Rejected),
        problem,
        contested_by: if who.role == Role::Supervisor {
            contested_by
                .into_iter()
                .map(|s| SiblingView::new(s, lang))
                .collect()
        } else {
            Vec::new()
        },
        client_addr: case.client_addr.map(|a| a.text()),
        viewers: viewers
            .into_iter()
            .map(|(name, at)| format!("{name}, {}", minutes_ago(lang, at, now)))
            .collect(),
        stale,
        reply_groups: ReplyUse::ALL
            .iter()
            .map(|u| ReplyGroup {
                label: u.label(lang),
                replies: replies
                    .iter()
                    .filter(|r| r.applies_to == *u)
                    .map(|r| {
                        (
                            r.id,
                            r.title.clone(),
                            picked.as_ref().is_some_and(|p| p.id == r.id),
                        )
                    })
                    .collect(),
            })
            .filter(|g| !g.replies.is_empty())
            .collect(),
        picked: picked.map(|p| (p.applies_to.form(), p.text)),
        case,
    };
    Ok(page::private(page::builder(status)).body(page.render()?))
}

/// The case page after a refused action: the refusal next to its form, no view recorded.
pub(super) async fn render(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    lang: Lang,
    number: String,
    refused: Refused,
) -> AppResult<HttpResponse> {
    render_page(
        req,
        state,
        who,
        lang,
        number,
        Opening::AfterRefusal(refused),
    )
    .await
}

/// `?reply=ID`: the saved reply picked, its text put in the form it applies to.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct CaseQuery {
    reply: String,
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    UiLang(lang): UiLang,
    number: web::Path<String>,
    query: web::Query<CaseQuery>,
) -> AppResult<HttpResponse> {
    // Every page served to an agent is recorded, whatever the request's headers say.
    let number = number.into_inner();
    // An id that is no saved reply picks nothing.
    let pick = query.reply.parse().ok();
    render_page(&req, &state, &who, lang, number, Opening::Viewed { pick }).await
}

/// `GET /agent/cases/{case_number}/files/{file_key}` (`?thumb=1` for the thumbnail).
pub async fn file(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
    query: web::Query<crate::web::evidence::FileQuery>,
) -> AppResult<HttpResponse> {
    let (number, file_key) = path.into_inner();
    let (actor, now, thumbnail) = (who.actor(), state.clock.now(), query.thumbnail());
    // Every file served to an agent is recorded (a script sends no `Sec-Fetch-Site`).
    let served = state
        .store
        .run(move |session| {
            case_page::open_file(session, &number, &file_key, thumbnail, &actor, true, now)
        })
        .await??
        .ok_or(AppError::NotFound)?;
    Ok(crate::web::evidence::respond(served))
}
