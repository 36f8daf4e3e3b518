//! What an agent is told by mail about their cases, and what they chose to be told.

use super::Lang;
use super::policy;

/// An agent's own choices (`/agent/me`): the language of their mail and which notices
/// they get. Without a choice: Chinese, every notice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preferences {
    pub lang: Lang,
    /// The appellant replied to a request for evidence.
    pub replied: bool,
    /// The appellant withdrew the appeal.
    pub withdrawn: bool,
    /// A supervisor gave them a case, or took one away.
    pub assigned: bool,
    /// The morning list of their cases due today or the next working day.
    pub morning: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            lang: Lang::Zh,
            replied: true,
            withdrawn: true,
            assigned: true,
            morning: true,
        }
    }
}

/// The first lines of an appellant's text, as a notice quotes them: at most
/// `policy::NOTICE_EXCERPT_LINES` lines and `policy::NOTICE_EXCERPT_CHARS` characters,
/// "…" when cut.
pub fn first_lines(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut kept = lines
        .iter()
        .take(policy::NOTICE_EXCERPT_LINES)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    let mut cut = lines.len() > policy::NOTICE_EXCERPT_LINES;
    if kept.chars().count() > policy::NOTICE_EXCERPT_CHARS {
        kept = kept.chars().take(policy::NOTICE_EXCERPT_CHARS).collect();
        cut = true;
    }
    if cut {
        kept.push('…');
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_reply_is_quoted_by_its_first_lines() {
        assert_eq!(first_lines("a\n\nb\nc\nd"), "a\nb\nc…");
        assert_eq!(first_lines("short"), "short");
        let long = "字".repeat(policy::NOTICE_EXCERPT_CHARS + 5);
        assert_eq!(
            first_lines(&long).chars().count(),
            policy::NOTICE_EXCERPT_CHARS + 1
        );
    }
}
