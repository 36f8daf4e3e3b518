//! The whole filing, parsed at once so that every refused field gets its own message.

use chrono::{DateTime, Utc};

use super::Refusal;
use super::claim::{ClaimRefusal, ClaimStatus};
use super::evidence::{
    Account, CardLast4, Email, PacketKind, PhoneSuffix, SentAt, TransactionId, WechatId,
};
use super::money::{Fen, parse_yuan};
use super::policy;

/// A field of the appeal form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    WechatId,
    Email,
    PacketKind,
    Amount,
    SentAt,
    TransactionId,
    CounterpartyPhoneSuffix,
    CardLast4,
    Account,
    /// Whether the recipient has claimed the payment (and, if so, the acknowledgement).
    ClaimStatus,
}

impl Field {
    /// In form order. (The fingerprint takes the first nine: the evidence.)
    pub const ALL: [Field; 10] = [
        Field::WechatId,
        Field::Email,
        Field::PacketKind,
        Field::Amount,
        Field::SentAt,
        Field::TransactionId,
        Field::CounterpartyPhoneSuffix,
        Field::CardLast4,
        Field::Account,
        Field::ClaimStatus,
    ];

    /// The form field's name.
    pub fn name(self) -> &'static str {
        match self {
            Field::WechatId => "wechat_id",
            Field::Email => "email",
            Field::PacketKind => "packet_kind",
            Field::Amount => "amount",
            Field::SentAt => "sent_at",
            Field::TransactionId => "transaction_id",
            Field::CounterpartyPhoneSuffix => "counterparty_phone_suffix",
            Field::CardLast4 => "card_last4",
            Field::Account => "account",
            Field::ClaimStatus => "claim_status",
        }
    }
}

/// The form as submitted, untouched.
#[derive(Clone, Debug, Default)]
pub struct RawAppeal {
    pub wechat_id: String,
    pub email: String,
    pub packet_kind: String,
    pub amount: String,
    pub sent_at: String,
    pub transaction_id: String,
    pub counterparty_phone_suffix: String,
    pub card_last4: String,
    pub account: String,
    pub claim_status: String,
    /// `acknowledge_claimed` was ticked.
    pub acknowledge_claimed: bool,
}

/// What the appellant says of the payment when filing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimAnswer {
    pub status: ClaimStatus,
    /// Claimed, and they said they understand it cannot be intercepted.
    pub acknowledged: bool,
}

impl ClaimAnswer {
    /// The answer a filing may go ahead with: claimed only when acknowledged, never
    /// returned.
    pub fn parse(raw: &RawAppeal) -> Result<ClaimAnswer, ClaimRefusal> {
        let status = ClaimStatus::parse(&raw.claim_status)?;
        match status {
            ClaimStatus::Returned => Err(ClaimRefusal::AlreadyReturned),
            ClaimStatus::Claimed if !raw.acknowledge_claimed => {
                Err(ClaimRefusal::ClaimedNotAcknowledged)
            }
            _ => Ok(ClaimAnswer {
                status,
                acknowledged: status == ClaimStatus::Claimed,
            }),
        }
    }
}

/// A filing whose every field passed, eligibility included.
#[derive(Clone, Debug)]
pub struct Appeal {
    pub wechat_id: WechatId,
    pub email: Email,
    pub packet_kind: PacketKind,
    pub amount: Fen,
    pub sent_at: SentAt,
    pub transaction_id: TransactionId,
    pub counterparty_phone_suffix: PhoneSuffix,
    pub card_last4: CardLast4,
    pub account: Account,
    pub claim: ClaimAnswer,
}

#[derive(Debug)]
pub struct FieldRefusal {
    pub field: Field,
    pub reason: Box<dyn Refusal>,
}

/// Every refused field, in form order.
#[derive(Debug, Default)]
pub struct Refusals(pub Vec<FieldRefusal>);

impl Refusals {
    pub fn get(&self, f: Field) -> Option<&dyn Refusal> {
        self.0
            .iter()
            .find(|r| r.field == f)
            .map(|r| r.reason.as_ref())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keeps the value, or records why the field was refused.
    fn check<T, E: Refusal + 'static>(&mut self, field: Field, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(reason) => {
                self.0.push(FieldRefusal {
                    field,
                    reason: Box::new(reason),
                });
                None
            }
        }
    }
}

impl Appeal {
    pub fn parse(raw: &RawAppeal, now: DateTime<Utc>) -> Result<Appeal, Refusals> {
        let mut refusals = Refusals::default();
        let r = &mut refusals;
        let amount =
            parse_yuan(&raw.amount).and_then(|fen| policy::check_eligible(fen).map(|()| fen));
        let parsed = (
            r.check(Field::WechatId, WechatId::parse(&raw.wechat_id)),
            r.check(Field::Email, Email::parse(&raw.email)),
            r.check(Field::PacketKind, PacketKind::parse(&raw.packet_kind)),
            r.check(Field::Amount, amount),
            r.check(Field::SentAt, SentAt::parse(&raw.sent_at, now)),
            r.check(
                Field::TransactionId,
                TransactionId::parse(&raw.transaction_id),
            ),
            r.check(
                Field::CounterpartyPhoneSuffix,
                PhoneSuffix::parse(&raw.counterparty_phone_suffix),
            ),
            r.check(Field::CardLast4, CardLast4::parse(&raw.card_last4)),
            r.check(Field::Account, Account::parse(&raw.account)),
            r.check(Field::ClaimStatus, ClaimAnswer::parse(raw)),
        );
        match parsed {
            (
                Some(wechat_id),
                Some(email),
                Some(packet_kind),
                Some(amount),
                Some(sent_at),
                Some(transaction_id),
                Some(counterparty_phone_suffix),
                Some(card_last4),
                Some(account),
                Some(claim),
            ) => Ok(Appeal {
                wechat_id,
                email,
                packet_kind,
                amount,
                sent_at,
                transaction_id,
                counterparty_phone_suffix,
                card_last4,
                account,
                claim,
            }),
            _ => Err(refusals),
        }
    }

    /// A stable digest input of the normalised values: two submissions of the same filing give
    /// the same string. Each value is length-prefixed, so no text can pass for another field.
    pub fn fingerprint_source(&self) -> String {
        let values = [
            self.wechat_id.as_str().to_string(),
            self.email.as_str().to_string(),
            self.packet_kind.as_str().to_string(),
            self.amount.get().to_string(),
            self.sent_at.utc().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            self.transaction_id.as_str().to_string(),
            self.counterparty_phone_suffix.as_str().to_string(),
            self.card_last4.as_str().to_string(),
            self.account.as_str().to_string(),
        ];
        let mut source = String::from("appeal-v1\n");
        for (field, value) in Field::ALL.iter().zip(values) {
            source.push_str(&format!("{}={}:{value}\n", field.name(), value.len()));
        }
        source
    }
}

#[cfg(test)]
mod tests;
