//! What was sent by mistake: the form's choice.

use crate::domain::normalize::ascii_fold;
use crate::domain::{Lang, Refusal};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketKind {
    RedPacket,
    LuckyRedPacket,
    Transfer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketKindError {
    Missing,
    Unknown,
}

impl PacketKind {
    pub const ALL: [PacketKind; 3] = [
        PacketKind::RedPacket,
        PacketKind::LuckyRedPacket,
        PacketKind::Transfer,
    ];

    /// The form value and stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            PacketKind::RedPacket => "red_packet",
            PacketKind::LuckyRedPacket => "lucky_red_packet",
            PacketKind::Transfer => "transfer",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, PacketKindError> {
        let folded = ascii_fold(raw);
        let value = folded.trim();
        if value.is_empty() {
            return Err(PacketKindError::Missing);
        }
        PacketKind::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(value))
            .ok_or(PacketKindError::Unknown)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (PacketKind::RedPacket, Lang::Zh) => "普通红包",
            (PacketKind::RedPacket, Lang::En) => "Red packet",
            (PacketKind::LuckyRedPacket, Lang::Zh) => "拼手气红包",
            (PacketKind::LuckyRedPacket, Lang::En) => "Lucky red packet",
            (PacketKind::Transfer, Lang::Zh) => "转账",
            (PacketKind::Transfer, Lang::En) => "Transfer",
        }
    }
}

impl Refusal for PacketKindError {
    fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => "请选择普通红包、拼手气红包或转账".into(),
            Lang::En => "Choose red packet, lucky red packet or transfer".into(),
        }
    }
}

impl crate::domain::stored::Stored for PacketKind {
    const WHAT: &'static str = "packet kind";
    const ALL: &'static [Self] = &PacketKind::ALL;

    fn stored(self) -> &'static str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_round_trip() {
        for kind in PacketKind::ALL {
            assert_eq!(PacketKind::parse(kind.as_str()), Ok(kind));
            assert!(!kind.label(Lang::Zh).is_empty() && !kind.label(Lang::En).is_empty());
        }
        assert_eq!(PacketKind::parse(" Transfer "), Ok(PacketKind::Transfer));
        assert_eq!(PacketKind::LuckyRedPacket.label(Lang::Zh), "拼手气红包");
    }

    #[test]
    fn refusals() {
        assert_eq!(PacketKind::parse(""), Err(PacketKindError::Missing));
        assert_eq!(PacketKind::parse("红包"), Err(PacketKindError::Unknown));
        assert_eq!(
            PacketKind::parse("red packet"),
            Err(PacketKindError::Unknown)
        );
        assert_eq!(
            PacketKindError::Unknown.message(Lang::En),
            "Choose red packet, lucky red packet or transfer"
        );
    }
}
