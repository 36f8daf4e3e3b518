//! The file name a sender gave, made safe to show: it is displayed, never used as a path.

/// Characters kept; longer names are cut, keeping the extension.
pub use crate::domain::policy::EVIDENCE_NAME_MAX_CHARS as NAME_MAX_CHARS;
const EXTENSION_MAX_CHARS: usize = 10;

/// The last path part (browsers have sent `C:\fakepath\x.png`), without control characters or
/// bidirectional overrides (which can make `gnp.exe` read as `exe.png`), trimmed and capped.
/// Empty when nothing displayable is left.
pub fn sanitize_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let kept: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect();
    let trimmed = kept.trim();
    if trimmed.chars().all(|c| c == '.') {
        return String::new();
    }
    cap(trimmed)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn cap(name: &str) -> String {
    if name.chars().count() <= NAME_MAX_CHARS {
        return name.to_owned();
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| !ext.is_empty() && ext.chars().count() <= EXTENSION_MAX_CHARS);
    match extension {
        Some(ext) => {
            let stem_chars = NAME_MAX_CHARS - 2 - ext.chars().count();
            let stem: String = name.chars().take(stem_chars).collect();
            format!("{}….{ext}", stem.trim_end())
        }
        None => {
            let head: String = name.chars().take(NAME_MAX_CHARS - 1).collect();
            format!("{}…", head.trim_end())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn path_parts_are_dropped() {
        assert_eq!(sanitize_name("C:\\fakepath\\账单详情.png"), "账单详情.png");
        assert_eq!(sanitize_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_name("/tmp/"), "");
        assert_eq!(sanitize_name(".."), "");
        assert_eq!(sanitize_name(""), "");
    }

    #[test]
    fn control_and_bidi_characters_are_dropped() {
        assert_eq!(sanitize_name("a\u{0}b\r\n\tc.png"), "abc.png");
        assert_eq!(sanitize_name("receipt\u{202E}gnp.exe"), "receiptgnp.exe");
        assert_eq!(sanitize_name("\u{7f}\u{85}x.pdf"), "x.pdf");
        assert_eq!(sanitize_name("  聊天记录 .jpg  "), "聊天记录 .jpg");
    }

    #[test]
    fn long_names_are_cut_keeping_the_extension() {
        let long = format!("{}.jpeg", "截".repeat(300));
        let cut = sanitize_name(&long);
        assert_eq!(cut.chars().count(), NAME_MAX_CHARS);
        assert!(cut.ends_with("….jpeg"), "{cut}");
        let no_ext = "x".repeat(300);
        assert_eq!(sanitize_name(&no_ext).chars().count(), NAME_MAX_CHARS);
        assert_eq!(sanitize_name(&"y".repeat(100)), "y".repeat(100));
    }

    proptest! {
        #[test]
        fn any_name_comes_out_displayable(raw in "\\PC{0,300}|[\\x00-\\x7f\\u{202e}]{0,300}") {
            let name = sanitize_name(&raw);
            prop_assert!(name.chars().count() <= NAME_MAX_CHARS);
            prop_assert!(!name.contains(['/', '\\']));
            prop_assert!(!name.chars().any(|c| c.is_control() || is_bidi_control(c)));
            prop_assert_eq!(name.trim(), name.as_str());
        }
    }
}
