//! Guidance from the rules of WeChat red packets, shown before and after filing, never a
//! refusal: an unclaimed red packet (and the unclaimed part of a lucky red packet) returns to
//! its sender by itself `policy::UNCLAIMED_RETURN_HOURS` after it was sent, and a claimed
//! one cannot be intercepted.

use chrono::{DateTime, Duration, Utc};

use super::claim::ClaimStatus;
use super::evidence::PacketKind;
use super::{Lang, cst, policy};

/// Whether WeChat returns this kind by itself when nobody claims it.
pub fn returns_unclaimed(kind: PacketKind) -> bool {
    matches!(kind, PacketKind::RedPacket | PacketKind::LuckyRedPacket)
}

/// When an unclaimed packet sent at `sent_at` returns to its sender, for the kinds that do.
pub fn returns_at(kind: PacketKind, sent_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    returns_unclaimed(kind).then(|| sent_at + Duration::hours(policy::UNCLAIMED_RETURN_HOURS))
}

/// The form's eligibility text: customer service acts on unclaimed packets only.
pub fn eligibility(lang: Lang) -> &'static str {
    lang.t(
        "客服只能处理尚未被领取的红包或转账：已被领取的红包无法拦截。",
        "Customer service can act only on a red packet or transfer that has not been claimed: a claimed packet cannot be intercepted.",
    )
}

/// What the form says when the send time is less than the return delay ago; `{time}` is
/// where the return time (China time) goes, filled in by the form's script.
pub fn before_return_template(lang: Lang) -> String {
    let hours = policy::UNCLAIMED_RETURN_HOURS;
    match lang {
        Lang::Zh => format!(
            "红包发出还不到 {hours} 小时：如果没有人领取，红包（拼手气红包则是未被领取的部分）会在 {{time}}（北京时间）自动退回给你，无需申诉。你仍然可以提交申诉。"
        ),
        Lang::En => format!(
            "This red packet was sent less than {hours} hours ago: if nobody claims it, it (for a lucky red packet, its unclaimed part) returns to you by itself at {{time}} (China time), with no appeal needed. You may still file."
        ),
    }
}

/// The receipt's note when the appeal was filed before the packet could return by itself.
pub fn filed_before_return(
    lang: Lang,
    kind: PacketKind,
    sent_at: DateTime<Utc>,
    filed_at: DateTime<Utc>,
) -> Option<String> {
    let back = returns_at(kind, sent_at).filter(|back| filed_at < *back)?;
    Some(before_return_template(lang).replace("{time}", &cst::format_local(back)))
}

/// Why a piece of guidance is shown (`data-reason` on the page, a dashboard row).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Sent minutes ago: the paying bank can still revoke the instruction.
    BankWindow,
    /// An unclaimed red packet returns by itself within a day of sending.
    AutoReturn,
    /// A transfer with delayed arrival has not reached the recipient yet.
    DelayedArrival,
    /// Claimed: customer service cannot intercept it; what works instead.
    Claimed,
    /// It already came back: nothing to appeal.
    AlreadyReturned,
}

impl Reason {
    pub const ALL: [Reason; 5] = [
        Reason::BankWindow,
        Reason::AutoReturn,
        Reason::DelayedArrival,
        Reason::Claimed,
        Reason::AlreadyReturned,
    ];

    /// `data-reason`, and the stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::BankWindow => "bank-window",
            Reason::AutoReturn => "auto-return",
            Reason::DelayedArrival => "delayed-arrival",
            Reason::Claimed => "claimed",
            Reason::AlreadyReturned => "already-returned",
        }
    }

    /// The dashboard's name for it.
    pub fn title(self, lang: Lang) -> &'static str {
        match self {
            Reason::BankWindow => lang.t("银行仍可撤回", "Bank can still revoke"),
            Reason::AutoReturn => lang.t("红包会自动退回", "Red packet returns by itself"),
            Reason::DelayedArrival => lang.t("延时到账", "Delayed arrival"),
            Reason::Claimed => lang.t("已被领取", "Already claimed"),
            Reason::AlreadyReturned => lang.t("已经退回", "Already returned"),
        }
    }
}

impl super::stored::Stored for Reason {
    const WHAT: &'static str = "guidance reason";
    const ALL: &'static [Self] = &Reason::ALL;

    fn stored(self) -> &'static str {
        self.as_str()
    }
}

