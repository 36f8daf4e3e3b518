//! The Transaction ID (交易单号) from the WeChat Pay bill details: what ties an appeal to a payment.

use super::{DigitsProblem, check_digits};
use crate::domain::normalize::ascii_fold;
use crate::domain::{Lang, Refusal};

/// 19 ASCII digits starting with "10".
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TransactionId(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransactionIdError {
    Empty,
    NotDigits,
    WrongLength { len: usize },
    WrongPrefix,
}

impl TransactionId {
    pub const LEN: usize = 19;
    const PREFIX: &str = "10";

    /// Spaces are dropped: bills and copy-paste split long numbers into groups.
    pub fn parse(raw: &str) -> Result<Self, TransactionIdError> {
        let digits: String = ascii_fold(raw)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        check_digits(&digits, Self::LEN).map_err(|problem| match problem {
            DigitsProblem::Empty => TransactionIdError::Empty,
            DigitsProblem::NotDigits => TransactionIdError::NotDigits,
            DigitsProblem::WrongLength(len) => TransactionIdError::WrongLength { len },
        })?;
        if !digits.starts_with(Self::PREFIX) {
            return Err(TransactionIdError::WrongPrefix);
        }
        Ok(TransactionId(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Refusal for TransactionIdError {
    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Empty, Lang::Zh) => "请填写交易单号：微信支付账单详情里的“交易单号”，共 19 位数字".into(),
            (Self::Empty, Lang::En) => {
                "Enter the Transaction ID: 19 digits, shown as the Transaction ID in the WeChat Pay bill details".into()
            }
            (Self::NotDigits, Lang::Zh) => {
                "交易单号只有数字，请从微信支付账单详情里的“交易单号”复制".into()
            }
            (Self::NotDigits, Lang::En) => {
                "The Transaction ID is digits only; copy it from the Transaction ID in the WeChat Pay bill details"
                    .into()
            }
            (Self::WrongLength { len }, Lang::Zh) => {
                format!("交易单号是 19 位数字，这里有 {len} 位；请核对微信支付账单详情里的“交易单号”")
            }
            (Self::WrongLength { len }, Lang::En) => format!(
                "The Transaction ID has 19 digits and this has {len}; check the Transaction ID in the WeChat Pay \
                 bill details"
            ),
            (Self::WrongPrefix, Lang::Zh) => {
                "交易单号以 10 开头；请确认复制的是微信支付账单详情里的“交易单号”，而不是其他单号".into()
            }
            (Self::WrongPrefix, Lang::En) => "The Transaction ID starts with 10; make sure you copied the \
                Transaction ID in the WeChat Pay bill details, not another number"
                .into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_pasted_forms() {
        let id = "1000039901202611201";
        assert_eq!(
            TransactionId::parse(id).map(|t| t.as_str().to_owned()),
            Ok(id.to_owned())
        );
        assert_eq!(
            TransactionId::parse(" 1000 0399 0120 2611 201 ").map(|t| t.0),
            Ok(id.into())
        );
        assert_eq!(
            TransactionId::parse("１０００\u{3000}０３９９０１２０２６１１２０１").map(|t| t.0),
            Ok(id.into())
        );
    }

    #[test]
    fn refusals() {
        use TransactionIdError::*;
        assert_eq!(TransactionId::parse(""), Err(Empty));
        assert_eq!(TransactionId::parse(" \u{3000} "), Err(Empty));
        assert_eq!(TransactionId::parse("100003990120261120A"), Err(NotDigits));
        assert_eq!(TransactionId::parse("10-0003990120261120"), Err(NotDigits));
        assert_eq!(
            TransactionId::parse("100003990120261120"),
            Err(WrongLength { len: 18 })
        );
        assert_eq!(
            TransactionId::parse("4200001234202611201234567890"),
            Err(WrongLength { len: 28 })
        );
        assert_eq!(
            TransactionId::parse("2000039901202611201"),
            Err(WrongPrefix)
        );
    }

    #[test]
    fn messages_say_where_to_find_it() {
        for e in [
            TransactionIdError::Empty,
            TransactionIdError::WrongLength { len: 5 },
        ] {
            assert!(
                e.message(Lang::Zh)
                    .contains("微信支付账单详情里的“交易单号”")
            );
            assert!(
                e.message(Lang::En)
                    .contains("the Transaction ID in the WeChat Pay bill details")
            );
        }
        assert!(
            TransactionIdError::WrongLength { len: 18 }
                .message(Lang::En)
                .contains("18")
        );
    }

    fn full_width(c: char) -> char {
        char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)
    }

    proptest! {
        #[test]
        fn any_seventeen_digits_after_10_are_accepted(rest in "[0-9]{17}", gaps in proptest::collection::vec(0_usize..19, 0..5)) {
            let id = format!("10{rest}");
            prop_assert_eq!(TransactionId::parse(&id).map(|t| t.0), Ok(id.clone()));
            let mut spaced: Vec<String> = id.chars().map(|c| full_width(c).to_string()).collect();
            for (i, gap) in gaps.iter().enumerate() {
                spaced[*gap].push(if i % 2 == 0 { ' ' } else { '\u{3000}' });
            }
            prop_assert_eq!(TransactionId::parse(&spaced.concat()).map(|t| t.0), Ok(id));
        }

        #[test]
        fn any_other_length_is_refused(digits in "10[0-9]{0,30}") {
            prop_assume!(digits.len() != TransactionId::LEN);
            prop_assert_eq!(TransactionId::parse(&digits), Err(TransactionIdError::WrongLength { len: digits.len() }));
        }
    }
}
