//! Money in fen (1 yuan = 100 fen), as integers: never floats.

use std::fmt;

use super::normalize::ascii_fold;
use super::{Lang, Refusal, policy};

/// An amount of Chinese yuan counted in fen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fen(i64);

impl Fen {
    pub const fn new(fen: i64) -> Fen {
        Fen(fen)
    }

    pub const fn get(self) -> i64 {
        self.0
    }
}

/// Yuan with thousands commas and two decimals, "1,234.56", as pages show it.
impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.0.unsigned_abs();
        let digits = (abs / 100).to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{grouped}.{:02}", abs % 100)
    }
}

/// Why an amount was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmountError {
    Empty,
    NotANumber,
    TooManyDecimals,
    Absurd,
    /// Parsed fine, but not over policy::ELIGIBLE_ABOVE.
    NotOverThreshold,
}

impl Refusal for AmountError {
    fn message(&self, lang: Lang) -> String {
        let threshold = policy::ELIGIBLE_ABOVE;
        match (self, lang) {
            (AmountError::Empty, Lang::Zh) => "请填写金额（单位：元），例如 520.00".into(),
            (AmountError::Empty, Lang::En) => "Enter the amount in yuan, for example 520.00".into(),
            (AmountError::NotANumber, Lang::Zh) => {
                "请用数字填写金额（单位：元），例如 520.00 或 1,234.56；不要加正负号，千位逗号须每三位一个".into()
            }
            (AmountError::NotANumber, Lang::En) => "Enter the amount in yuan, for example 520.00 or 1,234.56: \
                digits only, no sign, commas only between groups of three digits"
                .into(),
            (AmountError::TooManyDecimals, Lang::Zh) => "金额最多两位小数（精确到分），例如 500.50".into(),
            (AmountError::TooManyDecimals, Lang::En) => "At most two decimals (fen), for example 500.50".into(),
            (AmountError::Absurd, Lang::Zh) => "这超出了一笔微信支付能付的金额，请核对金额".into(),
            (AmountError::Absurd, Lang::En) => {
                "That is more than one WeChat Pay payment can carry; check the amount".into()
            }
            (AmountError::NotOverThreshold, Lang::Zh) => {
                format!("仅受理超过 ¥{threshold} 的金额；恰好 ¥{threshold} 不在受理范围内")
            }
            (AmountError::NotOverThreshold, Lang::En) => {
                format!("Only amounts over ¥{threshold} are eligible; ¥{threshold} itself is not")
            }
        }
    }
}

/// Reads an amount in yuan as typed or pasted: "520", "¥1,234.56", "RMB 500.5", "５２０元".
/// Eligibility is a separate rule: policy::check_eligible.
pub fn parse_yuan(raw: &str) -> Result<Fen, AmountError> {
    let folded = ascii_fold(raw);
    let number = strip_currency(folded.trim());
    if number.is_empty() {
        return Err(AmountError::Empty);
    }
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let whole = whole_digits(whole).ok_or(AmountError::NotANumber)?;
    if number.contains('.') && fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(AmountError::NotANumber);
    }
    if fraction.len() > 2 {
        return Err(AmountError::TooManyDecimals);
    }
    let significant = whole.trim_start_matches('0');
    // More digits than any payment could have would only risk overflow: refuse before adding up.
    if significant.len() > 12 {
        return Err(AmountError::Absurd);
    }
    let fen = format!("{significant}{fraction:0<2}")
        .bytes()
        .fold(0_i64, |acc, b| acc * 10 + i64::from(b - b'0'));
    if fen > policy::MAX_AMOUNT.get() {
        return Err(AmountError::Absurd);
    }
    Ok(Fen(fen))
}

/// Drops an optional "RMB"/"CNY", "¥"/"￥" before and "元" after, with spaces around them.
fn strip_currency(s: &str) -> &str {
    let mut s = s;
    for word in ["RMB", "CNY"] {
        if s.get(..word.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(word))
        {
            s = s[word.len()..].trim_start();
        }
    }
    s = s.strip_prefix(['¥', '￥']).unwrap_or(s).trim_start();
    s.strip_suffix('元').unwrap_or(s).trim_end()
}

