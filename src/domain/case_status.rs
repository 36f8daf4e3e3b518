//! Where an appeal stands. Transitions come later, with the state machine.

use super::Lang;

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

    pub fn parse(s: &str) -> Option<Self> {
        CaseStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
    }

    /// As the appellant and the reviewer read it.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_form_round_trips() {
        for status in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(CaseStatus::AwaitingUser.as_str(), "awaiting_user");
        assert_eq!(CaseStatus::parse("InReview"), None);
        assert_eq!(CaseStatus::parse(""), None);
    }

    #[test]
    fn labels_in_both_languages() {
        assert_eq!(CaseStatus::AwaitingUser.label(Lang::Zh), "待补充材料");
        assert_eq!(
            CaseStatus::AwaitingUser.label(Lang::En),
            "Awaiting your reply"
        );
        assert_eq!(CaseStatus::Rejected.label(Lang::Zh), "未通过");
        for status in CaseStatus::ALL {
            assert!(!status.label(Lang::Zh).is_empty() && !status.label(Lang::En).is_empty());
        }
    }
}
