//! The standard reasons an agent picks from when deciding; the text stays editable.

use super::Lang;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Approved,
    Rejected,
}

pub struct StandardReason {
    pub code: &'static str,
    pub outcome: Outcome,
    pub zh: &'static str,
    pub en: &'static str,
}

pub const STANDARD_REASONS: &[StandardReason] = &[
    StandardReason {
        code: "evidence_complete",
        outcome: Outcome::Approved,
        zh: "证据完整且与交易记录一致，已安排退回款项。",
        en: "The evidence is complete and matches the payment record; the return of the money has been arranged.",
    },
    StandardReason {
        code: "recipient_agreed",
        outcome: Outcome::Approved,
        zh: "对方已同意退回款项。",
        en: "The recipient agreed to return the money.",
    },
    StandardReason {
        code: "already_claimed",
        outcome: Outcome::Rejected,
        zh: "款项已被对方领取，无法由客服退回。",
        en: "The money was already claimed and cannot be returned by customer service.",
    },
    StandardReason {
        code: "evidence_mismatch",
        outcome: Outcome::Rejected,
        zh: "提供的证据与交易记录不符。",
        en: "The evidence given does not match the payment record.",
    },
    StandardReason {
        code: "not_a_mistake",
        outcome: Outcome::Rejected,
        zh: "这笔付款不属于误转。",
        en: "This payment was not sent by mistake.",
    },
];

impl StandardReason {
    pub fn find(code: &str) -> Option<&'static StandardReason> {
        STANDARD_REASONS.iter().find(|r| r.code == code)
    }

    pub fn text(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.zh,
            Lang::En => self.en,
        }
    }
}

pub fn reasons_for(outcome: Outcome) -> impl Iterator<Item = &'static StandardReason> {
    STANDARD_REASONS
        .iter()
        .filter(move |r| r.outcome == outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_outcome_has_standard_reasons_with_unique_codes() {
        assert!(reasons_for(Outcome::Approved).count() >= 2);
        assert!(reasons_for(Outcome::Rejected).count() >= 2);
        for r in STANDARD_REASONS {
            assert_eq!(StandardReason::find(r.code).map(|f| f.code), Some(r.code));
            assert!(!r.text(Lang::Zh).is_empty() && !r.text(Lang::En).is_empty());
        }
    }
}