/// The integer part's digits, commas removed; commas only in groups of three ("1,234", not "12,34").
fn whole_digits(s: &str) -> Option<String> {
    let mut groups = s.split(',');
    let first = groups
        .next()
        .filter(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))?;
    let mut digits = first.to_string();
    if s.contains(',') && first.len() > 3 {
        return None;
    }
    for group in groups {
        if group.len() != 3 || !group.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.push_str(group);
    }
    Some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn displays_yuan_with_commas_and_two_decimals() {
        assert_eq!(Fen::new(123_456).to_string(), "1,234.56");
        assert_eq!(Fen::new(0).to_string(), "0.00");
        assert_eq!(Fen::new(5).to_string(), "0.05");
        assert_eq!(Fen::new(50_000).to_string(), "500.00");
        assert_eq!(Fen::new(10_000_000_000).to_string(), "100,000,000.00");
        assert_eq!(Fen::new(-123_456).to_string(), "-1,234.56");
        assert_eq!(Fen::new(i64::MIN).to_string(), "-92,233,720,368,547,758.08");
    }

    #[test]
    fn accepts_the_ways_people_write_yuan() {
        let cases = [
            ("520", 52_000),
            ("520.00", 52_000),
            ("500.5", 50_050),
            ("1,234.56", 123_456),
            ("¥1,234.50元", 123_450),
            ("￥ 520 元", 52_000),
            ("RMB 500.01", 50_001),
            ("cny520", 52_000),
            ("rmb ¥ 88.8", 8_880),
            ("５２０．００元", 52_000),
            ("１，２３４．５６", 123_456),
            ("  1,000,000.00 ", 100_000_000),
            ("0", 0),
            ("0520", 52_000),
        ];
        for (raw, fen) in cases {
            assert_eq!(parse_yuan(raw), Ok(Fen::new(fen)), "{raw}");
        }
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        for raw in ["", "   ", "¥", "元", "RMB"] {
            assert_eq!(parse_yuan(raw), Err(AmountError::Empty), "{raw:?}");
        }
        for raw in [
            "12,34",
            "1,2345",
            "1234,567",
            ",123",
            "1,,234",
            "-500",
            "+500",
            "5e2",
            "500.",
            ".5",
            "5 00",
            "五百",
            "500.0.0",
            "1,234.5,6",
            "0x1F",
            "500元元",
            "$500",
            "500 yuan",
        ] {
            assert_eq!(parse_yuan(raw), Err(AmountError::NotANumber), "{raw:?}");
        }
        assert_eq!(parse_yuan("500.555"), Err(AmountError::TooManyDecimals));
        assert_eq!(parse_yuan("500.500"), Err(AmountError::TooManyDecimals));
    }

    #[test]
    fn refuses_absurd_amounts_without_overflow() {
        assert_eq!(parse_yuan("1000000.01"), Err(AmountError::Absurd));
        assert_eq!(
            parse_yuan("99999999999999999999999999"),
            Err(AmountError::Absurd)
        );
        assert_eq!(parse_yuan("000000000000000000000520"), Ok(Fen::new(52_000)));
    }

    #[test]
    fn every_refusal_speaks_both_languages() {
        use AmountError::*;
        for e in [Empty, NotANumber, TooManyDecimals, Absurd, NotOverThreshold] {
            assert!(!e.message(Lang::Zh).is_empty() && !e.message(Lang::En).is_empty());
            assert_ne!(e.message(Lang::Zh), e.message(Lang::En));
        }
        assert_eq!(
            NotOverThreshold.message(Lang::En),
            "Only amounts over ¥500.00 are eligible; ¥500.00 itself is not"
        );
    }

    proptest! {
        #[test]
        fn display_parses_back(fen in 0..=policy::MAX_AMOUNT.get()) {
            prop_assert_eq!(parse_yuan(&Fen::new(fen).to_string()), Ok(Fen::new(fen)));
            prop_assert_eq!(parse_yuan(&format!("¥{}元", Fen::new(fen))), Ok(Fen::new(fen)));
        }

        #[test]
        fn never_panics(raw in "\\PC{0,40}") {
            let _ = parse_yuan(&raw);
        }
    }
}
