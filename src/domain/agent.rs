//! Customer-service accounts: roles and the password rule.

use super::case_status::Action;
use super::stored::Stored;
use super::{Lang, Refusal};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Agent,
    Supervisor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Role::Agent => lang.t("客服", "Agent"),
            Role::Supervisor => lang.t("主管", "Supervisor"),
        }
    }
}

impl Stored for Role {
    const WHAT: &'static str = "role";
    const ALL: &'static [Self] = &[Role::Agent, Role::Supervisor];

    fn stored(self) -> &'static str {
        self.as_str()
    }
}

/// Who may take an action on a case (whether the case allows it now is the state
/// machine's rule). Assigning and voiding are a supervisor's; working a case in review
/// is its assignee's, or a supervisor's.
pub fn may(role: Role, action: Action, is_assignee: bool) -> bool {
    match action {
        Action::Assign | Action::Void => role == Role::Supervisor,
        Action::Claim => true,
        Action::RequestEvidence | Action::Approve | Action::Reject | Action::RecordCarriedOut => {
            is_assignee || role == Role::Supervisor
        }
        // The appellant's and the periodic job's, never an agent's.
        Action::AppellantReplied | Action::Withdraw | Action::CloseNoResponse => false,
    }
}

pub const PASSWORD_MIN_CHARS: usize = 8;
/// Long passphrases are welcome; past this it is not a password but a payload.
pub const PASSWORD_MAX_CHARS: usize = 128;
/// zxcvbn's score (0–4) a password needs: 3 is "safely unguessable" offline-slowed guessing.
pub const PASSWORD_MIN_STRENGTH: u8 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordError {
    TooShort,
    TooLong,
    /// Guessable: a common word, a keyboard walk, the email or name itself.
    TooWeak,
}

impl Refusal for PasswordError {
    fn message(&self, lang: Lang) -> String {
        match self {
            PasswordError::TooShort => lang.t(
                "密码至少 8 个字符。",
                "A password has at least 8 characters.",
            ),
            PasswordError::TooLong => lang.t(
                "密码最多 128 个字符。",
                "A password has at most 128 characters.",
            ),
            PasswordError::TooWeak => lang.t(
                "这个密码太容易被猜到：请用几个不相关的词组成一句较长的口令，不要用常见词、键盘顺序或自己的邮箱和姓名。",
                "This password is too easy to guess: use a longer phrase of a few unrelated words, not a common word, a keyboard pattern or your own email or name.",
            ),
        }
        .to_owned()
    }
}

/// Length first, then strength as zxcvbn estimates it, knowing the account's own words
/// (email, name) so that they do not count as secret.
pub fn check_password(password: &str, own_words: &[&str]) -> Result<(), PasswordError> {
    match password.chars().count() {
        n if n < PASSWORD_MIN_CHARS => return Err(PasswordError::TooShort),
        n if n > PASSWORD_MAX_CHARS => return Err(PasswordError::TooLong),
        _ => {}
    }
    let strength = u8::from(zxcvbn::zxcvbn(password, own_words).score());
    if strength < PASSWORD_MIN_STRENGTH {
        return Err(PasswordError::TooWeak);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_from_8_to_128_characters_are_accepted() {
        assert_eq!(check_password("1234567", &[]), Err(PasswordError::TooShort));
        assert_eq!(check_password("tidal-Quokka-9-lantern", &[]), Ok(()));
        assert_eq!(
            check_password("青蛙跳进古池塘水声", &[]),
            Ok(()),
            "characters, not bytes"
        );
        assert_eq!(
            check_password("密码密码密", &[]),
            Err(PasswordError::TooShort)
        );
        assert_eq!(
            check_password(&"tidal-Quokka-9-".repeat(9), &[]),
            Err(PasswordError::TooLong)
        );
    }

    #[test]
    fn guessable_passwords_are_refused() {
        for weak in [
            "password",
            "password1",
            "12345678",
            "qwertyuiop",
            "iloveyou",
            "xxxxxxxxxxxxxxxx",
        ] {
            assert_eq!(
                check_password(weak, &[]),
                Err(PasswordError::TooWeak),
                "{weak}"
            );
        }
        // The account's own email is no secret.
        assert_eq!(
            check_password(
                "zhao.lei@example.com",
                &["zhao.lei@example.com", "Zhao Lei"]
            ),
            Err(PasswordError::TooWeak)
        );
        assert!(
            PasswordError::TooWeak
                .message(Lang::Zh)
                .contains("容易被猜到")
        );
    }

    #[test]
    fn supervisors_assign_and_void_and_assignees_work_their_cases() {
        use Action::*;
        for action in [Assign, Void] {
            assert!(may(Role::Supervisor, action, false));
            assert!(!may(Role::Agent, action, true));
        }
        for action in [RequestEvidence, Approve, Reject, RecordCarriedOut] {
            assert!(may(Role::Agent, action, true));
            assert!(!may(Role::Agent, action, false));
            assert!(may(Role::Supervisor, action, false));
        }
        assert!(may(Role::Agent, Claim, false));
        for action in [AppellantReplied, Withdraw, CloseNoResponse] {
            assert!(!may(Role::Supervisor, action, true));
        }
    }

    #[test]
    fn roles_round_trip() {
        for role in [Role::Agent, Role::Supervisor] {
            assert_eq!(Role::from_stored(role.as_str()), Some(role));
        }
        assert_eq!(Role::from_stored("admin"), None);
    }
}
