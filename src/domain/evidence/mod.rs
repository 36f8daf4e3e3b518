//! One type per piece of evidence. Each parse folds full-width input first
//! (normalize::ascii_fold), because appellants paste from Chinese keyboards and receipts.

pub mod account;
pub mod card_last4;
pub mod email;
pub mod packet_kind;
pub mod phone_suffix;
pub mod sent_at;
pub mod transaction_id;
pub mod wechat_id;

pub(crate) mod secret;

pub use account::{Account, AccountError};
pub use card_last4::{CardLast4, CardLast4Error};
pub use email::{Email, EmailError};
pub use packet_kind::{PacketKind, PacketKindError};
pub use phone_suffix::{PhoneSuffix, PhoneSuffixError};
pub use sent_at::{SentAt, SentAtError};
pub use transaction_id::{TransactionId, TransactionIdError};
pub use wechat_id::{WechatId, WechatIdError};

/// What is wrong with a field that must be exactly `len` ASCII digits.
#[derive(Debug, PartialEq, Eq)]
enum DigitsProblem {
    Empty,
    NotDigits,
    WrongLength(usize),
}

fn check_digits(s: &str, len: usize) -> Result<(), DigitsProblem> {
    if s.is_empty() {
        Err(DigitsProblem::Empty)
    } else if !s.bytes().all(|b| b.is_ascii_digit()) {
        Err(DigitsProblem::NotDigits)
    } else if s.len() != len {
        Err(DigitsProblem::WrongLength(s.len()))
    } else {
        Ok(())
    }
}