/// One piece of guidance: why, and what the appellant is told (a lead, then steps).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guidance {
    pub reason: Reason,
    pub lead: String,
    pub steps: Vec<String>,
}

/// What the form can say given what is known of the filing so far: the kind, the send time
/// and the claim answer (each may still be missing), at `now`.
pub fn triage(
    kind: Option<PacketKind>,
    sent_at: Option<DateTime<Utc>>,
    claim: Option<ClaimStatus>,
    now: DateTime<Utc>,
    lang: Lang,
) -> Vec<Guidance> {
    let mut out = Vec::new();
    let age = sent_at.map(|sent| now - sent);
    let skew = Duration::minutes(policy::CLOCK_SKEW_MINUTES);
    let fresh = |limit: Duration| age.is_some_and(|a| a >= -skew && a < limit);
    if claim == Some(ClaimStatus::Returned) {
        out.push(piece(Reason::AlreadyReturned, lang, None));
        return out;
    }
    if fresh(Duration::minutes(policy::BANK_REVOKE_MINUTES)) {
        out.push(piece(Reason::BankWindow, lang, None));
    }
    if claim == Some(ClaimStatus::Claimed) {
        out.push(piece(Reason::Claimed, lang, None));
        return out;
    }
    if let (Some(kind), Some(sent)) = (kind, sent_at)
        && let Some(back) = returns_at(kind, sent)
            .filter(|back| now < *back && fresh(Duration::hours(policy::UNCLAIMED_RETURN_HOURS)))
    {
        out.push(piece(Reason::AutoReturn, lang, Some(back)));
    }
    if kind == Some(PacketKind::Transfer) {
        out.push(piece(Reason::DelayedArrival, lang, None));
    }
    out
}

/// What works for a claimed payment (a rejection's mail carries it).
pub fn what_works_when_claimed(lang: Lang) -> Guidance {
    piece(Reason::Claimed, lang, None)
}

/// Every piece, for the form's script to show as the answers change (`{time}` left for
/// it to fill).
pub fn all_pieces(lang: Lang) -> Vec<Guidance> {
    Reason::ALL.iter().map(|r| piece(*r, lang, None)).collect()
}

fn piece(reason: Reason, lang: Lang, back: Option<DateTime<Utc>>) -> Guidance {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_owned();
    let (lead, steps) = match reason {
        Reason::BankWindow => (
            t(
                "这笔付款发出不到 5 分钟，付款指令可能仍在核验中，付款银行还可以撤回：请立即拨打银行客服电话，报上交易单号，要求撤回。你仍然可以提交申诉。",
                "This payment was sent less than 5 minutes ago: the instruction may still be being verified, and your paying bank can revoke it. Call your bank now with the transaction ID and ask them to revoke it. You can still file.",
            ),
            Vec::new(),
        ),
        Reason::AutoReturn => {
            let time = back.map_or_else(|| "{time}".to_owned(), cst::format_local);
            (
                before_return_template(lang).replace("{time}", &time),
                vec![t(
                    "现在提交会用掉今年两次申诉机会中的一次；等它自动退回则不会。",
                    "Filing now uses one of your two appeals this year; waiting for it to come back does not.",
                )],
            )
        }
        Reason::DelayedArrival => (
            t(
                "如果这笔转账设置了延时到账（2 小时或 24 小时），款项还没有到达对方：请在这段时间内立即提交申诉。",
                "If you set delayed arrival for this transfer (2 or 24 hours), the money has not reached the recipient yet: file now, within that window.",
            ),
            Vec::new(),
        ),
        Reason::Claimed => (
            t(
                "款项一旦被领取，清算即时完成且不可撤销，客服无法拦截，申诉不会成功。更有效的做法：",
                "Once claimed, the payment is cleared at once and for good: customer service cannot intercept it, and an appeal will not succeed. What works instead:",
            ),
            vec![
                t(
                    "给对方发消息：第一步，说明这是误转；第二步，说明这笔钱原本的用途；第三步，提出退还的方式（例如原路转回）。说明情况后，大多数人会把钱退回。",
                    "Message the recipient: first, say it was a mistake; second, say what the money was for; third, propose how to send it back (for example, a transfer back). Most recipients return the money once it is explained.",
                ),
                t(
                    "如果对方是通过欺骗获得这笔钱，或付款备注写明是借款，可以走法律途径：保留官方电子回单、经公证的聊天记录、与微信支付记录相符的银行流水；诉讼通常需要六个月以上。",
                    "If the recipient obtained it by deception, or the payment's note says it was a loan, there is the legal route: keep the official e-receipt, notarised chat records, and the bank statement matching the WeChat Pay record; proceedings usually take more than six months.",
                ),
            ],
        ),
        Reason::AlreadyReturned => (
            t(
                "款项已经回到你的账户（账单显示全额退款，或对方已退还），没有需要申诉的内容。",
                "The money is already back (the bill shows a full refund, or the recipient returned it): there is nothing to appeal.",
            ),
            Vec::new(),
        ),
    };
    Guidance {
        reason,
        lead,
        steps,
    }
}

