//! The appellant's own account of the mistake, in their words.

use super::secret::looks_like_secret;
use crate::domain::{Lang, Refusal};

/// Stored as written (trimmed): it is the appellant's testimony, so it is not folded.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Account(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountError {
    Empty,
    TooShort { len: usize },
    TooLong { len: usize },
    ControlCharacter,
    ContainsSecret,
}

impl Account {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 2000;

    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        // Shown to agents: no bidirectional override may reorder what they read.
        let text = crate::domain::text::without_bidi_controls(raw);
        let text = text.trim();
        if text.is_empty() {
            return Err(AccountError::Empty);
        }
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(AccountError::ControlCharacter);
        }
        // The secret check folds full-width digits itself, and comes first: it matters most.
        if looks_like_secret(text) {
            return Err(AccountError::ContainsSecret);
        }
        let len = text.chars().count();
        if len < Self::MIN_CHARS {
            return Err(AccountError::TooShort { len });
        }
        if len > Self::MAX_CHARS {
            return Err(AccountError::TooLong { len });
        }
        Ok(Account(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Refusal for AccountError {
    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Empty, Lang::Zh) => "请说明经过：转给了谁、金额多少、为什么是误转".into(),
            (Self::Empty, Lang::En) => {
                "Tell us what happened: whom you paid, how much, and why it was a mistake".into()
            }
            (Self::TooShort { len }, Lang::Zh) => {
                format!("请至少用 10 个字说明经过（现在 {len} 个字）：转给了谁、为什么是误转")
            }
            (Self::TooShort { len }, Lang::En) => format!(
                "Tell us what happened in at least 10 characters (now {len}): whom you paid and why it was a mistake"
            ),
            (Self::TooLong { len }, Lang::Zh) => format!("经过说明最多 2000 个字（现在 {len} 个字），请精简"),
            (Self::TooLong { len }, Lang::En) => {
                format!("Keep your account to 2,000 characters at most (now {len}); shorten it")
            }
            (Self::ControlCharacter, Lang::Zh) => "文字中有不可见的控制字符，请以纯文本重新粘贴".into(),
            (Self::ControlCharacter, Lang::En) => {
                "The text has invisible control characters; paste it again as plain text".into()
            }
            (Self::ContainsSecret, Lang::Zh) => "请删除支付密码或短信验证码：本平台从不索取，也不需要。".into(),
            (Self::ContainsSecret, Lang::En) => {
                "Remove your payment password or SMS code: AppealDesk never asks for them and never needs them.".into()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STORY: &str = "我想给妈妈转账，却误转给了同名的陌生人。";

    #[test]
    fn keeps_the_words_as_written() {
        let raw = format!("  {STORY}\n第二天发现的。\t ");
        assert_eq!(
            Account::parse(&raw).map(|a| a.as_str().to_owned()),
            Ok(format!("{STORY}\n第二天发现的。"))
        );
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert_eq!(
            Account::parse("误转给陌生人了请帮忙").map(|a| a.0.chars().count()),
            Ok(10)
        );
        assert_eq!(
            Account::parse("误转给陌生人请帮忙"),
            Err(AccountError::TooShort { len: 9 })
        );
        assert!(Account::parse(&"错".repeat(2000)).is_ok());
        assert_eq!(
            Account::parse(&"错".repeat(2001)),
            Err(AccountError::TooLong { len: 2001 })
        );
    }

    #[test]
    fn refusals() {
        assert_eq!(Account::parse(" \u{3000}\n "), Err(AccountError::Empty));
        assert_eq!(
            Account::parse(&format!("{STORY}\u{7}")),
            Err(AccountError::ControlCharacter)
        );
        assert_eq!(
            Account::parse(&format!("{STORY}\u{1b}[31m")),
            Err(AccountError::ControlCharacter)
        );
        assert_eq!(
            Account::parse(&format!("{STORY}支付密码是 246810")),
            Err(AccountError::ContainsSecret)
        );
        assert_eq!(
            Account::parse("密码123456"),
            Err(AccountError::ContainsSecret)
        );
    }

    #[test]
    fn secret_message_is_the_product_wording() {
        assert_eq!(
            AccountError::ContainsSecret.message(Lang::En),
            "Remove your payment password or SMS code: AppealDesk never asks for them and never needs them."
        );
    }

    proptest! {
        #[test]
        fn a_code_after_a_keyword_is_always_refused(
            keyword in "(密码|支付密码|验证码|校验码|动态码|Password|passcode|PIN|verification code|SMS code|otp)",
            filler in "(| |: | is |是|为|号码是)",
            code in "[0-9]{4,8}",
        ) {
            let text = format!("{STORY}{keyword}{filler}{code} ");
            prop_assert_eq!(Account::parse(&text), Err(AccountError::ContainsSecret));
        }
    }
}
