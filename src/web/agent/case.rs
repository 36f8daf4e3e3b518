//! `GET /agent/cases/{case_number}`: the case, its trail, and the actions it allows
//! (their handlers are in `case_actions.rs`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::auth::SignedIn;
use super::layout::Me;
use crate::db::{self, cases::CaseRow, events::EventRow};
use crate::domain::agent;
use crate::domain::case_status::{Action, CaseStatus};
use crate::domain::decision::{Outcome, StandardReason, reasons_for};
use crate::domain::evidence::PacketKind;
use crate::domain::money::Fen;
use crate::domain::{Lang, cst, review_clock};
use crate::web::AppState;
use crate::web::errors::{AppError, AppResult};
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome, DateView};
use crate::workflows::review;
use crate::workflows::working_days;

struct Event {
    at: String,
    actor: String,
    what: String,
    /// "submitted → in_review", as the statuses read.
    change: Option<String>,
    note: Option<String>,
}

struct AgentChoice {
    id: i64,
    name: String,
    selected: bool,
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
    case: CaseRow,
    status: &'static str,
    kind: &'static str,
    amount: Fen,
    sent_at: String,
    filed_at: String,
    target: DateView,
    deadline: DateView,
    days_left: i64,
    assignee: Option<String>,
    timeline: Vec<Event>,
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
}

impl CasePage {
    fn problem_for(&self, form: &str) -> Option<&str> {
        self.problem
            .as_ref()
            .filter(|(f, _)| *f == form)
            .map(|(_, m)| m.as_str())
    }
}

fn describe(kind: &str, lang: Lang) -> String {
    let known = Action::ALL.iter().find(|a| a.as_str() == kind);
    match (known, kind) {
        (Some(a), _) => match a {
            Action::Claim => lang.t("认领案件", "Claimed the case"),
            Action::Assign => lang.t("分派案件", "Assigned the case"),
            Action::RequestEvidence => lang.t("要求补充材料", "Asked for more evidence"),
            Action::AppellantReplied => lang.t("申诉人已回复", "The appellant replied"),
            Action::CloseNoResponse => lang.t("因未回复而结案", "Closed: no response"),
            Action::Approve => lang.t("通过申诉", "Approved"),
            Action::Reject => lang.t("驳回申诉", "Rejected"),
            Action::RecordCarriedOut => lang.t("已执行决定并结案", "Decision carried out; closed"),
            Action::Withdraw => lang.t("申诉人撤回", "Withdrawn by the appellant"),
            Action::Void => lang.t("作废", "Voided"),
        },
        (None, "filed") => lang.t("提交申诉", "Filed"),
        (None, "note") => lang.t("内部备注", "Internal note"),
        (None, "viewed_evidence") => lang.t("查看证据", "Viewed the evidence"),
        (None, "mail_resent") => lang.t("重新发送邮件", "Sent a mail again"),
        (None, _) => kind,
    }
    .to_owned()
}

fn status_change(e: &EventRow, lang: Lang) -> Option<String> {
    let label = |s: &str| CaseStatus::parse(s).map_or(s.to_owned(), |s| s.label(lang).to_owned());
    match (e.from_status.as_deref(), e.to_status.as_deref()) {
        (Some(from), Some(to)) if from != to => Some(format!("{} → {}", label(from), label(to))),
        _ => None,
    }
}

pub(super) async fn render(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    lang: Lang,
    number: String,
    status: StatusCode,
    problem: Option<(&'static str, String)>,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let actor = who.actor();
    // Every view of the evidence is recorded (only a successful GET shows it afresh).
    let record_view = status == StatusCode::OK;
    let loaded = state
        .db(move |conn| {
            let Some(case) = db::cases::by_number(conn, &number)? else {
                return Ok(None);
            };
            if record_view {
                review::record(conn, case.id, &actor, "viewed_evidence", None, now)?;
            }
            let timeline = db::events::for_case(conn, case.id)?;
            let agents = db::agents::all(conn)?;
            let today = cst::local_date(now);
            let calendar = working_days::calendar_from(conn, today.min(case.review_deadline))?;
            let left = review_clock::working_days_left(&calendar, today, case.review_deadline);
            Ok::<_, crate::workflows::Failure>(Some((case, timeline, agents, left)))
        })
        .await??;
    let Some((case, events, agents, days_left)) = loaded else {
        return Err(AppError::NotFound);
    };
    let current = CaseStatus::parse(&case.status).unwrap_or(CaseStatus::Submitted);
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
        chrome: Chrome::new(req, lang),
        me: Me::new(who, lang),
        status: current.label(lang),
        kind: PacketKind::parse(&case.packet_kind)
            .map(|k| k.label(lang))
            .unwrap_or_default(),
        amount: Fen::new(case.amount_fen),
        sent_at: cst::format_local(case.sent_at.and_utc()),
        filed_at: cst::format_local(case.filed_at.and_utc()),
        target: DateView::new(lang, case.review_target),
        deadline: DateView::new(lang, case.review_deadline),
        days_left,
        assignee: agents
            .iter()
            .find(|a| Some(a.id) == case.assignee_id)
            .map(|a| a.name.clone()),
        timeline: events
            .iter()
            .map(|e: &EventRow| Event {
                at: cst::format_local(e.at.and_utc()),
                actor: e.actor.clone(),
                what: describe(&e.kind, lang),
                change: status_change(e, lang),
                note: e.note.clone(),
            })
            .collect(),
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
        case,
    };
    Ok(page::private(page::builder(status)).body(page.render()?))
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    UiLang(lang): UiLang,
    number: web::Path<String>,
) -> AppResult<HttpResponse> {
    render(
        &req,
        &state,
        &who,
        lang,
        number.into_inner(),
        StatusCode::OK,
        None,
    )
    .await
}
