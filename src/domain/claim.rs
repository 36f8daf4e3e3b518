//! What the appellant says of the payment: claimed by the recipient, still unclaimed,
//! already back, or not known. Customer service can act only while it is unclaimed.

use super::normalize::ascii_fold;
use super::{Lang, Refusal};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClaimStatus {
    Unclaimed,
    Claimed,
    /// It already came back (a full refund in the bill, or the recipient returned it).
    Returned,
    Unknown,
}

/// Why the claim question refuses a filing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimRefusal {
    Missing,
    /// Claimed, and the appellant has not said they understand it cannot be intercepted.
    ClaimedNotAcknowledged,
    /// It came back: there is nothing to appeal.
    AlreadyReturned,
}

impl ClaimStatus {
    pub const ALL: [ClaimStatus; 4] = [
        ClaimStatus::Unclaimed,
        ClaimStatus::Claimed,
        ClaimStatus::Returned,
        ClaimStatus::Unknown,
    ];

    /// The form value and stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Unclaimed => "unclaimed",
            ClaimStatus::Claimed => "claimed",
            ClaimStatus::Returned => "returned",
            ClaimStatus::Unknown => "unknown",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ClaimRefusal> {
        let folded = ascii_fold(raw);
        let value = folded.trim();
        ClaimStatus::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(value))
            .ok_or(ClaimRefusal::Missing)
    }

    /// The answer as the form offers it.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            ClaimStatus::Unclaimed => lang.t("还没有被领取", "Not claimed yet"),
            ClaimStatus::Claimed => lang.t("已经被对方领取", "The recipient has claimed it"),
            ClaimStatus::Returned => lang.t("已经退回给我", "It has already come back to me"),
            ClaimStatus::Unknown => lang.t("不确定", "I am not sure"),
        }
    }

    /// What an agent reads: "the appellant says …".
    pub fn said(self, acknowledged: bool, lang: Lang) -> &'static str {
        match (self, acknowledged) {
            (ClaimStatus::Unclaimed, _) => lang.t("未被领取", "unclaimed"),
            (ClaimStatus::Claimed, true) => lang.t(
                "已被领取（已确认知晓客服无法拦截）",
                "claimed (acknowledged that it cannot be intercepted)",
            ),
            (ClaimStatus::Claimed, false) => lang.t("已被领取", "claimed"),
            (ClaimStatus::Returned, _) => lang.t("已退回", "returned"),
            (ClaimStatus::Unknown, _) => lang.t("不确定", "not sure"),
        }
    }
}

/// What an agent reads for a case filed before the question was asked.
pub fn not_asked(lang: Lang) -> &'static str {
    lang.t(
        "未询问（此前提交的申诉）",
        "not asked (filed before the question)",
    )
}

/// How to find the answer, for someone who is not sure.
pub fn how_to_tell(lang: Lang) -> &'static str {
    lang.t(
        "打开微信支付账单，找到这笔付款：详情里会显示对方是否已收款，或款项是否已退回。",
        "Open the WeChat Pay bill and find this payment: its details show whether the recipient received it, or whether it came back.",
    )
}

/// The acknowledgement a claimed payment needs before filing.
pub fn acknowledgement(lang: Lang) -> &'static str {
    lang.t(
        "我了解客服无法拦截已被领取的款项，仍要提交申诉。",
        "I understand customer service cannot intercept a claimed payment, and I still want to file.",
    )
}

impl Refusal for ClaimRefusal {
    fn message(&self, lang: Lang) -> String {
        match self {
            ClaimRefusal::Missing => lang.t(
                "请说明这笔款项是否已被对方领取。",
                "Say whether the recipient has claimed the payment.",
            ),
            ClaimRefusal::ClaimedNotAcknowledged => lang.t(
                "已被领取的款项客服无法拦截，申诉不会成功，还会用掉今年两次申诉机会中的一次。请先按下方的方法联系对方；若仍要提交，请勾选确认。",
                "Customer service cannot intercept a claimed payment: an appeal would not succeed and would use one of your two appeals this year. Try the steps below first; to file anyway, tick the confirmation.",
            ),
            ClaimRefusal::AlreadyReturned => lang.t(
                "款项已经退回，无需申诉，本次没有提交任何内容，也没有占用申诉次数。",
                "The money has already come back: there is nothing to appeal. Nothing was filed and no appeal was used.",
            ),
        }
        .to_owned()
    }
}

impl super::stored::Stored for ClaimStatus {
    const WHAT: &'static str = "claim status";
    const ALL: &'static [Self] = &ClaimStatus::ALL;

    fn stored(self) -> &'static str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_answer_reads_back_and_nothing_else_does() {
        for s in ClaimStatus::ALL {
            assert_eq!(ClaimStatus::parse(s.as_str()), Ok(s));
            assert_eq!(ClaimStatus::parse(&s.as_str().to_uppercase()), Ok(s));
        }
        for bad in ["", " ", "maybe", "claimed;", "ｃｌａｉｍｅｄx"] {
            assert_eq!(ClaimStatus::parse(bad), Err(ClaimRefusal::Missing), "{bad}");
        }
    }
}