/// The receipt's advice, so that it does not happen again.
pub fn prevention(lang: Lang) -> [&'static str; 3] {
    [
        lang.t(
            "付款前核对对方的昵称和头像。",
            "Check the recipient's nickname and avatar before paying.",
        ),
        lang.t(
            "给陌生人或大额转账时，设置延时到账。",
            "Set delayed arrival for transfers to strangers or for large amounts.",
        ),
        lang.t("先转一笔小额试一试。", "Send a small test amount first."),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(local: &str) -> DateTime<Utc> {
        cst::from_local(chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S").unwrap())
    }

    #[test]
    fn a_red_packet_filed_within_a_day_is_told_when_it_returns() {
        let sent = at("2026-11-27 20:15:00");
        let note = filed_before_return(
            Lang::En,
            PacketKind::LuckyRedPacket,
            sent,
            at("2026-11-28 09:00:00"),
        );
        assert!(note.unwrap().contains("2026-11-28 20:15:00"));
        assert!(
            filed_before_return(
                Lang::Zh,
                PacketKind::RedPacket,
                sent,
                at("2026-11-28 20:15:00")
            )
            .is_none()
        );
        assert!(
            filed_before_return(
                Lang::En,
                PacketKind::Transfer,
                sent,
                at("2026-11-27 21:00:00")
            )
            .is_none()
        );
    }

    fn reasons(g: &[Guidance]) -> Vec<Reason> {
        g.iter().map(|g| g.reason).collect()
    }

    #[test]
    fn each_answer_gets_its_guidance() {
        let now = at("2026-12-03 12:00:00");
        let minutes_ago = |m| now - Duration::minutes(m);
        let red = Some(PacketKind::RedPacket);
        let transfer = Some(PacketKind::Transfer);
        let unclaimed = Some(ClaimStatus::Unclaimed);
        // Three minutes ago: the bank can still revoke it.
        assert_eq!(
            reasons(&triage(
                transfer,
                Some(minutes_ago(3)),
                unclaimed,
                now,
                Lang::En
            )),
            [Reason::BankWindow, Reason::DelayedArrival]
        );
        // Two hours ago, an unclaimed red packet: it returns by itself, at the right time.
        let g = triage(red, Some(minutes_ago(120)), unclaimed, now, Lang::En);
        assert_eq!(reasons(&g), [Reason::AutoReturn]);
        assert!(g[0].lead.contains("2026-12-04 10:00:00"), "{}", g[0].lead);
        // A day and more: nothing comes back by itself any more.
        assert!(triage(red, Some(minutes_ago(25 * 60)), unclaimed, now, Lang::En).is_empty());
        // Claimed: what works, and no auto-return promise.
        let g = triage(
            red,
            Some(minutes_ago(120)),
            Some(ClaimStatus::Claimed),
            now,
            Lang::Zh,
        );
        assert_eq!(reasons(&g), [Reason::Claimed]);
        assert_eq!(g[0].steps.len(), 2);
        // Returned: that alone.
        assert_eq!(
            reasons(&triage(
                red,
                Some(minutes_ago(2)),
                Some(ClaimStatus::Returned),
                now,
                Lang::En
            )),
            [Reason::AlreadyReturned]
        );
        // Not sure: the same as unclaimed for what may still come back.
        assert_eq!(
            reasons(&triage(
                red,
                Some(minutes_ago(60)),
                Some(ClaimStatus::Unknown),
                now,
                Lang::En
            )),
            [Reason::AutoReturn]
        );
        // A send time in the future (past the clock's allowance) promises nothing.
        assert!(
            triage(
                red,
                Some(now + Duration::hours(1)),
                unclaimed,
                now,
                Lang::En
            )
            .is_empty()
        );
    }
}
