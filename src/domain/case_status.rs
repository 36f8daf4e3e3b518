//! Where an appeal stands, and the one state machine that moves it.

use super::stored::Stored;
use super::{Lang, Refusal};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseStatus {
    Submitted,
    InReview,
    AwaitingUser,
    Approved,
    Rejected,
    Closed,
    Withdrawn,
    Voided,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 8] = [
        CaseStatus::Submitted,
        CaseStatus::InReview,
        CaseStatus::AwaitingUser,
        CaseStatus::Approved,
        CaseStatus::Rejected,
        CaseStatus::Closed,
        CaseStatus::Withdrawn,
        CaseStatus::Voided,
    ];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Submitted => "submitted",
            CaseStatus::InReview => "in_review",
            CaseStatus::AwaitingUser => "awaiting_user",
            CaseStatus::Approved => "approved",
            CaseStatus::Rejected => "rejected",
            CaseStatus::Closed => "closed",
            CaseStatus::Withdrawn => "withdrawn",
            CaseStatus::Voided => "voided",
        }
    }

    /// As staff read it: the appellant is "the appellant", never "you".
    pub fn staff_label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (CaseStatus::AwaitingUser, Lang::Zh) => "待申诉人补充材料",
            (CaseStatus::AwaitingUser, Lang::En) => "Awaiting the appellant",
            (other, lang) => other.label(lang),
        }
    }

    /// As the appellant reads it (the tracking page, mail).
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (CaseStatus::Submitted, Lang::Zh) => "已提交",
            (CaseStatus::Submitted, Lang::En) => "Submitted",
            (CaseStatus::InReview, Lang::Zh) => "审核中",
            (CaseStatus::InReview, Lang::En) => "In review",
            (CaseStatus::AwaitingUser, Lang::Zh) => "待补充材料",
            (CaseStatus::AwaitingUser, Lang::En) => "Awaiting your reply",
            (CaseStatus::Approved, Lang::Zh) => "已通过",
            (CaseStatus::Approved, Lang::En) => "Approved",
            (CaseStatus::Rejected, Lang::Zh) => "未通过",
            (CaseStatus::Rejected, Lang::En) => "Rejected",
            (CaseStatus::Closed, Lang::Zh) => "已结案",
            (CaseStatus::Closed, Lang::En) => "Closed",
            (CaseStatus::Withdrawn, Lang::Zh) => "已撤回",
            (CaseStatus::Withdrawn, Lang::En) => "Withdrawn",
            (CaseStatus::Voided, Lang::Zh) => "已作废",
            (CaseStatus::Voided, Lang::En) => "Voided",
        }
    }
}

impl Stored for CaseStatus {
    const WHAT: &'static str = "case status";
    const ALL: &'static [Self] = &CaseStatus::ALL;

    fn stored(self) -> &'static str {
        self.as_str()
    }
}

/// What can happen to a case. Who may do it is the caller's rule (web layer); whether
/// it may happen now is this state machine's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// An agent takes a submitted case.
    Claim,
    /// A supervisor gives the case to an agent (also to move it between agents).
    Assign,
    RequestEvidence,
    /// The appellant answers a request for evidence on the tracking page.
    AppellantReplied,
    /// Nobody answered the request in time (the periodic job).
    CloseNoResponse,
    Approve,
    Reject,
    /// The agent records that the decision was carried out.
    RecordCarriedOut,
    Withdraw,
    /// A supervisor voids an abusive filing, or one filed in someone else's name.
    Void,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: CaseStatus,
    pub action: Action,
}

/// One wording per refused step, whoever meets it: the appellant's own steps say what
/// they can no longer do, the agents' say the case has moved on.
impl Refusal for IllegalTransition {
    fn message(&self, lang: Lang) -> String {
        match self.action {
            Action::AppellantReplied => lang.t(
                "这个案件现在不需要回复，或回复期限已过。",
                "This case is not waiting for a reply now, or the time to reply has passed.",
            ),
            Action::Withdraw => lang.t(
                "申诉已有决定或已结案，无法撤回。",
                "The appeal has a decision or is closed: it can no longer be withdrawn.",
            ),
            _ => lang.t(
                "案件当前的状态不允许这个操作，可能已有其他人处理。请刷新后再试。",
                "The case does not allow this now; someone may have acted first. Reload and try again.",
            ),
        }
        .to_owned()
    }
}

