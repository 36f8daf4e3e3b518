//! One step on many cases of the queue at once (claim, assign, note): each case in its own
//! transaction with its own audit entry, so a case that cannot take the step (closed
//! meanwhile, another agent's) is refused by number while the rest go through.

use chrono::{DateTime, Utc};

use super::review::{self, Command, ReviewError, Step};
use crate::db::DbConn;
use crate::domain::agent::Role;
use crate::domain::ids::{AgentId, CaseVersion};
use crate::domain::text::CaseText;
use crate::domain::{Actor, Lang, Refusal, policy};

/// What a bulk action does to each case.
#[derive(Clone, Debug)]
pub enum BulkStep {
    Claim,
    Assign(AgentId),
    Note(CaseText),
}

impl BulkStep {
    fn step(&self) -> Step {
        match self {
            BulkStep::Claim => Step::Review(Command::Claim),
            BulkStep::Assign(agent_id) => Step::Review(Command::Assign {
                agent_id: *agent_id,
            }),
            BulkStep::Note(text) => Step::Note(text.clone()),
        }
    }
}

/// Why a bulk action was refused as a whole, before any case was touched.
#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    #[error("no case chosen")]
    NoneChosen,
    #[error("more than {} cases", policy::BULK_MAX_CASES)]
    TooMany,
    /// Assigning is for supervisors.
    #[error("not allowed for this account")]
    Forbidden,
    /// Below the rules: the cases done before it stay done.
    #[error(transparent)]
    Failure(#[from] super::Failure),
}

impl Refusal for BulkError {
    fn message(&self, lang: Lang) -> String {
        match self {
            BulkError::NoneChosen => lang
                .t("请至少勾选一个案件。", "Check at least one case.")
                .to_owned(),
            BulkError::TooMany => match lang {
                Lang::Zh => format!(
                    "一次最多处理 {} 个案件：请缩小筛选范围。",
                    policy::BULK_MAX_CASES
                ),
                Lang::En => format!(
                    "At most {} cases at once: narrow the filter.",
                    policy::BULK_MAX_CASES
                ),
            },
            BulkError::Forbidden => lang
                .t(
                    "只有主管可以批量分派案件。",
                    "Only supervisors assign cases in bulk.",
                )
                .to_owned(),
            BulkError::Failure(_) => lang
                .t(
                    "系统出错，请稍后再试。",
                    "Something went wrong on our side: please try again.",
                )
                .to_owned(),
        }
    }
}

/// What became of each case, in the order asked.
pub struct BulkOutcome {
    pub done: Vec<String>,
    /// The cases refused and why.
    pub refused: Vec<(String, ReviewError)>,
}

/// Checks the request as a whole (size, who may), before anything is written.
pub fn check<C>(actor: &Actor, cases: &[C], step: &BulkStep) -> Result<(), BulkError> {
    if cases.is_empty() {
        return Err(BulkError::NoneChosen);
    }
    if cases.len() > policy::BULK_MAX_CASES {
        return Err(BulkError::TooMany);
    }
    let supervisor = matches!(
        actor,
        Actor::Agent {
            role: Role::Supervisor,
            ..
        }
    );
    if matches!(step, BulkStep::Assign(_)) && !supervisor {
        return Err(BulkError::Forbidden);
    }
    Ok(())
}

/// Applies `step` to each case (each number once), each in its own transaction; a case
/// whose version is not the one the queue showed is refused as changed meanwhile.
pub fn apply(
    conn: &mut DbConn,
    actor: &Actor,
    cases: &[(String, Option<CaseVersion>)],
    step: &BulkStep,
    links_base: &str,
    now: DateTime<Utc>,
) -> Result<BulkOutcome, BulkError> {
    check(actor, cases, step)?;
    let step = step.step();
    let mut outcome = BulkOutcome {
        done: Vec::new(),
        refused: Vec::new(),
    };
    let mut seen = std::collections::HashSet::new();
    for (number, version) in cases.iter().filter(|(n, _)| seen.insert(n.as_str())) {
        match review::perform(conn, number, actor, &step, *version, links_base, now) {
            Ok(()) => outcome.done.push(number.clone()),
            Err(ReviewError::Failure(f)) => return Err(f.into()),
            Err(refused) => outcome.refused.push((number.clone(), refused)),
        }
    }
    Ok(outcome)
}
