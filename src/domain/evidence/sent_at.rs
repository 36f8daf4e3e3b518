//! When the mistaken payment was made, as the WeChat Pay bill shows it: China time, to the second.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};

use crate::domain::normalize::ascii_fold;
use crate::domain::{Lang, Refusal, cst, policy};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SentAt(DateTime<Utc>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SentAtError {
    Empty,
    BadFormat,
    MissingSeconds,
    /// The shape is right but no such moment exists, e.g. 2026-02-30 or 25:00:00.
    ImpossibleDate,
    InFuture,
    TooOld {
        max_days: i64,
    },
}

impl SentAt {
    /// Reads `YYYY-MM-DD HH:MM:SS` (or with `T`) in China time, within policy's age window.
    pub fn parse(raw: &str, now: DateTime<Utc>) -> Result<SentAt, SentAtError> {
        let folded = ascii_fold(raw);
        let folded = from_bill_format(folded.trim()).unwrap_or(folded);
        let text = folded.trim();
        if text.is_empty() {
            return Err(SentAtError::Empty);
        }
        let (date, time) = text.split_once([' ', 'T']).ok_or(SentAtError::BadFormat)?;
        let [year, month, day] = fields(date, '-', [4, 2, 2]).ok_or(SentAtError::BadFormat)?;
        let time = time.trim_start();
        let [hour, minute, second] = match fields(time, ':', [2, 2, 2]) {
            Some(hms) => hms,
            None if fields(time, ':', [2, 2]).is_some() => return Err(SentAtError::MissingSeconds),
            None => return Err(SentAtError::BadFormat),
        };
        let year = i32::try_from(year).map_err(|_| SentAtError::BadFormat)?;
        let naive = NaiveDate::from_ymd_opt(year, month, day)
            .zip(NaiveTime::from_hms_opt(hour, minute, second))
            .map(|(d, t)| d.and_time(t))
            .ok_or(SentAtError::ImpossibleDate)?;
        let sent = cst::from_local(naive);
        let skew = TimeDelta::minutes(policy::CLOCK_SKEW_MINUTES);
        if now
            .checked_add_signed(skew)
            .is_some_and(|latest| sent > latest)
        {
            return Err(SentAtError::InFuture);
        }
        let max_age = TimeDelta::days(policy::SENT_AT_MAX_AGE_DAYS);
        if now
            .checked_sub_signed(max_age)
            .is_some_and(|earliest| sent < earliest)
        {
            return Err(SentAtError::TooOld {
                max_days: policy::SENT_AT_MAX_AGE_DAYS,
            });
        }
        Ok(SentAt(sent))
    }

    /// For a value checked when it was filed (read back from storage): no age window applies.
    pub fn from_utc(utc: DateTime<Utc>) -> SentAt {
        SentAt(utc)
    }

    pub fn utc(&self) -> DateTime<Utc> {
        self.0
    }

    /// "YYYY-MM-DD HH:MM:SS" in China time, as the appellant typed it.
    pub fn local_string(&self) -> String {
        cst::format_local(self.0)
    }
}

/// WeChat's bill shows "2026年11月20日 14:30:05" (month and day maybe unpadded):
/// pasted as it is, it means "2026-11-20 14:30:05".
fn from_bill_format(text: &str) -> Option<String> {
    let (year, rest) = text.split_once('年')?;
    let (month, rest) = rest.split_once('月')?;
    let (day, time) = rest.split_once(['日', '号'])?;
    let pad = |s: &str| format!("{:0>2}", s.trim());
    Some(format!(
        "{}-{}-{} {}",
        year.trim(),
        pad(month),
        pad(day),
        time.trim()
    ))
}

/// Splits `s` on `sep` into fields of exactly these digit counts.
fn fields<const N: usize>(s: &str, sep: char, widths: [usize; N]) -> Option<[u32; N]> {
    let mut parts = s.split(sep);
    let mut values = [0; N];
    for (value, width) in values.iter_mut().zip(widths) {
        let part = parts
            .next()
            .filter(|p| p.len() == width && p.bytes().all(|b| b.is_ascii_digit()))?;
        *value = part.parse().ok()?;
    }
    parts.next().is_none().then_some(values)
}

impl Refusal for SentAtError {
    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Empty, Lang::Zh) => "请填写付款时间（北京时间），格式 YYYY-MM-DD HH：MM：SS，例如 2026-11-20 14:30:05".into(),
            (Self::Empty, Lang::En) => {
                "Enter the payment time (China time) as YYYY-MM-DD HH:MM:SS, for example 2026-11-20 14:30:05".into()
            }
            (Self::BadFormat, Lang::Zh) => {
                "请按 YYYY-MM-DD HH：MM：SS 填写付款时间（北京时间），例如 2026-11-20 14:30:05".into()
            }
            (Self::BadFormat, Lang::En) => {
                "Write the payment time as YYYY-MM-DD HH:MM:SS in China time, for example 2026-11-20 14:30:05".into()
            }
            (Self::MissingSeconds, Lang::Zh) => "请填写到秒（HH:MM:SS）。打开微信 → 我 → 服务 → 钱包 → 账单，\
                点开这笔付款，支付时间精确到秒。"
                .into(),
            (Self::MissingSeconds, Lang::En) => "Include the seconds (HH:MM:SS). Open WeChat → Me → Services → \
                Wallet → Bills, tap the payment: its time is shown to the second."
                .into(),
            (Self::ImpossibleDate, Lang::Zh) => {
                "这个日期或时间不存在（例如 2 月 30 日或 25 点），请核对账单上的支付时间".into()
            }
            (Self::ImpossibleDate, Lang::En) => {
                "That date or time does not exist (like 30 February or 25:00); check the payment time in the bill"
                    .into()
            }
            (Self::InFuture, Lang::Zh) => "付款时间晚于现在；请核对，并按北京时间填写".into(),
            (Self::InFuture, Lang::En) => "That time is in the future; check it, and give it in China time (UTC+8)".into(),
            (Self::TooOld { max_days }, Lang::Zh) => format!("只受理 {max_days} 天内的付款，这笔付款更早"),
            (Self::TooOld { max_days }, Lang::En) => {
                format!("Only payments made within the last {max_days} days can be appealed; this one is older")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        "2026-11-21T02:00:00Z".parse().expect("valid") // 2026-11-21 10:00:00 in China
    }

    fn parse(raw: &str) -> Result<String, SentAtError> {
        SentAt::parse(raw, now()).map(|s| s.utc().to_rfc3339())
    }

    #[test]
    fn reads_china_time() {
        let utc = Ok("2026-11-20T06:30:05+00:00".to_string());
        assert_eq!(parse("2026-11-20 14:30:05"), utc);
        assert_eq!(parse("2026-11-20T14:30:05"), utc);
        assert_eq!(parse(" 2026-11-20  14:30:05 "), utc);
        assert_eq!(parse("２０２６－１１－２０　１４：３０：０５"), utc);
        let sent = SentAt::parse("2026-11-20 14:30:05", now()).expect("valid");
        assert_eq!(sent.local_string(), "2026-11-20 14:30:05");
    }

    #[test]
    fn refusals() {
        use SentAtError::*;
        for raw in ["", "  ", "\u{3000}"] {
            assert_eq!(parse(raw), Err(Empty), "{raw:?}");
        }
        for raw in [
            "2026-11-20 14:30",
            "2026-11-20T14:30",
            "２０２６-11-20 14：30",
        ] {
            assert_eq!(parse(raw), Err(MissingSeconds), "{raw}");
        }
        for raw in [
            "2026-11-20",
            "2026/11/20 14:30:05",
            "20-11-2026 14:30:05",
            "2026-11-20 2:30:05",
            "2026-11-20 14:30:05.5",
            "2026-11-20 14:30:05+08:00",
            "yesterday",
            "2026-11-20 14",
            "2026-1-20 14:30:05",
        ] {
            assert_eq!(parse(raw), Err(BadFormat), "{raw}");
        }
        for raw in [
            "2026-02-30 10:00:00",
            "2026-11-20 25:00:00",
            "2026-11-20 14:60:00",
            "2026-11-20 23:59:60",
            "2026-13-01 10:00:00",
            "2026-00-10 10:00:00",
        ] {
            assert_eq!(parse(raw), Err(ImpossibleDate), "{raw}");
        }
    }

    #[test]
    fn window_allows_clock_skew_and_a_year() {
        assert!(parse("2026-11-21 10:05:00").is_ok());
        assert_eq!(parse("2026-11-21 10:05:01"), Err(SentAtError::InFuture));
        assert!(parse("2025-11-21 10:00:00").is_ok());
        assert_eq!(
            parse("2025-11-21 09:59:59"),
            Err(SentAtError::TooOld { max_days: 365 })
        );
    }

    #[test]
    fn the_bill_details_format_is_read_as_it_is_pasted() {
        let expected = SentAt::parse("2026-11-20 14:30:05", now()).unwrap();
        for pasted in [
            "2026年11月20日 14:30:05",
            "2026年11月20日14:30:05",
            "２０２６年１１月２０日 １４：３０：０５",
        ] {
            assert_eq!(SentAt::parse(pasted, now()), Ok(expected), "{pasted}");
        }
        let padded = SentAt::parse("2026-01-05 08:01:02", now()).unwrap();
        assert_eq!(SentAt::parse("2026年1月5日 08:01:02", now()), Ok(padded));
        assert_eq!(
            SentAt::parse("2026年11月20日 14:30", now()),
            Err(SentAtError::MissingSeconds)
        );
    }

    #[test]
    fn missing_seconds_says_where_to_find_them() {
        assert!(
            SentAtError::MissingSeconds
                .message(Lang::En)
                .contains("WeChat → Me → Services → Wallet → Bills")
        );
        assert!(
            SentAtError::MissingSeconds
                .message(Lang::Zh)
                .contains("微信 → 我 → 服务 → 钱包 → 账单")
        );
    }

    proptest! {
        #[test]
        fn local_string_parses_back(secs_ago in 0_i64..365 * 86_400) {
            let sent = now() - TimeDelta::seconds(secs_ago);
            let shown = SentAt::from_utc(sent).local_string();
            prop_assert_eq!(SentAt::parse(&shown, now()), Ok(SentAt(sent)));
        }

        #[test]
        fn never_panics(raw in "\\PC{0,30}") {
            let _ = SentAt::parse(&raw, now());
        }
    }
}
