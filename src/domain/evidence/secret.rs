//! Spots a payment password or SMS code pasted into free text: AppealDesk must never hold one.

use std::ops::RangeInclusive;

use crate::domain::normalize::ascii_fold;

/// Lowercase; "支付密码" is covered by "密码".
const KEYWORDS: [&str; 10] = [
    "密码",
    "验证码",
    "校验码",
    "动态码",
    "password",
    "passcode",
    "pin",
    "verification code",
    "sms code",
    "otp",
];
/// How many characters after a keyword a code may start.
const WINDOW: usize = 12;
const CODE_DIGITS: RangeInclusive<usize> = 4..=8;
/// A code sits in the keyword's own clause; past these the digits are about something else.
const CLAUSE_ENDS: [char; 7] = ['\n', '。', ',', ';', '!', '?', '、'];

/// A keyword followed closely by a 4–8 digit run that is not an amount, a date or a time.
pub(crate) fn looks_like_secret(text: &str) -> bool {
    let chars = scan_form(text);
    (0..chars.len()).any(|i| {
        KEYWORDS
            .iter()
            .filter_map(|keyword| keyword_end(&chars, i, keyword))
            .any(|end| code_follows(&chars, end))
    })
}

/// Folded, lowercased, runs of blanks as one space; line breaks kept as clause ends.
fn scan_form(text: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(text.len());
    for c in ascii_fold(text).chars().flat_map(char::to_lowercase) {
        if c == '\n' {
            out.push(c);
        } else if c.is_whitespace() {
            if out.last() != Some(&' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Where `keyword` ends if it starts at `i`; English keywords only as whole words ("spin" has no PIN).
fn keyword_end(chars: &[char], i: usize, keyword: &str) -> Option<usize> {
    let mut end = i;
    for k in keyword.chars() {
        (chars.get(end) == Some(&k)).then_some(())?;
        end += 1;
    }
    if keyword.is_ascii() {
        let before = i.checked_sub(1).and_then(|j| chars.get(j));
        if before.is_some_and(char::is_ascii_alphanumeric)
            || chars.get(end).is_some_and(char::is_ascii_alphabetic)
        {
            return None;
        }
    }
    Some(end)
}

fn code_follows(chars: &[char], end: usize) -> bool {
    let mut k = end;
    while k < chars.len() && k <= end + WINDOW {
        if CLAUSE_ENDS.contains(&chars[k]) {
            return false;
        }
        if chars[k].is_ascii_digit() {
            let run_end = k + chars[k..].iter().take_while(|c| c.is_ascii_digit()).count();
            if CODE_DIGITS.contains(&(run_end - k)) && !is_amount_or_date(chars, k, run_end) {
                return true;
            }
            k = run_end;
        } else {
            k += 1;
        }
    }
    false
}

/// Amounts ("¥5000", "5000 元", "5000.00") and dates ("2026-11-20"): an honest account is full of them.
fn is_amount_or_date(chars: &[char], start: usize, end: usize) -> bool {
    let before = chars[..start].iter().rev().find(|c| **c != ' ');
    let mut after = chars[end..].iter();
    let next = after.next();
    let after_next = after.next();
    before.is_some_and(|c| matches!(c, '¥' | '￥'))
        || next.is_some_and(|c| matches!(c, '.' | '-' | '/' | ':'))
            && after_next.is_some_and(char::is_ascii_digit)
        || chars[end..]
            .iter()
            .find(|c| **c != ' ')
            .is_some_and(|c| matches!(c, '元' | '块'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spots_codes_after_keywords() {
        for text in [
            "我的支付密码是123456，请帮我追回",
            "收到的验证码：884321",
            "校验码 5521",
            "动态码是 00112233",
            "My PIN is 1234 if you need it",
            "password: 12345678",
            "Passcode 9876",
            "the verification  code was 556677",
            "SMS code 5521",
            "OTP=123456",
            "验证码１２３４５６",
            "pin码 8888",
        ] {
            assert!(looks_like_secret(text), "{text}");
        }
    }

    #[test]
    fn leaves_honest_accounts_alone() {
        for text in [
            "我没有泄露密码，转账金额 5000 元",
            "密码没告诉任何人 ¥5000",
            "密码正确 5000.00",
            "验证码那天是 2026-11-20 收到的",
            "shopping 1234",
            "hotpot dinner 1234",
            "spin 123456",
            "验证码 123",
            "otp 13812345678",
            "密码\n123456",
            "password was never shared with anyone 1234",
            "转账 5000 元给了陌生人 123456",
        ] {
            assert!(!looks_like_secret(text), "{text}");
        }
    }
}
