//! Where AppealDesk writes to the appellant about the appeal.

use validator::ValidateEmail;

use crate::domain::normalize::ascii_fold;
use crate::domain::{Lang, Refusal};

/// Trimmed, with the domain lowercased (domains are case-insensitive; the local part may not be).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailError {
    Empty,
    TooLong,
    /// A line break would let the address inject mail headers.
    ControlCharacter,
    Invalid,
}

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let folded = ascii_fold(raw);
        let address = folded.trim();
        if address.is_empty() {
            return Err(EmailError::Empty);
        }
        if address.chars().any(char::is_control) {
            return Err(EmailError::ControlCharacter);
        }
        if address.chars().count() > Self::MAX_LEN {
            return Err(EmailError::TooLong);
        }
        let Some((local, domain)) = address.rsplit_once('@') else {
            return Err(EmailError::Invalid);
        };
        // A dotless domain ("qqcom") is a typo in practice, though validator accepts it.
        if !address.validate_email() || !domain.contains('.') {
            return Err(EmailError::Invalid);
        }
        Ok(Email(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The mailbox this address delivers to, for counting mail sent to one person:
    /// lowercased, without a `+tag`, and for Gmail without dots (which Gmail ignores).
    pub fn mailbox(&self) -> String {
        let lower = self.0.to_lowercase();
        let (local, domain) = lower.rsplit_once('@').unwrap_or((&lower, ""));
        let local = local.split_once('+').map_or(local, |(base, _)| base);
        match domain {
            "gmail.com" | "googlemail.com" => format!("{}@gmail.com", local.replace('.', "")),
            _ => format!("{local}@{domain}"),
        }
    }
}

impl Refusal for EmailError {
    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Empty, Lang::Zh) => "请填写邮箱地址，申诉进展会发到这里".into(),
            (Self::Empty, Lang::En) => {
                "Enter your email address: we write to you there about your appeal".into()
            }
            (Self::TooLong, Lang::Zh) => "邮箱地址最多 254 个字符，请核对".into(),
            (Self::TooLong, Lang::En) => {
                "An email address has at most 254 characters; check yours".into()
            }
            (Self::ControlCharacter, Lang::Zh) => {
                "邮箱地址只能写在一行，不能有换行或不可见字符".into()
            }
            (Self::ControlCharacter, Lang::En) => {
                "Write the email address on one line, without line breaks or invisible characters"
                    .into()
            }
            (Self::Invalid, Lang::Zh) => "邮箱地址格式不对，请核对，例如 name@example.com".into(),
            (Self::Invalid, Lang::En) => {
                "That is not a valid email address; check it, for example name@example.com".into()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<String, EmailError> {
        Email::parse(raw).map(|e| e.as_str().to_owned())
    }

    #[test]
    fn lowercases_only_the_domain() {
        assert_eq!(parse("  Xiao.Ming@QQ.COM "), Ok("Xiao.Ming@qq.com".into()));
        assert_eq!(parse("ｎａｍｅ＠１６３．ｃｏｍ"), Ok("name@163.com".into()));
        assert_eq!(parse("a+tag@Example.CN"), Ok("a+tag@example.cn".into()));
    }

    #[test]
    fn refusals() {
        use EmailError::*;
        assert_eq!(parse(""), Err(Empty));
        assert_eq!(
            parse("a@b.com\r\nBcc: victim@example.com"),
            Err(ControlCharacter)
        );
        assert_eq!(parse("a@b.com\u{0}"), Err(ControlCharacter));
        assert_eq!(
            parse(&format!("{}@example.com", "a".repeat(250))),
            Err(TooLong)
        );
        for raw in [
            "name",
            "name@",
            "@qq.com",
            "name@qqcom",
            "na me@qq.com",
            "name@@qq.com",
            "name@qq..com",
        ] {
            assert_eq!(parse(raw), Err(Invalid), "{raw}");
        }
    }

    #[test]
    fn one_mailbox_under_its_many_spellings() {
        let mailbox = |raw: &str| Email::parse(raw).expect("valid").mailbox();
        assert_eq!(mailbox("Xiao.Ming+a@QQ.com"), "xiao.ming@qq.com");
        assert_eq!(mailbox("xiao.ming+b@qq.com"), "xiao.ming@qq.com");
        assert_eq!(
            mailbox("X.i.a.o.Ming+1@googlemail.com"),
            "xiaoming@gmail.com"
        );
        assert_eq!(mailbox("xiaoming@gmail.com"), "xiaoming@gmail.com");
        assert_ne!(mailbox("xiaoming@163.com"), mailbox("xiaoming@126.com"));
    }

    #[test]
    fn trailing_newline_from_paste_is_trimmed_not_refused() {
        assert_eq!(parse("name@qq.com\n"), Ok("name@qq.com".into()));
    }
}
