use chrono::{DateTime, Utc};

use super::*;
use crate::domain::Lang;

fn now() -> DateTime<Utc> {
    "2026-11-21T02:00:00Z".parse().expect("valid") // 2026-11-21 10:00:00 in China
}

fn valid() -> RawAppeal {
    RawAppeal {
        wechat_id: "Wang_XiaoMing88".into(),
        email: "xiaoming@QQ.com".into(),
        packet_kind: "transfer".into(),
        amount: "¥1,234.50元".into(),
        sent_at: "2026-11-20 14:30:05".into(),
        transaction_id: "1000 0399 0120 2611 201".into(),
        counterparty_phone_suffix: "0123".into(),
        card_last4: "6789".into(),
        account: "我想给妈妈转账，却误转给了同名的陌生人。".into(),
        claim_status: "unclaimed".into(),
        acknowledge_claimed: false,
    }
}

fn refused_fields(raw: &RawAppeal) -> Vec<Field> {
    match Appeal::parse(raw, now()) {
        Ok(_) => Vec::new(),
        Err(refusals) => refusals.0.iter().map(|r| r.field).collect(),
    }
}

#[test]
fn a_valid_filing_parses_normalised() {
    let appeal = Appeal::parse(&valid(), now()).expect("valid filing");
    assert_eq!(appeal.wechat_id.as_str(), "wang_xiaoming88");
    assert_eq!(appeal.email.as_str(), "xiaoming@qq.com");
    assert_eq!(appeal.packet_kind, PacketKind::Transfer);
    assert_eq!(appeal.amount, Fen::new(123_450));
    assert_eq!(appeal.sent_at.local_string(), "2026-11-20 14:30:05");
    assert_eq!(appeal.transaction_id.as_str(), "1000039901202611201");
    assert_eq!(appeal.counterparty_phone_suffix.as_str(), "0123");
    assert_eq!(appeal.card_last4.as_str(), "6789");
}

#[test]
fn every_bad_field_is_refused_on_its_own() {
    let raw = RawAppeal {
        email: "xiaoming@".into(),
        sent_at: "2026-11-20 14:30".into(),
        card_last4: "678".into(),
        ..valid()
    };
    assert_eq!(
        refused_fields(&raw),
        vec![Field::Email, Field::SentAt, Field::CardLast4]
    );
    let refusals = Appeal::parse(&raw, now()).expect_err("three bad fields");
    assert!(
        refusals
            .get(Field::SentAt)
            .is_some_and(|r| r.message(Lang::En).contains("seconds"))
    );
    assert!(refusals.get(Field::Amount).is_none());
    assert!(!refusals.is_empty());
}

#[test]
fn an_empty_form_refuses_every_field() {
    assert_eq!(refused_fields(&RawAppeal::default()), Field::ALL.to_vec());
}

#[test]
fn amount_must_be_over_five_hundred_yuan() {
    let at = |amount: &str| RawAppeal {
        amount: amount.into(),
        ..valid()
    };
    let refusals = Appeal::parse(&at("500.00"), now()).expect_err("500.00 is not over 500");
    assert_eq!(
        refusals.get(Field::Amount).map(|r| r.message(Lang::En)),
        Some("Only amounts over ¥500.00 are eligible; ¥500.00 itself is not".into())
    );
    assert_eq!(
        Appeal::parse(&at("500.01"), now()).map(|a| a.amount).ok(),
        Some(Fen::new(50_001))
    );
}

#[test]
fn field_names_are_the_form_names() {
    let names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
    assert_eq!(
        names,
        [
            "wechat_id",
            "email",
            "packet_kind",
            "amount",
            "sent_at",
            "transaction_id",
            "counterparty_phone_suffix",
            "card_last4",
            "account",
            "claim_status"
        ]
    );
}

#[test]
fn the_same_filing_gives_the_same_fingerprint() {
    let first = Appeal::parse(&valid(), now()).expect("valid");
    let retyped = RawAppeal {
        wechat_id: " WANG_XIAOMING88 ".into(),
        email: "xiaoming@qq.COM".into(),
        amount: "1234.5".into(),
        sent_at: "2026-11-20T14:30:05".into(),
        transaction_id: "１０００039901202611201".into(),
        ..valid()
    };
    let second = Appeal::parse(&retyped, now()).expect("valid");
    assert_eq!(first.fingerprint_source(), second.fingerprint_source());
    assert!(first.fingerprint_source().contains("amount=6:123450\n"));

    let other = Appeal::parse(
        &RawAppeal {
            card_last4: "6780".into(),
            ..valid()
        },
        now(),
    )
    .expect("valid");
    assert_ne!(first.fingerprint_source(), other.fingerprint_source());
}

#[test]
fn the_claim_question_lets_a_filing_through_only_when_it_can_help() {
    let with = |status: &str, ack: bool| RawAppeal {
        claim_status: status.into(),
        acknowledge_claimed: ack,
        ..valid()
    };
    let claim = |raw: &RawAppeal| Appeal::parse(raw, now()).map(|a| a.claim);
    assert_eq!(
        claim(&with("unclaimed", false)).unwrap().status,
        ClaimStatus::Unclaimed
    );
    assert_eq!(
        claim(&with("unknown", true)).unwrap(),
        ClaimAnswer {
            status: ClaimStatus::Unknown,
            acknowledged: false
        }
    );
    assert_eq!(refused_fields(&with("", false)), [Field::ClaimStatus]);
    assert_eq!(
        refused_fields(&with("claimed", false)),
        [Field::ClaimStatus]
    );
    assert_eq!(
        claim(&with("claimed", true)).unwrap(),
        ClaimAnswer {
            status: ClaimStatus::Claimed,
            acknowledged: true
        }
    );
    // Back already: nothing to file, acknowledged or not.
    assert_eq!(
        refused_fields(&with("returned", true)),
        [Field::ClaimStatus]
    );
}
