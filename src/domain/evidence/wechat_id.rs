//! The appellant's WeChat ID (微信号): who files, and the key of the yearly quota.

use crate::domain::normalize::ascii_fold;
use crate::domain::{Lang, Refusal};

/// Trimmed and ASCII-lowercased: WeChat IDs are case-insensitive, and one person must map to
/// one quota key however they type it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WechatId(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WechatIdError {
    Empty,
    WrongLength,
    MustStartWithLetter,
    BadCharacter,
}

impl WechatId {
    pub const MIN_LEN: usize = 6;
    pub const MAX_LEN: usize = 20;

    /// WeChat's rules: 6–20 characters, a letter first, then letters, digits, `_` or `-`.
    pub fn parse(raw: &str) -> Result<Self, WechatIdError> {
        let id = ascii_fold(raw).trim().to_ascii_lowercase();
        let Some(first) = id.chars().next() else {
            return Err(WechatIdError::Empty);
        };
        if !first.is_ascii_alphabetic() {
            return Err(WechatIdError::MustStartWithLetter);
        }
        if !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(WechatIdError::BadCharacter);
        }
        // All ASCII from here, so bytes are characters.
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&id.len()) {
            return Err(WechatIdError::WrongLength);
        }
        Ok(WechatId(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Refusal for WechatIdError {
    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Empty, Lang::Zh) => "请填写你的微信号：微信 → 我，名字下方显示的“微信号”".into(),
            (Self::Empty, Lang::En) => "Enter your WeChat ID: in WeChat → Me, shown under your name".into(),
            (Self::WrongLength, Lang::Zh) => "微信号为 6 至 20 个字符，请在微信 → 我 里核对".into(),
            (Self::WrongLength, Lang::En) => {
                "A WeChat ID has 6 to 20 characters; check yours in WeChat → Me".into()
            }
            (Self::MustStartWithLetter, Lang::Zh) => {
                "微信号以英文字母开头；请填写微信号，而不是昵称或手机号".into()
            }
            (Self::MustStartWithLetter, Lang::En) => {
                "A WeChat ID starts with a letter (a–z); enter the WeChat ID, not your name or phone number".into()
            }
            (Self::BadCharacter, Lang::Zh) => {
                "微信号只含英文字母、数字、下划线 _ 和减号 -，不能有空格、中文或其他符号".into()
            }
            (Self::BadCharacter, Lang::En) => {
                "A WeChat ID has only letters, digits, _ and -: no spaces, Chinese characters or other symbols"
                    .into()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalises_to_the_quota_key() {
        assert_eq!(
            WechatId::parse("  Wang_Xiao-Ming88 ").map(|w| w.as_str().to_owned()),
            Ok("wang_xiao-ming88".into())
        );
        assert_eq!(
            WechatId::parse("ＷＸ１２３４５６").map(|w| w.0),
            Ok("wx123456".into())
        );
        assert_eq!(WechatId::parse("abcdef").map(|w| w.0), Ok("abcdef".into()));
        assert_eq!(
            WechatId::parse("a1234567890123456789").map(|w| w.0.len()),
            Ok(20)
        );
    }

    #[test]
    fn refusals() {
        use WechatIdError::*;
        assert_eq!(WechatId::parse(" "), Err(Empty));
        assert_eq!(WechatId::parse("abcde"), Err(WrongLength));
        assert_eq!(WechatId::parse("a12345678901234567890"), Err(WrongLength));
        assert_eq!(WechatId::parse("13812345678"), Err(MustStartWithLetter));
        assert_eq!(WechatId::parse("_abcdef"), Err(MustStartWithLetter));
        assert_eq!(WechatId::parse("王小明"), Err(MustStartWithLetter));
        assert_eq!(WechatId::parse("wang xiaoming"), Err(BadCharacter));
        assert_eq!(WechatId::parse("wang.xiaoming"), Err(BadCharacter));
        assert_eq!(WechatId::parse("wang小明123"), Err(BadCharacter));
    }

    proptest! {
        #[test]
        fn valid_ids_are_accepted_lowercased(id in "[a-zA-Z][a-zA-Z0-9_-]{5,19}") {
            prop_assert_eq!(WechatId::parse(&id).map(|w| w.0), Ok(id.to_ascii_lowercase()));
        }

        #[test]
        fn case_does_not_change_the_key(id in "[a-z][a-z0-9_-]{5,19}") {
            prop_assert_eq!(WechatId::parse(&id.to_ascii_uppercase()), WechatId::parse(&id));
        }
    }
}
