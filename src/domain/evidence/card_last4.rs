//! The last 4 digits of the bank card the appellant paid with, as the bill shows it.

use super::{DigitsProblem, check_digits};
use crate::domain::normalize::ascii_fold;
use crate::domain::{Lang, Refusal};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CardLast4(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardLast4Error {
    Empty,
    NotDigits,
    WrongLength { len: usize },
}

impl CardLast4 {
    pub fn parse(raw: &str) -> Result<Self, CardLast4Error> {
        let folded = ascii_fold(raw);
        let digits = folded.trim();
        check_digits(digits, 4).map_err(|problem| match problem {
            DigitsProblem::Empty => CardLast4Error::Empty,
            DigitsProblem::NotDigits => CardLast4Error::NotDigits,
            DigitsProblem::WrongLength(len) => CardLast4Error::WrongLength { len },
        })?;
        Ok(CardLast4(digits.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Refusal for CardLast4Error {
    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Empty, Lang::Zh) => {
                "请填写付款银行卡的卡号后 4 位：账单详情“支付方式”里括号中的 4 位数字".into()
            }
            (Self::Empty, Lang::En) => {
                "Enter the last 4 digits of the bank card you paid with: the 4 digits in \
                brackets under Payment method in the bill details"
                    .into()
            }
            (Self::NotDigits, Lang::Zh) => "银行卡号后 4 位只能是数字，例如 6789".into(),
            (Self::NotDigits, Lang::En) => {
                "The card's last 4 digits are digits only, for example 6789".into()
            }
            (Self::WrongLength { len }, Lang::Zh) => {
                format!("只填银行卡号的最后 4 位数字，这里有 {len} 位；请勿填写完整卡号")
            }
            (Self::WrongLength { len }, Lang::En) => format!(
                "Enter only the last 4 digits of the card ({len} digits entered); never the full card number"
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
            CardLast4::parse("6789").map(|c| c.as_str().to_owned()),
            Ok("6789".into())
        );
        assert_eq!(
            CardLast4::parse("\u{3000}６７８９").map(|c| c.0),
            Ok("6789".into())
        );
    }

    #[test]
    fn refusals() {
        use CardLast4Error::*;
        assert_eq!(CardLast4::parse("  "), Err(Empty));
        assert_eq!(CardLast4::parse("67-9"), Err(NotDigits));
        assert_eq!(
            CardLast4::parse("6222021234567890123"),
            Err(WrongLength { len: 19 })
        );
        assert!(
            WrongLength { len: 19 }
                .message(Lang::En)
                .contains("never the full card number")
        );
    }

    proptest! {
        #[test]
        fn other_lengths_are_refused(d in "[0-9]{0,12}") {
            prop_assume!(d.len() != 4 && !d.is_empty());
            prop_assert_eq!(CardLast4::parse(&d), Err(CardLast4Error::WrongLength { len: d.len() }));
        }
    }
}
