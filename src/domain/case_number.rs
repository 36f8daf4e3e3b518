//! Case numbers people read aloud to customer service: `AD20261128-7KQ2XM`.
//! The filing date helps a person; the random part keeps numbers unguessable and
//! free of volume information. Crockford's alphabet has no I, L, O or U to misread.

use chrono::NaiveDate;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RANDOM_CHARS: usize = 6;

/// `random` supplies the 30 random bits (the caller owns the randomness).
pub fn case_number(filed_on: NaiveDate, random: u32) -> String {
    let mut out = format!("AD{}-", filed_on.format("%Y%m%d"));
    for i in (0..RANDOM_CHARS).rev() {
        out.push(ALPHABET[((random >> (5 * i)) & 31) as usize] as char);
    }
    out
}

/// Whether `s` has the shape of a case number (for look-ups typed by people).
pub fn looks_like_case_number(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 2 + 8 + 1 + RANDOM_CHARS
        && s.starts_with("AD")
        && b[2..10].iter().all(u8::is_ascii_digit)
        && b[10] == b'-'
        && b[11..].iter().all(|c| ALPHABET.contains(c))
}

/// A case number as a person typed it: full-width characters folded, blanks dropped,
/// letters upper-cased. Only the shape is checked; whether the case exists is not told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypedCaseNumber(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseNumberError {
    Empty,
    NotACaseNumber,
}

impl TypedCaseNumber {
    pub fn parse(raw: &str) -> Result<Self, CaseNumberError> {
        let folded: String = crate::domain::normalize::ascii_fold(raw)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        if folded.is_empty() {
            return Err(CaseNumberError::Empty);
        }
        if !looks_like_case_number(&folded) {
            return Err(CaseNumberError::NotACaseNumber);
        }
        Ok(Self(folded))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl crate::domain::Refusal for CaseNumberError {
    fn message(&self, lang: crate::domain::Lang) -> String {
        match self {
            CaseNumberError::Empty => lang.t(
                "请填写案件编号，它在提交后收到的邮件里",
                "Enter the case number: it is in the mail you received after filing",
            ),
            CaseNumberError::NotACaseNumber => lang.t(
                "案件编号的格式是 AD20261128-7KQ2XM，请核对",
                "A case number looks like AD20261128-7KQ2XM; check yours",
            ),
        }
        .to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_case_number_is_folded_and_checked_for_shape() {
        let parse = |raw: &str| TypedCaseNumber::parse(raw).map(|n| n.as_str().to_owned());
        assert_eq!(parse(" ad20261128-7kq2xm "), Ok("AD20261128-7KQ2XM".into()));
        assert_eq!(
            parse("ＡＤ20261128－7KQ2XM"),
            Ok("AD20261128-7KQ2XM".into())
        );
        assert_eq!(parse("  "), Err(CaseNumberError::Empty));
        assert_eq!(parse("AD2026-1"), Err(CaseNumberError::NotACaseNumber));
    }

    #[test]
    fn case_number_carries_the_filing_date_and_six_random_characters() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(case_number(day, 0), "AD20261128-000000");
        assert_eq!(case_number(day, u32::MAX), "AD20261128-ZZZZZZ");
        assert_eq!(case_number(day, 1 | (31 << 25)), "AD20261128-Z00001");
        assert!(looks_like_case_number(&case_number(day, 123_456_789)));
        assert!(!looks_like_case_number("AD20261128-00000I"));
        assert!(!looks_like_case_number("AD2026112-000000"));
    }
}