impl CaseStatus {
    /// The status after `action`, or why it cannot happen now.
    pub fn after(self, action: Action) -> Result<CaseStatus, IllegalTransition> {
        use Action::*;
        use CaseStatus::*;
        let next = match (self, action) {
            (Submitted, Claim | Assign) => Some(InReview),
            (InReview | AwaitingUser, Assign) => Some(self),
            (InReview, RequestEvidence) => Some(AwaitingUser),
            (AwaitingUser, AppellantReplied) => Some(InReview),
            (AwaitingUser, CloseNoResponse) => Some(Closed),
            (InReview, Approve) => Some(Approved),
            (InReview, Reject) => Some(Rejected),
            (Approved | Rejected, RecordCarriedOut) => Some(Closed),
            (Submitted | InReview | AwaitingUser, Withdraw) => Some(Withdrawn),
            (Submitted | InReview | AwaitingUser | Approved | Rejected, Void) => Some(Voided),
            _ => None,
        };
        next.ok_or(IllegalTransition { from: self, action })
    }

    pub fn allows(self, action: Action) -> bool {
        self.after(action).is_ok()
    }

    /// Still waiting for somebody: counted in queues and deadlines.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CaseStatus::Submitted | CaseStatus::InReview | CaseStatus::AwaitingUser
        )
    }

    pub const OPEN: [CaseStatus; 3] = [
        CaseStatus::Submitted,
        CaseStatus::InReview,
        CaseStatus::AwaitingUser,
    ];
}

impl Action {
    pub const ALL: [Action; 10] = [
        Action::Claim,
        Action::Assign,
        Action::RequestEvidence,
        Action::AppellantReplied,
        Action::CloseNoResponse,
        Action::Approve,
        Action::Reject,
        Action::RecordCarriedOut,
        Action::Withdraw,
        Action::Void,
    ];

    /// The audit trail's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Claim => "claimed",
            Action::Assign => "assigned",
            Action::RequestEvidence => "evidence_requested",
            Action::AppellantReplied => "appellant_replied",
            Action::CloseNoResponse => "closed_no_response",
            Action::Approve => "approved",
            Action::Reject => "rejected",
            Action::RecordCarriedOut => "carried_out",
            Action::Withdraw => "withdrawn",
            Action::Void => "voided",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_form_round_trips() {
        for status in CaseStatus::ALL {
            assert_eq!(CaseStatus::from_stored(status.as_str()), Some(status));
        }
        assert_eq!(CaseStatus::AwaitingUser.as_str(), "awaiting_user");
        assert_eq!(CaseStatus::from_stored("InReview"), None);
        assert_eq!(CaseStatus::from_stored(""), None);
    }

    #[test]
    fn labels_in_both_languages() {
        assert_eq!(CaseStatus::AwaitingUser.label(Lang::Zh), "待补充材料");
        assert_eq!(
            CaseStatus::AwaitingUser.label(Lang::En),
            "Awaiting your reply"
        );
        assert_eq!(CaseStatus::Rejected.label(Lang::Zh), "未通过");
        assert_eq!(
            CaseStatus::AwaitingUser.staff_label(Lang::En),
            "Awaiting the appellant"
        );
        for status in CaseStatus::ALL {
            assert!(!status.label(Lang::Zh).is_empty() && !status.label(Lang::En).is_empty());
            assert!(!status.staff_label(Lang::En).contains("your"));
        }
    }

    #[test]
    fn every_transition_of_the_state_machine() {
        use Action::*;
        use CaseStatus::*;
        let legal = [
            (Submitted, Claim, InReview),
            (Submitted, Assign, InReview),
            (InReview, Assign, InReview),
            (AwaitingUser, Assign, AwaitingUser),
            (InReview, RequestEvidence, AwaitingUser),
            (AwaitingUser, AppellantReplied, InReview),
            (AwaitingUser, CloseNoResponse, Closed),
            (InReview, Approve, Approved),
            (InReview, Reject, Rejected),
            (Approved, RecordCarriedOut, Closed),
            (Rejected, RecordCarriedOut, Closed),
            (Submitted, Withdraw, Withdrawn),
            (InReview, Withdraw, Withdrawn),
            (AwaitingUser, Withdraw, Withdrawn),
            (Submitted, Void, Voided),
            (InReview, Void, Voided),
            (AwaitingUser, Void, Voided),
            (Approved, Void, Voided),
            (Rejected, Void, Voided),
        ];
        for from in CaseStatus::ALL {
            for action in Action::ALL {
                let expected = legal
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                match expected {
                    Some(to) => assert_eq!(from.after(action), Ok(to), "{from:?} {action:?}"),
                    None => assert_eq!(
                        from.after(action),
                        Err(IllegalTransition { from, action }),
                        "{from:?} {action:?} must be refused"
                    ),
                }
            }
        }
    }

    #[test]
    fn no_way_out_of_a_final_status_and_no_withdrawal_after_a_decision() {
        for action in Action::ALL {
            for end in [
                CaseStatus::Closed,
                CaseStatus::Withdrawn,
                CaseStatus::Voided,
            ] {
                assert!(!end.allows(action), "{end:?} {action:?}");
            }
        }
        assert!(!CaseStatus::Approved.allows(Action::Withdraw));
        assert!(!CaseStatus::Rejected.allows(Action::Withdraw));
    }
}
