//! An agent's second factor: who must have one, what a code looks like, and what each
//! refusal says. The codes themselves (RFC 6238) are computed by `totp-rs` in the workflow.

use super::agent::Role;
use super::stored::Stored;
use super::{Lang, Refusal};

/// `REQUIRE_MFA`: whose accounts reach nothing but the security page until they have a
/// second factor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SecondFactorRule {
    /// Supervisors (they void filings, load calendars, create API keys).
    #[default]
    Supervisors,
    All,
    Off,
}

impl SecondFactorRule {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "supervisors" => Some(Self::Supervisors),
            "all" => Some(Self::All),
            "off" => Some(Self::Off),
            _ => None,
        }
    }

    pub fn requires(self, role: Role) -> bool {
        match self {
            Self::Supervisors => role == Role::Supervisor,
            Self::All => true,
            Self::Off => false,
        }
    }
}

/// What was typed at a code prompt: six digits from the app, or a recovery code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Code {
    Totp(String),
    /// Normalised: lower case, without spaces or dashes.
    Recovery(String),
}

/// Characters of a recovery code: no 0/o, 1/l/i that read alike.
pub const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Letters in a recovery code (about 49 bits), shown as two groups of five.
pub const RECOVERY_CODE_LEN: usize = 10;

impl Code {
    pub fn parse(raw: &str) -> Result<Self, CodeRefused> {
        let compact: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_ascii_lowercase();
        if compact.len() == super::policy::TOTP_DIGITS
            && compact.bytes().all(|b| b.is_ascii_digit())
        {
            return Ok(Self::Totp(compact));
        }
        if compact.len() == RECOVERY_CODE_LEN
            && compact.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))
        {
            return Ok(Self::Recovery(compact));
        }
        Err(CodeRefused::Malformed)
    }
}

/// A recovery code as shown: `abcde-fghjk`.
pub fn show_recovery_code(compact: &str) -> String {
    let (a, b) = compact.split_at(compact.len() / 2);
    format!("{a}-{b}")
}

/// A code that did not open the account or change its second factor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeRefused {
    Malformed,
    /// Wrong, too old, or used once already: one answer for all.
    Wrong,
    TooManyAttempts {
        retry_after_minutes: i64,
    },
    /// The password step was too long ago (or never happened): start again.
    Expired,
}

impl Refusal for CodeRefused {
    fn message(&self, lang: Lang) -> String {
        match self {
            Self::Malformed => lang
                .t(
                    "请输入身份验证器显示的 6 位数字，或一个恢复码。",
                    "Enter the 6 digits your authenticator app shows, or one of your recovery codes.",
                )
                .to_owned(),
            Self::Wrong => lang
                .t(
                    "验证码不正确或已使用过，请输入身份验证器当前显示的验证码。",
                    "The code is not right or was used already: enter the one your app shows now.",
                )
                .to_owned(),
            Self::TooManyAttempts {
                retry_after_minutes,
            } => match lang {
                Lang::Zh => format!("尝试次数过多，请 {retry_after_minutes} 分钟后再试。"),
                Lang::En => {
                    format!("Too many attempts: try again in {retry_after_minutes} minutes.")
                }
            },
            Self::Expired => lang
                .t(
                    "登录已超时，请重新输入邮箱和密码。",
                    "The sign-in took too long: enter your email and password again.",
                )
                .to_owned(),
        }
    }
}

/// What the security audit of an account records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecurityEventKind {
    SecondFactorOn,
    SecondFactorOff,
    /// Cleared from the command line by an operator.
    SecondFactorReset,
    RecoveryCodeUsed,
    RecoveryCodesRenewed,
}

impl SecurityEventKind {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Self::SecondFactorOn => lang.t("启用了两步验证", "Second factor turned on"),
            Self::SecondFactorOff => lang.t("关闭了两步验证", "Second factor turned off"),
            Self::SecondFactorReset => {
                lang.t("两步验证被管理员重置", "Second factor reset by an operator")
            }
            Self::RecoveryCodeUsed => lang.t("用恢复码登录", "Signed in with a recovery code"),
            Self::RecoveryCodesRenewed => lang.t("生成了新的恢复码", "New recovery codes made"),
        }
    }
}

impl Stored for SecurityEventKind {
    const WHAT: &'static str = "security event";
    const ALL: &'static [Self] = &[
        Self::SecondFactorOn,
        Self::SecondFactorOff,
        Self::SecondFactorReset,
        Self::RecoveryCodeUsed,
        Self::RecoveryCodesRenewed,
    ];

    fn stored(self) -> &'static str {
        match self {
            Self::SecondFactorOn => "second-factor-on",
            Self::SecondFactorOff => "second-factor-off",
            Self::SecondFactorReset => "second-factor-reset",
            Self::RecoveryCodeUsed => "recovery-code-used",
            Self::RecoveryCodesRenewed => "recovery-codes-renewed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_are_a_code_from_the_app_whatever_the_spaces() {
        assert_eq!(Code::parse(" 123 456 "), Ok(Code::Totp("123456".into())));
        assert_eq!(Code::parse("12345"), Err(CodeRefused::Malformed));
        assert_eq!(Code::parse("1234567"), Err(CodeRefused::Malformed));
        assert_eq!(Code::parse("١٢٣٤٥٦"), Err(CodeRefused::Malformed));
    }

    #[test]
    fn a_recovery_code_is_read_with_or_without_its_dash_in_any_case() {
        let code = Code::parse("ABCDE-FGHJK").unwrap();
        assert_eq!(code, Code::Recovery("abcdefghjk".into()));
        assert_eq!(Code::parse("abcdefghjk").unwrap(), code);
        assert_eq!(show_recovery_code("abcdefghjk"), "abcde-fghjk");
        // 0, 1, l, o and i are not in the alphabet: a code with them was mistyped.
        assert_eq!(Code::parse("abcde-fgh1k"), Err(CodeRefused::Malformed));
    }

    #[test]
    fn the_rule_names_whose_accounts_need_a_second_factor() {
        use SecondFactorRule::*;
        assert!(Supervisors.requires(Role::Supervisor) && !Supervisors.requires(Role::Agent));
        assert!(All.requires(Role::Agent) && All.requires(Role::Supervisor));
        assert!(!Off.requires(Role::Supervisor));
        assert_eq!(SecondFactorRule::parse(" ALL "), Some(All));
        assert_eq!(SecondFactorRule::parse("sometimes"), None);
        assert_eq!(SecondFactorRule::default(), Supervisors);
    }

    #[test]
    fn every_refusal_speaks_both_languages() {
        for refused in [
            CodeRefused::Malformed,
            CodeRefused::Wrong,
            CodeRefused::TooManyAttempts {
                retry_after_minutes: 3,
            },
            CodeRefused::Expired,
        ] {
            assert_ne!(refused.message(Lang::Zh), refused.message(Lang::En));
        }
    }
}
