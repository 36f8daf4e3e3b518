//! The actions on a case: each a POST with the session's CSRF token. One handler serves
//! them all (`act`): it parses the action's form into a review step, runs it through the
//! review workflow, and answers with the case page (303) or the refusal next to its form.
//! Every form carries the case's version as its page showed it (`version`): acting on a
//! case changed since is refused (409) with what changed and a link to reload.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::auth::{CsrfProtected, Verified};
use super::case::{Refused, render};
use crate::domain::Refusal;
use crate::domain::decision::Decision;
use crate::domain::ids::CaseVersion;
use crate::domain::text::CaseText;
use crate::web::AppState;
use crate::web::errors::{AppError, AppResult};
use crate::web::i18n::UiLang;
use crate::web::page;
use crate::workflows::review::{self, Command, ReviewError, Step};

/// A refusal of the form itself, before the workflow runs.
type FormRefusal = Box<dyn Refusal>;

/// One action on a case: its form, the form on the case page it is shown next to, and
/// how the form becomes a review step.
pub trait CaseAction: 'static {
    type Form: DeserializeOwned + CsrfProtected + Versioned + 'static;
    const FORM: &'static str;
    fn step(form: Self::Form) -> Result<Step, FormRefusal>;
}

pub async fn act<A: CaseAction>(
    req: HttpRequest,
    state: web::Data<AppState>,
    UiLang(lang): UiLang,
    number: web::Path<String>,
    v: Verified<A::Form>,
) -> AppResult<HttpResponse> {
    let number = number.into_inner();
    let seen = v.form.seen();
    let refused = match A::step(v.form) {
        Err(refused) => Refused::form(
            StatusCode::UNPROCESSABLE_ENTITY,
            A::FORM,
            refused.message(lang),
        ),
        Ok(step) => {
            let (actor, now, links, n) = (
                v.who.actor(),
                state.clock.now(),
                state.links_base(),
                number.clone(),
            );
            match state
                .store
                .write(move |conn| review::perform(conn, &n, &actor, &step, seen, &links, now))
                .await?
            {
                Ok(()) => {
                    state.mail.wake();
                    return Ok(page::see_other(format!("/agent/cases/{number}")));
                }
                Err(ReviewError::NotFound) => return Err(AppError::NotFound),
                Err(ReviewError::Failure(f)) => return Err(f.into()),
                Err(stale @ ReviewError::Stale(_)) => Refused::stale(A::FORM, stale.message(lang)),
                Err(refused) => Refused::form(status_of(&refused), A::FORM, refused.message(lang)),
            }
        }
    };
    render(&req, &state, &v.who, lang, number, refused).await
}

/// A form that carries the case's version as its page showed it.
pub trait Versioned {
    fn version(&self) -> &str;

    /// `None`: no version sent (a script that showed no page). One that cannot be read is
    /// no version the case ever had.
    fn seen(&self) -> Option<CaseVersion> {
        let raw = self.version().trim();
        (!raw.is_empty()).then(|| raw.parse().unwrap_or(CaseVersion::new(-1)))
    }
}

/// An action's form: its fields, the CSRF token and the case's version.
macro_rules! action_form {
    ($name:ident { $($field:ident),* }) => {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        pub struct $name {
            $($field: String,)*
            csrf_token: String,
            version: String,
        }

        impl CsrfProtected for $name {
            fn csrf_token(&self) -> &str {
                &self.csrf_token
            }
        }

        impl Versioned for $name {
            fn version(&self) -> &str {
                &self.version
            }
        }
    };
}

action_form!(VersionOnly {});
action_form!(TextForm { text });
action_form!(AssignForm { agent_id });
action_form!(DecideForm {
    outcome,
    reason_code,
    text
});

fn status_of(refused: &ReviewError) -> StatusCode {
    match refused {
        ReviewError::Forbidden => StatusCode::FORBIDDEN,
        ReviewError::Illegal(_) => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

fn text(raw: &str) -> Result<CaseText, FormRefusal> {
    CaseText::parse(raw).map_err(|e| Box::new(e) as FormRefusal)
}

pub struct Claim;
pub struct Assign;
pub struct RequestEvidence;
pub struct Decide;
pub struct CarriedOut;
pub struct Void;
pub struct Note;

impl CaseAction for Claim {
    type Form = VersionOnly;
    const FORM: &'static str = "claim";
    fn step(_: VersionOnly) -> Result<Step, FormRefusal> {
        Ok(Step::Review(Command::Claim))
    }
}

impl CaseAction for CarriedOut {
    type Form = VersionOnly;
    const FORM: &'static str = "carried-out";
    fn step(_: VersionOnly) -> Result<Step, FormRefusal> {
        Ok(Step::Review(Command::RecordCarriedOut))
    }
}

impl CaseAction for Assign {
    type Form = AssignForm;
    const FORM: &'static str = "assign";
    fn step(form: AssignForm) -> Result<Step, FormRefusal> {
        // An unreadable id is no active agent.
        let agent_id = form
            .agent_id
            .parse()
            .map_err(|_| Box::new(ReviewError::InactiveAssignee) as FormRefusal)?;
        Ok(Step::Review(Command::Assign { agent_id }))
    }
}

impl CaseAction for RequestEvidence {
    type Form = TextForm;
    const FORM: &'static str = "request-evidence";
    fn step(form: TextForm) -> Result<Step, FormRefusal> {
        let message = text(&form.text)?;
        Ok(Step::Review(Command::RequestEvidence { message }))
    }
}

impl CaseAction for Void {
    type Form = TextForm;
    const FORM: &'static str = "void";
    fn step(form: TextForm) -> Result<Step, FormRefusal> {
        let reason = text(&form.text)?;
        Ok(Step::Review(Command::Void { reason }))
    }
}

impl CaseAction for Note {
    type Form = TextForm;
    const FORM: &'static str = "note";
    fn step(form: TextForm) -> Result<Step, FormRefusal> {
        Ok(Step::Note(text(&form.text)?))
    }
}

impl CaseAction for Decide {
    type Form = DecideForm;
    const FORM: &'static str = "decide";
    fn step(form: DecideForm) -> Result<Step, FormRefusal> {
        let decision = Decision::parse(&form.outcome, &form.reason_code, &form.text)
            .map_err(|e| Box::new(e) as FormRefusal)?;
        Ok(Step::Review(Command::Decide(decision)))
    }
}
