//! The standard reasons an agent picks from when deciding; the text stays editable.

use super::text::{CaseText, CaseTextError};
use super::{Lang, Refusal};

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

/// An agent's decision as the form gives it: the outcome and its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub outcome: Outcome,
    pub reason: DecisionReason,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecisionReason {
    /// The agent's own words.
    Written(CaseText),
    /// A standard reason, told to the appellant in the language they filed in.
    Standard(&'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecisionError {
    /// No outcome, or a standard reason of the other outcome.
    NoMatchingChoice,
    Text(CaseTextError),
}

impl Decision {
    /// The agent's own words win; otherwise the chosen standard reason. The outcome may be
    /// left to the reason, but never contradict it.
    pub fn parse(outcome: &str, reason_code: &str, text: &str) -> Result<Self, DecisionError> {
        let standard = StandardReason::find(reason_code.trim());
        let outcome = match outcome.trim() {
            "approved" => Some(Outcome::Approved),
            "rejected" => Some(Outcome::Rejected),
            _ => standard.map(|r| r.outcome),
        }
        .filter(|o| standard.is_none_or(|r| r.outcome == *o))
        .ok_or(DecisionError::NoMatchingChoice)?;
        let reason = match standard {
            Some(r) if text.trim().is_empty() => DecisionReason::Standard(r.code),
            _ => DecisionReason::Written(CaseText::parse(text).map_err(DecisionError::Text)?),
        };
        Ok(Self { outcome, reason })
    }
}

impl DecisionReason {
    pub fn text(&self, lang: Lang) -> &str {
        match self {
            DecisionReason::Written(text) => text.as_str(),
            DecisionReason::Standard(code) => {
                StandardReason::find(code).map_or("", |r| r.text(lang))
            }
        }
    }
}

impl Refusal for DecisionError {
    fn message(&self, lang: Lang) -> String {
        match self {
            DecisionError::NoMatchingChoice => lang
                .t(
                    "请选择通过或驳回，以及相应的理由。",
                    "Choose approve or reject, and a matching reason.",
                )
                .to_owned(),
            DecisionError::Text(e) => e.message(lang),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_takes_its_outcome_from_the_form_or_the_reason_never_against_it() {
        let d = Decision::parse("", "already_claimed", "").expect("standard reason");
        assert_eq!(d.outcome, Outcome::Rejected);
        assert_eq!(
            d.reason.text(Lang::En),
            "The money was already claimed and cannot be returned by customer service."
        );
        assert_eq!(
            Decision::parse("approved", "already_claimed", ""),
            Err(DecisionError::NoMatchingChoice)
        );
        assert_eq!(
            Decision::parse("", "", "words"),
            Err(DecisionError::NoMatchingChoice)
        );
        assert_eq!(
            Decision::parse("approved", "", ""),
            Err(DecisionError::Text(CaseTextError::Empty))
        );
        let own =
            Decision::parse("approved", "recipient_agreed", " Paid back. ").expect("own words");
        assert_eq!(own.reason.text(Lang::Zh), "Paid back.");
    }

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
