//! Guidance from the rules of WeChat red packets, shown before and after filing, never a
//! refusal: an unclaimed red packet (and the unclaimed part of a lucky red packet) returns to
//! its sender by itself `policy::UNCLAIMED_RETURN_HOURS` after it was sent, and a claimed
//! one cannot be intercepted.

use chrono::{DateTime, Duration, Utc};

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
}
