//! Free text written into a case after filing: an agent's request, reason or note, the
//! appellant's reply. Same care as the filing's own account: no control characters
//! (they also break PostgreSQL text), and never a payment password or SMS code.

use super::evidence::secret::looks_like_secret;
use super::{Lang, Refusal};

pub const MAX_CHARS: usize = 2000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseText(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseTextError {
    Empty,
    TooLong { len: usize },
    ControlCharacter,
    ContainsSecret,
}

impl CaseText {
    pub fn parse(raw: &str) -> Result<Self, CaseTextError> {
        let text = without_bidi_controls(raw);
        let text = text.trim();
        if text.is_empty() {
            return Err(CaseTextError::Empty);
        }
        if has_control(text) {
            return Err(CaseTextError::ControlCharacter);
        }
        let len = text.chars().count();
        if len > MAX_CHARS {
            return Err(CaseTextError::TooLong { len });
        }
        if looks_like_secret(text) {
            return Err(CaseTextError::ContainsSecret);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The text without bidirectional controls (U+202A–U+202E, U+2066–U+2069, LRM, RLM, ALM):
/// a right-to-left override can make an agent read "gnp.exe" as "exe.png" or reorder an
/// amount; the letters themselves keep their own direction without them.
pub fn without_bidi_controls(text: &str) -> String {
    text.chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
            )
        })
        .collect()
}

/// Control characters other than line breaks and tabs: never part of what a person wrote.
pub fn has_control(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

impl Refusal for CaseTextError {
    fn message(&self, lang: Lang) -> String {
        match self {
            CaseTextError::Empty => lang.t("请填写内容。", "Write something here.").to_owned(),
            CaseTextError::TooLong { len } => match lang {
                Lang::Zh => format!("最多 {MAX_CHARS} 个字（现在 {len} 个字）。"),
                Lang::En => format!("At most {MAX_CHARS} characters (now {len})."),
            },
            CaseTextError::ControlCharacter => lang
                .t(
                    "文字中有不可见的控制字符，请以纯文本重新粘贴。",
                    "The text has invisible control characters: paste it again as plain text.",
                )
                .to_owned(),
            CaseTextError::ContainsSecret => lang
                .t(
                    "请删除支付密码或短信验证码：本平台从不索取，也不需要。",
                    "Remove the payment password or SMS code: AppealDesk never asks for them and never needs them.",
                )
                .to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_controls_are_taken_out_of_case_text() {
        let text = CaseText::parse("账单 \u{202E}gnp.exe\u{202C} 附上 \u{2067}x\u{2069}").unwrap();
        assert_eq!(text.as_str(), "账单 gnp.exe 附上 x");
    }

    #[test]
    fn case_text_is_trimmed_bounded_and_free_of_controls_and_secrets() {
        assert_eq!(CaseText::parse("  好的  ").unwrap().as_str(), "好的");
        assert_eq!(CaseText::parse(" \n "), Err(CaseTextError::Empty));
        assert_eq!(
            CaseText::parse("a\u{0}b"),
            Err(CaseTextError::ControlCharacter)
        );
        assert!(CaseText::parse("line one\nline two\tok").is_ok());
        assert_eq!(
            CaseText::parse(&"字".repeat(MAX_CHARS + 1)),
            Err(CaseTextError::TooLong { len: MAX_CHARS + 1 })
        );
        assert!(CaseText::parse(&"字".repeat(MAX_CHARS)).is_ok());
        assert_eq!(
            CaseText::parse("收到的验证码是 482913"),
            Err(CaseTextError::ContainsSecret)
        );
    }
}
