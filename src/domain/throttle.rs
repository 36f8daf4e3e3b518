//! How much one client address may ask of the doors that write or mail, and the words
//! for a refusal when it asks more. The numbers are in `policy`.

use super::{Lang, Refusal};

/// A door that does work on a stranger's request (a case, a mail, a password check).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Door {
    /// `POST /appeals`.
    Filing,
    /// The appellant's reply and withdrawal, `POST /track/{token}/...`.
    Appellant,
    /// `POST /track/recover`: mails a new tracking link.
    Recovery,
    /// `POST /agent/login`.
    SignIn,
}

impl Door {
    pub const ALL: [Door; 4] = [Door::Filing, Door::Appellant, Door::Recovery, Door::SignIn];

    /// The door a request knocks on, from its method and path; `None` for every other.
    pub fn of(method_is_post: bool, path: &str) -> Option<Door> {
        if !method_is_post {
            return None;
        }
        match path {
            "/appeals" => Some(Door::Filing),
            "/agent/login" => Some(Door::SignIn),
            "/track/recover" => Some(Door::Recovery),
            _ => {
                let rest = path.strip_prefix("/track/")?;
                let (token, action) = rest.split_once('/')?;
                (!token.is_empty() && matches!(action, "reply" | "withdraw"))
                    .then_some(Door::Appellant)
            }
        }
    }
}

/// `burst` requests at once, then one more each `3600 / per_hour` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub burst: u32,
    pub per_hour: u32,
}

/// A client address over its limit at a door.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after_secs: u64,
}

impl Throttled {
    /// Whole minutes, rounded up: what a person can act on.
    pub fn minutes(&self) -> u64 {
        self.retry_after_secs.div_ceil(60).max(1)
    }
}

impl Refusal for Throttled {
    fn message(&self, lang: Lang) -> String {
        let minutes = self.minutes();
        match lang {
            Lang::Zh => {
                format!("来自你的网络的请求太多了，请 {minutes} 分钟后再试。已提交的内容不会丢失。")
            }
            Lang::En => format!(
                "Too many requests have come from your network: please try again in {minutes} minute{}. Nothing already sent is lost.",
                if minutes == 1 { "" } else { "s" }
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doors_are_found_by_method_and_path() {
        assert_eq!(Door::of(true, "/appeals"), Some(Door::Filing));
        assert_eq!(Door::of(false, "/appeals"), None);
        assert_eq!(Door::of(true, "/agent/login"), Some(Door::SignIn));
        assert_eq!(Door::of(true, "/track/recover"), Some(Door::Recovery));
        assert_eq!(Door::of(true, "/track/abc/reply"), Some(Door::Appellant));
        assert_eq!(Door::of(true, "/track/abc/withdraw"), Some(Door::Appellant));
        assert_eq!(Door::of(false, "/track/abc/withdraw"), None);
        assert_eq!(Door::of(true, "/track//reply"), None);
        assert_eq!(Door::of(true, "/track/abc/files/x"), None);
        assert_eq!(Door::of(true, "/agent/cases/1/claim"), None);
    }

    #[test]
    fn a_refusal_says_when_to_come_back_in_both_languages() {
        let t = Throttled {
            retry_after_secs: 61,
        };
        assert!(t.message(Lang::Zh).contains("2 分钟"));
        assert!(t.message(Lang::En).contains("2 minutes"));
        let t = Throttled {
            retry_after_secs: 0,
        };
        assert!(t.message(Lang::En).contains("1 minute."));
    }
}
