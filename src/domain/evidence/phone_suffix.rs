//! The last 4 digits of the phone number bound to the recipient's WeChat account: helps WeChat Pay
//! support confirm which account received the money.

use super::{DigitsProblem, check_digits};
use crate::domain::normalize::ascii_fold;
use crate::domain::{Lang, Refusal};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PhoneSuffix(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneSuffixError {
    Empty,
    NotDigits,
    WrongLength { len: usize },
}

impl PhoneSuffix {
    pub fn parse(raw: &str) -> Result<Self, PhoneSuffixError> {
        let folded = ascii_fold(raw);
        let digits = folded.trim();
        check_digits(digits, 4).map_err(|problem| match problem {
            DigitsProblem::Empty => PhoneSuffixError::Empty,
            DigitsProblem::NotDigits => PhoneSuffixError::NotDigits,
            DigitsProblem::WrongLength(len) => PhoneSuffixError::WrongLength { len },
        })?;
        Ok(PhoneSuffix(digits.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Refusal for PhoneSuffixError {
    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Empty, Lang::Zh) => "请填写对方（收款人）微信绑定手机号的后 4 位数字".into(),
            (Self::Empty, Lang::En) => {
                "Enter the last 4 digits of the phone number bound to the recipient's WeChat account".into()
            }
            (Self::NotDigits, Lang::Zh) => "对方微信绑定手机号的后 4 位只能是数字，例如 0123".into(),
            (Self::NotDigits, Lang::En) => "The last 4 digits of the phone number bound to the recipient's \
                WeChat account are digits only, for example 0123"
                .into(),
            (Self::WrongLength { len }, Lang::Zh) => {
                format!("只填对方微信绑定手机号的最后 4 位数字，这里有 {len} 位")
            }
            (Self::WrongLength { len }, Lang::En) => format!(
                "Enter only the last 4 digits of the phone number bound to the recipient's WeChat account \
                 ({len} digits entered)"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_four_digits() {
        assert_eq!(
            PhoneSuffix::parse(" 0123 ").map(|p| p.as_str().to_owned()),
            Ok("0123".into())
        );
        assert_eq!(
            PhoneSuffix::parse("０１２３").map(|p| p.0),
            Ok("0123".into())
        );
    }

    #[test]
    fn refusals() {
        use PhoneSuffixError::*;
        assert_eq!(PhoneSuffix::parse(""), Err(Empty));
        assert_eq!(PhoneSuffix::parse("12a4"), Err(NotDigits));
        assert_eq!(PhoneSuffix::parse("12 34"), Err(NotDigits));
        assert_eq!(
            PhoneSuffix::parse("13812345678"),
            Err(WrongLength { len: 11 })
        );
        assert_eq!(PhoneSuffix::parse("123"), Err(WrongLength { len: 3 }));
        assert!(
            WrongLength { len: 11 }
                .message(Lang::Zh)
                .contains("对方微信绑定手机号")
        );
    }

    proptest! {
        #[test]
        fn any_four_digits(d in "[0-9]{4}") {
            prop_assert_eq!(PhoneSuffix::parse(&d).map(|p| p.0), Ok(d));
        }
    }
}
