//! Saved replies: texts supervisors keep in both languages for agents to start from, where
//! each applies, and the placeholders filled from the case.

use super::stored::Stored;
use super::text::{CaseText, CaseTextError};
use super::{Lang, Refusal};

/// Where a saved reply may be picked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyUse {
    EvidenceRequest,
    DecisionReason,
    Note,
}

impl ReplyUse {
    pub const ALL: [ReplyUse; 3] = [
        ReplyUse::EvidenceRequest,
        ReplyUse::DecisionReason,
        ReplyUse::Note,
    ];

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            ReplyUse::EvidenceRequest => lang.t("要求补充材料", "Evidence request"),
            ReplyUse::DecisionReason => lang.t("决定理由", "Decision reason"),
            ReplyUse::Note => lang.t("内部备注", "Internal note"),
        }
    }

    /// The action form on the case page whose text it fills.
    pub fn form(self) -> &'static str {
        match self {
            ReplyUse::EvidenceRequest => "request-evidence",
            ReplyUse::DecisionReason => "decide",
            ReplyUse::Note => "note",
        }
    }
}

impl Stored for ReplyUse {
    const WHAT: &'static str = "saved reply use";
    const ALL: &'static [Self] = &ReplyUse::ALL;

    fn stored(self) -> &'static str {
        match self {
            ReplyUse::EvidenceRequest => "evidence_request",
            ReplyUse::DecisionReason => "decision_reason",
            ReplyUse::Note => "note",
        }
    }
}

/// A saved reply as a supervisor wrote it: a title and both texts, each a valid case text.
#[derive(Clone, Debug)]
pub struct SavedReply {
    pub title: String,
    pub zh: CaseText,
    pub en: CaseText,
    pub applies_to: ReplyUse,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SavedReplyError {
    NoTitle,
    TitleTooLong,
    UnknownUse,
    Zh(CaseTextError),
    En(CaseTextError),
}

pub const TITLE_MAX_CHARS: usize = 80;

impl SavedReply {
    pub fn parse(
        title: &str,
        zh: &str,
        en: &str,
        applies_to: &str,
    ) -> Result<Self, SavedReplyError> {
        let title = title.trim();
        if title.is_empty() {
            return Err(SavedReplyError::NoTitle);
        }
        if title.chars().count() > TITLE_MAX_CHARS || title.chars().any(char::is_control) {
            return Err(SavedReplyError::TitleTooLong);
        }
        let applies_to = ReplyUse::from_stored(applies_to).ok_or(SavedReplyError::UnknownUse)?;
        Ok(Self {
            title: title.to_owned(),
            zh: CaseText::parse(zh).map_err(SavedReplyError::Zh)?,
            en: CaseText::parse(en).map_err(SavedReplyError::En)?,
            applies_to,
        })
    }
}

impl Refusal for SavedReplyError {
    fn message(&self, lang: Lang) -> String {
        match self {
            SavedReplyError::NoTitle => lang.t("请填写标题。", "Give it a title.").to_owned(),
            SavedReplyError::TitleTooLong => match lang {
                Lang::Zh => format!("标题最多 {TITLE_MAX_CHARS} 个字，且不能含控制字符。"),
                Lang::En => format!(
                    "A title has at most {TITLE_MAX_CHARS} characters and no control characters."
                ),
            },
            SavedReplyError::UnknownUse => lang
                .t("请选择适用的位置。", "Choose where it applies.")
                .to_owned(),
            SavedReplyError::Zh(e) => format!(
                "{}{}",
                lang.t("中文文本：", "Chinese text: "),
                e.message(lang)
            ),
            SavedReplyError::En(e) => format!(
                "{}{}",
                lang.t("英文文本：", "English text: "),
                e.message(lang)
            ),
        }
    }
}

/// What a saved reply's placeholders stand for on one case.
pub struct Placeholders<'a> {
    pub case_number: &'a str,
    /// The review deadline, as the appellant reads dates.
    pub deadline: &'a str,
    /// "¥520.00".
    pub amount: &'a str,
}

/// The text with `{case_number}`, `{deadline}` and `{amount}` filled in; any other brace
/// is left as written.
pub fn fill(text: &str, with: &Placeholders<'_>) -> String {
    text.replace("{case_number}", with.case_number)
        .replace("{deadline}", with.deadline)
        .replace("{amount}", with.amount)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_others_left_alone() {
        let filled = fill(
            "Case {case_number}: by {deadline}, {amount}; {other}",
            &Placeholders {
                case_number: "AD1",
                deadline: "5 Dec 2026",
                amount: "¥520.00",
            },
        );
        assert_eq!(filled, "Case AD1: by 5 Dec 2026, ¥520.00; {other}");
    }

    #[test]
    fn a_reply_needs_a_title_both_texts_and_a_known_use() {
        assert!(
            SavedReply::parse(
                "Receipt",
                "请补充电子回单。",
                "Please send the e-receipt.",
                "evidence_request"
            )
            .is_ok()
        );
        assert_eq!(
            SavedReply::parse(" ", "a", "b", "note").unwrap_err(),
            SavedReplyError::NoTitle
        );
        assert_eq!(
            SavedReply::parse("t", "a", "b", "mail").unwrap_err(),
            SavedReplyError::UnknownUse
        );
        assert!(matches!(
            SavedReply::parse("t", "", "b", "note"),
            Err(SavedReplyError::Zh(_))
        ));
        for e in [SavedReplyError::NoTitle, SavedReplyError::UnknownUse] {
            assert!(!e.message(Lang::Zh).is_empty() && !e.message(Lang::En).is_empty());
        }
    }
}
